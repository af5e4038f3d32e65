"""Tensor semantics: creation, dtypes, promotion, conversions, operators, indexing, printing."""

import copy
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tg

DTYPE_NAMES = [
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
    "complex64",
    "complex128",
]


def grad_of(f, x):
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


# -- creation and default dtypes --
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_every_dtype_is_exported_and_usable(name):
    dtype = getattr(tg, name)
    assert dtype == np.dtype(name)
    assert tg.constant(1, dtype=dtype).dtype == dtype


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (2.0, "float32"),
        (2, "int32"),
        (True, "bool"),
        ([1.0, 2.0], "float32"),
        ([1, 2], "int32"),
        ([True, False], "bool"),
        ([[1, 2], [3, 4]], "int32"),
    ],
)
def test_python_values_take_tensorflow_default_dtypes(value, dtype):
    assert tg.constant(value).dtype == np.dtype(dtype)
    assert tg.convert_to_tensor(value).dtype == np.dtype(dtype)


def test_python_int_too_large_for_int32_becomes_int64():
    assert tg.constant(2**40).dtype == tg.int64


def test_mixed_int_and_float_list_is_float32():
    t = tg.constant([1, 2.5])
    assert t.dtype == tg.float32
    assert t.numpy().tolist() == [1.0, 2.5]


@pytest.mark.parametrize(
    "value",
    [
        np.array([1.0, 2.0]),
        np.array([1, 2], dtype=np.int64),
        np.array([1, 2], dtype=np.uint8),
        np.array([1.0], dtype=np.float16),
        np.float64(1.0),
        np.float32(1.0),
        np.int64(3),
        np.int16(3),
        np.bool_(True),
        np.complex128(1j),
    ],
    ids=lambda v: f"{type(v).__name__}-{v.dtype}",
)
def test_numpy_arrays_and_scalars_keep_their_dtype(value):
    assert tg.constant(value).dtype == value.dtype
    assert tg.convert_to_tensor(value).dtype == value.dtype


def test_numpy_float64_scalar_stays_float64_though_it_subclasses_float():
    assert isinstance(np.float64(1.0), float)
    t = tg.constant(np.float64(1.0))
    assert t.dtype == tg.float64
    assert float(t) == 1.0


def test_constant_with_dtype_casts_python_values():
    t = tg.constant([1, 2], dtype=tg.float64)
    assert t.dtype == tg.float64
    assert t.numpy().tolist() == [1.0, 2.0]


def test_constant_accepts_dtype_names():
    assert tg.constant(1.0, dtype="float64").dtype == tg.float64


def test_constant_never_truncates_a_float_to_an_integer():
    with pytest.raises(TypeError, match="truncate"):
        tg.constant([1.5, 2.0], dtype=tg.int32)


def test_constant_of_numpy_float_array_to_int_dtype_does_not_truncate():
    with pytest.raises(TypeError, match=r"float64.*int64"):
        tg.constant(np.array([0.5]), dtype=tg.int64)


def test_constant_of_a_string_raises_type_error():
    with pytest.raises(TypeError, match="str"):
        tg.constant("abc")


def test_constant_of_an_integer_beyond_every_integer_dtype_names_the_range():
    with pytest.raises(ValueError) as caught:
        tg.constant([1, 2**64])
    assert str(caught.value) == (
        "cannot convert list [1, 18446744073709551616] to a tensor: the integer "
        "18446744073709551616 lies outside every integer dtype's range (int64 from -2**63, "
        "uint64 up to 2**64 - 1); give it as a float (float(x)) if an approximation will do"
    )
    with pytest.raises(ValueError, match="the integer -18446744073709551617 lies outside"):
        tg.constant(-(2**64) - 1, dtype=tg.int64)


def test_constant_of_a_huge_integer_asked_for_as_a_float_converts_it():
    big = tg.constant([1, 2**64], dtype=tg.float64)
    assert big.dtype == tg.float64 and big.numpy().tolist() == [1.0, 2.0**64]
    assert tg.constant(2**70, dtype=tg.complex64).numpy() == np.complex64(2.0**70)


def test_constant_of_unknown_dtype_raises_type_error():
    with pytest.raises(TypeError, match="unknown dtype"):
        tg.constant(1.0, dtype="float128x")


