"""The fft extension of the Array API, differentiable.

Every transform is linear, so each JVP applies the transform to the tangent and each VJP applies
its adjoint to the cotangent. With the library's complex convention (for a real loss L of
``z = x + iy`` the gradient is ``dL/dx + i dL/dy``), the adjoint of a transform with norm
``"backward"`` is the inverse transform with norm ``"forward"`` (unscaled), and so on: the norms
swap. Padding
(``n`` or ``s`` above the input's length) and truncation become truncation and padding.

``rfft`` keeps the ``n // 2 + 1`` nonnegative frequencies of a real signal. Its adjoint is
``irfft`` with the interior bins halved (``irfft`` doubles them, as it stands for both halves of
a Hermitian spectrum); the adjoint of ``irfft`` is ``rfft`` with the interior bins doubled.
The imaginary parts of the zero-frequency and Nyquist bins of ``irfft``'s input are ignored, so
their gradient is 0. ``fftn``, ``ifftn``, ``fft``, ``ifft`` share one primitive (named
``fftn``); ``rfftn``, ``irfftn``, ``hfft``, ``ihfft``, the shifts and the frequencies are
composites.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtypes
from .._backend import backend_name, device_of, is_lazy, to_numpy, xp_of
from .._dtypes import DEFAULT_FLOAT, as_dtype, kind_of
from .._primitive import primitive, raw
from .creation import moved_to
from .elementwise import astype, conj
from .indexing import getitem
from .linalg import _integer
from .manipulation import concat

__all__ = [
    "fft",
    "fftfreq",
    "fftn",
    "fftshift",
    "hfft",
    "ifft",
    "ifftn",
    "ifftshift",
    "ihfft",
    "irfft",
    "irfftn",
    "rfft",
    "rfftfreq",
    "rfftn",
]

_SWAP = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _check_norm(norm, name):
    """``norm`` checked; None is NumPy's default, ``"backward"``."""
    if norm is None:
        return "backward"
    if not isinstance(norm, str) or norm not in _SWAP:
        raise ValueError(
            f"{name}: norm must be 'backward', 'ortho', 'forward' or None (which means "
            f"'backward'), not {norm!r}"
        )
    return norm


def _length(name, what, n, minimum=1):
    """A transform length: any integer (NumPy's too), not a bool or a float, at least
    ``minimum``."""
    n = _integer(name, what, n, f"give {what} as an integer, such as {what}=8")
    if n < minimum:
        raise ValueError(f"{name}: {what} must be at least {minimum}; got {n}")
    return n


def _negative(axis, ndim, name):
    axis = _integer(name, "axis", axis, "give an integer axis, such as axis=-1")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{name}: axis {axis} is out of bounds for an array of {ndim} dimensions: use an "
            f"axis in [{-ndim}, {ndim - 1}]"
        )
    return axis - ndim if axis >= 0 else axis


def _resize(x, axis, length):
    """``x`` truncated or padded with zeros to ``length`` along the (negative) ``axis``."""
    current = x.shape[axis]
    if current == length:
        return x
    tail = (slice(None),) * (-axis - 1)
    if current > length:
        return getitem(x, index=(Ellipsis, slice(0, length)) + tail)
    v = raw(x)
    shape = list(v.shape)
    shape[axis] = length - current
    zeros = xp_of(v).zeros(tuple(shape), dtype=v.dtype, device=device_of(v))
    return concat([x, zeros], axis=axis)


def _weights(length, n, axis, interior, like):
    """Per-bin factors along ``axis`` for the ``length = n // 2 + 1`` bins of a real transform:
    1 at zero frequency and at Nyquist (even ``n``), ``interior`` elsewhere."""
    v = raw(like)
    xp = xp_of(v)
    index = xp.arange(length, device=device_of(v))
    edge = (index == 0) | ((index == length - 1) & (n % 2 == 0))
    one = xp.asarray(1.0, dtype=v.dtype, device=device_of(v))
    w = xp.where(edge, one, xp.asarray(interior, dtype=v.dtype, device=device_of(v)))
    return xp.reshape(w, (length,) + (1,) * (-axis - 1))


