"""Helpers for commands: read inputs and write outputs, the same way everywhere."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterable, Mapping

import click

from borderkit.errors import UsageError

__all__ = [
    "info",
    "guard_outputs",
    "output_format",
    "write_text",
    "write_table",
    "write_features",
    "command_line",
    "notes_to_stderr",
    "check_output_path",
    "TABLE_FORMATS",
    "VECTOR_OUTPUTS",
]

#: Files that belong to a Shapefile besides the ``.shp``: writing over one corrupts the input.
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")

#: The file name endings an output in a fixed format must have: (what, endings), from
#: :data:`borderkit.io.OUTPUT_FORMATS` (imported late: io pulls in geopandas).
_FIXED = {
    "png": ("a PNG", (".png",)),
    "geotiff": ("a GeoTIFF", (".tif", ".tiff")),
    "html": ("an HTML map", (".html", ".htm")),
}
_PNG, _GEOTIFF, _HTML = _FIXED["png"], _FIXED["geotiff"], _FIXED["html"]
#: Formats of commands that print tables; commands with features add :data:`VECTOR_OUTPUTS`.
TABLE_FORMATS = ("table", "csv", "json", "markdown")
#: The vector formats ``-o`` can pick by its ending (see :data:`borderkit.io.OUTPUT_FORMATS`).
VECTOR_OUTPUTS = ("geojson", "geojsonseq", "gpkg", "parquet", "fgb")
#: Option -> format, whatever the command.
_OPTION_FORMATS = {"--png": _PNG, "--probability-raster": _GEOTIFF}
#: (command path, option) -> format, for options such as -o whose format depends on the command.
_COMMAND_FORMATS = {
    (("terrain", "hillshade"), "-o"): _GEOTIFF,
    (("terrain", "slope"), "-o"): _GEOTIFF,
    (("terrain", "viewshed"), "-o"): _GEOTIFF,
    (("map",), "-o"): _HTML,
}


def _identity(st: os.stat_result) -> tuple:
    return ("inode", st.st_dev, st.st_ino)


def _input_files(inputs: Iterable[str | os.PathLike | None]) -> list[tuple[str, str, tuple]]:
    """Return (as given, existing file, identity) for every input file, with a Shapefile's parts.

    Layer names, ``-`` (stdin) and paths that do not exist are skipped: they cannot be
    overwritten. A folder input (a Shapefile folder) contributes the files in it. Every
    name counts the same (``/proc/self/cwd/x``, ``/dev/fd/3``, links): what is compared
    is the file reached, by device and inode.
    """
    found: list[tuple[str, str, tuple]] = []

    def add(shown: str, path: str) -> None:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            if stat.S_ISREG(st.st_mode):
                found.append((shown, path, _identity(st)))

    for given in inputs:
        if given is None or os.fspath(given) in ("", "-"):
            continue
        given = os.fspath(given)
        if os.path.isdir(given):
            with contextlib.suppress(OSError), os.scandir(given) as entries:
                for entry in entries:
                    add(given, entry.path)
            continue
        if not os.path.isfile(given):
            continue
        add(given, given)
        if given.lower().endswith(".shp"):
            stem = given[: -len(".shp")]
            for ext in _SHAPEFILE_PARTS:
                for part in (stem + ext, stem + ext.upper()):
                    if part != given and os.path.isfile(part):
                        add(given, part)
    return found


def _how_same(output: str, other: str) -> str:
    """Name how two paths reach one file: the same path, a link (symbolic, /proc, /dev/fd) or a hard link."""
    if os.path.abspath(output) == os.path.abspath(other):
        return "the same path"
    if os.path.realpath(output) == os.path.realpath(other):
        return "another name for the same file, through a link"
    return "a hard link to the same file"


def _bundled_data() -> str | None:
    from borderkit.errors import DataIntegrityError

    try:
        from borderkit.registry import data_dir

        return os.path.realpath(data_dir())
    except DataIntegrityError:
        return None


def _bundled_identities(data: str) -> set[tuple]:
    """Device and inode of every file in the bundled data (a few dozen files)."""
    found: set[tuple] = set()
    for folder, _, files in os.walk(data):
        for name in files:
            with contextlib.suppress(OSError):
                found.add(_identity(os.stat(os.path.join(folder, name))))
    return found


def _stdin_identity() -> os.stat_result | None:
    """``fstat`` of the file stdin reads, or None when stdin is not a file descriptor (tests)."""
    try:
        return os.fstat(sys.stdin.fileno())
    except (OSError, ValueError, AttributeError):
        return None


def _command_path() -> tuple[str, ...]:
    """Return the running command's names below the root, e.g. ("terrain", "hillshade")."""
    ctx = click.get_current_context(silent=True)
    names: list[str] = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return tuple(reversed(names))


