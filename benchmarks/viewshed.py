"""Terrain benchmark: viewshed, hillshade and slope against GDAL's own tools, same DEM, same run.

Every measure runs as a separate process, borderkit's and GDAL's in turn, best of
``--repeat``, and reads each process's peak memory (GNU ``/usr/bin/time``, Debian's
``time``):

- **viewshed, whole DEM**: ``gdal_viewshed`` against borderkit on fractal DEMs (1M, 16M,
  64M cells), observer in the middle, 2 m, curvature 0.85714;
- **cumulative viewshed**: 100 observers, 5 km range, on the 16M-cell DEM: a loop of
  100 ``gdal_viewshed -md 5000`` runs against one borderkit call;
- **hillshade, slope**: ``gdaldem hillshade`` / ``gdaldem slope`` against borderkit.

borderkit's time is read + compute + write inside one process, after a warm-up on a tiny
DEM (so numba's compiled code is loaded; its one-time compile is timed on its own, with
an empty cache); the whole ``borderkit terrain ...`` command, with Python's start-up,
is timed too, for context. GDAL writes uncompressed GeoTIFFs by default and borderkit
deflate-compressed ones, so GDAL is also timed with ``-co COMPRESS=DEFLATE``, the same
output. Every result is checked against GDAL's: viewsheds cell for cell (the cumulative
one as the sum of GDAL's 100 rasters), hillshade to within 1 grey level, slope to 0.01°.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dems import ORIGIN, cell_lonlat, fractal, gdal_viewshed, gdal_window, write_dem  # noqa: E402

DEFLATE = ["-co", "COMPRESS=DEFLATE"]
CELL = 30.0


def run_process(cmd: list[str]) -> tuple[float, float, str]:
    """Run a command under GNU time; return (wall seconds, peak RSS in MB, stdout).

    GNU time reads the peak of the command's own process: Python's ``os.wait4`` on a child
    forked from this (large) process would report this process's memory for small runs.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", stats.name, *map(str, cmd)], capture_output=True, text=True
        )
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        peak_kb = float(stats.read().split()[-1])
    return wall, peak_kb / 1024, proc.stdout


def best(cmd: list[str], repeat: int, *, inner: bool = False) -> tuple[float, float]:
    """Best of ``repeat`` runs: (seconds, peak MB); ``inner`` takes the time the process prints."""
    runs = []
    for _ in range(repeat):
        wall, rss, out = run_process(cmd)
        runs.append((json.loads(out)["seconds"] if inner else wall, rss))
    return min(r[0] for r in runs), min(r[1] for r in runs)


def worker_cmd(job: str, dem: str, out: str, **kw) -> list[str]:
    """Return the command line of a borderkit worker process (this script with ``--worker``)."""
    return [sys.executable, __file__, "--worker", job, dem, out, json.dumps(kw)]


def worker(job: str, dem: str, out: str, kw: dict) -> None:
    """Time borderkit's read + compute + write in this process and print it as JSON."""
    from borderkit import terrain

    tiny = terrain.read_dem(write_dem(Path(out).with_suffix(".warm.tif"), fractal(64)))
    terrain.viewshed(tiny, [cell_lonlat(32, 32)])  # load the compiled kernels before timing
    terrain.hillshade(tiny, as_bytes=True)
    terrain.slope(tiny)
    t0 = time.perf_counter()
    grid = terrain.read_dem(dem)
    if job == "viewshed":
        result = terrain.viewshed(grid, [tuple(o) for o in kw["observers"]], max_distance=kw.get("max_distance"))
        if kw.get("counts"):
            terrain.write_raster(out, result.count, grid, nodata=0, dtype="uint8")
        else:
            terrain.write_raster(out, result.visible, grid, nodata=255, dtype="uint8")
    elif job == "hillshade":
        terrain.write_raster(out, terrain.hillshade(grid, as_bytes=True), grid, nodata=0, dtype="uint8")
    else:
        terrain.write_raster(out, np.nan_to_num(terrain.slope(grid), copy=False, nan=-1), grid, nodata=-1)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def cli_cmd(*args: str) -> list[str]:
    """Return the ``borderkit terrain`` command line, run as users run it."""
    return [sys.executable, "-m", "borderkit", "terrain", *map(str, args)]


def command_seconds(cmd: list[str], repeat: int) -> float:
    """Return the best whole-process time of a command, NaN (printed "—") if it fails."""
    try:
        return best(cmd, repeat)[0]
    except RuntimeError as exc:
        print(f"(not timed: {str(exc).splitlines()[-1]})", file=sys.stderr)
        return float("nan")


def read(path: str | Path) -> tuple[np.ndarray, object]:
    """Band 1 and the transform of a GeoTIFF."""
    import rasterio

    with rasterio.open(path) as src:
        return src.read(1), src.transform


def row(label: str, ours: tuple, gdal: tuple, gdal_deflate: tuple, cli: float, check: str) -> str:
    """One Markdown table row: times, ratios, memory and the agreement check."""
    return (
        f"| {label} | {ours[0]:.2f} s | {gdal[0]:.2f} s | **{ours[0] / gdal[0]:.2f}×** | {gdal_deflate[0]:.2f} s | "
        f"**{ours[0] / gdal_deflate[0]:.2f}×** | {'—' if np.isnan(cli) else f'{cli:.2f} s'} | "
        f"{ours[1]:.0f} MB | {gdal[1]:.0f} MB | "
        f"**{ours[1] / gdal[1]:.2f}×** | {check} |"
    )


def dem_file(tmp: Path, n: int) -> str:
    """Write the n x n fractal DEM once per run and reuse it."""
    path = tmp / f"dem{n}.tif"
    return str(path) if path.exists() else write_dem(path, fractal(n, seed=7))


def bench_viewshed(tmp: Path, n: int, repeat: int) -> str:
    """Whole-DEM viewshed on an n x n fractal DEM, observer in the middle."""
    path = dem_file(tmp, n)
    r = c = n // 2
    x, y = ORIGIN[0] + (c + 0.25) * CELL, ORIGIN[1] - (r + 0.25) * CELL
    lonlat = cell_lonlat(r, c)
    ours = best(worker_cmd("viewshed", path, str(tmp / "ours.tif"), observers=[lonlat]), repeat, inner=True)
    gdal = best(gdal_viewshed(path, x, y, tmp / "gdal.tif"), repeat)
    gdal_deflate = best(gdal_viewshed(path, x, y, tmp / "gdal_d.tif", options=tuple(DEFLATE)), repeat)
    cli = command_seconds(
        cli_cmd("viewshed", "--dem", path, "--observer", f"{lonlat[0]},{lonlat[1]}", "-o", tmp / "cli.tif"), repeat
    )
    agree = float(np.mean(read(tmp / "gdal.tif")[0] == read(tmp / "ours.tif")[0]))
    return row(
        f"{n:,} × {n:,} ({n * n / 1e6:.0f}M cells)", ours, gdal, gdal_deflate, cli, f"{100 * agree:.3f}% cells agree"
    )


def bench_cumulative(tmp: Path, n: int, observers: int, reach: float, repeat: int) -> str:
    """Cumulative viewshed of ``observers`` at ``reach`` metres: one borderkit call against a loop of GDAL runs."""
    path = dem_file(tmp, n)
    rng = np.random.default_rng(0)
    cells = rng.integers(n // 10, n - n // 10, size=(observers, 2))
    lonlats = [cell_lonlat(int(r), int(c)) for r, c in cells]
    ours = best(
        worker_cmd("viewshed", path, str(tmp / "cum.tif"), observers=lonlats, max_distance=reach, counts=True),
        repeat,
        inner=True,
    )

    def loop(deflate: bool) -> tuple[float, float]:
        times, peak = [], 0.0
        for i, (r, c) in enumerate(cells):
            x, y = ORIGIN[0] + (c + 0.25) * CELL, ORIGIN[1] - (r + 0.25) * CELL
            options = tuple(DEFLATE) if deflate else ()
            cmd = gdal_viewshed(path, x, y, tmp / f"g{i}.tif", max_distance=reach, options=options)
            wall, rss, _ = run_process(cmd)
            times.append(wall)
            peak = max(peak, rss)
        return sum(times), peak

    gdal = min((loop(False) for _ in range(repeat)), key=lambda t: t[0])
    gdal_deflate = min((loop(True) for _ in range(repeat)), key=lambda t: t[0])
    args = [a for lon, lat in lonlats for a in ("--observer", f"{lon},{lat}")]
    cli = command_seconds(
        cli_cmd("viewshed", "--dem", path, *args, "--max-distance", reach, "-o", tmp / "cli.tif"), repeat
    )
    total = np.zeros((n, n), dtype=int)  # the sum of GDAL's 100 windows, placed on the DEM grid
    for i in range(observers):
        band, r0, c0 = gdal_window(tmp / f"g{i}.tif")
        total[r0 : r0 + band.shape[0], c0 : c0 + band.shape[1]] += band == 1
    agree = float(np.mean(total == read(tmp / "cum.tif")[0]))
    label = f"{observers} observers, {reach / 1000:g} km, {n:,} × {n:,} DEM"
    return row(label, ours, gdal, gdal_deflate, cli, f"{100 * agree:.3f}% cell counts agree")


def bench_surface(tmp: Path, job: str, n: int, repeat: int) -> str:
    """Hillshade or slope of an n x n fractal DEM against gdaldem."""
    path = dem_file(tmp, n)
    ours = best(worker_cmd(job, path, str(tmp / f"{job}.tif")), repeat, inner=True)
    gdal = best(["gdaldem", job, "-q", path, str(tmp / f"g{job}.tif")], repeat)
    gdal_deflate = best(["gdaldem", job, "-q", *DEFLATE, path, str(tmp / f"gd{job}.tif")], repeat)
    cli = command_seconds(cli_cmd(job, "--dem", path, "-o", tmp / f"cli{job}.tif"), repeat)
    theirs, mine = read(tmp / f"g{job}.tif")[0].astype(float), read(tmp / f"{job}.tif")[0].astype(float)
    inner = (slice(1, -1), slice(1, -1))
    diff = float(np.abs(theirs[inner] - mine[inner]).max())
    check = f"max diff {diff:.0f} grey level" if job == "hillshade" else f"max diff {diff:.4f}°"
    return row(f"{job} {n:,} × {n:,} ({n * n / 1e6:.0f}M cells)", ours, gdal, gdal_deflate, cli, check)


def compile_seconds() -> float:
    """Seconds of numba's one-time compilation: the first terrain call of a process with an empty cache."""
    code = (
        "import time, tempfile, pathlib; from borderkit import terrain;"
        "from tests.dems import fractal, write_dem, cell_lonlat;"
        "d = terrain.read_dem(write_dem(pathlib.Path(tempfile.mkdtemp()) / 'w.tif', fractal(64)));"
        "t0 = time.perf_counter(); terrain.viewshed(d, [cell_lonlat(32, 32)]); terrain.hillshade(d, as_bytes=True);"
        "terrain.hillshade(d); terrain.slope(d); print(time.perf_counter() - t0)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        cold = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
        warm = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    return float(cold.stdout), float(warm.stdout)


HEADER = (
    "| measure | borderkit | GDAL | ratio | GDAL, deflate | ratio | borderkit command | borderkit memory | "
    "GDAL memory | memory ratio | check |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def main(argv: list[str] | None = None) -> int:
    """Print the Markdown tables of BENCHMARKS.md's terrain sections."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 8000], help="DEM side lengths in cells")
    parser.add_argument("--surface-sizes", type=int, nargs="+", default=[4000, 8000])
    parser.add_argument("--cumulative-size", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["viewshed", "cumulative", "surface", "compile"], nargs="+")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        job, dem, out, kw = args.worker
        worker(job, dem, out, json.loads(kw))
        return 0
    for tool, package in (("gdal_viewshed", "gdal-bin"), ("gdaldem", "gdal-bin"), ("/usr/bin/time", "time")):
        if shutil.which(tool) is None:
            print(f"{tool} not found: install Debian's {package}", file=sys.stderr)
            return 1
    only = set(args.only or ["viewshed", "cumulative", "surface", "compile"])
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    if "compile" in only:
        cold, warm = compile_seconds()
        print(f"numba: first call with an empty cache {cold:.1f} s, with the cache {warm:.2f} s")
    print(HEADER)
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes if "viewshed" in only else []:
            print(bench_viewshed(Path(tmp), n, args.repeat), flush=True)
        if "cumulative" in only:
            print(bench_cumulative(Path(tmp), args.cumulative_size, 100, 5000.0, args.repeat), flush=True)
        for n in args.surface_sizes if "surface" in only else []:
            for job in ("hillshade", "slope"):
                print(bench_surface(Path(tmp), job, n, args.repeat), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
