"""GradientTape: records operations on watched tensors and runs the backward pass.

Entries are appended in execution order, so the backward pass is a reversed loop: no topological
sort, no recursion, any depth. A non-persistent tape releases each entry and each cotangent as
the loop passes it, so memory falls during the backward pass instead of doubling. Tensors hold no
reference to the tape: the graph lives here and dies with the tape.

The backward loop is written with tapegrad's own ops, so this module sits above ``ops``; the ops
reach the tape only through the per-thread stacks in ``_state`` (``tape._record``).
"""

from __future__ import annotations

from contextlib import contextmanager

from . import _dtypes
from ._backend import (
    ARRAY_TYPES,
    device_of,
    is_array,
    ones_like,
    same_library,
    xp_of,
    zeros_for,
)
from ._checks import flag
from ._dtypes import FLOAT_TYPES, kind_of
from ._explain import UnconnectedGradientError, caller_location, explain
from ._state import RAW, TRACED, per_thread
from ._structure import flatten
from ._tensor import Tensor, Variable, new_object, next_uid, wrap, wrap_with_uid
from .ops import astype, identity, permute_dims, real, reshape
from .ops._strong import marks
from .ops.manipulation import sum_to_shape

_UNCONNECTED = ("none", "zero", "raise")
_NOT_PLAIN = object()  # _plain_gradient declines: the general path handles the call


