"""Read and write geodata files: the only module that touches the file system for layers."""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import json
import math
import os
import re
import secrets
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from io import BytesIO, StringIO
from pathlib import Path
from typing import IO, Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from borderkit.errors import OutputError

__all__ = [
    "write_output",
    "output_kind",
    "resolve_output",
    "OutputTarget",
    "names_fd",
    "atomic_write",
    "sha256_file",
    "read_geojson",
    "to_feature_collection",
    "write_geojson",
    "OutputFormat",
    "OUTPUT_FORMATS",
    "VECTOR_FORMATS",
    "file_ending",
    "format_of_ending",
    "provenance",
    "case_name",
    "encode_vector",
    "write_vector",
    "read_provenance",
    "parse_features",
    "features_to_frame",
    "read_user_geodata",
    "read_stdin_text",
    "write_geotiff",
]


# ---------------------------------------------------------------- writing outputs
#
# Every file borderkit writes goes through :func:`write_output`: one code path that checks
# every write, syncs before the rename, removes its temporary file on every failure (signals
# included) and never renames over a device, a FIFO or /dev/stdout. Every output path is first
# resolved (:func:`resolve_output`) to what it really is, whatever name reaches it
# (``/proc/self/cwd/...``, ``/dev/fd/7``, a symbolic link): a regular file is always replaced
# atomically at its real path, never truncated and written in place.

#: Signals turned into an exception while an output is written, so that nothing is left behind.
_CLEANUP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, n))

#: Write into an unnamed ``O_TMPFILE`` file (Linux) and name it only once complete. Tests
#: switch this off to exercise the ``mkstemp`` fallback used where O_TMPFILE is unsupported.
USE_O_TMPFILE = True

#: Kernel file systems: a regular file whose real path is here is never an output.
_KERNEL_FOLDERS = ("/proc", "/sys")

#: The names of the standard streams in /dev.
_STD_NAMES = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}

_REASONS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "input/output error",
    errno.EPIPE: "the reading end of the pipe was closed",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ENXIO: "no such device, or a socket",
}


class _Interrupted(BaseException):
    """A cleanup signal arrived while an output was written (a BaseException: nothing swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _NoAnonymousFile(Exception):
    """O_TMPFILE or naming it through /proc is not available here: use a named temporary file."""


class _SignalGuard:
    """Turn SIGTERM/SIGINT/SIGHUP into :class:`_Interrupted` while an output is written.

    Python runs signal handlers between bytecodes of the main thread, so the exception
    unwinds through the writer's cleanup (the temporary file is removed) instead of the
    process dying with the file left behind. While :meth:`hold` is active (linking and
    renaming the finished file) a signal is only recorded and raised after the commit, so
    the commit is never cut in half. Signals that are ignored, or handled by C code, are
    left alone; outside the main thread nothing is installed (Python allows handlers only
    there).
    """

    def __init__(self) -> None:
        self.pending: int | None = None
        self.holding = False
        self.committed = False
        self._old: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.pending is not None:
            return
        self.pending = signum
        if not self.holding:
            raise _Interrupted(signum)

    def __enter__(self) -> _SignalGuard:
        if threading.current_thread() is threading.main_thread():
            for sig in _CLEANUP_SIGNALS:
                previous = signal.getsignal(sig)
                if previous is signal.SIG_IGN or previous is None:
                    continue
                self._old[sig] = previous
                signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        self.holding = True  # a signal while the handlers are restored is recorded, not raised
        for sig, previous in self._old.items():
            signal.signal(sig, previous)
        self._old.clear()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Defer signals until the block (the commit) is done, then raise the first one."""
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
        self.committed = True
        if self.pending is not None:
            raise _Interrupted(self.pending)


def _advice(code: int | None, option: str) -> str:
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"Free space or choose another {option}."
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"Choose a folder you can write to with {option}."
    if code == errno.EPIPE:
        return "Keep the reading program running until borderkit has finished."
    return f"Check the path or choose another {option}."


def _output_error(path: str, exc: OSError, option: str) -> OutputError:
    """Turn an OSError from writing ``path`` into the message a user reads."""
    code = exc.errno
    if code is None:
        return OutputError(f"could not write {path}: {exc}. {_advice(None, option)}")
    reason = _REASONS.get(code) or (exc.strerror or errno.errorcode.get(code, "error")).lower()
    return OutputError(f"could not write {path}: {reason} (errno {code}). {_advice(code, option)}")


def _same_as_fd(st: os.stat_result, fd: int) -> bool:
    try:
        other = os.fstat(fd)
    except (OSError, ValueError):
        return False
    return (st.st_dev, st.st_ino) == (other.st_dev, other.st_ino)


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


class OutputTarget(NamedTuple):
    """What an output path really is (:func:`resolve_output`)."""

    #: The path as given.
    path: str
    #: How it is written: ``"replace"`` (a regular or new file, replaced atomically at
    #: ``target``), ``"stdout"`` / ``"stderr"`` (written through the process's own stream),
    #: ``"stream"`` (a character device or FIFO, written in place), or never written:
    #: ``"folder"``, ``"block-device"``, ``"socket"``.
    kind: str
    #: The real path (every symbolic link, ``/proc/self/cwd`` and ``/dev/fd/N`` resolved) of a
    #: ``"replace"`` output; None for the other kinds.
    target: str | None
    #: What makes two paths one file: ``("inode", st_dev, st_ino)`` when it exists, else
    #: ``("path", real path)``.
    identity: tuple
    #: ``os.stat`` of the path (links followed), None when it does not exist.
    stat: os.stat_result | None
    #: Why it can never be written (a deleted file reached through /dev/fd, a kernel file...),
    #: or None.
    problem: str | None = None


