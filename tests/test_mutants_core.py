"""Tests written to kill mutants that survived the rest of the suite (issue 15, `make mutation`).

Each test names the wrong code it is there to catch. Every expected value comes from an
independent computation (pyproj directly, the kernel's own view of a file, a hand-made
account whose answer is known), never from the function under test.
"""

import contextlib
import ctypes
import datetime as dt
import errno
import math
import os
import resource
import signal
import socket
import stat
import struct
import threading

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer

import borderkit.io as bio
from borderkit.account import LOWER_BOUNDS, QUALIFIERS, Component, Figure, build_account, figure_sigma, fit
from borderkit.errors import OutputError
from borderkit.measure import shift_band
from borderkit.safehtml import escape_text
from tests.test_account import COMPONENTS, FIGURES, GEOMETRY, TRUE, comp

GEOD = Geod(ellps="WGS84")


# ----------------------------------------------------------------------------- io: atomic writes
@pytest.fixture(params=[True, False], ids=["o_tmpfile", "mkstemp"])
def tmpfile_mode(request, monkeypatch):
    """Run a test through both ways of writing: O_TMPFILE and the mkstemp fallback."""
    monkeypatch.setattr(bio, "USE_O_TMPFILE", request.param)
    return request.param


@pytest.fixture
def file_size_limit():
    """Make any write past 64 kB fail with EFBIG (RLIMIT_FSIZE), as a full disk would; restore after."""
    limit = 65_536
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield limit
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)


def test_replacing_a_file_is_a_rename_not_a_rewrite(tmp_path, tmpfile_mode):
    """Kills a non-atomic write (truncate and write in place): readers of the old file keep it whole."""
    out = tmp_path / "out.csv"
    out.write_bytes(b"old content\n")
    os.link(out, tmp_path / "hard-link")
    old_inode = out.stat().st_ino
    with open(out, "rb") as reader:  # a reader that opened the old file before the write
        bio.write_output(out, "new content, ä\n")
        assert reader.read() == b"old content\n"
    assert out.read_bytes() == "new content, ä\n".encode()
    assert out.stat().st_ino != old_inode  # a new file took the name
    assert (tmp_path / "hard-link").read_bytes() == b"old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard-link", "out.csv"]


def test_replaced_file_keeps_its_mode_and_new_files_follow_the_umask(tmp_path, tmpfile_mode):
    """Kills dropping the old file's mode (mkstemp's 0o600 would leak through) and a wrong default."""
    out = tmp_path / "shared.csv"
    out.write_text("old")
    out.chmod(0o640)
    bio.write_output(out, "new")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    umask = os.umask(0o022)
    try:
        bio.write_output(tmp_path / "fresh.csv", "new")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "fresh.csv").stat().st_mode) == 0o644


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another owner")
def test_a_replaced_file_keeps_its_owner(tmp_path, tmpfile_mode):
    """Kills the old owner dropped (root rewriting a user's file would take it over)."""
    out = tmp_path / "theirs.csv"
    out.write_text("old")
    os.chown(out, 1234, 2345)
    bio.write_output(out, "new")
    assert (out.stat().st_uid, out.stat().st_gid) == (1234, 2345) and out.read_text() == "new"


def test_the_file_is_named_in_its_own_folder_not_the_working_one(tmp_path, tmpfile_mode, monkeypatch):
    """Kills a link or rename made relative to the working folder instead of the output's folder."""
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    target = tmp_path / "out" / "new.csv"
    target.parent.mkdir()
    bio.write_output(target, "first")  # a new file
    bio.write_output(target, "second")  # replacing it
    assert target.read_text() == "second" and list(elsewhere.iterdir()) == []
    assert [p.name for p in target.parent.iterdir()] == ["new.csv"]


@pytest.mark.parametrize("old", [b"old content\n", None], ids=["old-file", "new-file"])
def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, tmpfile_mode, file_size_limit, old):
    """Kills a temp file left on failure, and a write that truncates the old file before it fails."""
    out = tmp_path / "out.geojson"
    if old is not None:
        out.write_bytes(old)
    with pytest.raises(OutputError, match=r"could not write .*out\.geojson: .*\(errno 27\)"):
        bio.write_output(out, b"x" * (2 * file_size_limit))
    assert [p.name for p in tmp_path.iterdir()] == ([] if old is None else ["out.geojson"])
    if old is not None:
        assert out.read_bytes() == old


