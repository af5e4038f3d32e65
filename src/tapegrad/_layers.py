"""Just enough layers to train real models: ``Dense``, ``Sequential``, and the initializers
they use (``glorot_uniform``, ``he_normal``). Layers build their variables on first call, when
the input's last dimension is known, as Keras's do; ``trainable_variables`` lists them for an
optimizer, and their parts get nested names in checkpoints (``"model/layers/0/kernel"``).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable

import numpy as np

from . import _dtypes
from ._backend import backend_name, in_library_of, is_array
from ._checks import flag
from ._tensor import Tensor, Variable
from .ops import astype, constant, matmul, tanh
from .ops._helpers import as_shape
from .ops.nn import relu, sigmoid, softmax

_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978  # stddev of a unit normal cut at +-2


# -- initializers ------------------------------------------------------------------------------
def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _fans(shape: tuple) -> tuple[int, int]:
    """Keras's fan-in and fan-out: for a convolution kernel the receptive field multiplies
    the last two dimensions."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def glorot_uniform(shape, dtype=_dtypes.float32, seed=None) -> Tensor:
    """Glorot (Xavier) uniform values: ``U(-limit, limit)`` with
    ``limit = sqrt(6 / (fan_in + fan_out))``, as Keras's ``GlorotUniform``. ``seed``: None,
    an int, or a ``numpy.random.Generator``.

    >>> import tapegrad as tg
    >>> w = tg.nn.glorot_uniform((64, 10), seed=0)
    >>> w.shape, w.dtype, bool(tg.max(tg.abs(w)) <= (6 / 74) ** 0.5)
    ((64, 10), dtype('float32'), True)
    """
    shape = as_shape(shape)
    fan_in, fan_out = _fans(shape)
    limit = math.sqrt(6.0 / max(1, fan_in + fan_out))  # Keras's guard: an empty shape is fine
    return constant(_rng(seed).uniform(-limit, limit, size=shape), dtype=dtype)


def he_normal(shape, dtype=_dtypes.float32, seed=None) -> Tensor:
    """He normal values: a normal distribution truncated at two standard deviations, scaled
    so that the standard deviation is ``sqrt(2 / fan_in)``, as Keras's ``HeNormal``.

    >>> import tapegrad as tg
    >>> w = tg.nn.he_normal((1000, 50), dtype=tg.float64, seed=0)
    >>> round(float(tg.mean(w * w)) ** 0.5 * 1000**0.5 / 2**0.5, 1)
    1.0
    """
    shape = as_shape(shape)
    fan_in, _ = _fans(shape)
    stddev = math.sqrt(2.0 / max(1, fan_in)) / _TRUNCATED_NORMAL_STDDEV  # Keras's guard
    rng = _rng(seed)
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():  # redraw the tails: what a truncated normal is
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return constant(values * stddev, dtype=dtype)


def zeros(shape, dtype=_dtypes.float32, seed=None) -> Tensor:
    return constant(np.zeros(as_shape(shape)), dtype=dtype)


_INITIALIZERS = {"glorot_uniform": glorot_uniform, "he_normal": he_normal, "zeros": zeros}
_ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "softmax": softmax, "tanh": tanh, "linear": None}


def _unique(variables) -> list:
    """Each variable once, in first-seen order: a layer used twice in a model has one set of
    variables, which an optimizer must step once."""
    return list({v.ref(): v for v in variables}.values())


def _positive_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{what} must be a positive integer, not {value!r}")
    return int(value)


def _initializer(value, what: str) -> Callable:
    if callable(value):
        return value
    if value in _INITIALIZERS:
        return _INITIALIZERS[value]
    raise ValueError(
        f"unknown {what} {value!r}: use one of {sorted(_INITIALIZERS)} or a callable "
        "(shape, dtype) -> array"
    )


def _activation(value) -> Callable | None:
    if value is None or callable(value):
        return value
    if value in _ACTIVATIONS:
        return _ACTIVATIONS[value]
    raise ValueError(
        f"unknown activation {value!r}: use one of {sorted(_ACTIVATIONS)}, None or a callable"
    )


# -- layers ------------------------------------------------------------------------------------
_name_counters: dict = {}


def _auto_name(kind: str) -> str:
    """Keras's naming: the first Dense is 'dense', then 'dense_1', 'dense_2'...; the snake case
    of Keras's ``to_snake_case`` (``HTTPLayer`` is 'http_layer', not 'h_t_t_p_layer')."""
    base = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", kind)
    base = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", base).lower()
    n = next(_name_counters.setdefault(base, itertools.count()))
    return base if n == 0 else f"{base}_{n}"