def names_fd(path: str | os.PathLike) -> int | None:
    """Return N when ``path`` names this process's file descriptor N, else None.

    ``/dev/stdin`` (0), ``/dev/stdout`` (1), ``/dev/stderr`` (2), ``/dev/fd/N``,
    ``/proc/self/fd/N``, ``/proc/<own pid>/fd/N``, and symbolic links to any of them.
    """
    p = os.path.abspath(os.fspath(path))
    for _ in range(40):
        for candidate in (p, os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p))):
            if candidate in _STD_NAMES:
                return _STD_NAMES[candidate]
            folder, base = os.path.split(candidate)
            if not base.isdigit():
                continue
            own = ("/dev/fd", "/proc/self/fd", "/proc/thread-self/fd", f"/proc/{os.getpid()}/fd")
            if folder in own or (folder.startswith(f"/proc/{os.getpid()}/task/") and folder.endswith("/fd")):
                return int(base)
        try:
            link = os.readlink(p)
        except OSError:
            return None
        p = os.path.normpath(os.path.join(os.path.dirname(p), link))
    return None


def _resolve_new(name: str, depth: int = 0) -> tuple[str, str | None]:
    """Return (real path, problem) for an output that does not exist yet.

    The real path is where the new file will be created: every link on the way resolved,
    a dangling symbolic link followed to the file it names. It is checked to be the folder
    the given path reaches (``/proc/<pid>/root/...`` of another mount namespace is not).
    """
    real = os.path.realpath(name)
    given_folder = os.path.dirname(name) or "."
    if os.path.islink(name):
        if depth > 40:
            return real, "it is a loop of symbolic links"
        link = os.readlink(name)
        return _resolve_new(os.path.join(given_folder, link), depth + 1)
    try:
        a, b = os.stat(given_folder), os.stat(os.path.dirname(real))
    except OSError:
        return real, None  # the folder does not exist: the guard says so
    if (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino):
        return real, f"its folder cannot be resolved to a real path (it resolves to {os.path.dirname(real)!r})"
    return real, None


def resolve_output(path: str | os.PathLike) -> OutputTarget:
    """Say what ``path`` really is and how :func:`write_output` will write it.

    Every name is resolved: ``/proc/self/cwd/zone.geojson``, ``/dev/fd/7`` opened on a file,
    ``/proc/self/root/...`` and symbolic links all reach a file, and the file is what counts.

    - A regular file (or a new one) is ``"replace"``: replaced atomically at its real path
      (``target``, checked to be that same file by device and inode). A regular file that has
      no such path (deleted, or in another mount namespace) or lies under /proc or /sys has a
      ``problem`` and is never written.
    - ``/dev/stdout`` (or ``/dev/fd/1``...) is ``"stdout"``: written through the process's own
      stdout, so a shell redirection (``>``, ``>>``) and its offset are honoured; so is any
      path to stdout's file when stdout is a pipe or a terminal. ``"stderr"`` likewise.
    - A character device or a FIFO is ``"stream"``: opened and written in place (a rename
      would replace the node itself: as root, ``-o /dev/null`` used to turn /dev/null into
      a regular file).
    - A folder, a block device or a socket is never written.
    """
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except OSError:
        real, problem = _resolve_new(name)
        if problem is None and _under(real, _KERNEL_FOLDERS):
            problem = f"it resolves to {real!r}, in a kernel file system"
        return OutputTarget(name, "replace", real, ("path", real), None, problem)
    identity = ("inode", st.st_dev, st.st_ino)
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        return OutputTarget(name, "folder", None, identity, st)
    if stat.S_ISBLK(mode):
        return OutputTarget(name, "block-device", None, identity, st)
    if stat.S_ISSOCK(mode):
        return OutputTarget(name, "socket", None, identity, st)
    regular = stat.S_ISREG(mode)
    for fd, kind in ((1, "stdout"), (2, "stderr")):
        if _same_as_fd(st, fd) and (not regular or names_fd(name) == fd):
            return OutputTarget(name, kind, None, identity, st)
    if not regular:
        return OutputTarget(name, "stream", None, identity, st)
    real = os.path.realpath(name)
    problem = None
    try:
        rst = os.stat(real)
        same = (rst.st_dev, rst.st_ino) == (st.st_dev, st.st_ino)
    except OSError:
        same = False
    if not same:
        problem = "it is a file with no real path borderkit can replace (deleted, or in another mount namespace)"
    elif _under(real, _KERNEL_FOLDERS):
        problem = f"it is {real!r}, a kernel file"
    return OutputTarget(name, "replace", real, identity, st, problem)


def output_kind(path: str | os.PathLike) -> str:
    """Say how :func:`write_output` will write ``path``: the ``kind`` of :func:`resolve_output`."""
    return resolve_output(path).kind


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte (os.write may write fewer); each call's failure raises OSError."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view[: 1 << 20])
        if written <= 0:
            raise OSError(errno.EIO, "write returned 0")
        view = view[written:]


def _write_std(kind: str, data: bytes) -> None:
    stream = sys.stdout if kind == "stdout" else sys.stderr
    stream.flush()
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(data.decode("utf-8", errors="replace"))
    else:
        buffer.write(data)
        buffer.flush()
    stream.flush()


def _write_stream(name: str, data: bytes) -> None:
    """Write to a character device or FIFO in place (never truncating: no O_TRUNC)."""
    fd = os.open(name, os.O_WRONLY | os.O_CLOEXEC | os.O_NOCTTY)  # a FIFO blocks until a reader opens it
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):  # replaced since it was resolved
            raise OSError(errno.EINVAL, "it changed into a regular file while borderkit ran")
        _write_all(fd, data)
    finally:
        os.close(fd)


def _final_metadata(fd: int, old: os.stat_result | None) -> None:
    """Give the new file the old file's mode and owner, else 0o666 less the umask (mkstemp's is 0o600)."""
    if old is None:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        return
    with contextlib.suppress(OSError):  # only root may give a file away; others keep their own
        if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
            os.fchown(fd, old.st_uid, old.st_gid)
    os.fchmod(fd, old.st_mode & 0o7777)


def _name_anonymous(fd: int, dfd: int, base: str) -> str | None:
    """Give the O_TMPFILE file ``fd`` a name in folder ``dfd``.

    When ``base`` does not exist yet, the file is linked straight into place (``None`` is
    returned: nothing left to rename). Otherwise it gets a hidden temporary name, which is
    returned for the caller to rename over ``base``.
    """
    src = f"/proc/self/fd/{fd}"
    try:
        os.link(src, base, dst_dir_fd=dfd, follow_symlinks=True)  # linkat(..., AT_SYMLINK_FOLLOW)
        return None
    except FileExistsError:
        pass
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.EXDEV, errno.EPERM, errno.EACCES, errno.EOPNOTSUPP, errno.EINVAL):
            raise _NoAnonymousFile from None
        raise
    for _ in range(100):
        tmp = f".{base}.{secrets.token_hex(4)}.tmp"
        try:
            os.link(src, tmp, dst_dir_fd=dfd, follow_symlinks=True)
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", tmp)


