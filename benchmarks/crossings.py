"""Crossings benchmark: ``borderkit.claims.crossings`` against a vectorised shapely peer.

Synthetic roads (random walks of 40 vertices, ~10-20 km, starting within a few km of
Armenia's outline, so most cross it) on the bundled soviet_line rendering. The peer is the
plain vectorised computation: one ``shapely.difference`` of every road with the whole
Armenia, ``line_merge``, the parts, and their geodesic lengths (pyproj ``Geod``). Both give
the same stretches (checked here); times are best of N, memory the peak a forked child adds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.run import best_of, peak_mb  # noqa: E402
from borderkit.claims import crossings  # noqa: E402
from borderkit.measure import length  # noqa: E402
from borderkit.registry import baseline  # noqa: E402


def roads(n: int, land: shapely.Geometry, seed: int = 0) -> gpd.GeoDataFrame:
    """Return ``n`` random-walk roads starting near the outline of ``land``."""
    rng = np.random.default_rng(seed)
    ring = shapely.get_coordinates(land.boundary)
    start = ring[rng.integers(len(ring), size=n)] + rng.normal(0, 0.03, (n, 2))
    steps, drift = rng.normal(0, 0.004, (n, 40, 2)), rng.normal(0, 0.002, (n, 1, 2))
    pts = start[:, None, :] + steps.cumsum(axis=1) + drift * np.arange(40)[None, :, None]
    ids = [f"r{i}" for i in range(n)]
    return gpd.GeoDataFrame({"id": ids, "name": ids}, geometry=shapely.linestrings(pts), crs=4326)


def peer(lines: gpd.GeoDataFrame, land: shapely.Geometry) -> np.ndarray:
    """Return the stretch lengths (km) from one vectorised difference against the whole land."""
    merged = shapely.line_merge(shapely.difference(lines.geometry.to_numpy(), land))
    parts = shapely.get_parts(merged)
    parts = parts[(shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)]
    return length(parts)


def main(argv: list[str] | None = None) -> int:
    """Time both at each size and print the time and memory ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 4_000, 16_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    _, land = baseline("soviet_line")
    print(f"crossings vs vectorised shapely peer (best of {args.repeat}); Armenia has "
          f"{shapely.get_num_coordinates(land):,} vertices")  # fmt: skip
    for n in args.sizes:
        lines = roads(n, land)
        found = crossings(lines, land)
        np.testing.assert_allclose(found["length_km"].to_numpy(), peer(lines, land), rtol=1e-9)
        t_ours = best_of(lambda lines=lines: crossings(lines, land), args.repeat)
        t_peer = best_of(lambda lines=lines: peer(lines, land), args.repeat)
        m_ours = peak_mb(lambda lines=lines: crossings(lines, land))
        m_peer = peak_mb(lambda lines=lines: peer(lines, land))
        print(
            f"{n:7,d} roads, {len(found):7,d} stretches | borderkit {t_ours:7.3f} s ({t_ours / n * 1e6:6.1f} us/road), "
            f"{m_ours:6.1f} MB | peer {t_peer:7.3f} s, {m_peer:6.1f} MB | time ratio {t_ours / t_peer:5.2f}x, "
            f"memory ratio {m_ours / max(m_peer, 1e-9):5.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
