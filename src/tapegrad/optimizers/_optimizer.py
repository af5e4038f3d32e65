"""The Optimizer base: ``apply_gradients``, ``minimize``, per-variable slots, learning rates, and
the options every Keras 3 optimizer shares (clipping, weight decay, EMA, gradient accumulation).

Updates run on backend arrays, outside any tape. A variable's NumPy array is updated in place
only while nothing else holds it; otherwise the variable gets a new array, so values a tape saved
stay as they were. Slots are keyed on the Variable
object (its ``id``, while the optimizer holds the variable, so the id cannot be reused), so new
variables may join at any time: their slots are created the first time a gradient arrives.
Options that change which slots are needed may be set between steps (``_sync_slots``).

Each call to ``apply_gradients`` follows Keras 3's order: drop ``None`` gradients (warning),
unscale by ``loss_scale_factor``, then either accumulate (``gradient_accumulation_steps``) or
clip, decay the weights and run each optimizer's update step; then update the moving averages
(``use_ema``) and count the call in ``iterations``.
"""

from __future__ import annotations

import inspect
import math
import re
import sys
import warnings
from collections.abc import Callable, Iterable

import numpy as np

from .._backend import device_of, in_library_of, is_lazy, persist, waits_to_read, xp_of
from .._dtypes import REAL_FLOAT_TYPES, kind_of
from .._tensor import Tensor, Variable, to_array
from ._checks import Checked, Option, check_option, check_variable_dtype, describe
from .schedules import LearningRateSchedule