def _replace_via(dfd: int, folder: str, base: str, data: bytes, guard: _SignalGuard, *, anonymous: bool) -> None:
    old = None
    with contextlib.suppress(FileNotFoundError):
        old = os.stat(base, dir_fd=dfd)
    tmp: str | None = None
    if anonymous:
        try:
            fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise _NoAnonymousFile from None
            raise
    else:
        fd, path = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=folder)
        tmp = os.path.basename(path)
    try:
        _write_all(fd, data)
        _final_metadata(fd, old)
        os.fsync(fd)  # the bytes are on disk before the new name can point at them
        with guard.hold():
            if anonymous:
                tmp = _name_anonymous(fd, dfd, base)
            if tmp is not None:
                os.replace(tmp, base, src_dir_fd=dfd, dst_dir_fd=dfd)
                tmp = None
        with contextlib.suppress(OSError):  # some file systems cannot sync a folder
            os.fsync(dfd)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
        raise
    finally:
        os.close(fd)


def _write_replace(target: str, data: bytes, guard: _SignalGuard) -> None:
    # ``target`` is the real path (resolve_output): through a symlink, /proc/self/cwd or
    # /dev/fd/N, the file reached is replaced and every link kept (as `>` would, but atomically).
    folder, base = os.path.split(target)
    dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if USE_O_TMPFILE and hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):
            try:
                _replace_via(dfd, folder, base, data, guard, anonymous=True)
                return
            except _NoAnonymousFile:
                pass
        _replace_via(dfd, folder, base, data, guard, anonymous=False)
    finally:
        os.close(dfd)


def write_output(path: str | os.PathLike, data: bytes | str, *, option: str = "-o", encoding: str = "utf-8") -> None:
    """Write ``data`` to ``path``: the one writer every borderkit output goes through.

    Parameters
    ----------
    path
        The output. How it is written depends on what it really is (:func:`resolve_output`):
        a regular or new file, whatever name reaches it, is replaced atomically at its real
        path; a character device, a FIFO or the process's stdout is written in place; a
        folder, block device or socket is refused.
    data
        The complete content (``str`` is encoded with ``encoding``). Callers build it in
        memory first, so the slow part (computing a map) happens before any file exists.
    option
        The command-line option that named ``path``, used in messages ("choose another -o").

    Raises
    ------
    OutputError
        The write failed (full disk, I/O error, read-only file system, a closed pipe...):
        the message names the file, the reason and its errno, and what to do. Any old file
        is unchanged and nothing partial or temporary is left.

    Notes
    -----
    Why this design, and what it guarantees:

    - Every ``write`` is checked and the file is ``fsync``-ed before it gets its final
      name, so a full disk or an I/O error is an error, never a truncated file reported
      as written.
    - On Linux the content goes into an unnamed ``O_TMPFILE`` file in the output's folder;
      it gets a name (``linkat`` through ``/proc/self/fd``) only when complete: straight
      the final name when there was no old file, else a hidden ``.<name>.<hex>.tmp`` that
      is at once renamed over the old file. A ``kill -9`` while writing therefore leaves
      nothing at all. Where O_TMPFILE or /proc is unavailable, a ``mkstemp`` file is used.
    - SIGTERM, SIGINT and SIGHUP during the write become an exception that removes the
      temporary file; then the signal is re-raised with its usual handler (the process
      still dies of SIGTERM). During the link and rename, signals are held until done.

    What remains possible: a ``kill -9`` (or power loss) in the few microseconds between
    naming the finished file and renaming it over an old one leaves a complete hidden
    ``.<name>.<hex>.tmp`` beside the intact old file; with the mkstemp fallback, ``kill -9``
    at any moment of the write leaves the partial hidden temporary file. The old file is
    intact in every case. Replacing a file breaks its hard links (the other names keep the
    old content), like any atomic rename.
    """
    if isinstance(data, str):
        data = data.encode(encoding)
    name = os.fspath(path)
    guard = _SignalGuard()
    error: OutputError | None = None
    try:
        with guard:
            resolved = resolve_output(name)
            kind = resolved.kind
            if resolved.problem is not None:
                raise OutputError(f"could not write {name}: {resolved.problem}. Choose another {option}.")
            if kind in ("folder", "block-device", "socket"):
                what = {"folder": "a folder", "block-device": "a block device (a disk)", "socket": "a socket"}[kind]
                raise OutputError(
                    f"could not write {name}: it is {what}; borderkit writes only to files, character "
                    f"devices and FIFOs. Choose another {option}."
                )
            if kind in ("stdout", "stderr"):
                _write_std(kind, data)
            elif kind == "stream":
                _write_stream(name, data)
            else:
                assert resolved.target is not None  # a "replace" output always has its real path
                _write_replace(resolved.target, data, guard)
            guard.committed = True
    except _Interrupted:
        pass
    except OSError as exc:
        error = _output_error(name, exc, option)
    if guard.pending is not None:
        # Our handlers are gone again: give the signal its usual effect (SIGTERM ends the
        # process, SIGINT raises KeyboardInterrupt), now that nothing is left behind.
        signal.raise_signal(guard.pending)
        if error is None and not guard.committed:
            error = OutputError(
                f"could not write {name}: interrupted by {signal.Signals(guard.pending).name}; "
                "any old file is unchanged."
            )
    if error is not None:
        raise error


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike,
    mode: str = "w",
    *,
    option: str = "-o",
    encoding: str = "utf-8",
    errors: str = "strict",
) -> Iterator[IO]:
    """Yield an in-memory file; on success its content goes to :func:`write_output`.

    For code that writes to a file object (``savefig``, ``json.dump``). Nothing touches the
    disk until the block has finished, so an exception in the block leaves no trace.

    Parameters
    ----------
    path
        The output (see :func:`write_output`).
    mode
        ``"w"`` (text, encoded with ``encoding`` and ``errors``) or ``"wb"``.
    option
        The command-line option that named ``path``, for messages.
    encoding, errors
        How text is encoded.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write mode must be 'w' or 'wb', not {mode!r}")
    buffer: BytesIO | StringIO = BytesIO() if mode == "wb" else StringIO()
    yield buffer
    value = buffer.getvalue()
    write_output(path, value if isinstance(value, bytes) else value.encode(encoding, errors), option=option)


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fobj:
        for block in iter(lambda: fobj.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    """Turn numpy/pandas scalars into JSON values; NaN and NA become null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def to_feature_collection(gdf: gpd.GeoDataFrame) -> dict:
    """Return a GeoJSON FeatureCollection dict (EPSG:4326) with JSON-safe properties."""
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    geom_col = gdf.geometry.name
    props = gdf.drop(columns=[geom_col])
    geometries = gdf.geometry.to_numpy()
    features = []
    for (_, row), geom in zip(props.iterrows(), geometries, strict=True):
        features.append(
            {
                "type": "Feature",
                "properties": {str(k): _jsonable(v) for k, v in row.items()},
                "geometry": None if geom is None or geom.is_empty else geom.__geo_interface__,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write_geojson(gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, indent: int | None = None) -> None:
    """Write a GeoDataFrame as a deterministic GeoJSON FeatureCollection, atomically.

    Used by ``make geodata`` for the bundled layers only: their SHA-256 is in the manifest,
    so their bytes must not depend on the GDAL version installed. Command outputs go
    through :func:`encode_vector` (RFC 7946, every vector format, provenance).
    """
    text = json.dumps(to_feature_collection(gdf), ensure_ascii=False, indent=indent)
    write_output(path, text + "\n")


# ---------------------------------------------------------------- output formats and the vector writer
#
# One table of the formats borderkit writes, by name and file ending. ``-o FILE`` picks the
# format from FILE's ending (borderkit.cli.helpers.output_format); ``--format`` picks it for
# stdout. Vector formats are encoded in memory by GDAL (pyogrio) or pyarrow and handed to
# :func:`write_output` as bytes, so every output is still written atomically by one writer.


class OutputFormat(NamedTuple):
    """A format borderkit writes: its name (``--format``), what it is, and its file endings."""

    #: The name used by ``--format`` and in code, e.g. ``"gpkg"``.
    name: str
    #: What the file holds, for messages ("a GeoPackage").
    what: str
    #: File name endings that select it, lower case, the preferred one first.
    endings: tuple[str, ...]
    #: True for formats with geometry (written by :func:`encode_vector`).
    vector: bool = False


#: Every format borderkit writes, by name.
OUTPUT_FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("geojson", "GeoJSON (RFC 7946)", (".geojson",), vector=True),
        OutputFormat("geojsonseq", "a GeoJSON text sequence", (".geojsonl", ".geojsons"), vector=True),
        OutputFormat("gpkg", "a GeoPackage", (".gpkg",), vector=True),
        OutputFormat("parquet", "GeoParquet", (".parquet", ".geoparquet"), vector=True),
        OutputFormat("fgb", "FlatGeobuf", (".fgb",), vector=True),
        OutputFormat("csv", "CSV", (".csv",)),
        OutputFormat("json", "JSON", (".json",)),
        OutputFormat("markdown", "Markdown", (".md",)),
        OutputFormat("table", "a text table", (".txt",)),
        OutputFormat("png", "a PNG", (".png",)),
        OutputFormat("geotiff", "a GeoTIFF", (".tif", ".tiff")),
        OutputFormat("html", "an HTML map", (".html", ".htm")),
    )
}

