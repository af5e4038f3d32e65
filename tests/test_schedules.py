"""Learning-rate schedules: Keras 3's signatures, defaults and values, computed by hand."""

import math
import re

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

STEPS = [0, 1, 5, 9, 10, 11, 25, 100]


def test_exponential_decay():
    schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    got = [schedule(s) for s in STEPS]
    assert got == pytest.approx([0.1 * 0.5 ** (s / 10) for s in STEPS], rel=1e-15)
    stairs = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [stairs(s) for s in (0, 9, 10, 19, 20)] == [0.1, 0.1, 0.05, 0.05, 0.025]


def test_piecewise_constant_decay_switches_after_each_boundary():
    schedule = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [schedule(s) for s in (0, 10, 11, 20, 21, 1000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_piecewise_constant_decay_needs_one_more_value():
    message = (
        "PiecewiseConstantDecay needs one more value than boundaries; got boundaries=[10] "
        "(length 1) and values=[1.0] (length 1)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        PiecewiseConstantDecay([10], [1.0])
    with pytest.raises(ValueError, match=re.escape("boundaries must increase strictly")):
        PiecewiseConstantDecay([10, 5], [1.0, 0.5, 0.1])


def test_polynomial_decay_reaches_the_end_rate_and_stays():
    schedule = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=0.5)
    want = [(0.1 - 0.01) * (1 - min(s, 10) / 10) ** 0.5 + 0.01 for s in STEPS]
    assert [schedule(s) for s in STEPS] == pytest.approx(want, rel=1e-15)
    assert PolynomialDecay(1.0, 10).end_learning_rate == 0.0001  # Keras's default


def test_polynomial_decay_cycles_over_multiples_of_decay_steps():
    schedule = PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    assert schedule(0) == 1.0
    assert schedule(5) == 0.5
    assert schedule(10) == 0.0  # ceil(10 / 10) = 1: the end of the first cycle
    assert schedule(15) == pytest.approx(1 - 15 / 20, rel=1e-15)
    assert schedule(25) == pytest.approx(1 - 25 / 30, rel=1e-15)


def test_inverse_time_decay():
    schedule = InverseTimeDecay(0.5, decay_steps=4, decay_rate=2.0)
    assert [schedule(s) for s in STEPS] == pytest.approx(
        [0.5 / (1 + 2.0 * s / 4) for s in STEPS], rel=1e-15
    )
    stairs = InverseTimeDecay(0.5, decay_steps=4, decay_rate=2.0, staircase=True)
    assert [stairs(s) for s in (0, 3, 4, 7, 8)] == [0.5, 0.5, 0.5 / 3, 0.5 / 3, 0.1]


def cosine(fraction, alpha):
    return (1 - alpha) * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha


def test_cosine_decay_without_warmup():
    schedule = CosineDecay(0.2, decay_steps=10, alpha=0.1)
    want = [0.2 * cosine(min(s, 10) / 10, 0.1) for s in STEPS]
    assert [schedule(s) for s in STEPS] == pytest.approx(want, rel=1e-15)
    assert schedule(1000) == pytest.approx(0.02, rel=1e-15)


def test_cosine_decay_with_linear_warmup():
    schedule = CosineDecay(0.0, decay_steps=20, alpha=0.0, warmup_target=0.5, warmup_steps=10)
    assert [schedule(s) for s in (0, 1, 5, 9)] == pytest.approx([0.0, 0.05, 0.25, 0.45])
    assert schedule(10) == 0.5
    assert schedule(20) == pytest.approx(0.25, rel=1e-15)
    assert schedule(30) == pytest.approx(0.0, abs=1e-17)
    assert schedule(31) == schedule(30)


def restarts_by_hand(step, lr, first, t_mul, m_mul, alpha):
    """Walk period by period: each is t_mul times longer and m_mul times higher."""
    start, length, scale = 0.0, float(first), 1.0
    while step >= start + length:
        start, length, scale = start + length, length * t_mul, scale * m_mul
    fraction = (step - start) / length
    return lr * ((1 - alpha) * scale * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha)


@pytest.mark.parametrize(
    "t_mul, m_mul, alpha", [(2.0, 1.0, 0.0), (1.0, 0.5, 0.1), (1.5, 0.8, 0.05)]
)
def test_cosine_decay_restarts(t_mul, m_mul, alpha):
    schedule = CosineDecayRestarts(0.3, 10, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    steps = [0, 3, 9, 10, 11, 24, 29, 30, 31, 55, 69, 70, 100]
    want = [restarts_by_hand(s, 0.3, 10, t_mul, m_mul, alpha) for s in steps]
    assert [schedule(s) for s in steps] == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_cosine_decay_restarts_restart_at_exact_restart_steps():
    """log(243) / log(3) is 4.999999999999999 in floats: the restart index is corrected, so the
    step that begins a period restarts rather than ending the last one at alpha."""
    assert CosineDecayRestarts(1.0, 10, t_mul=3.0, m_mul=0.5)(1210) == 0.03125
    assert CosineDecayRestarts(1.0, 7, t_mul=10.0)(777) == 1.0
    assert CosineDecayRestarts(1.0, 7, t_mul=10.0, alpha=0.25)(776) == pytest.approx(
        restarts_by_hand(776, 1.0, 7, 10.0, 1.0, 0.25), rel=1e-12
    )
    for t_mul in (1.5, 2.0, 3.0, 5.0, 10.0):
        schedule = CosineDecayRestarts(1.0, 8, t_mul=t_mul, m_mul=0.5)
        start, length = 0.0, 8.0
        for restart in range(1, 10):
            start, length = start + length, length * t_mul
            if start == int(start):  # a period that begins at a whole step
                assert schedule(int(start)) == 0.5**restart, (t_mul, restart)


def test_keras_defaults_and_names():
    assert CosineDecayRestarts(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "first_decay_steps": 10,
        "t_mul": 2.0,
        "m_mul": 1.0,
        "alpha": 0.0,
        "name": "SGDRDecay",
    }
    assert CosineDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "alpha": 0.0,
        "name": "CosineDecay",
        "warmup_target": None,
        "warmup_steps": 0,
    }
    assert ExponentialDecay(0.1, 10, 0.9).name == "ExponentialDecay"
    assert PiecewiseConstantDecay([1], [1.0, 0.5]).name == "PiecewiseConstant"
    assert PolynomialDecay(0.1, 10).get_config()["power"] == 1.0
    assert InverseTimeDecay(0.1, 10, 0.5).staircase is False


def test_from_config_round_trip_and_repr():
    schedule = PolynomialDecay(0.1, 10, end_learning_rate=0.0, power=2.0, cycle=True)
    again = PolynomialDecay.from_config(schedule.get_config())
    assert [again(s) for s in STEPS] == [schedule(s) for s in STEPS]
    assert repr(ExponentialDecay(0.1, 10, 0.5)) == (
        "ExponentialDecay(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, "
        "staircase=False, name='ExponentialDecay')"
    )


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
        (lambda: PolynomialDecay(0.1, -1), "decay_steps"),
        (lambda: InverseTimeDecay(0.1, 0, 0.5), "decay_steps"),
        (lambda: CosineDecay(0.1, 0), "decay_steps"),
        (lambda: CosineDecayRestarts(0.1, 0), "first_decay_steps"),
    ],
)
def test_steps_must_be_positive(make, name):
    with pytest.raises(ValueError, match=re.escape(f"{name} must be > 0, not ")):
        make()