class Layer:
    """Base class: subclasses define ``build(input_shape)`` (creating their variables) and
    ``call(x)``; calling the layer builds it on first use.

    ``layer.trainable = False`` freezes it, as in Keras: its variables, and those of the layers
    inside it, move from ``trainable_variables`` to ``non_trainable_variables`` (the variables'
    own ``trainable`` flags are left as they are)."""

    # class-level defaults, so that a subclass that skips Layer.__init__ still works
    built = False
    _placed = False
    _trainable = True

    def __init__(self, name: str | None = None):
        self.name = name or _auto_name(type(self).__name__)
        self.built = False
        self._placed = False

    def __call__(self, x) -> Tensor:
        x = self._cast_input(x)
        if not self.built:
            self.build(x.shape)
        if not self._placed:
            self._place_like(x)
        return self.call(x)

    def _place_like(self, x) -> None:
        """On the first call, variables the layer made itself (NumPy, by its initializers) move
        to the input's library and device, as every array an operation makes does: the same
        model runs on CuPy or Dask inputs."""
        self._placed = True
        like = x._value
        if backend_name(like) == "numpy":
            return
        for v in self._own_variables():
            if v is not None and backend_name(v._value) == "numpy":
                v._value = in_library_of(like, v._value)

    def _cast_input(self, x) -> Tensor:
        return x if isinstance(x, Tensor) else constant(x)

    def build(self, input_shape) -> None:
        self.built = True

    def call(self, x) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define call(self, x)")

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value) -> None:
        # as Keras's setter, it reaches the layers inside (a string "False" would mean True)
        self._trainable = flag(value, "trainable")
        for layer in self._sublayers():
            layer.trainable = value

    @property
    def variables(self) -> list:
        return _unique(v for v in self._own_variables() if v is not None)

    @property
    def trainable_variables(self) -> list:
        """The variables an optimizer should update: each once, none of a frozen layer."""
        return [v for v in self.variables if v.trainable] if self.trainable else []

    @property
    def non_trainable_variables(self) -> list:
        trainable = {v.ref() for v in self.trainable_variables}
        return [v for v in self.variables if v.ref() not in trainable]

    def _own_variables(self) -> list:
        return []

    def _sublayers(self) -> list:
        return []

    def _checkpoint_parts(self) -> dict:
        raise NotImplementedError

    def _require_built(self) -> None:
        if not self.built:
            raise ValueError(
                f"layer '{self.name}' is not built yet, so it has no variables to save or load: "
                "call it (or the model) on a batch first, or call build(input_shape)"
            )


