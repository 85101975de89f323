"""Hostile outputs (issue "Hostile input", class 3): outputs never destroy what they should not.

Every command that writes a file is run against outputs that used to destroy something:
an input given again as the output (same path, symbolic link, hard link), two outputs of
one command that are one file, device nodes (/dev/null, /dev/full), /dev/stdout, FIFOs,
sockets, block devices, missing and read-only folders, a full disk, and signals (TERM,
INT, HUP, KILL) in the middle of a write. CSV outputs are checked for formula injection.

Device nodes, tmpfs mounts and read-only mounts are made only inside a private mount
namespace (``unshare -m``): the real /dev is never touched. Those cases need root and
unshare; they are skipped, with that reason, elsewhere (CI runs as root).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from borderkit.report import render_frame
from tests.dems import fractal, write_dem
from tests.hostile.conftest import Outcome, _snapshot, check_invariants, sha256

REPO = Path(__file__).resolve().parents[2]
BORDERKIT = [sys.executable, "-m", "borderkit"]

# A launcher for real processes that can switch off O_TMPFILE (to exercise the mkstemp
# fallback) and make the final fsync slow (to hit "mid-write" deterministically). Test code
# only: borderkit itself has no such hooks.
LAUNCHER = r"""
import os, sys, time
import borderkit.io as bio
if os.environ.get("BK_TEST_NO_TMPFILE"):
    bio.USE_O_TMPFILE = False
if os.environ.get("BK_TEST_SLOW_FSYNC"):
    real_fsync = os.fsync
    def slow_fsync(fd):
        if os.path.isfile(f"/proc/self/fd/{fd}"):  # the output file, not its folder
            sys.stderr.write("BK-WRITING\n")
            sys.stderr.flush()
            time.sleep(60)
        return real_fsync(fd)
    os.fsync = slow_fsync
from borderkit.cli.main import main
main(prog_name="borderkit")
"""

# Run inside the namespace after borderkit: describe what is left in the mounted folders.
SNAPSHOT = r"""
import hashlib, json, os, stat, sys
out = {}
for folder in sys.argv[2:]:
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        st = os.lstat(path)
        mode = st.st_mode
        kind = ("char" if stat.S_ISCHR(mode) else "block" if stat.S_ISBLK(mode) else "fifo" if stat.S_ISFIFO(mode)
                else "link" if stat.S_ISLNK(mode) else "file" if stat.S_ISREG(mode) else "other")
        entry = {"kind": kind}
        if kind in ("char", "block"):
            entry["dev"] = [os.major(st.st_rdev), os.minor(st.st_rdev)]
        if kind == "file":
            with open(path, "rb") as fobj:
                entry["sha256"] = hashlib.sha256(fobj.read()).hexdigest()
        if kind == "link":
            entry["to"] = os.readlink(path)
        out[path] = entry
with open(sys.argv[1], "w") as fobj:
    json.dump(out, fobj)
