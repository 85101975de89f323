"""Uncertainty: Monte Carlo over the geometry, and over the account and the geometry together.

Each sample draws the geometry: a rendering of the baseline, a boundary shift (random
direction, length up to the offset of the case's datum to WGS84), for each sector one of its
parameter sets (by weight), its depth and width uniformly within the range the source's
words allow, and its depth profile.

- **Raw** (no ``account``): the sample's zones as drawn, an unreported depth or width at
  the nominal 1 km. This is the band of the prior, not of the land.
- **With the account**: the sample also draws one refit of the account (its component
  areas, :attr:`borderkit.account.Account.replicates`) and scales the drawn zones to them
  on the drawn rendering: the figures are of land, and a rendering of the line changes
  where that land is drawn, not how much of it there is. The datum shift is applied after
  the calibration (a count made with the line in another datum). Each **quantity** (a
  figure's components on its date) is the new land of its components' zones in force that
  day, plus the drawn area of components that have no zones (land held since the 1990s),
  times the count's own precision when the quantity has one (a figure's relative
  uncertainty, the same the account fits it with). So the band says what a count of that
  quantity could read, given the figures, the refits and how the zones could lie; once
  calibrated, the geometry decides *where* the land lies far more than *how much*, which
  the probability raster shows.

Work happens on shapely arrays in one regional equal-area projection (planar areas there
agree with the geodesic to better than 0.01% over this region); no GeoDataFrame is built
per sample.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from borderkit.errors import UsageError
from borderkit.parallel import run_chunks
from borderkit.zones import (
    PROFILES,
    _transformer,
    active,
    attached,
    baseline_stretch,
    extent,
    front_of,
    raw_lam,
    ribbon,
    swept_front,
    unreported,
)

__all__ = [
    "MonteCarloResult",
    "Quantity",
    "AccountDraws",
    "monte_carlo",
    "summarise",
    "estimate_bytes",
    "check_samples",
    "check_args",
    "CHUNK_SAMPLES",
    "PARALLEL_MIN_SAMPLES",
    "figure_band",
    "date_band",
]

#: Bytes kept per probability-raster cell while sampling (the running count and the share, one
#: sample's mask, one chunk's counts), with room for the copy the GeoTIFF writer makes.
BYTES_PER_RASTER_CELL = 48
#: Relative tolerance of the per-sample calibration (planar area; the band is far wider).
SAMPLE_RTOL = 2e-2
#: Half-side (m) of the box of land around each sector's anchor that its zone may cover in a sample.
SECTOR_REACH_M = 45_000.0
#: How close (m) a piece of a zone must come to the line to be kept.
TOUCH_M = 1.0
#: Samples per chunk: the unit of work a worker gets, each with its own random generator.
#: Fixed, so the same seed gives the same numbers whatever the number of workers.
CHUNK_SAMPLES = 25
#: From this many samples, a run uses one process per core (below it, starting the
#: processes costs more than they save: measured with benchmarks/montecarlo.py --parallel).
PARALLEL_MIN_SAMPLES = 200


def estimate_bytes(samples: int, n_dates: int, n_sectors: int, raster_cells: int = 0) -> int:
    """Return the memory a Monte Carlo run keeps, in bytes, before it starts.

    Per sample: its area on each date and what it drew (baseline, shift, parameter set,
    depth and width per sector, one parameter per component), held twice while the draws
    table is built; plus the probability raster.
    """
    per_sample = 2 * 8 * (n_dates + 3 * n_sectors + 8)
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


@dataclasses.dataclass(frozen=True)
class Quantity:
    """What a band is of: the land of ``components`` on ``date`` (all modelled components when empty).

    ``sigma`` is the relative precision of a count of it (a figure's, from its wording): each
    sample's value is multiplied by exp(sigma × a standard normal draw). 0: the land itself.
    """

    name: str
    date: str
    components: tuple[str, ...] = ()
    sigma: float = 0.0


@dataclasses.dataclass(frozen=True)
class AccountDraws:
    """The account as the Monte Carlo samples it: refitted component areas (rows) and the counting order.

    ``areas`` has one column per id in ``components``; ``starts`` gives each component's
    start date (land counts once, in the earliest component whose zones hold it).
    """

    components: tuple[str, ...]
    areas: np.ndarray
    starts: Mapping[str, str]

    @classmethod
    def from_account(cls, account, starts: Mapping[str, str]) -> AccountDraws:
        """Return the draws of a built :class:`~borderkit.account.Account` (its refits, else its fit)."""
        ids = tuple(c.id for c in account.components)
        rows = account.replicates
        if rows is None or not len(rows):
            rows = np.array([[c.area_km2 for c in account.components]])
        return cls(ids, np.asarray(rows, dtype=float), dict(starts))


@dataclasses.dataclass
class MonteCarloResult:
    """Areas per sample and quantity, what each sample drew, and optionally the probability raster."""

    dates: list[str]  # one label per quantity (its date, for a run over dates)
    areas_km2: np.ndarray  # shape (samples, quantities)
    draws: pd.DataFrame  # what each sample drew
    crs: CRS
    probability: np.ndarray | None = None  # shape (rows, cols), for the last date
    transform: tuple | None = None  # (xmin, ymax, cell) of the probability grid, in ``crs``
    quantities: list[Quantity] = dataclasses.field(default_factory=list)


# ----------------------------------------------------------------------------- preparation
@dataclasses.dataclass
class _Rendering:
    """One rendering of the line, projected once: its land, and per sector where the shape hangs."""

    land: shapely.Geometry  # the subject's territory near the sectors
    lines: list  # per sector: its stretch (two-anchor ribbon), nearest line part (one anchor) or Front (salient)
    anchors: list[shapely.Point]
    lands: list[shapely.Geometry]  # per sector: the territory within SECTOR_REACH_M of its anchor


def _regional_crs(sectors: pd.DataFrame) -> CRS:
    lon = float(np.mean(sectors["anchor_a_lon"]))
    lat = float(np.mean(sectors["anchor_a_lat"]))
    return CRS.from_proj4(f"+proj=laea +lat_0={lat:.4f} +lon_0={lon:.4f} +datum=WGS84 +units=m")


def _projector(crs: CRS) -> Callable:
    fwd = _transformer(4326, crs)
    return lambda g: shapely.transform(g, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))


def _lonlat_bounds(window: shapely.Geometry, crs: CRS) -> tuple[float, float, float, float]:
    back = _transformer(crs, 4326)
    x0, y0, x1, y1 = window.bounds
    xs, ys = back.transform([x0, x0, x1, x1], [y0, y1, y0, y1])
    return min(xs) - 0.05, min(ys) - 0.05, max(xs) + 0.05, max(ys) + 0.05


def _prepare(sites: pd.DataFrame, line: shapely.Geometry, territory: shapely.Geometry, crs: CRS, margin_m: float):
    """Project one rendering: the land within ``margin_m`` of the anchors, and each sector's line."""
    proj = _projector(crs)
    line_p = proj(line)
    parts = shapely.get_parts(shapely.line_merge(line_p))
    anchors = list(proj(shapely.points(np.c_[sites["anchor_a_lon"], sites["anchor_a_lat"]])))
    lines = []
    for i, (_, s) in enumerate(sites.iterrows()):
        part = parts[np.argmin(shapely.distance(parts, anchors[i]))]
        if s["shape"] == "salient":
            part = front_of(part, anchors[i])
        elif pd.notna(s["anchor_b_lon"]):
            b = proj(shapely.Point(float(s["anchor_b_lon"]), float(s["anchor_b_lat"])))
            part = baseline_stretch(part, anchors[i], b)
        lines.append(part)
    window = shapely.box(*shapely.MultiPoint(anchors).bounds).buffer(margin_m)
    land = shapely.intersection(
        proj(shapely.intersection(territory, shapely.box(*_lonlat_bounds(window, crs)))), window
    )
    reach = SECTOR_REACH_M
    boxes = [shapely.box(a.x - reach, a.y - reach, a.x + reach, a.y + reach) for a in anchors]
    lands = list(shapely.intersection(land, boxes))
    return _Rendering(land, lines, anchors, lands)


def _sites(sectors: pd.DataFrame) -> pd.DataFrame:
    """Return one row per sector (where it is), in the order of first appearance."""
    table = sectors if "sector" in sectors.columns else sectors.assign(sector=sectors["id"], parameter_set="")
    return table.drop_duplicates("sector").reset_index(drop=True)


def _parameter_sets(sectors: pd.DataFrame, sites: pd.DataFrame) -> list[pd.DataFrame]:
    table = sectors if "sector" in sectors.columns else sectors.assign(sector=sectors["id"], parameter_set="")
    return [table[table["sector"] == sid].reset_index(drop=True) for sid in sites["sector"]]


# ----------------------------------------------------------------------------- one sample
def _shape(site: pd.Series, line: shapely.Geometry, anchor, depth_km: float, width_km: float, profile: str):
    """Return (reach, the line it must touch) of one sector in metric coordinates, or None when empty."""
    depth_m = depth_km * 1000.0
    if not depth_m > 0:
        return None
    if site["shape"] == "ribbon":
        if pd.notna(site["anchor_b_lon"]):
            stretch = line
        elif width_km > 0:
            stretch = baseline_stretch(line, anchor, None, span_m=width_km * 1000.0)
        else:
            return None
        return ribbon(stretch, depth_m, profile), stretch
    if not width_km > 0:
        return None
    return swept_front(line, width_km * 1000.0, depth_m, profile)


def _zone(site, rendering: _Rendering, i: int, params: Mapping, land: shapely.Geometry, tol: float) -> shapely.Geometry:
    """Return one sector's zone: its shape clipped to ``land``, the pieces within ``tol`` of its line kept."""
    depth, width = params["depth_km"], params["width_km"]
    built = _shape(site, rendering.lines[i], rendering.anchors[i], depth, width, params["profile"])
    if built is None:
        return shapely.Polygon()
    reach, touch = built
    clipped = shapely.intersection(reach, land)
    return attached(clipped, touch, tol)


@dataclasses.dataclass
class _Draw:
    """What one sample drew for each sector: parameter set, depth, width, profile (free dims as NaN)."""

    sets: list[str]
    rows: list[dict]


def _draw(sets: list[pd.DataFrame], rng: np.random.Generator, vary_profiles: bool, vary_sets: bool) -> _Draw:
    names, rows = [], []
    for table in sets:
        weights = table["weight"].astype(float).to_numpy() if "weight" in table else np.ones(len(table))
        k = int(rng.choice(len(table), p=weights / weights.sum())) if vary_sets else int(np.argmax(weights))
        row = table.iloc[k].to_dict()
        for dim in ("depth", "width"):
            mid = _num(row.get(f"{dim}_km"))
            lo, hi = _num(row.get(f"{dim}_min_km")), _num(row.get(f"{dim}_max_km"))
            lo, hi = (mid if math.isnan(lo) else lo), (mid if math.isnan(hi) else hi)
            row[f"{dim}_km"] = mid if math.isnan(mid) else float(rng.uniform(lo, hi))
        if vary_profiles:
            row["profile"] = list(PROFILES)[int(rng.integers(len(PROFILES)))]
        names.append(str(row.get("parameter_set", "")))
        rows.append(row)
    return _Draw(names, rows)


def _num(value) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    return float(value)


def _free(rows: list[dict], idx: list[int]) -> bool:
    """Whether any of these drawn parameter sets leaves a depth or width unreported."""
    return any(unreported(rows[i]) for i in idx)


def _zones_at(sites: list[dict], rendering, draw: _Draw, lams, frees, shift: np.ndarray) -> list:
    """Return every sector's zone for one sample at the components' parameters, its land moved by ``shift``."""
    tol = TOUCH_M + float(np.hypot(*shift))
    out = []
    for i, site in enumerate(sites):
        comp = site["component"]
        depth, width = extent(draw.rows[i], lams[comp], frees[comp])
        params = {"depth_km": depth, "width_km": width, "profile": draw.rows[i].get("profile") or "uniform"}
        land = shapely.transform(rendering.lands[i], lambda c: c + shift) if shift.any() else rendering.lands[i]
        out.append(_zone(site, rendering, i, params, land, tol))
    return out


def _calibrate_sample(
    sites, rendering, draw: _Draw, targets: Mapping[str, float], order, frees, guesses: Mapping[str, float]
) -> dict[str, float]:
    """Return one parameter per component so its new land (planar, default rendering) meets its drawn area.

    ``guesses`` (the last sample's parameters) start each search near where it ends.
    """
    from borderkit.calibrate import solve

    lams, earlier = {}, shapely.Polygon()
    for comp in order:
        idx = [i for i, site in enumerate(sites) if site["component"] == comp]

        built: dict[float, list] = {}

        def zones_at(lam, idx=idx, comp=comp, built=built):
            if lam not in built:
                built[lam] = []
                for i in idx:
                    depth, width = extent(draw.rows[i], lam, frees[comp])
                    params = {"depth_km": depth, "width_km": width, "profile": draw.rows[i].get("profile") or "uniform"}
                    built[lam].append(_zone(sites[i], rendering, i, params, rendering.lands[i], TOUCH_M))
            return built[lam]

        def area_of(lam, zones_at=zones_at, earlier=earlier):
            union = shapely.union_all(zones_at(lam))
            return shapely.area(shapely.difference(union, earlier)) / 1e6

        lam, _, _ = solve(area_of, targets.get(comp, 0.0), frees[comp], rtol=SAMPLE_RTOL, guess=guesses.get(comp))
        lams[comp] = lam
        earlier = shapely.union_all([earlier, *zones_at(lam)])
    return lams


def _measure(zones_arr: np.ndarray, members, quantities: Sequence[Quantity], in_force, order, drawn, starts):
    """Return each quantity's area (km²): new land of its modelled components in force, plus unmodelled ones.

    ``members`` maps a component to the mask of its sectors, ``in_force`` a date to the
    mask of sectors in force that day.
    """
    modelled = set(members)
    values = []
    pieces_by_date: dict[str, dict[str, float]] = {}
    by_mask: dict[bytes, dict[str, float]] = {}  # many dates see the same sectors in force
    for q in quantities:
        if q.date not in pieces_by_date:
            on = in_force[q.date]
            key = on.tobytes()
            if key not in by_mask:
                earlier, pieces = shapely.Polygon(), {}
                for comp in order:
                    mine = zones_arr[on & members[comp]]
                    union = shapely.union_all(mine) if len(mine) else shapely.Polygon()
                    pieces[comp] = shapely.area(shapely.difference(union, earlier)) / 1e6
                    earlier = shapely.union_all([earlier, union])
                by_mask[key] = pieces
            pieces_by_date[q.date] = by_mask[key]
        pieces = pieces_by_date[q.date]
        comps = q.components or tuple(pieces)
        value = sum(pieces.get(c, 0.0) for c in comps if c in modelled)
        value += sum(drawn.get(c, 0.0) for c in comps if c not in modelled and starts.get(c, q.date) <= q.date)
        values.append(value)
    return np.array(values)


# ----------------------------------------------------------------------------- the run
def check_args(samples, seed, raster_cell_m=None) -> None:
    """Refuse a negative sample count or seed, or a non-positive raster cell, naming the option."""
    if samples < 0 or (raster_cell_m is not None and not (np.isfinite(raster_cell_m) and raster_cell_m > 0)):
        raise UsageError(f"samples must be >= 0 and raster_cell_m > 0 (metres), got {samples!r} and {raster_cell_m!r}.")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"--seed must be a whole number >= 0, got {seed!r}. Use e.g. --seed 7.")