def test_constant_copies_the_numpy_array_it_is_given():
    source = np.array([1.0, 2.0])
    t = tg.constant(source)
    source[0] = 100.0
    assert t.numpy().tolist() == [1.0, 2.0]


def test_constant_of_a_tensor_is_a_new_tensor_with_equal_value():
    t = tg.constant([1.0, 2.0])
    u = tg.constant(t)
    assert isinstance(u, tg.Tensor)
    assert u.numpy().tolist() == [1.0, 2.0]


def test_convert_to_tensor_returns_a_tensor_unchanged():
    t = tg.constant([1.0, 2.0])
    assert tg.convert_to_tensor(t) is t


def test_convert_to_tensor_with_a_different_dtype_raises_type_error():
    with pytest.raises(TypeError, match=r"float32.*float64"):
        tg.convert_to_tensor(tg.constant(1.0), dtype=tg.float64)


def test_convert_to_tensor_of_a_variable_keeps_the_gradient_path():
    v = tg.Variable(3.0)
    with tg.GradientTape() as tape:
        y = tg.convert_to_tensor(v) * 2.0
    assert float(tape.gradient(y, v)) == 2.0


# -- properties and conversions --
def test_shape_dtype_ndim_size():
    t = tg.constant(np.zeros((2, 3, 4), dtype=np.float32))
    assert t.shape == (2, 3, 4)
    assert isinstance(t.shape, tuple)
    assert t.dtype == tg.float32
    assert t.ndim == 3
    assert t.size == 24


def test_scalar_properties():
    t = tg.constant(1.0)
    assert (t.shape, t.ndim, t.size) == ((), 0, 1)


def test_zero_size_tensor_properties():
    t = tg.constant(np.zeros((3, 0)))
    assert (t.shape, t.ndim, t.size) == ((3, 0), 2, 0)


def test_numpy_returns_the_values():
    t = tg.constant([[1.0, 2.0], [3.0, 4.0]])
    a = t.numpy()
    assert isinstance(a, np.ndarray)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, [[1.0, 2.0], [3.0, 4.0]])


def test_numpy_result_cannot_change_the_tensor():
    t = tg.constant([1.0, 2.0])
    a = t.numpy()
    try:
        a[0] = 99.0
    except ValueError:
        pass
    assert t.numpy().tolist() == [1.0, 2.0]
    assert float(t[0]) == 1.0


def test_np_asarray_of_a_tensor():
    t = tg.constant([1, 2, 3])
    a = np.asarray(t)
    assert isinstance(a, np.ndarray)
    assert a.dtype == np.int32
    assert a.tolist() == [1, 2, 3]


def test_np_asarray_with_dtype():
    a = np.asarray(tg.constant([1, 2]), dtype=np.float64)
    assert a.dtype == np.float64
    assert a.tolist() == [1.0, 2.0]


def test_np_array_result_cannot_change_the_tensor():
    t = tg.constant([1.0, 2.0])
    a = np.asarray(t)
    try:
        a[0] = 99.0
    except ValueError:
        pass
    assert t.numpy().tolist() == [1.0, 2.0]


@pytest.mark.parametrize("value", [2.5, [2.5], [[2.5]]])
def test_float_int_bool_of_one_element_tensors(value):
    t = tg.constant(value)
    assert float(t) == 2.5
    assert int(t) == 2
    assert bool(t) is True
    assert bool(tg.constant(0.0)) is False


def test_conversions_return_python_types():
    assert type(float(tg.constant(1))) is float
    assert type(int(tg.constant(1.0))) is int
    assert type(bool(tg.constant(1))) is bool


def test_bool_of_a_larger_tensor_raises_value_error():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tg.constant([1.0, 2.0]))


def test_if_on_a_larger_tensor_raises_value_error():
    with pytest.raises(ValueError):
        if tg.constant([True, True]):
            pass


def test_float_of_a_larger_tensor_raises_type_error():
    with pytest.raises(TypeError, match=re.escape("(2,)")):
        float(tg.constant([1.0, 2.0]))


def test_int_tensor_works_as_a_python_index():
    assert [10, 20, 30][tg.constant(1)] == 20


def test_float_tensor_does_not_work_as_a_python_index():
    with pytest.raises(TypeError):
        [10, 20, 30][tg.constant(1.0)]


