"""The public API is typed for users: mypy sees the real functions behind borderkit's lazy names.

``borderkit/__init__.py`` imports its public names lazily (``__getattr__``), which would leave
every ``borderkit.<name>`` untyped (Any) for a type checker despite ``py.typed``. These tests run
mypy, as a user would, on a snippet that calls the API correctly and on one that gets argument
types wrong: the wrong calls must be reported, and the right ones not.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

GOOD = """
import borderkit

total_km2: float = float(borderkit.area(borderkit.load("countries"), method="geodesic", unit="km2").sum())
case = borderkit.use_case(None)
name: str = borderkit.current_case().name
table = borderkit.observed("maps/", every="week", between=None).table
reveal_type(borderkit.area)
"""

# Each wrong line, and the mypy error code it must raise.
BAD = {
    "borderkit.area(None, method=1)": "arg-type",
    "borderkit.use_case(3)": "arg-type",
    'borderkit.observed("maps/", every=7)': "arg-type",
    "borderkit.aera": "attr-defined",  # a misspelt name is an error, not an untyped Any
}


def _mypy(tmp_path: Path, cache: Path, **snippets: str) -> str:
    """Run mypy on the snippets as a user's files (outside the repo, so without its config).

    ``cache`` is mypy's incremental cache: kept between test runs, mypy re-checks only the
    modules that changed (a cold run re-checks numpy, pandas and borderkit: ~8 s).
    """
    for name, text in snippets.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-error-summary"]
        + [f"{name}.py" for name in snippets],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode in (0, 1), run.stderr  # 2: mypy itself failed (bad config, crash)
    return run.stdout


def test_mypy_types_the_lazy_public_api(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    bad = "import borderkit\n" + "\n".join(BAD)
    store = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
    cache = store.mkdir("mypy-user-snippets") if store is not None else tmp_path / ".mypy_cache"
    out = _mypy(tmp_path, cache, good=GOOD, bad=bad)
    good_errors = [line for line in out.splitlines() if line.startswith("good.py") and ": error:" in line]
    assert good_errors == []
    revealed = re.search(r'good\.py:\d+: note: Revealed type is "(.*)"', out)
    assert revealed is not None, out
    assert revealed.group(1).startswith("def (geoms"), revealed.group(1)  # the function, not Any
    found = {int(n): code for n, code in re.findall(r"^bad\.py:(\d+): error: .*\[([a-z-]+)\]$", out, re.M)}
    expected = dict(enumerate(BAD.values(), start=2))  # line 1 is the import
    assert found == expected, out