# -- complex to complex --------------------------------------------------------------------------
def _c2c_vjp(g, ans, x, *, s, axes, norm, inverse):
    out = _c2c(g, s=s, axes=axes, norm=_SWAP[norm], inverse=not inverse)
    for axis in axes:
        out = _resize(out, axis, x.shape[axis])
    return out


@primitive(
    vjp=_c2c_vjp,
    jvp=lambda ts, ans, x, *, s, axes, norm, inverse: _c2c(
        ts[0], s=s, axes=axes, norm=norm, inverse=inverse
    ),
    name="fftn",
)
def _c2c(x, /, *, s, axes, norm, inverse):
    xp = xp_of(x)
    function = xp.fft.ifftn if inverse else xp.fft.fftn
    return function(_whole_along(x, axes), s=s, axes=axes, norm=norm)


def _as_complex(x):
    """A real input of a complex transform, made complex (a recorded cast) for libraries whose
    transforms take complex input only, as the standard says (array_api_strict); NumPy, CuPy
    and Dask take real input as it is."""
    if kind_of(x.dtype) == "c" or backend_name(raw(x)) in ("numpy", "cupy", "dask"):
        return x
    single = as_dtype(x.dtype) in (_dtypes.float16, _dtypes.float32)
    return astype(x, _dtypes.complex64 if single else _dtypes.complex128)


def _whole_along(x, axes):
    """Dask transforms an axis only when it is one chunk: rechunk those axes (the others stay
    chunked, so the work still spreads over the workers)."""
    if not is_lazy(x):
        return x
    return x.rechunk({axis % x.ndim: -1 for axis in axes})


