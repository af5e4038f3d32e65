"""Gradient-table rows: elementwise functions, statistics, searching, sorting."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_gradients import DOMAINS, NONEMPTY, SHAPES, Row, _axis_and_keepdims, _one, _two

import tapegrad as tg
from tapegrad.ops import elementwise, statistics

DOMAINS.update(
    {
        "above_one": lambda rng, s: rng.uniform(1.2, 3.0, s),
        # a third grid, between "distinct" and "between": clip's bounds never meet x or each other
        "between_bounds": lambda rng, s: rng.integers(-5, 5, s) * 0.37 - 1.0 + 0.0925,
        # exact zeros among the values: products and scans must stay exact there
        "some_zeros": lambda rng, s: np.where(rng.random(s) < 0.3, 0.0, rng.uniform(-2, 2, s)),
    }
)

UNARY = dict(draw=_one())
AT_LEAST_1D = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3)
AT_LEAST_2 = hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3)


def _three(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    return (shapes.input_shapes, {})


def _statistic(data):
    shape = data.draw(AT_LEAST_2)
    kwargs = _axis_and_keepdims(data, shape)
    kwargs["correction"] = data.draw(st.sampled_from([0, 1, 0.5]))
    return ((shape,), kwargs)


def _scan_axis(data, shape):
    return data.draw(st.integers(-len(shape), len(shape) - 1))


def _cumulative(data):
    shape = data.draw(AT_LEAST_1D)
    return (
        (shape,),
        {"axis": _scan_axis(data, shape), "include_initial": data.draw(st.booleans())},
    )


def _numpy_scan(data):
    shape = data.draw(SHAPES)
    choices = [None] + list(range(-len(shape), len(shape)))
    return ((shape,), {"axis": data.draw(st.sampled_from(choices))})


def _linear_scan(data):
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=3)
    )
    ndim = min(len(s) for s in shapes.input_shapes)  # the scanned axis exists in both
    axis = data.draw(st.integers(-ndim, -1))
    return (shapes.input_shapes, {"axis": axis, "reverse": data.draw(st.booleans())})


def _scan(h, a, *, axis, reverse):
    return statistics._scan(h, a, axis=axis, reverse=reverse)


def _shift_draw(data):
    shape = data.draw(AT_LEAST_1D)
    kwargs = {"axis": data.draw(st.integers(-len(shape), -1)), "reverse": data.draw(st.booleans())}
    kwargs["fill"] = data.draw(st.sampled_from([0, 1]))
    return ((shape,), kwargs)


def _flip_draw(data):
    shape = data.draw(AT_LEAST_1D)
    return ((shape,), {"axis": data.draw(st.integers(-len(shape), -1))})


def _sorting(data):
    shape = data.draw(NONEMPTY)
    return (
        (shape,),
        {"axis": _scan_axis(data, shape), "descending": data.draw(st.booleans())},
    )


def _diff(data):
    shape = data.draw(AT_LEAST_1D)
    kwargs = {"axis": _scan_axis(data, shape), "n": data.draw(st.integers(0, 2))}
    if data.draw(st.booleans()):
        kwargs["prepend"] = 0.5
    if data.draw(st.booleans()):
        kwargs["append"] = -1.0
    return ((shape,), kwargs)


def _clip(x, lo, hi):
    return tg.clip(x, lo, hi)


ROWS: dict[str, Row] = {
    # elementwise
    "reciprocal": Row(tg.reciprocal, domains=("nonzero",), **UNARY),
    "copysign": Row(tg.copysign, domains=("nonzero", "nonzero"), draw=_two),
    "nextafter": Row(tg.nextafter, draw=_two),
    "hypot": Row(tg.hypot, domains=("nonzero", "nonzero"), draw=_two),
    "atan2": Row(tg.atan2, domains=("nonzero", "nonzero"), draw=_two),
    "logaddexp": Row(tg.logaddexp, draw=_two),
    "clip": Row(_clip, domains=("distinct", "between", "between_bounds"), draw=_three),
    "exp2": Row(tg.exp2, **UNARY),
    "log2": Row(tg.log2, domains=("positive",), **UNARY),
    "log10": Row(tg.log10, domains=("positive",), **UNARY),
    "asin": Row(tg.asin, domains=("unit",), **UNARY),
    "acos": Row(tg.acos, domains=("unit",), **UNARY),
    "atan": Row(tg.atan, **UNARY),
    "sinh": Row(tg.sinh, **UNARY),
    "cosh": Row(tg.cosh, **UNARY),
    "asinh": Row(tg.asinh, **UNARY),
    "acosh": Row(tg.acosh, domains=("above_one",), **UNARY),
    "atanh": Row(tg.atanh, domains=("unit",), **UNARY),
    "sinc": Row(tg.sinc, **UNARY),
    "_sinc_prime": Row(elementwise._sinc_prime, **UNARY),
    "trunc": Row(tg.trunc, domains=("off_integers",), **UNARY),
    "imag": Row(tg.imag, **UNARY),
    # statistics and scans
    "var": Row(tg.var, draw=_statistic),
    # std's derivatives grow as 1 / std: on a slice of nearly equal values the finite
    # differences, not the rules, lose their accuracy (at std = 0.014 the check's step gives a
    # second derivative 2e-5 off, while forward and reverse mode agree to 1e-15), so the values
    # of each slice are kept apart
    "std": Row(tg.std, draw=_statistic, domains=("distinct",)),
    "_cumsum": Row(tg.cumulative_sum, draw=_cumulative),
    "_cumprod": Row(tg.cumulative_prod, domains=("some_zeros",), draw=_cumulative),
    "_scan": Row(_scan, domains=("real", "some_zeros"), draw=_linear_scan),
    "_shift": Row(statistics._shift, draw=_shift_draw),
    "_flip": Row(statistics._flip, draw=_flip_draw),
    "cumsum": Row(tg.cumsum, draw=_numpy_scan),
    "cumprod": Row(tg.cumprod, draw=_numpy_scan),
    "diff": Row(tg.diff, draw=_diff),
    # sorting and sets
    "_sort": Row(tg.sort, domains=("distinct",), draw=_sorting),
    "_unique_values": Row(tg.unique_values, domains=("distinct",), draw=_one(SHAPES)),
}
