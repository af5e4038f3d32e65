"""Matrix products. Rules use ``matrix_transpose`` and broadcasting matmul so that cotangents and
tangents may carry leading batch axes."""

from __future__ import annotations

from .._backend import xp_of
from .._primitive import primitive
from ._helpers import lead
from .elementwise import _conj
from .manipulation import expand_dims, matrix_transpose, reshape, squeeze
from .reduction import sum

__all__ = [
    "matmul",
]


def _matmul_vjp_x(g, ans, x, y):
    y = _conj(y)
    if x.ndim == 1 and y.ndim == 1:  # inner product: the cotangent scales the other vector
        return expand_dims(g, axis=-1) * y
    if y.ndim == 1:  # (..., n) x (n,): the cotangent of x is an outer product
        return expand_dims(g, axis=-1) * y
    if x.ndim == 1:  # (n,) x (..., n, m)
        return squeeze(matmul(expand_dims(g, axis=-2), matrix_transpose(y)), axis=-2)
    return matmul(g, matrix_transpose(y))


def _matmul_vjp_y(g, ans, x, y):
    x = _conj(x)
    if x.ndim == 1 and y.ndim == 1:
        return expand_dims(g, axis=-1) * x
    if x.ndim == 1:  # (n,) x (..., n, m): outer product again
        return expand_dims(x, axis=-1) * expand_dims(g, axis=-2)
    if y.ndim == 1:  # (..., k, n) x (n,): cotangent (..., k) against x gives (..., n)
        return squeeze(matmul(expand_dims(g, axis=-2), x), axis=-2)
    return matmul(matrix_transpose(x), g)


def _matmul_jvp(ts, ans, x, y):
    tx, ty = ts
    out = None
    if tx is not None:
        out = _product_of_batched(tx, x, y, left=True)
    if ty is not None:
        term = _product_of_batched(ty, x, y, left=False)
        out = term if out is None else out + term
    return out


def _product_of_batched(t, x, y, left):
    """``t @ y`` (left) or ``x @ t``, where the tangent ``t`` of ``x`` (or ``y``) may carry
    leading batch axes: 1-D operands are made matrices, and the batch axes are kept in front of
    the stack axes the other operand brings, as matmul's broadcasting would not."""
    operand, other = (x, y) if left else (y, x)
    batch = lead(t, operand)
    if operand.ndim == 1 and other.ndim == 1:
        return sum(t * other, axis=-1)
    if operand.ndim == 1:  # a vector against a (stack of) matrices
        axis = -2 if left else -1
        t = expand_dims(t, axis=axis)
        stacked = tuple(t.shape[len(batch) :])
        t = reshape(t, batch + (1,) * (other.ndim - 2) + stacked)
        product = matmul(t, other) if left else matmul(other, t)
        return squeeze(product, axis=axis)
    if batch and other.ndim > operand.ndim:
        t = reshape(t, batch + (1,) * (other.ndim - operand.ndim) + tuple(operand.shape))
    return matmul(t, other) if left else matmul(other, t)


@primitive(vjp=(_matmul_vjp_x, _matmul_vjp_y), jvp=_matmul_jvp)
def matmul(x, y, /):
    """Matrix product with NumPy's rules for 1-D and stacked operands (``x @ y``).

    >>> import tapegrad as tg
    >>> print(tg.matmul(tg.constant([[1.0, 2.0]]), tg.constant([[3.0], [4.0]])))
    tg.Tensor([[11.]], shape=(1, 1), dtype=float32)
    """
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"matmul needs arrays of at least 1 dimension; got shapes {tuple(x.shape)} and "
            f"{tuple(y.shape)}: use multiply (*) for scalars"
        )
    if x.shape[-1] != y.shape[-2 if y.ndim > 1 else 0]:
        raise ValueError(
            f"matmul: shapes {tuple(x.shape)} and {tuple(y.shape)} do not match: the last axis "
            "of the first operand must equal the second-to-last axis of the second (the only "
            "axis of a 1-D operand)"
        )
    return xp_of(x).matmul(x, y)