# -- comparisons, hashing, references --
def test_equality_is_elementwise_and_gives_a_bool_tensor():
    a = tg.constant([1.0, 2.0, 3.0])
    b = tg.constant([1.0, 0.0, 3.0])
    result = a == b
    assert isinstance(result, tg.Tensor)
    assert result.dtype == tg.bool
    assert result.numpy().tolist() == [True, False, True]
    assert (a != b).numpy().tolist() == [False, True, False]


def test_ordering_comparisons_are_elementwise():
    a = tg.constant([1.0, 2.0, 3.0])
    assert (a < 2).numpy().tolist() == [True, False, False]
    assert (a <= 2).numpy().tolist() == [True, True, False]
    assert (a > 2).numpy().tolist() == [False, False, True]
    assert (a >= 2).numpy().tolist() == [False, True, True]
    assert (2 < a).numpy().tolist() == [False, False, True]


def test_comparison_with_numpy_array_on_the_left_gives_a_tensor():
    result = np.array([1.0, 5.0]) < tg.constant([2.0, 2.0])
    assert isinstance(result, tg.Tensor)
    assert result.numpy().tolist() == [True, False]


def test_comparisons_cut_the_gradient_path():
    x = tg.constant([1.0, -1.0])
    g = grad_of(lambda x: tg.astype(x > 0, tg.float32), x)
    assert g is None


def test_tensors_are_unhashable():
    with pytest.raises(TypeError, match="unhashable"):
        hash(tg.constant(1.0))
    with pytest.raises(TypeError, match="unhashable"):
        {tg.constant(1.0)}


def test_ref_is_a_hashable_key_for_the_object():
    a = tg.constant(1.0)
    b = tg.constant(1.0)
    table = {a.ref(): "a", b.ref(): "b"}
    assert table[a.ref()] == "a"
    assert table[b.ref()] == "b"
    assert a.ref() == a.ref()
    assert a.ref() != b.ref()
    assert a.ref().deref() is a


# -- dtype promotion --
def test_python_float_with_float32_tensor_stays_float32():
    x = tg.constant(3.0)
    assert (x * 2.0).dtype == tg.float32
    assert (2.0 * x).dtype == tg.float32
    assert (x + 0.1).dtype == tg.float32
    assert float(x * 2.0) == 6.0


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_python_scalars_take_the_float_tensor_dtype(name):
    x = tg.constant([1.0], dtype=name)
    for result in (x + 1, 1 + x, x * 2.5, 2.5 * x, x / 3, 3 - x, x**2, 2.0**x):
        assert result.dtype == np.dtype(name)


def test_python_int_with_int_tensor_keeps_the_int_dtype():
    x = tg.constant(np.array([1, 2], dtype=np.int16))
    assert (x + 1).dtype == tg.int16
    assert (3 * x).dtype == tg.int16


def test_python_float_with_int_tensor_gives_float32_without_truncation():
    x = tg.constant([1, 2])
    result = x * 2.5
    assert result.dtype == tg.float32
    assert result.numpy().tolist() == [2.5, 5.0]
    assert (2.5 * x).numpy().tolist() == [2.5, 5.0]
    assert (x + 0.5).numpy().tolist() == [1.5, 2.5]


def test_python_float_with_int64_tensor_gives_float32():
    assert (tg.constant(np.array([1], dtype=np.int64)) * 0.5).dtype == tg.float32


def test_float32_and_float64_tensors_promote_to_float64():
    a = tg.constant(1.0)
    b = tg.constant(np.float64(2.0))
    assert (a + b).dtype == tg.float64
    assert (b * a).dtype == tg.float64
    assert float(a + b) == 3.0


def test_int_tensors_promote_by_the_array_api_table():
    int8 = tg.constant(np.array([1], dtype=np.int8))
    int16 = tg.constant(np.array([1], dtype=np.int16))
    uint8 = tg.constant(np.array([1], dtype=np.uint8))
    assert (int8 + int16).dtype == tg.int16
    assert (uint8 + int8).dtype == tg.int16


def test_numpy_scalar_with_tensor_keeps_its_dtype():
    assert (np.float64(2.0) * tg.constant(1.0)).dtype == tg.float64
    assert (tg.constant(1.0) * np.float64(2.0)).dtype == tg.float64