def _grid(prepared: Mapping[str, _Rendering], cell: float) -> _Grid:
    xmin, ymin, xmax, ymax = shapely.total_bounds([p.land for p in prepared.values()])
    cols = len(np.arange(xmin + cell / 2, xmax, cell))
    rows = len(np.arange(ymax - cell / 2, ymin, -cell))
    return _Grid(rows, cols, (xmin, ymax, cell))


@dataclasses.dataclass(frozen=True)
class _Grid:
    """The probability raster's grid: its shape and (xmin, ymax, cell) in the regional projection."""

    rows: int
    cols: int
    transform: tuple

    @property
    def size(self) -> int:
        return self.rows * self.cols


def _coverage(zones_in_force: np.ndarray, grid: _Grid) -> np.ndarray:
    """Return which cells of ``grid`` have their centre in one of the zones (uint8 0/1).

    One scanline rasterisation of the zones (GDAL's rule: a cell is in when its centre
    is), the same cells as testing every centre with ``shapely.contains_xy`` on their union
    up to centres lying exactly on an edge, at a fraction of the cost and with no union.
    """
    from affine import Affine
    from rasterio.features import rasterize

    shapes = [(g, 1) for g in zones_in_force if g is not None and not g.is_empty]
    if not shapes:
        return np.zeros((grid.rows, grid.cols), dtype=np.uint8)
    xmin, ymax, cell = grid.transform
    return rasterize(
        shapes, out_shape=(grid.rows, grid.cols), transform=Affine(cell, 0.0, xmin, 0.0, -cell, ymax), dtype=np.uint8
    )


