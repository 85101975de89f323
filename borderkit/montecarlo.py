"""Uncertainty of the modelled area: Monte Carlo over baseline, boundary shift, depths and profiles.

Each sample draws a baseline rendering, a boundary shift (random direction, length up to
the Pulkovo 1942 -> WGS84 datum offset), each sector's depth uniformly within its stated
range and its depth profile. Work happens on shapely 2 arrays in one regional equal-area
projection, set up once per baseline; no GeoDataFrame is built per sample.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from borderkit.errors import UsageError
from borderkit.zones import PROFILES, active, baseline_stretch, depth_profile

__all__ = ["MonteCarloResult", "monte_carlo", "summarise", "estimate_bytes", "check_samples"]

#: Points per sector stretch that carry a sampled depth profile (fewer than the exact model).
POINTS_PER_STRETCH = 25
#: Bytes kept per probability-raster cell while sampling (cell centres, the count, a mask).
BYTES_PER_RASTER_CELL = 48


def estimate_bytes(samples: int, n_dates: int, n_sectors: int, raster_cells: int = 0) -> int:
    """Return the memory a Monte Carlo run keeps, in bytes, before it starts.

    Per sample: its area on each date and what it drew (baseline, shift, one depth per
    sector), held twice while the draws table is built; plus the probability raster.
    """
    per_sample = 2 * 8 * (n_dates + n_sectors + 4)
    return samples * per_sample + raster_cells * BYTES_PER_RASTER_CELL


def check_samples(
    samples: int, n_dates: int, n_sectors: int, *, raster_cells: int = 0, max_bytes: int | None = None
) -> None:
    """Refuse, before any sampling, a run whose memory would exceed the limit (names --samples)."""
    from borderkit.validate import check_memory

    check_memory(
        estimate_bytes(samples, n_dates, n_sectors, raster_cells),
        f"A Monte Carlo run of {samples:,} samples over {n_dates} date(s) and {n_sectors} sectors"
        + (f" with a {raster_cells:,}-cell probability raster" if raster_cells else ""),
        change="Use fewer --samples (a few thousand give a stable 5-95% band)",
        max_bytes=max_bytes,
    )


@dataclass
class MonteCarloResult:
    """Areas per sample and date, and (optionally) the share of samples covering each raster cell."""

    dates: list[str]
    areas_km2: np.ndarray  # shape (samples, dates)
    draws: pd.DataFrame  # what each sample drew
    crs: CRS
    probability: np.ndarray | None = None  # shape (rows, cols), for the last date
    transform: tuple | None = None  # (xmin, ymax, cell) of the probability grid, in ``crs``


@dataclass
class _Prepared:
    armenia: shapely.Geometry  # clipped to the sectors' window, projected
    stretches: list[shapely.LineString]
    points: list[np.ndarray]  # (n, 2) coordinates along each stretch
    t: np.ndarray


def _regional_crs(sectors: pd.DataFrame) -> CRS:
    lon = float(np.mean(sectors["anchor_a_lon"]))
    lat = float(np.mean(sectors["anchor_a_lat"]))
    return CRS.from_proj4(f"+proj=laea +lat_0={lat:.4f} +lon_0={lon:.4f} +datum=WGS84 +units=m")


def _prepare(
    sectors: pd.DataFrame, line: shapely.Geometry, armenia: shapely.Geometry, crs: CRS, margin_m: float
) -> _Prepared:
    fwd = Transformer.from_crs(4326, crs, always_xy=True)

    def proj(g):
        return shapely.transform(g, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))

    line_p = proj(line)
    a = proj(shapely.points(np.c_[sectors["anchor_a_lon"], sectors["anchor_a_lat"]]))
    has_b = sectors["anchor_b_lon"].notna().to_numpy()
    b_xy = np.c_[sectors["anchor_b_lon"].fillna(0).astype(float), sectors["anchor_b_lat"].fillna(0).astype(float)]
    b = proj(shapely.points(b_xy))
    stretches = []
    for i, (_, s) in enumerate(sectors.iterrows()):
        span = None if has_b[i] else float(s["span_km"]) * 1000.0
        stretches.append(baseline_stretch(line_p, a[i], b[i] if has_b[i] else None, span_m=span))
    window = shapely.box(*shapely.total_bounds(stretches)).buffer(margin_m)
    armenia_p = shapely.intersection(
        proj(shapely.intersection(armenia, shapely.box(*_lonlat_bounds(window, crs)))), window
    )
    t = np.linspace(0.0, 1.0, POINTS_PER_STRETCH)
    points = [shapely.get_coordinates(shapely.line_interpolate_point(s, t, normalized=True)) for s in stretches]
    return _Prepared(armenia_p, stretches, points, t)


def _lonlat_bounds(window: shapely.Geometry, crs: CRS) -> tuple[float, float, float, float]:
    back = Transformer.from_crs(crs, 4326, always_xy=True)
    x0, y0, x1, y1 = window.bounds
    xs, ys = back.transform([x0, x0, x1, x1], [y0, y1, y0, y1])
    return min(xs) - 0.05, min(ys) - 0.05, max(xs) + 0.05, max(ys) + 0.05


def _sample_zones(prep: _Prepared, depths_m: np.ndarray, profiles: Sequence[str], shift: np.ndarray) -> list:
    """Return one zone polygon per sector for one sample (projected coordinates)."""
    armenia = shapely.transform(prep.armenia, lambda c: c + shift)
    shapely.prepare(armenia)
    zones = []
    for stretch, pts, depth, profile in zip(prep.stretches, prep.points, depths_m, profiles, strict=True):
        if profile == "uniform":
            reach = shapely.buffer(shapely.transform(stretch, lambda c: c + shift), depth, quad_segs=8)
        else:
            radii = depth * depth_profile(profile, prep.t)
            keep = radii > 1.0
            reach = shapely.union_all(shapely.buffer(shapely.points(pts[keep] + shift), radii[keep], quad_segs=8))
        zones.append(shapely.intersection(reach, armenia))
    return zones


def monte_carlo(
    sectors: pd.DataFrame,
    baselines: Mapping[str, tuple],
    dates: Sequence[str],
    *,
    samples: int = 200,
    seed: int = 0,
    max_shift_m: float = 105.0,
    vary_profiles: bool = True,
    raster_cell_m: float | None = None,
    progress: Callable[[int], None] | None = None,
    max_bytes: int | None = None,
) -> MonteCarloResult:
    """Sample the modelled area on each date.

    Parameters
    ----------
    sectors
        The sectors layer (needs ``depth_min_km``/``depth_max_km`` for the depth ranges).
    baselines
        Baseline name -> (line, Armenia polygon), lon/lat; drawn uniformly.
    dates
        Dates to report.
    samples, seed
        How many samples, and the seed that makes a run repeatable.
    max_shift_m
        Largest boundary shift (the datum offset, ~105 m here); drawn uniformly in length
        and direction.
    vary_profiles
        Draw each sector's profile among uniform/triangular/parabolic (else keep its own).
    raster_cell_m
        With a cell size, also return the share of samples in which each cell lies in a
        zone in force on the last date.
    progress
        Called with 1 after each sample (for a progress bar).
    max_bytes
        Memory limit for the run (default: :func:`borderkit.validate.memory_limit`); a run
        estimated above it is refused before the first sample.
    """
    if samples < 0 or (raster_cell_m is not None and not (np.isfinite(raster_cell_m) and raster_cell_m > 0)):
        raise UsageError(f"samples must be >= 0 and raster_cell_m > 0 (metres), got {samples!r} and {raster_cell_m!r}.")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"--seed must be a whole number >= 0, got {seed!r}. Use e.g. --seed 7.")
    check_samples(samples, len(dates), len(sectors), max_bytes=max_bytes)
    rng = np.random.default_rng(seed)
    crs = _regional_crs(sectors)
    margin = float(sectors["depth_max_km"].max()) * 1000.0 + 2 * max_shift_m + 1000.0
    names = list(baselines)
    prepared = {n: _prepare(sectors, *baselines[n], crs, margin) for n in names}
    in_force = np.array([active(sectors, d) for d in dates])  # (dates, sectors)
    lo = sectors["depth_min_km"].astype(float).to_numpy() * 1000.0
    hi = sectors["depth_max_km"].astype(float).to_numpy() * 1000.0
    own = list(sectors["profile"])
    grid = None
    if raster_cell_m:
        xmin, ymin, xmax, ymax = shapely.total_bounds([p.armenia for p in prepared.values()])
        xs = np.arange(xmin + raster_cell_m / 2, xmax, raster_cell_m)
        ys = np.arange(ymax - raster_cell_m / 2, ymin, -raster_cell_m)
        check_samples(samples, len(dates), len(sectors), raster_cells=len(xs) * len(ys), max_bytes=max_bytes)
        gx, gy = np.meshgrid(xs, ys)
        counts = np.zeros(gx.shape)
        grid = (gx, gy, (xmin, ymax, raster_cell_m))
    areas = np.zeros((samples, len(dates)))
    drawn = {"baseline": np.zeros(samples, dtype=np.int64), "shift_m": np.zeros(samples)}
    drawn["shift_deg"] = np.zeros(samples)
    depth_draws = np.zeros((samples, len(sectors)))
    profile_names = list(PROFILES)
    for k in range(samples):
        name = names[rng.integers(len(names))]
        length, angle = rng.uniform(0, max_shift_m), rng.uniform(0, 2 * np.pi)
        shift = np.array([length * np.cos(angle), length * np.sin(angle)])
        depths = rng.uniform(lo, hi)
        profiles = [profile_names[i] for i in rng.integers(3, size=len(own))] if vary_profiles else own
        zones = np.array(_sample_zones(prepared[name], depths, profiles, shift), dtype=object)
        for j in range(len(dates)):
            if in_force[j].any():
                areas[k, j] = shapely.area(shapely.union_all(zones[in_force[j]])) / 1e6
        if grid is not None and in_force[-1].any():
            last = shapely.union_all(zones[in_force[-1]])
            counts += shapely.contains_xy(last, grid[0], grid[1])
        drawn["baseline"][k], drawn["shift_m"][k], drawn["shift_deg"][k] = names.index(name), length, np.degrees(angle)
        depth_draws[k] = depths / 1000
        if progress:
            progress(1)
    draws = pd.DataFrame(
        {
            "sample": np.arange(samples),
            "baseline": np.array(names, dtype=object)[drawn["baseline"]],
            "shift_m": drawn["shift_m"],
            "shift_deg": drawn["shift_deg"],
            **{f"depth_km:{sid}": depth_draws[:, i] for i, sid in enumerate(sectors["id"])},
        }
    )
    result = MonteCarloResult(list(dates), areas, draws, crs)
    if grid is not None:
        result.probability = counts / samples
        result.transform = grid[2]
    return result


def summarise(result: MonteCarloResult) -> pd.DataFrame:
    """Return median and 5-95% interval of the sampled area on each date (km², equal-area)."""
    q = np.percentile(result.areas_km2, [5, 50, 95], axis=0)
    return pd.DataFrame(
        {
            "date": result.dates,
            "p5_km2": q[0],
            "median_km2": q[1],
            "p95_km2": q[2],
            "mean_km2": result.areas_km2.mean(axis=0),
            "samples": len(result.areas_km2),
        }
    )
