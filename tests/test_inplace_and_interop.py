"""Writing into tensors as NumPy users do, JAX's functional updates, and NumPy calls on tensors."""

import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.testing import check_grads


def test_augmented_assignment_is_seen_by_every_name_and_recorded():
    x = tg.constant([1.0, 2.0])
    alias = x
    with tg.GradientTape() as tape:
        tape.watch(x)
        original = x._uid
        before = x * 1.0
        x += 3.0
        loss = tg.sum(x * x)
    assert alias is x
    assert x._uid != original  # a new identity on the tape
    assert x.numpy().tolist() == [4.0, 5.0]
    assert before.numpy().tolist() == [1.0, 2.0]  # recorded values stay as they were
    assert tape.gradient(loss, x).numpy().tolist() == [8.0, 10.0]


def test_setitem_inside_a_tape_is_differentiable_with_respect_to_both_sides():
    A = tg.Variable(np.ones((2, 2)))
    B = tg.Variable(np.zeros((3, 3)))
    with tg.GradientTape() as tape:
        C = B * 1.0
        C[:2, :2] = A
        loss = tg.sum(C * tg.constant(np.arange(9.0).reshape(3, 3)))
    dA, dB = tape.gradient(loss, [A, B])
    assert dA.numpy().tolist() == [[0.0, 1.0], [3.0, 4.0]]
    assert dB.numpy().tolist() == [[0.0, 0.0, 2.0], [0.0, 0.0, 5.0], [6.0, 7.0, 8.0]]


def test_slices_are_copies_not_views():
    t = tg.constant([1.0, 2.0, 3.0])
    s = t[1:]
    t[1:] = 0.0
    assert s.numpy().tolist() == [2.0, 3.0]
    assert t.numpy().tolist() == [1.0, 0.0, 0.0]


def test_writing_into_a_variable_assigns_it():
    v = tg.Variable([1.0, 2.0, 3.0])
    v[0] = 10.0
    assert v.numpy().tolist() == [10.0, 2.0, 3.0]


def test_at_updates_return_new_tensors():
    x = tg.constant([1.0, 2.0, 3.0])
    assert x.at[1].set(9.0).numpy().tolist() == [1.0, 9.0, 3.0]
    assert x.at[[0, 0]].add(1.0).numpy().tolist() == [3.0, 2.0, 3.0]  # repeats accumulate
    assert x.at[2].multiply(2.0).numpy().tolist() == [1.0, 2.0, 6.0]
    assert x.at[0].max(5.0).numpy().tolist() == [5.0, 2.0, 3.0]
    assert x.at[0].min(-5.0).numpy().tolist() == [-5.0, 2.0, 3.0]
    assert float(x.at[2].get()) == 3.0
    assert x.numpy().tolist() == [1.0, 2.0, 3.0]


def test_at_updates_with_repeated_positions_apply_every_write_as_jax_does():
    x = tg.constant([5.0, 1.0])
    assert x.at[[0, 0]].multiply(2.0).numpy().tolist() == [20.0, 1.0]
    assert x.at[[0, 1, 0]].multiply(tg.constant([2.0, 3.0, 5.0])).numpy().tolist() == [50.0, 3.0]
    assert x.at[[0, 0]].min(tg.constant([3.0, 4.0])).numpy().tolist() == [3.0, 1.0]
    assert x.at[[0, 0]].max(tg.constant([7.0, 6.0])).numpy().tolist() == [7.0, 1.0]
    assert x.at[[1, 1]].set(tg.constant([7.0, 6.0])).numpy().tolist() == [5.0, 6.0]


def test_a_repeated_write_that_set_replaces_gets_no_gradient():
    x, v = tg.constant([5.0, 1.0]), tg.constant([2.0, 3.0])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([x, v])
        y = tg.sum(x.at[[0, 0]].set(v) * tg.constant([10.0, 1.0]))
    assert tape.gradient(y, v).numpy().tolist() == [0.0, 10.0]
    assert tape.gradient(y, x).numpy().tolist() == [0.0, 1.0]
    with tg.ForwardAccumulator(v, tg.constant([1.0, 1.0])) as acc:
        y = tg.sum(x.at[[0, 0]].set(v) * tg.constant([10.0, 1.0]))
    assert float(acc.jvp(y)) == 10.0


