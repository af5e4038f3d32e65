"""``python -m tapegrad demo``: every section runs, matches its expected value and the seed."""

from __future__ import annotations

import doctest
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tapegrad
from tapegrad import _demo
from tapegrad.__main__ import main

SEED_TITLES = [
    "1. Approximate derivatives",
    "2.1 Partial derivatives",
    "2.2 Persistent tapes",
    "2.3 Several partial derivatives at once",
    "2.4 tape.watch",
    "2.5 One variable, two targets",
    "2.6 Second derivatives",
    "3.1 Simple gradient descent",
    "3.2 Gradient descent with an optimizer",
]

# The seed's printed output, cell by cell, with tf read as tg.
SEED_OUTPUT = {
    "2.1 Partial derivatives": [
        "tg.Tensor(4.0, shape=(), dtype=float32)",
        "GradientTape.gradient can only be called once on non-persistent tapes.",
    ],
    "2.2 Persistent tapes": [
        "tg.Tensor(6.0, shape=(), dtype=float32)",
        "tg.Tensor(4.0, shape=(), dtype=float32)",
    ],
    "2.3 Several partial derivatives at once": [
        "[<tg.Tensor: shape=(), dtype=float32, numpy=4.0>, "
        "<tg.Tensor: shape=(), dtype=float32, numpy=6.0>]",
    ],
    "2.4 tape.watch": [
        "[<tg.Tensor: shape=(), dtype=float32, numpy=4.0>, "
        "<tg.Tensor: shape=(), dtype=float32, numpy=6.0>]",
    ],
    "2.5 One variable, two targets": ["tg.Tensor(13.0, shape=(), dtype=float32)"],
    "2.6 Second derivatives": [
        "[<tg.Tensor: shape=(), dtype=float32, numpy=32.0>, "
        "<tg.Tensor: shape=(), dtype=float32, numpy=6.0>]",
        "[[<tg.Tensor: shape=(), dtype=float32, numpy=48.0>, None], "
        "[None, <tg.Tensor: shape=(), dtype=float32, numpy=2.0>]]",
    ],
    "3.1 Simple gradient descent": [
        "<tg.Variable 'Variable:0' shape=() dtype=float32, numpy=-0.9999999>",
    ],
    "3.2 Gradient descent with an optimizer": [
        "<tg.Variable 'Variable:0' shape=() dtype=float32, numpy=-0.9999999>",
    ],
}


@pytest.fixture(scope="module")
def demo() -> tuple[list[_demo.Result], str]:
    out = io.StringIO()
    results = _demo.run_demo(file=out)
    return results, out.getvalue()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def test_every_section_passes(demo):
    results, text = demo
    failed = [r.section.title for r in results if not r.ok]
    assert not failed, text
    assert all(r.values_ok and r.error is None for r in results)
    n = len(_demo.SECTIONS)
    assert text.rstrip().endswith(f"{n} of {n} sections OK")


def test_the_seed_sections_come_first_in_order(demo):
    results, _ = demo
    assert [r.section.title for r in results[: len(SEED_TITLES)]] == SEED_TITLES


def test_each_section_prints_the_seed_output(demo):
    results, _ = demo
    by_title = {r.section.title: r for r in results}
    for title, lines in SEED_OUTPUT.items():
        assert by_title[title].output.splitlines() == lines, title
        assert by_title[title].output_ok is True


def test_report_shows_title_code_output_expected_and_verdict(demo):
    results, text = demo
    lines = _lines(text)
    for title in SEED_TITLES:
        assert title in lines
    for seed_lines in SEED_OUTPUT.values():
        for line in seed_lines:
            assert line in lines
    assert "expected: dz/dx = 2x = 4; a second gradient call on a non-persistent tape " in text
    for result in results:
        shown = "\n".join(
            "    " + line if line else "" for line in result.section.code.splitlines()
        )
        assert shown in text
        assert f"expected: {result.section.expected}" in lines
    with_seed = sum(r.section.seed_output is not None for r in results)
    assert with_seed >= len(SEED_OUTPUT)
    verdict = "check:    OK (values as expected; output as printed in the seed)"
    assert lines.count(verdict) == with_seed
    assert "MISMATCH" not in text


def test_code_is_written_for_tapegrad():
    for section in _demo.SECTIONS:
        assert "tf." not in section.code and "keras" not in section.code
    assert _demo.SECTIONS[0].code.startswith("import tapegrad as tg\n")
    code_2_1 = _demo.SECTIONS[1].code
    assert "tg.GradientTape() as tape" in code_2_1 and "persistent=True" not in code_2_1
    assert "tg.optimizers.SGD(learning_rate=learning_rate)" in _demo.SECTIONS[8].code


