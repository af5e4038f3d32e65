"""Tensor (an immutable value with a uid) and Variable (a named, assignable Tensor).

No arithmetic lives here: the operators are installed from the op table in ``ops/_operators.py``,
so there is one place where ``a + b`` is routed. Tensors hold no reference to any graph; the tape
keys on ``_uid``, an integer from a counter (never ``id()``, which is reused after collection).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from . import _dtypes
from ._backend import (
    backend_name,
    in_library_of,
    is_array,
    is_lazy,
    library_dtype,
    readonly,
    to_numpy,
    xp_of,
)
from ._backend import persist as persist_arrays
from ._checks import flag
from ._dtypes import kind_of
from ._state import TRACED, per_thread

# the next uid; with new_object (a Tensor without running __init__), what wrap() and the ops'
# inlined copies of it use
next_uid = itertools.count(1).__next__


class Tensor:
    """An immutable array value. Operations return new tensors; none changes one in place.

    >>> import tapegrad as tg
    >>> print(tg.constant([1.0, 2.0]) * 2)
    tg.Tensor([2. 4.], shape=(2,), dtype=float32)
    """

    __slots__ = ("_value", "_uid", "__weakref__")
    # NumPy defers to our reflected operators (``ndarray * tensor`` gives a recorded tensor).
    __array_priority__ = 1000
    __hash__ = None  # ``==`` is elementwise, as in NumPy and TensorFlow 2: use ``t.ref()``

    def __init__(self, value, dtype=None):
        array = to_array(value, dtype)
        if array is value and is_array(value):
            array = xp_of(value).asarray(value, copy=True)  # the caller may write theirs later
        self._value = array
        self._uid = next_uid()

    # -- properties -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        shape = self._value.shape
        return shape if type(shape) is tuple else tuple(shape)  # NumPy's is a tuple already

    @property
    def dtype(self) -> np.dtype:
        return _dtypes.as_dtype(self._value.dtype)

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def device(self):
        return getattr(self._value, "device", "cpu")

    def numpy(self) -> np.ndarray:
        """The value as a NumPy array that cannot be used to change the tensor."""
        value = to_numpy(self._value)
        return readonly(value) if value is self._value else value

    def __array__(self, dtype=None, copy=None):
        now = per_thread.context
        if now.mode == TRACED and _recorded(self, now):
            # NumPy converting a recorded tensor itself (np.sum([x0, x1]), ndarray.dot(t)):
            # the result is a constant to every tape, which no error would otherwise reveal
            warnings.warn(
                f"a {self.dtype} tensor of shape {self.shape} that a tape records was converted "
                "to a NumPy array: no gradient flows through the result; use tapegrad "
                "functions on tensors (tg.stack for a list of them), or t.numpy() to convert "
                "on purpose",
                GradientCutWarning,
                stacklevel=2,
            )
        value = self.numpy()
        if dtype is not None and value.dtype != dtype:
            return value.astype(dtype)
        return np.array(value) if copy else value

    def ref(self) -> Reference:
        """A hashable key for this object (tensors themselves are unhashable)."""
        return Reference(self)

    # -- Python conversions -----------------------------------------------------------------
    def _scalar(self, kind: str):
        if self.size != 1:
            raise TypeError(
                f"only one-element tensors can be converted to Python {kind}; this one has "
                f"shape {self.shape}: reduce it first (tg.sum, indexing)"
            )
        return self.numpy().reshape(()).item()

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __index__(self) -> int:
        if kind_of(self.dtype) not in "iub":
            raise TypeError(f"a {self.dtype} tensor cannot be used as an index; cast it to int")
        return int(self._scalar("int"))

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.size} elements (shape {self.shape}) is "
                "ambiguous: use tg.any(t) or tg.all(t)"
            )
        return bool(self._scalar("bool"))

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor: it has no first axis")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor: it has no first axis")
        return (self[i] for i in range(self.shape[0]))

    # -- printing ---------------------------------------------------------------------------
    def _numpy_text(self) -> str:
        if backend_name(self._value) == "dask":
            return "<not computed>"
        value = to_numpy(self._value)
        return _multiline(str(value) if value.ndim == 0 else repr(np.asarray(value)))

    def _backend_suffix(self) -> str:
        name = backend_name(self._value)
        return "" if name == "numpy" else f", backend={name}"

    def __str__(self) -> str:
        value = "<not computed>" if backend_name(self._value) == "dask" else None
        value = value or _multiline(str(to_numpy(self._value)))
        return f"tg.Tensor({value}, shape={self.shape}, dtype={self.dtype}{self._backend_suffix()})"

    def __repr__(self) -> str:
        return (
            f"<tg.Tensor: shape={self.shape}, dtype={self.dtype}{self._backend_suffix()}, "
            f"numpy={self._numpy_text()}>"
        )

    def __format__(self, spec: str) -> str:
        """``f"{t:.3f}"`` formats a 0-d tensor's number, as NumPy's scalars and TensorFlow's
        tensors do; an empty spec gives ``str(t)``."""
        if not spec:
            return str(self)
        if self.ndim != 0:
            raise TypeError(
                f"format spec {spec!r} needs a 0-d tensor, not one of shape {self.shape}: "
                "format its elements (t.numpy()) or print it without a spec"
            )
        return format(to_numpy(self._value)[()], spec)

    # -- copying: a copy is a new tensor with a new uid ---------------------------------------
    def __reduce__(self):
        return (_rebuild_tensor, (to_numpy(self._value),))

    def __copy__(self):
        # a new tensor object: ``t[i] = v`` on the copy must leave the original as it is (the
        # array is shared, since writes replace a tensor's array and never write into it)
        return wrap(self._value)

    def __deepcopy__(self, memo):
        return wrap(xp_of(self._value).asarray(self._value, copy=True))


class Variable(Tensor):
    """A mutable, named tensor whose value is replaced (never written) by ``assign*``.

    >>> import tapegrad as tg
    >>> v = tg.Variable(1.0)
    >>> v.assign_add(2)
    <tg.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>
    """

    __slots__ = ("_trainable", "_name")

    def __init__(self, initial_value, trainable: bool = True, name: str | None = None, dtype=None):
        if callable(initial_value) and not isinstance(initial_value, Tensor | type):
            initial_value = initial_value()  # TensorFlow's deferred initial value
        if isinstance(initial_value, Tensor):
            initial_value = initial_value._value
        value = to_array(initial_value, dtype)
        xp = xp_of(value)
        # Our own copy: the caller's array may be written later; ours never is.
        self._value = xp.asarray(value, copy=True) if is_array(initial_value) else value
        self._uid = next_uid()  # stable across assigns: the variable is the gradient source
        self._trainable = flag(trainable, "Variable: trainable")
        self._name = f"{name or 'Variable'}:0"

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def name(self) -> str:
        return self._name

    def value(self) -> Tensor:
        """The current value as a Tensor; later assigns do not change it."""
        from .ops.creation import identity  # a recorded read, so gradients reach the variable

        return identity(self)

    def read_value(self) -> Tensor:
        return self.value()

    def assign(self, value, read_value: bool = True) -> Variable:
        """Replace the value; it must have the variable's shape and a dtype that casts safely."""
        new = _assignable(self, value, "assign")
        if tuple(new.shape) != self.shape:
            raise ValueError(
                f"cannot assign a value of shape {tuple(new.shape)} to variable '{self._name}' "
                f"of shape {self.shape}: reshape the value or create a new variable"
            )
        if new is value:  # the caller's own array, which the caller may write later
            new = xp_of(new).asarray(new, copy=True)
        self._value = new
        return self if read_value else None  # TensorFlow's: no value when none is read

    def assign_add(self, delta, read_value: bool = True) -> Variable:
        delta = self._delta(delta, "assign_add")
        return self.assign(xp_of(self._value).add(self._value, delta), read_value)

    def assign_sub(self, delta, read_value: bool = True) -> Variable:
        delta = self._delta(delta, "assign_sub")
        return self.assign(xp_of(self._value).subtract(self._value, delta), read_value)

    def _delta(self, delta, what: str):
        """A value to combine with the variable's: of its shape, or a scalar. Another shape
        would broadcast (a (1,) delta added to every element), which TensorFlow refuses."""
        new = _assignable(self, delta, what)
        if new.ndim and tuple(new.shape) != self.shape:
            raise ValueError(
                f"cannot {what} a value of shape {tuple(new.shape)} to variable '{self._name}' "
                f"of shape {self.shape}: give a value of the variable's shape, or a scalar"
            )
        return new

    def __iadd__(self, other):
        return self.assign_add(other)

    def __isub__(self, other):
        return self.assign_sub(other)

    def __imul__(self, other):
        return self.assign(self._value * self._delta(other, "*="))

    def __itruediv__(self, other):
        if kind_of(self._value.dtype) in "biu":
            raise TypeError(
                f"'/=' on variable '{self._name}' of dtype {self.dtype} would give floats (true "
                "division), which it cannot hold: use //= for integer division, or create the "
                "variable with a float dtype"
            )
        return self.assign(self._value / self._delta(other, "/="))

    def __repr__(self) -> str:
        return (
            f"<tg.Variable '{self._name}' shape={self.shape} dtype={self.dtype}"
            f"{self._backend_suffix()}, numpy={self._numpy_text()}>"
        )

    __str__ = __repr__

    def __reduce__(self):
        name = self._name[:-2]
        return (_rebuild_variable, (to_numpy(self._value), self._trainable, name))

    def __copy__(self):
        return _rebuild_variable(self._value, self._trainable, self._name[:-2])

    def __deepcopy__(self, memo):
        return _rebuild_variable(self._value, self._trainable, self._name[:-2])