"""

OLD = b'{"old": "this file must survive"}\n'
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HYPERLINK = '=HYPERLINK("http://x","y")'


def _namespace_ok() -> str | None:
    """Return why namespace cases cannot run here, or None when they can."""
    if os.geteuid() != 0:
        return "needs root: device nodes (mknod), tmpfs and read-only mounts"
    if shutil.which("unshare") is None:
        return "needs unshare (util-linux) for a private mount namespace"
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"unshare -m is not permitted here: {probe.stderr.decode(errors='replace').strip()}"
    return None


NS_PROBLEM = _namespace_ok()
needs_namespace = pytest.mark.skipif(NS_PROBLEM is not None, reason=f"private mount namespace: {NS_PROBLEM}")
needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv to drop CAP_DAC_OVERRIDE"
)


# ---------------------------------------------------------------- fixtures and runners
@pytest.fixture
def world(tmp_path):
    """Input files of every kind the writing commands read, and the launcher script."""
    coords = [[[45.0, 40.0], [45.1, 40.0], [45.1, 40.1], [45.0, 40.1], [45.0, 40.0]]]
    zones = tmp_path / "zones.geojson"
    feature = {"type": "Feature", "properties": {"id": "+a", "name": HYPERLINK, "v": -3.5}}
    zones.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{**feature, "geometry": {"type": "Polygon", "coordinates": coords}}],
            }
        )
    )
    line = tmp_path / "line.geojson"
    line.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"id": "l"},
                        "geometry": {"type": "LineString", "coordinates": [[45.0, 39.7], [45.01, 39.71]]},
                    }
                ],
            }
        )
    )
    dem = Path(write_dem(tmp_path / "dem.tif", fractal(48)))
    est = tmp_path / "figures.csv"  # only refused as an output here: its content is never read
    est.write_text("id,value,unit\nx,41,km2\n")
    import geopandas as gpd

    shp = tmp_path / "shape" / "zones.shp"
    shp.parent.mkdir()
    gpd.read_file(zones).to_file(shp)
    launcher = tmp_path / "bk_launcher.py"
    launcher.write_text(LAUNCHER)
    return SimpleNamespace(
        tmp=tmp_path, zones=zones, line=line, dem=dem, est=est, shp=shp, dbf=shp.with_suffix(".dbf"), launcher=launcher
    )


def _q(args) -> str:
    return " ".join(shlex.quote(str(a)) for a in args)


def namespaced(
    world,
    *,
    setup: str,
    args,
    exit: int,
    says=(),
    inputs=(),
    mounts=(),
    redirect: Path | None = None,
    env: dict | None = None,
    timeout: float = 120,
):
    """Run borderkit in a private mount namespace after ``setup``; check the shared invariants.

    Returns (outcome, entries left in ``mounts`` as seen inside the namespace, raw stdout).
    """
    report = world.tmp / "ns-report.json"
    report.unlink(missing_ok=True)
    command = _q([sys.executable, world.launcher, *args]) + (f" > {shlex.quote(str(redirect))}" if redirect else "")
    script = "\n".join(
        [
            "set -e",
            setup,
            "set +e",
            command,
            "rc=$?",
            _q([sys.executable, "-c", SNAPSHOT, report, *mounts]),
            "exit $rc",
        ]
    )
    hashes = {Path(p): sha256(Path(p)) for p in inputs}
    snapshot = _snapshot([world.tmp])
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=world.tmp,
    )
    outcome = Outcome(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))
    check_invariants(outcome, exit_code=exit, says=says, hashes=hashes, snapshot=snapshot)
    after = json.loads(report.read_text()) if report.exists() else {}
    return outcome, after, proc.stdout


def _mount_tmpfs(folder: Path, size: str = "2m") -> str:
    """Shell lines: a fresh tmpfs on ``folder`` with /dev/null (1,3) and /dev/full (1,7) twins."""
    f = shlex.quote(str(folder))
    return f"mount -t tmpfs -o size={size} tmpfs {f}\nmknod {f}/null c 1 3\nmknod {f}/full c 1 7"


# The namespace's own /dev: a tmpfs with the nodes Python needs; the real /dev stays untouched.
FRESH_DEV = "\n".join(
    [
        "mount -t tmpfs -o size=1m,mode=755 tmpfs /dev",
        "mknod -m 666 /dev/null c 1 3",
        "mknod -m 666 /dev/full c 1 7",
        "mknod -m 666 /dev/zero c 1 5",
        "mknod -m 666 /dev/random c 1 8",
        "mknod -m 666 /dev/urandom c 1 9",
        "ln -s /proc/self/fd /dev/fd",
        "ln -s /proc/self/fd/0 /dev/stdin",
        "ln -s /proc/self/fd/1 /dev/stdout",
        "ln -s /proc/self/fd/2 /dev/stderr",
    ]
)


def _no_hidden(after: dict) -> list[str]:
    return [p for p in after if os.path.basename(p).startswith(".")]


# ---------------------------------------------------------------- output == input
# name -> (argv for an output path ``o``, the input that ``o`` aliases)
SAME_FILE = {
    "area": (lambda w, o: ["area", w.zones, "-o", o], "zones"),
    "area-dem": (lambda w, o: ["area", w.zones, "--method", "surface", "--dem", w.dem, "-o", o], "dem"),
    "area-shapefile-part": (lambda w, o: ["area", w.shp, "-o", o], "dbf"),
    "crossings": (lambda w, o: ["crossings", w.line, "-o", o], "line"),
    "reconcile-estimates": (lambda w, o: ["reconcile", "--estimates", w.est, "-o", o], "est"),
    "reconcile-raster": (lambda w, o: ["reconcile", "--estimates", w.est, "--probability-raster", o], "est"),
    "reconcile-figures": (lambda w, o: ["reconcile", "--figures", w.est, "-o", o], "est"),
    "hillshade": (lambda w, o: ["terrain", "hillshade", "--dem", w.dem, "-o", o], "dem"),
    "slope": (lambda w, o: ["terrain", "slope", "--dem", w.dem, "-o", o], "dem"),
    "viewshed": (lambda w, o: ["terrain", "viewshed", "--dem", w.dem, "--observer", "45.0,39.7", "-o", o], "dem"),
    "viewshed-line": (
        lambda w, o: ["terrain", "viewshed", "--dem", w.dem, "--observer", "45.0,39.7", "--line", w.line, "-o", o],
        "line",
    ),
    "profile-line": (lambda w, o: ["terrain", "profile", "--dem", w.dem, w.line, "-o", o], "line"),
    "profile-dem": (lambda w, o: ["terrain", "profile", "--dem", w.dem, w.line, "-o", o], "dem"),
    "surface-area": (lambda w, o: ["terrain", "surface-area", "--dem", w.dem, w.zones, "-o", o], "zones"),
    "map-add": (lambda w, o: ["map", "--add", w.zones, "-o", o], "zones"),
    "map-png-dem": (lambda w, o: ["map", "--dem", w.dem, "-o", w.tmp / "m.html", "--png", o], "dem"),
}


@pytest.mark.parametrize("alias", ["same-path", "symlink", "hardlink"])
@pytest.mark.parametrize("command", list(SAME_FILE))
def test_output_that_is_an_input_is_refused(hostile, world, command, alias):
    argv_for, key = SAME_FILE[command]
    source = getattr(world, key)
    out = source if alias == "same-path" else world.tmp / "alias.out"
    if alias == "symlink":
        out.symlink_to(source)
    elif alias == "hardlink":
        os.link(source, out)
    everything = [world.zones, world.line, world.dem, world.est, world.shp, world.dbf]
    hostile(
        *argv_for(world, out),
        exit=2,
        says=["never overwrites its input", str(out)],
        inputs=everything,
        watch=[world.tmp, world.shp.parent],
    )


# ---------------------------------------------------------------- other names of one file: /proc, /dev/fd, stdin
# Every output is resolved to the file it reaches, whatever its name: /proc/self/cwd/<input>,
# /proc/self/root/<input> and /proc/self/fd/N opened on an input are the input (REPRO.sh 1).
def _proc_alias(world, source: Path, alias: str, monkeypatch, opened: list[int]) -> str:
    if alias == "proc-cwd":
        monkeypatch.chdir(world.tmp)
        return f"/proc/self/cwd/{source.relative_to(world.tmp)}"
    if alias == "proc-root":
        return f"/proc/self/root{source}"
    fd = os.open(source, os.O_RDONLY)
    opened.append(fd)
    return f"/proc/self/fd/{fd}"


@pytest.mark.parametrize("alias", ["proc-cwd", "proc-root", "proc-fd"])
@pytest.mark.parametrize("command", list(SAME_FILE))
def test_proc_and_fd_names_of_an_input_are_refused(hostile, world, command, alias, monkeypatch):
    argv_for, key = SAME_FILE[command]
    opened: list[int] = []
    try:
        out = _proc_alias(world, getattr(world, key), alias, monkeypatch, opened)
        everything = [world.zones, world.line, world.dem, world.est, world.shp, world.dbf]
        hostile(
            *argv_for(world, out),
            exit=2,
            says=["never overwrites its input", out],
            inputs=everything,
            watch=[world.tmp, world.shp.parent],
        )
    finally:
        for fd in opened:
            os.close(fd)


def shell_run(world, line: str, *, exit: int, says=(), inputs=(), env: dict | None = None) -> Outcome:
    """Run ``line`` (``bk`` is borderkit) in sh, in ``world.tmp``, and check the shared invariants.

    For what only a real process shows: its own /proc/self, file descriptors the shell opens
    (``7<>file``) and stdin redirected from a file.
    """
    hashes = {Path(p): sha256(Path(p)) for p in inputs}
    snapshot = _snapshot([world.tmp, world.shp.parent])
    proc = subprocess.run(
        ["sh", "-c", f'bk() {{ {_q(BORDERKIT)} "$@"; }}\n{line}'],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=world.tmp,
        env={**os.environ, **(env or {})},
    )
    outcome = Outcome(proc.returncode, proc.stdout, proc.stderr)
    check_invariants(outcome, exit_code=exit, says=says, hashes=hashes, snapshot=snapshot)
    return outcome


# REPRO.sh block 1, as written there: name -> (shell line, what the refusal says)
INPUT_ALIASES = {
    "proc-cwd": ("bk area zones.geojson -o /proc/self/cwd/zones.geojson", "is the input"),
    "dev-stdin": ("bk area - -o /dev/stdin < zones.geojson", "is borderkit's stdin"),
    "dev-fd-0": ("bk area - -o /dev/fd/0 < zones.geojson", "is borderkit's stdin"),
    "stdin-file-by-name": ("bk area - -o zones.geojson < zones.geojson", "is borderkit's stdin"),
    "stdin-pipe": ("cat zones.geojson | bk area - -o /dev/stdin", "is borderkit's stdin"),
    "dev-fd-7": ("bk area zones.geojson -o /dev/fd/7 7<>zones.geojson", "is the input"),
    "proc-root": ('bk area zones.geojson -o "/proc/self/root$PWD/zones.geojson"', "is the input"),
    "hillshade-dem": ("bk terrain hillshade --dem dem.tif -o /proc/self/cwd/dem.tif", "is the input"),
    "reconcile-figures": ("bk reconcile --figures figures.csv -o /proc/self/cwd/figures.csv", "is the input"),
    "shapefile-dbf": ("bk area shape/zones.shp -o /proc/self/cwd/shape/zones.dbf", "a part of the input"),
    "viewshed-line": (
        "bk terrain viewshed --dem dem.tif --observer 45.0,39.7 --line line.geojson -o /proc/self/cwd/line.geojson",
        "is the input",
    ),
}


@pytest.mark.parametrize("case", list(INPUT_ALIASES))
def test_real_process_names_of_an_input_are_refused(world, case):
    line, says = INPUT_ALIASES[case]
    shell_run(
        world,
        line,
        exit=2,
        says=[says, "never overwrites its input"],
        inputs=[world.zones, world.line, world.dem, world.est, world.shp, world.dbf],
    )


def test_dev_fd_on_another_file_replaces_it_atomically(world):
    """Legitimate: /dev/fd/7 opened on a file that is not an input; the file is replaced, never truncated."""
    old = world.tmp / "old.csv"
    old.write_bytes(OLD)
    inode = old.stat().st_ino
    out = shell_run(
        world, "bk area zones.geojson --format csv -o /dev/fd/7 7<>old.csv", exit=0, says=["wrote /dev/fd/7"]
    )
    assert old.read_text().startswith("id,name,area_km2"), out.output
    assert old.stat().st_ino != inode  # a new file renamed into place, not the old one written over


def test_proc_cwd_new_file_is_written_at_its_real_path(world):
    shell_run(world, "bk area zones.geojson --format csv -o /proc/self/cwd/new.csv", exit=0, says=["wrote"])
    assert (world.tmp / "new.csv").read_text().startswith("id,name,area_km2")


def test_dev_fd_on_a_deleted_file_is_refused(world):
    shell_run(
        world,
        "exec 7<>gone.csv && rm gone.csv && bk area zones.geojson -o /dev/fd/7",
        exit=2,
        says=["no real path"],
        inputs=[world.zones],
    )
    assert not (world.tmp / "gone.csv").exists()


@pytest.mark.parametrize("out", ["/proc/self/new.csv", "/proc/self/root/proc/self/x.csv", "/sys/x.csv"])
def test_kernel_file_system_is_never_an_output(hostile, world, out, monkeypatch):
    monkeypatch.chdir(world.tmp)
    hostile("area", world.zones, "-o", out, exit=2, says=["kernel"], inputs=[world.zones])


def test_stdout_redirected_into_an_input_is_refused(world):
    """/dev/stdout is streamed (redirections honoured), but never into an input: `1<>input`."""
    shell_run(
        world,
        "bk area zones.geojson -o /dev/stdout 1<>zones.geojson",
        exit=2,
        says=["never overwrites its input"],
        inputs=[world.zones],
    )


def test_control_a_hard_link_really_is_the_input(world):
    """Control: writing through the hard link changes the input, so the hash check can fail."""
    before = sha256(world.est)
    os.link(world.est, world.tmp / "alias.csv")
    (world.tmp / "alias.csv").write_text("clobbered\n")
    assert sha256(world.est) != before


@pytest.fixture
def bundled(world, monkeypatch):
    """A private copy of the bundled data, used by borderkit through BORDERKIT_GEODATA."""
    data = world.tmp / "geodata"
    shutil.copytree(REPO / "geodata", data, ignore=shutil.ignore_patterns("raw", "*.md"))
    monkeypatch.setenv("BORDERKIT_GEODATA", str(data))
    return data


def test_bundled_data_is_never_an_output(hostile, bundled):
    target = bundled / "layers" / "countries.geojson"
    hostile("layers", "show", "countries", "-o", target, exit=2, says=["bundled data"], inputs=[target])


@pytest.mark.parametrize("alias", ["proc-cwd", "proc-root", "hardlink"])
def test_bundled_data_by_another_name_is_never_an_output(hostile, world, bundled, alias, monkeypatch):
    """REPRO.sh 2: `events -o /proc/self/cwd/<data>/figures.csv` replaced the bundled figures."""
    target = bundled / "figures.csv"
    if alias == "proc-cwd":
        monkeypatch.chdir(world.tmp)
        out = f"/proc/self/cwd/{target.relative_to(world.tmp)}"
    elif alias == "proc-root":
        out = f"/proc/self/root{target}"
    else:
        out = world.tmp / "figures-link.csv"
        os.link(target, out)
    hostile("events", "-o", out, exit=2, says=["bundled data"], inputs=[target])


def test_stdout_appending_to_bundled_data_is_refused(world, bundled):
    shell_run(
        world,
        f"bk events -o /dev/stdout >> {shlex.quote(str(bundled / 'figures.csv'))}",
        exit=2,
        says=["bundled data"],
        inputs=[bundled / "figures.csv"],
        env={"BORDERKIT_GEODATA": str(bundled)},
    )


# ---------------------------------------------------------------- two outputs, one file
@pytest.mark.parametrize(
    "case",
    [
        "map-same-path",
        "map-symlink",
        "map-hardlink-existing",
        "timeline",
        "reconcile",
        "map-proc-cwd-existing",
        "map-proc-cwd-new",
        "map-proc-fd",
        "reconcile-proc-cwd",
    ],
)
def test_two_outputs_that_are_one_file_are_refused(hostile, world, case, monkeypatch):
    html = world.tmp / "m.html"
    inputs = []
    opened: list[int] = []
    if case == "map-proc-cwd-existing":  # REPRO.sh 2: left a PNG in m.html
        html.write_text('<!DOCTYPE html>\n<html>\n<head>\n<meta name="generator" content="borderkit map">\n')
        monkeypatch.chdir(world.tmp)
        argv = ["map", "--samples", "0", "-o", "/proc/self/cwd/m.html", "--png", "m.html"]
        inputs = [html]
    elif case == "map-proc-cwd-new":
        monkeypatch.chdir(world.tmp)
        argv = ["map", "--samples", "0", "-o", "m.html", "--png", "/proc/self/cwd/m.html"]
    elif case == "map-proc-fd":
        html.write_bytes(OLD)
        opened.append(os.open(html, os.O_RDONLY))
        argv = ["map", "--overwrite", "-o", html, "--png", f"/proc/self/fd/{opened[0]}"]
        inputs = [html]
    elif case == "reconcile-proc-cwd":  # REPRO.sh 2
        (world.tmp / "a.tif").write_bytes(OLD)
        inputs = [world.tmp / "a.tif"]
        monkeypatch.chdir(world.tmp)
        argv = ["reconcile", "--estimates", world.est, "--probability-raster", "a.tif", "-o", "/proc/self/cwd/a.tif"]
    elif case == "map-same-path":
        argv = ["map", "-o", html, "--png", html]
    elif case == "map-symlink":
        (world.tmp / "link.png").symlink_to(html)
        argv = ["map", "-o", html, "--png", world.tmp / "link.png"]
    elif case == "map-hardlink-existing":
        html.write_bytes(OLD)
        os.link(html, world.tmp / "hard.png")
        argv = ["map", "--overwrite", "-o", html, "--png", world.tmp / "hard.png"]
        inputs = [html]
    elif case == "timeline":
        argv = ["timeline", "-o", world.tmp / "t.csv", "--png", world.tmp / "sub" / ".." / "t.csv"]
        (world.tmp / "sub").mkdir()
    else:
        argv = ["reconcile", "--estimates", world.est, "-o", world.tmp / "r.tif", "--probability-raster", "r.tif"]
        monkeypatch.chdir(world.tmp)
    try:
        hostile(*argv, exit=2, says=["are the same file", "its own path"], inputs=inputs)
    finally:
        for fd in opened:
            os.close(fd)


def test_two_outputs_through_stdout_are_refused(world):
    """-o /dev/stdout --png /dev/fd/1: the CSV and the PNG would be mixed in one file."""
    shell_run(world, "bk timeline -o /dev/stdout --png /dev/fd/1 > both.out", exit=2, says=["are the same file"])
    assert (world.tmp / "both.out").read_bytes() == b""


# ---------------------------------------------------------------- bad output paths
BAD_PATHS = {
    "missing-folder": (lambda w: w.tmp / "nope" / "out.csv", "does not exist"),
    "is-a-folder-new": (lambda w: str(w.tmp / "newdir") + "/", "is a folder"),
    "parent-is-a-file": (lambda w: w.zones / "out.csv", "is a file, not a folder"),
    "empty": (lambda w: "", "is empty"),
    "dangling-symlink-to-missing-folder": (lambda w: _dangling(w), "does not exist"),
}


def _dangling(w):
    link = w.tmp / "dangling.csv"
    link.symlink_to(w.tmp / "gone" / "x.csv")
    return link


@pytest.mark.parametrize("bad", list(BAD_PATHS))
@pytest.mark.parametrize(
    "command",
    [
        ["area", "{zones}", "-o", "{out}"],
        ["terrain", "hillshade", "--dem", "{dem}", "-o", "{out}"],
        ["timeline", "--png", "{out}"],
        ["reconcile", "--estimates", "{est}", "--probability-raster", "{out}"],
        ["map", "--png", "{out}", "-o", "{tmp}/m.html"],
    ],
    ids=["area", "hillshade", "timeline-png", "reconcile-raster", "map-png"],
)
def test_bad_output_path_is_a_usage_error(hostile, world, bad, command):
    make, says = BAD_PATHS[bad]
    out = make(world)
    argv = [a.format(out=out, zones=world.zones, dem=world.dem, est=world.est, tmp=world.tmp) for a in command]
    hostile(*argv, exit=2, says=[says], inputs=[world.zones, world.dem, world.est])
    assert not (world.tmp / "m.html").exists()


@pytest.mark.parametrize(
    "command", [["area", "{zones}"], ["terrain", "slope", "--dem", "{dem}"], ["map"]], ids=["area", "slope", "map"]
)
def test_existing_folder_as_output_is_a_usage_error(hostile, world, command):
    folder = world.tmp / "folder"
    folder.mkdir()
    argv = [a.format(zones=world.zones, dem=world.dem) for a in command] + ["-o", folder]
    hostile(*argv, exit=2, says=["is a directory"], inputs=[world.zones, world.dem])
    assert folder.is_dir() and not list(folder.iterdir())


def test_socket_as_output_is_refused(hostile, world):
    path = world.tmp / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        hostile("area", world.zones, "-o", path, exit=2, says=["socket"], inputs=[world.zones])
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_symlink_output_to_a_non_input_is_written_through(hostile, world):
    real = world.tmp / "real.csv"
    real.write_bytes(OLD)
    os.chmod(real, 0o640)
    link = world.tmp / "link.csv"
    link.symlink_to(real)
    hostile("area", world.zones, "--format", "csv", "-o", link, exit=0, says=["wrote"], inputs=[world.zones])
    assert link.is_symlink() and real.read_text().startswith("id,name,area_km2")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the old file's permissions are kept


# ---------------------------------------------------------------- a file's name says what it holds
WRONG_NAME = {
    "map-png": (
        ["map", "--samples", "0", "-o", "m.html", "--png", "p.svg"],
        "--png expects a .png file name; got 'p.svg'",
    ),
    "timeline-png": (["timeline", "--png", "t.jpg"], "--png expects a .png file name; got 't.jpg'"),
    "hillshade": (["terrain", "hillshade", "--dem", "{dem}", "-o", "h.png"], "-o expects a .tif or .tiff file name"),
    "slope": (["terrain", "slope", "--dem", "{dem}", "-o", "s.csv"], "-o expects a .tif or .tiff file name"),
    "viewshed": (
        ["terrain", "viewshed", "--dem", "{dem}", "--observer", "45.0,39.7", "-o", "v"],
        "-o expects a .tif or .tiff file name; got 'v'",
    ),
    "raster": (
        ["reconcile", "--estimates", "{est}", "--probability-raster", "r.png"],
        "--probability-raster expects a .tif or .tiff file name",
    ),
    "map-o": (["map", "--samples", "0", "-o", "m.png"], "-o expects a .html or .htm file name; got 'm.png'"),
    "symlink-to-svg": (["timeline", "--png", "link.png"], "--png expects a .png file name; got 'link.png'"),
}


@pytest.mark.parametrize("case", list(WRONG_NAME))
def test_output_name_must_match_its_format(hostile, world, case, monkeypatch):
    """`--png p.svg` wrote PNG bytes into a .svg file; a name that lies about the format is refused."""
    argv, says = WRONG_NAME[case]
    monkeypatch.chdir(world.tmp)
    (world.tmp / "link.png").symlink_to("p.svg")
    before = set(os.listdir(world.tmp))
    hostile(*[a.format(dem=world.dem, est=world.est) for a in argv], exit=2, says=[says], inputs=[world.dem])
    assert set(os.listdir(world.tmp)) == before


def test_output_name_check_ignores_case(hostile, world):
    out = world.tmp / "SHADE.TIFF"
    hostile("terrain", "hillshade", "--dem", world.dem, "-o", out, exit=0, says=["wrote"], inputs=[world.dem])
    assert out.read_bytes()[:4] == b"II*\x00"


@pytest.mark.parametrize(
    "text",
    [
        '<p>this page mentions content="borderkit map"</p>\n',
        '<html><body><meta name="generator" content="borderkit map">\n',
        '<!DOCTYPE html>\n<html>\n<head>\n<script>x</script>\n<meta name="generator" content="borderkit map">\n',
        '<!DOCTYPE html>\n<html>\n<head>\n<meta name="generator" content="borderkit map" extra>\n',
    ],
    ids=["quoted-in-body", "meta-in-body", "after-a-script", "not-the-exact-tag"],
)
def test_map_replaces_only_its_own_maps(hostile, world, text):
    """The overwrite guard wants the exact generator tag borderkit writes at the top of the head."""
    html = world.tmp / "page.html"
    html.write_text(text)
    hostile("map", "--samples", "0", "-o", html, exit=2, says=["not written by borderkit map"], inputs=[html])


# ---------------------------------------------------------------- FIFOs (streamed, never replaced)
def _fifo_reader(path: Path):
    box: dict = {}

    def read():
        with open(path, "rb") as fobj:
            box["data"] = fobj.read()

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, box


@pytest.mark.parametrize(
    ("argv", "magic"),
    [
        (["area", "{zones}", "--format", "csv"], b"id,name,area_km2"),
        # GeoJSON is written by GDAL (RFC7946=YES), which puts a newline after the brace
        (["layers", "show", "enclaves"], b'{\n"type": "FeatureCollection"'),
        (["terrain", "hillshade", "--dem", "{dem}"], b"II*\x00"),
        (["timeline", "-o", "{tmp}/t.csv", "--png"], PNG_MAGIC),
    ],
    ids=["area-csv", "layers-show", "hillshade-tif", "timeline-png"],
)
def test_fifo_output_is_streamed_to_its_reader(hostile, world, argv, magic):
    fifo = world.tmp / "pipe"
    os.mkfifo(fifo)
    thread, box = _fifo_reader(fifo)
    args = [a.format(zones=world.zones, dem=world.dem, tmp=world.tmp) for a in argv]
    if "--png" not in args:
        args.append("-o")
    try:
        hostile(*args, fifo, exit=0, says=["wrote"], inputs=[world.zones, world.dem])
    finally:
        if thread.is_alive():  # the command never opened the FIFO: release the reader
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced by a regular file"
    assert box["data"].startswith(magic)


def test_control_rename_would_replace_the_fifo(world):
    """Control: the old writer's rename turns a FIFO into a regular file, which the FIFO test detects."""
    fifo = world.tmp / "pipe"
    os.mkfifo(fifo)
    tmp = world.tmp / "x.tmp"
    tmp.write_text("x")
    os.replace(tmp, fifo)
    assert not stat.S_ISFIFO(os.lstat(fifo).st_mode)