def test_atomic_write_touches_nothing_until_the_block_succeeds(tmp_path, tmpfile_mode):
    """Kills atomic_write writing as it goes (an exception in the block must leave the old file)."""
    out = tmp_path / "map.png"
    out.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="drawing failed"), bio.atomic_write(out, "wb") as f:
        f.write(b"partial")
        raise RuntimeError("drawing failed")
    assert out.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["map.png"]
    with bio.atomic_write(out, "wb") as f:
        f.write(b"\x89PNG")
    assert out.read_bytes() == b"\x89PNG"
    with bio.atomic_write(tmp_path / "t.txt", encoding="latin-1") as f:
        f.write("é")
    assert (tmp_path / "t.txt").read_bytes() == "é".encode("latin-1")
    with pytest.raises(ValueError, match="mode must be 'w' or 'wb', not 'a'"), bio.atomic_write(out, "a"):
        pass


def test_a_folder_is_refused_with_the_option_named(tmp_path):
    with pytest.raises(OutputError, match=r"it is a folder; .* Choose another --png\."):
        bio.write_output(tmp_path, b"data", option="--png")


def _message(path, data=b"x\n", option="-o") -> str:
    with pytest.raises(OutputError) as info:
        bio.write_output(path, data, option=option)
    return str(info.value)


def test_each_failure_names_its_reason_errno_and_what_to_do(tmp_path):
    """Kills the advice chosen for the wrong errno, and a reason or option dropped from the message."""
    assert _message("/dev/full", option="--png") == (
        "could not write /dev/full: no space left on device (errno 28). Free space or choose another --png."
    )
    missing = tmp_path / "nope" / "out.csv"
    assert _message(missing) == (
        f"could not write {missing}: the folder does not exist (errno 2). Check the path or choose another -o."
    )
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = threading.Thread(target=lambda: open(fifo, "rb").close())  # reads nothing, hangs up
    reader.start()
    try:
        text = _message(fifo, b"y" * 4_000_000)
    finally:
        reader.join()
    assert text == (
        f"could not write {fifo}: the reading end of the pipe was closed (errno 32). "
        "Keep the reading program running until borderkit has finished."
    )


def test_sockets_block_devices_and_kernel_files_are_refused(tmp_path):
    """Kills a kind dropped from the refused ones (it would be replaced by a regular file)."""
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        assert _message(tmp_path / "sock") == (
            f"could not write {tmp_path / 'sock'}: it is a socket; borderkit writes only to files, character "
            "devices and FIFOs. Choose another -o."
        )
    finally:
        sock.close()
    assert stat.S_ISSOCK((tmp_path / "sock").lstat().st_mode)
    disk = tmp_path / "disk"
    try:
        os.mknod(disk, stat.S_IFBLK | 0o600, os.makedev(7, 0))  # our own node: a mutant replaces only it
    except PermissionError:
        pytest.skip("needs CAP_MKNOD to make a block device node")
    assert _message(disk, option="--png") == (
        f"could not write {disk}: it is a block device (a disk); borderkit writes only to files, character "
        "devices and FIFOs. Choose another --png."
    )
    assert stat.S_ISBLK(disk.lstat().st_mode)
    text = _message("/proc/self/status")
    assert text.startswith("could not write /proc/self/status: it is '/proc/") and text.endswith(
        "/status', a kernel file. Choose another -o."
    )


def test_streams_are_written_in_place(tmp_path, capfdbinary):
    """Kills stdout, stderr, character devices and FIFOs sent down the wrong path (or not written)."""
    bio.write_output("/dev/stdout", b"to stdout\n")
    bio.write_output("/dev/stderr", "to stderr, \u00e4\n")
    out, err = capfdbinary.readouterr()
    assert out == b"to stdout\n" and err == "to stderr, \u00e4\n".encode()
    bio.write_output("/dev/null", b"gone")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    bio.write_output(fifo, b"z" * 300_000)
    reader.join()
    assert got == [b"z" * 300_000] and stat.S_ISFIFO(fifo.lstat().st_mode)


