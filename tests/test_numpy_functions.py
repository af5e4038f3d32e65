"""NumPy functions called on tensors (ops/numpy_functions/): NumPy's values, tapegrad's dtypes,
derivatives checked to second order, and NumPy keywords honoured or refused by name."""

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.ops.numpy_functions import convolution
from tapegrad.testing import check_grads

RNG = np.random.default_rng(20240601)


def _data(shape, dtype, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape).astype(dtype)


def _positive(shape, dtype):
    return _data(shape, dtype, 0.5, 3.0)


def _with_nans(shape, dtype):
    x = _data(shape, dtype)
    x.reshape(-1)[:: max(2, x.size // 3)] = np.nan
    return x


def _tensors(args):
    return [tg.constant(a) if isinstance(a, np.ndarray) else a for a in args]


def _same(got, want, exact, tol):
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w, exact, tol)
        return
    if isinstance(want, (bool, np.bool_)) and not isinstance(got, tg.Tensor):
        assert got is bool(want)
        return
    assert isinstance(got, tg.Tensor), type(got)
    value = got.numpy()
    want = np.asarray(want)
    assert value.shape == want.shape
    if exact:
        np.testing.assert_array_equal(value, want)
    else:
        np.testing.assert_allclose(value, want, rtol=tol, atol=tol)


# (name, function of NumPy arrays or tensors, argument builders, options). Every row runs on
# float32 and float64 data; "exact" rows must equal NumPy's bits ("exact64": in float64, where
# NumPy computes float32 data in float64), the others within rounding.
# "dtype": "numpy" (the default) checks NumPy's result dtype, "keep" the data's dtype (where
# tapegrad keeps float32 and NumPy widens to float64).
S = {"0d": (), "empty": (0,), "vec": (5,), "mat": (3, 4), "cube": (2, 3, 4)}
VALUES = [
    ("round1", lambda a: np.round(a, 1), [_data], ["vec", "mat", "0d", "empty"], "exact"),
    ("round3", lambda a: np.round(a * 100, -1), [_data], ["vec", "0d"], "exact"),
    ("around", lambda a: np.around(a, 2), [_data], ["mat"], "exact"),
    ("ravel", lambda a: np.ravel(a), [_data], ["cube", "0d", "empty"], "exact"),
    ("ravel_F", lambda a: np.ravel(a, order="F"), [_data], ["cube"], "exact"),
    ("copy", lambda a: np.copy(a), [_data], ["mat", "0d"], "exact"),
    ("outer", np.outer, [_data, _data], ["vec", "mat"], "exact"),
    ("inner", np.inner, [_data, _data], ["vec", "mat", "0d"], ""),
    ("vdot", np.vdot, [_data, _data], ["vec", "mat"], ""),
    ("cross3", lambda a, b: np.cross(a[..., :3], b[..., :3]), [_data, _data], ["mat"], "exact"),
    ("cross_axis", lambda a, b: np.cross(a[:3], b[:3], axis=0), [_data, _data], ["mat"], "exact"),
    (
        "cross_axes",
        lambda a, b: np.cross(a[:3], b.T[:, :3], axisa=0, axisc=0),
        [_data, _data],
        ["mat"],
        "exact",
    ),
    ("diag1", lambda a: np.diag(a, 2), [_data], ["vec", "empty"], "exact"),
    ("diag1neg", lambda a: np.diag(a, -1), [_data], ["vec"], "exact"),
    ("diag2", lambda a: np.diag(a, 1), [_data], ["mat"], "exact"),
    ("diag2far", lambda a: np.diag(a, -7), [_data], ["mat"], "exact"),
    ("diagflat", lambda a: np.diagflat(a, -2), [_data], ["mat", "0d"], "exact"),
    ("atleast_1d", np.atleast_1d, [_data], ["0d", "mat"], "exact"),
    ("atleast_2d", np.atleast_2d, [_data], ["0d", "vec", "cube"], "exact"),
    ("atleast_3d", np.atleast_3d, [_data], ["0d", "vec", "mat"], "exact"),
    ("atleast_many", lambda a, b: np.atleast_2d(a, b), [_data, _data], ["vec"], "exact"),
    ("vstack", lambda a, b: np.vstack([a, b]), [_data, _data], ["vec", "mat", "0d"], "exact"),
    ("hstack", lambda a, b: np.hstack((a, b)), [_data, _data], ["vec", "mat", "0d"], "exact"),
    ("column_stack", lambda a, b: np.column_stack([a, b]), [_data, _data], ["vec", "mat"], "exact"),
    ("dstack", lambda a, b: np.dstack([a, b]), [_data, _data], ["vec", "mat", "0d"], "exact"),
    ("block", lambda a, b: np.block([[a, b], [b, a]]), [_data, _data], ["mat", "vec"], "exact"),
    ("block_flat", lambda a, b: np.block([a, b]), [_data, _data], ["vec", "0d"], "exact"),
    ("fliplr", np.fliplr, [_data], ["mat", "cube"], "exact"),
    ("flipud", np.flipud, [_data], ["vec", "mat"], "exact"),
    ("rot90", np.rot90, [_data], ["mat", "cube"], "exact"),
    ("rot90_k", lambda a: np.rot90(a, -3, axes=(1, 0)), [_data], ["mat"], "exact"),
    ("rot90_2", lambda a: np.rot90(a, 2, (0, 2)), [_data], ["cube"], "exact"),
    ("rot90_3", lambda a: np.rot90(a, 3, (2, 1)), [_data], ["cube"], "exact"),
    ("append", np.append, [_data, _data], ["vec", "mat", "0d"], "exact"),
    ("append_axis", lambda a, b: np.append(a, b, axis=0), [_data, _data], ["vec", "mat"], "exact"),
    ("insert", lambda a: np.insert(a, 1, 7.5), [_data], ["vec", "mat"], "exact"),
    ("insert_axis", lambda a: np.insert(a, [0, 2], 0.5, axis=1), [_data], ["mat"], "exact"),
    ("insert_vals", lambda a, b: np.insert(a, 2, b[0], axis=0), [_data, _data], ["mat"], "exact"),
    ("insert_slice", lambda a: np.insert(a, slice(0, 3), -1.0), [_data], ["vec"], "exact"),
    ("delete", lambda a: np.delete(a, 1), [_data], ["vec", "mat"], "exact"),
    ("delete_axis", lambda a: np.delete(a, [0, -1], axis=1), [_data], ["mat", "cube"], "exact"),
    ("delete_slice", lambda a: np.delete(a, slice(None, None, 2)), [_data], ["vec"], "exact"),
    ("delete_mask", lambda a: np.delete(a, a > 0, axis=0), [_data], ["vec"], "exact"),
    ("resize", lambda a: np.resize(a, (3, 7)), [_data], ["vec", "mat", "empty"], "exact"),
    ("ptp", np.ptp, [_data], ["vec", "mat", "0d"], "exact"),
    ("ptp_axis", lambda a: np.ptp(a, axis=1, keepdims=True), [_data], ["mat"], "exact"),
    ("average", np.average, [_data], ["vec", "mat"], ""),
    ("average_w", lambda a, w: np.average(a, weights=w), [_data, _positive], ["vec", "mat"], ""),
    (
        "average_w1",
        lambda a, w: np.average(a, axis=1, weights=w[0], returned=True),
        [_data, _positive],
        ["mat"],
        "",
    ),
    (
        "average_kd",
        lambda a, w: np.average(a, axis=(0, 2), weights=w[:, 0, :], keepdims=True),
        [_data, _positive],
        ["cube"],
        "",
    ),
    ("average_ret", lambda a: np.average(a, axis=0, returned=True), [_data], ["mat"], ""),
    ("nansum", np.nansum, [_with_nans], ["vec", "mat", "empty"], "exact"),
    ("nansum_axis", lambda a: np.nansum(a, axis=0, keepdims=True), [_with_nans], ["mat"], "exact"),
    ("nanprod", lambda a: np.nanprod(a, axis=1), [_with_nans], ["mat"], "exact"),
    ("nanmax", np.nanmax, [_with_nans], ["vec", "mat"], "exact"),
    ("nanmin_axis", lambda a: np.nanmin(a, axis=-1), [_with_nans], ["mat", "cube"], "exact"),
    ("nanmean", np.nanmean, [_with_nans], ["vec", "mat"], ""),
    ("nanmean_axis", lambda a: np.nanmean(a, axis=1), [_with_nans], ["mat"], ""),
    ("nanvar", lambda a: np.nanvar(a, ddof=1), [_with_nans], ["vec", "mat"], ""),
    ("nanvar_axis", lambda a: np.nanvar(a, axis=0), [_with_nans], ["mat"], ""),
    ("nanstd", lambda a: np.nanstd(a, axis=(0, 1), keepdims=True), [_with_nans], ["cube"], ""),
    ("nanargmax", np.nanargmax, [_with_nans], ["vec", "mat"], "exact"),
    ("nanargmin", lambda a: np.nanargmin(a, axis=1), [_data], ["mat"], "exact"),
    ("nancumsum", np.nancumsum, [_with_nans], ["mat"], "exact"),
    ("nancumprod", lambda a: np.nancumprod(a, axis=0), [_with_nans], ["mat"], "exact"),
    ("median", np.median, [_data], ["vec", "mat", "0d", "cube"], "exact"),
    ("median_axis", lambda a: np.median(a, axis=1), [_data], ["mat", "cube"], "exact"),
    ("median_axes", lambda a: np.median(a, axis=(0, 2), keepdims=True), [_data], ["cube"], "exact"),
    ("median_nan", lambda a: np.median(a, axis=0), [_with_nans], ["mat"], "exact"),
    ("quantile", lambda a: np.quantile(a, 0.3), [_data], ["vec", "mat", "0d"], "exact"),
    (
        "quantile_q",  # a list of Python quantiles is weak: NumPy makes it float64
        lambda a: np.quantile(a, [0.0, 0.25, 0.5, 1.0], axis=1),
        [_data],
        ["mat"],
        "keep exact64",
    ),
    ("quantile_np", lambda a: np.quantile(a, np.array([0.1, 0.9])), [_data], ["vec"], "exact"),
    ("quantile_int", lambda a: np.quantile(a, 1, axis=0), [_data], ["mat"], "exact"),
    (
        "quantile_kd",
        lambda a: np.quantile(a, 0.75, axis=(1, 2), keepdims=True),
        [_data],
        ["cube"],
        "exact",
    ),
    ("quantile_nan", lambda a: np.quantile(a, 0.4, axis=0), [_with_nans], ["mat"], "exact"),
    ("percentile", lambda a: np.percentile(a, 37), [_data], ["vec", "mat"], "exact"),
    ("percentile_m", lambda a: np.percentile(a, 40, method="lower"), [_data], ["mat"], "exact"),
    ("quantile_hi", lambda a: np.quantile(a, 0.33, method="higher"), [_data], ["vec"], "exact"),
    ("quantile_mid", lambda a: np.quantile(a, 0.4, method="midpoint"), [_data], ["mat"], "exact"),
    ("quantile_near", lambda a: np.quantile(a, 0.5, method="nearest"), [_data], ["vec"], "exact"),
    ("nanmedian", lambda a: np.nanmedian(a, axis=1), [_with_nans], ["mat"], "exact"),
    ("nanmedian_all", np.nanmedian, [_with_nans], ["vec", "mat"], "exact"),
    ("nanquantile", lambda a: np.nanquantile(a, 0.3, axis=1), [_with_nans], ["mat"], "exact"),
    (
        "nanpercentile",
        lambda a: np.nanpercentile(a, [20, 70]),
        [_with_nans],
        ["vec"],
        "keep exact64",
    ),
    ("trapezoid", np.trapezoid, [_data], ["vec", "mat"], "exact"),
    ("trapezoid_dx", lambda y: np.trapezoid(y, dx=0.5, axis=0), [_data], ["mat"], "exact"),
    ("trapezoid_x", lambda y, x: np.trapezoid(y, x[0], axis=-1), [_data, _data], ["mat"], "exact"),
    ("trapezoid_xnd", lambda y, x: np.trapezoid(y, x, axis=0), [_data, _data], ["mat"], "exact"),
    ("kron", np.kron, [_data, _data], ["vec", "mat", "0d"], "exact"),
    ("kron_mixed", lambda a, b: np.kron(a, b[0]), [_data, _data], ["mat", "cube"], "exact"),
    ("cov", np.cov, [_data], ["vec", "mat"], "keep"),
    ("cov_opts", lambda a: np.cov(a, rowvar=False, bias=True), [_data], ["mat"], "keep"),
    ("cov_ddof", lambda a, b: np.cov(a, b, ddof=0), [_data, _data], ["mat"], "keep"),
    (
        "cov_weights",
        lambda a, w: np.cov(a, fweights=[1, 2, 1, 3], aweights=w[0]),
        [_data, _positive],
        ["mat"],
        "keep",
    ),
    ("corrcoef", np.corrcoef, [_data], ["mat"], "keep"),
    ("corrcoef_y", lambda a, b: np.corrcoef(a, b, rowvar=False), [_data, _data], ["mat"], "keep"),
    (
        "interp",
        lambda x: np.interp(x, [-1.0, 0.0, 0.5, 1.5], [2.0, -1.0, 0.0, 3.0]),
        [_data],
        ["vec", "mat", "0d"],
        "keep exact64",
    ),  # fmt: skip
    (
        "interp_lr",
        lambda x, f: np.interp(
            x, np.linspace(-1, 1, 4).astype(x.dtype), f[0], left=-5.0, right=9.0
        ),
        [_data, _data],
        ["mat"],
        "keep exact64",
    ),  # fmt: skip
    (
        "interp_period",
        lambda x, f: np.interp(x, np.array([0.1, 1.0, 2.0, 3.5], x.dtype), f[0], period=4),
        [_data, _data],
        ["mat"],
        "keep exact64",
    ),  # fmt: skip
    ("polyval", np.polyval, [_data, _data], ["vec", "mat"], "exact"),
    (
        "polyval_list",
        lambda p, x: np.polyval([p[0], 2.0, p[1]], x),
        [_data, _data],
        ["vec"],
        "keep exact64",
    ),  # fmt: skip
    ("convolve", np.convolve, [_data, _data], ["vec"], ""),
    ("convolve_same", lambda a, b: np.convolve(a, b[:3], "same"), [_data, _data], ["vec"], ""),
    (
        "convolve_valid",
        lambda a, b: np.convolve(a[:2], b, mode="valid"),
        [_data, _data],
        ["vec"],
        "",
    ),  # fmt: skip
    ("correlate", lambda a, b: np.correlate(a, b[:2], "full"), [_data, _data], ["vec"], ""),
    ("correlate_same", lambda a, b: np.correlate(a[:2], b, "same"), [_data, _data], ["vec"], ""),
    ("correlate_valid", lambda a, b: np.correlate(a, b[1:]), [_data, _data], ["vec"], ""),
    ("angle", np.angle, [_data], ["vec", "0d"], "exact"),
    ("angle_deg", lambda a: np.angle(a, deg=True), [_data], ["mat"], "exact"),
    ("nan_to_num", np.nan_to_num, [_with_nans], ["vec", "mat"], "exact"),
    (
        "nan_to_num_kw",
        lambda a: np.nan_to_num(a / 0.0, nan=1.5, posinf=7.0, neginf=-3.0),
        [_with_nans],
        ["mat"],
        "exact",
    ),  # fmt: skip
    (
        "select",
        lambda a, b: np.select([a > 0.5, a < -1], [a, b], default=-0.25),
        [_data, _data],
        ["vec", "mat"],
        "exact",
    ),  # fmt: skip
    (
        "heaviside",
        lambda a: np.heaviside(np.round(a), 0.5),
        [_with_nans],
        ["vec", "mat"],
        "exact",
    ),  # fmt: skip
    ("fmax", lambda a, b: np.fmax(a, b), [_with_nans, _with_nans], ["vec", "mat"], "exact"),
    ("fmin", lambda a, b: np.fmin(a, 0.25), [_with_nans, _data], ["mat"], "exact"),
    ("cbrt", np.cbrt, [_data], ["vec", "mat", "0d"], "exact"),
    ("deg2rad", np.deg2rad, [_data], ["vec"], "exact"),
    ("radians", np.radians, [_data], ["mat"], "exact"),
    ("rad2deg", np.rad2deg, [_data], ["vec"], "exact"),
    ("degrees", np.degrees, [_data], ["mat"], "exact"),
    ("float_power", lambda a, b: np.float_power(np.abs(a), b), [_data, _data], ["vec"], "exact"),
    ("fabs", np.fabs, [_data], ["vec", "0d"], "exact"),
    ("logaddexp2", np.logaddexp2, [_data, _data], ["vec", "mat"], "exact"),
    ("logaddexp2_tie", lambda a: np.logaddexp2(a, a), [_data], ["vec"], "exact"),
    ("fmod", lambda a, b: np.fmod(a * 5, b), [_data, _data], ["vec", "mat"], "exact"),
    ("divmod", lambda a, b: np.divmod(a * 5, b), [_data, _data], ["vec"], "exact"),
    ("modf", lambda a: np.modf(a * 3), [_data], ["vec", "0d"], "exact"),
    ("fix", lambda a: np.fix(a * 3), [_data], ["vec"], "exact"),
    ("add_reduce", lambda a: np.add.reduce(a), [_data], ["vec", "mat"], "exact"),
    (
        "add_reduce_kw",
        lambda a: np.add.reduce(a, axis=None, keepdims=True),
        [_data],
        ["mat"],
        "exact",
    ),  # fmt: skip
    ("multiply_reduce", lambda a: np.multiply.reduce(a, 1), [_data], ["mat"], "exact"),
    ("maximum_reduce", lambda a: np.maximum.reduce(a, axis=(0, 1)), [_data], ["cube"], "exact"),
    (
        "minimum_reduce",
        lambda a: np.minimum.reduce(a, axis=-1, keepdims=True),
        [_data],
        ["mat"],
        "exact",
    ),  # fmt: skip
    (
        "logical_and_reduce",
        lambda a: np.logical_and.reduce(a > 0, axis=1),
        [_data],
        ["mat"],
        "exact",
    ),  # fmt: skip
    ("logical_or_reduce", lambda a: np.logical_or.reduce(a > 1), [_data], ["vec"], "exact"),
    ("add_accumulate", lambda a: np.add.accumulate(a), [_data], ["vec", "mat"], "exact"),
    (
        "multiply_accumulate",
        lambda a: np.multiply.accumulate(a, axis=1),
        [_data],
        ["mat"],
        "exact",
    ),  # fmt: skip
    ("add_outer", lambda a, b: np.add.outer(a, b), [_data, _data], ["vec"], "exact"),
    ("matvec", lambda a, b: np.matvec(a, b[..., 0, :]), [_data, _data], ["mat", "cube"], ""),
    ("vecmat", lambda a, b: np.vecmat(b[..., 0], a), [_data, _data], ["mat", "cube"], ""),
    ("tensordot", lambda a, b: np.tensordot(a, b.T, 1), [_data, _data], ["mat"], ""),
    ("tensordot_axes", lambda a, b: np.tensordot(a, b, [1, 1]), [_data, _data], ["mat"], ""),
    ("where1", lambda a: np.where(a > 0), [_data], ["vec", "mat"], "exact"),
    ("where3", lambda a, b: np.where(a > 0, a, b), [_data, _data], ["mat"], "exact"),
    ("flip", lambda a: np.flip(a, 1), [_data], ["mat"], "exact"),
    ("roll", lambda a: np.roll(a, 2, 0), [_data], ["mat"], "exact"),
    ("take", lambda a: np.take(a, [[0, 2], [1, 1]], 1), [_data], ["mat"], "exact"),
    ("take_scalar", lambda a: np.take(a, 3), [_data], ["mat"], "exact"),
    ("take_wrap", lambda a: np.take(a, [7, -9], mode="wrap"), [_data], ["vec"], "exact"),
    ("repeat", lambda a: np.repeat(a, 2, 0), [_data], ["mat"], "exact"),
    ("split", lambda a: np.split(a, 2, 1), [_data], ["mat"], "exact"),
    ("array_split", lambda a: np.array_split(a, 3), [_data], ["vec", "mat"], "exact"),
    (
        "array_split_idx",
        lambda a: np.array_split(a, [1, 3, 9], axis=1),
        [_data],
        ["mat"],
        "exact",
    ),  # fmt: skip
    ("stack", lambda a, b: np.stack([a, b], 1), [_data, _data], ["mat"], "exact"),
    ("diff", lambda a: np.diff(a, 2, 0), [_data], ["mat"], "exact"),
    ("triu", lambda a: np.triu(a, 1), [_data], ["mat"], "exact"),
    ("tril", lambda a: np.tril(a, -1), [_data], ["mat"], "exact"),
    ("clip", lambda a: np.clip(a, a_min=-0.5, a_max=0.5), [_data], ["mat"], "exact"),
    ("clip_new", lambda a: np.clip(a, min=-0.5), [_data], ["mat"], "exact"),
    (
        "take_along_axis",
        lambda a: np.take_along_axis(a, np.argsort(np.asarray(a), 1), 1),
        [_data],
        ["mat"],
        "exact",
    ),  # fmt: skip
    ("partition", lambda a: np.partition(a, 2), [_data], ["vec", "mat"], "exact"),
    (
        "ediff1d",
        lambda a: np.ediff1d(a, to_begin=[1.0, 2.0], to_end=-1),
        [_data],
        ["mat"],
        "exact",
    ),  # fmt: skip
    ("isposinf", lambda a: np.isposinf(a / 0.0), [_data], ["vec"], "exact"),
    ("isneginf", lambda a: np.isneginf(a / 0.0), [_data], ["vec"], "exact"),
    ("isclose", lambda a, b: np.isclose(a, a + b * 1e-6), [_data, _data], ["vec", "0d"], "exact"),
    ("allclose", lambda a, b: np.allclose(a, a + b * 1e-9), [_data, _data], ["mat"], "exact"),
    ("allclose_no", lambda a, b: np.allclose(a, b), [_data, _data], ["mat"], "exact"),
    ("array_equal", lambda a: np.array_equal(a, np.asarray(a)), [_data], ["mat"], "exact"),
    ("array_equiv", lambda a: np.array_equiv(a, np.asarray(a)[:1]), [_data], ["mat"], "exact"),
    ("argwhere", lambda a: np.argwhere(a > 0), [_data], ["mat", "vec"], "exact"),
    ("flatnonzero", lambda a: np.flatnonzero(a > 0), [_data], ["mat"], "exact"),
    ("isin", lambda a: np.isin(np.round(a), [0.0, 1.0]), [_data], ["mat"], "exact"),
    ("argpartition", lambda a: np.argpartition(a, 1, axis=0), [_data], ["mat"], "exact"),
    ("digitize", lambda a: np.digitize(a, [-1.0, 0.0, 1.0]), [_data], ["vec"], "exact"),
    ("histogram", np.histogram, [_data], ["vec", "mat"], "exact"),
    (
        "histogram_opts",
        lambda a: np.histogram(a, bins=4, range=(-1, 1), density=True),
        [_data],
        ["mat"],
        "exact",
    ),  # fmt: skip
    (
        "histogram_bins",
        lambda a: np.histogram(a, bins=[-2, -0.5, 0, 2]),
        [_data],
        ["mat"],
        "exact",
    ),  # fmt: skip
    ("unique", lambda a: np.unique(np.round(a)), [_data], ["mat", "empty"], "exact"),
    ("unique_all", lambda a: np.unique(np.round(a), True, True, True), [_data], ["mat"], "exact"),
    (
        "unique_counts",
        lambda a: np.unique(np.round(a), return_counts=True),
        [_with_nans],
        ["mat"],
        "exact",
    ),  # fmt: skip
    (
        "unique_inverse",
        lambda a: np.unique(np.round(a), return_inverse=True),
        [_with_nans],
        ["mat"],
        "exact",
    ),  # fmt: skip
    (
        "unique_index",
        lambda a: np.unique(np.round(a), return_index=True),
        [_with_nans],
        ["cube"],
        "exact",
    ),  # fmt: skip
    ("unique_nan_split", lambda a: np.unique(a, equal_nan=False), [_with_nans], ["mat"], "exact"),
]
_ROWS = [
    pytest.param(fn, builders, S[shape], options, id=f"{name}-{shape}")
    for name, fn, builders, shapes, options in VALUES
    for shape in shapes
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's all-NaN and 0/0 warnings
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn, builders, shape, options", _ROWS)
def test_values_equal_numpys(fn, builders, shape, options, dtype):
    args = [build(shape, dtype) for build in builders]
    want = fn(*args)
    got = fn(*_tensors(args))
    tol = 2e-5 if dtype == np.float32 else 1e-12
    options = options.split()
    exact = "exact" in options or ("exact64" in options and dtype == np.float64)
    _same(got, want, exact, tol)
    for g, w in zip(*((v,) if not isinstance(v, (tuple, list)) else v for v in (got, want))):
        if isinstance(g, tg.Tensor):
            expected = dtype if "keep" in options else np.asarray(w).dtype
            assert g.dtype == expected, (g.dtype, expected)


GRADIENTS = [
    ("ravel", lambda a: np.ravel(a, order="F"), [(2, 3)]),
    ("copy", lambda a: np.copy(a) * a, [(3,)]),
    ("copy_method", lambda a: a.copy() * a, [(3,)]),
    ("outer", np.outer, [(3,), (2, 2)]),
    ("inner", np.inner, [(2, 3), (4, 3)]),
    ("vdot", np.vdot, [(2, 3), (6,)]),
    ("cross", lambda a, b: np.cross(a, b, axisa=0, axisb=1), [(3, 2), (2, 3)]),
    ("diag", lambda v: np.diag(v, -1), [(3,)]),
    ("diag2", lambda m: np.diag(m, 1), [(3, 3)]),
    ("diagflat", lambda v: np.diagflat(v, 1), [(2, 2)]),
    ("atleast_3d", np.atleast_3d, [(2,)]),
    ("stacks", lambda a, b: np.vstack([a, b]) + np.column_stack([a, b]).T, [(3,), (3,)]),
    ("hstack_dstack", lambda a, b: np.hstack([a, b]).sum() * np.dstack([a, b]), [(2, 2), (2, 2)]),
    ("block", lambda a, b: np.block([[a, b], [b, a]]), [(2, 2), (2, 2)]),
    ("flips", lambda a: np.fliplr(a) * np.flipud(a) + np.rot90(a, 3), [(3, 3)]),
    ("append", lambda a, b: np.append(a, b, axis=1), [(2, 2), (2, 1)]),
    ("insert", lambda a, b: np.insert(a, [0, 1], b, axis=0), [(2, 3), (3,)]),
    ("delete", lambda a: np.delete(a, [0, 2]), [(2, 3)]),
    ("ptp", lambda a: np.ptp(a, axis=0), [(3, 2)]),
    ("average", lambda a, w: np.average(a, axis=1, weights=w * w + 1), [(2, 3), (3,)]),
    ("nansum", lambda a: np.nansum(a * a, axis=0), [(3, 2)]),
    ("nanmean", lambda a: np.nanmean(a * a, axis=1), [(2, 3)]),
    ("nanmax", lambda a: np.nanmax(a) + np.nanmin(a, axis=0).sum(), [(3, 2)]),
    ("nanprod", lambda a: np.nanprod(a, axis=1), [(2, 3)]),
    ("nanvar", lambda a: np.nanvar(a, axis=0, ddof=1), [(4, 2)]),
    ("nanstd", np.nanstd, [(5,)]),
    ("nancumsum", np.nancumsum, [(2, 2)]),
    ("median", lambda a: np.median(a, axis=0), [(4, 3)]),
    ("median_odd", np.median, [(5,)]),
    ("quantile", lambda a: np.quantile(a, [0.2, 0.7], axis=1), [(2, 5)]),
    ("percentile", lambda a: np.percentile(a, 30, method="midpoint"), [(6,)]),
    ("quantile_of_q", lambda a, q: np.quantile(a, 0.5 + 0.2 * tg.tanh(q), axis=0), [(5, 2), (3,)]),
    ("percentile_of_q", lambda a, q: np.nanpercentile(a, 50 + 20 * tg.tanh(q)), [(5,), ()]),
    ("nanquantile", lambda a: np.nanquantile(a, 0.3, axis=1), [(2, 4)]),
    ("nanmedian", np.nanmedian, [(4,)]),
    ("trapezoid", lambda y, x: np.trapezoid(y, x), [(2, 4), (4,)]),
    ("kron", np.kron, [(2, 2), (3,)]),
    ("cov", lambda a: np.cov(a, aweights=[1.0, 2.0, 0.5, 1.0]), [(2, 4)]),
    ("corrcoef", np.corrcoef, [(3, 5)]),
    ("interp", lambda x, f: np.interp(x, [-3.0, -0.1, 0.2, 3.0], f), [(4,), (4,)]),
    ("interp_xp", lambda xp: np.interp(0.3, np.cumsum(xp * xp + 1) - 2, [1.0, 2.0, 0.0]), [(3,)]),
    ("polyval", np.polyval, [(3,), (2, 2)]),
    ("convolve", np.convolve, [(5,), (3,)]),
    ("convolve_same", lambda a, v: np.convolve(a, v, "same"), [(2,), (4,)]),
    ("correlate", lambda a, v: np.correlate(a, v, "full"), [(4,), (2,)]),
    ("angle", lambda a: np.angle(a, deg=True) * a, [(3,)]),
    ("nan_to_num", lambda a: np.nan_to_num(a * a), [(3,)]),
    ("select", lambda a, b: np.select([a > 0, b > 0], [a * b, b], default=a), [(4,), (4,)]),
    ("heaviside", lambda a, h: np.heaviside(a, h) * a, [(4,), ()]),
    ("fmax", lambda a, b: np.fmax(a, b) + np.fmin(a, b) * 2, [(4,), (4,)]),
    ("cbrt", lambda a: np.cbrt(a), [(4,)]),
    ("degrees", lambda a: np.deg2rad(a) * np.rad2deg(a) + np.radians(a), [(3,)]),
    ("float_power", lambda a, b: np.float_power(a * a + 1, b), [(3,), (3,)]),
    ("fabs", lambda a: np.fabs(a) * a, [(3,)]),
    ("logaddexp2", np.logaddexp2, [(4,), (4,)]),
    ("fmod", lambda a, b: np.fmod(a * 3, b * b + 1), [(4,), (4,)]),
    ("divmod", lambda a, b: np.divmod(a * 3, b * b + 1)[1], [(4,), (4,)]),
    ("modf", lambda a: np.modf(a * 3)[0], [(4,)]),
    ("reduce", lambda a: np.add.reduce(a) * np.multiply.reduce(a, axis=1).sum(), [(2, 3)]),
    ("minmax_reduce", lambda a: np.maximum.reduce(a) - np.minimum.reduce(a, axis=None), [(3, 2)]),
    ("accumulate", lambda a: np.add.accumulate(a) * np.multiply.accumulate(a, 1), [(2, 3)]),
    ("ufunc_outer", lambda a, b: np.multiply.outer(a, b), [(2,), (3,)]),
    ("tensordot", lambda a, b: np.tensordot(a, b, 1), [(2, 3), (3, 2)]),
    ("partition", lambda a: np.partition(a, 2), [(5,)]),
    ("histogram_weights", lambda a, w: np.histogram(a, bins=3, weights=w)[0], [(6,), (6,)]),
    ("bincount", lambda w: np.bincount(np.array([0, 2, 2, 1]), weights=w), [(4,)]),
    ("unique", lambda a: np.unique(np.concatenate([a, a]), return_counts=True)[0], [(3,)]),
    ("take", lambda a: np.take(a, [[0, 1], [2, 2]], 1), [(2, 3)]),
    ("array_split", lambda a: np.array_split(a, 2)[1], [(5,)]),
    ("resize", lambda a: np.resize(a, (2, 5)), [(3,)]),
    ("interp_period", lambda x, f: np.interp(x, [0.5, 1.2, 2.0], f, period=2.5), [(4,), (3,)]),
    ("matvec", lambda a, b: np.matvec(a, b) + np.vecmat(b, a), [(3, 3), (3,)]),
    ("correlate_valid", np.correlate, [(5,), (3,)]),
    ("nancumprod", lambda a: np.nancumprod(a, axis=1), [(2, 3)]),
    (
        "adapters",
        lambda a: np.roll(np.flip(a, 0), 1, 1) + np.triu(a, 1) + np.diff(a, 1, 0, append=a[:1]),
        [(3, 3)],
    ),  # fmt: skip
]


@pytest.mark.parametrize(
    "fn, shapes", [pytest.param(fn, shapes, id=name) for name, fn, shapes in GRADIENTS]
)
def test_derivatives_to_second_order_forward_and_reverse(fn, shapes):
    rng = np.random.default_rng(len(shapes) * 7 + sum(map(len, shapes)))
    args = [rng.uniform(-2.0, 2.0, size=s) for s in shapes]
    check_grads(fn, args, order=2)


COMPLEX = [
    ("vdot", np.vdot, 2),
    ("inner", np.inner, 2),
    ("outer", np.outer, 2),
    ("cross", lambda a, b: np.cross(a[:3], b[:3]), 2),
    ("kron", np.kron, 2),
    ("convolve", np.convolve, 2),
    ("correlate", lambda a, b: np.correlate(a, b[:3], "same"), 2),
    ("angle", lambda a: np.angle(a, deg=True), 1),
    ("round", lambda a: np.round(a, 1), 1),
    ("nan_to_num", lambda a: np.nan_to_num(a / 0.0), 1),
    ("cov", lambda a, b: np.cov(a, b), 2),
    ("corrcoef", lambda a, b: np.corrcoef(a, b), 2),
    ("interp", lambda a: np.interp(np.array([0.2, 1.7]), np.arange(3.0), a[:3]), 1),
    ("nanvar", np.nanvar, 1),
    ("polyval", np.polyval, 2),
    ("average", lambda a, b: np.average(a, weights=np.abs(b) + 1), 2),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("fn, count", [pytest.param(f, n, id=name) for name, f, n in COMPLEX])
def test_complex_values_equal_numpys(fn, count):
    args = [_data((5,), np.float64) + 1j * _data((5,), np.float64) for _ in range(count)]
    args[0][1] = args[0][1].real  # one real value: the zero imaginary parts too
    want = fn(*args)
    got = fn(*_tensors(args))
    _same(got, want, False, 1e-12)
    assert got.dtype == np.asarray(want).dtype


def test_complex_derivatives():
    check_grads(
        lambda a, b: np.vdot(a, b) + np.inner(a, b),
        [_data((3,), np.float64) + 1j, _data((3,), np.float64) * 1j],
    )
    check_grads(
        lambda a, v: np.convolve(a, v, "same"),
        [_data((4,), np.float64) + 1j, _data((2,), np.float64) - 2j],
    )


def test_round_follows_numpy_half_to_even_for_every_decimals():
    x = np.array([0.125, 0.375, 2.5, -2.5, 1234.5678, -0.05, 155.0, 250.0])
    for decimals in (-3, -2, -1, 0, 1, 2, 3):
        for dtype in (np.float32, np.float64):
            got = np.round(tg.constant(x.astype(dtype)), decimals)
            np.testing.assert_array_equal(got.numpy(), np.round(x.astype(dtype), decimals))
    ints = np.array([15, 25, -15, -25, 150, 250, 7], dtype=np.int32)
    for decimals in (-2, -1, 0, 2):
        got = np.around(tg.constant(ints), decimals)
        assert got.dtype == tg.int32
        np.testing.assert_array_equal(got.numpy(), np.round(ints, decimals))
    assert (
        tg.constant([1.26, 2.5]).round(1).numpy().tolist()
        == np.round([1.26, 2.5], 1).astype(np.float32).tolist()
    )
    z = np.array([1.25 + 2.55j, -0.35 - 1.05j], dtype=np.complex128)
    np.testing.assert_array_equal(np.round(tg.constant(z), 1).numpy(), np.round(z, 1))


def test_round_has_derivative_zero():
    x = tg.Variable([1.26, -3.5])
    with tg.GradientTape() as tape:
        y = np.sum(np.round(x, 1))
    assert tape.gradient(y, x).numpy().tolist() == [0.0, 0.0]


def test_where_with_the_condition_alone_is_nonzero():
    m = np.array([[0.0, 1.0], [2.0, 0.0]])
    got = np.where(tg.constant(m))
    want = np.where(m)
    assert len(got) == 2
    for g, w in zip(got, want):
        assert g.numpy().tolist() == w.tolist()
    with pytest.raises(ValueError, match="either both or neither of x and y should be given"):
        np.where(tg.constant(m), 1.0)


def test_tensordot_takes_the_axes_by_position():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    assert np.tensordot(tg.constant(a), tg.constant(b), 1).numpy().tolist() == (a @ b).tolist()
    got = np.tensordot(tg.constant(a), tg.constant(a), ([0, 1], [0, 1]))
    assert float(got) == float(np.tensordot(a, a, ([0, 1], [0, 1])))


def test_results_without_derivatives_are_tensors_or_python_bools():
    x = tg.constant([1.0, 2.0, 3.0])
    assert isinstance(np.isclose(x, x), tg.Tensor) and np.isclose(x, x).dtype == tg.bool
    assert np.allclose(x, [1.0, 2.0, 3.0]) is True
    assert np.array_equal(x, x) is True and np.array_equiv(x, [[1.0, 2.0, 3.0]]) is True
    counts, edges = np.histogram(x, bins=2)
    assert isinstance(counts, tg.Tensor) and isinstance(edges, tg.Tensor)
    assert counts.numpy().tolist() == [1, 2] and edges.numpy().tolist() == [1.0, 2.0, 3.0]
    assert np.iscomplexobj(x) is False and np.isrealobj(x) is True
    assert np.isreal(x).numpy().all() and not np.iscomplex(x).numpy().any()
    rows, cols = np.triu_indices_from(tg.ones((3, 3)), 1)
    assert rows.numpy().tolist() == [0, 0, 1] and cols.numpy().tolist() == [1, 2, 2]
    assert np.real_if_close(tg.constant([1.0 + 1e-20j])).dtype == tg.float32


def test_nan_functions_give_nans_no_gradient():
    x = tg.Variable([1.0, np.nan, 3.0, np.nan])
    for fn in (np.nansum, np.nanmean, np.nanmax, np.nanmin, np.nanprod, np.nanstd, np.nanvar):
        with tg.GradientTape() as tape:
            y = fn(x)
        gradient = tape.gradient(y, x).numpy()
        assert np.all(np.isfinite(gradient)) and gradient[1] == 0 and gradient[3] == 0, fn
    with tg.GradientTape() as tape:
        y = np.sum(np.nan_to_num(x * 2.0))
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 0.0, 2.0, 0.0]
    assert np.isnan(float(np.nanmax(tg.constant([np.nan, np.nan]))))
    with pytest.raises(ValueError, match="All-NaN slice encountered"):
        np.nanargmax(tg.constant([np.nan, np.nan]))


def test_median_and_quantile_gradients_follow_the_sort_at_ties():
    x = tg.Variable([2.0, 1.0, 2.0, 5.0])
    with tg.GradientTape(persistent=True) as tape:
        m = np.median(x)
        sorted_middle = tg.sum(tg.sort(x)[1:3]) / 2
    assert float(m) == 2.0
    np.testing.assert_array_equal(tape.gradient(m, x).numpy(), tape.gradient(sorted_middle, x))


def test_the_dtype_rules_of_tapegrad_apply():
    ints = tg.constant([1, 4, 2, 8], dtype=tg.int32)
    assert np.median(ints).dtype == tg.float64
    assert np.median(tg.constant([1, 4, 2], dtype=tg.int16)).dtype == tg.float32
    x32 = tg.constant([1.0, 4.0, 2.0, 8.0])
    assert np.quantile(x32, 0.3).dtype == tg.float32  # a Python quantile is weak
    assert np.quantile(x32, [0.3, 0.5]).dtype == tg.float32  # so is a list of them
    assert np.quantile(x32, np.array([0.3])).dtype == tg.float64  # a NumPy array is not
    assert np.cov(x32).dtype == tg.float32  # NumPy widens to float64
    assert np.interp(1.5, x32, x32).dtype == tg.float32
    assert np.float_power(x32, 2).dtype == tg.float64  # computed in float64, as NumPy
    assert (
        np.cbrt(ints).dtype == tg.float64 and np.fabs(tg.constant([1], tg.int8)).dtype == tg.float32
    )
    assert np.average(ints).dtype == tg.float64


def test_insert_never_truncates_a_float_into_an_integer_tensor():
    ints = tg.constant([1, 2, 3])
    assert np.insert(ints, 1, 7).numpy().tolist() == [1, 7, 2, 3]
    with pytest.raises(TypeError, match="cannot hold without loss"):
        np.insert(ints, 1, 7.5)


def test_unique_makes_one_value_of_all_nans_as_numpy():
    x = np.array([2.0, np.nan, 1.0, np.nan, 2.0])
    got = np.unique(tg.constant(x), return_index=True, return_inverse=True, return_counts=True)
    for g, w in zip(got, np.unique(x, True, True, True)):
        np.testing.assert_array_equal(g.numpy(), w)
    v = tg.Variable([3.0, 1.0, 3.0])
    with tg.GradientTape() as tape:
        y = tg.sum(np.unique(v) * tg.constant([1.0, 10.0]))
    assert tape.gradient(y, v).numpy().tolist() == [5.0, 1.0, 5.0]  # ties share evenly


def test_copy_and_nan_to_num_in_place_are_recorded():
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(np.copy(x) * x.copy())
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 4.0]
    v = tg.Variable([1.0, 2.0])
    assert isinstance(v.copy(), tg.Variable) and not isinstance(np.copy(v), tg.Variable)
    t = tg.constant([np.nan, 1.0])
    alias = t
    assert np.nan_to_num(t, copy=False) is t and alias.numpy().tolist() == [0.0, 1.0]


def test_convolutions_in_several_blocks_keep_numpy_digits(monkeypatch):
    rng = np.random.default_rng(3)
    a, v = rng.standard_normal(3000), rng.standard_normal(700)  # windows in 3 blocks
    for mode in ("full", "same", "valid"):
        np.testing.assert_allclose(
            np.convolve(tg.constant(a), tg.constant(v), mode).numpy(),
            np.convolve(a, v, mode),
            rtol=1e-12,
            atol=1e-12,
        )
    # small outputs beside large ones keep their digits (an FFT's error is relative to the
    # largest output: it missed these by 2%)
    e, d = np.exp(np.linspace(0, 30, 3000)), np.exp(-np.linspace(0, 30, 1000))
    np.testing.assert_allclose(
        np.convolve(tg.constant(e), tg.constant(d)).numpy(), np.convolve(e, d), rtol=1e-13
    )
    monkeypatch.setattr(convolution, "_WINDOW_ELEMENTS", 6)  # blocks of 2 outputs: gradients across
    x, w = tg.constant(rng.standard_normal(7)), tg.constant(rng.standard_normal(3))
    check_grads(lambda x, w: np.convolve(x, w, "same"), (x, w), order=2, modes=("fwd", "rev"))
    ints = np.array([1, 2, 3], dtype=np.int64)
    got = np.convolve(tg.constant(ints), tg.constant(ints))
    assert got.dtype == tg.int64 and got.numpy().tolist() == np.convolve(ints, ints).tolist()
    with pytest.raises(ValueError, match="mode must be one of"):
        np.convolve(tg.constant(a), v, "wide")


@pytest.mark.filterwarnings("ignore:divide by zero", "ignore:invalid value")  # NumPy's too
def test_numpy_warnings_are_kept():
    with pytest.warns(DeprecationWarning, match="2-dimensional vectors are deprecated"):
        np.cross(tg.constant([1.0, 2.0]), tg.constant([3.0, 4.0]))
    with pytest.warns(DeprecationWarning, match="row_stack"):
        np.row_stack([tg.constant([1.0]), tg.constant([2.0])])
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        assert np.isnan(float(np.cov(tg.constant([1.0]))))


REFUSED = [
    (
        lambda t: np.nansum(t, where=t > 0),
        "numpy.nansum on tensors takes no where=: compute with tapegrad functions (tg.where for "
        "where=)",
    ),
    (
        lambda t: np.nanmax(t, initial=3.0),
        "numpy.nanmax on tensors takes no initial=: compute with tapegrad functions",
    ),
    (
        lambda t: np.nanvar(t, mean=t),
        "numpy.nanvar on tensors takes no mean=: compute with tapegrad functions",
    ),
    (
        lambda t: np.sum(t, initial=1.0, where=t > 0),
        "numpy.sum on tensors takes no initial=, where=: compute with tapegrad functions (tg.where "
        "for where=)",
    ),
    (
        lambda t: np.add.reduce(t, initial=1.0),
        "numpy.add.reduce on tensors takes no initial=: compute with tapegrad functions",
    ),
    (
        lambda t: np.quantile(t, 0.5, weights=t, method="inverted_cdf"),
        "numpy.quantile on tensors takes no weights=: compute with tapegrad functions",
    ),
    (
        lambda t: np.quantile(t, 0.5, method="weibull"),
        "numpy.quantile on tensors takes method='weibull' only as one of ('linear', 'lower', "
        "'higher', 'midpoint', 'nearest'): compute the others with tapegrad functions, or convert "
        "with t.numpy() to leave the tape",
    ),
    (
        lambda t: np.unique(t, axis=0),
        "numpy.unique on tensors takes no axis=: compute with tapegrad functions",
    ),
    (
        lambda t: np.partition(t, 1, order="x"),
        "numpy.partition on tensors takes no order=: compute with tapegrad functions",
    ),
    (
        lambda t: np.clip(t, 0, 1, casting="unsafe"),
        "numpy.clip on tensors takes no casting=: compute with tapegrad functions",
    ),
    (
        lambda t: np.cbrt(t, where=t > 0),
        "numpy.cbrt on tensors takes no where=: compute with tapegrad functions (tg.where for "
        "where=)",
    ),
    (
        lambda t: np.multiply.outer(t, t, where=t > 0),
        "numpy.multiply.outer on tensors takes no where=: compute with tapegrad functions "
        "(tg.where for where=)",
    ),
    (
        lambda t: np.median(t, out=np.zeros(())),
        "numpy.median(..., out=...) would write into an array outside the tape: drop out= and "
        "use the returned tensor",
    ),
    (
        lambda t: np.modf(t, out=(np.zeros(3), np.zeros(3))),
        "numpy.modf(..., out=...) would write into an array outside the tape: drop out= and use "
        "the returned tensor",
    ),
]


@pytest.mark.parametrize("call, message", REFUSED)
def test_numpy_keywords_not_honoured_raise_type_error_naming_them(call, message):
    with pytest.raises(TypeError) as caught:
        call(tg.constant([1.0, 2.0, 3.0]))
    assert str(caught.value) == message


def test_refused_functions_name_the_tapegrad_equivalent():
    t = tg.constant([1.0, 2.0])
    with pytest.raises(TypeError) as caught:
        np.put(t, [0], [5.0])
    assert str(caught.value) == (
        "numpy.put has no tapegrad rule, so its gradient would be lost: use t[indices] = values, "
        "or t.at[indices].set(values), or convert with t.numpy() to leave the tape on purpose"
    )
    with pytest.raises(TypeError, match=r"numpy.add \(at\) has no tapegrad rule.*t.at\[indices\]"):
        np.add.at(t, [0], 1.0)
    with pytest.raises(TypeError, match=r"numpy.ldexp \(__call__\).*x \* tg.exp2\(e\)"):
        np.ldexp(t, 2)
    with pytest.raises(TypeError, match=r"numpy.linalg.multi_dot has no tapegrad rule.*matmul"):
        np.linalg.multi_dot([tg.constant(np.eye(2))] * 3)
    with pytest.raises(TypeError, match=r"numpy.logaddexp \(reduce\).*tg.nn.logsumexp"):
        np.logaddexp.reduce(t)
    with pytest.raises(TypeError, match=r"numpy.fft.fft2 has no tapegrad rule.*tg.fft.fftn"):
        np.fft.fft2(tg.ones((2, 2)))
    with pytest.raises(TypeError, match=r"numpy.gradient has no tapegrad rule"):
        np.gradient(t)
    with pytest.raises(TypeError, match=r"numpy.subtract \(reduce\) has no tapegrad rule"):
        np.subtract.reduce(t)


def test_weighted_histogram_and_bincount_stay_in_the_weights_library():
    da = pytest.importorskip("dask.array")
    xs = pytest.importorskip("array_api_strict")
    a, w = np.array([0.1, 0.5, 0.7, 2.0]), np.array([1.0, 2.0, 3.0, 4.0])
    to_dask = lambda v: da.from_array(v, chunks=2)  # noqa: E731
    # Dask data would be placed on the host whole: only Dask weights beside NumPy data
    for convert, data, library in (
        (to_dask, np.asarray, "dask"),
        (xs.asarray, xs.asarray, "array_api_strict"),
    ):
        counts, _ = np.histogram(tg.constant(data(a)), 3, weights=tg.constant(convert(w)))
        density, _ = np.histogram(
            tg.constant(data(a)), 3, weights=tg.constant(convert(w)), density=True
        )
        summed = np.bincount(
            tg.constant(data(np.array([0, 2, 2]))), weights=tg.constant(convert(w[:3]))
        )
        assert type(counts._value).__module__.split(".")[0] == library
        np.testing.assert_allclose(counts.numpy(), np.histogram(a, 3, weights=w)[0])
        np.testing.assert_allclose(density.numpy(), np.histogram(a, 3, weights=w, density=True)[0])
        np.testing.assert_allclose(summed.numpy(), np.bincount([0, 2, 2], weights=w[:3]))
    message = (
        "numpy.{} is not available for dask tensors: it places the values on the host, which "
        "would pull the whole array into this process; compute it on NumPy values (t.numpy()) "
        "if they fit in memory"
    )
    weights = tg.constant(w)
    for name, call in (
        ("histogram", lambda: np.histogram(tg.constant(to_dask(a)), 3, weights=weights)),
        ("bincount", lambda: np.bincount(tg.constant(to_dask(np.array([0, 1, 1, 2]))), weights)),
        ("partition", lambda: np.partition(tg.constant(to_dask(a)), 1)),
    ):
        with pytest.raises(NotImplementedError) as caught:
            call()
        assert str(caught.value) == message.format(name)


def _as_numpys(got, expected):
    """Equal to NumPy's value, dtype and shape."""
    got = got.numpy() if isinstance(got, tg.Tensor) else np.asarray(got)
    expected = np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape, (got, expected)
    np.testing.assert_array_equal(got, expected)


def test_edge_cases_found_against_numpy():
    c = np.array([1 + 1j, np.nan, 2 - 1j])
    _as_numpys(np.nanmax(tg.constant(c)), np.nanmax(c))  # a NaN in complex data is skipped
    _as_numpys(np.nanmin(tg.constant(c)), np.nanmin(c))
    m = np.array([[1 + 1j, 2, 3 - 1j], [0, 1j, 2]])
    np.testing.assert_allclose(
        np.cov(tg.constant(m), fweights=[1, 2, 1], aweights=[1.0, 2.0, 1.0]).numpy(),
        np.cov(m, fweights=[1, 2, 1], aweights=[1.0, 2.0, 1.0]),
    )
    a = np.array([0.1, 0.2, 0.7, 0.9])
    w = np.array([1, 2, 3, 4])
    edges = [0, 0.5, 1.5]
    _as_numpys(  # widths were cast to the integer weights' dtype (0.5 -> 0: an inf density)
        np.histogram(a, edges, weights=tg.constant(w), density=True)[0],
        np.histogram(a, edges, weights=w, density=True)[0],
    )
    with pytest.raises(TypeError, match="bool weights cannot be summed"):
        np.histogram(a, edges, weights=tg.constant([True, False, True, True]))
    bools = np.array([True, True, True])
    _as_numpys(np.bincount([0, 1, 1], weights=tg.constant(bools)), np.bincount([0, 1, 1], bools))
    i = np.array([1, 5, 2, 8, 3], np.int32)
    for method, q in (("lower", 0.5), ("higher", 0.3), ("nearest", 0.6), ("linear", 1)):
        _as_numpys(np.quantile(tg.constant(i), q, method=method), np.quantile(i, q, method=method))
    _as_numpys(np.quantile(tg.constant(i), 0.5), np.quantile(i, 0.5))  # interpolated: float64
    with pytest.warns(RuntimeWarning):
        expected = np.nanquantile(np.zeros(0), 0.5)
    _as_numpys(np.nanquantile(tg.constant(np.zeros(0)), 0.5), expected)
    _as_numpys(np.nanpercentile(tg.constant(np.zeros(0)), [50, 70]), [np.nan, np.nan])
    _as_numpys(
        np.inner(tg.constant(np.zeros((2, 0))), tg.constant(np.zeros((3, 0)))), np.zeros((2, 3))
    )
    x = np.arange(3.0)
    _as_numpys(np.tensordot(tg.constant(x), tg.constant(x), np.int64(1)), 5.0)
    _as_numpys(np.take(tg.constant(x), []), np.take(x, []))
    _as_numpys(np.diff(tg.constant(x > 0)), np.diff(x > 0))
    _as_numpys(tg.diff(tg.constant([True, False, False, True]), n=2), [True, True])
    _as_numpys(np.vdot(tg.constant(x > 0), tg.constant(x > 0)), np.vdot(x > 0, x > 0))
    _as_numpys(np.triu(tg.constant(x)), np.triu(x))  # a 1-D tensor: the rows of a square
    _as_numpys(np.tril(tg.constant(x), -1), np.tril(x, -1))
    for call in (
        lambda: np.cbrt(tg.constant([-8j])),
        lambda: np.rad2deg(tg.constant([1j])),
        lambda: np.heaviside(tg.constant([1.0]), 0.5j),
        lambda: np.logaddexp2(tg.constant([1j]), 1.0),
    ):
        with pytest.raises(TypeError, match="it is defined for real numbers; pass tg.real"):
            call()
    with pytest.raises(ValueError) as caught:
        np.block([[1.0, 2.0], tg.ones(2)])
    assert str(caught.value) == (
        "List depths are mismatched. First element was at depth 2, but there is an element at "
        "depth 1 (arrays[1])"
    )


def test_plain_arguments_join_a_dask_tensor_in_any_position():
    da = pytest.importorskip("dask.array")
    d_values = np.array([1.0, 3.0, 6.0])
    d = tg.constant(da.from_array(d_values, chunks=2))
    for call, expected in (
        (lambda f, v: f.ediff1d(v, to_begin=0.0), np.ediff1d(d_values, to_begin=0.0)),
        (lambda f, v: f.outer([1.0, 2.0], v), np.outer([1.0, 2.0], d_values)),
        (lambda f, v: f.append([0.0], v), np.append([0.0], d_values)),
        (lambda f, v: f.vstack([[0.0, 0.0, 0.0], v]), np.vstack([[0.0, 0.0, 0.0], d_values])),
        (
            lambda f, v: f.tensordot([1.0, 2.0, 3.0], v, 1),
            np.tensordot([1.0, 2.0, 3.0], d_values, 1),
        ),
        (lambda f, v: f.insert([0.0, 1.0], 1, v), np.insert([0.0, 1.0], 1, d_values)),
        (lambda f, v: f.trapezoid([1.0, 2.0, 4.0], v), np.trapezoid([1.0, 2.0, 4.0], d_values)),
        (lambda f, v: f.divmod([7.0, 8.0, 9.0], v)[1], np.divmod([7.0, 8.0, 9.0], d_values)[1]),
    ):
        got = call(np, d)
        assert type(got._value).__module__.split(".")[0] == "dask"
        np.testing.assert_allclose(got.numpy(), expected)


def test_reduction_methods_and_refused_ufunc_methods_name_the_keyword_and_the_way():
    t = tg.constant([1.0, 2.0, 3.0])
    for call, message in (
        (lambda: t.sum(where=t > 1), "numpy.sum on tensors takes no where=: compute with "),
        (lambda: np.var(t, mean=2.0), "numpy.var on tensors takes no mean=: compute with "),
        (lambda: np.std(t, where=t > 1), "numpy.std on tensors takes no where=: compute with "),
        (
            lambda: np.fmax.reduce(t),
            "numpy.fmax (reduce) has no tapegrad rule, so its gradient "
            "would be lost: use tapegrad functions, or convert",
        ),
        (
            lambda: np.sin.at(t, [0]),
            "numpy.sin (at) has no tapegrad rule, so its gradient would "
            "be lost: use tg.sin with indexing or t.at[...], or convert",
        ),
    ):
        with pytest.raises(TypeError) as caught:
            call()
        assert str(caught.value).startswith(message)
    assert np.var(t, correction=1).numpy() == np.var(t.numpy(), correction=1) == t.var(ddof=1)
    with pytest.raises(ValueError, match="ddof and correction can't be provided simultaneously"):
        np.var(t, ddof=1, correction=1)


def test_reductions_take_numpys_positional_order_and_refuse_unknown_keywords():
    t = tg.constant([[1.0, 2.0], [3.0, 4.0]])
    x = t.numpy()
    assert np.max(t, 0, None, True).numpy().tolist() == np.max(x, 0, None, True).tolist()
    assert t.max(0, None, True).numpy().tolist() == x.max(0, None, True).tolist()  # no dtype
    assert (
        np.sum(t, 0, None, None, True).numpy().tolist() == np.sum(x, 0, None, None, True).tolist()
    )
    with pytest.raises(TypeError, match="numpy.max on tensors takes no initial="):
        t.max(0, None, None, True)  # NumPy's initial=True, not keepdims
    for call, keyword in (
        (lambda: t.sum(foo=None), "foo"),
        (lambda: t.mean(keepdim=True), "keepdim"),
    ):
        with pytest.raises(TypeError, match=f"got an unexpected keyword argument '{keyword}'"):
            call()
    with pytest.raises(
        TypeError,
        match="numpy.maximum .accumulate. has no tapegrad rule, so its "
        "gradient would be lost: use tapegrad functions",
    ):
        np.maximum.accumulate(t)


@pytest.mark.filterwarnings("ignore:All-NaN slice")  # NumPy's own, for the reference values
def test_nan_quantiles_of_dask_tensors_compute_nothing_until_asked():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")

    def refuse(*args, **kwargs):
        raise AssertionError("a Dask recipe was computed behind the user's back")

    x = np.array([[3.0, np.nan, 2.0, 7.0, 1.0], [np.nan] * 5, [1.0, 2.0, 3.0, 4.0, 5.0]])
    d = tg.constant(da.from_array(x, chunks=2))
    with dask.config.set(scheduler=refuse):
        median = np.nanmedian(d, axis=-1)
        quantiles = {
            m: np.nanquantile(d, [0.3, 0.5, 0.9], axis=-1, method=m)
            for m in ("linear", "lower", "higher", "nearest", "midpoint")
        }
        gradient = tg.grad(lambda t: tg.sum(np.nanquantile(t, 0.3, axis=-1)))(d)
    np.testing.assert_allclose(median.numpy(), np.nanmedian(x, axis=-1))
    for m, q in quantiles.items():
        expected = np.nanquantile(x, [0.3, 0.5, 0.9], axis=-1, method=m)
        np.testing.assert_allclose(q.numpy(), expected)
    expected = tg.grad(lambda t: tg.sum(np.nanquantile(t, 0.3, axis=-1)))(tg.constant(x))
    np.testing.assert_allclose(gradient.numpy(), expected.numpy())