# ---------------------------------------------------------------- device nodes (namespace only)
@needs_namespace
@pytest.mark.parametrize(
    ("argv", "node", "exit", "says"),
    [
        (["area", "countries", "-o"], "null", 0, ["wrote"]),
        (["area", "countries", "--format", "csv", "-o"], "full", 1, ["no space left on device (errno 28)", "-o"]),
        (["layers", "show", "enclaves", "-o"], "full", 1, ["errno 28"]),
        (["terrain", "hillshade", "--dem", "{dem}", "-o"], "null", 0, ["wrote"]),
        (["terrain", "hillshade", "--dem", "{dem}", "-o"], "full", 1, ["no space left on device (errno 28)"]),
        (["timeline", "--png"], "full", 1, ["errno 28", "choose another --png"]),
        (
            ["map", "--layers", "countries", "--samples", "0", "--overwrite", "-o", "{mnt}/null", "--png"],
            "full",
            1,
            ["errno 28", "--png"],
        ),
    ],
    ids=["area-null", "area-full", "layers-full", "hillshade-null", "hillshade-full", "timeline-full", "map-png-full"],
)
def test_device_node_is_written_not_replaced(world, argv, node, exit, says):
    mnt = world.tmp / "mnt"
    mnt.mkdir()
    args = [a.format(dem=world.dem, mnt=mnt) for a in argv] + [mnt / node]
    outcome, after, _ = namespaced(
        world, setup=_mount_tmpfs(mnt), args=args, exit=exit, says=says, inputs=[world.dem], mounts=[mnt]
    )
    assert after[str(mnt / "null")] == {"kind": "char", "dev": [1, 3]}
    assert after[str(mnt / "full")] == {"kind": "char", "dev": [1, 7]}
    assert not _no_hidden(after)
    if exit == 0:
        assert "wrote" in outcome.stderr


