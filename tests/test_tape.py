"""GradientTape semantics: recording, watching, gradient structure, errors, nesting, Jacobians,
threads, deep chains and memory."""

import gc
import re
import sys
import threading
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import tapegrad as tg

NON_PERSISTENT_ERROR = "GradientTape.gradient can only be called once on non-persistent tapes."


def f64(value):
    return tg.constant(value, dtype=tg.float64)


# -- persistence --
def test_non_persistent_tape_allows_one_gradient():
    x = tg.Variable(2.0)
    with tg.GradientTape() as tape:
        y = x * x
    assert float(tape.gradient(y, x)) == 4.0
    with pytest.raises(RuntimeError, match=f"^{re.escape(NON_PERSISTENT_ERROR)}$"):
        tape.gradient(y, x)


def test_non_persistent_tape_refuses_jacobian_after_gradient():
    x = tg.Variable([1.0, 2.0])
    with tg.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    message = "GradientTape.jacobian can only be called once on non-persistent tapes."
    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"):
        tape.jacobian(y, x)


def test_non_persistent_tape_refuses_gradient_after_jacobian():
    x = tg.Variable([1.0, 2.0])
    with tg.GradientTape() as tape:
        y = x * x
    tape.jacobian(y, x)
    with pytest.raises(RuntimeError, match=re.escape(NON_PERSISTENT_ERROR)):
        tape.gradient(y, x)


def test_persistent_tape_allows_many_gradients():
    x = tg.Variable(2.0)
    with tg.GradientTape(persistent=True) as tape:
        y = x * x
        z = x * x * x
    assert float(tape.gradient(y, x)) == 4.0
    assert float(tape.gradient(z, x)) == 12.0
    assert float(tape.gradient(y, x)) == 4.0
    assert tape.jacobian(y, x).numpy().tolist() == 4.0


# -- watch --
def test_unwatched_constant_has_no_gradient():
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None


def test_watched_constant_has_a_gradient():
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 4.0


def test_watch_takes_a_nested_structure():
    a, b, c = tg.constant(1.0), tg.constant(2.0), tg.constant(3.0)
    with tg.GradientTape() as tape:
        tape.watch({"a": a, "rest": [b, (c,)]})
        y = a * b * c
    grads = tape.gradient(y, {"a": a, "rest": [b, (c,)]})
    assert list(grads) == ["a", "rest"]
    assert float(grads["a"]) == 6.0
    assert isinstance(grads["rest"], list)
    assert isinstance(grads["rest"][1], tuple)
    assert float(grads["rest"][0]) == 3.0
    assert float(grads["rest"][1][0]) == 2.0


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_watching_a_non_float_tensor_raises_type_error_naming_dtype_and_cast(dtype):
    x = tg.constant([1, 0], dtype=dtype)
    with tg.GradientTape() as tape:
        with pytest.raises(TypeError, match=rf"{dtype}.*tg\.astype"):
            tape.watch(x)


@pytest.mark.parametrize("value", [3.0, 2, np.array([1.0, 2.0]), np.float32(1.0)])
def test_watching_a_non_tensor_raises_value_error_saying_tg_constant(value):
    # ValueError, as TensorFlow ("Passed in object ... not tf.Tensor or tf.Variable")
    with tg.GradientTape() as tape:
        with pytest.raises(ValueError, match=r"tg\.constant"):
            tape.watch(value)


def test_watching_a_structure_with_a_bad_leaf_raises_value_error():
    with tg.GradientTape() as tape:
        with pytest.raises(ValueError) as caught:
            tape.watch([tg.constant(1.0), 2.0])
    assert str(caught.value) == (
        "GradientTape.watch takes tensors and variables, not float 2.0: wrap it in "
        "tg.constant(...) first and watch that tensor"
    )


def test_complex_tensor_can_be_watched():
    x = tg.constant(1 + 2j)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    assert tape.gradient(y, x) is not None


# -- gradient: structure of sources and targets --
def scalar_setup():
    x, y = tg.Variable(2.0), tg.Variable(3.0)
    tape = tg.GradientTape(persistent=True)
    with tape:
        z = x * x * y
    return tape, z, x, y


def test_single_source_gives_a_tensor():
    tape, z, x, _ = scalar_setup()
    g = tape.gradient(z, x)
    assert type(g) is tg.Tensor
    assert float(g) == 12.0


def test_list_tuple_dict_and_nested_sources_keep_their_structure():
    tape, z, x, y = scalar_setup()
    as_list = tape.gradient(z, [x, y])
    as_tuple = tape.gradient(z, (x, y))
    as_dict = tape.gradient(z, {"y": y, "x": x})
    nested = tape.gradient(z, [x, {"inner": (y, [x])}])
    assert isinstance(as_list, list) and [float(g) for g in as_list] == [12.0, 4.0]
    assert isinstance(as_tuple, tuple) and [float(g) for g in as_tuple] == [12.0, 4.0]
    assert isinstance(as_dict, dict) and list(as_dict) == ["y", "x"]
    assert (float(as_dict["x"]), float(as_dict["y"])) == (12.0, 4.0)
    assert float(nested[0]) == 12.0
    assert float(nested[1]["inner"][0]) == 4.0
    assert float(nested[1]["inner"][1][0]) == 12.0