def _expected_format(option: str, formats: Mapping[str, tuple] | None) -> tuple | None:
    if formats is not None and option in formats:
        return formats[option]
    return _OPTION_FORMATS.get(option) or _COMMAND_FORMATS.get((_command_path(), option))


def _check_one(option: str, path: str):
    """Check one output path before any work; return what it is (:func:`borderkit.io.resolve_output`)."""
    from borderkit.io import resolve_output

    if not path.strip():
        raise UsageError(f"{option} is empty. Give a file path, e.g. {option} out.csv.")
    res = resolve_output(path)
    kind = res.kind
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
    if res.problem is not None:
        raise UsageError(f"{option} {path!r} cannot be written: {res.problem}. Choose another {option} path.")
    if kind != "replace":
        if not os.access(path, os.W_OK):
            raise UsageError(f"{option} {path!r} cannot be written (permission denied). Choose another path.")
        return res
    target = res.target
    assert target is not None  # a "replace" output always has its real path (resolve_output)
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
    if res.stat is not None and not os.access(target, os.W_OK):
        raise UsageError(
            f"{option} {path!r} exists and is read-only; borderkit will not replace it. "
            f"Make it writable or choose another {option}."
        )
    return res


def guard_outputs(
    outputs: Mapping[str, str | os.PathLike | None],
    *,
    inputs: Iterable = (),
    formats: Mapping[str, tuple[str, tuple[str, ...]]] | None = None,
) -> None:
    """Refuse bad output paths before any work: the one output guard every command calls.

    Parameters
    ----------
    outputs
        Option name -> path of every file the command will write, e.g.
        ``{"-o": output, "--png": png}``; ``None`` (not given) is skipped.
    inputs
        Every file the command reads (paths, layer names or ``-``; only existing files
        count). A Shapefile's sidecar files and the files of a folder input count too, and
        so does stdin when ``-`` is one of them.
    formats
        Option -> (what, allowed endings), e.g. ``{"-o": ("a GeoTIFF", (".tif", ".tiff"))}``.
        By default ``--png`` must end in .png, ``--probability-raster`` in .tif/.tiff, and
        ``-o`` of ``terrain hillshade/slope/viewshed`` in .tif/.tiff and of ``map`` in
        .html/.htm. Only files are held to it: a device, FIFO or /dev/stdout has no name to
        mislead.

    Raises
    ------
    UsageError
        (exit 2) An output is empty, a folder, a block device or a socket; its folder does
        not exist, is a file, is read-only or not writable; it is read-only itself; it is
        the same file as an input, as stdin when stdin is read (``-``), or as borderkit's
        bundled data; two outputs are one file; or a file's name does not end as its format
        needs ("--png expects a .png file name").

    Notes
    -----
    Why before any work: a command that computes for minutes and then fails to write has
    wasted the user's time, and one that writes over its input destroys it. Why by the file
    reached, not the name: a symbolic link, a hard link, ``/proc/self/cwd/<input>``,
    ``/proc/self/root/<input>`` or ``/dev/fd/7`` opened on an input is the input, so every
    output is resolved (:func:`borderkit.io.resolve_output`) and compared by device and inode,
    whatever kind it is. Only character devices may coincide (``-o /dev/null --png /dev/null``).
    """
    from borderkit.io import names_fd

    given = {opt: os.fspath(p) for opt, p in outputs.items() if p is not None}
    if not given:
        return
    inputs = [i for i in inputs if i is not None]
    resolved = {opt: _check_one(opt, path) for opt, path in given.items()}
    sources = _input_files(inputs)
    reads_stdin = any(os.fspath(i) == "-" for i in inputs)
    stdin = _stdin_identity() if reads_stdin else None
    data = _bundled_data()
    bundled: set[tuple] | None = None
    for opt, path in given.items():
        res = resolved[opt]
        if reads_stdin and (
            names_fd(path) == 0
            or (stdin is not None and not stat.S_ISCHR(stdin.st_mode) and res.identity == _identity(stdin))
        ):
            raise UsageError(
                f"{opt} {path!r} is borderkit's stdin, which it reads as the input ('-'); borderkit never "
                f"overwrites its input. Choose another {opt} path."
            )
        for shown, src, ident in sources:
            if res.identity == ident:
                what = "the input" if src == shown else f"a part of the input {shown!r}:"
                raise UsageError(
                    f"{opt} {path!r} is {what} {src!r} ({_how_same(path, src)}); borderkit never overwrites "
                    f"its input. Allowed: a path that is not one of the inputs. Choose another {opt} path."
                )
        if data is None:
            continue
        real = res.target or os.path.realpath(path)
        inside = real == data or real.startswith(data + os.sep)
        if not inside and res.stat is not None and stat.S_ISREG(res.stat.st_mode):
            bundled = _bundled_identities(data) if bundled is None else bundled
            inside = res.identity in bundled
        if inside:
            raise UsageError(
                f"{opt} {path!r} is inside borderkit's bundled data ({data}); borderkit never overwrites "
                f"its input. Choose another {opt} path."
            )
    seen: dict[tuple, str] = {}
    for opt, path in given.items():
        res = resolved[opt]
        if res.stat is not None and stat.S_ISCHR(res.stat.st_mode):
            continue  # /dev/null twice is fine: a character device is written to, never replaced
        if res.identity in seen:
            first = seen[res.identity]
            raise UsageError(
                f"{first} {given[first]!r} and {opt} {path!r} are the same file; the second would replace "
                f"the first. Give each output its own path."
            )
        seen[res.identity] = opt
    for opt, path in given.items():
        expected = _expected_format(opt, formats)
        if expected is None or resolved[opt].kind != "replace":
            continue
        what, endings = expected
        names = {os.path.basename(path), os.path.basename(resolved[opt].target)}
        if not all(n.lower().endswith(endings) for n in names):
            wanted = " or ".join(endings)
            raise UsageError(
                f"{opt} expects a {wanted} file name; got {path!r}. borderkit writes {what} there, and a "
                f"file's name should say what it holds. Choose a name ending in {wanted}."
            )


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