class Reference:
    """A hashable stand-in for a Tensor or Variable, equal only to references to the same object.

    >>> import tapegrad as tg
    >>> v = tg.Variable(1.0)
    >>> v.ref() == v.ref(), v.ref().deref() is v
    (True, True)
    """

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __hash__(self) -> int:
        return id(self._obj)

    def __eq__(self, other) -> bool:
        return isinstance(other, Reference) and other._obj is self._obj

    def __repr__(self) -> str:
        return f"<Reference to {self._obj!r}>"


def wrap(value) -> Tensor:
    """A new Tensor around a backend array that nobody else will write."""
    tensor = new_object(Tensor)
    tensor._value = value
    tensor._uid = next_uid()
    return tensor


def wrap_with_uid(value, uid: int) -> Tensor:
    """A Tensor that stands for a recorded value, so outer tapes recognise it."""
    tensor = new_object(Tensor)
    tensor._value = value
    tensor._uid = uid
    return tensor


new_object = object.__new__


def persist(*tensors):
    """Start computing Dask-backed tensors, all in one pass, and keep the results on the cluster.

    A Dask tensor is a recipe until something computes it; ``persist`` computes all of
    ``tensors`` together (shared work is done once), so that the work that follows starts from
    the results. With the local scheduler it returns when they are computed; on a
    ``dask.distributed`` cluster it returns at once, while the workers compute (reading a value,
    ``.numpy()`` or ``float()``, waits for it). A Variable is updated in place; a Tensor
    comes back as a new tensor that the tapes still recognise as the same value. Tensors of
    other libraries come back unchanged. Returns one tensor for one argument, else a tuple.

    >>> import tapegrad as tg
    >>> x = tg.constant([1.0, 2.0])
    >>> tg.persist(x) is x  # NumPy values are already computed
    True
    """
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"persist takes tensors and variables, not {type(t).__name__}")
    done = persist_arrays([t._value for t in tensors])
    out = []
    for t, value in zip(tensors, done):
        if value is t._value:
            out.append(t)
        elif isinstance(t, Variable):
            t._value = value
            out.append(t)
        else:
            out.append(wrap_with_uid(value, t._uid))
    return out[0] if len(out) == 1 else tuple(out)