def test_the_step_may_be_a_tensor_or_numpy_integer():
    schedule = ExponentialDecay(1.0, 2, 0.5)
    assert schedule(tg.constant(2)) == schedule(np.int64(2)) == schedule(2) == 0.5


def test_a_custom_schedule_subclass_drives_an_optimizer():
    class Halving(LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / 2**step

    opt = tg.optimizers.SGD(Halving())
    w = tg.Variable(np.float64(0.0))
    for _ in range(3):
        opt.apply_gradients([(tg.constant(np.float64(1.0)), w)])
    assert float(w) == -1.75
    assert opt.learning_rate == 0.125


def test_the_base_class_says_what_to_implement():
    with pytest.raises(NotImplementedError, match=re.escape("must define __call__(self, step)")):
        LearningRateSchedule()(0)


def test_a_schedule_with_an_optimizer_sees_the_iteration_count():
    schedule = CosineDecay(1.0, decay_steps=4, warmup_target=2.0, warmup_steps=2)
    opt = tg.optimizers.SGD(schedule)
    w = tg.Variable(np.float64(0.0))
    rates = []
    for _ in range(6):
        rates.append(opt.learning_rate)
        opt.apply_gradients([(tg.constant(np.float64(1.0)), w)])
    assert rates == pytest.approx([schedule(s) for s in range(6)], rel=1e-15)
    assert float(w) == pytest.approx(-sum(rates), rel=1e-15)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (
            lambda: ExponentialDecay(-0.1, 10, 0.5),
            ValueError,
            "initial_learning_rate must be >= 0, not -0.1",
        ),
        (
            lambda: PolynomialDecay(math.inf, 10),
            ValueError,
            "initial_learning_rate must be finite, not inf",
        ),
        (lambda: ExponentialDecay(0.1, 10, -0.5), ValueError, "decay_rate must be > 0, not -0.5"),
        (lambda: ExponentialDecay(0.1, 10, 0), ValueError, "decay_rate must be > 0, not 0"),
        (lambda: InverseTimeDecay(0.1, 10, -1.0), ValueError, "decay_rate must be >= 0, not -1.0"),
        (lambda: CosineDecay(0.1, 10, alpha=2), ValueError, "alpha must lie in [0, 1], not 2"),
        (
            lambda: CosineDecay(0.1, 10, warmup_steps=-3),
            ValueError,
            "warmup_steps must be >= 0, not -3",
        ),
        (
            lambda: CosineDecay(0.0, 10, warmup_target=-1.0, warmup_steps=2),
            ValueError,
            "warmup_target must be >= 0 (or None for no warmup), not -1.0",
        ),
        (
            lambda: CosineDecayRestarts(0.1, 10, t_mul=0),
            ValueError,
            "t_mul must be >= 1, not 0: with t_mul < 1 the periods shrink to nothing",
        ),
        (lambda: CosineDecayRestarts(0.1, 10, m_mul=-1), ValueError, "m_mul must be >= 0, not -1"),
        (
            lambda: CosineDecayRestarts(0.1, 10, alpha=-0.5),
            ValueError,
            "alpha must lie in [0, 1], not -0.5",
        ),
        (lambda: PolynomialDecay(0.1, 10, power=-1), ValueError, "power must be >= 0, not -1"),
        (
            lambda: PolynomialDecay(0.1, 10, end_learning_rate=-0.1),
            ValueError,
            "end_learning_rate must be >= 0, not -0.1",
        ),
        (
            lambda: PiecewiseConstantDecay([1, 2], [0.1, -0.1, 0.1]),
            ValueError,
            "values[1] must be >= 0, not -0.1",
        ),
        (
            lambda: PiecewiseConstantDecay([1, "a"], [0.1, 0.1, 0.1]),
            TypeError,
            "boundaries[1] must be a real number, not str 'a'",
        ),
        (
            lambda: ExponentialDecay(0.1, "10", 0.5),
            TypeError,
            "decay_steps must be a real number, not str '10'",
        ),
        (
            lambda: ExponentialDecay(0.1, 10, 0.5, staircase="no"),
            TypeError,
            "staircase must be True or False, not str 'no'",
        ),
    ],
)
def test_options_that_make_no_sense_are_refused(make, error, message):
    with pytest.raises(error) as caught:
        make()
    assert type(caught.value) is error
    assert str(caught.value) == message


def test_options_set_later_are_checked_too():
    schedule = CosineDecay(0.1, 10)
    with pytest.raises(ValueError) as caught:
        schedule.alpha = 2
    assert str(caught.value) == "alpha must lie in [0, 1], not 2"
    schedule.alpha = np.float64(0.5)
    assert type(schedule.alpha) is float


@pytest.mark.parametrize(
    "step, error, message",
    [
        ("5", TypeError, "the step must be a real number, not str '5'"),
        (None, TypeError, "the step must be a real number, not None"),
        (-5, ValueError, "the step must be >= 0, not -5"),
        (math.nan, ValueError, "the step must be finite, not nan"),
    ],
)
def test_the_step_must_be_a_number_at_least_zero(step, error, message):
    with pytest.raises(error) as caught:
        ExponentialDecay(0.1, 10, 0.5)(step)
    assert str(caught.value) == message


def test_the_step_may_be_a_0d_array_or_a_float():
    schedule = ExponentialDecay(1.0, 2, 0.5)
    assert schedule(np.array(2)) == schedule(2.0) == 0.5