def command_line() -> str:
    """Return the command line as the user typed it (``borderkit zones --format geojson``), for provenance."""
    import shlex

    ctx = click.get_current_context(silent=True)
    argv = ctx.find_root().meta.get("borderkit.argv") if ctx is not None else None
    return shlex.join(["borderkit", *(sys.argv[1:] if argv is None else argv)])


def _given(name: str) -> bool:
    """Whether the running command's option ``name`` was given (not its default)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or name not in ctx.params:
        return False
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _allowed_endings(writes: Iterable[str]) -> str:
    from borderkit.io import OUTPUT_FORMATS

    return ", ".join(e for name in writes for e in OUTPUT_FORMATS[name].endings)


def output_format(output: str | None, fmt: str, writes: Iterable[str], *, sequence: bool = False) -> str:
    """Return the format to write: the one ``-o``'s file ending names, else ``--format``.

    ``-o zones.gpkg`` writes a GeoPackage, ``-o zones.csv`` CSV; a name without an ending
    (``out``, ``/dev/stdout``, a FIFO) is written as ``--format`` says. Call it right after
    :func:`guard_outputs`, before any work.

    Parameters
    ----------
    output
        The ``-o`` path, or None (stdout: ``--format`` decides).
    fmt
        The ``--format`` value (the command's parameter must be named ``fmt``).
    writes
        The formats this command can write, names from :data:`borderkit.io.OUTPUT_FORMATS`.
    sequence
        ``--sequence`` was given: GeoJSON becomes a GeoJSON text sequence.

    Raises
    ------
    UsageError
        (exit 2) The name ends in something this command cannot write (``.shp``, ``.svg``,
        ``.gpkg`` for a table); the name and the file it reaches (a link) end differently;
        or ``--format`` / ``--sequence`` was given and says otherwise than the ending.
    """
    from borderkit.io import file_ending, format_of_ending, resolve_output

    writes = tuple(writes)
    if sequence and fmt == "geojson":
        fmt = "geojsonseq"
    if output is None:
        return fmt
    res = resolve_output(output)
    names = dict.fromkeys([os.path.basename(output), *([os.path.basename(res.target)] if res.target else [])])
    picked: dict[str, str] = {}
    command = " ".join(["borderkit", *_command_path()])
    for name in names:
        ending = file_ending(name)
        if not ending:
            continue
        found = format_of_ending(ending)
        if found is None or found.name not in writes:
            what = f"{found.what}, which {command} does not write" if found else "a format borderkit does not write"
            raise UsageError(
                f"-o {output!r} ends in {ending!r}: {what}. Allowed endings: {_allowed_endings(writes)}; "
                "or a name without an ending, written as --format says. Choose a name with one of these endings."
            )
        picked[name] = found.name
    if len(set(picked.values())) > 1:
        raise UsageError(
            f"-o {output!r} reaches {res.target!r}, and the two names end in different formats. "
            "Give the path of the file itself, with the ending of the format you want."
        )
    ctx = click.get_current_context(silent=True)
    if ctx is not None and res.kind not in ("stdout", "stderr"):
        from borderkit.report import table_width

        ctx.with_resource(table_width(None))  # a table written to a file is never cut to the terminal
    if not picked:
        return fmt
    chosen = next(iter(picked.values()))
    from borderkit.io import OUTPUT_FORMATS

    given = None
    if sequence and chosen != "geojsonseq":
        given, fmt = "--sequence", "geojsonseq"
    elif _given("fmt") and chosen != fmt and {chosen, fmt} != {"geojson", "geojsonseq"}:
        given = f"--format {fmt}"
    if given is not None:
        raise UsageError(
            f"{given} and -o {output!r} disagree: the file name says {OUTPUT_FORMATS[chosen].what}. "
            f"Drop {given} (the file name picks the format) or end the name in "
            f"{' or '.join(OUTPUT_FORMATS[fmt].endings)}."
        )
    return chosen


def write_table(
    table,
    fmt: str,
    output: str | None,
    *,
    precision: int = -1,
    display: int = 3,
    footer: list[str] | None = None,
    inputs: tuple = (),
) -> None:
    """Render a table in ``fmt`` and write it: the one rounding policy for tables.

    ``--precision N`` (N >= 0) rounds every number, in every format. Without it (-1), CSV
    and JSON are written unrounded and tables and Markdown show ``display`` decimals.
    Footer lines go into tables and Markdown only.
    """
    from borderkit.report import render_frame

    if precision >= 0:
        table = table.copy()
        numbers = table.select_dtypes("number").columns
        table[numbers] = table[numbers].round(precision)
    shown = precision if precision >= 0 else display
    text = render_frame(table, fmt, precision=shown, footer=footer if fmt in ("table", "markdown") else None)
    write_text(text, output, inputs=inputs)


def write_features(
    gdf,
    fmt: str,
    output: str | None,
    *,
    layer: str,
    precision: int = -1,
    method: str | None = None,
    sources: Iterable[str] = (),
    use_rs: bool = False,
    inputs: tuple = (),
) -> None:
    """Write features in a vector format (:func:`borderkit.io.encode_vector`) to ``output`` or stdout.

    Every file carries its provenance (:func:`borderkit.io.provenance`): the version, the
    case, this command line, the time, ``method`` and the sources (``sources`` and the
    features' own ``source`` column).
    """
    from borderkit.io import OUTPUT_FORMATS, encode_vector, provenance, write_output

    keys = list(sources)
    if "source" in gdf.columns:
        keys += [str(k) for k in gdf["source"].dropna().unique()]
    record = provenance(command=command_line(), method=method, sources=keys)
    data = encode_vector(gdf, fmt, layer=layer, precision=precision, record=record, use_rs=use_rs)
    if output is None:
        if fmt not in ("geojson", "geojsonseq"):
            raise UsageError(
                f"{OUTPUT_FORMATS[fmt].what} is a binary file: give -o FILE{OUTPUT_FORMATS[fmt].endings[0]}."
            )
        click.echo(data, nl=False)
        return
    guard_outputs({"-o": output}, inputs=inputs)
    write_output(output, data)
    info(f"wrote {output}")