def _rebuild_tensor(value):
    return wrap(np.array(value))


def _rebuild_variable(value, trainable, name):
    return Variable(value, trainable=trainable, name=name)


# -- converting Python and backend values -------------------------------------------------------
class GradientCutWarning(UserWarning):
    """A recorded tensor was turned into a NumPy array behind the tape's back (by NumPy itself,
    through ``__array__``): what is computed from the array has no gradient."""


def _recorded(tensor, now) -> bool:
    """Whether an active tape watches ``tensor`` (a trainable variable: would watch it on its
    first read) or an active accumulator carries its tangent."""
    uid = tensor._uid
    read_on_watch = isinstance(tensor, Variable) and tensor._trainable
    return any(
        uid in tape._watched or (read_on_watch and tape._watch_accessed) for tape in now.tapes
    ) or any(uid in accumulator._tangents for accumulator in now.accumulators)


def to_array(value, dtype=None):
    """A backend array for ``value``, with TensorFlow's defaults for Python values.

    Python floats become float32, ints int32, bools bool; NumPy arrays and scalars keep their
    dtype. A float is never silently truncated to an integer dtype.
    """
    if isinstance(value, Tensor):
        value = value._value
    dtype = None if dtype is None else _dtypes.as_dtype(dtype)
    if is_array(value):
        return _numpy_scalar(_cast_array(value, dtype, "value"))
    if isinstance(value, list | tuple):
        sample = _library_sample(value)
        if sample is not None:  # joined in their library: nothing moved, nothing computed
            return _cast_array(_stacked(value, sample), dtype, "value")
    return _numpy_scalar(_from_python(value, dtype))


