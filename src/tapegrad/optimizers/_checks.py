"""Type and range checks for the options of optimizers and learning-rate schedules, in one place
so that every bad value is refused in the same words ("beta_1 must lie in [0, 1), not 1.5").

Each class lists its checked options in ``_checks`` (option name -> ``Option``, or just the
interval text); ``Checked.__setattr__`` runs the check whenever such an attribute is set, in the
constructor or later (``opt.momentum = 5`` is refused as ``SGD(momentum=5)`` is).
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

import numpy as np

from .._dtypes import kind_of


class Option(NamedTuple):
    """``interval``: ``"bool"``, or an interval such as ``"[0, 1)"`` or ``"(0, inf)"``, prefixed
    with ``"int "`` for a whole number. ``none``: where None is allowed, what it means ("for no
    clipping"). ``why``: said after the value when it is out of range."""

    interval: str
    none: str | None = None
    why: str = ""


# epsilon keeps the steps of Adam, RMSprop and the like finite: with 0, a gradient that is zero
# from the start gives 0 / 0
EPSILON = Option("(0, inf)", why=": it keeps the step finite where the gradients are zero")


def python_number(value):
    """NumPy scalars and 0-d arrays as Python numbers (others unchanged): NumPy 2 promotes a
    float32 array times an np.float64 to float64, but not times a Python float."""
    if isinstance(value, (np.number, np.bool_)) or (type(value) is np.ndarray and value.ndim == 0):
        return value.item()
    return value


def option_number(value):
    """``python_number``, and a one-element real tensor or array as its Python number too, as
    Keras takes "a float value or a constant float tensor" for an option."""
    value = python_number(value)
    if hasattr(value, "dtype") and getattr(value, "size", None) == 1:
        if kind_of(value.dtype) in "iuf":
            return np.asarray(value).reshape(()).item()
    return value


def describe(value) -> str:
    """A value as messages show it: its type, then its repr (shortened), or for a tensor or an
    array its shape and dtype."""
    if value is None:
        return "None"
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, np.generic):
        return f"{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def check_option(name: str, value, spec: Option | str):
    """``value`` (NumPy numbers as Python ones) if it is what ``spec`` allows; else TypeError
    for a value of the wrong type, ValueError for one out of range."""
    spec = spec if isinstance(spec, Option) else Option(spec)
    value = option_number(value)
    if value is None and spec.none is not None:
        return None
    or_none = f" (or None {spec.none})" if spec.none is not None else ""
    if spec.interval == "bool":
        if type(value) is not bool:  # a truthy string or 1 is most likely a mistake
            raise TypeError(f"{name} must be True or False{or_none}, not {describe(value)}")
        return value
    integer, inside, wanted = _interval(spec.interval)
    # bool is an int to Python, but True as a rate or a count is a mistake
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        kind = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {kind}{or_none}, not {describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be finite{or_none}, not {value!r}")
    if not inside(value):
        raise ValueError(f"{name} must {wanted}{or_none}, not {value!r}{spec.why}")
    return value


@cache
def _interval(text: str):
    """``(integer, inside, wanted)`` for an interval text such as ``"[0, 1)"``:
    ``inside(value)`` tests it, ``wanted`` says it in words ("lie in [0, 1)", "be > 0")."""
    integer = text.startswith("int ")
    body = text[4:] if integer else text
    low, high = (float(part) for part in body[1:-1].split(","))
    closed_low, closed_high = body[0] == "[", body[-1] == "]"

    def inside(value) -> bool:
        above = value >= low if closed_low else value > low
        below = value <= high if closed_high else value < high
        return above and below

    kind = "an integer " if integer else ""
    if math.isinf(high):
        wanted = f"be {kind}{'>=' if closed_low else '>'} {low:g}"
    elif math.isinf(low):
        wanted = f"be {kind}{'<=' if closed_high else '<'} {high:g}"
    else:
        wanted = f"lie in {body}"
    return integer, inside, wanted


class Checked:
    """Runs the check of each option listed in ``_checks`` when it is set, and keeps NumPy
    numbers given as any option as Python numbers (see ``python_number``)."""

    _checks: dict = {}

    def __setattr__(self, name: str, value) -> None:
        spec = self._checks.get(name)
        value = python_number(value) if spec is None else check_option(name, value, spec)
        object.__setattr__(self, name, value)


def check_variable_dtype(owner: str, var, complex_ok: bool = True) -> None:
    """Refuse a variable an optimizer cannot update: an integer or bool one (each step would be
    truncated to a whole number), or for ``complex_ok=False`` (L-BFGS) a complex one."""
    kind = kind_of(var.dtype)
    if kind == "f" or (complex_ok and kind == "c"):
        return
    start = f"{owner} cannot update variable '{var.name}' of dtype {var.dtype}"
    if kind == "c":
        raise TypeError(
            f"{start}: it needs real floating-point variables; optimize the real and imaginary "
            "parts as two real variables"
        )
    floats = "floating-point or complex" if complex_ok else "real floating-point"
    raise TypeError(
        f"{start}: it updates {floats} variables only, as each step would be truncated to a "
        "whole number; create the variable with a float dtype, e.g. "
        "tg.Variable(value, dtype=tg.float32)"
    )