class GradientTape:
    """Record operations for automatic differentiation, with TensorFlow's semantics.

    >>> import tapegrad as tg
    >>> x = tg.Variable(3.0)
    >>> with tg.GradientTape() as tape:
    ...     y = x * x
    >>> print(tape.gradient(y, x))
    tg.Tensor(6.0, shape=(), dtype=float32)
    """

    # Defaults that most tapes never change live on the class: a tape is made per step.
    _recording = False
    _spent = False
    _explained = None  # what a non-persistent tape saw, kept when its gradient raised
    _closed_uid = None  # a uid taken when recording last stopped: later values have larger ones
    _pauses: tuple = ()  # (uid when stopped, uid when started again): values made in between

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        # a bool as it is (a tape per step is the common case): anything else is checked
        if persistent is not False and persistent is not True:
            persistent = flag(persistent, "GradientTape: persistent")
        if watch_accessed_variables is not True and watch_accessed_variables is not False:
            watch_accessed_variables = flag(
                watch_accessed_variables, "GradientTape: watch_accessed_variables"
            )
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        # (primitive, input uids, input values, output uid, output value, static parameters)
        self._entries: list = []
        self._watched: set[int] = set()
        self._variables: dict[int, Variable] = {}
        self._cuts: list = []  # (op name or None, location, input uids, output uid): see _explain
        self._roots: set[int] = set()  # uids watched directly (not computed on the tape)
        self._shadow: set[int] = set()  # values computed from a cut

    # -- recording ------------------------------------------------------------------------------
    def __enter__(self) -> GradientTape:
        if self._recording:  # TensorFlow's type and words, then the fix
            raise ValueError(
                "Tape is still recording, This can happen if you try to re-enter an "
                "already-active tape: enter it once, or create a new tape for a nested "
                "computation"
            )
        if self._spent:  # as TensorFlow: a non-persistent tape used up records afresh
            self._clear()
            self._explained, self._closed_uid, self._pauses = None, None, ()
        self._start()
        return self

    def __exit__(self, *exc) -> None:
        if self._recording:  # a non-persistent tape stops at its gradient call, as in TensorFlow
            self._stop()

    def _start(self) -> None:
        self._recording = True
        if self._closed_uid is not None:  # recording again: note the pause, for explain
            self._pauses = (*self._pauses, (self._closed_uid, next_uid()))
        now = per_thread.context
        now.tapes.append(self)
        now.mode = TRACED

    def _stop(self) -> None:
        self._recording = False
        self._closed_uid = next_uid()
        now = per_thread.context
        tapes = now.tapes
        if tapes[-1] is self:  # tapes close in the order they opened, unless stop_recording
            tapes.pop()
        else:
            tapes.remove(self)
        now.refresh()

    @contextmanager
    def stop_recording(self):
        """Operations inside this block are not recorded on this tape."""
        if not self._recording:
            raise RuntimeError(
                "stop_recording() was called on a GradientTape that is not recording: use it "
                "inside the tape's `with` block"
            )
        self._stop()
        try:
            yield
        finally:
            self._start()

    def reset(self) -> None:
        """Forget everything recorded and watched, as a new tape would; inside the tape's
        ``with`` block, as in TensorFlow."""
        if not self._recording:
            raise ValueError(
                "Tape is not recording: call reset() inside the tape's `with` block (a tape "
                "that has stopped recording is reset by entering a new tape)"
            )
        self._clear()

    def _clear(self) -> None:
        self._entries = []
        self._watched = set()
        self._variables = {}
        self._cuts = []
        self._shadow = set()
        self._roots = set()
        self._spent = False

    def watch(self, tensor) -> None:
        """Record operations on ``tensor`` (a Tensor, Variable, or nested list/tuple/dict).

        As in TensorFlow, only a recording tape watches: inside ``stop_recording()``, between
        two ``with`` blocks, or after a non-persistent tape's gradient call, ``watch`` does
        nothing; before the tape's first ``with`` block it raises RuntimeError."""
        leaves, _ = flatten(tensor)
        for leaf in leaves:
            self._watch_one(leaf)

    def _watch_one(self, leaf) -> None:
        if not isinstance(leaf, Tensor):  # ValueError, as TensorFlow raises here
            raise ValueError(
                f"GradientTape.watch takes tensors and variables, not {type(leaf).__name__} "
                f"{_short(leaf)}: wrap it in tg.constant(...) first and watch that tensor"
            )
        if not _dtypes.is_differentiable(leaf.dtype):
            raise TypeError(
                f"cannot watch a tensor of dtype {leaf.dtype}: only floating-point and complex "
                "tensors are differentiable; cast it with tg.astype(x, tg.float32)"
            )
        if not self._recording:
            if self._closed_uid is None:  # never entered (TensorFlow fails here too)
                raise RuntimeError(
                    "GradientTape.watch was called on a tape that has not started recording: "
                    "call tape.watch(x) inside the tape's `with` block"
                )
            return  # paused or closed: TensorFlow ignores the watch, and so does tapegrad
        self._watched.add(leaf._uid)
        self._roots.add(leaf._uid)
        if isinstance(leaf, Variable):
            self._variables.setdefault(leaf._uid, leaf)

    def watched_variables(self) -> tuple:
        """The variables this tape watches, in the order it first saw them."""
        return tuple(self._variables.values())

    def _record(self, prim, args, vals, out, params) -> None:
        """Keep an entry if the op reads a watched tensor. Inputs are kept by uid: positive for
        an input watched then (it needs a cotangent); negated for one that was not (it needs
        none, but traced backward passes still hand it to rules under its uid, so that outer
        tapes recognise it); 0 for a value that is not a tensor."""
        watched = self._watched
        uids = []
        hit = False
        for a in args:
            if isinstance(a, Tensor):
                uid = a._uid
                if uid in watched:
                    hit = True
                # a plain tensor stops at the class test (no call); Variable subclasses count
                elif type(a) is not Tensor and isinstance(a, Variable) and self._watch_on_read(a):
                    hit = True
                else:
                    uid = -uid
                uids.append(uid)
            else:
                uids.append(0)
        if not hit:
            if self._shadow:
                self._follow_cut(uids, out)
            return
        dtype = out._value.dtype
        if prim.vjps is None or (type(dtype) not in FLOAT_TYPES and kind_of(dtype) not in "fc"):
            self._note_cut(prim.name, uids, out)  # a watched path ends here
            return
        self._entries.append((prim, uids, vals, out._uid, out._value, params))
        watched.add(out._uid)

    def _note_cut(self, name, uids, out) -> None:
        self._cuts.append((name, caller_location(), uids, out._uid))
        self._shadow.add(out._uid)

    def _follow_cut(self, uids, out) -> None:
        if any(u and abs(u) in self._shadow for u in uids):
            self._cuts.append((None, None, uids, out._uid))
            self._shadow.add(out._uid)

    def explain(self, target, source) -> str:
        """Why ``tape.gradient(target, source)`` is or is not connected, in one sentence.

        >>> import tapegrad as tg
        >>> x = tg.constant(1.0)
        >>> with tg.GradientTape() as tape:
        ...     y = x * 2.0
        >>> print(tape.explain(y, x))  # doctest: +ELLIPSIS
        the float32 tensor of shape () was never watched: ... tape.watch(x), ...
        """
        _check_tensors([target, source], "target and source")
        if self._explained is None and self._spent:
            raise RuntimeError(
                "explain needs what the tape recorded, and this non-persistent tape released "
                "it in its gradient call: call explain before gradient, or create the tape with "
                "persistent=True"
            )
        return explain(self._explained or self, target._uid, source)

    def _watch_on_read(self, variable: Variable) -> bool:
        """Trainable float variables are watched when an operation reads them."""
        if not (self._watch_accessed and variable._trainable):
            return False
        dtype = variable._value.dtype
        if type(dtype) not in FLOAT_TYPES and kind_of(dtype) not in "fc":  # the class test first
            return False
        uid = variable._uid
        self._watched.add(uid)
        self._roots.add(uid)
        self._variables[uid] = variable
        return True

    # -- differentiation -------------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """d(sum of targets) / d(each source), in the structure of ``sources``.

        A list of targets is differentiated as their sum; a non-scalar target is seeded with ones,
        or with ``output_gradients``. An unconnected source gives None (or zeros with
        ``unconnected_gradients="zero"``).
        """
        if output_gradients is None and unconnected_gradients == "none":
            fast = self._plain_gradient(target, sources)
            if fast is not _NOT_PLAIN:
                return fast
        _check_unconnected(unconnected_gradients)
        targets = [target] if isinstance(target, Tensor) else flatten(target)[0]
        _check_tensors(targets, "target")
        source_leaves, rebuild = _leaves(sources)
        _check_sources(source_leaves)
        seeds = _seeds(targets, output_gradients)
        self._check_usable("gradient")
        saved = _saved_for_explaining(self, unconnected_gradients)
        grads = self._backward(seeds, source_leaves, n_lead=0)
        if saved is not None and not self._persistent:
            self._explained = saved
        _raise_unconnected(saved, grads, targets, source_leaves, unconnected_gradients)
        results = [_result(grads.get(s._uid), s, (), unconnected_gradients) for s in source_leaves]
        return rebuild(results)

    def _plain_gradient(self, target, sources):
        """The commonest call, ``gradient(tensor, tensor or flat list of tensors)``, without the
        general path's layers: a seed-grad workload spends most of its time in them."""
        if isinstance(sources, Tensor):
            leaves = (sources,)
        elif type(sources) is list or type(sources) is tuple:
            leaves = sources
        else:
            return _NOT_PLAIN
        for s in leaves:
            if not isinstance(s, Tensor):
                return _NOT_PLAIN
            dtype = s._value.dtype
            if type(dtype) not in FLOAT_TYPES and kind_of(dtype) not in "fc":  # class test first
                return _NOT_PLAIN
        if not isinstance(target, Tensor) or self._spent:
            return _NOT_PLAIN
        if not self._persistent:
            self._spent = True
            if self._recording:  # inside its own block: it stops here, as in TensorFlow
                self._stop_spent()
        grads = self._backward({target._uid: ones_like(target._value)}, leaves, 0)
        if leaves is not sources:
            return _result(grads.get(sources._uid), sources, (), "none")
        results = []
        for s in leaves:  # a raw array of the source's dtype gets a new Tensor; _result the rest
            g = grads.get(s._uid)
            if type(g) in ARRAY_TYPES and g.dtype is s._value.dtype:
                result = new_object(Tensor)  # wrap(g), inlined: once per source per step
                result._value = g
                result._uid = next_uid()
                results.append(result)
            else:
                results.append(_result(g, s, (), "none"))
        return results if type(sources) is list else tuple(results)

    def jacobian(
        self,
        target,
        sources,
        unconnected_gradients="none",
        parallel_iterations=None,
        experimental_use_pfor=True,
    ):
        """d target / d source for each source, of shape ``target.shape + source.shape``.

        All rows come from one backward pass with a leading batch axis on the cotangents.
        """
        _check_unconnected(unconnected_gradients)
        _check_tensors([target], "target")
        source_leaves, rebuild = flatten(sources)
        _check_sources(source_leaves)
        self._check_usable("jacobian")  # after the checks: a mistake leaves the tape usable
        shape = target.shape
        n = _size(shape)
        xp = xp_of(target._value)
        value = target._value
        seed = xp.reshape(xp.eye(n, dtype=value.dtype, device=device_of(value)), (n,) + shape)
        saved = _saved_for_explaining(self, unconnected_gradients)
        grads = self._backward({target._uid: seed}, source_leaves, n_lead=1)
        _raise_unconnected(saved, grads, [target], source_leaves, unconnected_gradients)
        results = []
        for s in source_leaves:
            g = grads.get(s._uid)
            if g is not None:
                g = reshape(g, shape + s.shape)
            results.append(_result(g, s, shape, unconnected_gradients))
        return rebuild(results)

    def batch_jacobian(
        self,
        target,
        source,
        unconnected_gradients="none",
        parallel_iterations=None,
        experimental_use_pfor=True,
    ):
        """Per-example Jacobians: ``result[b] = d target[b] / d source[b]``, of shape
        ``target.shape + source.shape[1:]``. Examples must not depend on each other."""
        _check_unconnected(unconnected_gradients)
        _check_tensors([target, source], "target and source")
        if not target.shape or not source.shape or target.shape[0] != source.shape[0]:
            raise ValueError(
                f"batch_jacobian needs a target and a source with the same first (batch) "
                f"dimension; got shapes {target.shape} and {source.shape}"
            )
        self._check_usable("batch_jacobian")  # after the checks: a mistake leaves it usable
        batch, rest = target.shape[0], target.shape[1:]
        m = _size(rest)
        xp = xp_of(target._value)
        value = target._value
        eye = xp.reshape(xp.eye(m, dtype=value.dtype, device=device_of(value)), (m, 1) + rest)
        seed = xp.broadcast_to(eye, (m, batch) + rest)
        saved = _saved_for_explaining(self, unconnected_gradients)
        grads = self._backward({target._uid: seed}, [source], n_lead=1)
        _raise_unconnected(saved, grads, [target], [source], unconnected_gradients)
        g = grads.get(source._uid)
        if g is not None:  # (m, batch, *source_rest) -> (batch, *target_rest, *source_rest)
            g = permute_dims(g, (1, 0) + tuple(range(2, g.ndim)))
            g = reshape(g, (batch,) + rest + source.shape[1:])
        elif unconnected_gradients == "zero":  # zeros of the result's shape, not rest + source's
            value = source._value
            shape = (batch,) + rest + source.shape[1:]
            return wrap(zeros_for(value, shape))
        return _result(g, source, target.shape[1:], unconnected_gradients)

    def hessian(self, target, source):
        """The Hessian of a scalar ``target`` with respect to ``source``, of shape
        ``source.shape + source.shape``, from a persistent tape (TensorFlow has none).

        The recorded operations are replayed from ``source`` under fresh tapes, so the
        derivative rules are themselves differentiated: nothing needs recording twice.

        >>> import tapegrad as tg
        >>> x = tg.Variable([1.0, 2.0])
        >>> with tg.GradientTape(persistent=True) as tape:
        ...     y = tg.sum(x ** 3)
        >>> tape.hessian(y, x).numpy()
        array([[ 6.,  0.],
               [ 0., 12.]], dtype=float32)
        """
        _check_tensors([target, source], "target and source")
        _check_sources([source])
        if not self._persistent:
            raise RuntimeError(
                "GradientTape.hessian needs a persistent tape: create it with "
                "tg.GradientTape(persistent=True)"
            )
        if target.shape != ():
            raise ValueError(
                f"GradientTape.hessian needs a scalar target; this one has shape {target.shape}: "
                "reduce it (tg.sum) or use tg.jacobian of a gradient"
            )
        first = self._recorded_value(source)
        # ``source`` itself when its value is unchanged: tapes and accumulators outside this
        # call then see the Hessian depend on it (third derivatives), and custom operations
        # that read it as a variable (recompute_grad) read it under the new tapes
        x = source if first is source._value else wrap(first)
        with GradientTape(persistent=True) as outer:
            outer.watch(x)
            with GradientTape() as inner:
                inner.watch(x)
                y = self._replay({source._uid: x}, target._uid, {source._uid: first})
            g = inner.gradient(y, x, unconnected_gradients="zero") if y is not None else None
        if g is None:
            return _result(None, source, source.shape, "zero")
        return outer.jacobian(g, x, unconnected_gradients="zero")

    def _recorded_value(self, source):
        """The value ``source`` had when the tape first read it (a Variable may have been
        assigned since); its value now if the tape never read it."""
        uid = source._uid
        for _prim, uids, vals, _out, _ans, _params in self._entries:
            for u, v in zip(uids, vals):
                if u and abs(u) == uid:
                    return v
        return source._value

    def _replay(self, values: dict, target_uid: int, firsts: dict | None = None):
        """Run the recorded operations again from ``values`` (uid -> tensor); returns the new
        tensor standing for ``target_uid`` (None if the target does not depend on them).
        ``firsts`` (uid -> the value first read): a variable assigned between two reads is
        replayed at its new tensor plus what the assignment added, so each read keeps its
        point."""
        from ._primitive import _traced

        # a snapshot: called inside this tape's own block, the replay is recorded onto it too
        for prim, uids, vals, out_uid, _ans, params in list(self._entries):
            # a negated uid is a read made while the value was not watched: a constant to this
            # tape (as its gradient takes it), so it keeps its recorded value
            inputs = [values.get(u, v) if u > 0 else v for v, u in zip(vals, uids)]
            if firsts:
                for k, (v, u) in enumerate(zip(vals, uids)):
                    first = firsts.get(u) if u > 0 else None
                    if first is not None and v is not first:
                        inputs[k] = inputs[k] + (v - first)
            if any(isinstance(i, Tensor) for i in inputs):
                if prim.replay is not None:  # a custom operation: run the user's function again
                    values[out_uid] = prim.replay(*inputs)
                    continue
                raw = [i._value if isinstance(i, Tensor) else i for i in inputs]
                if "saved" in params:  # computed again from the new inputs
                    params = {k: v for k, v in params.items() if k != "saved"}
                values[out_uid] = _traced(prim, inputs, raw, params)
        return values.get(target_uid)

    def _vjp(self, target: Tensor, sources: list, cotangent) -> list:
        """Cotangents of ``sources`` for a ``cotangent`` of ``target`` that may carry leading
        batch axes (as a vectorized Jacobian sends them); zeros where unconnected."""
        self._check_usable("gradient")
        batch = tuple(cotangent.shape[: cotangent.ndim - target.ndim])
        grads = self._backward({target._uid: cotangent}, sources, n_lead=len(batch))
        return [_result(grads.get(s._uid), s, batch, "zero") for s in sources]

    def _check_usable(self, what: str) -> None:
        """Spend a non-persistent tape; ``what``, the method called, names it if already spent."""
        if self._spent:
            raise RuntimeError(
                f"GradientTape.{what} can only be called once on non-persistent tapes."
            )
        if not self._persistent:
            self._spent = True
            if self._recording:  # called inside its own block: it stops here, as in TensorFlow,
                self._stop_spent()  # so neither its backward pass nor later operations record

    def _stop_spent(self) -> None:
        """Stop recording, for a non-persistent tape spent inside its own block; only from the
        thread that records it (another thread's stack of tapes is not this one's to change)."""
        if self in per_thread.context.tapes:
            self._stop()

    def _backward(self, seeds: dict, sources, n_lead: int) -> dict:
        """The reversed loop. Returns the cotangents of the sources (and of whatever else was
        left), keyed by uid. Rules get raw arrays unless something is recording."""
        keep = set()
        for s in sources:  # a loop, not a comprehension: one call fewer per backward pass
            keep.add(s._uid)
        entries, persistent = self._entries, self._persistent
        needed = None if self._roots <= keep else self._needed(keep)
        now = per_thread.context
        if now.mode == TRACED:  # seeds as tensors too: libraries whose arrays refuse tensors
            # in arithmetic (array_api_strict) would meet a raw seed times a traced tensor
            seeds = {u: s if isinstance(s, Tensor) else wrap(s) for u, s in seeds.items()}
            grads = _loop(entries, seeds, keep, n_lead, True, persistent, needed)
        else:  # raw_mode(), inlined: a backward pass per training step
            depth = now.raw_depth
            now.raw_depth = depth + 1
            now.mode = RAW
            try:
                grads = _loop(entries, seeds, keep, n_lead, False, persistent, needed)
            finally:
                now.raw_depth = depth
                now.refresh()
        if not persistent:
            self._entries = []
            self._watched = set()
        return grads

    def _needed(self, sources: set):
        """The uids computed from ``sources``, when some watched value is not among them (so
        its cotangent would be wasted work and memory)."""
        reached = set(sources)
        for entry in self._entries:
            if entry is not None and any(u > 0 and u in reached for u in entry[1]):
                reached.add(entry[3])
        return reached

    def __repr__(self) -> str:
        kind = "persistent" if self._persistent else "non-persistent"
        return f"<tg.GradientTape {kind}, {len(self._entries)} recorded operations>"


