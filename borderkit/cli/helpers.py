"""Helpers for commands: read inputs and write outputs, the same way everywhere."""

from __future__ import annotations

import os
from pathlib import Path

import click

from borderkit.errors import UsageError

__all__ = ["write_text", "notes_to_stderr"]


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
    if not target.parent.exists():
        raise UsageError(f"-o {output!r}: folder {str(target.parent)!r} does not exist. Create it first.")
    with atomic_write(target, "w", encoding="utf-8") as fobj:
        fobj.write(text if text.endswith("\n") else text + "\n")
    click.echo(f"wrote {output}", err=True)


def notes_to_stderr(notes: list[str]) -> None:
    """Print notes (what borderkit assumed or changed) to stderr."""
    for note in notes:
        click.echo(f"note: {note}", err=True)