# ----------------------------------------------------------------------------- account: qualifiers
def _figure(fid, value, components, qualifier, sigma=0.05, **kw):
    return Figure(fid, value, qualifier, dt.date(2020, 6, 1), fid, tuple(components), sigma, **kw)


def test_qualifier_tables_say_which_figures_bound_from_below():
    assert set(LOWER_BOUNDS) == {"at least", "more than"}
    assert set(QUALIFIERS) == {"about", "exactly", "at least", "more than", "between"}
    assert [_figure("f", 1.0, ["a"], q).one_sided for q in QUALIFIERS] == [False, False, True, True, False]


@pytest.mark.parametrize(
    ("qualifier", "value", "status"),
    [
        ("more than", 20.0, "lower-bound-met"),  # a is 30: more than 20 holds
        ("more than", 200.0, "outlier"),
        ("at least", 20.0, "lower-bound-met"),
        ("exactly", 20.0, "outlier"),  # exactly 20 is 1.5 times off: two-sided
        ("about", 20.0, "outlier"),
        ("exactly", 31.0, "fits"),
        ("about", 29.0, "fits"),
    ],
)
def test_each_qualifier_is_judged_as_it_reads(qualifier, value, status):
    """Kills the "exactly" and "more than" qualifiers handled as another qualifier."""
    made = _figure("made", value, ["a"], qualifier)
    account = build_account(COMPONENTS, [*FIGURES, made], resamples=0, null=0)
    got = next(f for f in account.figures if f.id == "made")
    assert got.status == status
    fitted = next(c.area_km2 for c in account.components if c.id == "a")
    # the z shown is the relative (log) distance in the figure's standard units; for a bound,
    # only falling short of it is a distance
    distance = math.log(fitted / value)
    if qualifier in ("at least", "more than"):
        distance = min(distance, 0.0)
    assert got.z == pytest.approx(distance / 0.05, rel=1e-9, abs=1e-12)


def test_a_met_lower_bound_does_not_pull_the_fit():
    bound = _figure("more", 20.0, ["a"], "more than")
    assert fit(COMPONENTS, [*FIGURES, bound]) == pytest.approx(fit(COMPONENTS, FIGURES), rel=1e-6)


def test_about_is_relative_the_account_is_scale_free():
    """Kills an "about" tolerance made absolute: ten times every area gives the same statuses and z."""

    def scaled(k):
        comps = [
            Component(c.id, c.label, c.start, c.claimant, c.holder, c.kind, c.prior_low_km2 * k, c.prior_high_km2 * k)
            for c in COMPONENTS
        ]
        figs = [_figure(f.id, f.value_km2 * k, f.components, "about", sigma=0.08) for f in FIGURES]
        figs.append(_figure("wild", 45.0 * k, ["a"], "about", sigma=0.08))  # a is 30: 1.5 times off
        return build_account(comps, figs, resamples=0, null=0)

    one, ten = scaled(1.0), scaled(10.0)
    assert [c.area_km2 * 10 for c in one.components] == pytest.approx([c.area_km2 for c in ten.components], rel=1e-5)
    assert [(f.status, round(f.z, 4)) for f in one.figures] == [(f.status, round(f.z, 4)) for f in ten.figures]
    assert next(f for f in one.figures if f.id == "wild").status == "outlier"


def test_figure_sigma_is_relative_to_the_value():
    """Kills the rounding term made absolute (not divided by the value) or the floor dropped."""
    for text, value, unit in (("40", 40.0, 10.0), ("2,700", 2700.0, 100.0), ("2.5", 2.5, 0.5), ("41", 41.0, 1.0)):
        assert figure_sigma(text, value) == pytest.approx(math.hypot(0.05, unit / math.sqrt(12) / value), rel=1e-12)
    assert figure_sigma("1000", 1000.0, floor=0.0) == pytest.approx(1000 / math.sqrt(12) / 1000, rel=1e-12)


