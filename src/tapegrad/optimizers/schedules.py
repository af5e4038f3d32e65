"""Learning-rate schedules with Keras 3's signatures and formulas (``tg.optimizers.schedules``).

A schedule is a callable of the step (the optimizer's ``iterations``, counted from 0) that
returns the learning rate as a Python float. Any other callable of the step works as a
``learning_rate`` too. Values are computed in float64; Keras computes them in the dtype of
``initial_learning_rate`` (float32 for a Python float), so they agree to float32 precision.
"""

from __future__ import annotations

import math

from ._checks import Checked, Option, check_option

_STEPS = Option("(0, inf)", why=": it is a number of steps")

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
]


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step)`` and ``get_config()``."""

    def __call__(self, step) -> float:
        raise NotImplementedError(
            f"learning-rate schedule {type(self).__name__} must define __call__(self, step)"
        )

    def get_config(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Schedule(Checked, LearningRateSchedule):
    """The schedules below: their options are checked whenever they are set (see Checked)."""

    _checks = {
        # a negative rate would climb the loss
        "initial_learning_rate": "[0, inf)",
        "decay_steps": _STEPS,
        "staircase": "bool",
    }


def _step(step) -> float:
    """The step as a float: an int, a float, a NumPy number, or a one-element tensor; a real
    number >= 0 (a string would be read as a number, a negative step would extrapolate)."""
    if type(step) is int and step >= 0:  # an optimizer's step: nothing more to check
        return float(step)
    return float(check_option("the step", step, "[0, inf)"))  # tensors and arrays too


class ExponentialDecay(_Schedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``; with ``staircase=True``
    the exponent is rounded down.

    >>> from tapegrad.optimizers.schedules import ExponentialDecay
    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> schedule(0), schedule(10), schedule(20)
    (0.1, 0.05, 0.025)
    """

    # a negative rate would give complex or alternating rates, zero no step after the first
    _checks = {**_Schedule._checks, "decay_rate": "(0, inf)"}

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step) -> float:
        p = _step(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate**p


class PiecewiseConstantDecay(_Schedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``step <= boundaries[1]``, ..., and ``values[-1]`` after the last boundary.

    >>> from tapegrad.optimizers.schedules import PiecewiseConstantDecay
    >>> schedule = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> schedule(100), schedule(101), schedule(201)
    (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries: list, values: list, name: str = "PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                f"PiecewiseConstantDecay needs one more value than boundaries; got "
                f"boundaries={boundaries} (length {len(boundaries)}) and values={values} "
                f"(length {len(values)})"
            )
        boundaries = [
            check_option(f"boundaries[{i}]", b, "(-inf, inf)") for i, b in enumerate(boundaries)
        ]
        values = [check_option(f"values[{i}]", v, "[0, inf)") for i, v in enumerate(values)]
        if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(f"boundaries must increase strictly, not {boundaries}")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step) -> float:
        step = _step(step)
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]


class PolynomialDecay(_Schedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps`` as
    ``(initial - end) * (1 - step / decay_steps) ** power + end``, then constant; with
    ``cycle=True`` the decay restarts, over the first multiple of ``decay_steps`` above the step.

    >>> from tapegrad.optimizers.schedules import PolynomialDecay
    >>> schedule = PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)
    >>> [schedule(s) for s in (0, 1, 4, 8)]
    [1.0, 0.75, 0.0, 0.0]
    """

    # a negative power is infinite at the end of the decay
    _checks = {
        **_Schedule._checks,
        "end_learning_rate": "[0, inf)",
        "power": "[0, inf)",
        "cycle": "bool",
    }

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step) -> float:
        step = _step(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / self.decay_steps)
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1 - p) ** self.power + self.end_learning_rate


class InverseTimeDecay(_Schedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``; with
    ``staircase=True`` the ratio ``step / decay_steps`` is rounded down.

    >>> from tapegrad.optimizers.schedules import InverseTimeDecay
    >>> schedule = InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)
    >>> schedule(0), schedule(2)
    (1.0, 0.5)
    """

    # a negative rate divides by zero, then gives negative rates
    _checks = {**_Schedule._checks, "decay_rate": "[0, inf)"}

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step) -> float:
        p = _step(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1 + self.decay_rate * p)


def _cosine(fraction: float, alpha: float) -> float:
    return (1 - alpha) * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha


class CosineDecay(_Schedule):
    """Cosine decay from the starting rate to ``alpha`` times it over ``decay_steps``, after an
    optional linear warmup from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps`` (then the decay starts from ``warmup_target``).

    >>> from tapegrad.optimizers.schedules import CosineDecay
    >>> schedule = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=5)
    >>> schedule(0), schedule(5), schedule(10), schedule(15)
    (0.0, 1.0, 0.5, 0.0)
    """

    # alpha beyond 1 makes the rate grow, below 0 end negative
    _checks = {
        **_Schedule._checks,
        "alpha": "[0, 1]",
        "warmup_target": Option("[0, inf)", none="for no warmup"),
        "warmup_steps": "[0, inf)",
    }

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step) -> float:
        step = _step(step)
        if self.warmup_target is None:
            fraction = min(step, self.decay_steps) / self.decay_steps
            return self.initial_learning_rate * _cosine(fraction, self.alpha)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return delta * step / self.warmup_steps + self.initial_learning_rate
        fraction = (step - self.warmup_steps) / self.decay_steps
        return self.warmup_target * _cosine(fraction, self.alpha)


class CosineDecayRestarts(_Schedule):
    """Cosine decay with warm restarts (SGDR): the first period lasts ``first_decay_steps``;
    each restart lasts ``t_mul`` times longer and starts from ``m_mul`` times the previous
    starting rate; each period decays to ``alpha`` times ``initial_learning_rate``.

    >>> from tapegrad.optimizers.schedules import CosineDecayRestarts
    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    >>> schedule(0), schedule(5), schedule(10), schedule(20)
    (1.0, 0.5, 0.5, 0.25)
    """

    _checks = {
        **_Schedule._checks,
        "first_decay_steps": _STEPS,
        # with t_mul < 1 the periods shrink, and all of them together end after
        # first_decay_steps / (1 - t_mul) steps: no rate is defined after that
        "t_mul": Option("[1, inf)", why=": with t_mul < 1 the periods shrink to nothing"),
        "m_mul": "[0, inf)",
        "alpha": "[0, 1]",
    }

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ):
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step) -> float:
        fraction = _step(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:  # periods grow geometrically: find the restart whose period holds the step
            restart = self._restart(fraction)
            fraction = (fraction - self._done(restart)) / self.t_mul**restart
        decayed = (1 - self.alpha) * 0.5 * self.m_mul**restart * (1 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * (decayed + self.alpha)

    def _done(self, restart: int) -> float:
        """The length of the periods before ``restart``, in first periods."""
        return (1 - self.t_mul**restart) / (1 - self.t_mul)

    def _restart(self, fraction: float) -> int:
        """The restart whose period holds ``fraction`` (the step in first periods): Keras's
        estimate, corrected by one where rounding put it past an end of the period. At an exact
        restart step the logarithms may fall just short (log(243) / log(3) is 4.999...), which
        would end the previous period at alpha instead of restarting."""
        t_mul = self.t_mul
        restart = math.floor(math.log(1 - fraction * (1 - t_mul)) / math.log(t_mul))
        if fraction >= self._done(restart + 1):
            return restart + 1
        if fraction < self._done(restart):
            return restart - 1
        return restart