#: The vector formats (``-o`` only, except GeoJSON and its sequence, which stdout takes too).
VECTOR_FORMATS = tuple(n for n, f in OUTPUT_FORMATS.items() if f.vector)

#: GDAL driver of each vector format written through pyogrio (GeoParquet goes through pyarrow).
_DRIVERS = {"geojson": "GeoJSON", "geojsonseq": "GeoJSONSeq", "gpkg": "GPKG", "fgb": "FlatGeobuf"}

#: Coordinates in GeoJSON when no --precision is given: 15 decimals of a degree is 0.1 nm,
#: below a double's own resolution at these magnitudes, so nothing is rounded away
#: (GDAL would otherwise use RFC 7946's 7).
_FULL_COORDINATES = 15


def file_ending(name: str | os.PathLike) -> str:
    """Return the lower-case ending of a file name that selects a format ('' when it has none).

    ``zones.GeoJSON`` gives ``.geojson``; ``.hidden`` and ``out`` give ``''``.

    Examples
    --------
    >>> file_ending("a/Zones.GPKG"), file_ending("out"), file_ending(".env")
    ('.gpkg', '', '')
    """
    return os.path.splitext(os.path.basename(os.fspath(name)))[1].lower()


def format_of_ending(ending: str) -> OutputFormat | None:
    """Return the format a file ending selects (``".gpkg"``), or None for an ending borderkit does not write."""
    for fmt in OUTPUT_FORMATS.values():
        if ending.lower() in fmt.endings:
            return fmt
    return None


def provenance(
    *, command: str | None = None, method: str | None = None, sources: list[str] | tuple[str, ...] = ()
) -> dict[str, Any]:
    """Return the provenance every output carries: version, case, command, UTC time, method, sources.

    The command is the command line as run (``borderkit zones --format geojson``), read from
    ``sys.argv``; the case is the active case's name (its manifest's ``[case] name``). A
    reader of the file can then say which version made it, from which case, how, and when
    (``borderkit cite FILE`` prints it as a citation).

    Parameters
    ----------
    command
        The command line; by default ``sys.argv`` as a shell would quote it.
    method
        How the numbers were made, in words (e.g. "geodesic area on the WGS84 ellipsoid").
    sources
        Keys into the case's sources registry that the output rests on.
    """
    import datetime as dt
    import shlex

    from borderkit import __version__

    record: dict[str, Any] = {
        "software": "borderkit",
        "version": __version__,
        "case": case_name(),
        "command": command or shlex.join(["borderkit", *sys.argv[1:]]),
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }
    if method:
        record["method"] = method
    if sources:
        record["sources"] = sorted({str(s) for s in sources if s})
    return record