def _leaves(sources):
    """Flatten the sources; a single tensor or a flat list of tensors skips the general path."""
    if isinstance(sources, Tensor):
        return [sources], _first
    if type(sources) is list and all(isinstance(s, Tensor) for s in sources):
        return sources, list
    return flatten(sources)


def _first(values):
    return values[0]


def _loop(entries, grads, keep, n_lead, traced, persistent, needed=None) -> dict:
    """The backward pass. ``needed``: the uids on a path from a source (None: all are), so that
    no cotangent is computed for a watched value the caller did not ask about."""
    for i in range(len(entries) - 1, -1, -1):
        entry = entries[i]
        if not persistent:
            entries[i] = None  # release the saved arrays as the loop passes them
        # debug.check_numerics reads the locals ``prim`` and ``out_uid`` of this frame
        prim, uids, vals, out_uid, ans, params = entry
        g = grads.get(out_uid) if out_uid in keep else grads.pop(out_uid, None)
        if g is None:
            continue
        if traced:  # rules get tensors with the recorded uids, so outer tapes see the path
            inputs = [wrap_with_uid(v, abs(u)) if u else v for v, u in zip(vals, uids)]
            args = (g, wrap_with_uid(ans, out_uid), *inputs)
        else:
            args = (g, ans, *vals)
        # without marks, the strong-zero wrappers that only pass marks on are skipped
        for u, rule, like in zip(uids, prim.vjps if marks else prim.unmarked_vjps, vals):
            if u <= 0 or rule is None or (needed is not None and u not in needed):
                continue
            gk = rule(*args, **params)
            if gk is None:  # a custom rule may say "no gradient" for an input
                continue
            if (
                n_lead
                or gk.shape != like.shape
                or (gk.dtype is not like.dtype and _other_dtype(gk.dtype, like.dtype))
            ):
                gk = _fit(gk, like, n_lead)
            previous = grads.get(u)
            grads[u] = gk if previous is None else previous + gk
    return grads


