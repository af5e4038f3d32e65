"""Checks of option values shared by the engine and the API."""

from __future__ import annotations

import numpy as np


def flag(value, what: str) -> bool:
    """``value`` as a bool, refused unless it is one (a NumPy bool too): ``bool("False")`` is
    True, so a string or a number given for an on/off option would silently mean "on"."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise TypeError(f"{what} must be True or False, not {value!r}")


def function(f, what: str, fix: str = "") -> None:
    """Raise at once where something to call is not callable (as JAX does when a transform or
    a decorator is applied), rather than when it is first called."""
    if not callable(f):
        raise TypeError(f"{what}, not {type(f).__name__} {f!r:.60}{fix}")
