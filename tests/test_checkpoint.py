"""tg.save / tg.load: round trips of variables, optimizers and models; optimizer state under the
caller's names; every mismatch in one error; hostile files; atomic writes under a real kill."""

import os
import pickle
import re
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import tapegrad as tg

opts = tg.optimizers
SRC = os.path.join(os.path.dirname(__file__), os.pardir, "src")


def make_model(seed=0):
    model = tg.nn.Sequential(
        [tg.nn.Dense(4, activation="relu", seed=seed), tg.nn.Dense(2, seed=seed + 1)]
    )
    model.build((None, 3))
    return model


X = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
Y = np.random.default_rng(2).normal(size=(8, 2)).astype(np.float32)


def train(model, opt, steps):
    for _ in range(steps):
        opt.minimize(
            lambda: tg.mean(tg.nn.mean_squared_error(Y, model(X))), model.trainable_variables
        )


def values(model):
    return [v.numpy().copy() for v in model.variables]


# -- round trips ------------------------------------------------------------------------------
def test_variables_round_trip_with_their_dtypes_and_shapes(tmp_path):
    path = tmp_path / "vars.npz"
    a = tg.Variable([1.5, 2.5])
    b = tg.Variable(np.arange(6, dtype=np.int64).reshape(2, 3))
    c = tg.Variable(np.float64(3.25))
    tg.save(path, {"a": a, "b": b, "c": c})
    a2, b2 = tg.Variable([0.0, 0.0]), tg.Variable(np.zeros((2, 3), dtype=np.int64))
    c2 = tg.Variable(np.float64(0.0))
    tg.load(path, {"a": a2, "b": b2, "c": c2})
    assert a2.numpy().tolist() == [1.5, 2.5] and a2.dtype == tg.float32
    assert b2.numpy().tolist() == [[0, 1, 2], [3, 4, 5]] and b2.dtype == tg.int64
    assert float(c2) == 3.25 and c2.shape == ()


OPTIMIZERS = {
    "sgd-momentum": lambda: opts.SGD(0.05, momentum=0.9, nesterov=True),
    "adam-amsgrad": lambda: opts.Adam(0.01, amsgrad=True),
    "adamw": lambda: opts.AdamW(0.01),
    "rmsprop": lambda: opts.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad": lambda: opts.Adagrad(0.1),
    "adadelta": lambda: opts.Adadelta(1.0),
    "adamax": lambda: opts.Adamax(0.01),
    "nadam": lambda: opts.Nadam(0.01),
    "lion": lambda: opts.Lion(0.001),
    "ftrl": lambda: opts.Ftrl(0.1, l1_regularization_strength=0.01),
    "lamb": lambda: opts.Lamb(0.01),
    "adam-ema-accumulation": lambda: opts.Adam(
        0.01, use_ema=True, gradient_accumulation_steps=2, ema_overwrite_frequency=3
    ),
}


@pytest.mark.parametrize("case", list(OPTIMIZERS))
def test_a_loaded_optimizer_continues_exactly_where_the_saved_one_stopped(case, tmp_path):
    path = tmp_path / "ckpt.npz"
    model, opt = make_model(), OPTIMIZERS[case]()
    train(model, opt, 3)
    tg.save(path, {"model": model, "optimizer": opt})
    model2, opt2 = make_model(seed=10), OPTIMIZERS[case]()
    tg.load(path, {"model": model2, "optimizer": opt2})
    assert int(opt2._iterations) == int(opt._iterations) == 3
    train(model, opt, 3)
    train(model2, opt2, 3)
    for got, want in zip(values(model2), values(model)):
        np.testing.assert_array_equal(got, want)


def test_lbfgs_round_trip_continues_exactly(tmp_path):
    def rosenbrock(x):
        return tg.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    x, y = tg.Variable(np.array([-1.2, 1.0, 0.5])), tg.Variable(np.array([0.3]))
    opt = opts.LBFGS([x, y], max_iter=5, line_search_fn="strong_wolfe")
    opt.step(lambda: rosenbrock(tg.concat([x, y])))
    tg.save(tmp_path / "l.npz", {"x": x, "y": y, "lbfgs": opt})
    x2, y2 = tg.Variable(np.zeros(3)), tg.Variable(np.zeros(1))
    opt2 = opts.LBFGS([x2, y2], max_iter=5, line_search_fn="strong_wolfe")
    tg.load(tmp_path / "l.npz", {"x": x2, "y": y2, "lbfgs": opt2})
    assert opt2.state["n_iter"] == 5 and len(opt2.state["old_dirs"]) == len(opt.state["old_dirs"])
    opt.step(lambda: rosenbrock(tg.concat([x, y])))
    opt2.step(lambda: rosenbrock(tg.concat([x2, y2])))
    np.testing.assert_array_equal(x2.numpy(), x.numpy())
    np.testing.assert_array_equal(y2.numpy(), y.numpy())


