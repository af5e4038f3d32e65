"""NumPy functions called on tensors (``np.median(t)``, ``np.outer(a, t)``, ``np.cbrt(t)``).

NumPy hands a call with a tensor among its arguments to ``Tensor.__array_function__`` (to
``__array_ufunc__`` for ufuncs), which runs the function registered for that name here (see
``FUNCTIONS``, ``UFUNCS``, ``REDUCE`` and ``ACCUMULATE``, merged into the tables of
``_operators.py``). Each function is a composition of tapegrad functions: it is recorded, and
differentiable to any order, forward and reverse, with no rule of its own. Each follows NumPy's
signature, keywords and values, with tapegrad's dtype rules (README, "dtypes"): a Python number
takes the tensor's dtype, integers become float32 (up to 16 bits) or float64 in floating
functions, and a float32 tensor stays float32 where NumPy would widen (``cov``, ``corrcoef``,
``interp``). A keyword NumPy has that is not supported raises TypeError naming it, and
``out=`` always does (it would write into an array outside the tape).

Results that have no derivative (``isclose``, ``argwhere``, ``histogram``'s counts and edges,
``argpartition``) are computed by NumPy's own function on the tensors' arrays (CuPy's and Dask's
on theirs, through their ``__array_function__``) and come back as tensors; ``allclose``,
``array_equal`` and ``array_equiv`` return Python bools, as NumPy's do.

The functions live by family in this package's modules: ``shapes``, ``products``,
``convolution``, ``elementwise``, ``reductions``, ``quantiles``, ``statistics``, ``values`` and
``ufunc_methods``, on the keyword checks and conversions of ``_common``; this module holds only
the tables. Imports flow one way: ``_common`` <- the families <- this module, and among the
families ``shapes`` <- ``products``, ``values``; ``shapes``, ``products``, ``reductions`` <-
``statistics``.

>>> import numpy as np
>>> import tapegrad as tg
>>> x = tg.Variable([3.0, 1.0, 2.0, 10.0])
>>> with tg.GradientTape() as tape:
...     m = np.median(x)
>>> print(m, tape.gradient(m, x))
tg.Tensor(2.5, shape=(), dtype=float32) tg.Tensor([0.5 0.  0.5 0. ], shape=(4,), dtype=float32)
"""

from __future__ import annotations

import numpy as np

from .. import reduction as rd
from .. import statistics as st
from ._common import no_out as no_out
from ._common import refuse as refuse
from .convolution import convolve, correlate
from .elementwise import (
    angle,
    cbrt,
    deg2rad,
    divmod,
    fabs,
    fix,
    float_power,
    fmax,
    fmin,
    fmod,
    heaviside,
    iscomplex,
    iscomplexobj,
    isneginf,
    isposinf,
    isreal,
    isrealobj,
    logaddexp2,
    modf,
    nan_to_num,
    rad2deg,
    real_if_close,
    round,
    select,
)
from .products import cross, diag, diagflat, inner, kron, outer, polyval, tensordot, vdot
from .products import matvec as matvec
from .products import vecmat as vecmat
from .quantiles import (
    argpartition,
    median,
    nanmedian,
    nanpercentile,
    nanquantile,
    partition,
    percentile,
    quantile,
)
from .reductions import (
    average,
    nanargmax,
    nanargmin,
    nancumprod,
    nancumsum,
    nanmax,
    nanmean,
    nanmin,
    nanprod,
    nanstd,
    nansum,
    nanvar,
    ptp,
)
from .shapes import (
    append,
    array_split,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block,
    clip,
    column_stack,
    copy,
    delete,
    diff,
    dstack,
    flip,
    fliplr,
    flipud,
    hstack,
    insert,
    ravel,
    repeat,
    resize,
    roll,
    rot90,
    row_stack,
    split,
    stack,
    take,
    take_along_axis,
    tril,
    triu,
    vstack,
    where,
)
from .statistics import corrcoef, cov, interp, trapezoid
from .ufunc_methods import _accumulate, _reduce
from .ufunc_methods import ufunc_outer as ufunc_outer
from .values import (
    allclose,
    argwhere,
    array_equal,
    array_equiv,
    bincount,
    diag_indices_from,
    digitize,
    ediff1d,
    flatnonzero,
    histogram,
    histogram_bin_edges,
    isclose,
    isin,
    tril_indices_from,
    triu_indices_from,
    unique,
)

REDUCE = {
    np.add: _reduce("add", rd.sum),
    np.multiply: _reduce("multiply", rd.prod),
    np.maximum: _reduce("maximum", rd.max, takes_dtype=False),
    np.minimum: _reduce("minimum", rd.min, takes_dtype=False),
    np.logical_and: _reduce("logical_and", rd.all, takes_dtype=False),
    np.logical_or: _reduce("logical_or", rd.any, takes_dtype=False),
}

ACCUMULATE = {
    np.add: _accumulate("add", st.cumulative_sum),
    np.multiply: _accumulate("multiply", st.cumulative_prod),
}