def test_numpy_float32_array_with_float32_tensor_stays_float32():
    assert (np.ones(2, dtype=np.float32) * tg.constant(1.0)).dtype == tg.float32


# -- operators --
OPERATOR_CASES = [
    ("+", lambda a, b: a + b),
    ("-", lambda a, b: a - b),
    ("*", lambda a, b: a * b),
    ("/", lambda a, b: a / b),
    ("//", lambda a, b: a // b),
    ("%", lambda a, b: a % b),
    ("**", lambda a, b: a**b),
]


@pytest.mark.parametrize(("symbol", "op"), OPERATOR_CASES, ids=[c[0] for c in OPERATOR_CASES])
def test_operators_with_tensors_scalars_and_arrays_on_either_side(symbol, op):
    a_np = np.array([1.5, 2.0, 7.0])
    b_np = np.array([2.0, 3.0, 2.5])
    expected = op(a_np, b_np)
    a = tg.constant(a_np)
    b = tg.constant(b_np)
    for result in (op(a, b), op(a, b_np), op(a_np, b)):
        assert isinstance(result, tg.Tensor)
        assert result.dtype == tg.float64
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-15)
    np.testing.assert_allclose(op(a, 2.0).numpy(), op(a_np, 2.0), rtol=1e-15)
    np.testing.assert_allclose(op(2.0, b).numpy(), op(2.0, b_np), rtol=1e-15)


def test_matmul_operator_with_arrays_on_either_side():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[0.5], [-1.0]])
    for result in (tg.constant(a) @ tg.constant(b), tg.constant(a) @ b, a @ tg.constant(b)):
        assert isinstance(result, tg.Tensor)
        np.testing.assert_array_equal(result.numpy(), a @ b)


def test_unary_operators():
    t = tg.constant([-1.5, 0.0, 2.0])
    assert (-t).numpy().tolist() == [1.5, -0.0, -2.0]
    assert abs(t).numpy().tolist() == [1.5, 0.0, 2.0]
    assert (+t).numpy().tolist() == [-1.5, 0.0, 2.0]


def test_operators_broadcast_like_numpy():
    a = tg.constant([[1.0], [2.0]])
    b = tg.constant([10.0, 20.0, 30.0])
    result = a + b
    assert result.shape == (2, 3)
    np.testing.assert_array_equal(result.numpy(), [[11, 21, 31], [12, 22, 32]])


def test_incompatible_shapes_raise_value_error_naming_both():
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        tg.constant([1.0, 2.0]) + tg.constant([1.0, 2.0, 3.0])


def test_matmul_of_incompatible_shapes_raises_value_error_naming_both():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3\)"):
        tg.constant(np.ones((2, 3))) @ tg.constant(np.ones((2, 3)))


def test_operations_never_change_their_inputs():
    x = tg.constant([1.0, 2.0])
    _ = x + 1
    _ = x * 3
    _ = -x
    assert x.numpy().tolist() == [1.0, 2.0]


def test_ndarray_times_tensor_is_recorded():
    x = tg.constant([1.0, 2.0, 3.0])
    weights = np.array([2.0, 3.0, 4.0], dtype=np.float32)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = weights * x
        assert isinstance(y, tg.Tensor)
        loss = tg.sum(y)
    assert tape.gradient(loss, x).numpy().tolist() == [2.0, 3.0, 4.0]


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (lambda a, x: a + x, [1.0, 1.0]),
        (lambda a, x: a - x, [-1.0, -1.0]),
        (lambda a, x: a / x, [-2.0, -0.75]),
        (lambda a, x: a @ x, [2.0, 3.0]),
        (lambda a, x: a**x, [2.0 * np.log(2.0), 9.0 * np.log(3.0)]),
    ],
    ids=["add", "sub", "div", "matmul", "pow"],
)
def test_ndarray_on_the_left_keeps_the_gradient(f, expected):
    a = np.array([2.0, 3.0])
    x = tg.constant([1.0, 2.0], dtype=tg.float64)
    g = grad_of(lambda x: tg.sum(f(a, x)), x)
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-14)


