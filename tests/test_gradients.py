"""One row per differentiable function: check_grads to second order, forward and reverse, in
float64, over shapes drawn by Hypothesis (scalars, broadcasting, zero-size arrays), with inputs
drawn from each function's domain. A second test fails when a registered primitive has no row,
and a third checks leading batch axes on cotangents against row-by-row gradients."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad as tg
from tapegrad._primitive import REGISTRY
from tapegrad.ops import indexing, manipulation

# -- domains: where each function is smooth enough for finite differences -------------------------
DOMAINS = {
    "real": lambda rng, s: rng.uniform(-2, 2, s),
    "positive": lambda rng, s: rng.uniform(0.5, 2.5, s),
    "unit": lambda rng, s: rng.uniform(-0.8, 0.8, s),
    "nonzero": lambda rng, s: rng.choice([-1, 1], s) * rng.uniform(0.3, 2, s),
    # halfway between the "distinct" values: never within finite-difference reach of them
    "between": lambda rng, s: rng.integers(-5, 5, s) * 0.37 - 1.0 + 0.185,
    "near_integers": lambda rng, s: rng.integers(-3, 3, s) + rng.uniform(-0.3, 0.3, s),
    "large": lambda rng, s: rng.uniform(5, 6, s),
    "off_integers": lambda rng, s: rng.integers(-3, 3, s) + rng.uniform(0.2, 0.8, s),
    # distinct values, so that max/min/maximum have no ties within finite-difference reach
    "distinct": lambda rng, s: rng.permutation(np.arange(int(np.prod(s)))).reshape(s) * 0.37 - 1.0,
    # distinct among themselves and halfway between the "distinct" values
    "distinct_between": lambda rng, s: (
        rng.permutation(np.arange(int(np.prod(s)))).reshape(s) * 0.37 - 1.0 + 0.185
    ),
}


@dataclass
class Row:
    """A function under test: ``draw(data) -> (args, kwargs)`` picks shapes and parameters."""

    function: object
    draw: object
    domains: tuple = ("real",)
    order: int = 2
    extra: dict = field(default_factory=dict)


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
NONEMPTY = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


def _one(shapes=SHAPES):
    return lambda data: ((data.draw(shapes),), {})


def _two(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    return (shapes.input_shapes, {})


def _axis_and_keepdims(data, shape, allow_empty=True):
    ndim = len(shape)
    choices = [None]
    if ndim:
        choices += list(range(-ndim, ndim))
        choices.append(tuple(range(ndim)))
    axis = data.draw(st.sampled_from(choices))
    return {"axis": axis, "keepdims": data.draw(st.booleans())}


def _reduction(nonempty=False):
    def draw(data):
        shape = data.draw(NONEMPTY if nonempty else SHAPES)
        return ((shape,), _axis_and_keepdims(data, shape))

    return draw


def _reshape(data):
    shape = data.draw(SHAPES)
    n = int(np.prod(shape))
    target = data.draw(
        st.sampled_from(
            [(n,), (-1,), (1, n), (n, 1), ()] if n == 1 else [(n,), (-1,), (1, n), (n, 1)]
        )
    )
    return ((shape,), {"shape": target})


def _permute(data):
    shape = data.draw(SHAPES)
    axes = data.draw(st.permutations(range(len(shape))))
    return ((shape,), {"axes": tuple(axes)})


def _expand(data):
    shape = data.draw(SHAPES)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    return ((shape,), {"axis": axis})


def _squeeze(data):
    shape = data.draw(SHAPES)
    axis = data.draw(st.integers(0, len(shape)))
    return ((shape[:axis] + (1,) + shape[axis:],), {"axis": axis})


def _broadcast(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3, max_side=3))
    return ((shapes.input_shapes[0],), {"shape": shapes.result_shape})


def _join(stacked):
    def draw(data):
        shape = data.draw(NONEMPTY)
        n = data.draw(st.integers(1, 3))
        if stacked:
            axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
            return (tuple(shape for _ in range(n)), {"axis": axis})
        axis = data.draw(st.integers(-len(shape), len(shape) - 1))
        sizes = [data.draw(st.integers(0, 3)) for _ in range(n)]
        shapes = [
            tuple(s if i != axis % len(shape) else k for i, s in enumerate(shape)) for k in sizes
        ]
        return (tuple(shapes), {"axis": axis})

    return draw


def _matmul(data):
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    batch = data.draw(st.sampled_from([(), (2,)]))
    return (
        data.draw(
            st.sampled_from(
                [
                    ((k,), (k,)),
                    ((n, k), (k,)),
                    ((k,), (k, m)),
                    ((n, k), (k, m)),
                    (batch + (n, k), (k, m)),
                    ((n, k), batch + (k, m)),
                ]
            )
        ),
        {},
    )


def _along(data):
    shape = data.draw(NONEMPTY)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    return ((shape,), {"axis": axis})


def _take_along_axis(x, *, axis):
    rng = np.random.default_rng(x.ndim + x.size)
    shape = list(x.shape)
    n = shape[axis]
    shape[axis] = 4
    return tg.take_along_axis(x, tg.asarray(rng.integers(0, n, shape), like=x), axis=axis)


INDEXES = [
    0,
    -1,
    slice(None),
    slice(1, None),
    (Ellipsis, 0),
    (None, 0),
    ([0, 0, -1],),
    (slice(None), [1, 0]),
]


def _getitem(data):
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=3))
    return ((shape,), {"index": data.draw(st.sampled_from(INDEXES))})


def _index_mask(x):
    mask = np.random.default_rng(x.size).random(x.shape) > 0.5  # fixed for a given shape
    return x[tg.asarray(mask, like=x)]


def _sum_to_shape(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3, max_side=3))
    return ((shapes.result_shape,), {"shape": shapes.input_shapes[0]})


def _index_add(x, *, index, shape):
    return indexing.index_add(x, index=indexing.normalize_index(index, shape), shape=shape)


def _index_add_draw(data):
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=3))
    index = data.draw(st.sampled_from(INDEXES))
    return ((np.empty(shape)[index].shape,), {"index": index, "shape": shape})


def _scatter_along(x, *, axis, shape):
    rng = np.random.default_rng(x.size)
    idx = rng.integers(0, shape[axis], x.shape)
    return indexing.scatter_along_axis(x, tg.asarray(idx, like=x), axis=axis, shape=shape)


def _scatter_draw(data):
    shape = data.draw(NONEMPTY)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    taken = list(shape)
    taken[axis] = 2
    return ((tuple(taken),), {"axis": axis, "shape": shape})


def _xent(logits):
    labels = np.arange(logits.shape[0]) % logits.shape[-1]
    return tg.nn.sparse_softmax_cross_entropy(tg.asarray(labels, like=logits), logits)


def _softmax_minus_one_hot(logits):
    from tapegrad.ops.nn import _softmax_minus_one_hot

    labels = np.arange(logits.shape[0]) % logits.shape[-1]
    return _softmax_minus_one_hot(logits, tg.asarray(labels, like=logits))


def _where(x, y):
    rng = np.random.default_rng(x.size + y.size)
    condition = rng.random(np.broadcast_shapes(x.shape, y.shape)) > 0.5
    return tg.where(tg.asarray(condition, like=x), x, y)


def _astype(x):
    return tg.astype(x, tg.float32)  # float32 output: checked with float32 tolerances


UNARY = dict(draw=_one())
BINARY = dict(draw=_two)
ROWS: dict[str, Row] = {
    "add": Row(tg.add, **BINARY),
    "subtract": Row(tg.subtract, **BINARY),
    "multiply": Row(tg.multiply, **BINARY),
    "divide": Row(tg.divide, domains=("real", "nonzero"), **BINARY),
    # |x| < 2 < y keeps floor(x / y) constant within finite-difference reach
    "remainder": Row(tg.remainder, domains=("nonzero", "large"), draw=_two),
    "pow": Row(tg.pow, domains=("positive", "real"), **BINARY),
    "negative": Row(tg.negative, **UNARY),
    "positive": Row(tg.positive, **UNARY),
    "maximum": Row(tg.maximum, domains=("distinct", "between"), **BINARY),
    "minimum": Row(tg.minimum, domains=("distinct", "between"), **BINARY),
    "sin": Row(tg.sin, **UNARY),
    "cos": Row(tg.cos, **UNARY),
    "tan": Row(tg.tan, domains=("unit",), **UNARY),
    "exp": Row(tg.exp, **UNARY),
    "expm1": Row(tg.expm1, **UNARY),
    "log": Row(tg.log, domains=("positive",), **UNARY),
    "log1p": Row(tg.log1p, domains=("unit",), **UNARY),
    "sqrt": Row(tg.sqrt, domains=("positive",), **UNARY),
    "square": Row(tg.square, **UNARY),
    "tanh": Row(tg.tanh, **UNARY),
    "abs": Row(tg.abs, domains=("nonzero",), **UNARY),
    "sign": Row(tg.sign, domains=("nonzero",), **UNARY),
    "floor": Row(tg.floor, domains=("off_integers",), **UNARY),
    "ceil": Row(tg.ceil, domains=("off_integers",), **UNARY),
    "round": Row(tg.round, domains=("near_integers",), **UNARY),
    "conj": Row(tg.conj, **UNARY),
    "real": Row(tg.real, **UNARY),
    "astype": Row(_astype, order=1, **UNARY),
    "identity": Row(tg.identity, **UNARY),
    "_where": Row(_where, **BINARY),
    "sum": Row(tg.sum, draw=_reduction()),
    "mean": Row(tg.mean, draw=_reduction(nonempty=True)),
    "prod": Row(tg.prod, draw=_reduction()),
    "max": Row(tg.max, domains=("distinct",), draw=_reduction(nonempty=True)),
    "min": Row(tg.min, domains=("distinct",), draw=_reduction(nonempty=True)),
    "reshape": Row(tg.reshape, draw=_reshape),
    "permute_dims": Row(tg.permute_dims, draw=_permute),
    "expand_dims": Row(tg.expand_dims, draw=_expand),
    "squeeze": Row(tg.squeeze, draw=_squeeze),
    "broadcast_to": Row(tg.broadcast_to, draw=_broadcast),
    "sum_to_shape": Row(manipulation.sum_to_shape, draw=_sum_to_shape),
    "concat": Row(lambda *a, axis: tg.concat(a, axis=axis), draw=_join(False)),
    "stack": Row(lambda *a, axis: tg.stack(a, axis=axis), draw=_join(True)),
    "matmul": Row(tg.matmul, draw=_matmul),
    "getitem": Row(lambda x, index: x[index], draw=_getitem),
    "index_add": Row(_index_add, draw=_index_add_draw),
    "_take_along_axis": Row(_take_along_axis, draw=_along),
    "scatter_along_axis": Row(_scatter_along, draw=_scatter_draw),
    "relu": Row(tg.nn.relu, domains=("nonzero",), **UNARY),
    "sigmoid": Row(tg.nn.sigmoid, **UNARY),
    "softplus": Row(tg.nn.softplus, **UNARY),
    "softmax": Row(tg.nn.softmax, draw=_one(NONEMPTY)),
    "log_softmax": Row(tg.nn.log_softmax, draw=_one(NONEMPTY)),
    "logsumexp": Row(tg.nn.logsumexp, draw=_reduction(nonempty=True)),
    "_sparse_softmax_cross_entropy": Row(
        _xent, draw=_one(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=4))
    ),
    "_softmax_minus_one_hot": Row(
        _softmax_minus_one_hot,
        draw=_one(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=4)),
    ),
    "boolean_mask": Row(_index_mask, draw=_one(NONEMPTY)),
}


def _index_set_draw(data):
    rest = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    n = data.draw(st.integers(2, 4))
    written = data.draw(st.sampled_from([(), (1,) + rest[1:], rest]))
    return (((n,) + rest, (min(n - 1, 3),) + rest if written == rest else written), {})


def _at_add_draw(data):
    rest = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    values = data.draw(st.sampled_from([(), rest, (3,) + rest]))
    return ((data.draw(st.integers(1, 4)),) + rest, values), {}


def _setitem(x, v):
    y = x * 1.0
    y[1:] = v
    y *= 2.0
    return y


def _with_axis(function, **extra):
    def draw(data):
        shape = data.draw(NONEMPTY)
        return ((shape,), {"axis": data.draw(st.integers(-len(shape), len(shape) - 1)), **extra})

    return Row(lambda x, **kw: function(x, **kw), draw=draw)


ROWS.update(
    {
        "flip": _with_axis(tg.flip),
        "roll": _with_axis(lambda x, axis: tg.roll(x, 2, axis=axis)),
        "repeat": _with_axis(lambda x, axis: tg.repeat(x, 2, axis=axis)),
        "take": _with_axis(lambda x, axis: tg.take(x, [0, -1, 0], axis=axis)),
        "unstack": _with_axis(lambda x, axis: tg.stack(tg.unstack(x, axis=axis))),
        "split": _with_axis(lambda x, axis: tg.concat(tg.split(x, 1, axis=axis)[::-1])),
        "moveaxis": _with_axis(lambda x, axis: tg.moveaxis(x, axis, 0)),
        "tile": Row(lambda x: tg.tile(x, (2, 1)), **UNARY),
        "index_set": Row(lambda x, v: x.at[1:].set(v), draw=_index_set_draw),
        "at_add": Row(lambda x, v: x.at[[0, 0, -1]].add(v), draw=_at_add_draw),
        # repeated positions: set keeps the last write; multiply, min and max apply every write
        "at_set_repeats": Row(lambda x, v: x.at[[0, 0, -1]].set(v), draw=_at_add_draw),
        "at_multiply": Row(lambda x, v: x.at[[0, 0, -1]].multiply(v), draw=_at_add_draw),
        "at_min": Row(
            lambda x, v: x.at[[0, 0, -1]].min(v),
            domains=("distinct", "distinct_between"),
            draw=_at_add_draw,
        ),
        "index_extremum": Row(  # x.at[...].max: the primitive behind .max and .min
            lambda x, v: x.at[[0, 0, -1]].max(v),
            domains=("distinct", "distinct_between"),
            draw=_at_add_draw,
        ),
        "setitem": Row(_setitem, draw=_index_set_draw),
        "tril": Row(
            lambda x: tg.tril(x, k=-1), draw=_one(hnp.array_shapes(min_dims=2, max_dims=3))
        ),
        "triu": Row(lambda x: tg.triu(x, k=1), draw=_one(hnp.array_shapes(min_dims=2, max_dims=3))),
        "meshgrid": Row(
            lambda x, y: tg.stack(tg.meshgrid(x, y)) * 1.0,
            draw=lambda data: (
                ((data.draw(st.integers(1, 3)),), (data.draw(st.integers(1, 3)),)),
                {},
            ),
        ),
        "_pad_constant": Row(lambda x: tg.pad(x, 1, constant_values=2.0), **UNARY),
        "pad_reflect": Row(lambda x: tg.pad(x, 2, mode="reflect"), draw=_one(NONEMPTY)),
        "pad_wrap": Row(lambda x: tg.pad(x, 1, mode="wrap"), draw=_one(NONEMPTY)),
    }
)


def _loss_draw(data):
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=4))
    return ((shape, shape), {})


def _probabilities(x):
    return tg.nn.softmax(x, axis=-1)


ROWS.update(
    {
        "matrix_transpose": Row(tg.matrix_transpose, draw=_one(hnp.array_shapes(min_dims=2))),
        "swapaxes": Row(lambda x: tg.swapaxes(x, 0, -1), draw=_one(NONEMPTY)),
        "broadcast_arrays": Row(lambda x, y: tg.stack(tg.broadcast_arrays(x, y)) * 1.0, **BINARY),
        "nn.softplus": Row(tg.nn.softplus, **UNARY),
        "nn.mean_squared_error": Row(tg.nn.mean_squared_error, draw=_loss_draw),
        "nn.sigmoid_cross_entropy": Row(
            lambda labels, logits: tg.nn.sigmoid_cross_entropy(tg.nn.sigmoid(labels), logits),
            draw=_loss_draw,
        ),
        "nn.softmax_cross_entropy": Row(
            lambda labels, logits: tg.nn.softmax_cross_entropy(_probabilities(labels), logits),
            draw=_loss_draw,
        ),
    }
)

# Rows for the rest of the catalogue live beside this file, one module per family; each imports
# Row and the drawing helpers from here and defines its own ROWS.
for _family in ("rows_math", "rows_linalg"):
    ROWS.update(importlib.import_module(_family).ROWS)


def _inputs(row, shapes, seed):
    rng = np.random.default_rng(seed)
    domains = row.domains * len(shapes) if len(row.domains) == 1 else row.domains
    return [np.asarray(DOMAINS[d](rng, s), dtype=np.float64) for d, s in zip(domains, shapes)]


@pytest.mark.parametrize("name", sorted(ROWS))
@given(data=st.data())
def test_derivatives_match_numerical(name, data):
    row = ROWS[name]
    shapes, kwargs = row.draw(data)
    args = _inputs(row, shapes, seed=data.draw(st.integers(0, 2**16)))
    tg.testing.check_grads(lambda *a: row.function(*a, **kwargs), args, order=row.order)


# Public functions without a derivative (integer, boolean or constant results; creation; the
# transforms themselves), and public functions checked under another row's name.
NOT_DIFFERENTIABLE = set(
    """__array_namespace_info__ all any arange argmax argmin argsort asarray bitwise_and
    bitwise_invert bitwise_left_shift bitwise_or bitwise_right_shift bitwise_xor can_cast constant
    convert_to_tensor count_nonzero custom_gradient empty empty_like equal eye fft.fftfreq
    fft.rfftfreq finfo floor_divide from_dlpack full full_like grad greater greater_equal hessian
    hvp iinfo isdtype isfinite isinf isnan jacfwd jacobian jacrev jvp less less_equal
    linalg.matrix_rank linearize linspace load logical_and logical_not logical_or logical_xor
    nn.glorot_uniform nn.he_normal nonzero not_equal ones ones_like persist recompute_grad
    result_type save searchsorted signbit stop_gradient value_and_grad vjp zeros
    zeros_like""".split()
)
CHECKED_AS = {
    "cumulative_sum": "cumsum",
    "cumulative_prod": "cumprod",
    "linalg.matrix_exp": "linalg.expm",
    "nn.sparse_softmax_cross_entropy": "_sparse_softmax_cross_entropy",
    "pad": "_pad_constant",
    "sort": "_sort",
    "take_along_axis": "_take_along_axis",
    "where": "_where",
    "unique_all": "_unique_values",
    "unique_counts": "_unique_values",
    "unique_inverse": "_unique_values",
    "unique_values": "_unique_values",
}


def test_every_differentiable_public_function_has_a_row():
    spaces = {"": tg, "linalg.": tg.linalg, "fft.": tg.fft, "special.": tg.special, "nn.": tg.nn}
    missing = []
    for prefix, namespace in spaces.items():
        for name in namespace.__all__:
            function = getattr(namespace, name)
            if not callable(function) or isinstance(function, type):
                continue
            public = prefix + name
            primitive = getattr(getattr(function, "primitive", None), "name", None)
            names = {name, public, primitive, CHECKED_AS.get(public)}
            if public not in NOT_DIFFERENTIABLE and not names & set(ROWS):
                missing.append(public)
    assert missing == []


def test_every_differentiable_primitive_has_a_row():
    missing = sorted(
        name for name, prim in REGISTRY.items() if prim.vjps is not None and name not in ROWS
    )
    assert missing == []


@pytest.mark.parametrize("name", sorted(ROWS))
@settings(max_examples=4)
@given(data=st.data())
def test_leading_batch_axes_on_cotangents(name, data):
    """tape.jacobian sends every basis cotangent in one pass; each row of the result must equal
    the gradient computed with that basis vector alone."""
    row = ROWS[name]
    shapes, kwargs = row.draw(data)
    args = [tg.constant(a) for a in _inputs(row, shapes, seed=1)]
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(args)
        out = row.function(*args, **kwargs)
    jac = tape.jacobian(out, args, unconnected_gradients="zero")
    for flat in range(out.size):
        basis = np.zeros(out.size)
        basis[flat] = 1.0
        rows = tape.gradient(
            out, args, output_gradients=basis.reshape(out.shape), unconnected_gradients="zero"
        )
        position = np.unravel_index(flat, out.shape)
        for j, r in zip(jac, rows):
            np.testing.assert_allclose(j.numpy()[position], r.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ROWS))
@settings(max_examples=4)
@given(data=st.data())
def test_leading_batch_axes_on_tangents(name, data):
    """jacfwd sends every basis tangent in one pass (a leading batch axis on the tangents); it
    must equal the reverse-mode Jacobian, and the numerical one."""
    row = ROWS[name]
    shapes, kwargs = row.draw(data)
    args = [tg.constant(a) for a in _inputs(row, shapes, seed=2)]
    argnums = tuple(range(len(args)))
    f = lambda *a: row.function(*a, **kwargs)  # noqa: E731
    forward = tg.jacfwd(f, argnums=argnums)(*args)
    reverse = tg.jacrev(f, argnums=argnums)(*args)
    for i, (fwd, rev) in enumerate(zip(forward, reverse)):
        np.testing.assert_allclose(fwd.numpy(), rev.numpy(), rtol=1e-12, atol=1e-12)
        if row.order > 1:  # the float32 cast is checked against reverse mode only
            others = [a.numpy() for a in args]

            def only_i(x, i=i, others=others):
                moved = [x if j == i else o for j, o in enumerate(others)]
                return f(*[tg.constant(np.asarray(m)) for m in moved]).numpy()

            numeric = tg.numerical.jacobian(only_i, others[i])
            np.testing.assert_allclose(fwd.numpy(), numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(ROWS))
@settings(max_examples=3)
@given(data=st.data())
def test_linearize_transposes_the_backward_pass_into_the_jvp(name, data):
    """linearize's f_jvp is the transpose of the recorded backward pass: it must equal the
    forward-mode JVP, value and dtype, for every row."""
    row = ROWS[name]
    shapes, kwargs = row.draw(data)
    args = [tg.constant(a) for a in _inputs(row, shapes, seed=3)]
    rng = np.random.default_rng(3)
    tangents = [tg.constant(rng.standard_normal(a.shape)) for a in args]
    f = lambda *a: row.function(*a, **kwargs)  # noqa: E731
    _, expected = tg.jvp(f, args, tangents)
    _, f_jvp = tg.linearize(f, *args)
    actual = f_jvp(*tangents)
    assert actual.dtype == expected.dtype
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(ROWS))
@settings(max_examples=3)
@given(data=st.data())
def test_derivatives_in_every_floating_dtype(name, data):
    """The same rows with Hypothesis choosing float32 or float64: first order, forward and
    reverse, with the tolerances of the dtype (written down once in testing.py). Complex inputs
    have their own tests (test_catalogue_math.py, test_catalogue_linalg.py)."""
    row = ROWS[name]
    if row.order < 2:
        return  # rows that are checked in a particular dtype already
    shapes, kwargs = row.draw(data)
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    args = [a.astype(dtype) for a in _inputs(row, shapes, seed=data.draw(st.integers(0, 2**16)))]
    tg.testing.check_grads(lambda *a: row.function(*a, **kwargs), args, order=1)