def test_numpy_functions_on_tensors_are_recorded():
    x = tg.Variable(np.arange(6.0).reshape(2, 3))
    a = np.ones((4, 2))
    with tg.GradientTape() as tape:
        y = np.sum(np.dot(a, np.sin(x)), axis=0)
        total = np.sum(y) + x.sum() + np.mean(np.transpose(x))
    assert isinstance(y, tg.Tensor)
    expected = 4 * np.cos(np.arange(6.0).reshape(2, 3)) + 1 + 1 / 6
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), expected)


def test_ndarray_times_tensor_is_a_recorded_tensor():
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = np.float32(3.0) * x
    assert isinstance(y, tg.Tensor)
    assert float(tape.gradient(y, x)) == 3.0


def test_a_numpy_function_without_a_rule_names_itself():
    with pytest.raises(TypeError, match=r"numpy.linalg.multi_dot has no tapegrad rule"):
        np.linalg.multi_dot([tg.constant(np.eye(2))] * 3)
    with pytest.raises(TypeError, match=r"numpy.spacing \(__call__\) has no tapegrad rule"):
        np.spacing(tg.constant(1.0))


def test_out_arguments_are_refused():
    with pytest.raises(TypeError, match=r"numpy.sum\(..., out=...\)"):
        np.sum(tg.constant([1.0]), out=np.zeros(()))


def test_at_updates_keep_the_tensors_dtype_whether_or_not_positions_repeat():
    x = tg.constant([1.0, 2.0, 3.0])
    factor = tg.constant(2.0, dtype=tg.float64)
    assert x.at[[0, 2]].multiply(factor).dtype == tg.float32
    assert x.at[[0, 0]].multiply(factor).dtype == tg.float32
    i = tg.constant([1, 2, 3])
    assert i.at[[0, 0]].multiply(2).numpy().tolist() == [4, 2, 3]
    for index in ([0, 2], [0, 0]):
        with pytest.raises(TypeError, match="would truncate"):
            i.at[index].multiply(2.5)
    with pytest.raises(TypeError, match="the values written of dtype float32 to int32"):
        i.at[[0, 0]].max(tg.constant([1.5, 2.5]))


def test_at_updates_never_change_written_values_silently():
    i = tg.constant([1, 2, 3])
    u = tg.constant(np.array([1, 2], np.uint8))
    with pytest.raises(TypeError, match="would truncate"):
        i.at[0].set(tg.constant(1.5))
    with pytest.raises(TypeError, match="would truncate"):
        i.at[0].add(tg.constant(1.5))
    with pytest.raises(ValueError, match="outside uint8's range"):
        u.at[0].max(tg.constant(300, dtype=tg.int64))
    with pytest.raises(TypeError, match="drop the imaginary part"):
        tg.constant([1.0, 2.0]).at[0].set(1j)
    assert i.at[0].set(2.0).numpy().tolist() == [2, 2, 3]  # an integral float is exact


@pytest.mark.parametrize(
    "index",
    [(True, [0, -2]), (Ellipsis, [0, -2], True), (None, [0, 0])],
)
def test_at_counts_repeats_on_the_right_axis_whatever_surrounds_the_index_array(index):
    x = np.ones((2, 3)) if index[-1] is not True else np.ones((3, 2))
    expected = x.copy()
    np.multiply.at(expected, index, 2.0)
    assert tg.constant(x).at[index].multiply(2.0).numpy().tolist() == expected.tolist()


def test_item_assignment_never_truncates_wraps_or_drops_an_imaginary_part():
    ints = tg.constant([1, 2, 3])
    with pytest.raises(TypeError, match="would truncate"):
        ints[0] = 2.5
    with pytest.raises(ValueError, match="outside int8's range"):
        small = tg.constant(np.array([1, 2], np.int8))
        small[:] = np.array([300, -200])
    with pytest.raises(TypeError, match="would truncate"):
        tg.Variable([1, 2, 3])[0] = 2.5
    with pytest.raises(TypeError, match="imaginary part"):
        floats = tg.constant([1.0, 2.0])
        floats[0] = 1 + 2j
    assert ints.numpy().tolist() == [1, 2, 3]
    floats = tg.constant([1.0, 2.0, 3.0])
    floats[1:] = tg.constant([7.0, 8.0], dtype=tg.float64)
    assert floats.dtype == tg.float32 and floats.numpy().tolist() == [1.0, 7.0, 8.0]