def case_name() -> str:
    """Return the active case's name, from its manifest (see :mod:`borderkit.case`)."""
    from borderkit.case import current
    from borderkit.errors import BorderkitError

    try:
        return current().name
    except BorderkitError:
        return "unknown (no case found)"


def _round_frame(gdf: gpd.GeoDataFrame, precision: int) -> gpd.GeoDataFrame:
    """Round float columns and coordinates to ``precision`` decimals (the one rounding policy)."""
    import shapely

    out = gdf.copy()
    floats = [c for c in out.columns if c != out.geometry.name and pd.api.types.is_float_dtype(out[c])]
    out[floats] = out[floats].round(precision)
    out[out.geometry.name] = shapely.transform(out.geometry.to_numpy(), lambda xy: np.round(xy, precision))
    return out


def _prepare(gdf: gpd.GeoDataFrame, fmt: str, precision: int) -> gpd.GeoDataFrame:
    """Return the frame as written: shells counter-clockwise, lon/lat for GeoJSON, rounded if asked."""
    import shapely

    if fmt in ("geojson", "geojsonseq") and gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)  # RFC 7946: longitude, latitude on WGS84
    out = gdf.copy()
    # RFC 7946 (3.1.6): exterior rings counter-clockwise, holes clockwise. Every vector
    # format gets the same orientation, so a file's rings do not depend on its format.
    out[out.geometry.name] = shapely.orient_polygons(out.geometry.to_numpy(), exterior_cw=False)
    return _round_frame(out, precision) if precision >= 0 else out


def _geojson_options(fmt: str, precision: int, record: dict | None, use_rs: bool) -> dict[str, str]:
    digits = str(precision if precision >= 0 else _FULL_COORDINATES)
    if fmt == "geojsonseq":  # RFC 8142 (RS-prefixed) or one feature per line
        return {"RS": "YES" if use_rs else "NO", "COORDINATE_PRECISION": digits}
    options = {
        "RFC7946": "YES",
        "WRITE_NAME": "NO",
        "COORDINATE_PRECISION": digits,
    }
    if record is not None:
        options["FOREIGN_MEMBERS_COLLECTION"] = json.dumps({"borderkit": record}, ensure_ascii=False)
    return options


def _flat_metadata(record: dict | None) -> dict[str, str] | None:
    """Provenance as GDAL metadata items (strings): ``borderkit_version=0.1.0``..."""
    if record is None:
        return None
    return {
        f"borderkit_{k}": (", ".join(v) if isinstance(v, list) else str(v))
        for k, v in record.items()
        if k != "software"
    }


def _encode_parquet(gdf: gpd.GeoDataFrame, record: dict | None) -> bytes:
    """GeoParquet through geopandas/pyarrow, provenance in the file's key-value metadata."""
    import pyarrow.parquet as pq

    buffer = BytesIO()
    gdf.to_parquet(buffer, index=False)
    if record is None:
        return buffer.getvalue()
    table = pq.read_table(BytesIO(buffer.getvalue()))
    meta = {**(table.schema.metadata or {}), b"borderkit": json.dumps(record, ensure_ascii=False).encode()}
    buffer = BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buffer)
    return buffer.getvalue()


def encode_vector(
    gdf: gpd.GeoDataFrame,
    fmt: str,
    *,
    layer: str = "borderkit",
    precision: int = -1,
    record: dict | None = None,
    use_rs: bool = False,
) -> bytes:
    """Encode a GeoDataFrame in a vector format, in memory: the one vector encoder.

    Parameters
    ----------
    gdf
        The features. GeoJSON is written in EPSG:4326 (RFC 7946); the others keep the CRS.
    fmt
        One of :data:`VECTOR_FORMATS`: ``geojson`` (RFC 7946: counter-clockwise shells, no
        ``crs`` member), ``geojsonseq`` (one feature per line, RFC 8142 with ``use_rs``),
        ``gpkg``, ``parquet`` (GeoParquet) or ``fgb`` (FlatGeobuf).
    layer
        The layer name (GeoPackage, FlatGeobuf).
    precision
        Decimal places of every coordinate and float property; -1 (the default): no
        rounding (floats keep the 15-17 significant digits GDAL writes).
    record
        Provenance (:func:`provenance`), stored as the format allows: a ``"borderkit"``
        member of the GeoJSON FeatureCollection, ``borderkit_*`` dataset metadata in a
        GeoPackage, layer metadata in FlatGeobuf, a ``borderkit`` key in GeoParquet's
        file metadata. A GeoJSON sequence has no place for it.
    use_rs
        Start each feature of a sequence with RS (0x1E).

    Returns
    -------
    bytes
        The file's complete content, for :func:`write_output`.

    Raises
    ------
    OutputError
        GDAL could not encode the features (the message says why).
    """
    import pyogrio

    if fmt not in VECTOR_FORMATS:
        raise ValueError(f"not a vector format: {fmt!r}; allowed: {', '.join(VECTOR_FORMATS)}")
    gdf = _prepare(gdf, fmt, precision)
    if fmt == "parquet":
        return _encode_parquet(gdf, record)
    options: dict[str, Any] = {}
    if fmt in ("geojson", "geojsonseq"):
        options["layer_options"] = _geojson_options(fmt, precision, record, use_rs)
    elif fmt == "gpkg":
        # GeoPackage 1.2: read without warnings by the GDAL 3.x and QGIS releases still in use.
        options.update(dataset_options={"VERSION": "1.2"}, dataset_metadata=_flat_metadata(record))
    else:
        options["layer_metadata"] = _flat_metadata(record)
        if (gdf.geometry.isna() | gdf.geometry.is_empty).any():
            # FlatGeobuf's spatial index cannot hold a feature without geometry (a zone drawn
            # empty): write those files without the index rather than drop the feature.
            options["layer_options"] = {"SPATIAL_INDEX": "NO"}
    buffer = BytesIO()
    try:
        pyogrio.write_dataframe(gdf, buffer, driver=_DRIVERS[fmt], layer=layer, **options)
    except Exception as exc:  # pyogrio raises its own DataSourceError/FieldError types
        raise OutputError(f"could not encode {OUTPUT_FORMATS[fmt].what}: {exc}.") from None
    data = buffer.getvalue()
    if fmt == "geojson" and record is not None and b'"borderkit"' not in data[:4096]:
        data = _add_member(data, record)  # GDAL before 3.9 has no FOREIGN_MEMBERS_COLLECTION
    return data


