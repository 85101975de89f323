"""Helpers for commands: read inputs and write outputs, the same way everywhere."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping

import click

from borderkit.errors import UsageError

__all__ = ["info", "guard_outputs", "write_text", "notes_to_stderr", "check_output_path"]

#: Files that belong to a Shapefile besides the ``.shp``: writing over one corrupts the input.
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")


def _input_files(inputs: Iterable[str | os.PathLike | None]) -> list[tuple[str, str]]:
    """Return (as given, existing file) pairs for every input file, with a Shapefile's parts.

    Layer names, ``-`` (stdin) and paths that do not exist are skipped: they cannot be
    overwritten. A folder input (a Shapefile folder) contributes the files in it.
    """
    found: list[tuple[str, str]] = []
    for given in inputs:
        if given is None or os.fspath(given) in ("", "-"):
            continue
        given = os.fspath(given)
        if os.path.isdir(given):
            with os.scandir(given) as entries:
                found += [(given, e.path) for e in entries if e.is_file()]
            continue
        if not os.path.isfile(given):
            continue
        found.append((given, given))
        if given.lower().endswith(".shp"):
            stem = given[: -len(".shp")]
            for ext in _SHAPEFILE_PARTS:
                for part in (stem + ext, stem + ext.upper()):
                    if part != given and os.path.isfile(part):
                        found.append((given, part))
    return found


def _how_same(output: str, other: str) -> str:
    """Name how two paths reach one file: the same path, a symbolic link or a hard link."""
    if os.path.abspath(output) == os.path.abspath(other):
        return "the same path"
    if os.path.realpath(output) == os.path.realpath(other):
        return "a symbolic link to the same file"
    return "a hard link to the same file"


def _identity(path: str) -> tuple:
    """Return what makes two outputs one file: (device, inode) when it exists, else the resolved path."""
    try:
        st = os.stat(path)
        return ("inode", st.st_dev, st.st_ino)
    except OSError:
        return ("path", os.path.realpath(path))


def _bundled_data() -> str | None:
    from borderkit.errors import DataIntegrityError

    try:
        from borderkit.registry import data_dir

        return os.path.realpath(data_dir())
    except DataIntegrityError:
        return None


def _check_one(option: str, path: str) -> str:
    """Check one output path before any work; return its kind (see :func:`borderkit.io.output_kind`)."""
    from borderkit.io import output_kind

    if not path.strip():
        raise UsageError(f"{option} is empty. Give a file path, e.g. {option} out.csv.")
    kind = output_kind(path)
    if kind == "folder" or path.endswith(("/", os.sep)):
        raise UsageError(
            f"{option} {path!r} is a folder. Give a file path, e.g. {option} {os.path.join(path, 'out.csv')!r}."
        )
    if kind == "block-device":
        raise UsageError(
            f"{option} {path!r} is a block device (a disk); borderkit will not write to it. "
            "Allowed: a file, a character device such as /dev/null, a FIFO or /dev/stdout. Choose another path."
        )
    if kind == "socket":
        raise UsageError(
            f"{option} {path!r} is a socket, which cannot be opened as a file. "
            "Allowed: a file, a character device, a FIFO or /dev/stdout. Choose another path."
        )
    if kind != "replace":
        if not os.access(path, os.W_OK):
            raise UsageError(f"{option} {path!r} cannot be written (permission denied). Choose another path.")
        return kind
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    shown = folder if os.path.islink(path) else (os.path.dirname(path) or folder)  # a link: where it points
    if not os.path.exists(folder):
        raise UsageError(
            f"{option} {path!r}: folder {shown!r} does not exist. Create it first or choose another {option}."
        )
    if not os.path.isdir(folder):
        raise UsageError(f"{option} {path!r}: {shown!r} is a file, not a folder. Choose another {option}.")
    if not os.access(folder, os.W_OK | os.X_OK):
        readonly = False
        with contextlib.suppress(OSError):
            readonly = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        reason = "is on a read-only file system" if readonly else "cannot be written (permission denied)"
        raise UsageError(
            f"{option} {path!r}: folder {folder!r} {reason}. Choose a folder you can write to with {option}."
        )
    if os.path.exists(target) and not os.access(target, os.W_OK):
        raise UsageError(
            f"{option} {path!r} exists and is read-only; borderkit will not replace it. "
            f"Make it writable or choose another {option}."
        )
    return kind


def guard_outputs(outputs: Mapping[str, str | os.PathLike | None], *, inputs: Iterable = ()) -> None:
    """Refuse bad output paths before any work: the one output guard every command calls.

    Parameters
    ----------
    outputs
        Option name -> path of every file the command will write, e.g.
        ``{"-o": output, "--png": png}``; ``None`` (not given) is skipped.
    inputs
        Every file the command reads (paths, layer names or ``-``; only existing files
        count). A Shapefile's sidecar files and the files of a folder input count too.

    Raises
    ------
    UsageError
        (exit 2) An output is empty, a folder, a block device or a socket; its folder does
        not exist, is a file, is read-only or not writable; it is read-only itself; it is
        the same file as an input or as borderkit's bundled data (same path, symbolic link
        or hard link: compared by device and inode); or two outputs are one file.

    Notes
    -----
    Why before any work: a command that computes for minutes and then fails to write has
    wasted the user's time, and one that writes over its input destroys it. Why by inode:
    a symlink or hard link to an input is the input. Character devices, FIFOs and
    /dev/stdout are allowed (they are streamed to, not replaced), and two such outputs may
    coincide (``-o /dev/null --png /dev/null``).
    """
    given = {opt: os.fspath(p) for opt, p in outputs.items() if p is not None}
    if not given:
        return
    kinds = {opt: _check_one(opt, path) for opt, path in given.items()}
    sources = _input_files(inputs)
    data = _bundled_data()
    for opt, path in given.items():
        if kinds[opt] != "replace":
            continue
        for shown, src in sources:
            if os.path.exists(path) and os.path.samefile(path, src):
                what = "the input" if src == shown else f"a part of the input {shown!r}:"
                raise UsageError(
                    f"{opt} {path!r} is {what} {src!r} ({_how_same(path, src)}); borderkit never overwrites "
                    f"its input. Allowed: a path that is not one of the inputs. Choose another {opt} path."
                )
        real = os.path.realpath(path)
        if data is not None and (real == data or real.startswith(data + os.sep)):
            raise UsageError(
                f"{opt} {path!r} is inside borderkit's bundled data ({data}); borderkit never overwrites "
                f"its input. Choose another {opt} path."
            )
    seen: dict[tuple, str] = {}
    for opt, path in given.items():
        if kinds[opt] != "replace":
            continue
        key = _identity(path)
        if key in seen:
            first = seen[key]
            raise UsageError(
                f"{first} {given[first]!r} and {opt} {path!r} are the same file; the second would replace "
                f"the first. Give each output its own path."
            )
        seen[key] = opt


def check_output_path(path: str | None, option: str) -> None:
    """Check one output before any work (kept for callers; :func:`guard_outputs` checks several)."""
    guard_outputs({option: path})


def write_text(text: str, output: str | None, *, inputs: tuple = (), option: str = "-o") -> None:
    """Write ``text`` to ``output`` atomically, or to stdout when ``output`` is None.

    The output is checked again just before writing (:func:`guard_outputs`: never an input,
    never a folder...), then written by :func:`borderkit.io.write_output`, the one writer.
    """
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from borderkit.io import write_output

    guard_outputs({option: output}, inputs=inputs)
    write_output(output, text if text.endswith("\n") else text + "\n", option=option)
    info(f"wrote {output}")


def notes_to_stderr(notes: list[str]) -> None:
    """Print notes (what borderkit assumed or changed) to stderr."""
    for note in notes:
        info(f"note: {note}")


def info(message: str) -> None:
    """Print a message for the user on stderr (notes, "wrote ..."), unless ``-q`` was given.

    Data goes to stdout and errors are always shown; only these informational lines are
    quieted, so ``borderkit -q area ... | jq`` stays silent on a terminal.
    """
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    if (obj or {}).get("verbosity", 0) < 0:
        return
    click.echo(message, err=True)