def test_in_place_operators_keep_the_tensors_shape_and_dtype_as_numpy_does():
    # the shared object used to change dtype (int += 1.5) and shape (broadcast), for every alias
    t = tg.constant([1, 2, 3])
    with pytest.raises(TypeError) as caught:
        t += 1.5
    assert str(caught.value) == (
        "in-place add: the result is float32, which the int32 tensor cannot hold without loss; "
        "write t = t op v to make a new tensor, or cast v first"
    )
    t = tg.constant([1.0, 2.0, 3.0])
    with pytest.raises(ValueError) as caught:
        t += tg.ones((2, 3))
    assert str(caught.value) == (
        "in-place add: the result has shape (2, 3), not the tensor's (3,); write t = t op v to "
        "make a new tensor instead"
    )
    assert t.numpy().tolist() == [1.0, 2.0, 3.0]
    t += tg.constant([1.0, 1.0, 1.0], dtype=tg.float64)  # written back as float32, as NumPy
    assert (t.dtype, t.numpy().tolist()) == (tg.float32, [2.0, 3.0, 4.0])
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * 1.0
        y *= tg.constant(3.0, dtype=tg.float64)
    assert float(tape.gradient(y, x)) == 3.0


@pytest.mark.parametrize(
    "update, what",
    [
        (lambda v: v.assign_add([1.0]), "assign_add"),
        (lambda v: v.assign_sub(tg.constant([1.0])), "assign_sub"),
        (lambda v: v.__imul__([2.0]), "*="),
        (lambda v: v.__itruediv__(tg.constant([2.0])), "/="),
    ],
)
def test_variable_updates_refuse_a_value_that_would_broadcast(update, what):
    # TensorFlow refuses a delta of another shape; a (1,) delta used to reach every element
    v = tg.Variable([1.0, 2.0, 3.0])
    with pytest.raises(ValueError) as caught:
        update(v)
    assert str(caught.value) == (
        f"cannot {what} a value of shape (1,) to variable 'Variable:0' of shape (3,): give a "
        "value of the variable's shape, or a scalar"
    )
    v.assign_add(1.0)
    v *= 2.0
    assert v.numpy().tolist() == [4.0, 6.0, 8.0]


def test_in_place_integer_results_are_checked_not_wrapped():
    # t += v narrowed an integer result with an unchecked cast: int32 += 2**40 gave 1
    t = tg.constant([1])
    with pytest.raises(ValueError, match="outside int32's range"):
        t += tg.constant([2**40], dtype=tg.int64)
    assert t.numpy().tolist() == [1]
    u = tg.constant(np.array([1], np.uint8))
    with pytest.raises(TypeError) as caught:  # NumPy's same_kind rule refuses int8 into uint8
        u += tg.constant(np.array([-2], np.int8))
    assert str(caught.value) == (
        "in-place add: the result is int16, which the uint8 tensor cannot hold without loss; "
        "write t = t op v to make a new tensor, or cast v first"
    )
    t += tg.constant([2], dtype=tg.int64)
    assert (t.dtype, t.numpy().tolist()) == (tg.int32, [3])


def test_numpy_converting_a_recorded_tensor_itself_warns_that_the_gradient_is_cut():
    # np.sum([x0, x1]) and ndarray.dot(t) never reach tapegrad's dispatch: NumPy calls
    # __array__, and the result used to be silently constant to the tape
    x0, x1 = tg.Variable(1.0), tg.Variable(2.0)
    with tg.GradientTape() as tape:
        with pytest.warns(tg.GradientCutWarning, match="no gradient flows through the result"):
            y = np.sum([x0 * 3.0, x1]) + x0
    assert [g if g is None else float(g) for g in tape.gradient(y, [x0, x1])] == [1.0, None]
    with tg.GradientTape() as tape:
        with pytest.warns(tg.GradientCutWarning):
            np.ones((2, 2)).dot(tg.Variable([1.0, 2.0]))
    with warnings.catch_warnings():  # outside a tape, or a tensor no tape records: no warning
        warnings.simplefilter("error")
        assert np.asarray(x0).tolist() == 1.0
        with tg.GradientTape():
            np.asarray(tg.constant([1.0, 2.0]))