def test_lbfgs_over_mixed_dtypes_keeps_its_history_in_the_file_and_continues_exactly(tmp_path):
    """The history is kept in the dtype of all parameters together (float64 here), and saved
    in it: rounding the float32 parameter's part would change the next steps."""

    def loss(x, y):
        xy = tg.concat([tg.astype(x, tg.float64), y])
        return tg.sum(100 * (xy[1:] - xy[:-1] ** 2) ** 2 + (1 - xy[:-1]) ** 2)

    x, y = tg.Variable([-1.2, 1.0, 0.5]), tg.Variable(np.array([0.3]))
    opt = opts.LBFGS([x, y], max_iter=4, line_search_fn="strong_wolfe")
    opt.step(lambda: loss(x, y))
    tg.save(tmp_path / "l.npz", {"x": x, "y": y, "lbfgs": opt})
    with np.load(tmp_path / "l.npz") as data:
        assert data["lbfgs/slots/x/old_dirs"].dtype == np.float64
    x2, y2 = tg.Variable(np.zeros(3, np.float32)), tg.Variable(np.zeros(1))
    opt2 = opts.LBFGS([x2, y2], max_iter=4, line_search_fn="strong_wolfe")
    tg.load(tmp_path / "l.npz", {"x": x2, "y": y2, "lbfgs": opt2})
    opt.step(lambda: loss(x, y))
    opt2.step(lambda: loss(x2, y2))
    np.testing.assert_array_equal(x2.numpy(), x.numpy())
    np.testing.assert_array_equal(y2.numpy(), y.numpy())


def test_an_inconsistent_lbfgs_history_is_listed_and_nothing_changes(tmp_path):
    path = tmp_path / "l.npz"
    x = tg.Variable(np.array([3.0, -2.0]))
    opt = opts.LBFGS([x], max_iter=3)
    opt.step(lambda: tg.sum((x - 1.0) ** 4))
    tg.save(path, {"x": x, "opt": opt})
    with np.load(path) as data:
        entries = dict(data)
    entries["opt/ro"] = np.concatenate([entries["opt/ro"], [1.0]])
    np.savez(path, **entries)
    x2 = tg.Variable(np.array([7.0, 7.0]))
    opt2 = opts.LBFGS([x2])
    with pytest.raises(ValueError) as info:
        tg.load(path, {"x": x2, "opt": opt2})
    history = len(opt.state["ro"])
    for key in ("old_dirs", "old_stps"):
        assert (
            f"  - optimizer 'opt': the L-BFGS history has {history + 1} 'ro' entries but "
            f"{history} '{key}' entries for variable 'x': the file was not written by tg.save as "
            "it is; save the optimizer again"
        ) in str(info.value)
    assert x2.numpy().tolist() == [7.0, 7.0] and opt2.state == {"n_iter": 0, "func_evals": 0}


@pytest.mark.parametrize(
    "make",
    [
        lambda: opts.SGD(np.float64(0.1), momentum=0.9),
        lambda: opts.Adam(0.1, beta_1=np.float64(0.9), loss_scale_factor=np.float64(4.0)),
        lambda: opts.SGD(lambda step: np.float64(0.1), use_ema=True, ema_momentum=np.float64(0.9)),
    ],
    ids=["sgd-lr", "adam-beta-scale", "sgd-callable-ema"],
)
def test_an_optimizer_with_numpy_number_options_loads_its_own_checkpoint(make, tmp_path):
    """NumPy 2 would promote float32 slots times an np.float64 to float64, which the float32
    variable's checkpoint entries would then refuse to load."""
    w, opt = tg.Variable([1.0, 2.0]), make()
    for _ in range(3):
        opt.apply_gradients([(tg.constant([1.0, -1.0]), w)])
    tg.save(tmp_path / "c.npz", {"w": w, "opt": opt})
    w2, opt2 = tg.Variable([0.0, 0.0]), make()
    tg.load(tmp_path / "c.npz", {"w": w2, "opt": opt2})
    for name in opt.slot_names():
        np.testing.assert_array_equal(opt2.get_slot(w2, name), opt.get_slot(w, name))
    assert w2.numpy().tolist() == w.numpy().tolist()


