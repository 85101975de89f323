"""Measure dated control polygons: the area held on each date, and the land gained and lost per period.

A monitor that maps a conflict (DeepStateMap, ISW) publishes one map of the ground held per
date. Its headline figures ("N km² taken in September", "19% of the country") are computed
from those polygons, so borderkit measures them the same way, on the ellipsoid:

- **per date**, the area of the union of that date's polygons (``area_km2``), and the share
  of a territory it covers (``share_pct``) when one is given;
- **per period**, the land held at the period's end and not at its start (``gained_km2``),
  the reverse (``lost_km2``), and ``net_km2 = gained_km2 - lost_km2``: areas of the
  difference polygons, not differences of totals, so a front that advances in one place
  and retreats in another shows both;
- either **by region** (provinces, say), when regions are given.

A map lasts until the next date: the state *on* a day is the latest map dated on or
before it. A period compares the state on ``period_start`` with the state on
``period_end``; consecutive periods share their ends, so their net changes add up to the
change over the whole span.

The functions below :func:`read_archive` are pure (GeoDataFrames in, GeoDataFrames out);
:func:`read_archive` and :func:`observed` read files through :mod:`borderkit.io`.

The module itself is callable: ``borderkit.observed(...)`` is :func:`observed` (a module and
its main function share the name, and Python would otherwise let the module shadow it).
"""

from __future__ import annotations

import bisect
import datetime as dt
import glob
import os
import re
import sys
import types
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderkit.errors import InputError, UsageError
from borderkit.measure import area

__all__ = [
    "PERIODS",
    "GEODATA_ENDINGS",
    "OUTSIDE",
    "Observed",
    "observed",
    "archive_files",
    "date_from_name",
    "read_archive",
    "states",
    "period_bounds",
    "areas",
    "changes",
    "change_table",
    "region_labels",
    "MEASURES",
    "measure_period",
    "successive",
]

#: ``every=`` values and the pandas period each stands for (weeks run Monday to Sunday).
PERIODS = {"day": "D", "week": "W-SUN", "month": "M", "year": "Y"}
#: File endings read from a folder (others, such as a Shapefile's .dbf or a README, are skipped).
GEODATA_ENDINGS = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".parquet", ".geoparquet")
#: What :func:`measure_period` can measure between two dates.
MEASURES = ("net", "gained", "lost", "held")
#: The region of the ground that falls in none of the given regions.
OUTSIDE = "(outside the regions)"

_NAME_DATE = re.compile(r"(?<!\d)(\d{4})(-?)(\d{2})\2(\d{2})(?!\d)")
_VALUE_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?$")
_DATE_HELP = "Write dates as YYYY-MM-DD (or YYYYMMDD)"
_EMPTY = shapely.MultiPolygon()


class Observed(NamedTuple):
    """What :func:`observed` returns."""

    #: The figures: one row per date (``date``, ``area_km2``, ``share_pct``) or per period
    #: (``period_start``, ``period_end``, ``gained_km2``, ``lost_km2``, ``net_km2``), with a
    #: ``region`` column when regions were given.
    table: pd.DataFrame
    #: The polygons measured (EPSG:4326): each date's ground (per region), or each period's
    #: gained and lost ground (column ``change``), with ``area_km2``.
    polygons: gpd.GeoDataFrame
    #: What borderkit read, assumed or repaired, for the user.
    notes: list[str]


# ---------------------------------------------------------------- dates


def date_from_name(name: str) -> dt.date | None:
    """Return the date a file name carries (``YYYYMMDD`` or ``YYYY-MM-DD``), or None when it has none.

    Raises
    ------
    InputError
        The name carries two different dates, or digits in date form that are no calendar
        date (``20221340``).

    Examples
    --------
    >>> date_from_name("control_20220930.gpkg"), date_from_name("map-2022-09-30.geojson")
    (datetime.date(2022, 9, 30), datetime.date(2022, 9, 30))
    >>> date_from_name("latest.geojson") is None
    True
    """
    stem = os.path.basename(name)
    found: set[dt.date] = set()
    for match in _NAME_DATE.finditer(stem):
        year, _, month, day = match.groups()
        try:
            found.add(dt.date(int(year), int(month), int(day)))
        except ValueError:
            raise InputError(
                f"file {name!r}: {match.group(0)!r} in its name is not a calendar date. "
                f"{_DATE_HELP} in the name, or give each feature a date property."
            ) from None
    if len(found) > 1:
        listed = ", ".join(sorted(d.isoformat() for d in found))
        raise InputError(
            f"file {name!r}: its name carries {len(found)} dates ({listed}), so borderkit cannot tell which "
            "is the map's. Rename it to carry one date, or give its features a date property."
        )
    return found.pop() if found else None