def test_gradient_dtype_and_shape_follow_the_source():
    x = tg.Variable(np.ones((2, 3)))
    with tg.GradientTape() as tape:
        y = tg.sum(x * 2.0)
    g = tape.gradient(y, x)
    assert (g.shape, g.dtype) == ((2, 3), tg.float64)


def test_list_of_targets_is_differentiated_as_their_sum():
    x = tg.Variable(5.0)
    with tg.GradientTape() as tape:
        z1 = 3 * x
        z2 = x**2
    assert float(tape.gradient([z1, z2], x)) == 13.0


def test_nested_targets_are_summed():
    x = tg.Variable(1.0)
    with tg.GradientTape() as tape:
        a, b, c = x * 2.0, x * 3.0, x * 4.0
    assert float(tape.gradient({"a": a, "rest": (b, [c])}, x)) == 9.0


def test_the_same_target_twice_counts_twice():
    x = tg.Variable(1.0)
    with tg.GradientTape() as tape:
        y = x * 3.0
    assert float(tape.gradient([y, y], x)) == 6.0


def test_non_scalar_target_is_seeded_with_ones():
    x = tg.constant([1.0, 2.0, 3.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 4.0, 6.0]


def test_output_gradients_weight_the_target():
    x = tg.constant([1.0, 2.0, 3.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    g = tape.gradient(y, x, output_gradients=tg.constant([1.0, 0.0, 2.0]))
    assert g.numpy().tolist() == [2.0, 0.0, 12.0]


def test_output_gradients_may_be_an_ndarray():
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * 3.0
    g = tape.gradient(y, x, output_gradients=np.array([2.0, -1.0]))
    assert g.numpy().tolist() == [6.0, -3.0]
    assert g.dtype == tg.float32


def test_output_gradients_for_a_list_of_targets():
    x = tg.Variable(1.0)
    with tg.GradientTape() as tape:
        a, b = x * 2.0, x * 3.0
    g = tape.gradient([a, b], x, output_gradients=[tg.constant(10.0), tg.constant(100.0)])
    assert float(g) == 320.0


def test_output_gradients_of_the_wrong_shape_raise_value_error():
    x = tg.constant([1.0, 2.0, 3.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises(ValueError, match=re.escape("(2,)") + ".*" + re.escape("(3,)")):
        tape.gradient(y, x, output_gradients=tg.constant([1.0, 2.0]))


def test_unconnected_source_gives_none():
    x, z = tg.Variable(1.0), tg.Variable([1.0, 2.0])
    with tg.GradientTape() as tape:
        y = x * 2.0
    assert tape.gradient(y, [x, z])[1] is None


def test_unconnected_source_gives_zeros_of_its_shape_and_dtype_when_asked():
    x = tg.Variable(1.0)
    z = tg.Variable(np.ones((2, 3)))
    with tg.GradientTape() as tape:
        y = x * 2.0
    _, g = tape.gradient(y, [x, z], unconnected_gradients="zero")
    assert (g.shape, g.dtype) == ((2, 3), tg.float64)
    assert not g.numpy().any()


def test_unknown_unconnected_gradients_value_raises_value_error():
    x = tg.Variable(1.0)
    with tg.GradientTape() as tape:
        y = x * 2.0
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.gradient(y, x, unconnected_gradients="zeros")


def test_target_that_is_a_source_has_gradient_one():
    x = tg.Variable([1.0, 2.0])
    with tg.GradientTape() as tape:
        pass
    assert tape.gradient(x, x).numpy().tolist() == [1.0, 1.0]


def test_gradient_path_cut_by_stop_gradient():
    x = tg.Variable(3.0)
    with tg.GradientTape() as tape:
        y = x * tg.stop_gradient(x)
    assert float(tape.gradient(y, x)) == 3.0


# -- bad input --
def test_gradient_with_respect_to_an_int_tensor_raises_type_error():
    n = tg.constant(3)
    x = tg.Variable(1.0)
    with tg.GradientTape() as tape:
        y = x * 2.0
    with pytest.raises(TypeError, match="int32"):
        tape.gradient(y, [x, n])


@pytest.mark.parametrize("target", [3.0, np.array([1.0]), "loss", None])
def test_target_that_is_not_a_tensor_raises_type_error(target):
    x = tg.Variable(1.0)
    with tg.GradientTape() as tape:
        _ = x * 2.0
    with pytest.raises(TypeError, match="target"):
        tape.gradient(target, x)


@pytest.mark.parametrize("source", [3.0, np.array([1.0]), "x"])
def test_source_that_is_not_a_tensor_raises_type_error(source):
    x = tg.Variable(1.0)
    with tg.GradientTape() as tape:
        y = x * 2.0
    with pytest.raises(TypeError, match="source"):
        tape.gradient(y, source)


def test_entering_a_recording_tape_again_raises_value_error_as_in_tensorflow():
    tape = tg.GradientTape()
    message = (
        "Tape is still recording, This can happen if you try to re-enter an already-active "
        "tape: enter it once, or create a new tape for a nested computation"
    )
    with pytest.raises(ValueError) as caught:
        with tape:
            with tape:
                pass
    assert str(caught.value) == message


def test_reset_outside_the_block_raises_as_in_tensorflow():
    tape = tg.GradientTape()
    with tape:
        pass
    with pytest.raises(ValueError, match="^Tape is not recording: call reset"):
        tape.reset()


def test_stop_recording_on_a_tape_that_is_not_recording_raises_runtime_error():
    tape = tg.GradientTape()
    with tape:
        pass
    with pytest.raises(RuntimeError, match="not recording"):
        with tape.stop_recording():
            pass


def test_stop_recording_on_a_tape_never_entered_raises_runtime_error():
    with pytest.raises(RuntimeError, match="not recording"):
        with tg.GradientTape().stop_recording():
            pass


# -- stop_recording, reset, watched_variables --
def test_stop_recording_leaves_operations_off_the_tape():
    x = tg.Variable(2.0)
    with tg.GradientTape() as tape:
        y = x * x
        with tape.stop_recording():
            z = x * 100.0
        total = y + z
    assert float(total) == 204.0
    assert float(tape.gradient(total, x)) == 4.0


def test_recording_resumes_after_stop_recording():
    x = tg.Variable(2.0)
    with tg.GradientTape() as tape:
        with tape.stop_recording():
            pass
        y = x * 5.0
    assert float(tape.gradient(y, x)) == 5.0


def test_stop_recording_pauses_only_its_own_tape():
    x = tg.Variable(2.0)
    with tg.GradientTape() as outer:
        with tg.GradientTape() as inner:
            with inner.stop_recording():
                y = x * 7.0
    assert inner.gradient(y, x) is None
    assert float(outer.gradient(y, x)) == 7.0


def test_reset_forgets_what_was_recorded():
    x = tg.Variable(2.0)
    with tg.GradientTape(persistent=True) as tape:
        y = x * x
        tape.reset()
        z = x * 3.0
    assert tape.gradient(y, x) is None
    assert float(tape.gradient(z, x)) == 3.0


def test_reset_forgets_watched_tensors():
    c = tg.constant(1.0)
    with tg.GradientTape() as tape:
        tape.watch(c)
        tape.reset()
        y = c * 2.0
    assert tape.gradient(y, c) is None


def test_watched_variables_in_order_of_first_access():
    a, b = tg.Variable(1.0, name="a"), tg.Variable(2.0, name="b")
    frozen = tg.Variable(3.0, trainable=False)
    with tg.GradientTape() as tape:
        _ = b * a * frozen * b
    watched = tape.watched_variables()
    assert len(watched) == 2
    assert watched[0] is b and watched[1] is a


def test_watched_variables_include_explicitly_watched_ones():
    frozen = tg.Variable(3.0, trainable=False)
    with tg.GradientTape() as tape:
        tape.watch(frozen)
    assert tape.watched_variables() == (frozen,)


def test_watched_variables_excludes_watched_constants():
    with tg.GradientTape() as tape:
        tape.watch(tg.constant(1.0))
    assert len(tape.watched_variables()) == 0


def test_watch_accessed_variables_false_watches_nothing_by_itself():
    v = tg.Variable(2.0)
    with tg.GradientTape(watch_accessed_variables=False) as tape:
        y = v * v
    assert tape.gradient(y, v) is None
    assert len(tape.watched_variables()) == 0


def test_watch_accessed_variables_false_with_explicit_watch():
    v, w = tg.Variable(2.0), tg.Variable(5.0)
    with tg.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(v)
        y = v * w
    dv, dw = tape.gradient(y, [v, w])
    assert float(dv) == 5.0
    assert dw is None
    assert tape.watched_variables() == (v,)


# -- nested tapes and higher orders --
def test_nested_tapes_give_second_derivative():
    x = tg.Variable(3.0)
    with tg.GradientTape() as outer:
        with tg.GradientTape() as inner:
            y = x**3
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    assert (float(dy), float(d2y)) == (27.0, 18.0)


def test_derivatives_of_x_to_the_fourth_up_to_order_four():
    x = tg.Variable(2.0)
    with tg.GradientTape() as t4:
        with tg.GradientTape() as t3:
            with tg.GradientTape() as t2:
                with tg.GradientTape() as t1:
                    y = x**4
                d1 = t1.gradient(y, x)
            d2 = t2.gradient(d1, x)
        d3 = t3.gradient(d2, x)
    d4 = t4.gradient(d3, x)
    assert [float(d) for d in (d1, d2, d3, d4)] == [32.0, 48.0, 48.0, 24.0]


def test_fifth_derivative_of_x_to_the_fourth_is_zero_or_none():
    x = tg.Variable(2.0)
    with tg.GradientTape() as t5:
        with tg.GradientTape() as t4:
            with tg.GradientTape() as t3:
                with tg.GradientTape() as t2:
                    with tg.GradientTape() as t1:
                        y = x**4
                    d1 = t1.gradient(y, x)
                d2 = t2.gradient(d1, x)
            d3 = t3.gradient(d2, x)
        d4 = t4.gradient(d3, x)
    d5 = t5.gradient(d4, x, unconnected_gradients="zero")
    assert float(d5) == 0.0


def test_outer_tape_sees_inner_tape_operations():
    x = tg.Variable(2.0)
    with tg.GradientTape() as outer:
        with tg.GradientTape() as inner:
            y = x * x
    assert float(inner.gradient(y, x)) == 4.0
    assert float(outer.gradient(y, x)) == 4.0


def test_mixed_second_derivative():
    x, y = tg.Variable(2.0), tg.Variable(3.0)
    with tg.GradientTape() as outer:
        with tg.GradientTape() as inner:
            z = x * x * y
        dz_dx = inner.gradient(z, x)
    assert float(dz_dx) == 12.0
    assert float(outer.gradient(dz_dx, y)) == 4.0


def test_hessian_of_a_vector_function_through_jacobian_of_gradient():
    x = f64([1.0, 2.0, 3.0])
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.GradientTape() as inner:
            inner.watch(x)
            y = tg.sum(x**3) + x[0] * x[1]
        g = inner.gradient(y, x)
    hessian = outer.jacobian(g, x)
    expected = np.diag(6.0 * np.array([1.0, 2.0, 3.0]))
    expected[0, 1] = expected[1, 0] = 1.0
    np.testing.assert_allclose(hessian.numpy(), expected, rtol=1e-14)


# -- jacobian and batch_jacobian --
RNG = np.random.default_rng(0)
A = RNG.normal(size=(4, 3))
X0 = RNG.normal(size=3)


def test_jacobian_of_tanh_of_a_matrix_vector_product():
    x = f64(X0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.tanh(tg.constant(A) @ x)
    jacobian = tape.jacobian(y, x)
    expected = (1 - np.tanh(A @ X0) ** 2)[:, None] * A
    assert jacobian.shape == (4, 3)
    assert jacobian.dtype == tg.float64
    np.testing.assert_allclose(jacobian.numpy(), expected, rtol=1e-13)


def test_jacobian_shape_is_target_shape_plus_source_shape():
    x = f64(np.ones((2, 3)))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    jacobian = tape.jacobian(y, x)
    assert jacobian.shape == (2, 3, 2, 3)
    np.testing.assert_array_equal(jacobian.numpy(), 2.0 * np.eye(6).reshape(2, 3, 2, 3))


def test_jacobian_of_a_scalar_target_is_the_gradient():
    x = f64([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(x * x)
    jacobian = tape.jacobian(y, x)
    assert jacobian.shape == (2,)
    assert jacobian.numpy().tolist() == [2.0, 4.0]


def test_jacobian_with_respect_to_a_list_of_sources():
    x, w = f64([1.0, 2.0]), f64([3.0, 4.0])
    with tg.GradientTape() as tape:
        tape.watch([x, w])
        y = x * w
    jx, jw = tape.jacobian(y, [x, w])
    np.testing.assert_array_equal(jx.numpy(), np.diag([3.0, 4.0]))
    np.testing.assert_array_equal(jw.numpy(), np.diag([1.0, 2.0]))


def test_jacobian_of_an_unconnected_source():
    x, z = f64([1.0, 2.0]), f64(np.ones((3, 1)))
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = x * 2.0
    assert tape.jacobian(y, z) is None
    zeros = tape.jacobian(y, z, unconnected_gradients="zero")
    assert zeros.shape == (2, 3, 1)
    assert not zeros.numpy().any()


def test_batch_jacobian_of_a_per_row_function():
    w = RNG.normal(size=(4, 3))
    xs = RNG.normal(size=(5, 3))
    x = f64(xs)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.tanh(x @ tg.constant(w.T))
    jacobian = tape.batch_jacobian(y, x)
    assert jacobian.shape == (5, 4, 3)
    for b in range(5):
        expected = (1 - np.tanh(w @ xs[b]) ** 2)[:, None] * w
        np.testing.assert_allclose(jacobian.numpy()[b], expected, rtol=1e-13)


def test_batch_jacobian_of_an_elementwise_square():
    x = f64([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    jacobian = tape.batch_jacobian(y, x)
    assert jacobian.shape == (3, 2, 2)
    expected = np.stack([np.diag(2.0 * row) for row in x.numpy()])
    np.testing.assert_array_equal(jacobian.numpy(), expected)


def test_batch_jacobian_with_different_trailing_shapes():
    x = f64(RNG.normal(size=(3, 2, 2)))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(x * x, axis=-1)
    jacobian = tape.batch_jacobian(y, x)
    assert jacobian.shape == (3, 2, 2, 2)
    expected = np.zeros((3, 2, 2, 2))
    for i in range(2):
        expected[:, i, i, :] = 2.0 * x.numpy()[:, i, :]
    np.testing.assert_allclose(jacobian.numpy(), expected, rtol=1e-14)


def test_batch_jacobian_with_mismatched_batch_raises_value_error():
    x = f64(np.ones((3, 2)))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(x, axis=0)
    with pytest.raises(ValueError, match=re.escape("(2,)") + ".*" + re.escape("(3, 2)")):
        tape.batch_jacobian(y, x)


# -- threads --
def test_a_tape_never_records_another_threads_operations():
    x = tg.Variable(2.0)
    results = {}
    inside = threading.Barrier(2, timeout=30)
    done = threading.Barrier(2, timeout=30)

    def other_thread():
        inside.wait()
        results["z"] = x * 100.0
        done.wait()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with tg.GradientTape(persistent=True) as tape:
        inside.wait()
        y = x * 3.0
        done.wait()
    thread.join()
    assert tape.gradient(results["z"], x) is None
    assert float(tape.gradient(y, x)) == 3.0


def test_tapes_in_two_threads_record_only_their_own_operations():
    x = tg.Variable(2.0)
    barrier = threading.Barrier(3, timeout=30)
    results = {}

    def work(name, factor):
        with tg.GradientTape(persistent=True) as tape:
            barrier.wait()
            y = x * factor
            barrier.wait()
            results[name] = (tape, y)
        barrier.wait()

    threads = [threading.Thread(target=work, args=(n, f)) for n, f in (("a", 3.0), ("b", 5.0))]
    for t in threads:
        t.start()
    with tg.GradientTape(persistent=True) as main_tape:
        barrier.wait()
        main_y = x * 7.0
        barrier.wait()
    barrier.wait()
    for t in threads:
        t.join()
    tape_a, y_a = results["a"]
    tape_b, y_b = results["b"]
    assert float(tape_a.gradient(y_a, x)) == 3.0
    assert float(tape_b.gradient(y_b, x)) == 5.0
    assert tape_a.gradient(y_b, x) is None
    assert tape_b.gradient(main_y, x) is None
    assert main_tape.gradient(y_a, x) is None
    assert float(main_tape.gradient(main_y, x)) == 7.0


def test_gradients_in_many_threads_at_once():
    def work(value, out, index):
        for _ in range(50):
            v = tg.Variable(value)
            with tg.GradientTape() as tape:
                y = v * v * v
            out[index] = float(tape.gradient(y, v))

    out = [None] * 8
    threads = [threading.Thread(target=work, args=(float(i), out, i)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [3.0 * i * i for i in range(8)]


# -- depth --
def test_a_chain_of_one_million_operations():
    limit = sys.getrecursionlimit()
    x = tg.constant(0.0)
    start = time.perf_counter()
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x
        for _ in range(1_000_000):
            y = y + 1.0
    g = tape.gradient(y, x)
    elapsed = time.perf_counter() - start
    assert float(y) == 1_000_000.0
    assert float(g) == 1.0
    assert sys.getrecursionlimit() == limit
    assert elapsed < 60


def test_a_deep_chain_of_mixed_operations_has_the_right_gradient():
    x = f64(0.5)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x
        for _ in range(20_000):
            y = tg.sin(y) * 1.0 + 0.0
    expected_y, expected_g = 0.5, 1.0
    for _ in range(20_000):
        expected_g *= np.cos(expected_y)
        expected_y = np.sin(expected_y)
    g = tape.gradient(y, x)
    np.testing.assert_allclose(float(y), expected_y, rtol=1e-12)
    np.testing.assert_allclose(float(g), expected_g, rtol=1e-9)


# -- memory --
def test_non_persistent_gradient_releases_every_saved_array():
    x = tg.constant(np.linspace(0.1, 1.0, 5).astype(np.float32))
    # a tensor's array, which the tape keeps as it is (a caller's own array may be copied)
    saved = tg.constant(np.linspace(2.0, 3.0, 5).astype(np.float32))
    ref = weakref.ref(saved._value)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(tg.sin(x * saved))
    del saved
    assert ref() is not None  # the tape holds it for the backward pass
    g = tape.gradient(y, x)
    assert ref() is None
    assert g.shape == (5,)


def test_non_persistent_gradient_releases_intermediates():
    n = 1_000_000
    x = tg.constant(np.linspace(0.0, 1.0, n))
    tracemalloc.start()
    try:
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = tg.sum(tg.exp(tg.sin(x) * tg.cos(x)) * 3.0)
        recorded, _ = tracemalloc.get_traced_memory()
        g = tape.gradient(y, x)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    array_bytes = 8 * n
    assert recorded >= 4 * array_bytes  # sin, cos, product, exp, scaled: saved by the tape
    assert after < 1.5 * array_bytes  # only the gradient is left
    assert g.shape == (n,)


def test_del_persistent_tape_frees_what_it_saved():
    x = tg.constant([1.0, 2.0])
    saved = tg.constant(np.array([3.0, 4.0], dtype=np.float32))
    ref = weakref.ref(saved._value)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * saved
    del saved
    tape.gradient(y, x)
    assert ref() is not None
    tape_ref = weakref.ref(tape)
    del tape
    assert tape_ref() is None
    assert ref() is None


def test_results_hold_no_reference_to_the_tape():
    x = tg.Variable(2.0)
    with tg.GradientTape() as tape:
        y = x * x
    g = tape.gradient(y, x)
    tape_ref = weakref.ref(tape)
    gc.disable()
    try:
        del tape
        assert tape_ref() is None
    finally:
        gc.enable()
    assert (float(y), float(g)) == (4.0, 4.0)


def test_without_a_tape_an_operation_keeps_no_reference_to_its_inputs():
    t = tg.constant([1.0, 2.0])
    array = np.array([3.0, 4.0], dtype=np.float32)
    tensor_ref, array_ref = weakref.ref(t), weakref.ref(array)
    y = tg.sin(t) * array + t
    del t, array
    assert tensor_ref() is None
    assert array_ref() is None
    np.testing.assert_allclose(y.numpy(), np.sin([1.0, 2.0]) * [3.0, 4.0] + [1.0, 2.0], rtol=1e-6)


def test_without_a_tape_nothing_is_recorded_for_a_later_tape():
    x = tg.Variable(2.0)
    y = x * x
    with tg.GradientTape() as tape:
        z = y * 3.0
    assert tape.gradient(z, x) is None


def test_after_a_tape_closes_operations_are_not_recorded():
    x = tg.Variable(2.0)
    with tg.GradientTape(persistent=True) as tape:
        y = x * x
    z = y * 3.0
    assert tape.gradient(z, x) is None
    assert float(tape.gradient(y, x)) == 4.0


def test_batch_jacobian_of_an_unconnected_source_gives_zeros_of_its_shape():
    x = tg.constant(np.ones((2, 3), np.float32))
    z = tg.constant(np.ones((2, 3), np.float32))
    with tg.GradientTape() as tape:
        tape.watch([x, z])
        y = tg.concat([z, z], axis=1)
    zeros = tape.batch_jacobian(y, x, unconnected_gradients="zero")
    assert zeros.shape == (2, 6, 3)
    assert zeros.dtype == tg.float32
    assert not zeros.numpy().any()


def test_tape_hessian_is_taken_where_the_tape_read_the_variable():
    """As tape.gradient: an assign after the forward pass changes nothing."""
    a = tg.Variable(2.0)
    with tg.GradientTape(persistent=True) as tape:
        y = a**3
    a.assign(10.0)
    assert float(tape.hessian(y, a)) == 12.0
    assert float(tape.gradient(y, a)) == 12.0


def test_complex_output_gradients_for_a_real_target_raise():
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    message = r"complex output_gradients \(complex128\) for a real target \(float32\)"
    with pytest.raises(TypeError, match=message):
        tape.gradient(y, x, output_gradients=np.array(1j))


def test_tape_hessian_keeps_each_read_of_a_variable_assigned_while_recording():
    x = tg.Variable([1.0, 2.0])
    with tg.GradientTape(persistent=True) as tape:
        y = tg.sum(x**3)  # read at [1, 2]
        x.assign([5.0, 7.0])
        y = y + tg.sum(x**3)  # read at [5, 7]
    # d²/dx² of sum(x³) at each point read: 6x, so 6 + 30 and 12 + 42
    assert tape.hessian(y, x).numpy().tolist() == [[36.0, 0.0], [0.0, 54.0]]
    assert tape.gradient(y, x).numpy().tolist() == [3.0 + 75.0, 12.0 + 147.0]


# -- a used-up tape, and arguments checked before the tape is spent ------------------------------
def test_a_non_persistent_tape_records_afresh_when_entered_again_as_in_tensorflow():
    x = tg.constant(2.0)
    tape = tg.GradientTape()
    with tape:
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 4.0
    with tape:
        tape.watch(x)
        z = x**3
    assert float(tape.gradient(z, x)) == 12.0
    with pytest.raises(RuntimeError, match=re.escape(NON_PERSISTENT_ERROR)):
        tape.gradient(z, x)


def test_a_mistaken_jacobian_call_leaves_a_non_persistent_tape_usable():
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises(ValueError, match="same first"):
        tape.batch_jacobian(y, tg.constant([[1.0, 2.0, 3.0]]))
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.jacobian(y, x, unconnected_gradients="zeros")
    assert tape.jacobian(y, x).numpy().tolist() == [[2.0, 0.0], [0.0, 4.0]]


def test_equality_with_none_or_another_shape_is_false_as_in_tensorflow():
    v, w = tg.Variable([1.0, 2.0]), tg.Variable([1.0, 2.0, 3.0])
    assert (v == None) is False and (v != None) is True  # noqa: E711
    assert (v == w) is False and (v != w) is True
    assert [w, v].index(v) == 1 and v in [w, v]
    assert (v == tg.constant([1.0, 3.0])).numpy().tolist() == [True, False]


def test_equality_with_a_list_of_another_shape_is_false():
    v = tg.Variable([1.0, 2.0])
    assert (v == [1.0, 2.0, 3.0]) is False and (v != [1.0, 2.0, 3.0]) is True


def test_tape_hessian_is_seen_by_outer_tapes_and_accumulators():
    # third derivatives: d/dx sum(H) = 24x for sum(x^4), and the x-tangent of H
    x = tg.Variable([1.0, 2.0], dtype=tg.float64)
    with tg.GradientTape() as outer:
        with tg.GradientTape(persistent=True) as tape:
            y = tg.sum(x**4)
        hessian = tape.hessian(y, x)
    assert outer.gradient(hessian, x).numpy().tolist() == [24.0, 48.0]
    with tg.ForwardAccumulator(x, tg.constant([1.0, 0.0], dtype=tg.float64)) as acc:
        with tg.GradientTape(persistent=True) as tape:
            y = tg.sum(x**4)
        hessian = tape.hessian(y, x)
    assert acc.jvp(hessian).numpy().tolist() == [[24.0, 0.0], [0.0, 0.0]]


def test_tape_hessian_keeps_a_read_made_before_watch_constant_as_the_gradient_does():
    w = tg.Variable(np.float64(2.0))
    x = tg.constant(np.float64(0.5))
    with tg.GradientTape(persistent=True) as tape:
        a = x * w  # read before x is watched: a constant to this tape
        tape.watch(x)
        z = a * x**3
    assert float(tape.gradient(z, x)) == 0.75  # a * 3x^2
    assert float(tape.hessian(z, x)) == 3.0  # a * 6x, not 12 w x^2


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: tg.GradientTape(persistent="no"),
            "GradientTape: persistent must be True or False, not 'no'",
        ),
        (
            lambda: tg.GradientTape(watch_accessed_variables=0),
            "GradientTape: watch_accessed_variables must be True or False, not 0",
        ),
        (
            lambda: tg.Variable(1.0, trainable="False"),
            "Variable: trainable must be True or False, not 'False'",
        ),
        (lambda: tg.grad(tg.sin, has_aux="yes"), "grad: has_aux must be True or False, not 'yes'"),
        (
            lambda: tg.jacobian(tg.sin, holomorphic=1),
            "jacobian: holomorphic must be True or False, not 1",
        ),
        (
            lambda: tg.linspace(0, 1, 5, endpoint="no"),
            "linspace: endpoint must be True or False, not 'no'",
        ),
    ],
)
def test_on_off_options_take_bools_only(make, message):
    # bool("False") is True: a string used to switch the option on silently
    with pytest.raises(TypeError) as caught:
        make()
    assert str(caught.value) == message
    assert tg.Variable(1.0, trainable=np.bool_(False)).trainable is False


def test_tape_hessian_inside_its_own_block_returns():
    # the replay, recorded onto the tape it read, used to replay its own replays without end
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tg.sum(x**3)
        hessian = tape.hessian(y, x)
    assert hessian.numpy().tolist() == [[6.0, 0.0], [0.0, 12.0]]


def test_a_subclass_of_variable_is_watched_when_read_as_a_variable_is():
    class Scaled(tg.Variable):
        pass

    v = Scaled(2.0)
    with tg.GradientTape() as tape:
        y = v * v
    assert float(tape.gradient(y, v)) == 4.0


# -- results are new tensors: changing one in place changes nothing else --
def test_gradients_are_distinct_from_each_other_and_from_the_output_gradients():
    # add's rule passes its cotangent on: both results were the seed itself, so `ga *= 0.5`
    # halved gb and the caller's output_gradients too
    a, b = tg.Variable([1.0, 2.0]), tg.Variable([3.0, 4.0])
    og = tg.constant([1.0, 1.0])
    with tg.GradientTape() as tape:
        y = a + b
    ga, gb = tape.gradient(y, [a, b], output_gradients=og)
    assert ga is not gb and og is not ga and og is not gb
    ga *= 0.5
    gb[0] = 7.0
    assert ga.numpy().tolist() == [0.5, 0.5]
    assert gb.numpy().tolist() == [7.0, 1.0]
    assert og.numpy().tolist() == [1.0, 1.0]


def test_gradients_under_an_outer_tape_are_distinct_and_still_differentiable():
    a, b = tg.Variable([1.0, 2.0]), tg.Variable([3.0, 4.0])
    with tg.GradientTape() as outer:
        with tg.GradientTape() as tape:
            z = tg.sum(a + b)
        ones_a, ones_b = tape.gradient(z, [a, b])  # traced: was one tensor twice
    assert ones_a is not ones_b
    ones_a *= 3.0
    assert ones_a.numpy().tolist() == [3.0, 3.0] and ones_b.numpy().tolist() == [1.0, 1.0]
    with tg.GradientTape() as outer:
        with tg.GradientTape() as tape:
            z = tg.sum(a * a + b)
        ga, gb = tape.gradient(z, [a, b])
        assert ga is not gb
        total = tg.sum(ga * gb)
    assert ga.numpy().tolist() == [2.0, 4.0] and gb.numpy().tolist() == [1.0, 1.0]
    assert outer.gradient(total, a).numpy().tolist() == [2.0, 2.0]  # d sum(2a * 1) / da
    gb += 1.0
    assert ga.numpy().tolist() == [2.0, 4.0] and gb.numpy().tolist() == [2.0, 2.0]


def test_the_same_source_twice_gets_two_tensors():
    x = tg.Variable([1.0, 2.0])
    with tg.GradientTape(persistent=True) as tape:
        y = tg.sum(x * 3.0)
    g1, g2 = tape.gradient(y, [x, x])
    assert g1 is not g2
    g1 *= 2.0
    assert g1.numpy().tolist() == [6.0, 6.0] and g2.numpy().tolist() == [3.0, 3.0]
    j1, j2 = tape.jacobian(y, (x, x))
    assert j1 is not j2


def test_a_variable_given_as_output_gradients_comes_back_as_a_tensor_read_then():
    # the gradient of x with respect to itself was the variable v itself: assigning v changed it
    x = tg.Variable([1.0, 2.0])
    v = tg.Variable([3.0, 4.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
    g = tape.gradient(x, x, output_gradients=v)
    assert type(g) is tg.Tensor
    v.assign([7.0, 7.0])
    assert g.numpy().tolist() == [3.0, 4.0]


def test_a_variable_output_gradient_is_a_read_that_outer_tapes_differentiate():
    a, s = tg.Variable([1.0, 2.0]), tg.Variable([3.0, 4.0])
    with tg.GradientTape() as outer:
        with tg.GradientTape() as inner:
            y = a * a
        g = inner.gradient(y, a, output_gradients=s)  # 2 a s
    assert g.numpy().tolist() == [6.0, 16.0]
    da, ds = outer.gradient(g, [a, s])
    assert da.numpy().tolist() == [6.0, 8.0] and ds.numpy().tolist() == [2.0, 4.0]


# -- watch only while recording, as TensorFlow --
def test_watch_inside_stop_recording_is_ignored():
    x = tg.constant(3.0)
    with tg.GradientTape() as tape:
        with tape.stop_recording():
            tape.watch(x)
        y = x * x
    assert tape.gradient(y, x) is None


def test_watch_between_two_blocks_of_a_persistent_tape_is_ignored():
    x = tg.constant(2.0)
    tape = tg.GradientTape(persistent=True)
    with tape:
        y = x * x
    tape.watch(x)
    with tape:
        z = x * x
    assert tape.gradient(y, x) is None
    assert tape.gradient(z, x) is None


def test_a_variable_watched_inside_stop_recording_is_not_watched():
    x = tg.Variable(2.0)
    with tg.GradientTape(watch_accessed_variables=False) as tape:
        with tape.stop_recording():
            tape.watch(x)
        y = x * x
    assert tape.watched_variables() == ()
    assert tape.gradient(y, x) is None


def test_watch_before_the_tape_is_entered_raises_runtime_error():
    # TensorFlow fails here too (an AttributeError); tapegrad recorded from the watch on
    x = tg.constant(2.0)
    tape = tg.GradientTape()
    with pytest.raises(RuntimeError) as caught:
        tape.watch(x)
    assert str(caught.value) == (
        "GradientTape.watch was called on a tape that has not started recording: call "
        "tape.watch(x) inside the tape's `with` block"
    )
    with pytest.raises(ValueError, match="not float"):  # a wrong argument says so first
        tape.watch(3.0)
    with tape:
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 4.0


# -- a non-persistent tape stops at its gradient call, as TensorFlow's --
@pytest.mark.parametrize("method", ["gradient", "jacobian", "batch_jacobian"])
def test_a_non_persistent_tape_stops_recording_at_its_gradient_call(method):
    x = tg.Variable([[2.0]])
    with tg.GradientTape() as tape:
        y = x * x
        g = getattr(tape, method)(y, x)
        z = x * 3.0
        tape.watch(z)  # ignored: the tape no longer records
        w = z * z
    assert g.numpy().reshape(-1).tolist() == [4.0]
    assert repr(tape) == "<tg.GradientTape non-persistent, 0 recorded operations>"
    del w
    # the tape left the stack of active tapes: a new tape, and this one entered again, work
    with tg.GradientTape() as fresh:
        u = x * 5.0
    assert fresh.gradient(u, x).numpy().tolist() == [[5.0]]
    with tape:
        v = x * x * x
    assert tape.gradient(v, x).numpy().tolist() == [[12.0]]


def test_a_gradient_inside_its_own_block_is_not_recorded_by_its_tape_but_by_an_outer_one():
    x = tg.Variable(3.0)
    with tg.GradientTape() as outer:
        with tg.GradientTape() as tape:
            y = x**3
            g = tape.gradient(y, x)  # 3 x^2
        assert repr(tape) == "<tg.GradientTape non-persistent, 0 recorded operations>"
    assert float(g) == 27.0
    assert float(outer.gradient(g, x)) == 18.0


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("gradient", "gradient"),
        ("gradient", "jacobian"),
        ("jacobian", "gradient"),
        ("jacobian", "jacobian"),
        ("batch_jacobian", "batch_jacobian"),
        ("jacobian", "batch_jacobian"),
    ],
)
def test_the_spent_tape_error_names_the_method_called(first, second):
    # after a jacobian, the error named gradient, which the user had not called
    x = tg.Variable([[1.0, 2.0]])
    with tg.GradientTape() as tape:
        y = x * x
    getattr(tape, first)(y, x)
    with pytest.raises(RuntimeError) as caught:
        getattr(tape, second)(y, x)
    assert str(caught.value) == (
        f"GradientTape.{second} can only be called once on non-persistent tapes."
    )