@needs_namespace
def test_control_rename_would_replace_a_device_node(world):
    """Control: a rename over a device node turns it into a regular file, which the device tests detect."""
    mnt = world.tmp / "mnt"
    mnt.mkdir()
    script = _mount_tmpfs(mnt) + f"\necho x > {mnt}/t && mv {mnt}/t {mnt}/null && stat -c %F {mnt}/null"
    proc = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], capture_output=True)
    assert proc.stdout.decode().strip() == "regular file"


@needs_namespace
def test_block_device_is_refused(world):
    mnt = world.tmp / "mnt"
    mnt.mkdir()
    _, after, _ = namespaced(
        world,
        setup=_mount_tmpfs(mnt) + f"\nmknod {mnt}/disk b 7 0",
        args=["area", "countries", "-o", mnt / "disk"],
        exit=2,
        says=["block device"],
        mounts=[mnt],
    )
    assert after[str(mnt / "disk")] == {"kind": "block", "dev": [7, 0]}


@needs_namespace
@pytest.mark.parametrize(
    ("argv", "exit", "says"),
    [
        (["area", "countries", "--format", "csv", "-o", "/dev/null"], 0, ["wrote /dev/null"]),
        (["area", "countries", "--format", "csv", "-o", "/dev/full"], 1, ["/dev/full", "errno 28"]),
        (["layers", "show", "enclaves", "-o", "/dev/stdout"], 0, ["wrote /dev/stdout"]),
        (["timeline", "-o", "/dev/null", "--png", "/dev/stdout"], 0, ["wrote /dev/null"]),
    ],
    ids=["dev-null", "dev-full", "dev-stdout-pipe", "dev-stdout-png"],
)
def test_real_device_paths_in_a_fresh_dev(world, argv, exit, says):
    outcome, after, raw = namespaced(world, setup=FRESH_DEV, args=argv, exit=exit, says=says, mounts=["/dev"])
    assert after["/dev/null"] == {"kind": "char", "dev": [1, 3]}
    assert after["/dev/full"] == {"kind": "char", "dev": [1, 7]}
    assert after["/dev/stdout"] == {"kind": "link", "to": "/proc/self/fd/1"}
    if argv[-1] == "/dev/stdout":
        magic = PNG_MAGIC if "--png" in argv else b'{\n"type": "FeatureCollection"'
        assert raw.startswith(magic)


