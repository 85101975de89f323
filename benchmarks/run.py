"""Benchmarks: run with ``make bench``; results go to BENCHMARKS.md by hand (see there).

Each measurement is a ratio against a peer measured in the same run, because these
machines are noisy: absolute times are printed for context only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry.polygon import orient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import borderkit  # noqa: E402
from borderkit.measure import area, local_equal_area_crs  # noqa: E402

GEOD = Geod(ellps="WGS84")


def best_of(fn, repeat: int) -> float:
    """Return the fastest of ``repeat`` wall-clock timings of ``fn()``, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def peak_mb(fn) -> float:
    """Return the peak memory (MB) that ``fn()`` adds, run once in a forked child process.

    The child starts as a copy of this process; its high-water resident size minus its
    resident size before the call is what the call itself needed (GEOS and PROJ memory
    included, which tracemalloc cannot see).
    """
    import multiprocessing
    import resource

    def child(queue):
        before = int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()
        fn()
        queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before)

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=child, args=(queue,))
    proc.start()
    used = queue.get()
    proc.join()
    return max(used, 0) / 1e6


def plain_geod_loop(geoms) -> np.ndarray:
    """Measure with one pyproj Geod call per geometry, rings oriented first (the peer)."""
    out = np.empty(len(geoms))
    for i, g in enumerate(geoms):
        if g.geom_type == "Polygon":
            out[i] = GEOD.geometry_area_perimeter(orient(g))[0]
        else:
            out[i] = sum(GEOD.geometry_area_perimeter(orient(p))[0] for p in g.geoms)
    return out / 1e6


def equal_area_to_crs(gdf) -> np.ndarray:
    return gdf.to_crs(local_equal_area_crs(gdf)).area.to_numpy() / 1e6


def synthetic(n_polys: int, n_vertices: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Star-shaped polygons across the study area, each with one hole."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, n_vertices, endpoint=False)
    polys = []
    for _ in range(n_polys):
        cx, cy = rng.uniform(44, 47), rng.uniform(38.5, 41.5)
        r = 0.05 * (1 + 0.3 * rng.random(n_vertices))
        shell = np.c_[cx + r * np.cos(t), cy + r * np.sin(t)]
        hole = np.c_[cx + 0.01 * np.cos(t[::10]), cy + 0.01 * np.sin(t[::10])]
        polys.append(shapely.Polygon(shell, [hole]))
    return gpd.GeoDataFrame(geometry=polys, crs=4326)


def bench_area(label: str, gdf: gpd.GeoDataFrame, repeat: int) -> dict:
    geoms = list(gdf.geometry)
    nv = int(shapely.get_num_coordinates(gdf.geometry.to_numpy()).sum())
    np.testing.assert_allclose(area(gdf), plain_geod_loop(geoms), rtol=1e-9)
    t_bk = best_of(lambda: area(gdf), repeat)
    t_loop = best_of(lambda: plain_geod_loop(geoms), repeat)
    t_ea = best_of(lambda: equal_area_to_crs(gdf), repeat)
    row = {
        "dataset": label,
        "geometries": len(gdf),
        "vertices": nv,
        "borderkit_s": t_bk,
        "geod_loop_s": t_loop,
        "to_crs_area_s": t_ea,
        "vertices_per_s": nv / t_bk,
        "ratio_vs_geod_loop": t_bk / t_loop,
        "ratio_vs_to_crs": t_bk / t_ea,
    }
    print(
        f"{label:28s} {len(gdf):6d} geoms {nv:9,d} vertices | borderkit {t_bk * 1e3:8.1f} ms "
        f"({nv / t_bk / 1e6:5.2f} M vertices/s) | Geod loop {t_loop * 1e3:8.1f} ms "
        f"| to_crs(LAEA).area {t_ea * 1e3:8.1f} ms | time ratio vs loop {t_bk / t_loop:5.2f}x, "
        f"vs to_crs {t_bk / t_ea:5.2f}x"
    )
    return row


def main(argv: list[str] | None = None) -> int:
    """Run the area benchmarks and print one line per dataset."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small synthetic set, for a smoke run")
    args = parser.parse_args(argv)
    print(f"geodesic area throughput (best of {args.repeat}); lower time ratio is better")
    bundled = gpd.GeoDataFrame(
        geometry=np.concatenate(
            [
                borderkit.load(n).geometry.to_numpy()
                for n in ("countries", "provinces", "communities", "enclaves", "lakes")
            ]
        ),
        crs=4326,
    )
    bench_area("bundled polygon layers", bundled, args.repeat)
    n_polys = 20 if args.quick else 2_000
    bench_area(f"synthetic {n_polys}x500 vertices", synthetic(n_polys, 500), args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