def test_a_fresh_lbfgs_round_trips_too(tmp_path):
    x = tg.Variable([1.0])
    tg.save(tmp_path / "l.npz", {"x": x, "opt": opts.LBFGS([x])})
    opt2 = opts.LBFGS([x])
    tg.load(tmp_path / "l.npz", {"x": x, "opt": opt2})
    assert opt2.state == {"n_iter": 0, "func_evals": 0}


def test_lbfgs_state_must_match_its_variables(tmp_path):
    x, y, z = tg.Variable([1.0, 2.0]), tg.Variable([3.0]), tg.Variable([0.0])
    opt = opts.LBFGS([x, y])
    opt.step(lambda: tg.sum(x * x) + tg.sum(y * y))
    tg.save(tmp_path / "l.npz", {"x": x, "y": y, "opt": opt})
    with pytest.raises(ValueError) as info:
        tg.load(tmp_path / "l.npz", {"x": x, "y": y, "z": z, "opt": opts.LBFGS([x, z])})
    message = str(info.value)
    assert "optimizer 'opt' has state for 'y' in the file, but that variable is not one it " in (
        message
    )
    assert "optimizer 'opt': the file has no state for its variable 'z'" in message
    assert "missing entry 'z' for variable 'z'" in message
    assert message.count("\n  - ") == 3


def test_entries_are_named_by_the_objects_dict(tmp_path):
    path = tmp_path / "ckpt.npz"
    model, opt = make_model(), opts.SGD(0.1, momentum=0.9)
    scale = tg.Variable(1.0, name="scale")
    train(model, opt, 1)
    opt.apply_gradients([(tg.constant(1.0), scale)])
    tg.save(path, {"net": model, "temperature": scale, "opt": opt})
    with zipfile.ZipFile(path) as zf:
        names = sorted(n[: -len(".npy")] for n in zf.namelist())
    assert names == [
        "__tapegrad_checkpoint__",
        "net/layers/0/bias",
        "net/layers/0/kernel",
        "net/layers/1/bias",
        "net/layers/1/kernel",
        "opt/__class__",
        "opt/iterations",
        "opt/slots/net/layers/0/bias/momentum",
        "opt/slots/net/layers/0/kernel/momentum",
        "opt/slots/net/layers/1/bias/momentum",
        "opt/slots/net/layers/1/kernel/momentum",
        "opt/slots/temperature/momentum",
        "temperature",
    ]
    with np.load(path, allow_pickle=False) as data:
        assert str(data["opt/__class__"]) == "SGD"
        assert int(data["opt/iterations"]) == 2
        np.testing.assert_array_equal(
            data["opt/slots/net/layers/0/kernel/momentum"],
            opt.get_slot(model.layers[0].kernel, "momentum").numpy(),
        )


def test_optimizer_state_follows_the_names_not_the_objects(tmp_path):
    a, b = tg.Variable(np.float64(1.0)), tg.Variable(np.float64(1.0))
    opt = opts.SGD(1.0, momentum=0.5)
    opt.apply_gradients([(tg.constant(np.float64(1.0)), a), (tg.constant(np.float64(3.0)), b)])
    tg.save(tmp_path / "c.npz", {"first": a, "second": b, "opt": opt})
    # the variables swap names: each gets the value and the momentum saved under its new name
    opt2 = opts.SGD(1.0, momentum=0.5)
    tg.load(tmp_path / "c.npz", {"first": b, "second": a, "opt": opt2})
    assert (float(a), float(b)) == (-2.0, 0.0)
    assert float(opt2.get_slot(a, "momentum")) == -3.0
    assert float(opt2.get_slot(b, "momentum")) == -1.0


def test_save_overwrites_and_accepts_string_paths(tmp_path):
    path = str(tmp_path / "c.npz")
    w = tg.Variable(1.0)
    tg.save(path, {"w": w})
    w.assign(2.0)
    tg.save(path, {"w": w})
    w.assign(3.0)
    tg.load(path, {"w": w})
    assert float(w) == 2.0
    assert os.listdir(tmp_path) == ["c.npz"]  # no temporary file left behind


