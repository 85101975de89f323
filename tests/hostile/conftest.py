"""Harness for the hostile-input suite: every case checks the same invariants.

A case runs one borderkit command (in-process through click's runner, or as a real
process when it needs signals, devices or a mount namespace) and asserts:

- the exit code (0 success, 1 runtime error, 2 usage error);
- the text the user is told (a fragment of the message);
- no traceback and no "internal error" in anything printed;
- every input file byte-for-byte unchanged (SHA-256 before and after);
- no temporary or partial file left beside any output;
- where a number is printed, the right number (the case checks it).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from borderkit.cli.main import main

BORDERKIT = [sys.executable, "-m", "borderkit"]


def sha256(path: Path) -> str | None:
    """SHA-256 of a regular file's bytes (None when it does not exist or is not a regular file)."""
    path = Path(path)
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Outcome:
    """What one hostile case produced."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def temp_leftovers(folder: Path, before: set[str]) -> list[str]:
    """Hidden temp files (borderkit's ``.<name>.*`` pattern) that appeared in ``folder``."""
    now = {p.name for p in Path(folder).iterdir()} if Path(folder).is_dir() else set()
    return sorted(n for n in now - before if n.startswith(".") and n not in (".", ".."))


def _snapshot(folders: Iterable[Path]) -> dict[Path, set[str]]:
    return {Path(f): ({p.name for p in Path(f).iterdir()} if Path(f).is_dir() else set()) for f in folders}


def check_invariants(
    outcome: Outcome,
    *,
    exit_code: int,
    says: Sequence[str] = (),
    hashes: dict[Path, str | None],
    snapshot: dict[Path, set[str]],
) -> None:
    """Assert the invariants every hostile case shares (see the module docstring)."""
    text = outcome.output
    assert outcome.exit_code == exit_code, f"exit {outcome.exit_code}, expected {exit_code}:\n{text}"
    assert "Traceback" not in text, text
    assert "internal error" not in text.lower(), text
    for fragment in says:
        assert fragment.lower() in text.lower(), f"{fragment!r} not in:\n{text}"
    for path, digest in hashes.items():
        assert sha256(path) == digest, f"input {path} was changed"
    for folder, before in snapshot.items():
        left = temp_leftovers(folder, before)
        assert not left, f"temporary files left in {folder}: {left}"


@pytest.fixture
def hostile(tmp_path):
    """Run a borderkit command in-process and check the shared invariants.

    ``hostile(*args, exit=2, says=["--crs"], inputs=[path, ...], input="stdin text",
    watch=[folder, ...])`` returns the :class:`Outcome`. ``inputs`` are hashed before and
    after; ``watch`` folders (default: ``tmp_path``) must gain no hidden temp files.
    """
    runner = CliRunner()

    def run(*args, exit: int, says: Sequence[str] = (), inputs: Sequence[Path] = (), input=None, watch=None):
        watch = [tmp_path] if watch is None else list(watch)
        hashes = {Path(p): sha256(Path(p)) for p in inputs}
        snapshot = _snapshot(watch)
        result = runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            import traceback

            raise AssertionError(
                "uncaught exception:\n" + "".join(traceback.format_exception(result.exception))
            ) from None
        outcome = Outcome(result.exit_code, result.stdout, result.stderr)
        check_invariants(outcome, exit_code=exit, says=says, hashes=hashes, snapshot=snapshot)
        return outcome

    return run


@pytest.fixture
def hostile_process(tmp_path):
    """Like :func:`hostile`, but runs ``python -m borderkit`` as a real process.

    ``prefix`` wraps the command (for example ``["unshare", "-m", "sh", "-c", ...]``).
    """

    def run(
        *args,
        exit: int,
        says: Sequence[str] = (),
        inputs: Sequence[Path] = (),
        input=None,
        watch=None,
        timeout: float = 300,
        env: dict | None = None,
    ):
        watch = [tmp_path] if watch is None else list(watch)
        hashes = {Path(p): sha256(Path(p)) for p in inputs}
        snapshot = _snapshot(watch)
        proc = subprocess.run(
            [*BORDERKIT, *map(str, args)],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )
        outcome = Outcome(proc.returncode, proc.stdout, proc.stderr)
        check_invariants(outcome, exit_code=exit, says=says, hashes=hashes, snapshot=snapshot)
        return outcome

    return run
