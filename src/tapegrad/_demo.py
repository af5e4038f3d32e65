"""The seed tutorial run on tapegrad, section by section: ``python -m tapegrad demo``.

Each :class:`Section` holds a title, the code a user types, the mathematically expected
result in words, and a checker that compares what the code computed with that expectation.
The sections run in order in one namespace, as the cells of a notebook do, and the code's
printed output is captured and shown, so what the demo shows is what ran. A section that
reproduces a cell of the seed also carries the seed's printed output (``tf`` read as ``tg``),
and its output must match that text exactly.

To extend the demo, append a :class:`Section` to :data:`SECTIONS`.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import sys
import textwrap
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from ._tensor import Tensor

Namespace = dict[str, Any]
Checker = Callable[[Namespace, str], bool]

RULE = "=" * 78


@dataclass(frozen=True)
class Section:
    """One section of the demo.

    ``check(namespace, output)`` receives the namespace after the code ran and the code's
    printed output, and says whether the results are the expected ones.
    ``seed_output``, when given, is the text the seed printed for this cell.
    """

    title: str
    code: str
    expected: str
    check: Checker
    seed_output: str | None = None


@dataclass(frozen=True)
class Result:
    """What running a section gave: its output, whether it matched, and any error."""

    section: Section
    output: str
    values_ok: bool
    output_ok: bool | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.values_ok and self.output_ok is not False


def _code(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


# -- checkers ---------------------------------------------------------------------------

_RTOL = {"float16": 1e-3, "float32": 1e-6, "float64": 1e-12}


def _is_tensor(value: Any, expected: float, dtype: str = "float32") -> bool:
    """``value`` is a tapegrad tensor of ``dtype`` equal to ``expected`` to its precision."""
    if not isinstance(value, Tensor) or value.dtype.name != dtype:
        return False
    return bool(np.allclose(np.asarray(value), expected, rtol=_RTOL[dtype], atol=_RTOL[dtype]))


def _is_near(value: Any, expected: float, rtol: float) -> bool:
    """A number or array ``value`` within relative tolerance ``rtol`` of ``expected``."""
    return bool(np.allclose(np.asarray(value, dtype=float), expected, rtol=rtol, atol=0.0))


def _all_tensors(values: Any, expected: Sequence[Any]) -> bool:
    """A list of tensors (or None) matching ``expected`` element by element."""
    if not isinstance(values, list) or len(values) != len(expected):
        return False
    return all(
        v is None if e is None else _is_tensor(v, e) for v, e in zip(values, expected, strict=True)
    )


def _check_approximate(ns: Namespace, output: str) -> bool:
    x, x1, x2 = 1.0, 2.0, 3.0
    df = 6 * x + 2
    dg = (x2**2, 2 * x2 * (x1 + 5))
    return (
        _is_near(ns["df_approx"], df, rtol=1e-6)
        and _is_near(ns["df"], df, rtol=1e-6)
        and _is_near(ns["dg"], dg, rtol=1e-6)
    )


def _check_once(ns: Namespace, output: str) -> bool:
    x = float(ns["x"])
    raised = any("can only be called once" in line for line in output.splitlines()[-1:])
    return _is_tensor(ns["dz_x"], 2 * x) and raised


def _check_persistent(ns: Namespace, output: str) -> bool:
    x, y = float(ns["x"]), float(ns["y"])
    return _is_tensor(ns["dz_x"], 2 * x) and _is_tensor(ns["dz_y"], 2 * y)


def _check_both(ns: Namespace, output: str) -> bool:
    x, y = float(ns["x"]), float(ns["y"])
    return _all_tensors(ns["dz_xy"], [2 * x, 2 * y])


def _check_two_targets(ns: Namespace, output: str) -> bool:
    x = float(ns["x"])
    return _is_tensor(ns["dz_x"], 3 + 2 * x)


def _check_second_order(ns: Namespace, output: str) -> bool:
    x, y = float(ns["x"]), float(ns["y"])
    second = ns["out_gradient"]
    return (
        _all_tensors(ns["inner_gradients"], [4 * x**3, 2 * y])
        and isinstance(second, list)
        and len(second) == 2
        and _all_tensors(second[0], [12 * x**2, None])
        and _all_tensors(second[1], [None, 2.0])
    )


def _gradient_descent_iterate(steps: int = 100, learning_rate: float = 0.1) -> float:
    # x <- x - lr * (2x + 2) moves x + 1 by the factor 1 - 2 lr each step, from x = 0.
    return -1 + (1 - 2 * learning_rate) ** steps


def _check_descent(ns: Namespace, output: str) -> bool:
    return _is_tensor(ns["x"], _gradient_descent_iterate())


def _check_optimizer(ns: Namespace, output: str) -> bool:
    return _check_descent(ns, output) and int(ns["optimizer"].iterations) == 100


# -- the sections -----------------------------------------------------------------------

SECTIONS: list[Section] = [
    Section(
        title="1. Approximate derivatives",
        code=_code(
            """
            import tapegrad as tg


            def f(x):
                return 3.0 * x ** 2 + 2.0 * x - 1  # f'(x) = 6x + 2


            # move x by eps to each side; the slope between the two points is the derivative
            # when eps is small: (f(x + eps) - f(x - eps)) / ((x + eps) - (x - eps))
            def approximate_derivative(f, x, eps=1e-3):
                return (f(x + eps) - f(x - eps)) / (2 * eps)


            df_approx = approximate_derivative(f, 1.0)
            print(df_approx)
            # the same central difference, with the step chosen from x and its dtype
            df = tg.numerical.derivative(f, 1.0)
            print(df)


            def g(x1, x2):
                return (x1 + 5) * (x2 ** 2)  # dg/dx1 = x2 ** 2, dg/dx2 = 2 * x2 * (x1 + 5)


            dg = tg.numerical.gradient(g, 2.0, 3.0)  # (dg/dx1, dg/dx2)
            print(dg)
            """
        ),
        expected="f'(1) = 6x + 2 = 8 (twice); dg/dx1 = x2^2 = 9, dg/dx2 = 2 x2 (x1 + 5) = 42",
        check=_check_approximate,
    ),
    Section(
        title="2.1 Partial derivatives",
        code=_code(
            """
            def f(x, y):
                return x ** 2 + y ** 2 + 1  # the partial derivatives are 2x and 2y


            x = tg.Variable(2.0)
            y = tg.Variable(3.0)
            with tg.GradientTape() as tape:
                z = f(x, y)

            # dz/dx; by default a tape can be used only once, then it is released
            dz_x = tape.gradient(z, x)
            print(dz_x)
            try:
                dz_y = tape.gradient(z, y)
            except RuntimeError as re:
                print(re)
            """
        ),
        expected="dz/dx = 2x = 4; a second gradient call on a non-persistent tape "
        "raises RuntimeError",
        check=_check_once,
        seed_output="tg.Tensor(4.0, shape=(), dtype=float32)\n"
        "GradientTape.gradient can only be called once on non-persistent tapes.\n",
    ),
    Section(
        title="2.2 Persistent tapes",
        code=_code(
            """
            x = tg.Variable(2.0)
            y = tg.Variable(3.0)
            # a persistent tape allows many gradient calls; release it yourself with del tape
            with tg.GradientTape(persistent=True) as tape:
                z = f(x, y)

            dz_x = tape.gradient(z, x)
            dz_y = tape.gradient(z, y)
            print(dz_y)  # dz/dy = 2y => 2 * 3 = 6
            print(dz_x)
            del tape
            """
        ),
        expected="dz/dy = 2y = 6, dz/dx = 2x = 4",
        check=_check_persistent,
        seed_output="tg.Tensor(6.0, shape=(), dtype=float32)\n"
        "tg.Tensor(4.0, shape=(), dtype=float32)\n",
    ),
    Section(
        title="2.3 Several partial derivatives at once",
        code=_code(
            """
            x = tg.Variable(2.0)
            y = tg.Variable(3.0)
            with tg.GradientTape(persistent=True) as tape:
                z = f(x, y)

            # the partial derivatives with respect to x and y together
            dz_xy = tape.gradient(z, [x, y])  # a list, as the sources are
            print(dz_xy)

            del tape
            """
        ),
        expected="[dz/dx, dz/dy] = [2x, 2y] = [4, 6]",
        check=_check_both,
        seed_output="[<tg.Tensor: shape=(), dtype=float32, numpy=4.0>, "
        "<tg.Tensor: shape=(), dtype=float32, numpy=6.0>]\n",
    ),
    Section(
        title="2.4 tape.watch",
        code=_code(
            """
            x = tg.constant(2.0)
            y = tg.constant(3.0)
            with tg.GradientTape(persistent=True) as tape:
                tape.watch(x)  # constants are recorded only when watched
                tape.watch(y)
                z = f(x, y)

            dz_xy = tape.gradient(z, [x, y])
            print(dz_xy)

            del tape
            """
        ),
        expected="[dz/dx, dz/dy] = [2x, 2y] = [4, 6]",
        check=_check_both,
        seed_output="[<tg.Tensor: shape=(), dtype=float32, numpy=4.0>, "
        "<tg.Tensor: shape=(), dtype=float32, numpy=6.0>]\n",
    ),
    Section(
        title="2.5 One variable, two targets",
        code=_code(
            """
            x = tg.Variable(5.0)

            with tg.GradientTape() as tape:
                z1 = 3 * x
                z2 = x ** 2

            dz_x = tape.gradient([z1, z2], x)  # the sum of dz1/dx and dz2/dx
            print(dz_x)

            del tape
            """
        ),
        expected="dz1/dx + dz2/dx = 3 + 2x = 13",
        check=_check_two_targets,
        seed_output="tg.Tensor(13.0, shape=(), dtype=float32)\n",
    ),
    Section(
        title="2.6 Second derivatives",
        code=_code(
            """
            x = tg.Variable(2.0)
            y = tg.Variable(3.0)


            def f(x, y):
                return x ** 4 + y ** 2 + 1


            with tg.GradientTape(persistent=True) as out_tape:
                with tg.GradientTape(persistent=True) as inner_tape:
                    z = f(x, y)
                # the inner tape's gradient, recorded by the outer tape
                inner_gradients = inner_tape.gradient(z, [x, y])  # a list
            # differentiate the first derivatives again
            # first order: dz/dx = 4x^3, dz/dy = 2y => 4 * 8 = 32, 2 * 3 = 6
            # second order: d2z/dx2 = 12x^2, d2z/dy2 = 2, and None where unconnected
            out_gradient = [out_tape.gradient(inner_gradient, [x, y])
                            for inner_gradient in inner_gradients]
            print(inner_gradients)
            print(out_gradient)

            del inner_tape
            del out_tape
            """
        ),
        expected="[4x^3, 2y] = [32, 6]; [[12x^2, None], [None, 2]] = [[48, None], [None, 2]]",
        check=_check_second_order,
        seed_output="[<tg.Tensor: shape=(), dtype=float32, numpy=32.0>, "
        "<tg.Tensor: shape=(), dtype=float32, numpy=6.0>]\n"
        "[[<tg.Tensor: shape=(), dtype=float32, numpy=48.0>, None], "
        "[None, <tg.Tensor: shape=(), dtype=float32, numpy=2.0>]]\n",
    ),
    Section(
        title="3.1 Simple gradient descent",
        code=_code(
            """
            def f(x):
                return x ** 2 + 2 * x + 1


            learning_rate = 0.1
            x = tg.Variable(0.0)

            for _ in range(100):
                with tg.GradientTape() as tape:
                    z = f(x)
                dz_dx = tape.gradient(z, x)
                x.assign_sub(learning_rate * dz_dx)  # x <- x - learning_rate * dz/dx
            print(x)
            """
        ),
        expected="the minimum of (x + 1)^2 is at x = -1; each step multiplies x + 1 by 0.8, "
        "so after 100 steps x = -1 + 0.8^100 = -1 + 2.0e-10: -1 to float32 precision",
        check=_check_descent,
        seed_output="<tg.Variable 'Variable:0' shape=() dtype=float32, numpy=-0.9999999>\n",
    ),
    Section(
        title="3.2 Gradient descent with an optimizer",
        code=_code(
            """
            def f(x):
                return x ** 2 + 2 * x + 1


            learning_rate = 0.1
            x = tg.Variable(0.0)

            # stochastic gradient descent
            optimizer = tg.optimizers.SGD(learning_rate=learning_rate)

            for _ in range(100):
                with tg.GradientTape() as tape:
                    z = f(x)
                dz_dx = tape.gradient(z, x)
                # x.assign_sub(learning_rate * dz_dx) => optimizer.apply_gradients([(dz_dx, x)])
                # apply_gradients([(grad01, var01), (grad02, var02), ...])
                optimizer.apply_gradients([(dz_dx, x)])
            print(x)
            """
        ),
        expected="as in 3.1, x = -1 + 0.8^100: -1 to float32 precision, after 100 iterations",
        check=_check_optimizer,
        seed_output="<tg.Variable 'Variable:0' shape=() dtype=float32, numpy=-0.9999999>\n",
    ),
]


# -- running ----------------------------------------------------------------------------


def run_section(section: Section, namespace: Namespace) -> Result:
    """Run ``section.code`` in ``namespace``, capturing what it prints, then check it."""
    filename = f"<demo {section.title.split()[0]}>"
    lines = section.code.splitlines(keepends=True)
    linecache.cache[filename] = (len(section.code), None, lines, filename)
    buffer = io.StringIO()
    error = None
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        try:
            exec(compile(section.code, filename, "exec"), namespace)
        except Exception as exc:
            error = _format_error(exc, "the code raised")
    output = buffer.getvalue()
    values_ok = False
    if error is None:
        try:
            values_ok = bool(section.check(namespace, output))
        except Exception as exc:
            error = _format_error(exc, "the check raised")
    output_ok = None if section.seed_output is None else output == section.seed_output
    return Result(section, output, values_ok, output_ok, error)


def _format_error(exc: BaseException, what: str) -> str:
    # Leave out the runner's own frame: the traceback starts in the section's code.
    trace = traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next)
    return f"{what}:\n" + "".join(trace)


def run_demo(sections: Iterable[Section] | None = None, file: TextIO | None = None) -> list[Result]:
    """Run ``sections`` in order in one namespace and print each one with its verdict.

    ``sections`` defaults to :data:`SECTIONS`, ``file`` to standard output.
    """
    sections = SECTIONS if sections is None else sections
    file = sys.stdout if file is None else file
    namespace: Namespace = {"__name__": "__demo__"}
    results = []
    print("tapegrad demo: the automatic differentiation tutorial, section by section", file=file)
    for section in sections:
        result = run_section(section, namespace)
        results.append(result)
        print(_report(result), file=file, flush=True)
    print(_summary(results), file=file)
    return results


def _indent(text: str) -> str:
    return textwrap.indent(text.rstrip("\n"), "    ") if text.strip() else "    (nothing)"


def _report(result: Result) -> str:
    section = result.section
    parts = [
        "",
        RULE,
        section.title,
        RULE,
        "code:",
        _indent(section.code),
        "output:",
        _indent(result.output),
        f"expected: {section.expected}",
    ]
    if result.error is not None:
        parts += ["ERROR: " + result.error.splitlines()[0], _indent(result.error.split("\n", 1)[1])]
    parts.append(f"check:    {_verdict(result)}")
    if result.output_ok is False:
        parts += ["the seed printed:", _indent(section.seed_output or "")]
    return "\n".join(parts)


def _verdict(result: Result) -> str:
    if result.ok:
        seed = "; output as printed in the seed" if result.output_ok else ""
        return f"OK (values as expected{seed})"
    if result.error is not None:
        return "MISMATCH (error)"
    reasons = []
    if not result.values_ok:
        reasons.append("the values differ from the expected ones")
    if result.output_ok is False:
        reasons.append("the output differs from the seed's")
    return f"MISMATCH ({'; '.join(reasons)})"


def _summary(results: Sequence[Result]) -> str:
    failed = [r.section.title for r in results if not r.ok]
    line = f"{len(results) - len(failed)} of {len(results)} sections OK"
    if failed:
        line += "; MISMATCH in: " + ", ".join(failed)
    return f"\n{RULE}\n{line}"