def _library_sample(sequence):
    """An array of the one library other than NumPy that nested lists hold (tensors or arrays
    of CuPy, Dask ...), or None. Two such libraries raise, as mixing them anywhere does."""
    if _leaf_types(sequence) <= _PYTHON_NUMBERS:  # the common list of numbers: no more
        return None
    found = {}
    for leaf in _leaves(sequence):
        array = leaf._value if isinstance(leaf, Tensor) else leaf
        if is_array(array) and backend_name(array) != "numpy":
            found.setdefault(backend_name(array), array)
    if len(found) > 1:
        raise TypeError(
            f"cannot convert a list that mixes {' and '.join(sorted(found))} arrays to one "
            "tensor: tapegrad never moves data between libraries on its own; convert them first"
        )
    return next(iter(found.values()), None)


def _stacked(value, sample):
    """Nested lists stacked in ``sample``'s library (a Dask list stays lazy); numbers and NumPy
    values join it with tapegrad's defaults (a Python float as float32)."""
    xp = xp_of(sample)
    if isinstance(value, list | tuple):
        return xp.stack([_stacked(item, sample) for item in value])
    array = value._value if isinstance(value, Tensor) else value
    if is_array(array) and type(array) is type(sample):
        return array
    return in_library_of(sample, to_array(array))


def _numpy_scalar(array):
    """0-d NumPy values are kept as NumPy scalars: their arithmetic is ~10x faster than 0-d
    arrays', and NumPy's own operations return scalars for 0-d results anyway."""
    if type(array) is np.ndarray and array.ndim == 0:
        return array[()]
    return array


def _from_python(value, dtype):
    try:
        array = np.asarray(value)
    except ValueError as error:  # NumPy's "inhomogeneous shape": a ragged list
        if "inhomogeneous" not in str(error):
            raise
        raise ValueError(
            f"cannot convert {_short(value)} to a tensor: its nested lists have different "
            "lengths (a ragged list); a tensor needs rows of one length, so pad them first"
        ) from None
    if array.dtype == object and dtype is not None and dtype.kind in "fc":
        try:  # a huge Python int asked for as a float: NumPy converts it when told the dtype
            array = np.asarray(value, dtype=np.complex128 if dtype.kind == "c" else np.float64)
        except OverflowError:
            raise ValueError(
                f"cannot convert {type(value).__name__} {_short(value)} to {dtype}: it holds an "
                f"integer beyond the largest {dtype} value ({np.finfo(dtype).max:.4g})"
            ) from None
        except (TypeError, ValueError):
            pass  # not numbers: refused below
    if array.dtype == object:
        _check_no_huge_int(value, array)
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(
            f"cannot convert {type(value).__name__} {_short(value)} to a tensor: tapegrad holds "
            "numbers only (bool, integer, floating-point or complex)"
        )
    if dtype is None:
        return array.astype(_python_default(value, array.dtype), copy=False)
    return _cast_array(array, dtype, "value")


