"""Checkpoints: ``tg.save(path, objects)`` and ``tg.load(path, objects)`` in a NumPy ``.npz``.

Three promises shape this module:

* Loading never unpickles: every array is read with ``allow_pickle=False``, so a hostile file
  can at worst be refused, never run code.
* Saving is atomic: the file is written under a temporary name in the same folder, flushed to
  disk, then renamed over the old one (``os.replace``), so a crash leaves the previous
  checkpoint or the new one, never a torn file.
* Names come from the caller: ``objects`` maps names of the user's choosing to Variables,
  optimizers and models (whose parts get nested names, ``"model/layers/0/kernel"``). A name
  the file cannot hold as given (one the zip format would change, or ``"w.npy"`` beside ``"w"``,
  which NumPy's .npz reader confuses) is refused at save time, never read back wrongly. An
  optimizer's per-variable state is stored under the name the same dict gives the variable, so
  a new optimizer loaded onto the same names continues exactly where the saved one stopped.

Entries: a variable's value under its name; for an optimizer ``opt``, ``opt/__class__``, its
shared state as ``opt/<name>`` (``opt/iterations``...) and each variable's slot as
``opt/slots/<variable name>/<slot>``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile

import numpy as np

from ._backend import in_library_of, to_numpy
from ._tensor import Variable

FORMAT_KEY = "__tapegrad_checkpoint__"
FORMAT_VERSION = 1


def save(path, objects: dict) -> None:
    """Write the Variables, optimizers and models in ``objects`` (a dict from names of your
    choosing) to the ``.npz`` file ``path``, atomically.

    >>> import os, tempfile
    >>> import tapegrad as tg
    >>> w = tg.Variable([1.0, 2.0])
    >>> opt = tg.optimizers.SGD(0.5, momentum=0.9)
    >>> _ = opt.apply_gradients([(tg.constant([1.0, 1.0]), w)])
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> tg.save(path, {"w": w, "opt": opt})
    >>> w2, opt2 = tg.Variable([0.0, 0.0]), tg.optimizers.SGD(0.5, momentum=0.9)
    >>> tg.load(path, {"w": w2, "opt": opt2})
    >>> print(w2.numpy(), opt2.get_slot(w2, "momentum").numpy(), int(opt2.iterations))
    [0.5 1.5] [-0.5 -0.5] 1
    """
    variables, optimizers = _collect(objects)
    names = {var.ref(): name for name, var in variables.items()}
    arrays = {FORMAT_KEY: np.asarray(FORMAT_VERSION, dtype=np.int64)}
    for name, var in variables.items():
        arrays[name] = np.asarray(to_numpy(var._value))
    problems = []
    for opt_name, opt in optimizers.items():
        problems += _optimizer_arrays(opt_name, opt, names, arrays)
    problems += _unstorable_names(arrays)
    if problems:
        raise ValueError(_report(f"cannot save {os.fspath(path)!r}", problems))
    _write_atomically(os.fspath(path), arrays)


def load(path, objects: dict) -> None:
    """Restore the Variables, optimizers and models in ``objects`` from a file written by
    ``tg.save`` with the same names. The file is checked in full first: any mismatch of name,
    shape or dtype, or state that cannot be (an L-BFGS history whose parts differ in length),
    raises one ValueError listing every problem, and nothing is changed.
    See ``tg.save`` for an example."""
    variables, optimizers = _collect(objects)
    arrays, problems = _read(os.fspath(path))
    used = {FORMAT_KEY}
    for name, var in variables.items():
        problems += _check_entry(arrays, name, var.shape, var.dtype, f"variable '{name}'")
        used.add(name)
    restores = []
    for opt_name, opt in optimizers.items():
        restore, opt_problems, opt_used = _plan_optimizer(opt_name, opt, variables, arrays)
        problems += opt_problems
        used |= opt_used
        restores.append(restore)
    unexpected = [k for k in arrays if k not in used]
    problems += [f"unexpected entry '{k}' {_describe(arrays[k])} in the file" for k in unexpected]
    if problems:
        raise ValueError(_report(f"cannot load {os.fspath(path)!r}", problems))
    # every new value and state is built before the first is installed, so that a failure
    # (an array a library cannot take) leaves everything as it was
    values = [(var, in_library_of(var._value, arrays[name])) for name, var in variables.items()]
    installs = [restore() for restore in restores]
    for var, value in values:  # each variable keeps its library (CuPy, Dask ...)
        var.assign(value)
    for install in installs:
        install()


# -- the objects dict -------------------------------------------------------------------------
def _collect(objects: dict) -> tuple[dict, dict]:
    """Flatten ``objects`` into ``{name: Variable}`` and ``{name: optimizer}``."""
    if not isinstance(objects, dict):
        raise TypeError(
            f"objects must be a dict from names to Variables, optimizers and models, not "
            f"{type(objects).__name__}: e.g. {{'model': model, 'optimizer': opt}}"
        )
    variables: dict = {}
    optimizers: dict = {}
    seen: dict = {}
    stack = [(_check_name(k, ""), v) for k, v in reversed(objects.items())]
    while stack:
        name, obj = stack.pop()
        if isinstance(obj, Variable):
            if obj.ref() in seen:
                raise ValueError(
                    f"variable '{obj.name}' appears twice in objects, as '{seen[obj.ref()]}' and "
                    f"'{name}': give each variable one name"
                )
            seen[obj.ref()] = name
            variables[name] = obj
        elif hasattr(obj, "_checkpoint_state"):
            optimizers[name] = obj
        else:
            stack += reversed(_children(name, obj))
    return variables, optimizers


def _children(name: str, obj) -> list:
    if hasattr(obj, "_checkpoint_parts"):
        obj = obj._checkpoint_parts()
    if isinstance(obj, dict):
        return [(f"{name}/{_check_name(k, name)}", v) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return [(f"{name}/{i}", v) for i, v in enumerate(obj)]
    raise TypeError(
        f"cannot checkpoint '{name}', a {type(obj).__name__}: objects may hold tg.Variable, "
        "optimizers, models and layers (tg.nn), and dicts or lists of them"
    )


def _check_name(key, parent: str) -> str:
    where = f" in '{parent}'" if parent else ""
    if not isinstance(key, str):
        raise TypeError(
            f"checkpoint names must be strings, not {type(key).__name__} {key!r}{where}"
        )
    if not key or "/" in key or key == FORMAT_KEY:
        raise ValueError(
            f"checkpoint names must be non-empty strings without '/'; got {key!r}{where} "
            "('/' separates the parts of nested names)"
        )
    return key


def _unstorable_names(arrays: dict) -> list:
    """Entry names that would not be read back as themselves: the .npz member of entry ``k`` is
    ``k + ".npy"``, NumPy's reader finds entry ``"w.npy"`` at the member of ``"w"``, and
    ``zipfile`` alters some names (it ends them at a NUL character; on Windows it turns
    backslashes into '/')."""
    problems = []
    for key in arrays:
        member = key + ".npy"
        stored = zipfile.ZipInfo(member).filename
        if stored != member:
            problems.append(
                f"the name {key!r} cannot be stored in a zip file as it is (it would be read "
                f"back as {stored.removesuffix('.npy')!r}): rename it"
            )
        elif key.endswith(".npy") and key[:-4] in arrays:
            problems.append(
                f"the names {key[:-4]!r} and {key!r} cannot both be saved: an .npz file stores "
                f"{key[:-4]!r} in the member {key!r}, which NumPy's reader returns when asked "
                f"for {key!r}; rename {key!r} (e.g. without '.npy')"
            )
    return problems


# -- optimizers -------------------------------------------------------------------------------
def _optimizer_arrays(opt_name: str, opt, names: dict, arrays: dict) -> list:
    glob, slots = opt._checkpoint_state()
    arrays[f"{opt_name}/__class__"] = np.asarray(type(opt).__name__)
    for key, value in glob.items():
        arrays[f"{opt_name}/{key}"] = np.asarray(value)
    unnamed = [ref.deref() for ref in slots if ref not in names]
    if unnamed:
        listed = ", ".join(f"'{v.name}' {v.shape}" for v in unnamed)
        return [
            f"optimizer '{opt_name}' keeps state for variables that objects does not name: "
            f"{listed}; add them (or the models holding them) to objects"
        ]
    for ref, values in slots.items():
        for slot, value in values.items():
            arrays[f"{opt_name}/slots/{names[ref]}/{slot}"] = np.asarray(to_numpy(value))
    return []


def _plan_optimizer(opt_name: str, opt, variables: dict, arrays: dict):
    """Check the file's entries for one optimizer; return the restore to run if all is well
    (it builds the state and returns the function that installs it), the problems found, and
    the entries used."""
    plan = _OptimizerEntries(opt_name, arrays, variables)
    plan.check_class(type(opt).__name__)
    targets = plan.targets(getattr(opt, "_params", None))
    glob_spec, slot_spec = opt._expected_state(targets)
    glob = {key: plan.read(key, *spec, "state") for key, spec in glob_spec.items()}
    slots = {}
    for var in targets:
        name = plan.names[var.ref()]
        slots[var.ref()] = {
            slot: plan.read(f"slots/{name}/{slot}", *spec, f"slot '{slot}' of '{name}'")
            for slot, spec in slot_spec[var.ref()].items()
        }
    if not plan.problems:  # every entry there, of its shape and dtype: do they fit together?
        opt_problems = opt._state_problems(glob, slots, plan.names)
        plan.problems += [f"optimizer '{opt_name}': {p}" for p in opt_problems]
    return (lambda: opt._restored(glob, slots)), plan.problems, plan.used


class _OptimizerEntries:
    """The entries ``<optimizer name>/...`` of a file, read with a record of what was used
    and of every problem met."""

    def __init__(self, opt_name: str, arrays: dict, variables: dict):
        self.opt_name, self.prefix, self.arrays = opt_name, f"{opt_name}/", arrays
        self.variables = variables
        self.names = {var.ref(): name for name, var in variables.items()}
        self.problems: list = []
        self.used: set = set()

    def read(self, key: str, shape, dtype, what: str):
        full = self.prefix + key
        self.used.add(full)
        self.problems += _check_entry(
            self.arrays, full, shape, dtype, f"optimizer '{self.opt_name}' {what}"
        )
        return self.arrays.get(full)

    def check_class(self, kind: str) -> None:
        key = self.prefix + "__class__"
        self.used.add(key)
        saved = self.arrays.get(key)
        if saved is None:
            self.problems.append(
                f"missing entry '{key}': the file holds no optimizer '{self.opt_name}'"
            )
        elif saved.dtype.kind != "U" or saved.shape != () or str(saved) != kind:
            self.problems.append(
                f"optimizer '{self.opt_name}' is a {kind} but the file holds {_text(saved)}"
            )

    def _slot_keys(self, name: str) -> set:
        start = f"{self.prefix}slots/{name}/"
        return {k for k in self.arrays if k.startswith(start)}

    def targets(self, fixed) -> list:
        """The variables the file holds state for; ``fixed``: the only variables this
        optimizer keeps state for (LBFGS), or None for any."""
        start = self.prefix + "slots/"
        in_file = sorted(
            {k[len(start) :].rsplit("/", 1)[0] for k in self.arrays if k.startswith(start)}
        )
        targets = []
        for name in in_file:
            var = self.variables.get(name)
            if var is None:
                self._reject(name, "but objects names no such variable")
            elif fixed is not None and all(var is not p for p in fixed):
                self._reject(name, "but that variable is not one it optimizes")
            else:
                targets.append(var)
        found = {v.ref() for v in targets}
        for p in fixed or ():
            if p.ref() not in found:
                name = self.names.get(p.ref(), p.name)
                self.problems.append(
                    f"optimizer '{self.opt_name}': the file has no state for its variable '{name}'"
                )
        return targets

    def _reject(self, name: str, why: str) -> None:
        self.problems.append(
            f"optimizer '{self.opt_name}' has state for '{name}' in the file, {why}"
        )
        self.used |= self._slot_keys(name)  # reported here, not again as unexpected entries


# -- checking entries -------------------------------------------------------------------------
def _check_entry(arrays: dict, key: str, shape, dtype, what: str) -> list:
    if key not in arrays:
        return [f"missing entry '{key}' for {what} of shape {shape} and dtype {dtype}"]
    value = arrays[key]
    out = []
    if not _shape_matches(value.shape, shape):
        expected = tuple("any" if s is None else s for s in shape)
        out.append(f"'{key}': {what} has shape {expected} but the file holds shape {value.shape}")
    if value.dtype != dtype:
        out.append(f"'{key}': {what} has dtype {dtype} but the file holds dtype {value.dtype}")
    return out


def _shape_matches(shape: tuple, expected: tuple) -> bool:
    return len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))


def _describe(value: np.ndarray) -> str:
    return f"(shape {value.shape}, dtype {value.dtype})"


def _text(value: np.ndarray) -> str:
    return repr(str(value)) if value.dtype.kind == "U" and value.shape == () else _describe(value)


def _report(headline: str, problems: list) -> str:
    lines = "\n".join(f"  - {p}" for p in problems)
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    return f"{headline}: {count}\n{lines}"


# -- the file ---------------------------------------------------------------------------------
def _read(path: str) -> tuple[dict, list]:
    """All entries of the file as arrays, never unpickling, and the problems found."""
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        if isinstance(error, FileNotFoundError | IsADirectoryError):
            raise
        # NumPy's own words would suggest allow_pickle=True, which tapegrad never uses
        raise ValueError(
            f"{path!r} is not a tapegrad checkpoint: it is not a NumPy .npz file written by "
            "tg.save (tapegrad reads only numeric arrays, and never unpickles)"
        ) from None
    if not hasattr(data, "files"):
        raise ValueError(
            f"{path!r} is not a tapegrad checkpoint: it holds one bare array (.npy), not the "
            "named entries of an .npz file written by tg.save"
        )
    arrays, problems = {}, []
    with data:
        for key in data.files:
            try:
                arrays[key] = data[key]
            except ValueError:  # an object array: reading it would mean unpickling
                problems.append(
                    f"entry '{key}' holds Python objects, which tapegrad never unpickles "
                    "(a checkpoint holds only numeric arrays)"
                )
    if FORMAT_KEY not in arrays and not problems:
        raise ValueError(
            f"{path!r} is not a tapegrad checkpoint: it has no '{FORMAT_KEY}' entry (it was not "
            "written by tg.save)"
        )
    return arrays, problems


def _write_atomically(path: str, arrays: dict) -> None:
    # errors name the caller's path, not the temporary file written first
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"cannot save {path!r}: it is a folder; give a file path, such as "
            f"{os.path.join(path, 'checkpoint.npz')!r}"
        )
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}.", suffix=".partial", dir=folder
        )
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(
            f"cannot save {path!r}: the folder {os.path.dirname(path)!r} does not exist "
            "(tg.save does not create folders; os.makedirs(folder, exist_ok=True) does)"
        ) from None
    try:
        with os.fdopen(fd, "wb") as file:
            _write_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _write_npz(file, arrays: dict) -> None:
    """The layout of ``np.savez``, written entry by entry: savez's own keyword arguments would
    clash with names like 'file', and nothing is pickled."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, value in arrays.items():
            with zf.open(key + ".npy", "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asanyarray(value), allow_pickle=False)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); not possible, nor needed, everywhere."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