class Optimizer(Checked):
    """Base class of the Keras-style optimizers, holding the options they all take (Keras 3's
    names and defaults):

    - ``learning_rate``: a number, a ``tg.optimizers.schedules.LearningRateSchedule``, or any
      callable of the step (the number of ``apply_gradients`` calls so far);
    - ``weight_decay``: decoupled decay ``w -= w * weight_decay * lr`` before each update;
    - ``clipnorm`` (each gradient's norm), ``global_clipnorm`` (all gradients' joint norm),
      ``clipvalue`` (each entry: Keras's clip for real gradients; a complex entry's magnitude
      is capped and its phase kept); at most one of them;
    - ``use_ema``, ``ema_momentum``, ``ema_overwrite_frequency``: a moving average of the
      weights, copied into them every ``ema_overwrite_frequency`` steps or by
      ``finalize_variable_values``;
    - ``loss_scale_factor``: gradients are divided by it (for a loss scaled by ``scale_loss``,
      as ``minimize`` scales it);
    - ``gradient_accumulation_steps``: gradients are summed over that many calls and their mean
      applied on the last;
    - ``name``.

    Options may be changed between steps. One that changes which slots a variable needs
    (``momentum``, ``amsgrad``, ``centered``, ``use_ema``, ``gradient_accumulation_steps``)
    takes effect at the next step: missing slots are built as at the start (zeros, the moving
    average at the variable's current value) and slots no longer used are dropped.

    Subclasses set ``_slot_initials`` (slot name -> initial value) and implement
    ``_update_step(grad, var, lr, slots)`` on backend arrays: ``slots`` is the variable's dict of
    slot arrays, to be replaced (never written in place), and the new value is given to the
    variable with ``self._assign(var, value)``.

    >>> import tapegrad as tg
    >>> opt = tg.optimizers.SGD(1.0, clipnorm=1.0)
    >>> w = tg.Variable([0.0, 0.0])
    >>> _ = opt.apply_gradients([(tg.constant([3.0, 4.0]), w)])
    >>> print(w.numpy())
    [-0.6 -0.8]
    """

    _slot_initials: dict = {}
    # the options checked whenever they are set (see Checked); subclasses add their own
    _checks = {
        "weight_decay": Option("[0, inf)", none="for no weight decay"),
        "clipnorm": Option("(0, inf)", none="for no clipping"),
        "clipvalue": Option("(0, inf)", none="for no clipping"),
        "global_clipnorm": Option("(0, inf)", none="for no clipping"),
        "use_ema": "bool",
        "ema_momentum": "[0, 1]",
        "ema_overwrite_frequency": Option("int [1, inf)", none="for no overwriting"),
        "loss_scale_factor": Option("(0, inf)", none="for no scaling"),
        "gradient_accumulation_steps": Option("int [2, inf)", none="for no accumulation"),
    }
    # Optimizers whose update depends on the step (bias corrections) count it per variable
    # from the variable's first update, so that a variable joining late starts as a fresh one
    # would; for variables present from the first step this is Keras's global count.
    _counts_steps = False

    def __init__(
        self,
        learning_rate=0.01,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
    ):
        _check_clipping(clipnorm, clipvalue, global_clipnorm)
        self.name = name or type(self).__name__
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._iterations = Variable(0, trainable=False, name="iteration", dtype="int64")
        self._slots_stale = False
        self._slots: dict[int, dict] = {}  # id(variable) -> slot arrays
        self._variables: dict[int, Variable] = {}  # id(variable) -> the variable, kept alive
        self._globals: dict = {}
        self._excluded: set = set()
        self._exclude_pattern = None
        self.learning_rate = learning_rate

    def __setattr__(self, name: str, value) -> None:
        super().__setattr__(name, value)  # checks the option (see below)
        if name in self._checks and self.__dict__.get("_slots"):
            # an option set after variables have slots may change which slots they need
            # (momentum, amsgrad, centered, use_ema, gradient_accumulation_steps...): the next
            # step, build, get_slot, variables or save brings them in line (_sync_slots)
            object.__setattr__(self, "_slots_stale", True)

    # Checked.__setattr__ checks the options in _checks, and keeps each NumPy number given as
    # an option (learning_rate, beta_1, ..., also when set later) as a Python number: NumPy 2
    # promotes a float32 array times an np.float64 (a "strong" scalar) to float64, but not
    # times a Python float (a "weak" one), and no slot may leave its variable's dtype (Keras
    # casts every option to it).

    # -- learning rate and step counters ---------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The learning rate for the next step (a schedule is evaluated at the current step).

        >>> import tapegrad as tg
        >>> schedule = tg.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
        >>> opt = tg.optimizers.SGD(schedule)
        >>> _ = opt.apply_gradients([(tg.constant(1.0), tg.Variable(1.0))])
        >>> opt.learning_rate
        0.05
        """
        lr, kind = self._learning_rate, self._lr_kind
        if kind == "number":  # checked when it was set
            return lr
        if kind == "schedule":
            step = int(self._iterations._value)
            return _rate(lr(step), lr, step)
        if kind == "callable":
            return _rate(lr(), lr)
        return _rate(lr)  # a tensor the user may have assigned since

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if not callable(value) and not _is_number(value):
            raise TypeError(
                f"learning_rate must be a number, a LearningRateSchedule or a callable of the "
                f"step, not {type(value).__name__} {value!r}"
            )
        if _takes_step(value):
            self._lr_kind = "schedule"
        elif callable(value):
            self._lr_kind = "callable"
        elif isinstance(value, Tensor):  # a Variable the user may assign: read at each step
            _rate(value)
            self._lr_kind = "tensor"
        else:
            value = check_option("learning_rate", value, "[0, inf)")
            self._lr_kind = "number"
        self._learning_rate = value

    @property
    def iterations(self):
        """The number of optimizer steps taken. With ``gradient_accumulation_steps`` it counts
        real updates (calls divided by the number of steps), as Keras 3's does.

        >>> import tapegrad as tg
        >>> opt = tg.optimizers.SGD(gradient_accumulation_steps=2)
        >>> w = tg.Variable(1.0)
        >>> for _ in range(5):
        ...     _ = opt.apply_gradients([(tg.constant(1.0), w)])
        >>> int(opt.iterations)
        2
        """
        steps = self.gradient_accumulation_steps
        return self._iterations // steps if steps else self._iterations

    def _step(self) -> int:
        """The 0-based index of the update being made (``iterations`` as a Python int)."""
        steps = self.gradient_accumulation_steps
        count = int(self._iterations._value)
        return count // steps if steps else count

    # -- applying gradients ----------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Iterable) -> Variable:
        """Update each variable from its gradient; a None gradient is skipped with a warning,
        and a ValueError is raised, changing nothing, when every gradient is None (as in Keras 3;
        an empty list is no step). Returns the ``iterations`` counter, as Keras's does.

        >>> import tapegrad as tg
        >>> v = tg.Variable(1.0)
        >>> tg.optimizers.SGD(learning_rate=0.5).apply_gradients([(tg.constant(2.0), v)])
        <tg.Variable 'iteration:0' shape=() dtype=int64, numpy=1>
        >>> print(v)
        <tg.Variable 'Variable:0' shape=() dtype=float32, numpy=0.0>
        """
        grads, variables = self._checked_pairs(grads_and_vars)
        if not grads:  # no pairs at all: no step, as in Keras
            return self._iterations
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        if self._slots_stale:
            self._sync_slots()
        known = self._slots
        for var in variables:  # a loop, not a comprehension: most steps find no new variable
            if id(var) not in known:
                self._add_slots(variables)
                break
        if self.gradient_accumulation_steps:
            self._accumulate(grads, variables)
        else:
            self._update(grads, variables)
        if self.use_ema:
            self._update_moving_averages()
        self._settle(variables)
        self._iterations._value = self._iterations._value + 1
        return self._iterations

    def _add_slots(self, variables: list) -> None:
        """Slots for the variables met for the first time; every one is checked before any
        gets slots."""
        known = self._slots
        new = [var for var in variables if id(var) not in known]
        for var in new:
            check_variable_dtype(self.name, var)
        for var in new:
            self._ensure_slots(var)

    def _settle(self, variables: list) -> None:
        """On Dask, persist the step, variables and slots together (computed now, or by the
        cluster's workers while the program goes on): otherwise each step would be a recipe
        that repeats every earlier step, and the graph would grow forever."""
        for v in variables:  # a loop, not a comprehension: most steps stop here
            if type(v._value) not in _EAGER and is_lazy(v._value):
                break
        else:
            return
        lazy = [v for v in variables if is_lazy(v._value)]
        entries = [(slots, k) for slots in (self._slots[id(v)] for v in lazy) for k in slots]
        done = persist([v._value for v in lazy] + [slots[k] for slots, k in entries])
        for var, value in zip(lazy, done):
            var._value = value
        for (slots, k), value in zip(entries, done[len(lazy) :]):
            slots[k] = value  # persist passes the values that are not Dask's through

    def apply(self, grads, trainable_variables) -> Variable:
        """``apply_gradients(zip(grads, trainable_variables))``, Keras 3's other spelling; the
        two lists must have the same length (zip would drop what is left over).

        >>> import tapegrad as tg
        >>> w = tg.Variable(1.0)
        >>> _ = tg.optimizers.SGD(0.5).apply([tg.constant(2.0)], [w])
        >>> float(w)
        0.0
        """
        grads = _as_list(f"{self.name}.apply", "gradients", grads)
        variables = _as_list(f"{self.name}.apply", "variables", trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"{self.name}.apply got {len(grads)} gradient(s) for {len(variables)} "
                "variable(s): pass one gradient per variable, in the same order"
            )
        return self.apply_gradients(zip(grads, variables))

    def minimize(self, loss: Callable, var_list, tape=None) -> Variable:
        """Compute the gradient of ``loss()`` with respect to ``var_list`` and apply it.

        ``loss`` is a callable that computes the loss (it runs under a new tape); or, with
        ``tape`` given, the loss tensor already recorded on that tape. ``var_list`` may be a
        callable that returns the variables, and a single Variable stands for ``[variable]``.

        >>> import tapegrad as tg
        >>> x = tg.Variable(3.0)
        >>> opt = tg.optimizers.SGD(learning_rate=0.25)
        >>> _ = opt.minimize(lambda: x * x, [x])
        >>> print(x)
        <tg.Variable 'Variable:0' shape=() dtype=float32, numpy=1.5>
        """
        from .._tape import GradientTape

        if tape is None and not callable(loss):
            raise TypeError(
                f"{self.name}.minimize needs the loss as a callable that computes it (such as "
                "lambda: loss_fn(model(x), y)), or the loss tensor together with the tape that "
                f"recorded it (tape=tape); got {type(loss).__name__} without a tape"
            )

        def listed(variables):
            return [variables] if isinstance(variables, Variable) else list(variables)

        if tape is None:
            with GradientTape() as tape:
                if not callable(var_list):
                    tape.watch(listed(var_list))
                value = loss()
        else:
            value = loss
        # a callable var_list is asked after the loss, as Keras asks it: a model built by its
        # first call has its variables only then (the tape watched the trainable ones it read)
        var_list = listed(var_list() if callable(var_list) else var_list)
        # as Keras: the gradient of scale_loss(loss), which apply_gradients divides by
        # loss_scale_factor again; the backward pass is seeded with the factor, which is the
        # gradient of loss * factor (also for a loss already recorded on the given tape)
        grads = tape.gradient(value, var_list, output_gradients=self._loss_seeds(value))
        return self.apply_gradients(zip(grads, var_list))

    def _loss_seeds(self, loss):
        """The seeds of the backward pass from ``loss`` (a tensor, or a structure of them) that
        give the gradients of ``scale_loss(loss)``; None without a ``loss_scale_factor``."""
        factor = self.loss_scale_factor
        if factor is None:
            return None
        from .._structure import flatten

        targets = [loss] if isinstance(loss, Tensor) else flatten(loss)[0]
        if not all(isinstance(t, Tensor) for t in targets):
            return None  # tape.gradient says what is wrong with the loss
        return [xp_of(t._value).full_like(t._value, factor) for t in targets]

    def _checked_pairs(self, grads_and_vars) -> tuple[list, list]:
        """Gradients as arrays of their variables' dtypes; every pair is checked before any
        variable changes, so a bad pair leaves everything as it was."""
        if isinstance(grads_and_vars, (Tensor, np.ndarray)) or not hasattr(
            grads_and_vars, "__iter__"
        ):
            raise TypeError(
                "apply_gradients takes (gradient, variable) pairs, such as "
                f"zip(grads, variables), not {describe(grads_and_vars)}"
            )
        grads, variables, missing = [], [], []
        for pair in grads_and_vars:
            if type(pair) is tuple and len(pair) == 2:
                grad, var = pair  # the common pair, without the checking call
                if type(var) is not Variable:
                    grad, var = _check_pair(pair)
            else:
                grad, var = _check_pair(pair)
            if type(grad) is Tensor:  # a tape's gradient: of the variable's shape and dtype
                value, own = grad._value, var._value
                if value.dtype is own.dtype and value.shape == own.shape:
                    grads.append(value)
                    variables.append(var)
                    continue
            elif grad is None:
                missing.append(var)
                continue
            grads.append(_gradient_array(grad, var, self.name))
            variables.append(var)
        everything = variables + missing if missing else variables
        if len(everything) > 1 and len(set(map(id, everything))) != len(everything):
            # each pair would be a step of its own: the variable and its slots would move twice
            twice = _first_repeated(everything)
            raise ValueError(
                f"variable '{twice.name}' appears twice in one {self.name} step: sum its "
                "gradients first and pass it once"
            )
        if missing:
            if not grads:
                # as Keras 3: a loss that reaches none of the variables is a mistake, not a step
                raise ValueError(_no_gradients_message(missing))
            for var in missing:
                warnings.warn(
                    f"{self.name}: the gradient for variable '{var.name}' is None, so it was not "
                    "updated; check that the loss depends on it (tape.gradient gives None for "
                    "an unconnected source)",
                    stacklevel=3,
                )
        return grads, variables

    def _update(self, grads: list, variables: list) -> None:
        if self.clipnorm or self.global_clipnorm or self.clipvalue:
            grads = self._clip(grads)
        lr = self.learning_rate
        self._check_learning_rate(lr)
        if self.weight_decay is not None:
            self._apply_weight_decay(variables, lr)
        self._before_update_steps()
        slots = self._slots
        for grad, var in zip(grads, variables):
            self._update_step(grad, var, lr, slots[id(var)])

    def _accumulate(self, grads: list, variables: list) -> None:
        steps = self.gradient_accumulation_steps
        if (int(self._iterations._value) + 1) % steps:
            for grad, var in zip(grads, variables):
                slots = self._slots[id(var)]
                slots["gradient_accumulator"] = slots["gradient_accumulator"] + grad
            return
        means = [
            (g + self._slots[id(v)]["gradient_accumulator"]) / steps
            for g, v in zip(grads, variables)
        ]
        self._update(means, variables)
        for slots in self._slots.values():  # Keras resets every accumulator after an update
            if "gradient_accumulator" in slots:
                slots["gradient_accumulator"] = xp_of(grads[0]).zeros_like(
                    slots["gradient_accumulator"]
                )

    def _check_learning_rate(self, lr: float) -> None:
        """A hook to refuse a step's learning rate before anything changes (Ftrl's 0)."""

    def _before_update_steps(self) -> None:
        """A hook for state shared by all variables (Nadam's running product)."""

    def _local_step(self, slots: dict) -> int:
        """The 1-based step of this update for the variable whose slots these are."""
        return self._step() - int(slots["first_step"]) + 1

    def _update_step(self, grad, var: Variable, lr: float, slots: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define _update_step")

    @staticmethod
    def _assign(var: Variable, value) -> None:
        """Give ``var`` a new array of its own dtype (NumPy scalars for 0-d NumPy values)."""
        old = var._value
        if value.dtype is not old.dtype and value.dtype != old.dtype:
            value = xp_of(old).astype(value, old.dtype)
        var._value = value[()] if type(value) is np.ndarray and value.ndim == 0 else value

    @staticmethod
    def _assign_sub(var: Variable, delta) -> None:
        """``var <- var - delta``, written into the variable's own NumPy array when nothing else
        holds it, so that a training step allocates no second copy of the weights; otherwise
        (a tape that saved the value, a view from ``.numpy()``, another library) into a new
        array, so that no saved value ever changes."""
        value = var._value
        # the variable holds the only reference to a writeable NumPy array that owns its memory
        # (a view, from ``assign(big[0])``, would write into the array it looks at); tested
        # here, not in a helper: once per variable per step
        if (
            type(value) is np.ndarray
            and value.base is None
            and value.flags.writeable
            and _ALONE is not None
            and sys.getrefcount(value) == _ALONE  # counted as _references counts
        ):
            np.subtract(value, delta, out=value)  # a ufunc's out: same_kind casting
        else:
            Optimizer._assign(var, value - delta)

    # -- clipping and weight decay ---------------------------------------------------------------
    def _clip(self, grads: list) -> list:
        # on CuPy and Dask the norms stay 0-d arrays: reading them would wait for the GPU, or
        # compute each gradient's recipe on its own before the step computes them again
        unread = False
        for g in grads:  # a loop, not a comprehension: most steps see NumPy arrays only
            if type(g) not in _EAGER and waits_to_read(g):
                unread = True
                break
        norm = _norm_array if unread else _norm
        if self.clipnorm:
            return [g * _clip_scale(self.clipnorm, norm(g)) for g in grads]
        if self.global_clipnorm:
            total = norm(grads[0]) ** 2
            for g in grads[1:]:
                total = total + norm(g) ** 2
            # as Keras: a non-finite norm makes every gradient NaN rather than silently passing
            scale = _clip_scale(self.global_clipnorm, total**0.5, nan_if_not_finite=True)
            return [g * scale for g in grads]
        if self.clipvalue:
            return [_clip_entries(g, self.clipvalue) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Exempt variables from ``weight_decay``: those in ``var_list``, and those whose name
        contains any of the strings in ``var_names`` (e.g. ``["bias"]``).

        >>> import tapegrad as tg
        >>> opt = tg.optimizers.AdamW(0.1, weight_decay=0.5)
        >>> opt.exclude_from_weight_decay(var_names=["bias"])
        >>> bias = tg.Variable(1.0, name="dense/bias")
        >>> _ = opt.apply_gradients([(tg.constant(0.0), bias)])
        >>> float(bias)
        1.0
        """
        self._excluded = {id(v) for v in var_list or ()}
        self._excluded_variables = list(var_list or ())  # keeps their ids from being reused
        self._exclude_pattern = (
            re.compile("|".join(map(re.escape, var_names))) if var_names else None
        )

    def _decays(self, var: Variable) -> bool:
        if id(var) in self._excluded:
            return False
        return self._exclude_pattern is None or not self._exclude_pattern.search(var.name)

    def _apply_weight_decay(self, variables: list, lr: float) -> None:
        """Decoupled weight decay, ``w -= w * weight_decay * lr``, before the update step."""
        if self.weight_decay is None:
            return
        for var in variables:
            if self._decays(var):
                self._assign_sub(var, var._value * self.weight_decay * lr)

    # -- exponential moving average of the weights -----------------------------------------------
    def _update_moving_averages(self) -> None:
        momentum = self.ema_momentum if self._step() != 0 else 0.0
        for key, slots in self._slots.items():
            if "average" in slots:
                value = self._variables[key]._value
                slots["average"] = momentum * slots["average"] + (1 - momentum) * value
        frequency = self.ema_overwrite_frequency
        if frequency and (self._step() + 1) % frequency == 0:
            self._overwrite_with_averages(self._variables.values())

    def finalize_variable_values(self, var_list) -> None:
        """With ``use_ema``, replace each variable's value by its moving average.

        >>> import tapegrad as tg
        >>> opt = tg.optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
        >>> w = tg.Variable(0.0)
        >>> for _ in range(2):
        ...     _ = opt.apply_gradients([(tg.constant(-1.0), w)])  # w: 1, then 2
        >>> opt.finalize_variable_values([w])
        >>> float(w)  # the average: 1, then 0.5 * 1 + 0.5 * 2
        1.5
        """
        if self.use_ema:
            self._overwrite_with_averages(var_list)

    def _overwrite_with_averages(self, variables) -> None:
        for var in variables:
            average = self._slots.get(id(var), {}).get("average")
            if average is not None:
                self._assign(var, average)

    # -- state -----------------------------------------------------------------------------------
    def build(self, var_list) -> None:
        """Create the slots of ``var_list`` now (they are otherwise created on first use).

        >>> import tapegrad as tg
        >>> opt = tg.optimizers.RMSprop(centered=True)
        >>> w = tg.Variable([1.0, 2.0])
        >>> opt.build([w])
        >>> print(opt.get_slot(w, "average_gradient"))
        tg.Tensor([0. 0.], shape=(2,), dtype=float32)
        """
        var_list = list(var_list)
        for var in var_list:
            check_variable_dtype(self.name, var)
        if self._slots_stale:
            self._sync_slots()
        for var in var_list:
            self._ensure_slots(var)

    def slot_names(self) -> list[str]:
        """The names of the per-variable state this optimizer keeps, in order.

        >>> import tapegrad as tg
        >>> tg.optimizers.Adam(use_ema=True).slot_names()
        ['momentum', 'velocity', 'average', 'first_step']
        """
        names = list(self._slot_initials_for())
        if self.use_ema:
            names.append("average")
        if self.gradient_accumulation_steps:
            names.append("gradient_accumulator")
        if self._counts_steps:
            names.append("first_step")
        return names

    def _slot_initials_for(self) -> dict:
        return self._slot_initials

    def _ensure_slots(self, var: Variable) -> dict:
        slots = self._slots.get(id(var))
        if slots is None:
            initials = self._slot_initials_for()
            slots = {name: self._new_slot(var, name, initials) for name in self.slot_names()}
            self._slots[id(var)] = slots
            self._variables[id(var)] = var
        return slots

    def _new_slot(self, var: Variable, name: str, initials: dict):
        """The starting value of ``var``'s slot ``name``, as Keras builds it: the initial value
        of ``initials`` (zeros for most), the variable's value for the moving average, zeros for
        the gradient accumulator, and the current step for ``first_step``."""
        if name == "first_step":
            return np.int64(self._step())
        value = var._value
        xp = xp_of(value)
        if name == "average":
            return _scalar(xp.asarray(value, copy=True))
        if name == "gradient_accumulator":
            return _scalar(xp.zeros_like(value))
        slot = xp.full(
            tuple(value.shape), initials[name], dtype=value.dtype, device=device_of(value)
        )
        return _scalar(slot)

    def _sync_slots(self) -> None:
        """Give every variable the slots the options now call for, after an option changed
        since its slots were made: a new slot starts as it would have at the start (zeros; the
        moving average at the variable's current value), and a slot no longer used is dropped,
        so that ``variables`` and checkpoints hold only the state the optimizer keeps."""
        self._slots_stale = False
        names = self.slot_names()
        initials = self._slot_initials_for()
        step = self._step() if self._counts_steps else None
        for key, slots in self._slots.items():
            if list(slots) == names:
                continue
            var = self._variables[key]
            kept = {n: slots[n] if n in slots else self._new_slot(var, n, initials) for n in names}
            if step is not None and int(kept["first_step"]) > step:
                # gradient_accumulation_steps counts steps anew (iterations // steps): a step
                # count below the variable's first would give bias corrections of 0 or less
                kept["first_step"] = np.int64(step)
            self._slots[key] = kept

    def get_slot(self, var: Variable, name: str) -> Tensor:
        """The slot ``name`` of ``var`` as a tensor (a KeyError names the slots there are).

        >>> import tapegrad as tg
        >>> opt = tg.optimizers.SGD(0.5, momentum=0.9)
        >>> w = tg.Variable(1.0)
        >>> _ = opt.apply_gradients([(tg.constant(2.0), w)])
        >>> print(opt.get_slot(w, "momentum"))
        tg.Tensor(-1.0, shape=(), dtype=float32)
        """
        from .._tensor import wrap

        if self._slots_stale:
            self._sync_slots()
        slots = self._slots.get(id(var))
        if slots is None or name not in slots:
            start = f"{self.name} has no slot {name!r} for variable '{var.name}'"
            if slots is None:
                why = (
                    "no gradient has been applied to it yet, so it has no slots (build([var]) "
                    "creates them now)"
                )
            elif slots:
                why = f"its slots are {list(slots)}"
            else:
                why = f"{self.name} keeps no slots with these options"
            raise KeyError(f"{start}: {why}")
        return wrap(slots[name])

    @property
    def variables(self) -> list:
        """The optimizer's state: its iteration counter, then every slot, as tensors.

        >>> import tapegrad as tg
        >>> opt = tg.optimizers.Adam()
        >>> _ = opt.apply_gradients([(tg.constant(1.0), tg.Variable(1.0))])
        >>> len(opt.variables)  # iterations, then momentum, velocity and first_step
        4
        """
        from .._tensor import wrap

        if self._slots_stale:
            self._sync_slots()
        out = [self._iterations]
        out.extend(wrap(v) for v in self._globals.values())
        for slots in self._slots.values():
            out.extend(wrap(v) for v in slots.values())
        return out

    def _checkpoint_state(self) -> tuple[dict, dict]:
        """``(globals, slots)``: arrays of the shared state by name, and each variable's slots
        by reference, for ``tg.save``."""
        if self._slots_stale:
            self._sync_slots()
        state = {"iterations": np.asarray(to_array(self._iterations))}
        state.update({k: np.asarray(v) for k, v in self._globals.items()})
        variables = self._variables
        return state, {variables[k].ref(): dict(slots) for k, slots in self._slots.items()}

    def _expected_state(self, variables) -> tuple[dict, dict]:
        """``(globals, slots)`` as shapes and dtypes, for ``tg.load`` to check a file against."""
        glob = {"iterations": ((), np.dtype("int64"))}
        glob.update(
            {k: (tuple(np.shape(v)), np.asarray(v).dtype) for k, v in self._globals.items()}
        )
        slots = {}
        for var in variables:
            spec = {n: (var.shape, var.dtype) for n in self.slot_names()}
            if self._counts_steps:
                spec["first_step"] = ((), np.dtype("int64"))
            slots[var.ref()] = spec
        return glob, slots

    def _state_problems(self, globals_: dict, slots: dict, names: dict) -> list:
        """What a file's entries, each of the right shape and dtype, say that cannot be, for
        ``tg.load`` to list before it changes anything (``names``: the checkpoint's name of
        each variable, by reference). Any combination is a state this optimizer can take."""
        return []

    def _restored(self, globals_: dict, slots: dict):
        """The state from a file's checked entries, built now (it may fail), and the function
        that installs it (which cannot), so that ``tg.load`` changes all or nothing."""
        iterations = np.asarray(globals_["iterations"])
        shared = {key: np.asarray(globals_[key]) for key in self._globals}
        new_slots = {  # slots from the file (NumPy) go to their variable's library
            id(ref.deref()): {
                k: _scalar(in_library_of(ref.deref()._value, v) if k != "first_step" else v)
                for k, v in values.items()
            }
            for ref, values in slots.items()
        }
        variables = {id(ref.deref()): ref.deref() for ref in slots}

        def install() -> None:
            self._iterations.assign(iterations)
            self._globals.update(shared)
            self._slots, self._variables = new_slots, variables
            self._slots_stale = False  # the file's slots are those slot_names() gives now

        return install

    def get_config(self) -> dict:
        """The constructor arguments, as Keras's ``get_config``; ``from_config`` rebuilds an
        optimizer (without its state) from them.

        >>> import tapegrad as tg
        >>> config = tg.optimizers.SGD(0.1, momentum=0.9).get_config()
        >>> config["momentum"], tg.optimizers.SGD.from_config(config).momentum
        (0.9, 0.9)
        """
        params = inspect.signature(type(self).__init__).parameters.values()
        own = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD and p.name != "self"]
        config = {"name": self.name, "learning_rate": self._learning_rate}
        config.update({name: getattr(self, name) for name in own if name != "learning_rate"})
        config.update({name: getattr(self, name) for name in _SHARED_OPTIONS})
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` (the loss unchanged without one), as Keras's."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def __repr__(self) -> str:
        kind = type(self).__name__
        return f"<tg.optimizers.{kind} '{self.name}' iterations={int(self._iterations._value)}>"


_SHARED_OPTIONS = (
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
)


# -- helpers -----------------------------------------------------------------------------------
def _references(holder) -> int:
    """CPython's reference count of ``holder._value`` as ``Optimizer._assign_sub`` counts it:
    the holder's reference, one local name and the call's argument."""
    value = holder._value
    return sys.getrefcount(value)


class _Holder:
    __slots__ = ("_value",)


def _baseline() -> int | None:
    """The count ``_references`` gives for an array held by one object and nothing else (it
    depends on the interpreter); None where there are no reference counts (PyPy)."""
    if not hasattr(sys, "getrefcount"):  # pragma: no cover - other interpreters
        return None
    holder = _Holder()
    holder._value = np.empty(1)
    return _references(holder)


_ALONE = _baseline()
# NumPy's array and scalar types: values that are never lazy, tested without a call
_EAGER = {np.ndarray} | {np.dtype(code).type for code in "?bBhHiIlLqQefdgFDG"}


def _scalar(value):
    """0-d NumPy arrays as NumPy scalars, as Variables keep them: scalar arithmetic is several
    times faster, which is most of an optimizer step on scalar variables."""
    if type(value) is np.ndarray and value.ndim == 0:
        return value[()]
    return value


def _takes_step(lr) -> bool:
    """Schedules and callables with a parameter get the step; Keras-style zero-argument
    callables (``lambda: 0.01``) are called with nothing."""
    if isinstance(lr, LearningRateSchedule):
        return True
    if not callable(lr):
        return False
    try:
        params = inspect.signature(lr).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: assume they take the step
        return True
    return any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params
    )


def _first_repeated(variables: list) -> Variable:
    """The first variable that comes again in ``variables`` (by identity: == is elementwise)."""
    seen = set()
    for var in variables:
        if id(var) in seen:
            return var
        seen.add(id(var))
    raise AssertionError("no variable comes twice")


def _rate(value, source=None, step=None):
    """A learning rate read from a tensor, or returned by ``source`` (a schedule or a callable,
    at ``step``), as a Python number, checked: a real, finite number >= 0. A list would give
    each element its own rate, a complex rate would fail inside the step, a negative one would
    climb the loss."""
    if type(value) is float and 0.0 <= value < math.inf:  # most rates: nothing more to do
        return value
    name = "learning_rate"
    if source is not None:  # the name of a schedule's class, or of a function
        name = getattr(source, "__name__", None) or type(source).__name__
        name = f"the learning rate from {name}" + ("" if step is None else f" at step {step}")
    return check_option(name, value, "[0, inf)")


def _as_list(owner: str, what: str, value) -> list:
    """The list of gradients or variables that ``apply`` takes; a single tensor is refused,
    since iterating over it would give its rows."""
    if not isinstance(value, (Tensor, np.ndarray)):
        try:
            return list(value)
        except TypeError:
            pass
    raise TypeError(
        f"{owner} takes a list of {what}, not {describe(value)}: for one variable, pass "
        "[gradient] and [variable]"
    )


def _is_number(value) -> bool:
    if isinstance(value, Tensor):
        return value.size == 1 and kind_of(value.dtype) in "iuf"
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _norm(g) -> float:
    """The Euclidean norm, complex entries by their magnitude (``|g|²``, not ``g²``, which is
    negative for ``1j``): the norm of the pairs of reals a complex array stands for, as
    PyTorch takes it."""
    return float(_norm_array(g))


def _clip_scale(limit: float, norm, nan_if_not_finite: bool = False):
    """``limit / max(norm, limit)``: 1 within the limit. ``norm`` is a float, or a 0-d array
    left unread (CuPy, Dask), for which the scale stays an array."""
    if isinstance(norm, float):
        if nan_if_not_finite and not math.isfinite(norm):
            return math.nan
        return limit / max(norm, limit)
    xp = xp_of(norm)
    scale = limit / xp.maximum(norm, limit)
    return xp.where(xp.isfinite(norm), scale, math.nan) if nan_if_not_finite else scale


def _clip_entries(x, limit: float):
    """``clip(x, -limit, limit)`` for real ``x`` (Keras's clip, to the bit); a complex entry
    whose magnitude exceeds ``limit`` is scaled down to magnitude ``limit``, its phase kept
    (``x / |x| * limit``), so that turning ``x`` by a phase turns the result by the same phase.
    An infinite entry points along its infinite parts (``inf + 1j`` gives ``limit``); NaN stays
    NaN, as in the real clip."""
    xp = xp_of(x)
    if type(x.dtype) in REAL_FLOAT_TYPES or kind_of(x.dtype) != "c":
        return xp.clip(x, -limit, limit)
    return _shrink_magnitude(x, limit, x)


def _shrink_magnitude(x, limit: float, within):
    """Complex ``x`` with each entry of magnitude over ``limit`` scaled to magnitude ``limit``
    (phase kept), and ``within`` where it is not over. The real and imaginary parts are divided
    by the magnitude one by one (a complex division by it rounds: ``49j / 49`` is not ``1j``), so
    a real or imaginary entry comes out at exactly ``±limit``, as the real clip gives. An entry
    of infinite magnitude points along its infinite parts (``inf + 1j`` gives ``limit``)."""
    xp = xp_of(x)
    magnitude = xp.abs(x)
    over = magnitude > limit
    re, im = xp.real(x), xp.imag(x)
    infinite = xp.isinf(magnitude)
    re = xp.where(infinite, xp.where(xp.isinf(re), xp.sign(re), 0.0), re)
    im = xp.where(infinite, xp.where(xp.isinf(im), xp.sign(im), 0.0), im)
    size = xp.where(infinite, xp.sqrt(re * re + im * im), magnitude)
    size = xp.where(over, size, 1.0)  # no division by 0 where nothing is scaled
    scaled = xp.astype(re / size * limit + 1j * (im / size * limit), x.dtype)
    return xp.where(over, scaled, within)


def _norm_array(g):
    """``_norm`` as a 0-d array of ``g``'s library, not read."""
    xp = xp_of(g)
    if type(g.dtype) not in REAL_FLOAT_TYPES and kind_of(g.dtype) == "c":
        g = xp.abs(g)
    return xp.sqrt(xp.sum(g * g))


def _times_conj(x, g):
    """``x * conj(g)``, for second moments: ``_times_conj(g, g)`` is ``|g|²``, where ``g * g``
    would be negative for ``g = 1j`` and move the real part. Real ``g`` (the common case, tested
    first) gives ``x * g``, the numbers of Keras's formulas. For complex ``g`` the result is
    real-valued but keeps the complex dtype, so that slots keep their variable's dtype (and
    checkpoints load)."""
    if type(g.dtype) in REAL_FLOAT_TYPES or kind_of(g.dtype) != "c":
        return x * g
    return x * xp_of(g).conj(g)


def _check_clipping(clipnorm, clipvalue, global_clipnorm) -> None:
    names = ("clipnorm", "clipvalue", "global_clipnorm")
    values = (clipnorm, clipvalue, global_clipnorm)
    given = [f"{n}={v}" for n, v in zip(names, values) if v is not None]
    if len(given) > 1:
        raise ValueError(
            "only one of clipnorm, clipvalue and global_clipnorm can be set; got "
            + ", ".join(given)
        )


def _no_gradients_message(variables: list) -> str:
    """Keras 3's words for a step where every gradient is None, then which and what to do."""
    names = [f"'{v.name}'" for v in variables[:5]]
    if len(variables) > 5:
        names[-1] += f" and {len(variables) - 5} more"
    if len(variables) == 1:
        which, them = f"the gradient for {names[0]} is None", "it"
    else:
        which, them = f"the gradients for {', '.join(names)} are all None", "them"
    return (
        f"No gradients provided for any variable: {which}, so nothing was updated; check that "
        f"the loss depends on {them} (tape.explain(loss, variable), before tape.gradient or on a "
        "persistent tape, says why a gradient is None)"
    )


def _check_pair(pair):
    try:
        grad, var = pair
    except (TypeError, ValueError):
        raise TypeError(f"apply_gradients takes (gradient, variable) pairs, not {pair!r}") from None
    if not isinstance(var, Variable):
        raise TypeError(
            f"apply_gradients can only update tg.Variable objects, not {type(var).__name__}: "
            "create the parameter with tg.Variable(...)"
        )
    return grad, var


def _gradient_array(grad, var: Variable, owner: str):
    value = grad._value if isinstance(grad, Tensor) else xp_of(var._value).asarray(grad)
    kind, own_kind = kind_of(value.dtype), kind_of(var._value.dtype)
    if kind not in "iufc":  # a string or an object: its shape () would be the wrong complaint
        raise TypeError(
            f"{owner}: the gradient for variable '{var.name}' must be a tensor or an array of "
            f"numbers, not {describe(grad)}"
        )
    if kind == "c" and own_kind != "c":  # as vjp cotangents and jvp tangents are refused
        raise TypeError(
            f"{owner}: the gradient for variable '{var.name}' is complex ({value.dtype}) but the "
            f"variable is real ({var.dtype}): the step would lose its imaginary part; pass "
            "tg.real(gradient), or make the variable complex"
        )
    own_shape = var._value.shape
    if value.shape != own_shape and tuple(value.shape) != tuple(own_shape):
        raise ValueError(
            f"the gradient of shape {tuple(value.shape)} does not match variable '{var.name}' "
            f"of shape {var.shape}: pass each variable with its own gradient"
        )
    own = var._value.dtype
    if value.dtype is not own and value.dtype != own:
        value = xp_of(var._value).astype(value, own)
    return value
