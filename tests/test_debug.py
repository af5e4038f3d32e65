"""tg.debug.check_numerics: the first operation whose forward or backward result holds NaN or Inf
raises FloatingPointError naming the operation, its input shapes and the line that called it."""

import inspect
import re

import numpy as np
import pytest

import tapegrad as tg

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns, then we raise


def next_line() -> int:
    """The number of the line after the caller's."""
    return inspect.currentframe().f_back.f_lineno + 1


# -- forward results -------------------------------------------------------------------------------
def test_log_of_a_negative_number():
    x = tg.constant([-1.0, 1.0])
    with tg.debug.check_numerics():
        with pytest.raises(FloatingPointError) as caught:
            line = next_line()
            tg.log(x)
    assert str(caught.value) == (
        f"log produced NaN in its forward result; input shapes [(2,)]; called at {__file__}:{line}"
    )


def test_zero_divided_by_zero():
    zeros = tg.constant(np.zeros((2, 3)))
    with tg.debug.check_numerics():
        with pytest.raises(FloatingPointError) as caught:
            line = next_line()
            zeros / zeros
    assert str(caught.value) == (
        "divide produced NaN in its forward result; input shapes [(2, 3), (2, 3)]; "
        f"called at {__file__}:{line}"
    )


def test_division_by_zero_gives_inf():
    with tg.debug.check_numerics():
        with pytest.raises(FloatingPointError) as caught:
            line = next_line()
            tg.constant([1.0, 2.0]) / tg.constant(0.0)
    assert str(caught.value) == (
        "divide produced Inf in its forward result; input shapes [(2,), ()]; "
        f"called at {__file__}:{line}"
    )


def test_overflow_gives_inf():
    with tg.debug.check_numerics():
        with pytest.raises(FloatingPointError) as caught:
            line = next_line()
            tg.exp(tg.constant([[1.0], [1000.0]]))
    assert str(caught.value) == (
        "exp produced Inf in its forward result; input shapes [(2, 1)]; "
        f"called at {__file__}:{line}"
    )


def test_the_first_bad_operation_is_the_one_named():
    x = tg.constant([-1.0])
    with tg.debug.check_numerics():
        with pytest.raises(FloatingPointError) as caught:
            y = tg.sqrt(x * 2.0 + 1.0)  # -1: NaN here
            tg.log(y)
    assert str(caught.value).startswith("sqrt produced NaN in its forward result")


def test_an_operation_on_a_nan_made_outside_the_block_is_named():
    bad = tg.log(tg.constant(-1.0))  # not checked: outside the block
    with tg.debug.check_numerics():
        with pytest.raises(FloatingPointError) as caught:
            line = next_line()
            bad + 1.0
    assert str(caught.value) == (
        "add produced NaN in its forward result; input shapes [(), ()]; "
        f"called at {__file__}:{line}"
    )


def test_a_nan_inside_a_helper_names_the_helpers_line():
    def entropy(p):
        return -tg.sum(p * tg.log(p))

    helper_line = inspect.getsourcelines(entropy)[1] + 1
    with tg.debug.check_numerics():
        with pytest.raises(FloatingPointError) as caught:
            entropy(tg.constant([0.5, -0.5]))
    assert str(caught.value) == (
        "log produced NaN in its forward result; input shapes [(2,)]; "
        f"called at {__file__}:{helper_line}"
    )


def test_a_nan_while_a_tape_records_is_caught():
    x = tg.Variable([-1.0, 4.0])
    with tg.debug.check_numerics():
        with tg.GradientTape():
            with pytest.raises(FloatingPointError, match="^log produced NaN in its forward result"):
                tg.log(x)


# -- backward results ------------------------------------------------------------------------------
def test_the_gradient_of_sqrt_at_zero():
    x = tg.constant([0.0, 4.0])
    with tg.debug.check_numerics():
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = tg.sum(tg.sqrt(x))  # finite: [0, 2]
        with pytest.raises(FloatingPointError) as caught:
            line = next_line()
            tape.gradient(y, x)
    message = str(caught.value)
    assert "produced Inf in its backward result (in the gradient rule of sqrt, for its" in message
    assert "input shapes [(2,)" in message
    assert message.endswith(f"called at {__file__}:{line}")


def test_the_gradient_of_sqrt_at_zero_exact_message():
    x = tg.constant([0.0, 4.0])
    with tg.debug.check_numerics():
        with tg.GradientTape() as tape:
            tape.watch(x)
            forward_line = next_line()
            y = tg.sum(tg.sqrt(x))
        with pytest.raises(FloatingPointError) as caught:
            line = next_line()
            tape.gradient(y, x)
    assert str(caught.value) == (
        "divide produced Inf in its backward result (in the gradient rule of sqrt, for its call "
        f"at {__file__}:{forward_line}); input shapes [(2,), (2,)]; called at {__file__}:{line}"
    )