@dataclasses.dataclass
class _Job:
    """Everything a chunk of samples needs, built once per run and shipped once to each worker."""

    sites: pd.DataFrame
    site_rows: list[dict]
    prepared: dict[str, _Rendering]
    names: list[str]
    sets: list[pd.DataFrame]
    order: list[str]
    comp_idx: dict[str, list[int]]
    members: dict[str, np.ndarray]
    in_force: dict[str, np.ndarray]
    last_on: np.ndarray
    quantities: list[Quantity]
    sigmas: np.ndarray
    account: AccountDraws | None
    starts: dict[str, str]
    max_shift_m: float
    vary_profiles: bool
    vary_sets: bool
    grid: _Grid | None
    crs: CRS


@dataclasses.dataclass
class _Chunk:
    """What one chunk of samples returns: areas (samples x quantities), draws, raster counts.

    ``counts`` is sparse, (flat cell index, samples covering it) for the cells some sample
    covered: zones cover a few per cent of the grid, so a chunk ships kilobytes, not the grid.
    """

    areas: np.ndarray
    records: list[dict]
    counts: tuple[np.ndarray, np.ndarray] | None


def _run_chunk(
    job: _Job, first: int, n: int, seed: np.random.SeedSequence, progress: Callable[[int], None] | None = None
) -> _Chunk:
    """Draw and measure samples ``first`` .. ``first + n - 1`` with the chunk's own generator.

    The calibration starts each search where the previous sample of the same chunk ended:
    chunks are a fixed size (:data:`CHUNK_SAMPLES`), so this never depends on the workers.
    """
    rng = np.random.default_rng(seed)
    areas = np.zeros((n, len(job.quantities)))
    counts = np.zeros((job.grid.rows, job.grid.cols), dtype=np.int32) if job.grid is not None else None
    records: list[dict] = []
    guesses: dict[str, float] = {}
    for i in range(n):
        name = job.names[rng.integers(len(job.names))]
        length, angle = rng.uniform(0, job.max_shift_m), rng.uniform(0, 2 * np.pi)
        shift = np.array([length * np.cos(angle), length * np.sin(angle)])
        draw = _draw(job.sets, rng, job.vary_profiles, job.vary_sets)
        frees = {c: _free(draw.rows, idx) for c, idx in job.comp_idx.items()}
        drawn: dict[str, float] = {}
        if job.account is None:
            lams = {c: raw_lam(frees[c]) for c in job.comp_idx}
        else:
            row = job.account.areas[rng.integers(len(job.account.areas))]
            drawn = dict(zip(job.account.components, row.tolist(), strict=True))
            lams = _calibrate_sample(job.site_rows, job.prepared[name], draw, drawn, job.order, frees, guesses)
            guesses = {c: v for c, v in lams.items() if v > 0}
        zones_arr = np.array(_zones_at(job.site_rows, job.prepared[name], draw, lams, frees, shift), dtype=object)
        measured = _measure(zones_arr, job.members, job.quantities, job.in_force, job.order, drawn, job.starts)
        areas[i] = measured * np.exp(job.sigmas * rng.standard_normal(len(job.quantities)))
        if counts is not None and job.grid is not None and job.last_on.any():
            counts += _coverage(zones_arr[job.last_on], job.grid)
        records.append(_record(first + i, name, length, angle, job.sites, draw, lams, drawn))
        if progress:
            progress(1)
    sparse = None
    if counts is not None:
        cells = np.flatnonzero(counts)
        sparse = (cells, counts.ravel()[cells])
    return _Chunk(areas, records, sparse)


