"""Monte Carlo benchmark: borderkit's array-based sampler vs a naive per-sample GeoPandas loop.

Both draw the same kind of sample (baseline rendering, boundary shift, depths, profiles)
and measure the modelled area on the same dates; the naive loop rebuilds GeoDataFrames
and calls the exact zone model for every sample.

``--raster``: the cost per sample of the probability raster (rasterised zones) against the
same run without it, and against the peer that tests every cell centre with
``shapely.contains_xy`` on the union of the zones. ``--parallel``: the calibrated run
(``reconcile --samples``) on 1 and 2 local worker processes, and where 2 start to pay.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import borderkit  # noqa: E402
import borderkit.montecarlo as mc  # noqa: E402
from benchmarks.run import best_of, peak_mb  # noqa: E402
from borderkit.montecarlo import monte_carlo  # noqa: E402
from borderkit.registry import baseline, baselines  # noqa: E402
from borderkit.zones import PROFILES, active, zones  # noqa: E402

DATES = ["2021-05-12", "2021-11-16", "2022-09-13", "2023-04-01"]


def naive(sectors: gpd.GeoDataFrame, renderings: dict, samples: int, seed: int) -> np.ndarray:
    """Sample with a fresh GeoDataFrame and the exact zone model per sample (the peer)."""
    rng = np.random.default_rng(seed)
    names = list(renderings)
    out = np.zeros((samples, len(DATES)))
    for k in range(samples):
        line, armenia = renderings[names[rng.integers(len(names))]]
        length, angle = rng.uniform(0, 105), rng.uniform(0, 2 * np.pi)
        dlon = length * np.cos(angle) / 85_000
        dlat = length * np.sin(angle) / 111_000
        drawn = sectors.copy()
        drawn["depth_km"] = rng.uniform(sectors["depth_min_km"], sectors["depth_max_km"])
        drawn["profile"] = [list(PROFILES)[i] for i in rng.integers(3, size=len(sectors))]
        z = zones(drawn, shapely.affinity.translate(line, dlon, dlat), shapely.affinity.translate(armenia, dlon, dlat))
        for j, day in enumerate(DATES):
            on = active(z, day)
            frame = gpd.GeoDataFrame(geometry=[shapely.union_all(z.geometry.to_numpy()[on])], crs=4326)
            out[k, j] = borderkit.area(frame)[0]
    return out


def contains_xy_coverage():
    """Return the peer coverage: every cell centre tested against the union (centres built once)."""
    centres = {}

    def coverage(zones_in_force, grid):
        if grid not in centres:
            xmin, ymax, cell = grid.transform
            xs, ys = xmin + cell * (np.arange(grid.cols) + 0.5), ymax - cell * (np.arange(grid.rows) + 0.5)
            centres[grid] = np.meshgrid(xs, ys)
        return shapely.contains_xy(shapely.union_all(zones_in_force), *centres[grid])

    return coverage


def bench_raster(sectors, renderings, samples: int, repeat: int) -> None:
    """Print the per-sample cost of the probability raster, rasterised and by the peer."""

    def run(cell=None):
        return monte_carlo(sectors, renderings, DATES, samples=samples, seed=0, workers=1, raster_cell_m=cell)

    t_none, t_raster = best_of(run, repeat), best_of(lambda: run(200.0), repeat)
    m_none, m_raster = peak_mb(run), peak_mb(lambda: run(200.0))
    ours, rasterised = run(200.0), mc._coverage
    mc._coverage = contains_xy_coverage()
    try:
        t_peer, m_peer, theirs = best_of(lambda: run(200.0), repeat), peak_mb(lambda: run(200.0)), run(200.0)
    finally:
        mc._coverage = rasterised
    differ = int((ours.probability != theirs.probability).sum())
    cells = ours.probability.size
    print(
        f"probability raster, 200 m, {cells:,} cells, {samples} samples: per sample {t_none / samples * 1e3:.1f} ms "
        f"without, {t_raster / samples * 1e3:.1f} ms rasterised (+{(t_raster / t_none - 1) * 100:.0f}%), "
        f"{t_peer / samples * 1e3:.1f} ms contains_xy peer (+{(t_peer / t_none - 1) * 100:.0f}%) | peak memory "
        f"{m_none:.0f} / {m_raster:.0f} / {m_peer:.0f} MB | cells differing from the peer: {differ}"
    )


def calibrated_args():
    """Return (args, kwargs) of the calibrated run that ``reconcile --samples`` makes (its figures' quantities)."""
    from borderkit.account import build_account
    from borderkit.montecarlo import AccountDraws, Quantity
    from borderkit.reconcile import to_components, to_figures
    from borderkit.registry import components, figures

    table, figs = components(), figures()
    account = build_account(to_components(table), to_figures(figs), resamples=200, null=0, seed=0)
    sigma = dict(zip(figs["id"], figs["sigma"].astype(float), strict=True))
    chosen = [f for f in account.figures if f.repeats is None]
    kwargs = {
        "account": AccountDraws.from_account(account, dict(zip(table["id"], table["start"], strict=True))),
        "quantities": [Quantity(f.id, f.date.isoformat(), f.components, sigma[f.id]) for f in chosen],
        "max_shift_m": borderkit.registry.area_model().datum[2],
    }
    return (borderkit.load("sectors"), {n: baseline(n) for n in baselines()}), kwargs


def timed_chunk(job, first, n, seed, progress=None):
    """Run a chunk as :func:`borderkit.montecarlo._run_chunk`, noting in its draws which process ran it and its CPU."""
    t0 = time.process_time()
    chunk = RUN_CHUNK(job, first, n, seed, progress=progress)
    cpu = time.process_time() - t0
    for record in chunk.records:
        record.update(worker=os.getpid(), chunk_cpu_s=cpu / len(chunk.records))
    return chunk


RUN_CHUNK = mc._run_chunk


def measured_run(args, kwargs, samples: int, workers: int) -> dict:
    """Run the calibrated sampler once in a forked child; return its wall, CPU, memory and the workers' balance.

    CPU is the child's own (building the job, combining the chunks) and its workers'; the
    busiest worker's CPU plus the child's own is what the run would take on idle cores.
    Memory is the peak the run adds to the child, and the largest worker's peak resident
    size (a forked worker counts the pages it shares with its parent).
    """
    import multiprocessing
    import resource

    def child(queue):
        before = int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()
        mc._run_chunk = timed_chunk
        t0, c0 = time.perf_counter(), time.process_time()
        result = monte_carlo(*args, samples=samples, seed=0, workers=workers, **kwargs)
        wall, own = time.perf_counter() - t0, time.process_time() - c0
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        per_worker = result.draws.groupby("worker")["chunk_cpu_s"].sum()
        queue.put(
            {
                "wall": wall,
                "cpu_main": own,
                "cpu_workers": kids.ru_utime + kids.ru_stime,
                "busiest": float(per_worker.max()) if workers > 1 else 0.0,
                "mem_main": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before) / 1e6,
                "mem_worker": kids.ru_maxrss / 1e3,
                "areas": result.areas_km2,
            }
        )

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=child, args=(queue,))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def bench_parallel(samples: int, sweep: list[int], repeat: int) -> None:
    """Print the calibrated run on 1 and 2 local processes (same run, interleaved), with CPU, memory and balance."""
    args, kwargs = calibrated_args()
    print(f"parallel Monte Carlo (calibrated, as reconcile --samples); {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} before")  # fmt: skip
    print(
        "| samples | 1 process, wall | 2 processes, wall | speed-up | CPU, 1 process | CPU, 2 processes "
        "(main + workers) | on idle cores (CPU / (main + busiest worker)) | memory, 1 process | memory, 2 processes "
        "(main; largest worker) | load average |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for n in [*sweep, samples]:
        runs: dict[int, list[dict]] = {1: [], 2: []}
        for _ in range(repeat):  # interleaved, so both see the same load
            for workers in (1, 2):
                runs[workers].append(measured_run(args, kwargs, n, workers))
        one, two = (min(runs[w], key=lambda r: r["wall"]) for w in (1, 2))
        assert np.array_equal(one["areas"], two["areas"]), "1 and 2 processes must give the same numbers"
        idle = one["cpu_main"] / (two["cpu_main"] + two["busiest"])
        print(
            f"| {n:,} | {one['wall']:.2f} s | {two['wall']:.2f} s | **{one['wall'] / two['wall']:.2f}×** | "
            f"{one['cpu_main']:.1f} s | {two['cpu_main']:.1f} + {two['cpu_workers']:.1f} s | **{idle:.2f}×** | "
            f"{one['mem_main']:.0f} MB | {two['mem_main']:.0f} MB; {two['mem_worker']:.0f} MB | "
            f"{os.getloadavg()[0]:.2f} |",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    """Time both samplers and print samples/s and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=100, help="samples for the vectorised sampler")
    parser.add_argument("--naive-samples", type=int, default=20, help="samples for the naive loop")
    parser.add_argument("--thousand", action="store_true", help="also time 1,000 samples")
    parser.add_argument("--raster", action="store_true", help="also time the probability raster")
    parser.add_argument(
        "--parallel", type=int, default=0, metavar="N", help="also time N calibrated samples on 1 vs 2 processes"
    )
    parser.add_argument("--sweep", type=int, nargs="*", default=[25, 50, 100, 200], help="break-even sample counts")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    sectors = borderkit.load("sectors")
    renderings = {n: baseline(n) for n in baselines()}
    t0 = time.perf_counter()
    naive(sectors, renderings, args.naive_samples, seed=0)
    t_naive = (time.perf_counter() - t0) / args.naive_samples
    t0 = time.perf_counter()
    monte_carlo(sectors, renderings, DATES, samples=args.samples, seed=0, workers=1)
    t_fast = (time.perf_counter() - t0) / args.samples
    print(
        f"Monte Carlo: borderkit {1 / t_fast:6.1f} samples/s ({args.samples} samples) | naive GeoPandas loop "
        f"{1 / t_naive:6.1f} samples/s ({args.naive_samples} samples) | speed-up {t_naive / t_fast:4.1f}x"
    )
    if args.thousand:
        t0 = time.perf_counter()
        monte_carlo(sectors, renderings, DATES, samples=1000, seed=0, workers=1)
        print(f"1,000 samples on the bundled data, {len(DATES)} dates, 1 process: {time.perf_counter() - t0:.1f} s")
    if args.raster:
        bench_raster(sectors, renderings, args.samples, args.repeat)
    if args.parallel:
        bench_parallel(args.parallel, args.sweep, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