def test_numpy_ufunc_on_a_tensor_runs_the_tapegrad_op():
    x = tg.constant(0.5, dtype=tg.float64)
    g = grad_of(lambda x: np.sin(x), x)
    assert float(g) == np.cos(0.5)


def test_numpy_function_without_rule_raises_type_error():
    with pytest.raises(TypeError, match="no tapegrad rule"):
        np.spacing(tg.constant(1.0))


# -- indexing, len, iteration --
MATRIX = np.arange(12.0).reshape(3, 4)

INDEX_CASES = [
    1,
    -1,
    slice(1, 3),
    slice(None, None, -1),
    (1, 2),
    (slice(None), 1),
    (0, slice(1, None)),
    None,
    (None, 1),
    (Ellipsis, 0),
    (Ellipsis, None),
    (slice(None), None, 1),
    np.array([0, 2]),
    [2, 0, 2],
    (np.array([0, 2]), np.array([1, 3])),
    np.array([True, False, True]),
    MATRIX > 5,
]


@pytest.mark.parametrize("index", INDEX_CASES, ids=[repr(i) for i in INDEX_CASES])
def test_indexing_matches_numpy(index):
    result = tg.constant(MATRIX)[index]
    expected = MATRIX[index]
    assert isinstance(result, tg.Tensor)
    assert result.shape == expected.shape
    np.testing.assert_array_equal(result.numpy(), expected)


def test_indexing_with_tensor_indices_and_masks():
    t = tg.constant(MATRIX)
    np.testing.assert_array_equal(t[tg.constant([2, 0])].numpy(), MATRIX[[2, 0]])
    np.testing.assert_array_equal(t[t > 5].numpy(), MATRIX[MATRIX > 5])
    np.testing.assert_array_equal(t[tg.constant(1)].numpy(), MATRIX[1])


def test_gradient_through_integer_array_index_accumulates_repeats():
    x = tg.constant([1.0, 2.0, 3.0])
    g = grad_of(lambda x: tg.sum(x[np.array([0, 0, 2])]), x)
    assert g.numpy().tolist() == [2.0, 0.0, 1.0]


def test_gradient_through_boolean_mask():
    x = tg.constant([1.0, -2.0, 3.0])
    g = grad_of(lambda x: tg.sum(x[x > 0] * 2.0), x)
    assert g.numpy().tolist() == [2.0, 0.0, 2.0]


def test_gradient_through_slices_none_and_ellipsis():
    x = tg.constant(np.ones((2, 3)))
    g = grad_of(lambda x: tg.sum(x[None, ..., 1:] * 3.0), x)
    np.testing.assert_array_equal(g.numpy(), [[0.0, 3.0, 3.0], [0.0, 3.0, 3.0]])


def test_index_out_of_range_raises_index_error():
    with pytest.raises(IndexError):
        tg.constant([1.0, 2.0])[5]


def test_len_is_the_first_axis():
    assert len(tg.constant(np.zeros((4, 2)))) == 4


def test_len_of_a_scalar_raises_type_error():
    with pytest.raises(TypeError, match="0-d"):
        len(tg.constant(1.0))


def test_iteration_goes_over_the_first_axis():
    rows = list(tg.constant([[1.0, 2.0], [3.0, 4.0]]))
    assert len(rows) == 2
    assert all(isinstance(r, tg.Tensor) for r in rows)
    assert [r.numpy().tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]


def test_iteration_over_a_scalar_raises_type_error():
    with pytest.raises(TypeError, match="0-d"):
        iter(tg.constant(1.0))


def test_iteration_keeps_the_gradient_path():
    x = tg.constant([1.0, 2.0, 3.0])

    def f(x):
        a, b, c = x
        return a * b * c

    assert grad_of(f, x).numpy().tolist() == [6.0, 3.0, 2.0]


# -- pickle and deepcopy --
@pytest.mark.parametrize(
    "value", [np.float32(2.5), np.arange(6, dtype=np.int64).reshape(2, 3), np.array([1 + 2j])]
)
def test_tensor_survives_pickle(value):
    t = tg.constant(value)
    u = pickle.loads(pickle.dumps(t))
    assert type(u) is tg.Tensor
    assert u.dtype == t.dtype
    assert u.shape == t.shape
    np.testing.assert_array_equal(u.numpy(), t.numpy())


