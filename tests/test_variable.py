"""Variable semantics: assignment, casting rules, in-place operators, snapshots, printing."""

import copy
import pickle
import re

import numpy as np
import pytest

import tapegrad as tg


# -- construction and properties --
def test_default_properties():
    v = tg.Variable(1.0)
    assert isinstance(v, tg.Tensor)
    assert v.dtype == tg.float32
    assert v.shape == ()
    assert v.trainable is True
    assert v.name == "Variable:0"
    assert float(v) == 1.0


def test_name_trainable_and_dtype_arguments():
    v = tg.Variable([1, 2], trainable=False, name="w", dtype=tg.float64)
    assert v.name == "w:0"
    assert v.trainable is False
    assert v.dtype == tg.float64
    assert v.shape == (2,)
    assert v.numpy().tolist() == [1.0, 2.0]


def test_python_int_variable_is_int32():
    assert tg.Variable(3).dtype == tg.int32


def test_numpy_array_keeps_its_dtype():
    assert tg.Variable(np.zeros((2, 3), dtype=np.float64)).dtype == tg.float64


def test_float_initial_value_with_int_dtype_raises_type_error():
    with pytest.raises(TypeError, match="truncate"):
        tg.Variable(1.5, dtype=tg.int32)


def test_variable_from_a_tensor():
    v = tg.Variable(tg.constant([1.0, 2.0]))
    assert v.dtype == tg.float32
    assert v.numpy().tolist() == [1.0, 2.0]


def test_variable_copies_the_numpy_array_it_is_given():
    source = np.array([1.0, 2.0])
    v = tg.Variable(source)
    source[0] = 100.0
    assert v.numpy().tolist() == [1.0, 2.0]


def test_value_returns_a_tensor_that_later_assigns_do_not_change():
    v = tg.Variable([1.0, 2.0])
    value = v.value()
    assert isinstance(value, tg.Tensor)
    assert not isinstance(value, tg.Variable)
    v.assign([5.0, 6.0])
    assert value.numpy().tolist() == [1.0, 2.0]
    assert v.value().numpy().tolist() == [5.0, 6.0]


def test_numpy_result_cannot_change_the_variable():
    v = tg.Variable([1.0, 2.0])
    a = v.numpy()
    try:
        a[0] = 99.0
    except ValueError:
        pass
    assert v.numpy().tolist() == [1.0, 2.0]


def test_numpy_result_is_not_changed_by_a_later_assign():
    v = tg.Variable([1.0, 2.0])
    a = v.numpy()
    v.assign_add([1.0, 1.0])
    assert a.tolist() == [1.0, 2.0]


# -- assign, assign_add, assign_sub --
def test_assign_returns_the_variable_and_replaces_the_value():
    v = tg.Variable([1.0, 2.0])
    assert v.assign([3.0, 4.0]) is v
    assert v.numpy().tolist() == [3.0, 4.0]


def test_assign_copies_the_callers_array():
    # the caller may write into their array later; the variable keeps what it was given
    mine = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    v = tg.Variable([0.0, 0.0])
    v.assign(mine[0])
    mine[0, 0] = 99.0
    assert v.numpy().tolist() == [1.0, 2.0]
    w = tg.Variable([0.0, 0.0])
    w.assign(mine[1])
    w.assign_add(np.ones(2, dtype=np.float32))
    assert mine[1].tolist() == [3.0, 4.0] and w.numpy().tolist() == [4.0, 5.0]


def test_assign_add_returns_the_variable():
    v = tg.Variable([1.0, 2.0])
    assert v.assign_add([0.5, 0.5]) is v
    assert v.numpy().tolist() == [1.5, 2.5]


def test_assign_sub_returns_the_variable():
    v = tg.Variable([1.0, 2.0])
    assert v.assign_sub(tg.constant([0.5, 1.0])) is v
    assert v.numpy().tolist() == [0.5, 1.0]


def test_assigns_chain():
    v = tg.Variable(1.0)
    assert float(v.assign(2.0).assign_add(3.0).assign_sub(1.0)) == 4.0


def test_assign_keeps_dtype_shape_and_name():
    v = tg.Variable([1.0, 2.0], name="w")
    v.assign(np.array([3.0, 4.0]))
    assert (v.dtype, v.shape, v.name) == (tg.float32, (2,), "w:0")


def test_assign_of_another_shape_raises_value_error_naming_both_shapes():
    v = tg.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match=re.escape("(3,)") + ".*" + re.escape("(2,)")):
        v.assign([1.0, 2.0, 3.0])
    assert v.numpy().tolist() == [1.0, 2.0]


def test_assign_of_a_scalar_to_a_vector_variable_raises_value_error():
    v = tg.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match=re.escape("()") + ".*" + re.escape("(2,)")):
        v.assign(1.0)


