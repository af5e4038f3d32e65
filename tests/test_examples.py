"""The example scripts and the digits training run, on small settings."""

import os
import runpy
import sys

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")


def example(name: str) -> dict:
    """The namespace of ``examples/<name>.py``, loaded without running its ``__main__`` block."""
    return runpy.run_path(os.path.join(EXAMPLES, f"{name}.py"), run_name=f"example_{name}")


def test_logistic_regression_agrees_with_scikit_learn(capsys):
    pytest.importorskip("sklearn")
    result = example("logistic_regression")["main"](["--samples", "200", "--C", "0.5"])
    assert result["difference"] < 1e-4
    assert "largest coefficient difference from scikit-learn" in capsys.readouterr().out


def test_newton_method_converges_quadratically(capsys):
    result = example("newton_method")["main"](["--samples", "500", "--features", "5"])
    norms = [norm for _, norm in result["history"]]
    assert norms[-1] < 1e-10 and len(norms) <= 10
    # quadratic convergence: near the end each norm is at most about the square of the last
    assert norms[-1] < 10 * norms[-2] ** 2
    assert "iteration 0: loss 0.693147180560" in capsys.readouterr().out


def test_rosenbrock_bridge_beats_finite_differences(capsys):
    pytest.importorskip("scipy")
    result = example("rosenbrock_scipy")["main"](["--dim", "10"])
    assert result["ratio"] >= 5
    for run in result["results"].values():
        np.testing.assert_allclose(run.x, np.ones(10), atol=1e-4)
    assert "Newton-CG, tapegrad hessp" in capsys.readouterr().out


@pytest.mark.cluster
def test_dask_logistic_regression_on_a_local_cluster_agrees_with_scikit_learn(capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("distributed")
    argv = ["--check", "--rows", "40000", "--chunk-rows", "10000", "--workers", "1"]
    result = example("dask_logistic_regression")["main"](argv)
    assert result["difference"] < 1e-8  # Newton's method to convergence against newton-cholesky
    losses = [loss for loss, _, _ in result["history"]]
    assert all(b <= a + 1e-15 for a, b in zip(losses, losses[1:])) and len(losses) <= 10
    assert result["history"][-1][1] <= 1e-10  # the largest gradient entry
    out = capsys.readouterr().out
    assert "40,000 rows x 20 features + label, float64: 6.7 MB in 4 chunks" in out
    assert "running on a LocalCluster of 1 worker process, 1 thread each" in out
    assert "step 1/20: loss " in out
    assert "largest coefficient difference from scikit-learn" in out


# -- the digits run ------------------------------------------------------------------------------
def test_digits_trains_with_a_progress_bar_and_writes_the_plot(tmp_path, capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    pytest.importorskip("tqdm")
    from tapegrad import _digits

    plot = tmp_path / "digits.png"
    assert _digits.main(["--epochs", "2", "--hidden", "16", "--plot", str(plot)]) == 0
    out, err = capsys.readouterr()
    assert f"plot of training loss and test accuracy written to {plot}" in out
    assert "held-out test accuracy: " in out
    assert "epoch 1/2" in err and "epoch 2/2" in err and "test accuracy=" in err
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_digits_history_and_accuracy_on_a_short_run(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    pytest.importorskip("tqdm")
    from tapegrad import _digits

    result = _digits.train_digits(
        epochs=3, hidden=32, learning_rate=0.01, plot_path=None, progress=False
    )
    history = result["history"]
    assert [len(v) for v in history.values()] == [3, 3, 3]
    assert history["train_loss"][2] < history["train_loss"][0]
    assert result["test_accuracy"] == history["test_accuracy"][-1] > 0.9
    assert result["plot_path"] is None


def test_digits_without_scikit_learn_says_how_to_install_it(monkeypatch, capsys):
    from tapegrad import _digits

    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert _digits.main(["--epochs", "1"]) == 1
    out = capsys.readouterr().out
    assert "the digits example needs scikit-learn, tqdm and matplotlib (sklearn is missing)" in out
    assert "pip install 'tapegrad[examples]'" in out
    with pytest.raises(ImportError, match=r"pip install 'tapegrad\[examples\]'"):
        _digits.train_digits(epochs=1)