def _other_dtype(a, b) -> bool:
    """Whether two dtypes differ: a tensor's (tapegrad's, NumPy's objects) against a raw
    value's (its library's objects, which need not compare equal to NumPy's)."""
    return a is not b and _dtypes.as_dtype(a) != _dtypes.as_dtype(b)


def _fit(g, like, n_lead):
    """The engine's one reduction of a broadcast cotangent to its input's shape and dtype."""
    shape = like.shape
    g_shape = g.shape
    if (g_shape[n_lead:] if n_lead else g_shape) != shape or len(g_shape) != n_lead + len(shape):
        g = sum_to_shape(g, shape=shape, n_lead=n_lead)
    if _other_dtype(g.dtype, like.dtype):
        g = astype(g if kind_of(like.dtype) == "c" else real(g), like.dtype)
    return g


def _seeds(targets, output_gradients) -> dict:
    if output_gradients is None:
        given = [None] * len(targets)
    else:
        given, _ = flatten(output_gradients)
        if len(given) != len(targets):
            raise ValueError(
                f"output_gradients has {len(given)} entries for {len(targets)} targets: give one "
                "per target, in the same structure"
            )
    seeds: dict = {}
    for target, seed in zip(targets, given):
        value = target._value
        if seed is None:
            seed = ones_like(value)
        else:
            if isinstance(seed, Tensor) or is_array(seed):
                # an array of another library is refused as any mixing is; a NumPy scalar joins
                seed_value = seed._value if isinstance(seed, Tensor) else seed
                value, seed_value = same_library((value, seed_value), "output_gradients")
            else:  # Python values go with any library
                seed_value = xp_of(value).asarray(seed)
            if tuple(seed_value.shape) != target.shape:
                raise ValueError(
                    f"output_gradients of shape {tuple(seed_value.shape)} do not match the "
                    f"target of shape {target.shape}: give one array of the target's shape"
                )
            if kind_of(seed_value.dtype) == "c" and kind_of(value.dtype) != "c":
                raise TypeError(
                    f"complex output_gradients ({seed_value.dtype}) for a real target "
                    f"({value.dtype}) would lose their imaginary part: give real ones"
                )
            if not isinstance(seed, Tensor):
                seed = xp_of(value).astype(seed_value, value.dtype)
            elif seed._value is not seed_value:  # a NumPy scalar that joined the library
                seed = seed_value
            elif isinstance(seed, Variable):  # read now, as TensorFlow reads it (recorded)
                seed = identity(seed)
        previous = seeds.get(target._uid)
        seeds[target._uid] = seed if previous is None else previous + seed
    return seeds