def _add_member(data: bytes, record: dict) -> bytes:
    collection = json.loads(data)
    collection = {"type": collection.pop("type"), "borderkit": record, **collection}
    return (json.dumps(collection, ensure_ascii=False) + "\n").encode()


def write_vector(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike,
    fmt: str,
    *,
    layer: str = "borderkit",
    precision: int = -1,
    record: dict | None = None,
    use_rs: bool = False,
    option: str = "-o",
) -> None:
    """Encode ``gdf`` (:func:`encode_vector`) and write it with :func:`write_output`, atomically."""
    data = encode_vector(gdf, fmt, layer=layer, precision=precision, record=record, use_rs=use_rs)
    write_output(path, data, option=option)


_META = re.compile(r'<meta name="borderkit:(version|case|command)" content="([^"]*)">')


def _html_provenance(name: str) -> dict[str, Any] | None:
    """Return the provenance a borderkit map carries in its ``borderkit:*`` meta tags (in its head), or None."""
    import html

    with open(name, encoding="utf-8", errors="replace") as fobj:
        head = fobj.read(1 << 20).split("</head>", 1)[0]
    found = {key: html.unescape(value) for key, value in _META.findall(head)}
    if not found:
        return None
    return {"software": "borderkit", **found, "method": "interactive map (borderkit map): see its legend and panel"}