def test_converting_a_list_of_tensors_packs_them_on_the_tape_as_tensorflow():
    # tg.asarray / convert_to_tensor of [x0 * 3, x1] used to give a gradient of None
    x0, x1 = tg.Variable(1.0), tg.Variable(2.0)
    with tg.GradientTape(persistent=True) as tape:
        y = tg.sum(tg.asarray([x0 * 3.0, x1]) ** 2)
        z = tg.sum(tg.convert_to_tensor([[x0, 2.0], [x1, 1.0]]))
    assert [float(g) for g in tape.gradient(y, [x0, x1])] == [18.0, 4.0]
    assert [float(g) for g in tape.gradient(z, [x0, x1])] == [1.0, 1.0]
    wide = tg.convert_to_tensor([tg.constant(1.0, dtype=tg.float64), 2.0])
    assert (wide.dtype, wide.numpy().tolist()) == (tg.float64, [1.0, 2.0])
    with pytest.raises(TypeError, match="would truncate"):
        tg.asarray([tg.constant(1.5), 2], dtype=tg.int32)


def test_numpy_keywords_are_honoured_or_refused_never_dropped():
    # order="F", dtype=, where= and out= used to be dropped silently
    m = np.arange(6.0).reshape(2, 3)
    t = tg.constant(m)
    for shape in ((3, 2), -1):
        expected = np.reshape(m, shape, order="F").tolist()
        assert np.reshape(t, shape, order="F").numpy().tolist() == expected
    assert np.add(t, 1, dtype=np.float64).dtype == tg.float64
    assert np.concatenate([t, t], dtype=np.float32).dtype == tg.float32
    assert np.var(tg.constant([1, 2, 3]), dtype=np.float32).dtype == tg.float32
    with pytest.raises(TypeError) as caught:
        np.add(t, 1, where=m > 2)
    assert str(caught.value) == (
        "numpy.add on tensors takes no where=: compute with tapegrad functions (tg.where for "
        "where=)"
    )
    for call in (
        lambda: np.concatenate([t, t], out=np.zeros((4, 3))),
        lambda: np.var(t, out=np.zeros(())),
    ):
        with pytest.raises(TypeError, match="would write into an array outside the tape"):
            call()


def test_array_methods_a_numpy_user_reaches_for():
    t = tg.constant([[3.0, 1.0], [2.0, 4.0]])
    assert t.item(0) == 3.0 and t.tolist() == [[3.0, 1.0], [2.0, 4.0]]
    assert t.swapaxes(0, 1).numpy().tolist() == [[3.0, 2.0], [1.0, 4.0]]
    assert t.repeat(2, axis=0).shape == (4, 2)
    assert t.take([1], axis=1).numpy().tolist() == [[1.0], [4.0]]
    assert (t.itemsize, t.nbytes) == (4, 16)
    x = tg.constant([3.0, 1.0, 2.0])
    alias = x
    with tg.GradientTape() as tape:
        tape.watch(x)
        assert x.sort() is None  # in place, as NumPy's method: every name sees it sorted
        y = tg.sum(alias * tg.constant([1.0, 10.0, 100.0]))
    assert alias.numpy().tolist() == [1.0, 2.0, 3.0]
    # as after t[...] = v, x is a new value on the tape: the gradient is the sorted one's
    assert tape.gradient(y, x).numpy().tolist() == [1.0, 10.0, 100.0]


def test_diagonal_and_trace_follow_numpy_as_methods_and_through_numpy():
    # NumPy's axis1 and axis2 (the first two axes by default), unlike tg.linalg's last two
    a = np.arange(24.0).reshape(2, 3, 4)
    t = tg.constant(a)
    for options in (
        {},
        {"offset": 1},
        {"axis1": 1, "axis2": 2},
        {"offset": -1, "axis1": 2, "axis2": 0},
    ):
        assert t.diagonal(**options).numpy().tolist() == a.diagonal(**options).tolist()
        assert t.trace(**options).numpy().tolist() == a.trace(**options).tolist()
        assert np.trace(t, **options).numpy().tolist() == np.trace(a, **options).tolist()
    x = tg.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tg.GradientTape() as tape:
        y = x.trace() + tg.sum(np.diagonal(x, 1))
    assert tape.gradient(y, x).numpy().tolist() == [[1.0, 1.0], [0.0, 1.0]]