def _result(g, source, out_shape, unconnected):
    """The gradient handed to the caller: always a new Tensor (never a Variable, a seed, or a
    tensor returned for another source), since ``t += v`` and ``t[i] = v`` change the object.
    The array is shared: those writes replace a tensor's array, never write into it. A traced
    gradient keeps its uid, so that the tapes that recorded it recognise it."""
    if g is None:
        if unconnected == "none":
            return None
        value = source._value
        shape = tuple(out_shape) + source.shape
        return wrap(zeros_for(value, shape))
    g = wrap_with_uid(g._value, g._uid) if isinstance(g, Tensor) else wrap(g)
    if _other_dtype(g._value.dtype, source._value.dtype):
        # a real source's complex cotangent (its value was promoted inside an operation): the
        # real part is its gradient, as in _fit
        if kind_of(g.dtype) == "c" and kind_of(source.dtype) != "c":
            g = real(g)
        g = astype(g, source.dtype)
    return g


def _check_unconnected(value) -> None:
    if value not in _UNCONNECTED:
        raise ValueError(f"unconnected_gradients must be 'none', 'zero' or 'raise', not {value!r}")


class _Saved:
    """What explaining needs of a tape, kept before a non-persistent backward pass frees it."""

    def __init__(self, tape):
        self._entries = list(tape._entries)
        self._watched, self._variables = set(tape._watched), tape._variables
        self._cuts, self._watch_accessed = list(tape._cuts), tape._watch_accessed
        self._recording, self._closed_uid = tape._recording, tape._closed_uid
        self._pauses = tape._pauses