@pytest.mark.parametrize(("qualifier", "restated"), [("exactly", True), ("about", True), ("at least", False)])
def test_an_earlier_exact_count_is_restated_but_a_bound_is_not(qualifier, restated):
    """Kills "exactly" dropped from the qualifiers an earlier count may be restated from."""
    day = dt.date(2020, 3, 1)
    said = [
        Figure(fid, value, qualifier, day, "office", (c,), 0.05)
        for fid, value, c in (("s-a", 20.0, "a"), ("s-b", 30.0, "b"))
    ]
    later = Figure("restated", 50.0, "about", dt.date(2021, 1, 1), "paper", ("a", "b"), 0.05)
    account = build_account(COMPONENTS, [*FIGURES, *said, later], GEOMETRY, resamples=0, null=0)
    found = next(f for f in account.figures if f.id == "restated")
    assert found.status == "outlier"
    got = any(e.mechanism == "earlier-tally" and e.value_km2 == pytest.approx(50.0) for e in found.explanations)
    assert got is restated


def test_a_component_under_a_lower_bound_is_pushed_up_to_it():
    """A bound that is not met does pull (one-sided, not ignored): c alone, more than 120."""
    only = [comp("c", low=1.0, high=500.0)]
    figs = [_figure("c", TRUE["c"], ["c"], "about"), _figure("more", 120.0, ["c"], "more than")]
    area = fit(only, figs)["c"]
    assert TRUE["c"] < area < 120.0


# ----------------------------------------------------------------------------- measure: shift band
def _laea_square(half_m: float, lon0: float = 46.35, lat0: float = 39.55) -> shapely.Polygon:
    """A square of side 2*half_m metres in a LAEA centred on (lon0, lat0), in lon/lat, edges every 50 m."""
    to_lonlat = Transformer.from_crs(
        f"+proj=laea +lon_0={lon0} +lat_0={lat0} +ellps=WGS84 +units=m", 4326, always_xy=True
    )
    square = shapely.segmentize(shapely.box(-half_m, -half_m, half_m, half_m), 50.0)
    return shapely.transform(square, lambda c: np.column_stack(to_lonlat.transform(c[:, 0], c[:, 1])))


def _geod_km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


@pytest.mark.parametrize("shift_m", [110.0, 500.0])
def test_shift_band_moves_the_outline_by_the_whole_shift_both_ways(shift_m):
    """Kills the inward (or outward) shift halved: a 10 km square becomes (10 km -/+ 2d)^2 exactly."""
    half = 5000.0
    low, high = shift_band(gpd.GeoSeries([_laea_square(half)], crs=4326), shift_m)
    assert low[0] == pytest.approx(_geod_km2(_laea_square(half - shift_m)), rel=2e-4)
    assert high[0] == pytest.approx(_geod_km2(_laea_square(half + shift_m)), rel=2e-4)
    # and by arithmetic alone: a square of side s has area s^2
    assert low[0] == pytest.approx((2 * (half - shift_m) / 1000) ** 2, rel=1e-3)
    assert high[0] == pytest.approx((2 * (half + shift_m) / 1000) ** 2, rel=1e-3)


def test_shift_band_in_hectares_and_thin_features_vanish():
    low, high = shift_band([_laea_square(5000.0), _laea_square(400.0)], 500.0, unit="ha")
    assert low[0] == pytest.approx(9000**2 / 1e4, rel=1e-3) and high[0] == pytest.approx(11000**2 / 1e4, rel=1e-3)
    assert low[1] == 0.0 and high[1] == pytest.approx(1800**2 / 1e4, rel=1e-3)  # 800 m wide, 500 m in: gone


# ----------------------------------------------------------------------------- escaping
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a & b", "a &amp; b"),
        ("<b>", "&lt;b&gt;"),
        ("\"quoted\" 'single'", "&quot;quoted&quot; &#x27;single&#x27;"),
        ("{% raw %}", "&#123;% raw %&#125;"),
        ("bad byte \udcff", "bad byte \ufffd"),
        (41.5, "41.5"),
    ],
)
def test_escape_text_makes_every_special_character_inert(text, expected):
    assert escape_text(text) == expected