def test_tensor_survives_deepcopy():
    t = tg.constant([[1.0, 2.0]])
    u = copy.deepcopy(t)
    assert type(u) is tg.Tensor
    assert (u.dtype, u.shape) == (tg.float32, (1, 2))
    np.testing.assert_array_equal(u.numpy(), t.numpy())


def test_writing_into_a_shallow_copy_leaves_the_original_as_it_was():
    # copy.copy used to return the tensor itself, so t2[0] = 5 changed t too
    t = tg.constant([1.0, 2.0])
    u = copy.copy(t)
    u[0] = 5.0
    assert (t.numpy().tolist(), u.numpy().tolist()) == ([1.0, 2.0], [5.0, 2.0])
    assert type(u) is tg.Tensor and u is not t


def test_deepcopy_of_a_structure_of_tensors():
    tree = {"a": [tg.constant(1.0), tg.constant([2, 3])]}
    copied = copy.deepcopy(tree)
    assert float(copied["a"][0]) == 1.0
    assert copied["a"][1].numpy().tolist() == [2, 3]


def test_pickled_tensor_computes_like_the_original():
    u = pickle.loads(pickle.dumps(tg.constant([1.0, 2.0])))
    assert (u * 2.0).numpy().tolist() == [2.0, 4.0]
    assert grad_of(lambda x: tg.sum(x * x), u).numpy().tolist() == [2.0, 4.0]


# -- printing --
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4.0, "tg.Tensor(4.0, shape=(), dtype=float32)"),
        (np.float64(0.1), "tg.Tensor(0.1, shape=(), dtype=float64)"),
        (3, "tg.Tensor(3, shape=(), dtype=int32)"),
        (True, "tg.Tensor(True, shape=(), dtype=bool)"),
        ([1.0, 2.5], "tg.Tensor([1.  2.5], shape=(2,), dtype=float32)"),
        ([1, 2], "tg.Tensor([1 2], shape=(2,), dtype=int32)"),
        ([[1.0, 2.0], [3.0, 4.0]], "tg.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)"),
    ],
    ids=["float32", "float64", "int32", "bool", "vector", "int-vector", "matrix"],
)
def test_str_of_tensors(value, text):
    assert str(tg.constant(value)) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4.0, "<tg.Tensor: shape=(), dtype=float32, numpy=4.0>"),
        (np.float32(-0.99999988), "<tg.Tensor: shape=(), dtype=float32, numpy=-0.9999999>"),
        (3, "<tg.Tensor: shape=(), dtype=int32, numpy=3>"),
        (
            [1.0, 2.0],
            "<tg.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>",
        ),
        ([1, 2], "<tg.Tensor: shape=(2,), dtype=int32, numpy=array([1, 2], dtype=int32)>"),
        (
            np.array([[1.0, 2.0], [3.0, 4.0]]),
            "<tg.Tensor: shape=(2, 2), dtype=float64, numpy=\narray([[1., 2.],\n       [3., 4.]])>",
        ),
    ],
    ids=["float32", "float32-rounded", "int32", "vector", "int-vector", "matrix"],
)
def test_repr_of_tensors(value, text):
    assert repr(tg.constant(value)) == text


def test_print_of_a_tensor(capsys):
    print(tg.constant(4.0))
    assert capsys.readouterr().out == "tg.Tensor(4.0, shape=(), dtype=float32)\n"


def test_tensor_in_a_list_prints_its_repr(capsys):
    print([tg.constant(4.0), None])
    assert capsys.readouterr().out == "[<tg.Tensor: shape=(), dtype=float32, numpy=4.0>, None]\n"