def _date_value(value: Any) -> dt.date | None:
    """Return the calendar date of a property value (as written: no time zone shift), None when empty.

    Raises ValueError for anything that is not a date.
    """
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).date()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        match = _VALUE_DATE.match(text)
        if match:
            return dt.date(*(int(g) for g in match.groups()))
    raise ValueError(value)


def _find_column(columns: Iterable[str], wanted: str) -> str | None:
    """Return the column named ``wanted``, matched exactly, else ignoring case (Shapefiles upper-case names)."""
    columns = [str(c) for c in columns]
    if wanted in columns:
        return wanted
    folded = [c for c in columns if c.lower() == wanted.lower()]
    return folded[0] if len(folded) == 1 else None


def _row_dates(gdf: pd.DataFrame, column: str | None, fallback: dt.date | None, what: str) -> list[dt.date]:
    """Return each row's date: its ``column`` value, else ``fallback`` (the file name's date)."""
    values = gdf[column].tolist() if column else [None] * len(gdf)
    dates = []
    for i, value in enumerate(values):
        try:
            day = _date_value(value)
        except ValueError:
            raise InputError(
                f"{what}: feature #{i + 1} has {column}={value!r}, which is not a date. {_DATE_HELP} "
                f"(a time after the date is ignored), or leave it empty to use the date in the file name."
            ) from None
        except (TypeError, OverflowError):  # e.g. year 0 in a GeoPackage
            raise InputError(f"{what}: feature #{i + 1} has {column}={value!r}, which is not a date.") from None
        if day is None:
            day = fallback
        if day is None:
            where = f"no {column!r} value" if column else "no date property"
            raise InputError(
                f"{what}: feature #{i + 1} has {where} and the file name carries no date, so borderkit cannot "
                f"date it. Give the features a date property, or put the date in the file name "
                f"(e.g. control_20220930.gpkg or control-2022-09-30.geojson)."
            )
        dates.append(day)
    return dates


# ---------------------------------------------------------------- reading an archive (the edge)


def archive_files(sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """List the files of an archive: each source is a file, a folder or a glob pattern.

    A folder contributes its files ending in one of :data:`GEODATA_ENDINGS` (not its
    subfolders); a glob pattern (``archive/*.gpkg``, quoted so the shell leaves it alone)
    every file it matches. The list is sorted and each file appears once.

    Raises
    ------
    InputError
        A pattern matches nothing, a folder holds no geodata file, or a path does not exist.
    """
    if isinstance(sources, str | os.PathLike):
        sources = [sources]
    found: dict[str, Path] = {}
    for source in sources:
        for path in _expand(os.fspath(source)):
            found.setdefault(os.path.realpath(path), path)
    if not found:
        raise InputError("No archive was given. Give a folder, a glob pattern such as 'archive/*.geojson', or files.")
    return sorted(found.values())


def _expand(source: str) -> list[Path]:
    if not source.strip():
        raise UsageError("An archive path is empty. Give a folder, a glob pattern or a file.")
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in GEODATA_ENDINGS)
        if not files:
            seen = sorted(p.name for p in path.iterdir())[:5]
            raise InputError(
                f"folder {source!r} holds no geodata file (endings {', '.join(GEODATA_ENDINGS)}); "
                f"it holds {', '.join(map(repr, seen)) or 'nothing'}. Give the folder of the archive's files, "
                "or a glob pattern that matches them."
            )
        return files
    if glob.has_magic(source) and not path.exists():
        files = sorted(Path(p) for p in glob.glob(source) if Path(p).is_file())
        if not files:
            raise InputError(
                f"the pattern {source!r} matches no file. Check the folder and the pattern "
                "(e.g. 'archive/*.geojson', quoted so the shell does not expand it)."
            )
        return files
    if not path.exists():
        raise InputError(f"No such file or folder: {source!r}. Give a folder, a glob pattern or a file of the archive.")
    return [path]