def test_a_tape_keeps_copies_of_the_callers_arrays_not_the_arrays_themselves():
    # TensorFlow and JAX convert their inputs: writing into an index or weight buffer after
    # the forward pass must not change the gradient
    x = tg.constant([1.0, 2.0, 3.0, 4.0])
    idx, weights = np.array([0, 1]), np.array([1.0, 2.0, 3.0, 4.0])
    mask = np.array([True, False, True, False])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        losses = [
            tg.sum(x[idx] ** 2),
            tg.sum(tg.take(x, idx)),
            tg.sum(x * weights),
            tg.sum(weights * x),
            tg.matmul(weights, x),
            tg.sum(tg.where(mask, x, 0.0)),
        ]
    idx[:] = [2, 3]
    weights[:] = 0.0
    mask[:] = False
    got = [tape.gradient(loss, x).numpy().tolist() for loss in losses]
    assert got == [
        [2.0, 4.0, 0.0, 0.0],
        [1.0, 1.0, 0.0, 0.0],
        [1.0, 2.0, 3.0, 4.0],
        [1.0, 2.0, 3.0, 4.0],
        [1.0, 2.0, 3.0, 4.0],
        [1.0, 0.0, 1.0, 0.0],
    ]
    # a reused index buffer inside the tape
    buffer = np.zeros(1, dtype=np.int64)
    with tg.GradientTape() as tape:
        tape.watch(x)
        loss = 0.0
        for k in range(2):
            buffer[0] = k
            loss = loss + x[buffer][0] * (k + 1)
    assert tape.gradient(loss, x).numpy().tolist() == [1.0, 2.0, 0.0, 0.0]


def test_forward_mode_through_a_write_into_a_tensor_holding_inf_is_finite():
    # the unwritten part's tangent was ans * 0, NaN where x holds -inf (a masked softmax)
    s = tg.constant(np.array([0.5, 1.5]))
    x = tg.constant(np.full(4, -np.inf))
    np.testing.assert_array_equal(
        tg.jacfwd(lambda q: x.at[:2].set(q))(s).numpy(), [[1, 0], [0, 1], [0, 0], [0, 0]]
    )

    def masked_softmax(q):
        scores = tg.full((4,), -np.inf, dtype=tg.float64)
        scores[:2] = q
        return tg.nn.softmax(scores)

    p = 1 / (1 + np.exp(-1.0))  # softmax([0.5, 1.5])[1]
    expected = p * (1 - p) * np.array([[1, -1], [-1, 1], [0, 0], [0, 0]])
    np.testing.assert_allclose(tg.jacfwd(masked_softmax)(s).numpy(), expected, rtol=1e-14)
    np.testing.assert_allclose(
        tg.jacobian(masked_softmax)(s).numpy(), expected, rtol=1e-14, atol=1e-17
    )
    hessian = tg.hessian(lambda q: masked_softmax(q)[0])(s).numpy()
    assert np.all(np.isfinite(hessian))


def test_written_values_may_carry_leading_axes_of_length_one_as_numpy_allows():
    x = tg.constant(np.zeros((3, 4)))
    v = tg.constant(np.ones((1, 4)))
    with tg.GradientTape() as tape:
        tape.watch(v)
        y = x * 1.0
        y[0] = v
        loss = tg.sum(y * tg.constant(np.arange(12.0).reshape(3, 4)))
    assert y.numpy()[0].tolist() == [1.0] * 4
    assert tape.gradient(loss, v).numpy().tolist() == [[0.0, 1.0, 2.0, 3.0]]
    assert tg.jacfwd(lambda b: x.at[0].set(b))(v).shape == (3, 4, 1, 4)
    assert x.at[0].add(v).numpy()[0].tolist() == [1.0] * 4
    assert x.at[0].max(v).numpy()[0].tolist() == [1.0] * 4
    with pytest.raises(ValueError) as caught:
        x.at[0].set(tg.constant(np.ones((2, 4))))
    assert str(caught.value) == (
        "x.at[...].set: cannot write a value of shape (2, 4) at a place of shape (4,) in a "
        "tensor of shape (3, 4): the value must broadcast to the shape it replaces"
    )
    with pytest.raises(ValueError) as caught:
        x.at[[0, 1]].add(tg.constant(np.ones(3)))
    assert str(caught.value).startswith("x.at[...].add: cannot write a value of shape (3,) at")