def _plan(x, s, axes, name):
    """(s, axes) as tuples, with negative axes: the Array API's defaults (all axes, or the last
    ``len(s)`` when only ``s`` is given; the input's lengths when ``s`` is None, and where
    ``s[i]`` is -1)."""
    if axes is None:
        axes = tuple(range(-len(s), 0)) if s is not None else tuple(range(-x.ndim, 0))
    axes = tuple(_negative(a, x.ndim, name) for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axis in {axes!r}")
    if s is None:
        s = tuple(x.shape[a] for a in axes)
    fix = "give the lengths as integers, such as s=(8, 8), or -1 for the whole axis"
    s = tuple(_integer(name, "every length in s", n, fix) for n in s)
    if len(s) != len(axes):
        raise ValueError(f"{name}: s {s!r} and axes {axes!r} must have the same length")
    for n in s:
        if n < 1 and n != -1:
            raise ValueError(
                f"{name}: every transform length must be at least 1, or -1 for the whole axis; "
                f"got s={s!r}"
            )
    # -1: the input's whole length along that axis, as the Array API and NumPy
    s = tuple(x.shape[a] if n == -1 else n for n, a in zip(s, axes))
    return s, axes


def _complex_transform(x, s, axes, norm, inverse, name):
    norm = _check_norm(norm, name)
    s, axes = _plan(x, s, axes, name)
    return _c2c(_as_complex(x), s=s, axes=axes, norm=norm, inverse=inverse)


def fftn(x, /, *, s=None, axes=None, norm="backward"):
    """The n-dimensional discrete Fourier transform over ``axes`` (all by default), with the
    input padded or truncated to lengths ``s`` (-1: the input's length along that axis).

    >>> import tapegrad as tg
    >>> print(tg.fft.fftn(tg.constant([[1.0, 0.0], [0.0, 0.0]])))
    tg.Tensor(
    [[1.+0.j 1.+0.j]
     [1.+0.j 1.+0.j]], shape=(2, 2), dtype=complex64)
    """
    return _complex_transform(x, s, axes, norm, False, "fftn")


def ifftn(x, /, *, s=None, axes=None, norm="backward"):
    """The n-dimensional inverse discrete Fourier transform over ``axes`` (all by default), with
    the input padded or truncated to lengths ``s`` (-1: the input's length along that axis).

    >>> import tapegrad as tg
    >>> print(tg.fft.ifftn(tg.constant([[4.0, 0.0], [0.0, 0.0]])))
    tg.Tensor(
    [[1.+0.j 1.+0.j]
     [1.+0.j 1.+0.j]], shape=(2, 2), dtype=complex64)
    """
    return _complex_transform(x, s, axes, norm, True, "ifftn")


def fft(x, /, *, n=None, axis=-1, norm="backward"):
    """The one-dimensional discrete Fourier transform along ``axis``, with the input padded or
    truncated to length ``n``.

    >>> import tapegrad as tg
    >>> print(tg.fft.fft(tg.constant([1.0, 1.0, 1.0, 1.0])))
    tg.Tensor([4.+0.j 0.+0.j 0.+0.j 0.+0.j], shape=(4,), dtype=complex64)
    """
    s = None if n is None else (_length("fft", "n", n),)
    return _complex_transform(x, s, (axis,), norm, False, "fft")


def ifft(x, /, *, n=None, axis=-1, norm="backward"):
    """The one-dimensional inverse discrete Fourier transform along ``axis``.

    >>> import tapegrad as tg
    >>> print(tg.fft.ifft(tg.constant([4.0, 0.0, 0.0, 0.0])))
    tg.Tensor([1.+0.j 1.+0.j 1.+0.j 1.+0.j], shape=(4,), dtype=complex64)
    """
    s = None if n is None else (_length("ifft", "n", n),)
    return _complex_transform(x, s, (axis,), norm, True, "ifft")


# -- real to complex and back --------------------------------------------------------------------
def _rfft_vjp(g, ans, x, *, n, axis, norm):
    halved = g * _weights(g.shape[axis], n, axis, 0.5, g)
    return _resize(_irfft(halved, n=n, axis=axis, norm=_SWAP[norm]), axis, x.shape[axis])


@primitive(
    vjp=_rfft_vjp,
    jvp=lambda ts, ans, x, *, n, axis, norm: _rfft(ts[0], n=n, axis=axis, norm=norm),
    name="rfft",
)
def _rfft(x, /, *, n, axis, norm):
    if kind_of(x.dtype) == "c":
        raise TypeError(
            f"rfft takes a real signal, not {x.dtype}: use tg.fft.fft for complex input"
        )
    return xp_of(x).fft.rfft(_whole_along(x, (axis,)), n=n, axis=axis, norm=norm)


def _irfft_vjp(g, ans, x, *, n, axis, norm):
    doubled = _rfft(g, n=n, axis=axis, norm=_SWAP[norm])
    doubled = doubled * _weights(doubled.shape[axis], n, axis, 2.0, doubled)
    return _resize(doubled, axis, x.shape[axis])


@primitive(
    vjp=_irfft_vjp,
    jvp=lambda ts, ans, x, *, n, axis, norm: _irfft(ts[0], n=n, axis=axis, norm=norm),
    name="irfft",
)
def _irfft(x, /, *, n, axis, norm):
    return xp_of(x).fft.irfft(_whole_along(x, (axis,)), n=n, axis=axis, norm=norm)


def rfft(x, /, *, n=None, axis=-1, norm="backward"):
    """The discrete Fourier transform of a real signal along ``axis``: the ``n // 2 + 1``
    nonnegative frequencies.

    >>> import tapegrad as tg
    >>> print(tg.fft.rfft(tg.constant([1.0, 2.0, 3.0, 4.0])))
    tg.Tensor([10.+0.j -2.+2.j -2.+0.j], shape=(3,), dtype=complex64)
    """
    return _real_forward(x, n, axis, norm, "rfft")


def _real_forward(x, n, axis, norm, name):
    norm = _check_norm(norm, name)
    _real_input(x, name)
    axis = _negative(axis, x.ndim, name)
    n = x.shape[axis] if n is None else _length(name, "n", n)
    return _rfft(x, n=n, axis=axis, norm=norm)


def _real_input(x, name):
    """The real transforms' refusal of complex input, naming the function called."""
    if kind_of(raw(x).dtype) == "c":
        inverse = "ifft" if name == "ihfft" else "fft" if name == "rfft" else "fftn"
        raise TypeError(
            f"{name} takes a real signal, not {raw(x).dtype}: use tg.fft.{inverse} for complex "
            "input"
        )


def irfft(x, /, *, n=None, axis=-1, norm="backward"):
    """The inverse of ``rfft``: a real signal of length ``n`` (default ``2 * (m - 1)`` for ``m``
    input bins) from its nonnegative frequencies.

    >>> import tapegrad as tg
    >>> print(tg.fft.irfft(tg.constant([10.0 + 0j, -2.0 + 2j, -2.0 + 0j])))
    tg.Tensor([1. 2. 3. 4.], shape=(4,), dtype=float32)
    """
    return _real_inverse(x, n, axis, norm, "irfft")


def _real_inverse(x, n, axis, norm, name):
    norm = _check_norm(norm, name)
    axis = _negative(axis, x.ndim, name)
    if n is not None:
        n = _length(name, "n", n)
    elif x.shape[axis] < 2:
        raise ValueError(
            f"{name}: the output length n must be at least 1; got 2 * ({x.shape[axis]} - 1) = "
            f"{2 * (x.shape[axis] - 1)}: give n for an input of {x.shape[axis]} bins"
        )
    else:
        n = 2 * (x.shape[axis] - 1)
    return _irfft(_as_complex(x), n=n, axis=axis, norm=norm)


def rfftn(x, /, *, s=None, axes=None, norm="backward"):
    """The n-dimensional transform of a real signal: ``rfft`` over the last of ``axes``, then
    ``fftn`` over the others.

    >>> import tapegrad as tg
    >>> tg.fft.rfftn(tg.ones((2, 4))).shape
    (2, 3)
    """
    norm = _check_norm(norm, "rfftn")
    _real_input(x, "rfftn")
    s, axes = _plan(x, s, axes, "rfftn")
    out = _rfft(x, n=s[-1], axis=axes[-1], norm=norm)
    if len(axes) > 1:
        out = _c2c(out, s=s[:-1], axes=axes[:-1], norm=norm, inverse=False)
    return out


def irfftn(x, /, *, s=None, axes=None, norm="backward"):
    """The inverse of ``rfftn``: ``ifftn`` over all but the last of ``axes``, then ``irfft`` over
    the last (default length ``2 * (m - 1)`` for ``m`` input bins). ``s[i] = -1`` takes the
    input's length, on the last axis too (``m``, as NumPy).

    >>> import tapegrad as tg
    >>> tg.fft.irfftn(tg.ones((2, 3), dtype=tg.complex64)).shape
    (2, 4)
    """
    norm = _check_norm(norm, "irfftn")
    if s is None:
        _, axes = _plan(x, None, axes, "irfftn")
        s = tuple(x.shape[a] for a in axes[:-1]) + (2 * (x.shape[axes[-1]] - 1),)
    s, axes = _plan(x, s, axes, "irfftn")
    out = _as_complex(x)
    if len(axes) > 1:
        out = _c2c(out, s=s[:-1], axes=axes[:-1], norm=norm, inverse=True)
    return _irfft(out, n=s[-1], axis=axes[-1], norm=norm)


def hfft(x, /, *, n=None, axis=-1, norm="backward"):
    """The transform of a signal with Hermitian symmetry, given by its first half: a real
    spectrum of length ``n`` (default ``2 * (m - 1)``).

    >>> import tapegrad as tg
    >>> print(tg.fft.hfft(tg.constant([1.0 + 0j, 0.0 + 0j, 0.0 + 0j])))
    tg.Tensor([1. 1. 1. 1.], shape=(4,), dtype=float32)
    """
    norm = _check_norm(norm, "hfft")
    return _real_inverse(conj(x), n, axis, _SWAP[norm], "hfft")


def ihfft(x, /, *, n=None, axis=-1, norm="backward"):
    """The inverse of ``hfft``: the first half of the Hermitian spectrum of a real signal.

    >>> import tapegrad as tg
    >>> print(tg.fft.ihfft(tg.constant([1.0, 1.0, 1.0, 1.0])))
    tg.Tensor([1.-0.j 0.-0.j 0.-0.j], shape=(3,), dtype=complex64)
    """
    norm = _check_norm(norm, "ihfft")
    return conj(_real_forward(x, n, axis, _SWAP[norm], "ihfft"))


# -- shifts and frequencies ----------------------------------------------------------------------
def _roll_halves(x, axes, inverse, name):
    if axes is None:
        axes = tuple(range(x.ndim))
    elif isinstance(axes, np.ndarray) and axes.ndim == 1:  # NumPy takes arrays of axes
        axes = tuple(axes.tolist())
    elif not isinstance(axes, tuple | list | range):
        fix = "give an integer or a sequence of integers, such as axes=(0, 1)"
        axes = (_integer(name, "axes", axes, fix),)
    for axis in axes:
        axis = _negative(axis, x.ndim, name)
        n = x.shape[axis]
        cut = (n + 1) // 2 if not inverse else n // 2  # the start of the second half
        if n < 2:
            continue
        tail = (slice(None),) * (-axis - 1)
        first = getitem(x, index=(Ellipsis, slice(cut, None)) + tail)
        second = getitem(x, index=(Ellipsis, slice(0, cut)) + tail)
        x = concat([first, second], axis=axis)
    return x


def fftshift(x, /, *, axes=None):
    """The zero-frequency bin moved to the centre of ``axes`` (all by default).

    >>> import tapegrad as tg
    >>> print(tg.fft.fftshift(tg.constant([0.0, 1.0, 2.0, -2.0, -1.0])))
    tg.Tensor([-2. -1.  0.  1.  2.], shape=(5,), dtype=float32)
    """
    return _roll_halves(x, axes, inverse=False, name="fftshift")


def ifftshift(x, /, *, axes=None):
    """The inverse of ``fftshift``.

    >>> import tapegrad as tg
    >>> print(tg.fft.ifftshift(tg.constant([-2.0, -1.0, 0.0, 1.0, 2.0])))
    tg.Tensor([ 0.  1.  2. -2. -1.], shape=(5,), dtype=float32)
    """
    return _roll_halves(x, axes, inverse=True, name="ifftshift")


def _frequencies(values, dtype, device):
    dtype = DEFAULT_FLOAT if dtype is None else as_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"frequencies are real numbers: dtype must be a real float, not {dtype}")
    return moved_to(values.astype(dtype), device)