def test_a_backward_failure_names_the_forward_call_among_several_of_the_same_op():
    x = tg.constant([0.0, 4.0])
    with tg.debug.check_numerics():
        with tg.GradientTape() as tape:
            tape.watch(x)
            fine = tg.sqrt(x + 1.0)
            bad_line = next_line()
            bad = tg.sqrt(x)
            y = tg.sum(fine * bad)
        with pytest.raises(FloatingPointError) as caught:
            tape.gradient(y, x)
    assert f"(in the gradient rule of sqrt, for its call at {__file__}:{bad_line});" in str(
        caught.value
    )


def test_a_tape_recorded_outside_the_block_is_checked_in_its_backward():
    x = tg.constant([0.0, 1.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(tg.sqrt(x))
    with tg.debug.check_numerics():
        with pytest.raises(FloatingPointError) as caught:
            line = next_line()
            tape.gradient(y, x)
    # the forward call was not seen by the block: the rule is named, without a line of its own
    assert str(caught.value) == (
        "divide produced Inf in its backward result (in the gradient rule of sqrt); "
        f"input shapes [(2,), (2,)]; called at {__file__}:{line}"
    )


def test_the_remembered_forward_lines_are_bounded():
    checker = tg.debug.check_numerics()
    checker._REMEMBERED = 3
    x = tg.constant(1.0)
    with checker:
        for _ in range(10):
            x = x + 1.0
    assert len(checker._called_at) == 3 and x._uid in checker._called_at


def test_the_gradient_of_sqrt_at_zero_through_grad():
    with tg.debug.check_numerics():
        with pytest.raises(FloatingPointError, match="in the gradient rule of sqrt"):
            tg.grad(lambda x: tg.sum(tg.sqrt(x)))(tg.constant([0.0, 1.0]))


# -- nothing to report -----------------------------------------------------------------------------
def test_finite_computations_raise_nothing():
    x = tg.Variable([[0.5, 1.0], [2.0, 4.0]], dtype=tg.float64)
    with tg.debug.check_numerics():
        with tg.GradientTape() as tape:
            y = tg.sum(tg.log(x) * tg.sqrt(x) + tg.exp(-x) / x)
        g = tape.gradient(y, x)
        h = tg.hessian(lambda t: tg.sum(tg.sqrt(t) * tg.log(t)))(x)
    xs = np.array([[0.5, 1.0], [2.0, 4.0]])
    expected = (1 / xs) * np.sqrt(xs) + np.log(xs) / (2 * np.sqrt(xs))
    expected += -np.exp(-xs) / xs - np.exp(-xs) / xs**2
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-12)
    assert h.shape == (2, 2, 2, 2)


def test_integer_and_boolean_results_are_not_checked():
    with tg.debug.check_numerics():
        n = tg.constant([1, 2, 3]) // tg.constant([1, 1, 1])
        mask = tg.constant([1.0, 2.0]) > 1.5
    assert n.numpy().tolist() == [1, 2, 3]
    assert mask.numpy().tolist() == [False, True]


def test_the_block_returns_the_checker():
    with tg.debug.check_numerics() as checker:
        pass
    assert isinstance(checker, tg.debug.check_numerics)


# -- only inside the block -------------------------------------------------------------------------
def test_inactive_before_and_after_the_block():
    assert np.isnan(tg.log(tg.constant(-1.0)).numpy())
    with tg.debug.check_numerics():
        tg.log(tg.constant(1.0))
    assert np.isnan(tg.log(tg.constant(-1.0)).numpy())


def test_inactive_after_the_block_exits_with_the_error():
    with pytest.raises(FloatingPointError):
        with tg.debug.check_numerics():
            tg.log(tg.constant(-1.0))
    assert np.isnan(tg.log(tg.constant(-1.0)).numpy())
    x = tg.constant([0.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(tg.sqrt(x))
    assert np.isinf(tape.gradient(y, x).numpy()).all()


def test_nested_blocks_stay_active_until_the_outer_one_exits():
    with tg.debug.check_numerics():
        with tg.debug.check_numerics():
            pass
        with pytest.raises(FloatingPointError):
            tg.log(tg.constant(-1.0))
    assert np.isnan(tg.log(tg.constant(-1.0)).numpy())


def test_inactive_in_another_thread():
    import threading

    results = []

    def other():
        results.append(float(tg.log(tg.constant(-1.0))))

    with tg.debug.check_numerics():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert len(results) == 1 and np.isnan(results[0])


def test_an_inf_from_a_forward_mode_rule_names_the_rule_and_the_tangent():
    x = tg.constant(0.0)
    message = "divide produced Inf in its tangent computation (in the forward-mode rule of sqrt)"
    with pytest.raises(FloatingPointError, match=re.escape(message)):
        with np.errstate(divide="ignore"), tg.debug.check_numerics():
            with tg.ForwardAccumulator(x, tg.constant(1.0)):
                tg.sqrt(x)


def test_a_negative_order_norm_with_a_zero_entry_makes_no_inf_on_the_way():
    with tg.debug.check_numerics():
        assert float(tg.linalg.vector_norm(tg.constant([0.0, 1.0]), ord=-1)) == 0.0