class Dense(Layer):
    """A fully connected layer: ``activation(x @ kernel + bias)``, Keras's ``Dense``.

    The kernel has shape ``(input_dim, units)`` and is created on the first call (or given
    ``input_dim`` up front). ``seed`` (None, an int or a ``numpy.random.Generator``) seeds a
    kernel initializer given by name. Inputs are cast to the layer's ``dtype``.

    >>> import tapegrad as tg
    >>> layer = tg.nn.Dense(3, activation="relu", input_dim=4, seed=0)
    >>> [v.shape for v in layer.trainable_variables]
    [(4, 3), (3,)]
    >>> layer(tg.ones((2, 4))).shape
    (2, 3)
    """

    def __init__(
        self,
        units: int,
        activation: str | Callable | None = None,
        use_bias: bool = True,
        kernel_initializer: str | Callable = "glorot_uniform",
        bias_initializer: str | Callable = "zeros",
        *,
        input_dim: int | None = None,
        dtype=_dtypes.float32,
        seed=None,
        name: str | None = None,
    ):
        super().__init__(name)
        self.units = _positive_int(units, "units")
        self.activation = _activation(activation)
        self.use_bias = flag(use_bias, "use_bias")
        self.kernel_initializer = _initializer(kernel_initializer, "kernel_initializer")
        self.bias_initializer = _initializer(bias_initializer, "bias_initializer")
        self.dtype = _dtypes.as_dtype(dtype)
        self._rng = _rng(seed)  # one stream per layer: kernel and bias draws differ
        self.kernel: Variable | None = None
        self.bias: Variable | None = None
        if input_dim is not None:
            self.build((None, _positive_int(input_dim, "input_dim")))

    def build(self, input_shape) -> None:
        input_shape = tuple(input_shape)
        if not input_shape:
            raise ValueError(
                f"layer '{self.name}' needs inputs with at least one axis (the features, last); "
                "got a scalar, of shape ()"
            )
        features = input_shape[-1]
        if isinstance(features, bool) or not isinstance(features, int | np.integer) or features < 1:
            raise ValueError(
                f"layer '{self.name}' cannot be built for inputs of shape {input_shape}: the "
                "last axis (the features) must have a known, positive size"
            )
        shape = (int(features), self.units)
        self.kernel = Variable(
            self._draw(self.kernel_initializer, shape, "kernel"), name=f"{self.name}/kernel"
        )
        if self.use_bias:
            self.bias = Variable(
                self._draw(self.bias_initializer, (self.units,), "bias"), name=f"{self.name}/bias"
            )
        self.built = True

    def _draw(self, initializer, shape: tuple, what: str):
        if initializer in _INITIALIZERS.values():
            return initializer(shape, self.dtype, seed=self._rng)
        # constant refuses a lossy cast (complex to real); a wrong shape would broadcast in
        # call, silently sharing values between units, as Keras's check prevents
        value = constant(initializer(shape, self.dtype), dtype=self.dtype)
        if value.shape != shape:
            name = getattr(initializer, "__name__", repr(initializer))
            raise ValueError(
                f"layer '{self.name}': {what}_initializer {name} returned shape {value.shape} "
                f"for a {what} of shape {shape}; an initializer must return the shape it is given"
            )
        return value

    def _cast_input(self, x) -> Tensor:
        if not isinstance(x, Tensor):  # an array stays in its library (a Dask array uncomputed)
            x = constant(x if is_array(x) else np.asarray(x))
        if x.dtype == self.dtype:
            return x
        if _dtypes.kind_of(x.dtype) == "c" and self.dtype.kind != "c":
            raise TypeError(
                f"layer '{self.name}' computes in {self.dtype} and cannot take complex input "
                f"({x.dtype}): that would drop the imaginary part; take tg.real(x) or tg.abs(x) "
                "first, or give the layer a complex dtype"
            )
        return astype(x, self.dtype)

    def call(self, x) -> Tensor:
        if x.shape[-1:] != self.kernel.shape[:1]:
            raise ValueError(
                f"layer '{self.name}' expects inputs with last dimension {self.kernel.shape[0]}, "
                f"got shape {x.shape}"
            )
        y = matmul(x, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return y if self.activation is None else self.activation(y)

    def compute_output_shape(self, input_shape) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def _own_variables(self) -> list:
        return [self.kernel, self.bias]

    def _checkpoint_parts(self) -> dict:
        self._require_built()
        parts = {"kernel": self.kernel}
        if self.bias is not None:
            parts["bias"] = self.bias
        return parts

    def __repr__(self) -> str:
        built = f"{self.kernel.shape[0]} -> {self.units}" if self.built else f"? -> {self.units}"
        return f"<tg.nn.Dense '{self.name}' {built}>"


class Sequential(Layer):
    """Layers applied one after the other.

    >>> import tapegrad as tg
    >>> model = tg.nn.Sequential([tg.nn.Dense(8, activation="relu"), tg.nn.Dense(2)])
    >>> model(tg.ones((5, 3))).shape
    (5, 2)
    >>> [v.shape for v in model.trainable_variables]
    [(3, 8), (8,), (8, 2), (2,)]
    """

    def __init__(self, layers=None, name: str | None = None):
        super().__init__(name)
        if callable(layers):  # Sequential(Dense(3)) would fail as "not iterable"
            raise TypeError(
                f"Sequential takes a list of layers, not a {type(layers).__name__}: write "
                "Sequential([layer])"
            )
        self.layers: list = []
        for layer in layers or ():
            self.add(layer)

    def add(self, layer) -> None:
        if not callable(layer):
            raise TypeError(f"Sequential takes layers (callables), not {type(layer).__name__}")
        self.layers.append(layer)

    def _cast_input(self, x) -> Tensor:
        return x  # each layer casts its own input

    def __call__(self, x) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        self.built = True
        return x

    def build(self, input_shape) -> None:
        """Build every layer for inputs of ``input_shape`` (the batch size may be None)."""
        if not isinstance(input_shape, tuple | list):
            raise TypeError(
                f"build takes the shape of the inputs, batch axis first, such as (None, 4); "
                f"not {input_shape!r}"
            )
        shape = tuple(input_shape)
        for layer in self.layers:
            if isinstance(layer, Layer) and not layer.built:
                layer.build(shape)
            shape = _output_shape(layer, shape)
        self.built = True

    def compute_output_shape(self, input_shape) -> tuple:
        """The shape that inputs of ``input_shape`` have after every layer (so that a model
        nested in another builds the next layers for the right size)."""
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = _output_shape(layer, shape)
        return shape

    def _sublayers(self) -> list:
        return [layer for layer in self.layers if isinstance(layer, Layer)]

    @property
    def variables(self) -> list:
        return _unique(v for layer in self._sublayers() for v in layer.variables)

    @property
    def trainable_variables(self) -> list:
        if not self.trainable:
            return []
        return _unique(v for layer in self._sublayers() for v in layer.trainable_variables)

    def _checkpoint_parts(self) -> dict:
        # a layer used again is stored once, under its first position, so that a model that
        # shares a layer can be saved (tg.save refuses a variable under two names)
        layers, seen = {}, set()
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Layer) and id(layer) not in seen:
                seen.add(id(layer))
                layers[str(i)] = layer
        return {"layers": layers}

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"<tg.nn.Sequential '{self.name}' [{inner}]>"


def _output_shape(layer, shape: tuple) -> tuple:
    """The shape after ``layer``; plain functions (tg.nn.relu) keep the shape."""
    compute = getattr(layer, "compute_output_shape", None)
    return shape if compute is None else tuple(compute(shape))
