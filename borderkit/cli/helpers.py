"""Helpers for commands: read inputs and write outputs, the same way everywhere."""

from __future__ import annotations

import os
from pathlib import Path

import click

from borderkit.errors import UsageError

__all__ = ["write_text", "notes_to_stderr", "check_output_path"]


def check_output_path(path: str | None, option: str) -> None:
    """Fail early, before any work, when an output file's folder does not exist."""
    if path is not None and not Path(path).resolve().parent.is_dir():
        raise UsageError(f"{option} {path!r}: folder {str(Path(path).parent)!r} does not exist. Create it first.")


def write_text(text: str, output: str | None, *, inputs: tuple[str, ...] = ()) -> None:
    """Write ``text`` to ``output`` atomically, or to stdout when ``output`` is None.

    Refuses to write over any of ``inputs``: borderkit never overwrites its input.
    """
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from borderkit.io import atomic_write

    target = Path(output)
    for src in inputs:
        if src != "-" and Path(src).exists() and target.exists() and os.path.samefile(src, target):
            raise UsageError(
                f"-o {output!r} is the input file; borderkit never overwrites its input. Choose another output path."
            )
    check_output_path(output, "-o")
    with atomic_write(target, "w", encoding="utf-8") as fobj:
        fobj.write(text if text.endswith("\n") else text + "\n")
    click.echo(f"wrote {output}", err=True)


def notes_to_stderr(notes: list[str]) -> None:
    """Print notes (what borderkit assumed or changed) to stderr."""
    for note in notes:
        click.echo(f"note: {note}", err=True)