def test_large_tensor_prints_summarised_like_numpy():
    t = tg.constant(np.arange(2000, dtype=np.int64))
    assert str(t) == f"tg.Tensor({np.arange(2000)}, shape=(2000,), dtype=int64)"
    assert "..." in str(t)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: tg.constant(300, dtype=tg.int8), "values run from 300 to 300, outside int8's"),
        (lambda: tg.constant(-1, dtype=tg.uint8), "values run from -1 to -1, outside uint8's"),
        (lambda: tg.constant(300.0, dtype=tg.int8), "values run from 300.0 to 300.0"),
        (lambda: tg.Variable(1).assign(2**40), "values run from 1099511627776 to 1099511627776"),
        (lambda: tg.constant([1, 2**62 + 1], dtype=tg.int32), "to 4611686018427387905, outside"),
        # compared exactly: 2.0**63 is one past int64's largest value, though float64 rounds
        # that largest value up to it
        (lambda: tg.constant(np.array([2.0**63]), dtype=tg.int64), "outside int64's range"),
        (lambda: tg.constant(np.array([np.inf], np.float16), dtype=tg.int64), "from inf to inf"),
    ],
)
def test_integers_that_a_dtype_cannot_hold_raise_instead_of_wrapping(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()
    assert tg.constant([0, 255], dtype=tg.uint8).numpy().tolist() == [0, 255]
    assert tg.constant(-128, dtype=tg.int8).numpy() == -128


def test_a_format_spec_formats_a_0d_tensor_as_numpy_does():
    assert f"{tg.constant(2.5):.2f}" == "2.50"
    assert f"{tg.Variable(3.0):>7.3f}" == "  3.000"
    assert f"{tg.constant(7):03d}" == "007"
    assert f"{tg.constant(2.5)}" == "tg.Tensor(2.5, shape=(), dtype=float32)"
    message = "format spec '.2f' needs a 0-d tensor, not one of shape (2,)"
    with pytest.raises(TypeError, match=re.escape(message)):
        f"{tg.constant([1.0, 2.0]):.2f}"


def test_asarray_of_a_variable_is_its_value_now_read_on_the_tape():
    v = tg.Variable([1.0, 2.0])
    t = tg.asarray(v)
    assert type(t) is tg.Tensor
    v.assign([5.0, 6.0])
    assert t.numpy().tolist() == [1.0, 2.0]
    with tg.GradientTape() as tape:
        y = tg.sum(tg.asarray(v) * 2.0) + tg.sum(tg.asarray(v, copy=True) * 3.0)
    assert tape.gradient(y, v).numpy().tolist() == [5.0, 5.0]
    copied = tg.asarray(v, copy=True)
    assert not np.shares_memory(copied.numpy(), v.numpy())


def test_widening_integer_casts_read_no_values_on_any_library():
    xps = pytest.importorskip("array_api_strict")
    assert tg.constant(xps.asarray([1, 2], dtype=xps.int32), dtype=tg.int64).dtype == tg.int64
    assert tg.constant(xps.asarray([7], dtype=xps.uint8), dtype=tg.int32).numpy().tolist() == [7]
    v = tg.Variable(xps.asarray([1, 2], dtype=xps.int64))
    assert v.assign(xps.asarray([3, 4], dtype=xps.int32)).numpy().tolist() == [3, 4]
    with pytest.raises(ValueError, match="outside int8's range"):
        tg.constant(xps.asarray([300], dtype=xps.int64), dtype=tg.int8)


def test_asarray_to_another_float_dtype_is_a_cast_on_the_tape():
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(tg.asarray(x, dtype=tg.float64) * 3.0)
    assert y.dtype == tg.float64
    assert tape.gradient(y, x).numpy().tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="would truncate"):
        tg.asarray(tg.constant([1.5]), dtype=tg.int32)
    with pytest.raises(TypeError, match="imaginary part"):
        tg.asarray(tg.constant([1j]), dtype=tg.float32)


def test_integer_true_division_follows_tensorflow_whichever_side_an_int_is_on():
    # up to 16 bits into float32, 32 and 64 bits into float64 (float32 would lose digits)
    assert (tg.constant(16777217) / 1).dtype == tg.float64
    assert float(tg.constant(16777217) / 1) == 16777217.0
    assert (1 / tg.constant(3)).dtype == (tg.constant(3) / 1).dtype == tg.float64
    assert (tg.constant(3, dtype=tg.int16) / tg.constant(2, dtype=tg.int8)).dtype == tg.float32
    assert (tg.constant(3, dtype=tg.int8) / 2).dtype == tg.float32
    assert (2 / tg.constant(3, dtype=tg.uint8)).dtype == tg.float32
    assert (tg.constant(3) / 2.0).dtype == tg.float32  # a Python float: the default float


def test_an_integer_beyond_float64_asked_for_as_a_float_names_the_limit():
    with pytest.raises(ValueError, match=r"beyond the largest float64 value \(1\.798e\+308\)"):
        tg.constant(2**1100, dtype=tg.float64)