def test_summary_panel_shows_every_text_field_escaped():
    """Kills the summary panel unescaped: each field carries its own markup and template payload."""
    from borderkit.registry import sources
    from borderkit.render import build_map

    fields = ("date", "how", "samples", "seed")
    summary = {f: f"<i id=bk-{f}>{{{{ 6*7 }}}}</i>" for f in fields}
    summary |= {
        "estimates": ["<img src=x onerror=bk_estimate()>"],
        "area_km2": 12.34,
        "band": {"median_km2": 12.0, "p5_km2": 10.0, "p95_km2": 15.0},
    }
    frame = gpd.GeoDataFrame({"name": ["Goris"]}, geometry=[shapely.Point(46.34, 39.51)], crs=4326)
    m, _ = build_map({"places": frame}, sources=sources(), attributions=[], summary=summary)
    page = m.get_root().render()
    for f in fields:
        assert f"<i id=bk-{f}>" not in page
        assert f"&lt;i id=bk-{f}&gt;&#123;&#123; 6*7 &#125;&#125;&lt;/i&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=bk_estimate()&gt;" in page
    assert "42" not in page.split('id="bk-summary"')[1].split("</div>")[0]  # no template ran
    assert "5–95% 10–15 km²" in page


# ----------------------------------------------------------------------------- io: messages for any OSError
@pytest.mark.parametrize(
    ("exc", "option", "message"),
    [
        (OSError("it broke"), "--png", "could not write out.csv: it broke. Check the path or choose another --png."),
        (
            OSError(errno.EBADF, "Bad File Descriptor"),
            "-o",
            "could not write out.csv: bad file descriptor (errno 9). Check the path or choose another -o.",
        ),
        (
            OSError(errno.EBADF, ""),
            "-o",
            "could not write out.csv: ebadf (errno 9). Check the path or choose another -o.",
        ),
        (OSError(9999, ""), "-o", "could not write out.csv: error (errno 9999). Check the path or choose another -o."),
        (
            OSError(errno.EDQUOT, "Disk quota exceeded"),
            "--csv",
            "could not write out.csv: disk quota exceeded (errno 122). Free space or choose another --csv.",
        ),
        (
            OSError(errno.EROFS, "Read-only file system"),
            "-o",
            "could not write out.csv: read-only file system (errno 30). Choose a folder you can write to with -o.",
        ),
        (
            OSError(errno.EPERM, "Operation not permitted"),
            "-o",
            "could not write out.csv: operation not permitted (errno 1). Choose a folder you can write to with -o.",
        ),
    ],
    ids=["no-errno", "strerror", "errno-name", "unknown", "quota", "read-only", "not-permitted"],
)
def test_any_oserror_becomes_a_sentence_with_its_reason_and_advice(exc, option, message):
    """Kills the reason (lower-cased strerror, else the errno's name, else "error") and the advice per errno."""
    assert str(bio._output_error("out.csv", exc, option)) == message


# ----------------------------------------------------------------------------- io: what the folder sees
IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE = 0x2, 0x8, 0x40, 0x80, 0x100