@needs_namespace
def test_dev_stdout_redirected_to_a_file(world):
    target = world.tmp / "redirected.csv"
    _, after, _ = namespaced(
        world,
        setup=FRESH_DEV,
        args=["area", "countries", "--format", "csv", "-o", "/dev/stdout"],
        exit=0,
        says=["wrote /dev/stdout"],
        redirect=target,
        mounts=["/dev"],
    )
    assert target.read_text().startswith("id,name,area_km2,method\narmenia,Armenia,")
    assert after["/dev/stdout"] == {"kind": "link", "to": "/proc/self/fd/1"}


# ---------------------------------------------------------------- full disk, read-only folders
FULL = "head -c 4000000 /dev/zero > {mnt}/fill 2>/dev/null || true"


@needs_namespace
@pytest.mark.parametrize(
    ("argv", "name", "given", "old", "no_tmpfile"),
    [
        (["area", "countries", "--format", "csv", "-o"], "out", "{mnt}/out", True, False),
        (["layers", "show", "enclaves", "-o"], "out", "{mnt}/out", False, False),
        (["terrain", "hillshade", "--dem", "{dem}", "-o"], "out.tif", "{mnt}/out.tif", True, False),
        (["timeline", "--png"], "out.png", "{mnt}/out.png", True, False),
        (["layers", "show", "enclaves", "-o"], "out", "{mnt}/out", True, True),
        # REPRO.sh 3: through /proc the file was truncated and written in place (O_TRUNC)
        (["events", "--format", "csv", "-o"], "old.csv", "/proc/self/cwd/old.csv", True, False),
        (["events", "--format", "csv", "-o"], "old.csv", "/proc/self/cwd/old.csv", True, True),
        (["events", "--format", "csv", "-o"], "old.csv", "/proc/self/root{mnt}/old.csv", True, False),
    ],
    ids=[
        "area-old-file",
        "layers-new-file",
        "hillshade-old-file",
        "timeline-png",
        "mkstemp-fallback",
        "proc-cwd-old-file",
        "proc-cwd-mkstemp",
        "proc-root-old-file",
    ],
)
def test_full_disk_fails_cleanly(world, argv, name, given, old, no_tmpfile):
    mnt = world.tmp / "mnt"
    mnt.mkdir()
    out = given.format(mnt=mnt)
    setup = _mount_tmpfs(mnt) + f"\ncd {mnt}"
    if old:
        setup += f"\nprintf '%s' {shlex.quote(OLD.decode())} > {mnt}/{name}"
    setup += "\n" + FULL.format(mnt=mnt)
    _, after, _ = namespaced(
        world,
        setup=setup,
        args=[a.format(mnt=mnt, dem=world.dem) for a in argv] + [out],
        exit=1,
        says=[f"could not write {out}: no space left on device (errno 28)", "Free space or choose another"],
        inputs=[world.dem],
        mounts=[mnt],
        env={"BK_TEST_NO_TMPFILE": "1"} if no_tmpfile else None,
    )
    assert not _no_hidden(after), after
    if old:
        assert after[str(mnt / name)]["sha256"] == hashlib.sha256(OLD).hexdigest()
    else:
        assert str(mnt / name) not in after