def test_assign_add_of_another_shape_raises_value_error_naming_both_shapes():
    v = tg.Variable([1.0, 2.0])
    with pytest.raises(ValueError) as caught:
        v.assign_add([1.0, 2.0, 3.0])
    assert str(caught.value) == (
        "cannot assign_add a value of shape (3,) to variable 'Variable:0' of shape (2,): give a "
        "value of the variable's shape, or a scalar"
    )


def test_int_values_are_cast_into_a_float_variable():
    v = tg.Variable([1.0, 2.0])
    v.assign([3, 4])
    assert v.dtype == tg.float32
    assert v.numpy().tolist() == [3.0, 4.0]
    v.assign_add(1)
    assert v.numpy().tolist() == [4.0, 5.0]


def test_small_int_array_is_cast_into_a_float_variable():
    v = tg.Variable([1.0, 2.0])
    v.assign(np.array([5, 6], dtype=np.int16))
    assert v.dtype == tg.float32
    assert v.numpy().tolist() == [5.0, 6.0]


def test_float32_value_is_cast_into_a_float64_variable():
    v = tg.Variable(np.float64(1.0))
    v.assign(tg.constant(2.5))
    assert v.dtype == tg.float64
    assert float(v) == 2.5


def test_float_into_int_variable_raises_type_error():
    v = tg.Variable([1, 2])
    with pytest.raises(TypeError, match="int32"):
        v.assign([1.5, 2.0])
    assert v.numpy().tolist() == [1, 2]


def test_integral_python_float_into_int_variable_raises_type_error():
    v = tg.Variable(1)
    with pytest.raises(TypeError, match="int32"):
        v.assign(2.0)


def test_float_tensor_into_int_variable_raises_type_error():
    v = tg.Variable(1)
    with pytest.raises(TypeError, match=r"float32.*int32"):
        v.assign(tg.constant(2.0))
    with pytest.raises(TypeError, match=r"float32.*int32"):
        v.assign_add(tg.constant(1.0))


def test_float64_tensor_into_float32_variable_raises_type_error():
    v = tg.Variable(1.0)
    with pytest.raises(TypeError, match=r"float64.*float32"):
        v.assign(tg.constant(np.float64(2.0)))


def test_int_variable_accepts_int_values():
    v = tg.Variable(1)
    v.assign_add(2)
    assert (v.dtype, int(v)) == (tg.int32, 3)


# -- in-place operators --
def test_in_place_subtract_updates_the_same_variable():
    v = tg.Variable([1.0, 2.0])
    original = v
    g = tg.constant([10.0, 20.0])
    lr = 0.1
    v -= lr * g
    assert v is original
    assert isinstance(v, tg.Variable)
    np.testing.assert_allclose(v.numpy(), [0.0, 0.0], atol=1e-7)


def test_in_place_add_updates_the_same_variable():
    v = tg.Variable(1.0)
    original = v
    v += 2.0
    assert v is original
    assert float(v) == 3.0


def test_in_place_update_reaches_other_references():
    v = tg.Variable(1.0)
    params = [v]
    v -= 0.5
    assert float(params[0]) == 0.5


def test_in_place_operator_keeps_dtype_and_shape_rules():
    v = tg.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match=re.escape("(3,)")):
        v -= tg.constant([1.0, 2.0, 3.0])
    w = tg.Variable(1)
    with pytest.raises(TypeError, match="int32"):
        w -= 0.5


# -- a Variable works as a Tensor --
def test_variable_in_operations_gives_tensors():
    v = tg.Variable([1.0, 4.0])
    for result in (v + 1, 2 * v, tg.sqrt(v), v[0], np.float32(2) * v):
        assert type(result) is tg.Tensor
    assert tg.sqrt(v).numpy().tolist() == [1.0, 2.0]
    assert np.asarray(v).tolist() == [1.0, 4.0]


def test_variables_are_unhashable_and_have_refs():
    v = tg.Variable(1.0)
    with pytest.raises(TypeError, match="unhashable"):
        hash(v)
    assert {v.ref(): 1}[v.ref()] == 1
    assert v.ref().deref() is v


def test_variable_comparison_is_elementwise():
    v = tg.Variable([1.0, 2.0])
    assert (v == tg.constant([1.0, 0.0])).numpy().tolist() == [True, False]


# -- gradients and snapshots --
def test_trainable_variable_is_watched_when_read():
    v = tg.Variable(3.0)
    with tg.GradientTape() as tape:
        y = v * v
    assert float(tape.gradient(y, v)) == 6.0


def test_non_trainable_variable_is_not_watched():
    v = tg.Variable(3.0, trainable=False)
    with tg.GradientTape() as tape:
        y = v * v
    assert tape.gradient(y, v) is None


def test_non_trainable_variable_can_be_watched_explicitly():
    v = tg.Variable(3.0, trainable=False)
    with tg.GradientTape() as tape:
        tape.watch(v)
        y = v * v
    assert float(tape.gradient(y, v)) == 6.0