def _spacing(d, name):
    """The sample spacing: a nonzero finite real number (NumPy divides by it); a one-element
    tensor or array serves as its number."""
    if hasattr(d, "dtype") and getattr(d, "size", 0) == 1 and kind_of(d.dtype) in "iuf":
        d = float(to_numpy(raw(d)).reshape(()))
    if isinstance(d, bool) or not isinstance(d, int | float | np.number):
        raise TypeError(f"{name}: the sample spacing d must be a real number, not {d!r}")
    if not 0 < abs(d) < math.inf:
        raise ValueError(f"{name}: the sample spacing d must be nonzero and finite, not {d!r}")
    return d


def fftfreq(n, /, *, d=1.0, dtype=None, device=None):
    """The frequencies of the bins of an ``n``-point ``fft`` with sample spacing ``d``
    (float32 by default, tapegrad's default float).

    >>> import tapegrad as tg
    >>> print(tg.fft.fftfreq(4))
    tg.Tensor([ 0.    0.25 -0.5  -0.25], shape=(4,), dtype=float32)
    """
    return _frequencies(
        np.fft.fftfreq(_length("fftfreq", "n", n), d=_spacing(d, "fftfreq")), dtype, device
    )


def rfftfreq(n, /, *, d=1.0, dtype=None, device=None):
    """The frequencies of the bins of an ``n``-point ``rfft`` with sample spacing ``d``.

    >>> import tapegrad as tg
    >>> print(tg.fft.rfftfreq(4))
    tg.Tensor([0.   0.25 0.5 ], shape=(3,), dtype=float32)
    """
    return _frequencies(
        np.fft.rfftfreq(_length("rfftfreq", "n", n), d=_spacing(d, "rfftfreq")), dtype, device
    )
