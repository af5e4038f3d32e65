"""Run the Array API standard's public test suite (data-apis/array-api-tests) on tapegrad and
summarise the result, with the failures grouped by reason.

    python tools/array_api_tests.py PATH/TO/array-api-tests [--max-examples 5] [-- pytest args]

The suite is not part of the project: check it out at the commit the catalogue issue names, with
the specification repository in its ``array-api/`` folder, and install its requirements
(pytest, pytest-json-report, hypothesis, ndindex) beside tapegrad.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite", help="path of a checkout of data-apis/array-api-tests")
    parser.add_argument("--max-examples", type=int, default=5)
    parser.add_argument("--version", default="2024.12")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    report = os.path.join(tempfile.mkdtemp(), "report.json")
    env = dict(os.environ, ARRAY_API_TESTS_MODULE="tapegrad", ARRAY_API_TESTS_VERSION=args.version)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "array_api_tests",
        f"--max-examples={args.max_examples}",
        "-q",
        "-p",
        "no:cacheprovider",
        "--json-report",
        f"--json-report-file={report}",
        *args.pytest_args,
    ]
    subprocess.run(command, cwd=args.suite, env=env, check=False)
    with open(report) as file:
        tests = json.load(file)["tests"]
    print(summary(tests))
    return 0


def summary(tests: list) -> str:
    outcomes = collections.Counter(t["outcome"] for t in tests)
    ran = outcomes["passed"] + outcomes["failed"]
    lines = [
        f"passed {outcomes['passed']} of {ran} run ({100 * outcomes['passed'] / max(ran, 1):.1f}%),"
        f" {outcomes['skipped']} skipped, {outcomes['error']} errors",
        "failures by reason:",
    ]
    reasons = collections.defaultdict(list)
    for t in tests:
        if t["outcome"] in ("failed", "error"):
            reasons[_reason(t)].append(t["nodeid"].split("::")[-1])
    for reason, names in sorted(reasons.items(), key=lambda item: -len(item[1])):
        shown = ", ".join(names[:6]) + (" ..." if len(names) > 6 else "")
        lines.append(f"  {len(names):4d}  {reason}\n        {shown}")
    return "\n".join(lines)


def _reason(test: dict) -> str:
    for stage in ("setup", "call"):
        crash = test.get(stage, {}).get("crash")
        if crash:
            message = crash.get("message", "").splitlines()[0]
            return re.sub(r"0x[0-9a-f]+|\d+(\.\d+)?", "N", message)[:110]
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
