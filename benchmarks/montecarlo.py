"""Monte Carlo benchmark: borderkit's array-based sampler vs a naive per-sample GeoPandas loop.

Both draw the same kind of sample (baseline rendering, boundary shift, depths, profiles)
and measure the modelled area on the same dates; the naive loop rebuilds GeoDataFrames
and calls the exact zone model for every sample.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import borderkit  # noqa: E402
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


def main(argv: list[str] | None = None) -> int:
    """Time both samplers and print samples/s and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=100, help="samples for the vectorised sampler")
    parser.add_argument("--naive-samples", type=int, default=20, help="samples for the naive loop")
    parser.add_argument("--thousand", action="store_true", help="also time 1,000 samples")
    args = parser.parse_args(argv)
    sectors = borderkit.load("sectors")
    renderings = {n: baseline(n) for n in baselines()}
    t0 = time.perf_counter()
    naive(sectors, renderings, args.naive_samples, seed=0)
    t_naive = (time.perf_counter() - t0) / args.naive_samples
    t0 = time.perf_counter()
    monte_carlo(sectors, renderings, DATES, samples=args.samples, seed=0)
    t_fast = (time.perf_counter() - t0) / args.samples
    print(
        f"Monte Carlo: borderkit {1 / t_fast:6.1f} samples/s ({args.samples} samples) | naive GeoPandas loop "
        f"{1 / t_naive:6.1f} samples/s ({args.naive_samples} samples) | speed-up {t_naive / t_fast:4.1f}x"
    )
    if args.thousand:
        t0 = time.perf_counter()
        monte_carlo(sectors, renderings, DATES, samples=1000, seed=0)
        print(f"1,000 samples on the bundled data, {len(DATES)} dates: {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