UFUNCS = {
    np.cbrt: cbrt,
    np.deg2rad: deg2rad,
    np.radians: deg2rad,
    np.rad2deg: rad2deg,
    np.degrees: rad2deg,
    np.float_power: float_power,
    np.fabs: fabs,
    np.logaddexp2: logaddexp2,
    np.divmod: divmod,
    np.modf: modf,
    np.fmax: fmax,
    np.fmin: fmin,
    np.fmod: fmod,
    np.heaviside: heaviside,
}

for _name in ("matvec", "vecmat"):  # NumPy 2.2
    if hasattr(np, _name):
        UFUNCS[getattr(np, _name)] = globals()[_name]

FUNCTIONS = {
    "round": round,
    "around": round,
    "round_": round,
    "fix": fix,
    "ravel": ravel,
    "copy": copy,
    "atleast_1d": atleast_1d,
    "atleast_2d": atleast_2d,
    "atleast_3d": atleast_3d,
    "vstack": vstack,
    "row_stack": row_stack,
    "hstack": hstack,
    "column_stack": column_stack,
    "dstack": dstack,
    "block": block,
    "fliplr": fliplr,
    "flipud": flipud,
    "flip": flip,
    "rot90": rot90,
    "roll": roll,
    "repeat": repeat,
    "stack": stack,
    "split": split,
    "array_split": array_split,
    "append": append,
    "insert": insert,
    "delete": delete,
    "resize": resize,
    "take": take,
    "take_along_axis": take_along_axis,
    "diff": diff,
    "triu": triu,
    "tril": tril,
    "clip": clip,
    "where": where,
    "tensordot": tensordot,
    "outer": outer,
    "inner": inner,
    "vdot": vdot,
    "cross": cross,
    "kron": kron,
    "diag": diag,
    "diagflat": diagflat,
    "polyval": polyval,
    "convolve": convolve,
    "correlate": correlate,
    "angle": angle,
    "nan_to_num": nan_to_num,
    "select": select,
    "isposinf": isposinf,
    "isneginf": isneginf,
    "iscomplexobj": iscomplexobj,
    "isrealobj": isrealobj,
    "iscomplex": iscomplex,
    "isreal": isreal,
    "real_if_close": real_if_close,
    "ptp": ptp,
    "average": average,
    "nansum": nansum,
    "nanprod": nanprod,
    "nanmax": nanmax,
    "nanmin": nanmin,
    "nanargmax": nanargmax,
    "nanargmin": nanargmin,
    "nancumsum": nancumsum,
    "nancumprod": nancumprod,
    "nanmean": nanmean,
    "nanvar": nanvar,
    "nanstd": nanstd,
    "quantile": quantile,
    "percentile": percentile,
    "nanquantile": nanquantile,
    "nanpercentile": nanpercentile,
    "median": median,
    "nanmedian": nanmedian,
    "partition": partition,
    "argpartition": argpartition,
    "trapezoid": trapezoid,
    "trapz": trapezoid,
    "cov": cov,
    "corrcoef": corrcoef,
    "interp": interp,
    "isclose": isclose,
    "allclose": allclose,
    "array_equal": array_equal,
    "array_equiv": array_equiv,
    "argwhere": argwhere,
    "flatnonzero": flatnonzero,
    "isin": isin,
    "in1d": isin,
    "digitize": digitize,
    "histogram": histogram,
    "histogram_bin_edges": histogram_bin_edges,
    "bincount": bincount,
    "ediff1d": ediff1d,
    "tril_indices_from": tril_indices_from,
    "triu_indices_from": triu_indices_from,
    "diag_indices_from": diag_indices_from,
    "unique": unique,
}


# NumPy functions still refused, and the tapegrad way to do what they do
EQUIVALENTS = {
    "numpy.put": "t[indices] = values, or t.at[indices].set(values)",
    "numpy.put_along_axis": "t.at[...].set(values) with the indices of each axis",
    "numpy.place": "tg.where(mask, values, t)",
    "numpy.putmask": "tg.where(mask, values, t)",
    "numpy.copyto": "tg.where(where, src, dst)",
    "numpy.fill_diagonal": "t.at[i, i].set(value) with i = tg.arange(n)",
    "numpy.linalg.multi_dot": "tg.linalg.matmul, one product at a time",
    "numpy.ldexp": "x * tg.exp2(e)",
    "numpy.add.at": "t.at[indices].add(values)",
    "numpy.multiply.at": "t.at[indices].multiply(values)",
    "numpy.maximum.at": "t.at[indices].max(values)",
    "numpy.minimum.at": "t.at[indices].min(values)",
    "numpy.logaddexp.reduce": "tg.nn.logsumexp(t, axis=axis)",
    "numpy.fft.fft2": "tg.fft.fftn(t, axes=(-2, -1))",
    "numpy.fft.ifft2": "tg.fft.ifftn(t, axes=(-2, -1))",
    "numpy.fft.rfft2": "tg.fft.rfftn(t, axes=(-2, -1))",
    "numpy.fft.irfft2": "tg.fft.irfftn(t, axes=(-2, -1))",
}