@needs_namespace
@pytest.mark.parametrize(
    "argv",
    [
        ["area", "countries", "-o", "{mnt}/new.csv"],
        ["area", "countries", "-o", "{mnt}/out"],
        ["terrain", "hillshade", "--dem", "{dem}", "-o", "{mnt}/out"],
        ["timeline", "--png", "{mnt}/new.png"],
    ],
    ids=["new-file", "existing-file", "hillshade", "timeline-png"],
)
def test_read_only_folder_is_a_usage_error(world, argv):
    mnt = world.tmp / "mnt"
    mnt.mkdir()
    setup = f"{_mount_tmpfs(mnt)}\nprintf old > {mnt}/out\nmount -o remount,ro {mnt}"
    _, after, _ = namespaced(
        world,
        setup=setup,
        args=[a.format(mnt=mnt, dem=world.dem) for a in argv],
        exit=2,
        says=["read-only file system", "Choose a folder you can write to"],
        inputs=[world.dem],
        mounts=[mnt],
    )
    assert after[str(mnt / "out")]["sha256"] == hashlib.sha256(b"old").hexdigest()
    assert sorted(os.path.basename(p) for p in after) == ["full", "null", "out"]


@needs_root
@pytest.mark.parametrize(
    ("where", "says"),
    [("ro/new.csv", "cannot be written (permission denied)"), ("rw/keep.csv", "exists and is read-only")],
    ids=["folder-0555", "file-0444"],
)
def test_permission_denied_is_a_usage_error(world, where, says):
    """Root ignores permissions; without CAP_DAC_OVERRIDE (setpriv) it is held to them like anyone."""
    for sub, mode in (("ro", 0o555), ("rw", 0o755)):
        (world.tmp / sub).mkdir()
        (world.tmp / sub / "keep.csv").write_bytes(OLD)
        os.chmod(world.tmp / sub / "keep.csv", 0o444)
        os.chmod(world.tmp / sub, mode)
    out = world.tmp / where
    caps = "-dac_override,-dac_read_search,-fowner"
    proc = subprocess.run(
        ["setpriv", f"--bounding-set={caps}", *BORDERKIT, "area", "countries", "-o", out],
        capture_output=True,
        text=True,
        timeout=120,
    )
    check_invariants(
        Outcome(proc.returncode, proc.stdout, proc.stderr),
        exit_code=2,
        says=[says],
        hashes={world.tmp / "ro" / "keep.csv": hashlib.sha256(OLD).hexdigest()},
        snapshot=_snapshot([world.tmp / "ro", world.tmp / "rw"]),
    )
    assert (world.tmp / "rw" / "keep.csv").read_bytes() == OLD