def test_a_list_holding_float64_values_packs_into_float64_as_tensorflow():
    # float64 tensors and NumPy float64 scalars in a list used to be narrowed to float32
    for items in (
        [tg.constant(1 + 1e-12, dtype=tg.float64), 1.0],
        [np.float64(1 + 1e-12)],
        [[np.float64(1.0)], [2.0]],
    ):
        assert tg.constant(items).dtype == tg.float64
    assert tg.constant([1.0, 2.0]).dtype == tg.float32
    assert tg.constant([np.float32(1.0), 2.0]).dtype == tg.float32


def test_a_list_of_integers_no_integer_dtype_holds_raises():
    # NumPy makes float64 of [2**63, -1]; it used to become float32, every integer rounded
    with pytest.raises(ValueError) as caught:
        tg.constant([2**63, -1])
    assert str(caught.value) == (
        "cannot convert [9223372036854775808, -1] to a tensor: its integers fit neither int64 "
        "nor uint64; give a float dtype (dtype=tg.float64) if rounding is meant"
    )
    assert tg.constant([2**63, -1], dtype=tg.float64).dtype == tg.float64


def test_empty_lists_are_empty_float32_tensors():
    # the check for integers beyond int64 took an empty list for one
    for empty in ([], (), [[], []]):
        out = tg.constant(empty)
        assert (out.dtype, out.shape) == (tg.float32, np.asarray(empty).shape)
    assert tg.Variable([]).shape == (0,)


def test_numpy_gives_a_value_that_cannot_change_the_tensor_on_every_library():
    xs = pytest.importorskip("array_api_strict")
    for value in (np.array([1.0, 2.0]), xs.asarray([1.0, 2.0])):  # strict lends its memory
        t = tg.constant(value)
        view = t.numpy()
        with pytest.raises(ValueError, match="read-only"):
            view[0] = 99.0
        assert t.numpy().tolist() == [1.0, 2.0]


def test_sorts_without_array_api_compat_take_descending_and_stay_stable(monkeypatch):
    from tapegrad import _backend

    monkeypatch.setattr(_backend, "array_api_compat", None)
    namespace = _backend._fast_numpy_namespace()  # NumPy 2's own, whose sorts lack descending
    x = np.array([[2.0, 1.0, 2.0, np.nan, 1.0]])
    assert namespace.sort(x, descending=True).tolist()[0][1:] == [2.0, 2.0, 1.0, 1.0]
    assert np.isnan(namespace.sort(x, descending=True)[0, 0])  # NaN first, as the standard's
    assert namespace.argsort(x, descending=True).tolist() == [[3, 0, 2, 1, 4]]  # ties in order
    assert namespace.argsort(x, axis=-1).tolist() == [[1, 4, 0, 2, 3]]


def test_tapegrad_imports_and_differentiates_without_array_api_compat():
    # a GPU box may have only NumPy, CuPy and pytest: the import itself must not need it
    program = (
        "import sys; sys.modules['array_api_compat'] = None\n"
        "import tapegrad as tg\n"
        "x = tg.Variable([3.0, 1.0, 2.0])\n"
        "with tg.GradientTape() as tape:\n"
        "    y = tg.sum(tg.sort(x, descending=True) * tg.constant([1.0, 2.0, 3.0]))\n"
        "print(tape.gradient(y, x).numpy().tolist())\n"
    )
    src = str(Path(tg.__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": src},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[1.0, 3.0, 2.0]"


def test_a_tensor_is_never_taken_for_a_backend_array():
    # tensors have __array_namespace__: once taken for an array type, every op then kept the
    # tensor itself as a value, and nested tapes gave Tensor-in-Tensor values and None
    from tapegrad._backend import ARRAY_TYPES, is_array

    for t in (tg.constant([1.0]), tg.Variable(2.0)):
        assert not is_array(t)
        assert type(t) not in ARRAY_TYPES
    x = tg.Variable(2.0)
    with tg.GradientTape() as outer:
        with tg.GradientTape() as inner:
            z = x**4
        dz = inner.gradient(z, x)
    assert type(dz._value) is not tg.Tensor
    assert float(outer.gradient(dz, x)) == 48.0