def test_numerical_section_shows_both_derivatives(demo):
    results, _ = demo
    code = results[0].section.code
    assert "(f(x + eps) - f(x - eps)) / (2 * eps)" in code
    assert "tg.numerical.derivative(f, 1.0)" in code
    approx, numerical, gradient = results[0].output.splitlines()
    assert abs(float(approx) - 8.0) < 1e-9
    assert abs(float(numerical) - 8.0) < 1e-8
    assert gradient.startswith("(array(")


def _section(code: str, check, seed_output=None) -> _demo.Section:
    return _demo.Section("9.9 Test", code, "x = 1", check, seed_output)


def test_a_wrong_value_is_a_mismatch():
    out = io.StringIO()
    ok = _section("x = 2\nprint(x)\n", lambda ns, output: ns["x"] == 1)
    (result,) = _demo.run_demo([ok], file=out)
    assert not result.ok and result.output == "2\n"
    assert "MISMATCH (the values differ from the expected ones)" in out.getvalue()
    assert "0 of 1 sections OK; MISMATCH in: 9.9 Test" in out.getvalue()


def test_output_unlike_the_seed_is_a_mismatch():
    section = _section("print(1.0)\n", lambda ns, output: True, seed_output="1\n")
    out = io.StringIO()
    (result,) = _demo.run_demo([section], file=out)
    assert result.values_ok and result.output_ok is False and not result.ok
    assert "the output differs from the seed's" in out.getvalue()
    assert "the seed printed:" in out.getvalue()


def test_an_error_is_reported_with_its_traceback():
    section = _section("print('before')\n1 / 0\n", lambda ns, output: True)
    out = io.StringIO()
    (result,) = _demo.run_demo([section], file=out)
    assert not result.ok and "ZeroDivisionError" in result.error
    assert "1 / 0" in result.error  # the traceback quotes the section's code
    text = out.getvalue()
    assert "before" in text and "ERROR: the code raised:" in text
    assert "MISMATCH (error)" in text


def test_sections_share_one_namespace():
    first = _section("a = 20\n", lambda ns, output: True)
    second = _section("print(a + 1)\n", lambda ns, output: ns["a"] == 20)
    results = _demo.run_demo([first, second], file=io.StringIO())
    assert all(r.ok for r in results) and results[1].output == "21\n"


def test_main_exits_1_on_a_mismatch(monkeypatch, capsys):
    bad = _section("x = 2\n", lambda ns, output: ns["x"] == 1)
    monkeypatch.setattr(_demo, "SECTIONS", [bad])
    assert main(["demo"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h"], ["demo", "--help"]])
def test_usage(argv, capsys):
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m tapegrad <command>")
    assert "demo" in out


@pytest.mark.parametrize("argv", [["bogus"], ["demo", "extra"]])
def test_bad_command_exits_2(argv, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "error:" in captured.err and argv[-1] in captured.err
    assert "usage: python -m tapegrad" in captured.err


def _run_module(*args: str) -> subprocess.CompletedProcess:
    src = str(Path(tapegrad.__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": src if not path else src + os.pathsep + path}
    return subprocess.run(
        [sys.executable, "-m", "tapegrad", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_demo_as_a_command():
    proc = _run_module("demo")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr  # stderr carries only the training progress bars
    lines = _lines(proc.stdout)
    for title in SEED_TITLES:
        assert title in lines
    for seed_lines in SEED_OUTPUT.values():
        for line in seed_lines:
            assert line in lines
    n = len(_demo.SECTIONS)
    assert f"{n} of {n} sections OK" in lines
    accuracy = next(line for line in lines if line.startswith("held-out test accuracy: "))
    assert float(accuracy.split(": ")[1].rstrip("%")) >= 95.0
    assert lines[-1] == "check:    OK"


def test_unknown_command_as_a_command():
    proc = _run_module("bogus")
    assert proc.returncode == 2
    assert "unknown command 'bogus'" in proc.stderr


def _readme_examples() -> list[str]:
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = text.split("```python\n")[1:]
    return [block.split("```", 1)[0] for block in blocks]


def test_readme_examples_run():
    blocks = _readme_examples()
    assert len(blocks) >= 5
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict = {}
    for number, block in enumerate(blocks):
        test = parser.get_doctest(block, globs, f"README.md example {number + 1}", "README.md", 0)
        runner.run(test, out=_fail_with, clear_globs=False)
        globs = test.globs  # the examples build on each other, as in a session
    assert runner.summarize(verbose=False).failed == 0


def _fail_with(report: str) -> None:
    pytest.fail(report, pytrace=False)