def test_names_may_be_anything_savez_would_refuse(tmp_path):
    w = tg.Variable(1.0)
    tg.save(tmp_path / "c.npz", {"file": w, "allow_pickle": tg.Variable(2.0)})
    tg.load(tmp_path / "c.npz", {"file": w, "allow_pickle": tg.Variable(0.0)})


# -- mismatches -------------------------------------------------------------------------------
def test_every_mismatch_is_listed_in_one_error_and_nothing_changes(tmp_path):
    path = tmp_path / "c.npz"
    tg.save(path, {"w": tg.Variable([1.0, 2.0]), "b": tg.Variable(1.0), "old": tg.Variable(5.0)})
    w = tg.Variable([1.0, 2.0, 3.0])
    b = tg.Variable(np.float64(7.0))
    new = tg.Variable(0.0)
    with pytest.raises(ValueError) as info:
        tg.load(path, {"w": w, "b": b, "new": new})
    message = str(info.value)
    assert message.startswith(f"cannot load {str(path)!r}: 4 problems\n")
    assert "  - 'w': variable 'w' has shape (3,) but the file holds shape (2,)" in message
    assert "  - 'b': variable 'b' has dtype float64 but the file holds dtype float32" in message
    assert "  - missing entry 'new' for variable 'new' of shape () and dtype float32" in message
    assert "  - unexpected entry 'old' (shape (), dtype float32) in the file" in message
    assert w.numpy().tolist() == [1.0, 2.0, 3.0] and float(b) == 7.0 and float(new) == 0.0


def test_optimizer_mismatches_are_listed(tmp_path):
    path = tmp_path / "c.npz"
    w = tg.Variable([1.0, 2.0])
    adam = opts.Adam(0.1)
    adam.apply_gradients([(tg.constant([1.0, 1.0]), w)])
    tg.save(path, {"w": w, "opt": adam})
    sgd = opts.SGD(0.1, momentum=0.9)
    with pytest.raises(ValueError) as info:
        tg.load(path, {"w": w, "opt": sgd})
    message = str(info.value)
    assert "optimizer 'opt' is a SGD but the file holds 'Adam'" in message
    assert "unexpected entry 'opt/slots/w/velocity' (shape (2,), dtype float32)" in message
    assert "unexpected entry 'opt/slots/w/first_step' (shape (), dtype int64)" in message
    assert int(sgd.iterations) == 0


def test_state_for_a_variable_that_objects_does_not_name(tmp_path):
    path = tmp_path / "c.npz"
    w = tg.Variable([1.0, 2.0])
    opt = opts.Adam(0.1)
    opt.apply_gradients([(tg.constant([1.0, 1.0]), w)])
    tg.save(path, {"w": w, "opt": opt})
    with pytest.raises(ValueError) as info:
        tg.load(path, {"v": tg.Variable([0.0, 0.0]), "opt": opts.Adam(0.1)})
    message = str(info.value)
    assert "optimizer 'opt' has state for 'w' in the file, but objects names no such variable" in (
        message
    )
    assert "missing entry 'v' for variable 'v'" in message
    assert "unexpected entry 'w'" in message
    assert "unexpected entry 'opt/slots/w/momentum'" not in message  # reported once, above


def test_a_missing_optimizer_is_reported(tmp_path):
    w = tg.Variable(1.0)
    tg.save(tmp_path / "c.npz", {"w": w})
    with pytest.raises(
        ValueError, match="missing entry 'opt/__class__': the file holds no optimizer"
    ):
        tg.load(tmp_path / "c.npz", {"w": w, "opt": opts.SGD()})