def read_provenance(path: str | os.PathLike) -> dict[str, Any] | None:
    """Return the provenance borderkit stored in an output file, or None when it has none.

    Reads the ``"borderkit"`` member of a GeoJSON file, the ``borderkit_*`` metadata of a
    GeoPackage or FlatGeobuf, the ``borderkit`` key of a GeoParquet file's metadata, or the
    ``borderkit:*`` meta tags of an HTML map.
    """
    import pyogrio

    from borderkit.errors import InputError

    name = os.fspath(path)
    if not os.path.isfile(name):
        raise InputError(f"No such file: {name!r}. Give a file borderkit wrote (GeoJSON, GeoPackage, ...).")
    if file_ending(name) in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq

        try:
            meta = pq.read_schema(name).metadata or {}
        except Exception as exc:
            raise InputError(f"{name!r} is not a Parquet file: {exc}.") from None
        return json.loads(meta[b"borderkit"]) if b"borderkit" in meta else None
    if file_ending(name) in (".csv", ".txt", ".md", ".geojsonl", ".geojsons"):
        return None  # tables and sequences have no place for it
    if file_ending(name) in (".html", ".htm"):
        return _html_provenance(name)
    _check_vector_format(Path(name), name)  # never a VRT or a URL in disguise
    with open(name, "rb") as fobj:
        head = fobj.read(16)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n\x1e")[:1] in (b"{", b"["):
        try:
            with open(name, encoding="utf-8") as fobj:
                document = json.load(fobj)
        except (ValueError, RecursionError) as exc:
            raise InputError(f"{name!r} is not JSON: {exc}.") from None
        record = document.get("borderkit") if isinstance(document, dict) else None
        return record if isinstance(record, dict) else None
    with _gdal_safe_path(Path(name)) as gdal_path:
        try:
            info = pyogrio.read_info(gdal_path)
        except Exception as exc:
            raise InputError(f"{name!r} could not be opened: {exc}.") from None
    items = {**(info.get("dataset_metadata") or {}), **(info.get("layer_metadata") or {})}
    found = {k.removeprefix("borderkit_"): v for k, v in items.items() if k.startswith("borderkit_")}
    if not found:
        return None
    if "sources" in found:
        found["sources"] = [s for s in found["sources"].split(", ") if s]
    return {"software": "borderkit", **found}


def read_geojson(path: str | os.PathLike) -> gpd.GeoDataFrame:
    """Read a GeoJSON FeatureCollection into a GeoDataFrame in EPSG:4326.

    Properties keep their JSON types (dates stay ISO strings), unlike GDAL's GeoJSON
    driver, which turns date-like strings into datetimes.
    """
    with open(path, encoding="utf-8") as fobj:
        data = json.load(fobj)
    features = data["features"] if data.get("type") == "FeatureCollection" else [data]
    columns = list(dict.fromkeys(k for f in features for k in (f.get("properties") or {})))
    gdf = gpd.GeoDataFrame.from_features(features, crs=4326, columns=[*columns, "geometry"])
    return gdf


_TOO_DEEP = "The input is not GeoJSON: it is nested too deeply to parse. Give a FeatureCollection of Features."


def parse_features(text: str) -> list[dict]:
    """Return the features in GeoJSON text, whatever form it comes in.

    Accepted: a FeatureCollection, a Feature, a bare geometry, or a sequence of them,
    one per line (LF) or each after an RS (0x1E) character.

    This is the one parser for GeoJSON text input; every command uses it.

    Examples
    --------
    One object per line; a bare geometry becomes a Feature; blank input has no features:

    >>> point = '{"type": "Point", "coordinates": [46.3, 39.5]}'
    >>> feature = '{"type": "Feature", "properties": {"id": "a"}, "geometry": null}'
    >>> [(f["geometry"] or {}).get("type") for f in parse_features(point + chr(10) + feature)]
    ['Point', None]
    >>> parse_features("  ")
    []
    """
    from borderkit.errors import InputError

    text = text.strip()
    if not text:
        return []
    chunks = text.split("\x1e") if "\x1e" in text else None
    try:
        docs = [json.loads(text)] if chunks is None else [json.loads(c) for c in chunks if c.strip()]
    except RecursionError:
        raise InputError(_TOO_DEEP) from None
    except json.JSONDecodeError:
        try:  # newline-delimited sequence
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        except RecursionError:
            raise InputError(_TOO_DEEP) from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"The input is not GeoJSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. "
                "Give a FeatureCollection, or one Feature per line (or after an RS character)."
            ) from None
        except ValueError as exc:  # e.g. a number of over 4,300 digits
            raise InputError(f"The input is not GeoJSON borderkit can read: {exc}.") from None
    except ValueError as exc:
        raise InputError(f"The input is not GeoJSON borderkit can read: {exc}.") from None
    features: list[dict] = []
    for doc in docs:
        kind = doc.get("type") if isinstance(doc, dict) else None
        if kind == "FeatureCollection":
            members = doc.get("features")
            if not isinstance(members, list):
                raise InputError(
                    f"The FeatureCollection's 'features' member is {type(members).__name__}, not a list. "
                    'Give "features": [ {...}, ... ].'
                )
            features.extend(members)
        elif kind == "Feature":
            features.append(doc)
        elif kind in (
            "Polygon",
            "MultiPolygon",
            "Point",
            "MultiPoint",
            "LineString",
            "MultiLineString",
            "GeometryCollection",
        ):
            features.append({"type": "Feature", "properties": {}, "geometry": doc})
        else:
            raise InputError(
                f"The input has a JSON value of type {kind!r}, which is not GeoJSON. "
                "Allowed: FeatureCollection, Feature or a geometry."
            )
    return features


def features_to_frame(features: list[dict]) -> gpd.GeoDataFrame:
    """Build a GeoDataFrame (no CRS set; GeoJSON means lon/lat) from parsed features.

    Each feature's structure is checked first (:func:`borderkit.features.frame_from_features`),
    so malformed text on stdin stops with a message naming the feature.
    """
    from borderkit.features import frame_from_features

    return frame_from_features(features)


#: Parsed GeoJSON takes about this many times its text's size in memory (Python objects).
STDIN_EXPANSION = 20


def read_stdin_text(stream: IO[bytes] | None = None, *, max_bytes: int | None = None) -> str:
    """Read GeoJSON text from stdin, refusing input larger than the memory limit allows.

    ``yes | borderkit area -`` would otherwise grow without bound; the limit is the job's
    memory limit (:func:`borderkit.validate.memory_limit`) over :data:`STDIN_EXPANSION`,
    since the parsed features take that much more than the text.
    """
    from borderkit.errors import UsageError
    from borderkit.validate import memory_limit

    stream = stream if stream is not None else sys.stdin.buffer
    limit, where = memory_limit(max_bytes)
    cap = max(limit // STDIN_EXPANSION, 1 << 20)
    chunks, size = [], 0
    while block := stream.read(1 << 20):
        size += len(block)
        if size > cap:
            raise UsageError(
                f"stdin holds more than {cap / 2**20:,.0f} MiB of GeoJSON, more than the memory limit "
                f"({where}) allows once parsed. Write it to a file (GeoPackage or FlatGeobuf read "
                "in less memory) or raise the limit with --max-memory / BORDERKIT_MAX_MEMORY."
            )
        chunks.append(block)
    return b"".join(chunks).decode("utf-8", errors="replace")


def read_user_geodata(source: str, *, layer: str | None = None, stdin_text: str | None = None) -> gpd.GeoDataFrame:
    """Read a user's file (GeoJSON, GeoPackage, Shapefile, GeoParquet, FlatGeobuf) or ``-``.

    Raises :class:`~borderkit.errors.InputError` with the reason when the file is
    missing, unreadable, not geodata, or a multi-layer file given without ``layer``.
    """
    from borderkit.errors import InputError, UsageError

    if source == "-":
        return features_to_frame(parse_features(stdin_text or ""))
    if not source.strip():
        raise UsageError(
            "The input path is empty. Give a path to a GeoJSON, GeoPackage, Shapefile or "
            "GeoParquet file, a layer name, or - for stdin."
        )
    path = Path(source)
    try:
        path.stat()
    except FileNotFoundError:
        pass
    except OSError as exc:  # e.g. ENAMETOOLONG: say so instead of "no such file"
        raise UsageError(
            f"The input path {source[:80]!r}… cannot be used: {exc.strerror}. Give a shorter path."
        ) from None
    if not path.exists():
        raise InputError(
            f"No such file: {source!r}. Give a path to a GeoJSON, GeoPackage, "
            "Shapefile or GeoParquet file, a layer name, or - for stdin."
        )
    if path.is_dir() and not list(path.glob("*.shp")):
        raise InputError(f"{source!r} is a folder, not a geodata file. Give a file path.")
    if not os.access(path, os.R_OK):
        raise InputError(f"{source!r} cannot be read (permission denied). Check its permissions.")
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        try:
            return gpd.read_parquet(path)
        except Exception as exc:
            raise InputError(f"{source!r} is not GeoParquet that geopandas can read: {exc}.") from None
    if path.is_file():
        _check_vector_format(path, source)
    return _read_with_gdal(path, source, layer)


#: File signatures of the vector formats borderkit reads through GDAL.
_SIGNATURES = {
    b"SQLite format 3\x00": "GeoPackage",
    b"\x00\x00\x27\x0a": "Shapefile",
    b"fgb\x03": "FlatGeobuf",
}


def _check_vector_format(path: Path, source: str) -> None:
    """Refuse a file that is not GeoJSON, GeoPackage, Shapefile or FlatGeobuf, by its bytes.

    GDAL picks a driver from a file's content, not its name: a ``.geojson`` that holds a VRT,
    WMS or GML description would make GDAL read other local files (``/etc/passwd`` into a
    map's popups) or fetch from the network. Checking the signature first keeps every read
    to the formats borderkit documents, and to the file named.
    """
    from borderkit.errors import InputError

    with open(path, "rb") as fobj:
        head = fobj.read(64)
    if any(head.startswith(sig) for sig in _SIGNATURES):
        return
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n\x1e")
    if text[:1] in (b"{", b"[") or (not text and path.stat().st_size == 0):
        return
    kind = "a ZIP archive" if head.startswith(b"PK") else "XML (a VRT, WMS or GML file?)" if text[:1] == b"<" else None
    found = f"it is {kind}" if kind else f"it starts with {head[:16]!r}"
    raise InputError(
        f"{source!r} is not GeoJSON, GeoPackage, Shapefile or FlatGeobuf ({found}). borderkit reads only "
        "those (and GeoParquet), and never files that point GDAL at other files or the network. "
        "Convert it with ogr2ogr, or unzip an archive first."
    )


def _gdal_reason(exc: Exception, warned: list[str]) -> str:
    """Say why GDAL/shapely could not read a file, in words a user can act on."""
    text = " ".join([str(exc).splitlines()[0] if str(exc) else type(exc).__name__, *warned])
    if "closed" in text.lower():
        return (
            "a polygon ring is not closed. Polygon rings need at least 4 positions with the "
            "first repeated last; fix the ring in your GIS"
        )
    return text


@contextlib.contextmanager
def _gdal_safe_path(path: Path) -> Iterator[Path]:
    """Yield a path GDAL reads as the plain local file it is.

    pyogrio parses paths as URIs: ``a;b.geojson`` opens ``a``, ``x!y.geojson`` an archive
    member, and ``GeoJSON:x.geojson`` is a driver prefix. A file whose name would be read as
    anything else is opened through symlinks with plain names in a private folder (its
    sidecar files too, for Shapefiles), so the file named is the file read.
    """
    from pyogrio.util import vsi_path

    text = str(path)
    if path.is_dir() or (vsi_path(text) == text and ":" not in path.name and not text.startswith("/vsi")):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="borderkit-read-") as folder:
        siblings = [p for p in path.parent.glob(glob.escape(path.stem) + ".*") if p.stem == path.stem] or [path]
        for sibling in siblings:
            os.symlink(sibling.resolve(), Path(folder) / ("input" + sibling.suffix))
        yield Path(folder) / ("input" + path.suffix)


def _read_with_gdal(path: Path, source: str, layer: str | None) -> gpd.GeoDataFrame:
    """List the layers and read one through GDAL, with GDAL's warnings kept for the message.

    GDAL reports some problems (an unclosed ring) only as warnings, which pyogrio raises
    inside its error handler where nobody can catch them; recording them here lets the
    error say what was wrong instead of printing a stray warning.
    """
    import warnings

    import pyogrio

    from borderkit.errors import InputError

    # GDAL refuses GeoJSON objects over 200 MB of parse tree (a ~2M-vertex polygon) by default
    # and then calls the file "not recognized"; borderkit reads them (memory is the only limit).
    pyogrio.set_gdal_config_options({"OGR_GEOJSON_MAX_OBJ_SIZE": "0"})
    with _gdal_safe_path(path) as gdal_path, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            names = [str(n) for n in pyogrio.list_layers(gdal_path)[:, 0]]
        except Exception as exc:
            raise InputError(
                f"{source!r} is not a geodata file GDAL can open ({_gdal_reason(exc, [])}). "
                "Allowed: GeoJSON, GeoPackage, Shapefile, GeoParquet, FlatGeobuf."
            ) from None
        if layer is None and len(names) > 1:
            raise InputError(f"{source!r} has {len(names)} layers: {', '.join(names)}. Pick one with --layer.")
        if layer is not None and layer not in names:
            raise InputError(f"{source!r} has no layer {layer!r}. Its layers: {', '.join(names)}.")
        try:
            return gpd.read_file(gdal_path, layer=layer)
        except Exception as exc:
            warned = [str(w.message) for w in caught]
            raise InputError(f"{source!r} could not be read: {_gdal_reason(exc, warned)}.") from None


def write_geotiff(
    path: str | os.PathLike,
    array: np.ndarray,
    *,
    transform: Any,
    crs: Any,
    nodata: float,
    dtype: str = "float32",
    tags: dict | None = None,
    option: str = "-o",
) -> None:
    """Write one band as a deflate-compressed GeoTIFF with its CRS and nodata, atomically.

    The GeoTIFF is encoded in memory (a rasterio ``MemoryFile``) and its bytes go through
    :func:`write_output`, like every other output. Why not let GDAL write the file: GDAL
    writes through its own I/O layer, where a failed write on a full disk may only be
    logged, or surface at close, and a truncated file then looks written; and it would be
    a second writer with its own temporary file, signal and cleanup rules. In memory, GDAL
    cannot fail half-way on disk; ``write_output`` then checks every write, syncs, renames
    atomically, and can also stream to a FIFO or /dev/stdout (GTiff needs a seekable file
    to write to). The cost is one copy of the compressed raster in memory, small for the
    rasters borderkit writes. The encoded bytes are checked to be a TIFF before writing.

    Parameters
    ----------
    path
        The output file.
    array
        The band, shape (rows, cols).
    transform
        An ``affine.Affine`` from pixel to CRS coordinates.
    crs
        Anything with ``to_wkt()``.
    nodata, dtype, tags
        The band's nodata value, data type and metadata tags.
    option
        The command-line option that named ``path``, for messages.

    Raises
    ------
    OutputError
        The raster could not be encoded or written (see :func:`write_output`).
    """
    try:
        import rasterio
        from rasterio.io import MemoryFile
    except ImportError as exc:  # pragma: no cover - rasterio is a runtime dependency
        from borderkit.errors import UsageError

        raise UsageError("Writing rasters needs rasterio: pip install rasterio.") from exc
    profile = {
        "driver": "GTiff",
        "height": array.shape[0],
        "width": array.shape[1],
        "count": 1,
        "dtype": dtype,
        "crs": crs.to_wkt(),
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
    }
    try:
        with MemoryFile(ext=".tif") as memfile:
            with memfile.open(**profile) as dst:
                dst.write(array.astype(dtype, copy=False), 1)
                if tags:
                    dst.update_tags(**tags)
            data = bytes(memfile.getbuffer())
    except rasterio.errors.RasterioError as exc:
        raise OutputError(f"could not encode the GeoTIFF for {os.fspath(path)}: {exc}.") from None
    if not data.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        raise OutputError(f"could not encode the GeoTIFF for {os.fspath(path)}: GDAL produced no TIFF.")
    write_output(path, data, option=option)