def _check_no_huge_int(value, array) -> None:
    """NumPy keeps a Python int beyond every integer dtype as an object: say so, not that it is
    not a number."""
    huge = [
        v
        for v in array.reshape(-1).tolist()
        if isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**64
    ]
    if huge:
        raise ValueError(
            f"cannot convert {type(value).__name__} {_short(value)} to a tensor: the integer "
            f"{_short(huge[0])} lies outside every integer dtype's range (int64 from -2**63, "
            "uint64 up to 2**64 - 1); give it as a float (float(x)) if an approximation will do"
        )


def _python_default(value, numpy_dtype):
    """NumPy's choice for Python values (float64, int64) narrowed to TensorFlow's defaults; a
    sequence holding float64 (or complex128) tensors, arrays or NumPy scalars keeps it, as
    TensorFlow packs float64 tensors into float64."""
    if numpy_dtype in (_dtypes.float64, _dtypes.complex128) and isinstance(value, list | tuple):
        types = _leaf_types(value)
        if types == {int}:  # ints beyond int64 beside negative ones
            raise ValueError(
                f"cannot convert {_short(value)} to a tensor: its integers fit neither int64 "
                "nor uint64; give a float dtype (dtype=tg.float64) if rounding is meant"
            )
        if not types <= _PYTHON_NUMBERS:  # rare: arrays, tensors or NumPy scalars inside
            strong = [_dtypes.as_dtype(v.dtype) for v in _leaves(value) if hasattr(v, "dtype")]
            if any(d in (_dtypes.float64, _dtypes.complex128) for d in strong):
                return numpy_dtype  # np.dtype(None) is float64: only real dtypes compared
    if numpy_dtype == _dtypes.float64:
        return _dtypes.DEFAULT_FLOAT
    if numpy_dtype == _dtypes.complex128:
        return _dtypes.DEFAULT_COMPLEX
    if numpy_dtype == _dtypes.int64:
        array = np.asarray(value)
        fits = array.size == 0 or (array.min() >= -(2**31) and array.max() < 2**31)
        return _dtypes.DEFAULT_INT if fits else _dtypes.int64
    return numpy_dtype


_PYTHON_NUMBERS = frozenset({int, float, complex, bool})


def _leaf_types(sequence) -> set:
    """The types of the values inside nested lists and tuples, found level by level at C speed
    (``map(type, ...)``): a list of a million floats costs no Python loop."""
    types = set(map(type, sequence))
    for kind in (list, tuple):
        if kind in types:
            types.discard(kind)
            for item in sequence:
                if type(item) is kind:
                    types |= _leaf_types(item)
    return types


def _leaves(sequence) -> list:
    """The values inside nested lists and tuples."""
    out = []
    for item in sequence:
        out.extend(_leaves(item) if isinstance(item, list | tuple) else [item])
    return out


def _cast_array(array, dtype, what):
    if dtype is None or _dtypes.as_dtype(array.dtype) == dtype:
        return array
    if is_lazy(array):  # checked where each block is computed: nothing is computed here
        return array.map_blocks(_checked_block, dtype=np.dtype(dtype.name), target=dtype, what=what)
    xp = xp_of(array)
    _check_cast(xp, array, dtype, what)
    return xp.astype(array, _backend_dtype(xp, dtype))


def _checked_block(block, *, target, what):
    """One Dask block cast to ``target``, after the checks an eager array gets."""
    _check_cast(np, block, target, f"{what} (in a block of a dask array)")
    return block.astype(target.name)