def _saved_for_explaining(tape, unconnected):
    return _Saved(tape) if unconnected == "raise" else None


def _raise_unconnected(saved, grads, targets, sources, unconnected) -> None:
    if unconnected != "raise":
        return
    missing = [(i, s) for i, s in enumerate(sources) if grads.get(s._uid) is None]
    if not missing:
        return
    lines = []
    for i, s in missing:
        reasons = [explain(saved, t._uid, s, gradient_is_none=True) for t in targets]
        lines.append(f"- source {i}: {reasons[0]}")
    raise UnconnectedGradientError(
        f"the target does not depend on {len(missing)} of the {len(sources)} sources:\n"
        + "\n".join(lines)
    )


def _check_tensors(values, what: str) -> None:
    for v in values:
        if not isinstance(v, Tensor):
            raise TypeError(
                f"the {what} must be tensors or variables, not {type(v).__name__} {_short(v)}: "
                "compute it with tapegrad operations inside the tape"
            )


def _check_sources(sources) -> None:
    _check_tensors(sources, "sources")
    for s in sources:
        if kind_of(s._value.dtype) not in "fc":
            raise TypeError(
                f"cannot take a gradient with respect to a {s.dtype} tensor: only floating-point "
                "and complex tensors are differentiable; cast it with tg.astype(x, tg.float32) "
                "before using it"
            )


def _size(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."