def test_saving_an_optimizer_needs_names_for_its_variables(tmp_path):
    named, unnamed = tg.Variable(1.0), tg.Variable([1.0, 2.0], name="hidden")
    opt = opts.Adam()
    opt.apply_gradients([(tg.constant(1.0), named), (tg.constant([1.0, 1.0]), unnamed)])
    message = (
        "optimizer 'opt' keeps state for variables that objects does not name: 'hidden:0' (2,); "
        "add them (or the models holding them) to objects"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        tg.save(tmp_path / "c.npz", {"w": named, "opt": opt})
    assert not (tmp_path / "c.npz").exists()


def test_bad_objects_are_refused():
    w = tg.Variable(1.0)
    with pytest.raises(TypeError, match="objects must be a dict"):
        tg.save("x.npz", [w])
    with pytest.raises(ValueError, match="checkpoint names must be non-empty strings without '/'"):
        tg.save("x.npz", {"a/b": w})
    with pytest.raises(TypeError, match="cannot checkpoint 'lr', a float"):
        tg.save("x.npz", {"lr": 0.1})
    with pytest.raises(ValueError, match="appears twice in objects, as 'a' and 'b'"):
        tg.save("x.npz", {"a": w, "b": w})
    with pytest.raises(ValueError, match="layer 'unbuilt' is not built yet"):
        tg.save("x.npz", {"m": tg.nn.Dense(3, name="unbuilt")})


def test_a_non_string_name_is_a_type_error():
    with pytest.raises(TypeError) as caught:
        tg.save("x.npz", {1: tg.Variable(1.0)})
    assert str(caught.value) == "checkpoint names must be strings, not int 1"


def test_names_the_npz_file_would_confuse_are_refused_at_save_time(tmp_path):
    path = tmp_path / "c.npz"
    with pytest.raises(ValueError) as caught:
        tg.save(path, {"w": tg.Variable([1.0]), "w.npy": tg.Variable([2.0])})
    assert str(caught.value) == (
        f"cannot save {str(path)!r}: 1 problem\n"
        "  - the names 'w' and 'w.npy' cannot both be saved: an .npz file stores 'w' in the "
        "member 'w.npy', which NumPy's reader returns when asked for 'w.npy'; rename 'w.npy' "
        "(e.g. without '.npy')"
    )
    with pytest.raises(ValueError) as caught:
        tg.save(path, {"a": tg.Variable([1.0]), "a\x00b": tg.Variable([2.0])})
    assert str(caught.value) == (
        f"cannot save {str(path)!r}: 1 problem\n"
        "  - the name 'a\\x00b' cannot be stored in a zip file as it is (it would be read back "
        "as 'a'): rename it"
    )
    assert not path.exists()
    tg.save(path, {"w.npy": tg.Variable([2.0])})  # alone, the name is read back as itself
    w = tg.Variable([0.0])
    tg.load(path, {"w.npy": w})
    assert w.numpy().tolist() == [2.0]


def test_save_and_load_name_the_callers_path_not_a_temporary_file(tmp_path):
    missing = os.path.join(str(tmp_path), "nodir", "c.npz")
    with pytest.raises(FileNotFoundError) as caught:
        tg.save(missing, {"v": tg.Variable(1.0)})
    assert str(caught.value) == (
        f"cannot save {missing!r}: the folder {os.path.dirname(missing)!r} does not exist "
        "(tg.save does not create folders; os.makedirs(folder, exist_ok=True) does)"
    )
    with pytest.raises(IsADirectoryError) as caught:
        tg.save(tmp_path, {"v": tg.Variable(1.0)})
    assert str(caught.value) == (
        f"cannot save {str(tmp_path)!r}: it is a folder; give a file path, such as "
        f"{os.path.join(str(tmp_path), 'checkpoint.npz')!r}"
    )
    assert os.listdir(tmp_path) == []  # no temporary file left behind
    with pytest.raises(IsADirectoryError) as caught:
        tg.load(tmp_path, {"v": tg.Variable(1.0)})
    assert str(caught.value) == f"[Errno 21] Is a directory: {str(tmp_path)!r}"


def test_a_model_that_shares_a_layer_round_trips(tmp_path):
    def shared_model(seed):
        d = tg.nn.Dense(2, input_dim=2, seed=seed)
        return tg.nn.Sequential([d, tg.nn.relu, d])

    model, other = shared_model(0), shared_model(1)
    tg.save(tmp_path / "c.npz", {"m": model})
    with np.load(tmp_path / "c.npz") as data:
        assert sorted(data.files) == [
            "__tapegrad_checkpoint__",
            "m/layers/0/bias",
            "m/layers/0/kernel",
        ]
    tg.load(tmp_path / "c.npz", {"m": other})
    np.testing.assert_array_equal(other.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())


def test_plain_dicts_and_lists_of_variables_get_nested_names(tmp_path):
    params = {"w": [tg.Variable(1.0), tg.Variable(2.0)], "b": tg.Variable(3.0)}
    tg.save(tmp_path / "c.npz", {"params": params})
    with np.load(tmp_path / "c.npz") as data:
        assert sorted(data.files) == [
            "__tapegrad_checkpoint__",
            "params/b",
            "params/w/0",
            "params/w/1",
        ]


# -- hostile files: loading never unpickles --------------------------------------------------
class Payload:
    """Unpickling this creates the file ``path``: a stand-in for running any code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_the_payload_really_runs_code_under_pickle(tmp_path):
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


def test_an_object_array_in_an_npz_is_refused_without_unpickling(tmp_path):
    marker, path = tmp_path / "pwned", tmp_path / "evil.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = Payload(marker)
    np.savez(path, __tapegrad_checkpoint__=np.asarray(1), w=evil)
    with pytest.raises(ValueError) as info:
        tg.load(path, {"w": tg.Variable(1.0)})
    assert "entry 'w' holds Python objects, which tapegrad never unpickles" in str(info.value)
    assert not marker.exists()


def test_a_pickle_file_is_refused_without_unpickling(tmp_path):
    marker, path = tmp_path / "pwned", tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"w": Payload(marker)}))
    with pytest.raises(ValueError, match="is not a tapegrad checkpoint"):
        tg.load(path, {"w": tg.Variable(1.0)})
    assert not marker.exists()


def test_other_files_are_refused_clearly(tmp_path):
    np.save(tmp_path / "bare.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"it holds one bare array \(.npy\)"):
        tg.load(tmp_path / "bare.npy", {"w": tg.Variable(1.0)})
    np.savez(tmp_path / "plain.npz", w=np.float32(1.0))
    with pytest.raises(ValueError, match="it has no '__tapegrad_checkpoint__' entry"):
        tg.load(tmp_path / "plain.npz", {"w": tg.Variable(1.0)})
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="is not a tapegrad checkpoint") as raised:
        tg.load(tmp_path / "text.npz", {"w": tg.Variable(1.0)})
    assert "allow_pickle" not in str(raised.value)  # NumPy's advice to unpickle is not passed on
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "absent.npz", {"w": tg.Variable(1.0)})


# -- atomic writes ----------------------------------------------------------------------------
def run_child(code: str, **kwargs):
    env = {**os.environ, "PYTHONPATH": os.path.abspath(SRC)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_a_crash_in_the_middle_of_writing_keeps_the_previous_checkpoint(tmp_path):
    path = tmp_path / "c.npz"
    child = run_child(
        f"""
        import os, signal
        import numpy as np
        import tapegrad as tg
        path = {str(path)!r}
        tg.save(path, {{"a": tg.Variable(np.ones(1000)), "b": tg.Variable(np.ones(1000))}})
        write = np.lib.format.write_array
        calls = []
        def dying_write(*args, **kwargs):
            calls.append(1)
            if len(calls) == 3:  # after the format entry and 'a': the process dies mid-file
                os.kill(os.getpid(), signal.SIGKILL)
            return write(*args, **kwargs)
        np.lib.format.write_array = dying_write
        tg.save(path, {{"a": tg.Variable(np.zeros(1000)), "b": tg.Variable(np.zeros(1000))}})
        """
    )
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    a, b = tg.Variable(np.zeros(1000)), tg.Variable(np.zeros(1000))
    tg.load(path, {"a": a, "b": b})
    assert a.numpy().min() == b.numpy().min() == 1.0
    torn, kept = sorted(p.name for p in tmp_path.iterdir())
    assert torn.startswith(".c.npz.") and torn.endswith(".partial")  # the temporary file
    assert kept == "c.npz"


def test_killing_a_process_while_it_saves_leaves_a_whole_checkpoint(tmp_path):
    path = tmp_path / "c.npz"
    n = 2_000_000
    child = run_child(
        f"""
        import numpy as np
        import tapegrad as tg
        path = {str(path)!r}
        version = 0
        while True:
            value = float(version)
            objects = {{k: tg.Variable(np.full({n}, value)) for k in "abc"}}
            print("saving", version, flush=True)
            tg.save(path, objects)
            version += 1
        """
    )
    try:
        for _ in range(3):  # let a few saves complete, then kill one part-way through
            child.stdout.readline()
        time.sleep(0.03)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    objects = {k: tg.Variable(np.zeros(n)) for k in "abc"}
    tg.load(path, objects)
    found = {float(v.numpy()[0]) for v in objects.values()}
    assert len(found) == 1 and found.pop() >= 1.0  # one whole save, never a mix
    for v in objects.values():
        assert v.numpy().min() == v.numpy().max()