def read_archive(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    date_column: str = "date",
    layer: str | None = None,
    crs: str | None = None,
    fix: bool = False,
    workers: int | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read an archive of dated control polygons into one union per date (see :func:`states`).

    Each file is read with :func:`borderkit.io.read_user_geodata` (GeoJSON, GeoPackage,
    Shapefile, FlatGeobuf, GeoParquet; never a file that points GDAL elsewhere) and checked
    with :func:`borderkit.validate.validate_polygons` (any CRS, reprojected to lon/lat;
    polygons only; valid geometry). A feature's date is its ``date_column`` property, else
    the date in its file name (``YYYYMMDD`` or ``YYYY-MM-DD``).

    Parameters
    ----------
    sources
        Folders, glob patterns or files (:func:`archive_files`); one file with a date
        column holds a whole series.
    date_column
        The property holding each feature's date (matched ignoring case).
    layer
        The layer to read from multi-layer files.
    crs
        The CRS of files that have none (or a wrong one).
    fix
        Repair invalid polygons with ``make_valid`` (the change in area is noted).
    workers
        Processes reading files (see :func:`borderkit.parallel.run_chunks`); default one
        per core from :data:`PARALLEL_MIN_FILES` files on, else this process.

    Returns
    -------
    (GeoDataFrame, list of str)
        :func:`states` of the archive, with a ``files`` column naming each date's file(s),
        and notes for the user.

    Raises
    ------
    InputError
        A file cannot be read, holds no polygons, or a feature has no date; or two files
        carry the same date (which of the two maps holds for that day is not known).
    """
    from borderkit.parallel import run_chunks

    paths = archive_files(sources)
    chunks = run_chunks(
        _read_files,
        (date_column, layer, crs, fix),
        [(list(c),) for c in _chunked(paths, workers)],
        workers=workers,
        small=len(paths) < PARALLEL_MIN_FILES,
    )
    frame = pd.concat([c[0] for c in chunks], ignore_index=True)
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)
    notes = [n for c in chunks for n in c[1]]
    crss = pd.Series([name for c in chunks for name in c[2]]).value_counts()
    _refuse_shared_dates(frame)
    series = states(frame)
    files = frame.groupby(frame["date"].map(dt.date.isoformat))["file"].agg(lambda f: ", ".join(sorted(set(f))))
    series.insert(1, "files", series["date"].map(files))
    listed = ", ".join(f"{name} ({n})" for name, n in crss.items())
    read = f"read {len(paths)} file(s), {len(series)} date(s)"
    notes.insert(0, f"{read}; CRS: {listed}; measured in lon/lat.")
    return series, notes


#: Below this many files an archive is read in this process: starting worker processes
#: (each imports geopandas) costs about as much as reading this many files.
PARALLEL_MIN_FILES = 64
#: Below this many periods the differences are computed in this process.
PARALLEL_MIN_PERIODS = 200


_T = TypeVar("_T")


def _chunked(items: Sequence[_T], workers: int | None) -> list[Sequence[_T]]:
    """Cut ``items`` into about four chunks per worker, in order (uneven files even out)."""
    from borderkit.parallel import local_workers

    n = max(1, min(len(items), 4 * (workers or local_workers())))
    size = -(-len(items) // n)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _read_files(
    job: tuple[str, str | None, str | None, bool], paths: list[Path], progress: Any = None
) -> tuple[gpd.GeoDataFrame, list[str], list[str]]:
    """Read and check some archive files: (date, file, geometry) rows, notes, each file's CRS."""
    from borderkit.io import read_user_geodata
    from borderkit.validate import validate_polygons

    date_column, layer, crs, fix = job
    frames, notes, crss = [], [], []
    for path in paths:
        what = f"file {str(path)!r}"
        raw = read_user_geodata(str(path), layer=layer)
        column = _find_column(raw.columns, date_column)
        raw = raw.assign(_observed_date=_row_dates(raw, column, date_from_name(path.name), what))
        crss.append(_crs_name(raw.crs))
        checked, more = validate_polygons(raw, what, crs=crs, fix=fix)
        notes += [n for n in more if "reprojected to EPSG:4326" not in n]
        columns = {"date": checked["_observed_date"].to_numpy(), "file": path.name}
        frames.append(pd.DataFrame({**columns, "geometry": checked.geometry.to_numpy()}))
        if progress:
            progress(1)
    return pd.concat(frames, ignore_index=True), notes, crss


def _crs_name(crs: Any) -> str:
    if crs is None:
        return "none"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _refuse_shared_dates(frame: pd.DataFrame) -> None:
    """Refuse two files with one date: which map holds that day cannot be known."""
    per_date = frame.groupby("date")["file"].unique()
    shared = per_date[per_date.map(len) > 1]
    if len(shared):
        day, names = shared.index[0], sorted(shared.iloc[0])
        raise InputError(
            f"{len(names)} files carry the date {day.isoformat()}: {', '.join(map(repr, names[:4]))}; which map "
            f"holds on that day is unknown ({len(shared)} date(s) like this). Keep one file per date, merge the "
            "files of one date into one, or give their features their own date property."
        )


# ---------------------------------------------------------------- pure measures


def states(frame: gpd.GeoDataFrame, *, date_column: str = "date") -> gpd.GeoDataFrame:
    """Return the ground held on each date: the union of that date's polygons, in date order.

    Parameters
    ----------
    frame
        Polygons with a date column (ISO strings, dates or timestamps); any CRS (reprojected
        to EPSG:4326).
    date_column
        The column holding the dates.

    Returns
    -------
    GeoDataFrame
        Columns ``date`` (ISO string), ``features`` (how many were merged) and the geometry,
        in EPSG:4326, one row per date.

    Raises
    ------
    UsageError
        The column is missing or holds a value that is not a date.
    """
    column = _find_column(frame.columns, date_column)
    if column is None:
        raise UsageError(
            f"The polygons have no {date_column!r} column (columns: {', '.join(map(str, frame.columns))}). "
            "Give each polygon its date in a column and name it with date_column=."
        )
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    days = _row_dates(frame, column, None, "the polygons")
    geoms = frame.geometry.to_numpy()
    order = sorted(set(days))
    rows: dict[dt.date, list[shapely.Geometry]] = {d: [] for d in order}
    for day, geom in zip(days, geoms, strict=True):
        if geom is not None and not geom.is_empty:
            rows[day].append(geom)
    merged = [_union(rows[d]) for d in order]
    return gpd.GeoDataFrame(
        {"date": [d.isoformat() for d in order], "features": [len(rows[d]) for d in order]},
        geometry=merged,
        crs=4326,
    )


def successive(series: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return each map as a state that lasts until the next one: what a map's time slider shows.

    A monitor's archive gives no end dates: the ground on a map holds until the next map
    replaces it. So each state starts on its date and ends the day before the next map's
    (the last map's end is None: open, up to whatever date the caller's axis ends on).

    Parameters
    ----------
    series
        :func:`states`: one row per date.

    Returns
    -------
    GeoDataFrame
        ``date``, ``start`` and ``end`` (ISO strings; ``end`` None on the last row),
        ``area_km2`` (geodesic) and the ground, in EPSG:4326.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> maps = gpd.GeoDataFrame({"date": ["2024-01-01", "2024-01-10"]}, geometry=[box(30, 50, 31, 51)] * 2, crs=4326)
    >>> successive(states(maps))[["start", "end"]].to_dict("records")
    [{'start': '2024-01-01', 'end': '2024-01-09'}, {'start': '2024-01-10', 'end': None}]
    """
    series = _as_lonlat(series)
    days = [_day(d, "archive date") for d in series["date"]]
    ends: list[str | None] = [(d - dt.timedelta(days=1)).isoformat() for d in days[1:]]
    out = gpd.GeoDataFrame(
        {
            "date": [d.isoformat() for d in days],
            "start": [d.isoformat() for d in days],
            "end": pd.Series([*ends, None], dtype=object),
        },
        geometry=series.geometry.to_numpy(),
        crs=4326,
    )
    out.insert(3, "area_km2", area(out.geometry.to_numpy()))
    return out


def _union(geoms: list[shapely.Geometry]) -> shapely.Geometry:
    """Union of one date's polygons (one valid polygon is kept as it is: nothing to merge)."""
    if not geoms:
        return _EMPTY
    if len(geoms) == 1 and shapely.get_type_id(geoms[0]) in (3, 6):
        return geoms[0]
    merged = shapely.union_all(geoms)
    return _polygons_only(merged)


def _polygons_only(geom: shapely.Geometry) -> shapely.Geometry:
    """Drop the lines and points an overlay can leave in a collection: they hold no ground."""
    if shapely.get_type_id(geom) != 7:
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else _EMPTY


def _day(value: str | dt.date, what: str) -> dt.date:
    try:
        day = _date_value(value)
    except ValueError:
        day = None
    if day is None:
        raise UsageError(f"{what} {value!r} is not a date. Use YYYY-MM-DD, e.g. 2022-09-30.")
    return day


def period_bounds(
    dates: Sequence[str | dt.date], *, every: str | None = None, between: tuple[str | dt.date, ...] | None = None
) -> list[tuple[dt.date, dt.date]]:
    """Return the (start, end) dates of the periods to compare.

    ``every`` cuts the archive's span at the end of each calendar day, week (Monday to
    Sunday), month or year; the first period starts on the first date and the last ends on
    the last one (nothing is extrapolated). ``between`` is one period. With neither, each
    map is compared with the one before it.

    Raises
    ------
    UsageError
        Both or an unknown ``every`` given; ``between`` dates in the wrong order, equal, or
        outside the archive's span.
    """
    days = sorted({_day(d, "archive date") for d in dates})
    if not days:
        raise UsageError("The archive holds no dates, so there is no period to measure.")
    first, last = days[0], days[-1]
    if every is not None and between is not None:
        raise UsageError("Give either --every or --between, not both.")
    if between is not None:
        return [_between(between, first, last)]
    if every is None:
        return list(zip(days[:-1], days[1:], strict=True))
    if every not in PERIODS:
        raise UsageError(f"Unknown period {every!r}. Allowed: {', '.join(PERIODS)}. Pick one of these.")
    ends = [p.end_time.date() for p in pd.period_range(first, last, freq=PERIODS[every])]
    cuts = sorted({first, last, *(e for e in ends if e < last)})
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _between(between: tuple[str | dt.date, ...], first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    if len(between) != 2:
        raise UsageError(f"--between takes two dates, got {len(between)}. Give --between 2022-09-01 2022-09-30.")
    start, end = _day(between[0], "--between"), _day(between[1], "--between")
    if start >= end:
        raise UsageError(
            f"--between {start} {end}: the first date must come before the second. Give them in time order."
        )
    if start < first or end > last:
        raise UsageError(
            f"--between {start} {end} reaches outside the archive, which runs from {first} to {last}; "
            "borderkit does not guess the ground held before the first map or after the last. "
            "Give dates within that span."
        )
    return start, end


def region_labels(regions: gpd.GeoDataFrame, column: str | None = None) -> pd.Series:
    """Return each region's label: ``column``, else a ``name`` or ``id`` column (matched ignoring case).

    Raises
    ------
    UsageError
        The column is missing, or none was given and the regions have neither ``name`` nor ``id``.
    """
    wanted = [column] if column else ["name", "id"]
    for want in wanted:
        found = _find_column(regions.columns, want)
        if found is not None:
            return regions[found].astype(str)
    have = ", ".join(str(c) for c in regions.columns if c != regions.geometry.name) or "none"
    what = f"no column {column!r}" if column else "neither a 'name' nor an 'id' column"
    raise UsageError(
        f"The regions have {what}; their columns: {have}. Name the column that labels each region "
        "with --region-column (region_column= in Python)."
    )


def _as_lonlat(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.to_crs(4326) if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf


def _split(
    geoms: np.ndarray, regions: gpd.GeoDataFrame | None, column: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut each geometry by the regions: (pieces, index of the geometry, region label) of every pair.

    Every geometry gets one piece per region (empty where it does not reach), plus one for
    the ground outside every region when any geometry has some, so that a table has a row
    for every region and the pieces of a geometry add up to it.
    """
    n = len(geoms)
    if regions is None:
        return geoms, np.arange(n), np.full(n, None, dtype=object)
    regions = _as_lonlat(regions)
    labels = region_labels(regions, column)
    shapes = regions.geometry.to_numpy()
    names = list(dict.fromkeys(labels))
    merged = np.array([shapely.union_all(shapes[(labels == name).to_numpy()]) for name in names], dtype=object)
    pieces = np.full((n, len(names)), _EMPTY, dtype=object)
    hit_geom, hit_region = shapely.STRtree(merged).query(geoms, predicate="intersects")
    pieces[hit_geom, hit_region] = shapely.intersection(geoms[hit_geom], merged[hit_region])
    outside = shapely.difference(geoms, shapely.union_all(merged))
    outside_area = area(outside)
    if (outside_area > 0).any():
        pieces = np.c_[pieces, outside]
        names.append(OUTSIDE)
    pieces = np.vectorize(_polygons_only, otypes=[object])(pieces)
    owner = np.repeat(np.arange(n), len(names))
    return pieces.ravel(), owner, np.tile(np.array(names, dtype=object), n)


def areas(
    series: gpd.GeoDataFrame,
    *,
    territory: shapely.Geometry | gpd.GeoDataFrame | None = None,
    regions: gpd.GeoDataFrame | None = None,
    region_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Return the geodesic area held on each date, and its share of a territory or of each region.

    Parameters
    ----------
    series
        :func:`states`: one row per date (``date`` and geometry).
    territory
        The territory whose share is wanted (a geometry in lon/lat, or polygons in any CRS,
        merged). ``share_pct`` is the part of the territory the ground covers, so ground
        beyond the territory does not count towards it.
    regions
        Polygons to split the ground by (provinces, say); they should not overlap.
        ``share_pct`` is then the part of each region covered.
    region_column
        The column that labels the regions (default: ``name``, else ``id``).

    Returns
    -------
    GeoDataFrame
        ``date``, ``region`` (with regions), ``area_km2`` (geodesic, WGS84), ``share_pct``
        (with a territory or regions; NaN for the ground outside every region) and the
        ground measured, in EPSG:4326.
    """
    series = _as_lonlat(series)
    pieces, owner, names = _split(series.geometry.to_numpy(), regions, region_column)
    out = gpd.GeoDataFrame({"date": series["date"].to_numpy()[owner]}, geometry=pieces, crs=4326)
    if regions is not None:
        out["region"] = names
    out["area_km2"] = area(pieces)
    if regions is not None:
        whole = dict(zip(*_region_areas(regions, region_column), strict=True))
        held = zip(out["area_km2"], names, strict=True)
        out["share_pct"] = [100 * a / whole[r] if whole.get(r) else None for a, r in held]
    elif territory is not None:
        land = _territory(territory)
        out["share_pct"] = 100 * area(shapely.intersection(pieces, land)) / float(area(land)[0])
    return out[[c for c in out.columns if c != "geometry"] + ["geometry"]]


def _region_areas(regions: gpd.GeoDataFrame, column: str | None) -> tuple[list[str], list[float]]:
    regions = _as_lonlat(regions)
    labels = region_labels(regions, column)
    sizes = pd.Series(area(regions), index=labels.to_numpy()).groupby(level=0, sort=False).sum()
    return list(sizes.index), list(sizes.to_numpy())


def _territory(territory: shapely.Geometry | gpd.GeoDataFrame) -> shapely.Geometry:
    if isinstance(territory, gpd.GeoDataFrame | gpd.GeoSeries):
        land = shapely.union_all(_as_lonlat(territory).geometry.to_numpy())
    else:
        land = territory
    if land is None or land.is_empty or float(area(land)[0]) <= 0:
        raise UsageError("The territory has no area, so no share of it can be given. Give a polygon file.")
    return land


def changes(
    series: gpd.GeoDataFrame,
    *,
    every: str | None = None,
    between: tuple[str | dt.date, ...] | None = None,
    regions: gpd.GeoDataFrame | None = None,
    region_column: str | None = None,
    workers: int | None = None,
) -> gpd.GeoDataFrame:
    """Return the ground gained and lost in each period, as polygons with their geodesic areas.

    Parameters
    ----------
    series
        :func:`states`: one row per date.
    every, between
        The periods (:func:`period_bounds`): ``"day"``, ``"week"``, ``"month"`` or
        ``"year"``, or a pair of dates; by default each map against the one before.
    regions, region_column
        Split the changes by these regions (see :func:`areas`).
    workers
        Processes computing the differences (see :func:`borderkit.parallel.run_chunks`);
        default one per core from :data:`PARALLEL_MIN_PERIODS` periods on, else this process.

    Returns
    -------
    GeoDataFrame
        Two rows per period (and region): ``change`` ``"gained"`` (held on ``period_end``,
        not on ``period_start``) and ``"lost"`` (the reverse), each with ``area_km2``
        (geodesic) and its polygons, in EPSG:4326. A period with no change has empty
        polygons of area 0, so every period is listed.
    """
    series = _as_lonlat(series)
    days = [_day(d, "archive date") for d in series["date"]]
    bounds = period_bounds(days, every=every, between=between)
    geoms = series.geometry.to_numpy()
    at = np.searchsorted(np.array(days), np.array([b for pair in bounds for b in pair]), side="right") - 1
    n = len(bounds)
    gained, lost = np.full(n, _EMPTY, dtype=object), np.full(n, _EMPTY, dtype=object)
    moved = np.flatnonzero(at[0::2] != at[1::2])  # the same map at both ends changes nothing
    pairs = [(geoms[at[2 * i]], geoms[at[2 * i + 1]]) for i in moved]
    if len(pairs):
        from borderkit.parallel import run_chunks

        done = run_chunks(_overlay, None, [(c,) for c in _chunked(pairs, workers)], workers=workers,
                          small=len(pairs) < PARALLEL_MIN_PERIODS)  # fmt: skip
        gained[moved] = [g for chunk in done for g in chunk[0]]
        lost[moved] = [g for chunk in done for g in chunk[1]]
    both = np.r_[gained, lost]
    pieces, owner, names = _split(both, regions, region_column)
    period = owner % n
    out = gpd.GeoDataFrame(
        {
            "period_start": [bounds[i][0].isoformat() for i in period],
            "period_end": [bounds[i][1].isoformat() for i in period],
            "change": np.where(owner < n, "gained", "lost"),
        },
        geometry=pieces,
        crs=4326,
    )
    if regions is not None:
        out.insert(2, "region", names)
    out["area_km2"] = area(pieces)
    keys = ["period_start", *(["region"] if regions is not None else []), "change"]
    out = out.sort_values(keys, kind="stable", key=_region_order(out)).reset_index(drop=True)
    return out[[c for c in out.columns if c != "geometry"] + ["geometry"]]


def _region_order(frame: pd.DataFrame) -> Callable[[pd.Series], pd.Series]:
    """Sort key: regions in the order they were given (not alphabetically), other keys as they are."""
    order = {name: i for i, name in enumerate(dict.fromkeys(frame["region"]))} if "region" in frame else {}

    def key(column: pd.Series) -> pd.Series:
        return column.map(order) if column.name == "region" else column

    return key


def _overlay(
    job: Any, pairs: list[tuple[shapely.Geometry, shapely.Geometry]], progress: Any = None
) -> tuple[list[shapely.Geometry], list[shapely.Geometry]]:
    """Return the ground gained (held at the end, not the start) and lost of each (start, end) pair."""
    start = np.array([p[0] for p in pairs], dtype=object)
    end = np.array([p[1] for p in pairs], dtype=object)
    gained = [_polygons_only(g) for g in shapely.difference(end, start)]
    lost = [_polygons_only(g) for g in shapely.difference(start, end)]
    if progress:
        progress(len(pairs))
    return gained, lost


def change_table(polygons: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return :func:`changes` as one row per period (and region): ``gained_km2``, ``lost_km2``, ``net_km2``."""
    keys = ["period_start", "period_end", *(["region"] if "region" in polygons else [])]
    wide = polygons.pivot_table(index=keys, columns="change", values="area_km2", aggfunc="sum", sort=False)
    wide = wide.reindex(columns=["gained", "lost"], fill_value=0.0).reset_index()
    wide.columns.name = None
    table = wide[keys].copy()
    table["gained_km2"] = wide["gained"].to_numpy(dtype=float)
    table["lost_km2"] = wide["lost"].to_numpy(dtype=float)
    table["net_km2"] = table["gained_km2"] - table["lost_km2"]
    return table.reset_index(drop=True)


def measure_period(
    series: gpd.GeoDataFrame, measure: str, start: str | dt.date, end: str | dt.date
) -> tuple[float, shapely.Geometry]:
    """Return one figure of an archive and the ground it measures: what a monitor's headline counts.

    A published figure about observed data ("N km² taken in September") is one number of
    this kind, so the account (``borderkit reconcile``) reads a component measured from an
    archive through this function.

    Parameters
    ----------
    series
        :func:`states`: one row per date.
    measure
        ``"net"`` (gained minus lost between the dates), ``"gained"``, ``"lost"``, or
        ``"held"`` (the ground held on ``end``; ``start`` is then only checked).
    start, end
        The period (within the archive's span); the state on a day is the latest map dated
        on or before it.

    Returns
    -------
    tuple
        The geodesic area in km² (net may be negative), and the ground measured (the gained
        ground for ``net`` and ``gained``, the lost ground for ``lost``, the ground held for
        ``held``) in EPSG:4326.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> maps = states(gpd.GeoDataFrame({"date": ["2024-01-01", "2024-02-01"]},
    ...                                geometry=[box(30, 50, 30.1, 50.1), box(30, 50, 30.2, 50.1)], crs=4326))
    >>> round(measure_period(maps, "net", "2024-01-01", "2024-02-01")[0], 1)
    79.7
    """
    if measure not in MEASURES:
        raise UsageError(f"Unknown measure {measure!r}. Allowed: {', '.join(MEASURES)}.")
    series = _as_lonlat(series)
    days = [_day(d, "archive date") for d in series["date"]]
    first, last = _between((start, end), min(days), max(days))
    if measure == "held":
        held = series.geometry.to_numpy()[bisect.bisect_right(sorted(days), last) - 1]  # states are in date order
        return float(area(held)[0]), held
    table = changes(series, between=(first, last), workers=1)
    by_change = dict(zip(table["change"], table["area_km2"], strict=True))
    ground = dict(zip(table["change"], table.geometry, strict=True))
    if measure == "net":
        return float(by_change["gained"] - by_change["lost"]), ground["gained"]
    return float(by_change[measure]), ground[measure]


# ---------------------------------------------------------------- all in one


def observed(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | gpd.GeoDataFrame,
    *,
    every: str | None = None,
    between: tuple[str | dt.date, ...] | None = None,
    territory: shapely.Geometry | gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    within: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    region_column: str | None = None,
    date_column: str = "date",
    layer: str | None = None,
    crs: str | None = None,
    fix: bool = False,
    workers: int | None = None,
) -> Observed:
    """Measure an archive of dated control polygons: per date, or per period with ``every``/``between``.

    Parameters
    ----------
    source
        The archive: a folder, a glob pattern, file(s) (:func:`read_archive`), or polygons
        with a ``date_column`` already in memory.
    every, between
        Measure gains and losses per ``"day"``, ``"week"``, ``"month"`` or ``"year"``, or
        between two dates (``("2022-09-01", "2022-09-30")``); with neither, the area on
        each date.
    territory
        Give each date's share of this territory (geometry, polygons, a file, or a layer of
        the active case by name).
    within
        Split by these regions (polygons, a file or a case layer), labelled by ``region_column``.
    date_column, layer, crs, fix
        How to read the archive (:func:`read_archive`).
    workers
        Processes to read files and compute differences on (default: one per core for
        large archives, see :func:`borderkit.parallel.run_chunks`).

    Returns
    -------
    Observed
        ``table`` (the figures), ``polygons`` (the ground measured, EPSG:4326) and ``notes``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> maps = gpd.GeoDataFrame({"date": ["2022-09-01", "2022-09-30"]},
    ...                         geometry=[box(36, 48, 37, 49), box(36.5, 48, 37.5, 49)], crs=4326)
    >>> observed(maps).table.round(1).to_dict("records")
    [{'date': '2022-09-01', 'area_km2': 8217.6}, {'date': '2022-09-30', 'area_km2': 8217.6}]
    >>> observed(maps, every="month").table.round(1).iloc[0].to_dict()
    {'period_start': '2022-09-01', 'period_end': '2022-09-30', 'gained_km2': 4108.8, 'lost_km2': 4108.8, 'net_km2': 0.0}
    """
    notes: list[str]
    if isinstance(source, gpd.GeoDataFrame):
        series, notes = states(source, date_column=date_column), []
    else:
        series, notes = read_archive(source, date_column=date_column, layer=layer, crs=crs, fix=fix, workers=workers)
    regions, more = _polygons_input(within, "--within")
    notes += more
    if every is None and between is None:
        land, more = _polygons_input(territory, "--territory")
        notes += more
        polygons = areas(series, territory=land, regions=regions, region_column=region_column)
        return Observed(pd.DataFrame(polygons.drop(columns="geometry")), polygons, notes)
    polygons = changes(
        series, every=every, between=between, regions=regions, region_column=region_column, workers=workers
    )
    return Observed(change_table(polygons), polygons, notes)


def _polygons_input(value: Any, what: str) -> tuple[Any, list[str]]:
    """Return a territory or regions given as a file read and checked; other values as they are."""
    if value is None or isinstance(value, gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry):
        return value, []
    from borderkit.io import read_user_geodata
    from borderkit.validate import validate_polygons

    name = os.fspath(value)
    if not os.path.exists(name) and _is_case_layer(name):  # a layer of the active case, by its name
        from borderkit.case import current
        from borderkit.registry import load

        frame = load(name)
        if name == current().territory_layer and "baseline" in frame:  # one row per rendering: the default one
            frame = frame[frame["baseline"] == current().default_baseline]
        return validate_polygons(frame, f"{what} layer {name!r}")
    return validate_polygons(read_user_geodata(name), f"{what} file {name!r}")


def _is_case_layer(name: str) -> bool:
    from borderkit.registry import layers

    return name in layers()


class _CallableModule(types.ModuleType):
    """Make the module callable as :func:`observed`, so that ``borderkit.observed(...)`` always works."""

    def __call__(self, *args: Any, **kwargs: Any) -> Observed:
        return observed(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