def monte_carlo(
    sectors: pd.DataFrame,
    baselines: Mapping[str, tuple],
    dates: Sequence[str] = (),
    *,
    account: AccountDraws | None = None,
    quantities: Sequence[Quantity] | None = None,
    samples: int = 200,
    seed: int = 0,
    max_shift_m: float = 105.0,
    vary_profiles: bool = True,
    vary_sets: bool = True,
    raster_cell_m: float | None = None,
    progress: Callable[[int], None] | None = None,
    max_bytes: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> MonteCarloResult:
    """Sample the modelled area of each quantity (by default: all zones in force on each of ``dates``).

    Parameters
    ----------
    sectors
        The sectors layer (all parameter sets, with their ranges and weights).
    baselines
        Baseline name -> (line, the subject's territory it bounds), lon/lat; drawn uniformly.
    dates, quantities
        What to measure: the union of the zones in force on each date, or each
        :class:`Quantity` (components on a date).
    account
        The account's refits (:class:`AccountDraws`): each sample draws one and calibrates
        its drawn zones to it on its drawn rendering. None: the raw geometry (the prior).
    samples, seed
        How many samples, and the seed that makes a run repeatable: the samples come in
        chunks of :data:`CHUNK_SAMPLES`, each with its own generator spawned from ``seed``
        (:meth:`numpy.random.SeedSequence.spawn`), so the same seed gives the same numbers
        in this process, on local worker processes or on a cluster, with any number of workers.
    max_shift_m
        Largest boundary shift (the case's datum offset, ~105 m for the bundled case), uniform in length and
        direction.
    vary_profiles, vary_sets
        Draw each sector's depth profile among uniform/triangular/parabolic, and its
        parameter set by weight (else its own profile, and its heaviest set).
    raster_cell_m
        With a cell size, also return the share of samples in which each cell lies in a
        zone in force on the last quantity's date.
    progress
        Called with the number of samples just finished (1 per sample in this process, a
        chunk at a time from workers), for a progress bar.
    max_bytes
        Memory limit (default: :func:`borderkit.validate.memory_limit`); a run estimated above
        it is refused before the first sample.
    workers, scheduler
        Where the chunks run (see :func:`borderkit.parallel.run_chunks`): ``scheduler`` is
        a dask.distributed scheduler address (default: ``BORDERKIT_SCHEDULER``, or
        :func:`borderkit.parallel.use_scheduler`); without one, ``workers`` local processes
        (default: one per core from :data:`PARALLEL_MIN_SAMPLES` samples, else this process).
    """
    check_args(samples, seed, raster_cell_m)
    job = _job(
        sectors, baselines, account, quantities if quantities is not None else [Quantity(d, d) for d in dates],
        max_shift_m, vary_profiles, vary_sets, raster_cell_m,
    )  # fmt: skip
    check_samples(samples, len(job.quantities), len(job.sites), max_bytes=max_bytes)
    if job.grid is not None:
        check_samples(samples, len(job.quantities), len(job.sites), raster_cells=job.grid.size, max_bytes=max_bytes)
    spans = [(first, min(CHUNK_SAMPLES, samples - first)) for first in range(0, samples, CHUNK_SAMPLES)]
    seeds = np.random.SeedSequence(seed).spawn(len(spans))
    tasks = [(first, n, s) for (first, n), s in zip(spans, seeds, strict=True)]
    total = np.zeros(job.grid.size if job.grid is not None else 0, dtype=np.int64)

    def add_counts(chunk: _Chunk) -> _Chunk:  # as each chunk arrives: memory stays one grid
        if chunk.counts is not None:
            np.add.at(total, chunk.counts[0], chunk.counts[1])
        return dataclasses.replace(chunk, counts=None)

    chunks = run_chunks(
        _run_chunk, job, tasks, progress=progress, sizes=[n for _, n, _ in tasks], workers=workers,
        scheduler=scheduler, small=samples < PARALLEL_MIN_SAMPLES, consume=add_counts,
    )  # fmt: skip
    return _combine(job, chunks, samples, total)


def _job(
    sectors,
    baselines: Mapping[str, tuple[shapely.Geometry, shapely.Geometry]],
    account,
    quantities,
    max_shift_m,
    vary_profiles,
    vary_sets,
    raster_cell_m,
) -> _Job:
    """Project every rendering and index the sectors once: what every sample shares."""
    sites = _sites(sectors)
    if "component" not in sites.columns:
        sites = sites.assign(component=sites.get("episode", sites["sector"]))
    crs = _regional_crs(sites)
    names = list(baselines)
    prepared = {n: _prepare(sites, *baselines[n], crs, 60_000.0) for n in names}
    starts = dict(account.starts) if account is not None else {}
    first = sites.groupby("component")["date"].min().to_dict()
    quantities = list(quantities)
    last_on = active(sites, quantities[-1].date) if quantities else np.zeros(len(sites), bool)
    job = _Job(
        sites=sites,
        site_rows=[row.to_dict() for _, row in sites.iterrows()],
        prepared=prepared,
        names=names,
        sets=_parameter_sets(sectors, sites),
        order=sorted(first, key=lambda c: (starts.get(c) or first[c], first[c])),
        comp_idx={c: [i for i, x in enumerate(sites["component"]) if x == c] for c in first},
        members={c: (sites["component"] == c).to_numpy() for c in first},
        in_force={d: active(sites, d) for d in dict.fromkeys(q.date for q in quantities)},
        last_on=last_on,
        quantities=quantities,
        sigmas=np.array([q.sigma for q in quantities], dtype=float),
        account=account,
        starts=starts,
        max_shift_m=max_shift_m,
        vary_profiles=vary_profiles,
        vary_sets=vary_sets,
        grid=_grid(prepared, raster_cell_m) if raster_cell_m else None,
        crs=crs,
    )
    return job


def _combine(job: _Job, chunks: list[_Chunk], samples: int, counts: np.ndarray) -> MonteCarloResult:
    """Stack the chunks' areas and draws in sample order; the raster is ``counts`` (flat) over the samples."""
    areas = np.vstack([c.areas for c in chunks]) if chunks else np.zeros((0, len(job.quantities)))
    records = [r for c in chunks for r in c.records]
    draws = pd.DataFrame.from_records(records) if records else pd.DataFrame({"sample": []})
    result = MonteCarloResult([q.date for q in job.quantities], areas, draws, job.crs, quantities=job.quantities)
    if job.grid is not None:
        share = counts.reshape(job.grid.rows, job.grid.cols) / max(samples, 1)
        result.probability, result.transform = share, job.grid.transform
    return result


def _record(k, name, length, angle, sites, draw: _Draw, lams, drawn) -> dict:
    """Return what one sample drew, one flat row."""
    rec = {"sample": k, "baseline": name, "shift_m": length, "shift_deg": float(np.degrees(angle))}
    for sid, pset, row in zip(sites["sector"], draw.sets, draw.rows, strict=True):
        rec[f"set:{sid}"] = pset
        rec[f"depth_km:{sid}"] = row.get("depth_km")
        rec[f"width_km:{sid}"] = row.get("width_km")
    rec.update({f"lam:{c}": v for c, v in lams.items()})
    rec.update({f"account_km2:{c}": v for c, v in drawn.items()})
    return rec


def summarise(result: MonteCarloResult) -> pd.DataFrame:
    """Return median and 5-95% interval of the sampled area of each quantity (km², equal-area)."""
    q = np.percentile(result.areas_km2, [5, 50, 95], axis=0) if len(result.areas_km2) else np.full((3, 0), np.nan)
    names = [x.name for x in result.quantities] if result.quantities else result.dates
    labels = {"quantity": names} if names != result.dates else {}
    return pd.DataFrame(
        {
            "date": result.dates,
            **labels,
            "p5_km2": q[0],
            "median_km2": q[1],
            "p95_km2": q[2],
            "mean_km2": result.areas_km2.mean(axis=0) if len(result.areas_km2) else np.nan,
            "samples": len(result.areas_km2),
        }
    )


# ----------------------------------------------------------------------------- the case's bands
def figure_band(
    account,
    figures: pd.DataFrame,
    *,
    samples: int,
    seed: int = 0,
    raster_cell_m: float | None = None,
    progress: Callable[[int], None] | None = None,
    max_bytes: int | None = None,
):
    """Return (band per figure, the Monte Carlo result) over the account and the geometry together.

    Each independent figure's quantity (its components on its date) is sampled by
    :func:`borderkit.montecarlo.monte_carlo` with the account's refits, the sectors'
    parameter sets, the renderings of the line and the datum shift, and the figure's own
    precision (``sigma`` of the validated figures table). The band table has one row per
    figure: its value, status, the 5-95% band and whether the band at the account's own
    outlier level (±2 standard units: 2.3-97.7%) holds the figure (``in_band``; a lower
    bound is held when the band reaches it).
    """
    from borderkit.account import LOWER_BOUNDS, Z_OUTLIER
    from borderkit.registry import area_model, baseline, baselines, components, load

    table = components()
    sigma = dict(zip(figures["id"], figures["sigma"].astype(float), strict=True))
    chosen = [f for f in account.figures if f.repeats is None]
    quantities = [Quantity(f.id, f.date.isoformat(), f.components, sigma[f.id]) for f in chosen]
    result = monte_carlo(
        load("sectors"),
        {n: baseline(n) for n in baselines()},
        account=AccountDraws.from_account(account, dict(zip(table["id"], table["start"], strict=True))),
        quantities=quantities,
        samples=samples,
        seed=seed,
        max_shift_m=area_model().datum[2],
        raster_cell_m=raster_cell_m,
        progress=progress,
        max_bytes=max_bytes,
    )
    band = summarise(result)
    level = 100 * _normal_cdf(-Z_OUTLIER)
    lo, hi = np.percentile(result.areas_km2, [level, 100 - level], axis=0) if samples else (np.nan, np.nan)
    values = np.array([f.value_km2 for f in chosen])
    # a bound ("at least", a part) is held when the band reaches it
    bound = np.array([f.scope == "part" or f.qualifier in LOWER_BOUNDS for f in chosen])
    out = pd.DataFrame(
        {
            "figure": [f.id for f in chosen],
            "value_km2": values,
            "status": [f.status for f in chosen],
            "p5_km2": band["p5_km2"].to_numpy(),
            "median_km2": band["median_km2"].to_numpy(),
            "p95_km2": band["p95_km2"].to_numpy(),
            "in_band": ((lo <= values) | bound) & (values <= hi),
        }
    )
    return out, result


def _normal_cdf(z: float) -> float:
    """Return the standard normal cumulative probability (the band level that matches a z threshold)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def date_band(on: str, *, samples: int, seed: int = 0, account=None) -> pd.DataFrame:
    """Return the Monte Carlo band (one row) of the land the modelled episodes hold on a date.

    Like :func:`figure_band`, over the account's refits and the geometry together, for the
    union of every drawn component's zones in force on ``on`` (no figure's precision: this
    is the land, not a count of it).
    """
    from borderkit.account import build_account
    from borderkit.reconcile import to_components, to_figures
    from borderkit.registry import area_model, baseline, baselines, components, figures, load

    check_args(samples, seed)  # before the account's refits, which take the same seed
    table = components()
    if account is None:
        account = build_account(to_components(table), to_figures(figures()), resamples=200, null=0, seed=seed)
    result = monte_carlo(
        load("sectors"),
        {n: baseline(n) for n in baselines()},
        account=AccountDraws.from_account(account, dict(zip(table["id"], table["start"], strict=True))),
        quantities=[Quantity("land taken, modelled episodes", on)],
        samples=samples,
        seed=seed,
        max_shift_m=area_model().datum[2],
    )
    return summarise(result)