def test_take_along_axis_broadcasts_x_and_indices_in_values_and_gradients():
    x = tg.constant([[1.0, 2.0, 3.0, 4.0]])
    indices = np.array([[0, 3], [1, 1], [2, 0]])
    with tg.GradientTape() as tape:
        tape.watch(x)
        loss = tg.sum(tg.take_along_axis(x, indices, axis=1))
    assert tape.gradient(loss, x).numpy().tolist() == [[2.0, 2.0, 1.0, 1.0]]
    jac = tg.jacobian(lambda a: tg.take_along_axis(a, indices, axis=1))(x).numpy()
    np.testing.assert_array_equal(
        jac, tg.jacfwd(lambda a: tg.take_along_axis(a, indices, axis=1))(x).numpy()
    )
    flat = np.arange(18.0).reshape(3, 6)
    out = tg.take_along_axis(tg.constant(flat), np.array([0, 5, 17]), axis=None)
    assert out.numpy().tolist() == [0.0, 5.0, 17.0]
    with pytest.raises(IndexError) as caught:
        tg.take_along_axis(x, np.array([[0.0]]), axis=1)
    assert str(caught.value) == (
        "take_along_axis: indices must hold integers, not float64: cast with "
        "tg.astype(indices, tg.int64)"
    )
    with pytest.raises(ValueError) as caught:
        tg.take_along_axis(x, np.array([0]), axis=1)
    assert str(caught.value).startswith(
        "take_along_axis: indices of shape (1,) and x of shape (1, 4) must have the same number"
    )


def test_take_along_axis_broadcasts_on_dask_and_strict_as_on_numpy():
    da = pytest.importorskip("dask.array")
    xs = pytest.importorskip("array_api_strict")
    values = np.arange(18.0).reshape(3, 6)
    indices = np.array([[1, 1, 0]])
    expected = np.take_along_axis(values, indices, axis=1)
    lazy = tg.take_along_axis(
        tg.constant(da.from_array(values, chunks=2)),
        tg.constant(da.from_array(indices)),
        axis=1,
    )
    np.testing.assert_array_equal(lazy.numpy(), expected)
    strict = tg.constant(xs.asarray(np.arange(4.0)))
    assert strict[5:1:-2].numpy().tolist() == [3.0]
    assert strict[::-1].numpy().tolist() == [3.0, 2.0, 1.0, 0.0]
    assert strict[-1:-5:-1].numpy().tolist() == [3.0, 2.0, 1.0, 0.0]
    assert tg.constant(xs.asarray(np.zeros(0)))[::-1].shape == (0,)


@pytest.mark.parametrize("flag", [True, False, np.array(True), np.array(False)])
def test_scalar_booleans_beside_other_advanced_parts_are_indexes_of_one_axis(flag):
    x = tg.constant(np.arange(8.0).reshape(2, 2, 2))
    expected = np.arange(8.0).reshape(2, 2, 2)[0, :, flag]
    f = lambda a: a[0, :, flag]  # noqa: E731
    assert f(x).numpy().tolist() == expected.tolist()
    selection = np.eye(8)[np.arange(8).reshape(2, 2, 2)[0, :, flag].ravel()]
    want = selection.reshape(expected.shape + (2, 2, 2))
    np.testing.assert_array_equal(tg.jacobian(f)(x).numpy(), want)
    np.testing.assert_array_equal(tg.jacfwd(f)(x).numpy(), want)


