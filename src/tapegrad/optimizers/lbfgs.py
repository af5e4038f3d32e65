"""L-BFGS for full-batch problems, as PyTorch's ``torch.optim.LBFGS`` (itself after minFunc):
the same arguments, the same iteration and the same strong-Wolfe line search.

``step(closure)`` calls ``closure()`` (which computes the loss from the variables with tapegrad
operations) under a tape to get the loss and its gradient, as often as the iteration needs.
The variables are flattened into one vector for the two-loop recursion; each update gives every
Variable a new array, as all optimizers do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._backend import in_library_of, to_numpy, to_numpy_all
from .._tensor import Tensor, Variable
from ._checks import Checked, check_variable_dtype
from ._optimizer import Optimizer

_NO_VALUE = float("nan")


class LBFGS(Checked):
    """Limited-memory BFGS, with PyTorch's arguments and defaults.

    ``params``: the Variables to optimize. ``lr``: the step length (1 suits most problems).
    ``max_iter``: iterations per ``step`` call. ``max_eval``: closure evaluations per ``step``
    (default ``max_iter * 5 // 4``; as in PyTorch, the strong-Wolfe line search may go one
    over it, its first trial not counting against the limit). ``tolerance_grad``: stop when the
    largest gradient entry is at most this. ``tolerance_change``: stop when the loss or the step
    changes less than this (the line search keeps its own, 1e-9, as PyTorch's).
    ``history_size``: the number of correction pairs kept. ``line_search_fn``: None (a fixed
    step ``lr``) or ``"strong_wolfe"``.

    >>> import tapegrad as tg
    >>> x = tg.Variable([1.5, -0.5], dtype=tg.float64)
    >>> opt = tg.optimizers.LBFGS([x], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    >>> for _ in range(5):
    ...     _ = opt.step(closure)
    >>> print(x.numpy().round(4))
    [1. 1.]
    """

    # checked whenever they are set (see Checked): history_size <= 0 would keep every pair or
    # pop from an empty list, max_iter <= 0 would do nothing, lr <= 0 would stand still or climb
    _checks = {
        "lr": "(0, inf)",
        "max_iter": "int [1, inf)",
        "max_eval": "int [1, inf)",
        "tolerance_grad": "[0, inf)",
        "tolerance_change": "[0, inf)",
        "history_size": "int [1, inf)",
    }

    def __init__(
        self,
        params,
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
        name: str | None = None,
    ):
        self._params = _check_params(params)
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"line_search_fn must be None or 'strong_wolfe', not {line_search_fn!r}"
            )
        self.lr = lr
        self.max_iter = max_iter
        self.max_eval = self.max_iter * 5 // 4 if max_eval is None else max_eval
        self.tolerance_grad = tolerance_grad
        self.tolerance_change = tolerance_change
        self.history_size = history_size
        self.line_search_fn = line_search_fn
        self.name = name or "LBFGS"
        self._dtype = np.result_type(*[p.dtype for p in self._params])
        self.state: dict = {"n_iter": 0, "func_evals": 0}

    @property
    def params(self) -> list:
        return list(self._params)

    # -- flat vectors <-> variables --------------------------------------------------------------
    def _flat(self, arrays) -> np.ndarray:
        parts = [
            np.zeros(p.size, self._dtype) if a is None else np.ravel(to_numpy(a))
            for a, p in zip(arrays, self._params)
        ]
        return np.concatenate(parts).astype(self._dtype, copy=False)

    def _split(self, flat: np.ndarray) -> list:
        out, at = [], 0
        for p in self._params:
            out.append(flat[..., at : at + p.size].reshape(flat.shape[:-1] + p.shape))
            at += p.size
        return out

    def _values(self) -> list:
        return [p._value for p in self._params]

    def _set(self, values: list) -> None:
        for p, v in zip(self._params, values):
            p._value = v

    def _move(self, t: float, d: np.ndarray) -> None:
        for p, step in zip(self._params, self._split(d)):
            # the step is computed on the host; it joins the variable in its own library
            step = in_library_of(p._value, np.asarray(t * step, dtype=p.dtype))
            Optimizer._assign(p, p._value + step)

    def _evaluate(self, closure: Callable) -> tuple[Tensor, float, np.ndarray]:
        from .._tape import GradientTape

        with GradientTape() as tape:
            tape.watch(self._params)
            loss = closure()
        if not isinstance(loss, Tensor) or loss.size != 1:
            raise TypeError(
                f"the LBFGS closure must return the loss as a one-element tensor computed with "
                f"tapegrad operations from the variables, not {type(loss).__name__} "
                f"{getattr(loss, 'shape', '')}"
            )
        grads = tape.gradient(loss, self._params)
        # on Dask, the loss and the gradient come from one pass over the data
        values = to_numpy_all([loss._value] + [None if g is None else g._value for g in grads])
        return loss, float(values[0]), self._flat(values[1:])

    def _directional(self, closure, x0: list, t: float, d: np.ndarray):
        """Loss and gradient at ``x0 + t * d``; the variables are put back at ``x0``."""
        self._move(t, d)
        _, loss, grad = self._evaluate(closure)
        self._set(x0)
        return loss, grad

    # -- the iteration ---------------------------------------------------------------------------
    def step(self, closure: Callable) -> Tensor:
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss from the first call to
        ``closure`` (before the variables moved), as PyTorch's does."""
        state = self.state
        orig_loss, loss, flat_grad = self._evaluate(closure)
        state["func_evals"] += 1
        evals = 1
        if np.abs(flat_grad).max() <= self.tolerance_grad:
            return orig_loss
        n_iter = 0
        while n_iter < self.max_iter:
            n_iter += 1
            state["n_iter"] += 1
            d = self._direction(flat_grad)
            state["prev_flat_grad"], state["prev_loss"] = flat_grad.copy(), loss
            t = self.lr
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * self.lr
            state["d"], state["t"] = d, t
            gtd = float(flat_grad @ d)
            if gtd > -self.tolerance_change:  # not a descent direction any more
                break
            loss, flat_grad, t, ls_evals, done = self._advance(
                closure, d, t, loss, flat_grad, gtd, n_iter, evals
            )
            state["t"] = t
            evals += ls_evals
            state["func_evals"] += ls_evals
            if done or n_iter == self.max_iter or evals >= self.max_eval:
                break
            if np.abs(flat_grad).max() <= self.tolerance_grad:
                break
            if np.abs(d * t).max() <= self.tolerance_change:
                break
            if abs(loss - state["prev_loss"]) < self.tolerance_change:
                break
        return orig_loss

    def _direction(self, flat_grad: np.ndarray) -> np.ndarray:
        """The quasi-Newton direction ``-H g`` from the two-loop recursion, after taking the
        latest correction pair into the history."""
        state = self.state
        if state["n_iter"] == 1:
            state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1.0)
            return -flat_grad
        y = flat_grad - state["prev_flat_grad"]
        s = state["d"] * state["t"]
        ys = float(y @ s)
        if ys > 1e-10:  # keep the pair only where curvature is positive
            # >=, not ==: history_size may have been lowered since the history grew
            while len(state["old_dirs"]) >= self.history_size:
                for key in ("old_dirs", "old_stps", "ro"):
                    state[key].pop(0)
            state["old_dirs"].append(y)
            state["old_stps"].append(s)
            state["ro"].append(1.0 / ys)
            state["H_diag"] = ys / float(y @ y)
        dirs, stps, ro = state["old_dirs"], state["old_stps"], state["ro"]
        q = -flat_grad
        al = [0.0] * len(dirs)
        for i in range(len(dirs) - 1, -1, -1):
            al[i] = float(stps[i] @ q) * ro[i]
            q = q - al[i] * dirs[i]
        r = q * state["H_diag"]
        for i in range(len(dirs)):
            be_i = float(dirs[i] @ r) * ro[i]
            r = r + (al[i] - be_i) * stps[i]
        return r

    def _advance(self, closure, d, t, loss, flat_grad, gtd, n_iter, evals):
        """Move along ``d``: by a strong-Wolfe line search, or by the fixed step ``t``.
        Returns the new loss and gradient, the step taken, the evaluations used and whether
        the iteration must stop here (a fixed step on the last iteration is not re-evaluated).

        As in PyTorch (since pytorch/pytorch#135026): after its first trial, the line search
        may make only the ``max_eval - evals`` evaluations this ``step`` has left, and it runs
        with its own ``tolerance_change`` of 1e-9, not the optimizer's, which only decides when
        the iteration stops."""
        if self.line_search_fn == "strong_wolfe":
            x0 = self._values()

            def along(step):
                return self._directional(closure, x0, step, d)

            loss, flat_grad, t, ls_evals = _strong_wolfe(
                along, t, d, loss, flat_grad, gtd, max_ls=self.max_eval - evals
            )
            self._move(t, d)
            return loss, flat_grad, t, ls_evals, False
        self._move(t, d)
        if n_iter == self.max_iter:
            return loss, flat_grad, t, 0, True
        _, loss, flat_grad = self._evaluate(closure)
        return loss, flat_grad, t, 1, False

    # -- checkpoints -----------------------------------------------------------------------------
    def _checkpoint_state(self) -> tuple[dict, dict]:
        state = self.state
        history = len(state.get("ro", ()))
        glob = {
            "n_iter": np.asarray(state["n_iter"], dtype=np.int64),
            "func_evals": np.asarray(state["func_evals"], dtype=np.int64),
            "t": np.asarray(state.get("t", _NO_VALUE), dtype=np.float64),
            "H_diag": np.asarray(state.get("H_diag", _NO_VALUE), dtype=np.float64),
            "prev_loss": np.asarray(state.get("prev_loss", _NO_VALUE), dtype=np.float64),
            "ro": np.asarray(state.get("ro", []), dtype=np.float64),
        }
        n = sum(p.size for p in self._params)
        vectors = {
            "d": state.get("d", np.zeros(n, self._dtype)),
            "prev_flat_grad": state.get("prev_flat_grad", np.zeros(n, self._dtype)),
            "old_dirs": np.reshape(state.get("old_dirs", []), (history, n)).astype(self._dtype),
            "old_stps": np.reshape(state.get("old_stps", []), (history, n)).astype(self._dtype),
        }
        # each parameter's part of the vectors, in the dtype the history is kept in (that of
        # all parameters together): a float32 part of a float64 history would be rounded, and
        # a loaded run would not continue exactly
        pieces = {key: self._split(value) for key, value in vectors.items()}
        slots = {
            p.ref(): {key: pieces[key][i] for key in vectors} for i, p in enumerate(self._params)
        }
        return glob, slots

    def _expected_state(self, variables) -> tuple[dict, dict]:
        f64 = np.dtype("float64")
        glob = {"n_iter": ((), np.dtype("int64")), "func_evals": ((), np.dtype("int64"))}
        glob.update(
            {"t": ((), f64), "H_diag": ((), f64), "prev_loss": ((), f64), "ro": ((None,), f64)}
        )
        slots = {}
        for p in self._params:
            shape, dtype = p.shape, self._dtype
            spec = {"d": (shape, dtype), "prev_flat_grad": (shape, dtype)}
            spec.update(
                {"old_dirs": ((None,) + shape, dtype), "old_stps": ((None,) + shape, dtype)}
            )
            slots[p.ref()] = spec
        return glob, slots

    def _state_problems(self, glob: dict, slots: dict, names: dict) -> list:
        """What the entries say that cannot be (``tg.load`` lists it before changing anything):
        a history whose pairs and ``ro`` values differ in number."""
        history = len(glob["ro"])
        problems = []
        for p in self._params:
            for key in ("old_dirs", "old_stps"):
                count = slots[p.ref()][key].shape[0]
                if count != history:
                    problems.append(
                        f"the L-BFGS history has {history} 'ro' entries but {count} '{key}' "
                        f"entries for variable '{names[p.ref()]}': the file was not written by "
                        "tg.save as it is; save the optimizer again"
                    )
        return problems

    def _restored(self, glob: dict, slots: dict):
        """The state from a file's checked entries, and the function that installs it."""
        state = {"n_iter": int(glob["n_iter"]), "func_evals": int(glob["func_evals"])}
        if state["n_iter"] > 0:
            keys = ("d", "prev_flat_grad", "old_dirs", "old_stps")
            flat = {k: self._flat_stack([slots[p.ref()][k] for p in self._params]) for k in keys}
            state.update(d=flat["d"], prev_flat_grad=flat["prev_flat_grad"], t=float(glob["t"]))
            state.update(H_diag=float(glob["H_diag"]), prev_loss=float(glob["prev_loss"]))
            state.update(old_dirs=list(flat["old_dirs"]), old_stps=list(flat["old_stps"]))
            state["ro"] = [float(r) for r in glob["ro"]]

        def install() -> None:
            self.state = state

        return install

    def _flat_stack(self, pieces: list) -> np.ndarray:
        lead = pieces[0].ndim - self._params[0].ndim
        lead_shape = pieces[0].shape[:lead]
        parts = [np.reshape(a, lead_shape + (-1,)) for a in pieces]
        return np.concatenate(parts, axis=-1).astype(self._dtype)

    def __repr__(self) -> str:
        return f"<tg.optimizers.LBFGS '{self.name}' n_iter={self.state['n_iter']}>"


def _check_params(params) -> list:
    params = [params] if isinstance(params, Variable) else list(params)
    if not params:
        raise ValueError("LBFGS needs at least one Variable to optimize; got an empty list")
    seen = set()
    for p in params:
        if not isinstance(p, Variable):
            raise TypeError(
                f"LBFGS optimizes tg.Variable objects, not {type(p).__name__}: create each "
                "parameter with tg.Variable(...)"
            )
        check_variable_dtype("LBFGS", p, complex_ok=False)
        if id(p) in seen:  # it would take two places in the flat vector, and move twice
            raise ValueError(f"LBFGS got variable '{p.name}' twice: pass each variable once")
        seen.add(id(p))
    return params


# -- the strong-Wolfe line search (Moré-Thuente style bracketing and zoom, as minFunc) ---------
def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    """The minimiser of the cubic through two points with their slopes, within ``bounds``
    (default: between the points); the middle of the bounds when the cubic has none."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(d2_square)
    if x1 <= x2:
        best = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        best = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return float(min(max(best, lo), hi))


def _strong_wolfe(along, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find a step ``t`` satisfying the strong Wolfe conditions along ``d`` from a point with
    loss ``f``, gradient ``g`` and slope ``gtd``. ``along(t)`` gives (loss, gradient) there.
    Returns the loss, gradient and step found, and the number of evaluations."""
    d_norm = np.abs(d).max()
    f_new, g_new = along(t)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket = None
    while ls_iter < max_ls:  # bracketing phase
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = [[t, f_new, g_new, gtd_new]], True
            break
        if gtd_new >= 0:
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        min_step, max_step = t + 0.01 * (t - t_prev), t * 10
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, (min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = along(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [[0.0, f, g, gtd], [t, f_new, g_new, gtd_new]]
    if done:
        t, f_new, g_new, _ = bracket[0]
        return f_new, g_new, t, evals
    return _zoom(
        along, bracket, d, d_norm, f, gtd, c1, c2, tolerance_change, max_ls, ls_iter, evals
    )


def _zoom(along, bracket, d, d_norm, f, gtd, c1, c2, tolerance_change, max_ls, ls_iter, evals):
    """Shrink a bracket around a strong-Wolfe step; each entry is [t, f, g, gtd]."""
    insufficient = False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    done = False
    while not done and ls_iter < max_ls:
        ts = [bracket[0][0], bracket[1][0]]
        if abs(ts[1] - ts[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(*bracket[0][:2], bracket[0][3], *bracket[1][:2], bracket[1][3])
        # keep trial points away from the ends of the bracket, or it may never shrink
        eps = 0.1 * (max(ts) - min(ts))
        if min(max(ts) - t, t - min(ts)) < eps:
            if insufficient or t >= max(ts) or t <= min(ts):
                t = max(ts) - eps if abs(t - max(ts)) < abs(t - min(ts)) else min(ts) + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = along(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        point = [t, f_new, g_new, gtd_new]
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = point
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = point
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals
