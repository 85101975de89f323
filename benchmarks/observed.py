"""Observed archives benchmark: ``borderkit.observed`` against a straightforward geopandas loop.

The archive is a two-year daily series (800 maps over about 1,066 days: every third gap
is two days) of the ground held in a country-sized multipolygon (Azerbaijan from the
bundled ``countries`` layer, 6 parts, enclave holes), made by
``scripts/make_observed_archive.py``: GeoJSON, GeoPackage (UTM 38N), FlatGeobuf (Web
Mercator) and GeoParquet files, about 65 KB each.

borderkit reads every file (format and date checks, reprojection to lon/lat, validity),
unions each date's polygons, measures each date's area on the ellipsoid and the ground
gained and lost every day (difference polygons, geodesic areas). The peer, in the same
run, is the loop a user would write: read each file with geopandas (given the files in
date order, so it needs no date parsing), ``dissolve``, ``to_crs(<local equal-area>)``,
``.area``, and ``overlay(how="difference")`` both ways against the previous map. Both must
agree within 0.1% on every figure (checked here; slivers below 0.01 km² left by the
reprojections, which the two measure differently, are ignored). Times are wall clock and CPU (this
process and its worker processes); memory is the peak resident size a forked child adds,
with the largest worker's peak beside it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from borderkit.measure import local_equal_area_crs  # noqa: E402
from borderkit.observed import areas, change_table, changes, read_archive  # noqa: E402


def peer(files: list[Path], crs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (area, gained, lost) in km² per map, the way a plain geopandas script computes them."""
    areas, gained, lost, prev = [], [0.0], [0.0], None
    for path in files:
        gdf = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
        state = gdf[["geometry"]].dissolve().to_crs(crs)
        areas.append(state.area.sum() / 1e6)
        if prev is not None:
            gained.append(gpd.overlay(state, prev, how="difference").area.sum() / 1e6)
            lost.append(gpd.overlay(prev, state, how="difference").area.sum() / 1e6)
        prev = state
    return np.array(areas), np.array(gained), np.array(lost)


def ours(folder: Path, workers: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (area, gained, lost) in km² per map from borderkit (the gains per day, at each map)."""
    series, _ = read_archive(folder, workers=workers)
    per_date = areas(series)
    per_day = change_table(changes(series, every="day", workers=workers))
    at_map = per_day.set_index("period_end")[["gained_km2", "lost_km2"]].reindex(per_date["date"]).fillna(0.0)
    return per_date["area_km2"].to_numpy(), at_map["gained_km2"].to_numpy(), at_map["lost_km2"].to_numpy()


def measured(fn) -> dict:
    """Run ``fn()`` in a forked child; return its wall and CPU seconds and peak memory (MB)."""

    def child(queue):
        before = int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()
        wall, cpu = time.perf_counter(), os.times()
        fn()
        end = os.times()
        used = sum(end[:4]) - sum(cpu[:4])  # user + system, this process and its workers
        me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        queue.put({"wall_s": time.perf_counter() - wall, "cpu_s": used, "mb": me / 1e6, "worker_mb": kids / 1e6})

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=child, args=(queue,))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main(argv: list[str] | None = None) -> int:
    """Make (or reuse) the archive, run both, check they agree, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dates", type=int, default=800)
    parser.add_argument("--archive", default=None, help="write the archive into this folder (default: a temporary one)")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1], help="borderkit runs to time")
    args = parser.parse_args(argv)
    from make_observed_archive import control_series, write_archive

    with tempfile.TemporaryDirectory(prefix="borderkit-observed-") as tmp:
        folder = Path(args.archive or tmp)
        land, series = control_series(args.dates, country="azerbaijan", front_vertices=1000)
        files = write_archive(folder, series)  # in date order: the peer is spared the dating
        size = sum(p.stat().st_size for p in files)
        print(
            f"archive: {len(files)} files, {size / 1e6:.1f} MB ({size / len(files) / 1e3:.0f} KB each), "
            f"{series[0][0]} to {series[-1][0]}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        crs = local_equal_area_crs(gpd.GeoSeries([land], crs=4326))
        a_ours, g_ours, l_ours = ours(folder, 1)
        a_peer, g_peer, l_peer = peer(files, crs)
        for name, x, y in (("area", a_ours, a_peer), ("gained", g_ours, g_peer), ("lost", l_ours, l_peer)):
            np.testing.assert_allclose(x, y, rtol=1e-3, atol=0.01, err_msg=f"{name} differs from the peer")
        print("borderkit and the peer agree within 0.1% (or 0.01 km²) on every area, gain and loss")
        peer_run = measured(lambda: peer(files, crs))
        print(_line("peer: geopandas loop (read, dissolve, to_crs, area, overlay)", peer_run, peer_run))
        for workers in args.workers:
            run = measured(lambda workers=workers: ours(folder, workers))
            print(_line(f"borderkit, {workers} worker process(es)", run, peer_run))
    return 0


def _line(label: str, run: dict, peer_run: dict) -> str:
    return (
        f"{label:62s} wall {run['wall_s']:6.1f} s  cpu {run['cpu_s']:6.1f} s  peak {run['mb']:6.0f} MB"
        f" (+ worker {run['worker_mb']:4.0f} MB) | wall ratio {run['wall_s'] / peer_run['wall_s']:4.2f}x, "
        f"cpu ratio {run['cpu_s'] / peer_run['cpu_s']:4.2f}x"
    )


if __name__ == "__main__":
    sys.exit(main())