# ---------------------------------------------------------------- signals in the middle of a write
@contextlib.contextmanager
def slow_writer(world, out: Path, *, no_tmpfile: bool):
    """Run ``layers show enclaves -o out`` and yield the process once it is in the middle of the write."""
    env = {**os.environ, "BK_TEST_SLOW_FSYNC": "1", **({"BK_TEST_NO_TMPFILE": "1"} if no_tmpfile else {})}
    with subprocess.Popen(
        [sys.executable, world.launcher, "layers", "show", "enclaves", "-o", out],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        cwd=world.tmp,
    ) as proc:
        try:
            line = b""
            while b"BK-WRITING" not in line:
                line = proc.stderr.readline()
                assert line, "borderkit ended before writing"
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _unnamed_files(pid: int) -> list[str]:
    """Files the process has open that have no name (O_TMPFILE shows as '#<inode> (deleted)')."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.endswith("(deleted)"):
                found.append(target)
    return found


@pytest.mark.parametrize(
    ("sig", "no_tmpfile", "returncode"),
    [
        (signal.SIGTERM, False, -signal.SIGTERM),
        (signal.SIGTERM, True, -signal.SIGTERM),
        (signal.SIGINT, True, 1),
        (signal.SIGHUP, True, -signal.SIGHUP),
        (signal.SIGKILL, False, -signal.SIGKILL),
    ],
    ids=["TERM-o_tmpfile", "TERM-mkstemp", "INT-mkstemp", "HUP-mkstemp", "KILL-o_tmpfile"],
)
def test_signal_mid_write_keeps_the_old_file_and_leaves_no_temp(world, sig, no_tmpfile, returncode):
    out = world.tmp / "out.geojson"
    out.write_bytes(OLD)
    with slow_writer(world, out, no_tmpfile=no_tmpfile) as proc:
        # Control: we really are mid-write, with a temporary file (named, or unnamed with O_TMPFILE).
        if no_tmpfile:
            assert len(_hidden(world.tmp)) == 1, _hidden(world.tmp)
        else:
            assert _hidden(world.tmp) == [] and _unnamed_files(proc.pid)
        proc.send_signal(sig)
        proc.wait(60)
        err = proc.stderr.read().decode(errors="replace")
    assert proc.returncode == returncode, err
    assert "Traceback" not in err and "internal error" not in err.lower()
    assert out.read_bytes() == OLD
    assert _hidden(world.tmp) == []


def test_kill_9_with_mkstemp_fallback_leaves_only_a_hidden_temp(world):
    """Documents the limit: without O_TMPFILE, kill -9 mid-write leaves the hidden temp (the old file is intact)."""
    out = world.tmp / "out.geojson"
    out.write_bytes(OLD)
    with slow_writer(world, out, no_tmpfile=True) as proc:
        proc.kill()
        proc.wait(60)
    assert out.read_bytes() == OLD
    left = _hidden(world.tmp)
    assert len(left) == 1 and left[0].startswith(".out.geojson.") and left[0].endswith(".tmp")


def test_term_during_a_large_write_without_hooks(world):
    """A real, unpatched run killed at an arbitrary moment: either the old file or the complete new one."""
    out = world.tmp / "big.geojson"
    out.write_bytes(OLD)
    with subprocess.Popen([*BORDERKIT, "layers", "show", "communities", "-o", out], stderr=subprocess.DEVNULL) as proc:
        time.sleep(1.0)
        proc.terminate()
        proc.wait(60)
    assert proc.returncode in (0, -signal.SIGTERM)
    if out.read_bytes() != OLD:  # finished (a TERM after the commit still ends the process)
        expected = len(json.loads((REPO / "geodata" / "layers" / "communities.geojson").read_text())["features"])
        assert len(json.loads(out.read_text())["features"]) == expected
    assert _hidden(world.tmp) == []


# ---------------------------------------------------------------- CSV formula injection
def test_csv_formula_cells_are_defused_and_numbers_stay_numbers(hostile, world):
    result = hostile("area", world.zones, "--format", "csv", exit=0, inputs=[world.zones])
    header, row = result.stdout.splitlines()[:2]
    assert header == "id,name,area_km2,method"
    assert row.startswith('\'+a,"\'=HYPERLINK(""http://x"",""y"")",')
    grouped = hostile("area", world.zones, "--format", "csv", "--by", "v", exit=0, inputs=[world.zones])
    assert grouped.stdout.splitlines()[1].startswith("-3.5,-3.5,")


def test_control_pandas_alone_passes_the_formula_through():
    assert pd.DataFrame({"name": [HYPERLINK]}).to_csv(index=False).splitlines()[1].startswith('"=HYPERLINK')


@pytest.mark.parametrize("cell", [HYPERLINK, "+1+cmd", "-2+3", "@SUM(A1)", "\tx", "\r=x", "=1"])
def test_render_frame_csv_prefixes_formula_starts(cell):
    rendered = render_frame(pd.DataFrame({"text": [cell], "number": [-3.5]}), "csv")
    assert rendered == pd.DataFrame({"text": ["'" + cell], "number": [-3.5]}).to_csv(index=False)
    assert rendered.endswith(",-3.5\n")  # the number stays a number


def test_render_frame_csv_keeps_plain_text_numbers_and_defuses_headers():
    df = pd.DataFrame({"=evil": ["ok"], "t": ["-3.5"], "n": [-3]})
    assert render_frame(df, "csv") == "'=evil,t,n\nok,-3.5,-3\n"


def test_reconcile_csv_is_defused(hostile, world):
    figures = world.tmp / "figures.csv"
    table = pd.read_csv(REPO / "geodata" / "figures.csv", dtype=str, keep_default_na=False)
    table.loc[0, "who"] = HYPERLINK
    table.to_csv(figures, index=False)
    result = hostile(
        *["reconcile", "--figures", figures, "--samples", "0", "--null", "0", "--resamples", "0", "--format", "csv"],
        exit=0,
        inputs=[figures],
    )
    assert ",\"'=HYPERLINK(" in result.stdout and ',"=HYPERLINK' not in result.stdout