def _check_cast(xp, array, dtype, what) -> None:
    """Raise where casting ``array`` to ``dtype`` would lose information: a fraction, an
    imaginary part, or an integer out of range (which would wrap around). On CuPy the checks
    read their few results back, waiting for the GPU; on Dask they run inside each block
    (``_checked_block``)."""
    source = _dtypes.as_dtype(array.dtype)
    if source.kind in "fc" and dtype.kind in "biu":
        if not bool(xp.all(xp.equal(array, xp.round(xp.real(array))))) or source.kind == "c":
            raise TypeError(
                f"cannot convert {what} of dtype {source} to {dtype}: that would truncate "
                f"{_short(array)}; round it first (tg.round) or use a floating-point dtype"
            )
    if source.kind == "c" and dtype.kind != "c":
        raise TypeError(
            f"cannot convert complex {what} to {dtype}: that would drop the imaginary part; "
            "take tg.real(x) or tg.imag(x) first"
        )
    if dtype.kind in "iu" and source.kind in "iuf" and array.size and _may_wrap(source, dtype):
        _check_in_range(xp, array, dtype, what)


def _may_wrap(source, dtype) -> bool:
    """Whether some value of ``source`` falls outside integer ``dtype``'s range: never for an
    integer dtype whose range lies inside it, which needs no look at the values."""
    if source.kind not in "iu":
        return True
    have, want = np.iinfo(source), np.iinfo(dtype)
    return have.min < want.min or have.max > want.max


def _check_in_range(xp, array, dtype, what) -> None:
    """Integers (or integral floats) that ``dtype`` cannot hold would wrap around silently.
    The bounds are compared as Python numbers, which compare ints and floats exactly (2.0**63
    is out of int64's range)."""
    number = int if _dtypes.as_dtype(array.dtype).kind in "iu" else float
    low, high = number(xp.min(array)), number(xp.max(array))
    info = np.iinfo(dtype)
    if low < info.min or high > info.max:
        raise ValueError(
            f"cannot convert {what} to {dtype}: its values run from {low} to {high}, outside "
            f"{dtype}'s range [{info.min}, {info.max}], and would wrap around; use a dtype "
            "that holds them"
        )


def _backend_dtype(xp, dtype):
    return library_dtype(xp, dtype)


def _assignable(variable: Variable, value, what: str):
    """The backend value to write into ``variable``, cast only where nothing is lost."""
    target = variable.dtype
    if isinstance(value, Tensor):
        source = value.dtype
        raw = value._value
        if source != target and not np.can_cast(source, target, "safe"):
            raise TypeError(
                f"cannot {what} a {source} tensor to variable '{variable.name}' of dtype "
                f"{target}: that may lose information; cast it with tg.astype(value, "
                f"tg.{target.name})"
            )
        return _into_library(variable, _cast_array(raw, target, "the value"), what)
    own = to_array(value)
    if target.kind in "biu" and kind_of(own.dtype) in "fc":
        raise TypeError(
            f"cannot {what} a {_dtypes.as_dtype(own.dtype).name} value {_short(value)} to variable "
            f"'{variable.name}' of dtype {target}: a float is never truncated to an integer; "
            "round and cast it first, e.g. tg.astype(tg.round(value), "
            f"tg.{target.name})"
        )
    return _into_library(variable, to_array(value, target), what)


def _into_library(variable: Variable, new, what: str):
    """``new`` in the library of the variable's value: a variable keeps its library. Python and
    NumPy values are written into it (an explicit write, as a checkpoint's restore); another
    library's array raises, as mixing libraries does."""
    own = variable._value
    if type(new) is type(own):
        return new
    have, want = backend_name(new), backend_name(own)
    if have == want:
        return new
    if have != "numpy":
        raise TypeError(
            f"cannot {what} a {have} value to variable '{variable.name}', which holds a {want} "
            f"array: tapegrad never moves data between libraries on its own; convert the value "
            "first, for example with t.numpy()"
        )
    return in_library_of(own, new)


def _multiline(text: str) -> str:
    """A value printed on several lines starts on a line of its own, as TensorFlow prints it."""
    return "\n" + text if "\n" in text else text


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