def test_writing_a_list_of_tensors_packs_them_on_the_tape():
    a, b = tg.constant(2.0), tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        y = tg.zeros((3,))
        y[0:2] = [a, b]
        z = tg.zeros((3,)).at[1:].set([a, b * 2.0])
        y_sum, z_sum = tg.sum(y), tg.sum(z)
    assert y.numpy().tolist() == [2.0, 3.0, 0.0]
    assert [float(g) for g in tape.gradient(y_sum, [a, b])] == [1.0, 1.0]
    assert [float(g) for g in tape.gradient(z_sum, [a, b])] == [1.0, 2.0]


def test_at_max_and_min_share_ties_evenly_as_jax_and_take_every_repeat_at_once():
    x = tg.constant([1.0, 0.0])
    v = tg.constant([1.0, 1.0, -1.0])
    at = np.array([0, 0, 1])
    gx, gv = tg.grad(lambda a, b: tg.sum(a.at[at].max(b)), argnums=(0, 1))(x, v)
    np.testing.assert_allclose(gx.numpy(), [1 / 3, 1.0])  # three-way tie at 0; x wins at 1
    np.testing.assert_allclose(gv.numpy(), [1 / 3, 1 / 3, 0.0])
    _, tangent = tg.jvp(
        lambda a, b: a.at[at].max(b),
        (x, v),
        (tg.constant([3.0, 0.0]), tg.constant([6.0, 9.0, 1.0])),
    )
    assert tangent.numpy().tolist() == [6.0, 0.0]  # the mean of the tied tangents
    # a segment maximum: ten thousand writes into ten positions, one scatter (not 1,000 rounds)
    rng = np.random.default_rng(0)
    segments, values = rng.integers(0, 10, 10_000), rng.standard_normal(10_000)
    base = np.full(10, -np.inf)
    expected = base.copy()
    np.maximum.at(expected, segments, values)
    out = tg.constant(base).at[segments].max(tg.constant(values))
    np.testing.assert_array_equal(out.numpy(), expected)
    grad = tg.grad(lambda b: tg.sum(tg.constant(base).at[segments].max(b)))(tg.constant(values))
    assert grad.numpy().sum() == 10.0 and set(np.unique(grad.numpy())) == {0.0, 1.0}
    with pytest.raises(TypeError, match=r"x.at\[...\].min is not defined for complex tensors"):
        tg.constant([1j]).at[0].min(1.0)


@pytest.mark.parametrize("method", ["max", "min"])
def test_at_max_and_min_derivatives_match_numerical_ones(method):
    rng = np.random.default_rng(1)
    at = np.array([[0, 2], [2, 2], [1, 0]])

    def f(a, b):
        return getattr(a.at[at, 1], method)(b)

    check_grads(f, [rng.standard_normal((3, 2)), rng.standard_normal(2)], order=2)


def test_review_findings_on_writes_views_and_negative_slices():
    # a 0-d boolean in a written index adds an axis, as NumPy's (it was read as position 0)
    z = tg.constant(np.zeros((3, 4)))
    z[np.True_, 1] = np.ones(4)
    assert z.numpy()[1].tolist() == [1.0] * 4
    assert tg.constant(np.zeros(3)).at[np.True_].add(
        tg.constant([[1.0, 2.0, 3.0]])
    ).numpy().tolist() == [1.0, 2.0, 3.0]
    assert tg.constant(np.zeros((2, 3))).at[np.array(True), 1].max(5.0).numpy().tolist() == [
        [0.0, 0.0, 0.0],
        [5.0, 5.0, 5.0],
    ]
    # a read-only view of a writable array still sees writes into its base: copied too
    x = tg.constant([1.0, 2.0, 3.0])
    w = np.array([1.0, 2.0, 3.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(x * np.broadcast_to(w, (2, 3)))
    w[:] = 100.0
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 4.0, 6.0]


def test_strict_slices_with_negative_steps_select_what_numpys_do():
    xs = pytest.importorskip("array_api_strict")
    values = np.arange(4.0)
    strict = tg.constant(xs.asarray(values))
    for s in (
        slice(-10, None, -1),
        slice(5, 1, -2),
        slice(-1, -5, -1),
        slice(2, None, -1),
        slice(-10, -20, -1),
        slice(None, -10, -1),
    ):
        assert strict[s].numpy().tolist() == values[s].tolist(), s
