"""Make a synthetic but realistic archive of dated control polygons over a real country outline.

A monitor (DeepStateMap, ISW) publishes one map of the ground held per date. This script
makes such an archive from the bundled ``countries`` layer: the ground east of a wavy front
that advances and then retreats (with a little day-to-day noise, so that most days both
gain and lose ground), clipped to the country, so the series inherits the country's parts
(a multipolygon) and its enclave holes; a pocket held behind the front on some dates (one
more part) and a town still held by the defender inside the held ground on others (one
more hole). The files mix formats, CRSs and the ways an archive dates its files:

=====  ================================  =========  =============================================
i % 4  file                              CRS        date from
=====  ================================  =========  =============================================
0      ``control-YYYY-MM-DD.geojson``    EPSG:4326  the ``date`` property (and the file name)
1      ``control_YYYYMMDD.gpkg``         EPSG:32638 the file name (UTM 38N, no date property)
2      ``snapshot-NNNN.fgb``             EPSG:3857  the ``date`` property only
3      ``YYYYMMDD.parquet``              EPSG:4326  the file name; one feature per part
=====  ================================  =========  =============================================

The polygons are returned in lon/lat too (:func:`control_series`), so a test can measure
them with its own arithmetic and compare with what borderkit reads back from the files.

Usage::

    python scripts/make_observed_archive.py OUT_DIR --dates 800 --country azerbaijan
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

#: Formats, CRSs and file names, in the order files cycle through them (see the module docstring).
LAYOUT = (
    ("geojson", 4326, "control-{iso}.geojson", True),
    ("gpkg", 32638, "control_{basic}.gpkg", False),
    ("fgb", 3857, "snapshot-{index:04d}.fgb", True),
    ("parquet", 4326, "{basic}.parquet", False),
)


def territory(country: str = "armenia", tolerance: float = 0.0) -> shapely.Geometry:
    """Return a country's outline from the bundled ``countries`` layer (lon/lat), simplified if asked."""
    from borderkit.registry import load

    countries = load("countries")
    geom = countries.loc[countries["id"] == country].geometry.iloc[0]
    return shapely.simplify(geom, tolerance) if tolerance > 0 else geom


def _disk(x: float, y: float, radius: float, n: int = 48) -> shapely.Polygon:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return shapely.Polygon(np.c_[x + radius * np.cos(t), y + 0.8 * radius * np.sin(t)])


def _depth(n: int, rng: np.random.Generator) -> np.ndarray:
    """Share of the country's width held on each date: advance to a peak, then retreat, with noise."""
    t = np.linspace(0.0, 1.0, n)
    trend = 0.15 + 0.35 * np.sin(np.pi * np.clip(t * 1.3, 0, 1)) ** 2  # up, then back down part-way
    return trend + np.cumsum(rng.normal(0, 0.004, n))


def control_series(
    n_dates: int = 30,
    *,
    country: str = "armenia",
    start: str = "2023-01-01",
    step_days: int = 1,
    seed: int = 0,
    tolerance: float = 0.0,
    front_vertices: int = 160,
) -> tuple[shapely.Geometry, list[tuple[dt.date, shapely.Geometry]]]:
    """Return (the country, [(date, ground held)]) in lon/lat: the archive's true polygons.

    Parameters
    ----------
    n_dates
        How many dated maps.
    country
        ``id`` of a feature of the bundled ``countries`` layer.
    start, step_days
        The first date and the days between maps (every third gap is one day longer, so
        the series is not perfectly regular).
    seed
        The noise of the front.
    tolerance
        Simplify the country by this many degrees first (smaller files).
    front_vertices
        Vertices along the front line.
    """
    rng = np.random.default_rng(seed)
    land = territory(country, tolerance)
    x0, y0, x1, y1 = land.bounds
    ys = np.linspace(y0 - 0.05, y1 + 0.05, front_vertices)
    depth = _depth(n_dates, rng)
    pocket = _disk(*_inside(land, 0.25), radius=0.06 * (x1 - x0))
    town = _disk(*_inside(land, 0.85), radius=0.03 * (x1 - x0))
    day = dt.date.fromisoformat(start)
    series = []
    for i in range(n_dates):
        phase = 0.3 * i / max(n_dates - 1, 1)
        front = x1 - (x1 - x0) * depth[i] + 0.04 * (x1 - x0) * np.sin(9 * (ys - y0) / (y1 - y0) * np.pi + phase)
        east = shapely.Polygon([*zip(front, ys, strict=True), (x1 + 1, y1 + 0.05), (x1 + 1, y0 - 0.05)])
        held = shapely.intersection(land, east)
        if i % 5 in (1, 2):  # a pocket held behind the front: one more part
            held = shapely.union(held, shapely.intersection(land, pocket))
        if i % 4 != 3:  # a town still held by the defender: one more hole (while it lies in held ground)
            held = shapely.difference(held, town)
        series.append((day, shapely.make_valid(held)))
        day += dt.timedelta(days=step_days + (1 if i % 3 == 2 else 0))
    return land, series


def _inside(land: shapely.Geometry, share: float) -> tuple[float, float]:
    """Return a point inside ``land`` at ``share`` of its width from the west, near the middle latitude."""
    x0, y0, x1, y1 = land.bounds
    line = shapely.LineString([(x0 + share * (x1 - x0), y0), (x0 + share * (x1 - x0), y1)])
    inside = shapely.intersection(line, land)
    parts = sorted(shapely.get_parts(inside), key=lambda g: -g.length)
    mid = parts[0].interpolate(0.5, normalized=True)
    return mid.x, mid.y


def write_archive(folder: str | Path, series: list[tuple[dt.date, shapely.Geometry]]) -> list[Path]:
    """Write one file per date into ``folder`` (see the module docstring for the layout); return the paths."""
    from borderkit.io import write_vector

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (day, geom) in enumerate(series):
        fmt, epsg, pattern, dated = LAYOUT[index % len(LAYOUT)]
        parts = list(shapely.get_parts(geom)) if fmt == "parquet" else [geom]
        columns = {"date": [day.isoformat()] * len(parts)} if dated else {"label": ["held"] * len(parts)}
        gdf = gpd.GeoDataFrame(columns, geometry=parts, crs=4326).to_crs(epsg)
        path = folder / pattern.format(iso=day.isoformat(), basic=day.strftime("%Y%m%d"), index=index)
        write_vector(gdf, path, fmt, layer="control")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Write an archive: ``python scripts/make_observed_archive.py OUT_DIR [--dates N]``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--dates", type=int, default=30)
    parser.add_argument("--country", default="armenia")
    parser.add_argument("--start", default="2023-01-01")
    parser.add_argument("--tolerance", type=float, default=0.0, help="simplify the country (degrees)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--front-vertices", type=int, default=160, help="vertices along the front line")
    args = parser.parse_args(argv)
    _, series = control_series(
        args.dates,
        country=args.country,
        start=args.start,
        seed=args.seed,
        tolerance=args.tolerance,
        front_vertices=args.front_vertices,
    )
    paths = write_archive(args.folder, series)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files ({size / 1e6:.1f} MB) to {args.folder}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