def test_assign_after_the_forward_pass_does_not_change_the_gradient():
    v = tg.Variable(3.0)
    with tg.GradientTape() as tape:
        y = v * v
    v.assign(100.0)
    assert float(tape.gradient(y, v)) == 6.0


def test_assign_inside_the_tape_after_reading_does_not_change_the_gradient():
    v = tg.Variable(3.0)
    with tg.GradientTape() as tape:
        y = v**3
        v.assign(-1.0)
    assert float(tape.gradient(y, v)) == 27.0


def test_in_place_update_after_the_forward_pass_does_not_change_the_gradient():
    v = tg.Variable([1.0, 2.0])
    with tg.GradientTape() as tape:
        y = tg.sum(v * v)
    v -= 10.0
    assert tape.gradient(y, v).numpy().tolist() == [2.0, 4.0]


def test_optimizer_step_after_the_forward_pass_does_not_change_the_gradient():
    v = tg.Variable(2.0)
    with tg.GradientTape(persistent=True) as tape:
        y = v * v * v
    first = tape.gradient(y, v)
    tg.optimizers.SGD(learning_rate=1.0).apply_gradients([(first, v)])
    assert float(v) == -10.0
    assert float(tape.gradient(y, v)) == 12.0


def test_value_read_is_recorded():
    v = tg.Variable(2.0)
    with tg.GradientTape() as tape:
        y = v.value() * 5.0
    assert float(tape.gradient(y, v)) == 5.0


def test_gradient_with_respect_to_int_variable_raises_type_error():
    v = tg.Variable(2)
    with tg.GradientTape() as tape:
        y = v * 2
    with pytest.raises(TypeError, match="int32"):
        tape.gradient(y, v)


# -- pickle, deepcopy, printing --
def test_variable_survives_pickle():
    v = tg.Variable([1.0, 2.0], trainable=False, name="w")
    u = pickle.loads(pickle.dumps(v))
    assert type(u) is tg.Variable
    assert (u.name, u.trainable, u.dtype, u.shape) == ("w:0", False, tg.float32, (2,))
    assert u.numpy().tolist() == [1.0, 2.0]


def test_deepcopy_of_a_variable_is_independent():
    v = tg.Variable([1.0, 2.0], name="w")
    u = copy.deepcopy(v)
    assert type(u) is tg.Variable
    assert u is not v
    assert u.name == "w:0"
    u.assign([5.0, 6.0])
    assert v.numpy().tolist() == [1.0, 2.0]
    v.assign([7.0, 8.0])
    assert u.numpy().tolist() == [5.0, 6.0]


def test_deepcopy_of_a_model_structure_keeps_shared_variables_shared():
    v = tg.Variable(1.0)
    copied = copy.deepcopy([v, v])
    assert copied[0] is copied[1]


def test_repr_and_str_of_a_scalar_variable():
    v = tg.Variable(np.float32(-0.99999988))
    text = "<tg.Variable 'Variable:0' shape=() dtype=float32, numpy=-0.9999999>"
    assert repr(v) == text
    assert str(v) == text


def test_repr_of_a_named_vector_variable():
    v = tg.Variable([1.0, 2.0], name="w")
    assert repr(v) == (
        "<tg.Variable 'w:0' shape=(2,) dtype=float32, numpy=array([1., 2.], dtype=float32)>"
    )


def test_repr_of_an_int_variable():
    assert repr(tg.Variable(3)) == "<tg.Variable 'Variable:0' shape=() dtype=int32, numpy=3>"


def test_print_of_a_variable_follows_its_assigns(capsys):
    v = tg.Variable(0.0)
    v.assign(2.5)
    print(v)
    assert capsys.readouterr().out == (
        "<tg.Variable 'Variable:0' shape=() dtype=float32, numpy=2.5>\n"
    )


def test_true_division_in_place_on_an_integer_variable_says_to_use_floor_division():
    v = tg.Variable(4)
    with pytest.raises(TypeError, match=re.escape("use //= for integer division")):
        v /= 2
    v //= 2
    assert int(v) == 2


def test_a_callable_initial_value_is_called_as_in_tensorflow():
    v = tg.Variable(lambda: tg.zeros(2), name="deferred")
    assert v.numpy().tolist() == [0.0, 0.0] and v.dtype == tg.float32 and v.name == "deferred:0"
    assert tg.Variable(lambda: [1.0, 2.0], dtype=tg.float64).dtype == tg.float64


def test_assign_with_read_value_false_returns_none_as_tensorflow():
    v = tg.Variable([1.0, 2.0])
    assert v.assign([3.0, 4.0], read_value=False) is None
    assert v.assign_add([1.0, 1.0], read_value=False) is None
    assert v.assign_sub([2.0, 2.0], read_value=False) is None
    assert v.numpy().tolist() == [2.0, 3.0]
    assert v.assign([0.0, 0.0]) is v
    v += 1.0  # in place: the variable itself
    assert isinstance(v, tg.Variable) and v.numpy().tolist() == [1.0, 1.0]