def _folder_events(folder, action) -> list[tuple[str, str]]:
    """Run ``action`` and return what the kernel reported of the folder's names (inotify), in order."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    assert fd >= 0, os.strerror(ctypes.get_errno())
    try:
        mask = IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
        assert libc.inotify_add_watch(fd, os.fsencode(folder), mask) >= 0
        action()
        data = b""
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(fd, 65536):
                data += chunk
    finally:
        os.close(fd)
    names = {
        IN_MODIFY: "modify",
        IN_CLOSE_WRITE: "close",
        IN_MOVED_FROM: "from",
        IN_MOVED_TO: "to",
        IN_CREATE: "create",
    }
    events, at = [], 0
    while at < len(data):
        _, event, _, size = struct.unpack_from("iIII", data, at)
        name = data[at + 16 : at + 16 + size].rstrip(b"\0").decode()
        events.append((names.get(event & 0xFFF, hex(event)), name))
        at += 16 + size
    return events


def test_with_o_tmpfile_no_name_ever_points_at_a_partial_file(tmp_path):
    """Kills anything that makes the writer fall back to a named temporary file where O_TMPFILE works.

    The content goes into an unnamed file, which gets a name only when complete: the folder sees
    no write under any name. A new file is linked straight to its name; an old one is replaced by
    renaming a hidden ``.<name>.<8 hex>.tmp`` over it.
    """
    out = tmp_path / "out.csv"

    def named(events):  # the kernel reports writes to an unnamed O_TMPFILE file as "#<inode>"
        return [e for e in events if not e[1].startswith("#")]

    events = _folder_events(tmp_path, lambda: bio.write_output(out, "x" * 100_000))
    assert named(events) == [("create", "out.csv")]
    assert any(kind == "modify" and name.startswith("#") for kind, name in events)
    events = named(_folder_events(tmp_path, lambda: bio.write_output(out, "y" * 100_000)))
    temp = events[0][1]
    assert events == [("create", temp), ("from", temp), ("to", "out.csv")]
    assert temp.startswith(".out.csv.") and temp.endswith(".tmp") and len(temp) == len(".out.csv..tmp") + 8
    int(temp[len(".out.csv.") : -len(".tmp")], 16)  # hexadecimal
    assert out.read_text() == "y" * 100_000 and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_the_mkstemp_fallback_writes_a_hidden_temporary_file_then_renames_it(tmp_path, monkeypatch):
    """Kills the fallback's temporary name (hidden, beside the output) and its rename over the output."""
    monkeypatch.setattr(bio, "USE_O_TMPFILE", False)
    out = tmp_path / "out.csv"
    events = _folder_events(tmp_path, lambda: bio.write_output(out, "x" * 1000))
    temp = events[0][1]
    assert events[0] == ("create", temp) and temp.startswith(".out.csv.") and temp.endswith(".tmp")
    assert events[:2] == [("create", temp), ("modify", temp)]
    assert events[-3:] == [("from", temp), ("to", "out.csv"), ("close", "out.csv")]


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_every_write_closes_what_it_opened(tmp_path, tmpfile_mode):
    """Kills a file or folder descriptor left open (a long run writing many files would run out)."""
    bio.write_output(tmp_path / "warm.csv", "a")
    before = _open_fds()
    for _ in range(3):
        bio.write_output(tmp_path / "out.csv", "new")  # new, then replacing
    bio.write_output("/dev/null", "x")
    with pytest.raises(OutputError):
        bio.write_output(tmp_path / "missing" / "out.csv", "x")
    assert _open_fds() == before


def test_text_is_encoded_as_asked_and_problems_name_the_option(tmp_path):
    """Kills the encoding ignored, and the option missing from the message of a path never written."""
    bio.write_output(tmp_path / "latin.txt", "é", encoding="latin-1")
    assert (tmp_path / "latin.txt").read_bytes() == b"\xe9"
    text = _message("/proc/self/status", option="--html")
    assert text.endswith(", a kernel file. Choose another --html.")


def test_a_signal_during_a_write_leaves_nothing_and_still_reaches_its_handler(tmp_path):
    """Kills the interruption swallowed: the program's own handler runs and the write is reported failed."""
    seen = []
    old = signal.signal(signal.SIGHUP, lambda signum, frame: seen.append(signum))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def reader():
        with open(fifo, "rb"):  # opens the pipe, reads nothing: the writer blocks once it is full
            threading.Event().wait(0.3)
            os.kill(os.getpid(), signal.SIGHUP)
            threading.Event().wait(0.3)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        text = _message(fifo, b"z" * 2_000_000)
    finally:
        thread.join()
        signal.signal(signal.SIGHUP, old)
    assert seen == [signal.SIGHUP]
    assert text == f"could not write {fifo}: interrupted by SIGHUP; any old file is unchanged."


def test_a_refusal_names_the_default_option_when_none_is_given(tmp_path):
    """Kills the default option of the message changed (every caller that names no option relies on it)."""
    with pytest.raises(OutputError) as info:
        bio.write_output(tmp_path, b"data")
    assert str(info.value).endswith(
        "it is a folder; borderkit writes only to files, character devices and FIFOs. Choose another -o."
    )
