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


def test_control_a_hard_link_really_is_the_input(world):
    """Control: writing through the hard link changes the input, so the hash check can fail."""
    before = sha256(world.est)
    os.link(world.est, world.tmp / "alias.csv")
    (world.tmp / "alias.csv").write_text("clobbered\n")
    assert sha256(world.est) != before


def test_bundled_data_is_never_an_output(hostile, world, monkeypatch):
    data = world.tmp / "geodata"
    (data / "layers").mkdir(parents=True)
    for name in ("layers.json", "sources.json", "layers/countries.geojson"):
        shutil.copy(REPO / "geodata" / name, data / name)
    monkeypatch.setenv("BORDERKIT_GEODATA", str(data))
    target = data / "layers" / "countries.geojson"
    hostile("layers", "show", "countries", "-o", target, exit=2, says=["bundled data"], inputs=[target])


# ---------------------------------------------------------------- two outputs, one file
@pytest.mark.parametrize(
    "case",
    ["map-same-path", "map-symlink", "map-hardlink-existing", "timeline", "reconcile"],
)
def test_two_outputs_that_are_one_file_are_refused(hostile, world, case, monkeypatch):
    html = world.tmp / "m.html"
    inputs = []
    if case == "map-same-path":
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
    hostile(*argv, exit=2, says=["are the same file", "its own path"], inputs=inputs)


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
        (["layers", "show", "enclaves"], b'{"type": "FeatureCollection"'),
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
        magic = PNG_MAGIC if "--png" in argv else b'{"type": "FeatureCollection"'
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
    ("argv", "old", "no_tmpfile"),
    [
        (["area", "countries", "--format", "csv", "-o", "{mnt}/out"], True, False),
        (["layers", "show", "enclaves", "-o", "{mnt}/out"], False, False),
        (["terrain", "hillshade", "--dem", "{dem}", "-o", "{mnt}/out"], True, False),
        (["timeline", "--png", "{mnt}/out"], True, False),
        (["layers", "show", "enclaves", "-o", "{mnt}/out"], True, True),
    ],
    ids=["area-old-file", "layers-new-file", "hillshade-old-file", "timeline-png", "mkstemp-fallback"],
)
def test_full_disk_fails_cleanly(world, argv, old, no_tmpfile):
    mnt = world.tmp / "mnt"
    mnt.mkdir()
    setup = _mount_tmpfs(mnt)
    if old:
        setup += f"\nprintf '%s' {shlex.quote(OLD.decode())} > {mnt}/out"
    setup += "\n" + FULL.format(mnt=mnt)
    _, after, _ = namespaced(
        world,
        setup=setup,
        args=[a.format(mnt=mnt, dem=world.dem) for a in argv],
        exit=1,
        says=[f"could not write {mnt}/out: no space left on device (errno 28)", "Free space or choose another"],
        inputs=[world.dem],
        mounts=[mnt],
        env={"BK_TEST_NO_TMPFILE": "1"} if no_tmpfile else None,
    )
    assert not _no_hidden(after), after
    if old:
        assert after[str(mnt / "out")]["sha256"] == hashlib.sha256(OLD).hexdigest()
    else:
        assert str(mnt / "out") not in after


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
