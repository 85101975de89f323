"""Check user geodata before it is measured or drawn, and say exactly what is wrong.

Each check takes a GeoDataFrame and returns a (possibly reprojected or repaired)
GeoDataFrame plus notes for the user, or raises a :class:`~borderkit.errors.InputError`
whose message says what was received, what is allowed and what to do.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter

import geopandas as gpd
import numpy as np
import shapely

from borderkit.errors import CRSError, EmptyInputError, GeometryError, UsageError
from borderkit.measure import PARALLEL_NOTE_DEG, area, globe_report

__all__ = [
    "study_area",
    "check_not_empty",
    "check_finite",
    "check_crs",
    "check_axis_order",
    "check_areal",
    "check_globe",
    "check_valid",
    "feature_label",
    "validate_polygons",
    "MEMORY_ENV",
    "parse_size",
    "memory_limit",
    "check_memory",
]


def study_area() -> tuple[float, float, float, float]:
    """Return the active case's study-area box (west, south, east, north), from its manifest."""
    from borderkit.case import current

    return current().study_area


def feature_label(gdf: gpd.GeoDataFrame, i: int | np.integer) -> str:
    """Name the i-th feature for a message: its id and/or name, and its position."""
    row = gdf.iloc[i]
    parts = [f"#{i + 1}"]
    for col in ("id", "name"):
        if col in gdf.columns and row[col] is not None and str(row[col]) not in ("", "nan"):
            parts.append(f"{col}={row[col]!r}")
    return " ".join(parts)


def check_not_empty(gdf: gpd.GeoDataFrame, what: str) -> None:
    """Raise :class:`EmptyInputError` when there is no feature with a geometry."""
    if len(gdf) == 0 or gdf.geometry.isna().all() or gdf.geometry.is_empty.all():
        raise EmptyInputError(
            f"{what} holds no features with geometry ({len(gdf)} rows). Check that you passed the right file or layer."
        )


def check_finite(gdf: gpd.GeoDataFrame, what: str) -> None:
    """Raise :class:`GeometryError` naming every feature with a coordinate that is NaN or infinite.

    Checked before anything is measured: a NaN vertex would otherwise surface later as a
    wrong diagnosis ("goes round a pole", "ring is not closed") or spoil its neighbours.
    """
    geoms = gdf.geometry.to_numpy()
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    if not bad.any():
        return
    rows = np.unique(index[bad])
    first = np.flatnonzero(bad)[0]
    vertex = int(first - np.searchsorted(index, index[first]))  # position within its feature
    x, y = (float(v) for v in coords[first])
    listed = ", ".join(feature_label(gdf, int(i)) for i in rows[:5]) + (
        f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    )
    raise GeometryError(
        f"{what} has coordinates that are not finite numbers (NaN or infinity) in {len(rows)} feature"
        f"{'' if len(rows) == 1 else 's'}: {listed} (the first at vertex {vertex + 1} of "
        f"{feature_label(gdf, int(index[first]))}: x={x!r}, y={y!r}). Every coordinate must be a finite number. "
        "Fix or remove those features in your GIS."
    )


def check_crs(
    gdf: gpd.GeoDataFrame, what: str, *, crs: str | None = None, plausible: bool = True
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Return the data in EPSG:4326, reprojecting or assuming lon/lat only when safe.

    ``crs`` (from ``--crs``) overrides what the file says. Features with NaN or infinite
    coordinates are refused first (:func:`check_finite`). ``plausible=False`` (the CLI's
    ``--no-axis-check``) skips the refusal of a ``--crs`` under which the data would be
    less than :data:`IMPLAUSIBLE_CONFIRMED_EXTENT_M` across.
    """
    check_finite(gdf, what)
    notes = []
    if crs is not None:
        try:
            gdf = gdf.set_crs(crs, allow_override=True)
        except Exception as exc:  # pyproj's CRSError text is technical; keep it but guide
            raise UsageError(
                f"--crs {crs!r} is not a CRS pyproj understands ({exc}). "
                "Use an EPSG code such as EPSG:4326 or EPSG:32638."
            ) from None
    if gdf.crs is None:
        xmin, ymin, xmax, ymax = gdf.total_bounds
        if xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90:
            notes.append(f"{what} has no CRS; its coordinates all fit lon/lat, so EPSG:4326 was assumed.")
            return gdf.set_crs(4326), notes
        if xmin >= -90 and xmax <= 90 and ymin >= -180 and ymax <= 180:
            _raise_swapped(what, (xmin, ymin, xmax, ymax), "a latitude is beyond ±90°", certain=True)
        raise CRSError(
            f"{what} has no CRS and its coordinates (x {xmin:.6g} to {xmax:.6g}, y {ymin:.6g} to "
            f"{ymax:.6g}) are not lon/lat degrees, so borderkit cannot tell where it is. "
            "Give its CRS with --crs (e.g. --crs EPSG:32638 for UTM zone 38N)."
        )
    _check_coordinates_fit_crs(gdf, what, confirmed=crs is not None, plausible=plausible)
    if not gdf.crs.equals("EPSG:4326"):
        notes.append(f"{what} is in {gdf.crs.to_string()}; reprojected to EPSG:4326 (lon/lat).")
        gdf = _to_lonlat(gdf, what, confirmed=crs is not None)
    return gdf, notes


def _to_lonlat(gdf: gpd.GeoDataFrame, what: str, *, confirmed: bool) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326, saying what went wrong when PROJ cannot (never a raw ProjError)."""
    from pyproj.exceptions import ProjError

    source = "--crs" if confirmed else "its CRS"
    try:
        out = gdf.to_crs(4326)
    except ProjError as exc:
        error = UsageError if confirmed else CRSError
        raise error(
            f"{what}: {source} {gdf.crs.to_string()} cannot be converted to WGS84 lon/lat "
            f"(PROJ: {str(exc).splitlines()[0]}). Give a CRS PROJ can transform, e.g. EPSG:4326 or EPSG:32638."
        ) from None
    xmin, ymin, xmax, ymax = (float(v) for v in out.total_bounds)
    if not all(np.isfinite([xmin, ymin, xmax, ymax])):
        error = UsageError if confirmed else CRSError
        raise error(
            f"{what}: under {source} {gdf.crs.to_string()} some coordinates fall outside the area where that "
            "projection is defined (they come out as no number in lon/lat). Check that the CRS is the data's own, "
            "e.g. with gdalsrsinfo, and give the right one with --crs."
        )
    return out


#: A projected extent smaller than this (metres) with every coordinate within ±180/±90 is
#: taken for lon/lat degrees under a wrong CRS (a feature that size at the projection's
#: false origin is implausible).
IMPLAUSIBLE_EXTENT_M = 1000.0
#: The same, for a CRS given with ``--crs``: the user says the data is in it, so only data
#: smaller than this (metres) is refused, unless ``--no-axis-check``. Degrees read as metres
#: come out a few centimetres to a metre across (a 0.1° box is 10 cm), and 0.000 km².
IMPLAUSIBLE_CONFIRMED_EXTENT_M = 1.0
#: A CRS whose ellipsoid's semi-major axis (metres) lies outside this range is not of the Earth
#: (a unit sphere, the Moon's 1,737.4 km); borderkit measures on WGS84 only.
EARTH_SEMI_MAJOR_RANGE_M = (6_300_000.0, 6_400_000.0)


def _check_earth(crs, what: str, *, confirmed: bool) -> None:
    """Refuse a CRS on another body (or a toy sphere): it cannot be placed on WGS84."""
    ellipsoid = crs.ellipsoid
    if ellipsoid is None:
        return
    a = float(ellipsoid.semi_major_metre)
    lo, hi = EARTH_SEMI_MAJOR_RANGE_M
    if lo <= a <= hi:
        return
    error = UsageError if confirmed else CRSError
    body = f", {ellipsoid.name}" if ellipsoid.name and ellipsoid.name.lower() != "unknown" else ""
    raise error(
        f"{what}: {'--crs' if confirmed else 'its CRS'} {crs.to_string()} is defined on an ellipsoid or "
        f"sphere of radius {a:,.0f} m{body}, not the Earth's (about 6,378,137 m), so its "
        "coordinates cannot be placed on WGS84 and measured. borderkit measures on the Earth only: give the "
        "data's Earth CRS with --crs, e.g. EPSG:4326 (lon/lat) or EPSG:32638 (UTM 38N)."
    )


def _check_coordinates_fit_crs(gdf: gpd.GeoDataFrame, what: str, *, confirmed: bool, plausible: bool = True) -> None:
    """Raise when the coordinates cannot be in the CRS the data declares.

    GDAL gives every GeoJSON file EPSG:4326 (RFC 7946), so a GeoJSON of UTM metres with no
    ``crs`` member arrives as "lon/lat" with x in the hundreds of thousands; and a file
    declaring a projected CRS over degrees would land within metres of that projection's
    origin and measure as 0 km². Both would print a wrong number; both are refused here.
    A CRS given with ``--crs`` (``confirmed``) is trusted for the second case down to
    :data:`IMPLAUSIBLE_CONFIRMED_EXTENT_M` (data smaller than that is degrees under the
    wrong ``--crs``, whatever the user says), and wholly with ``plausible=False``.
    """
    xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
    if not all(np.isfinite([xmin, ymin, xmax, ymax])):
        raise CRSError(
            f"{what} has coordinates that are not finite numbers (NaN or infinity). "
            "Fix or remove those features in your GIS."
        )
    crs = gdf.crs
    fits_degrees = xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90
    name = crs.to_string()
    if not (crs.is_geographic or crs.is_projected):
        error = UsageError if confirmed else CRSError
        raise error(
            f"{what}: {'--crs' if confirmed else 'its CRS'} {name} is not a map CRS (it is "
            f"a {crs.type_name}), so its x/y cannot be placed on the map. Give a geographic or projected "
            "CRS with --crs, e.g. EPSG:4326 (lon/lat) or EPSG:32638 (UTM 38N)."
        )
    if crs.is_geographic and not fits_degrees:
        if xmin >= -90 and xmax <= 90 and ymin >= -180 and ymax <= 180:
            _raise_swapped(what, (xmin, ymin, xmax, ymax), "a latitude is beyond ±90°", certain=True)
        source = "--crs" if confirmed else "its CRS"
        if 180 < xmax <= 360 and xmin >= -180 and ymin >= -90 and ymax <= 90:
            raise CRSError(
                f"{what}: longitudes run {xmin:.6g} to {xmax:.6g}, beyond 180°: they look like 0-360° longitudes. "
                "borderkit reads longitudes within ±180°; subtract 360 from those above 180 (or convert with "
                "ogr2ogr -wrapdateline) and run it again."
            )
        raise CRSError(
            f"{what}: {source} is {name} (longitude/latitude in degrees), but its coordinates run x "
            f"{xmin:.6g} to {xmax:.6g} and y {ymin:.6g} to {ymax:.6g}, beyond ±180/±90, so they are not "
            "degrees (they look like metres of a projected CRS). A GeoJSON file without a 'crs' member is "
            "read as EPSG:4326. Give the real CRS with --crs (e.g. --crs EPSG:32638 for UTM zone 38N)."
        )
    _check_earth(crs, what, confirmed=confirmed)
    if not (crs.is_projected and fits_degrees):
        return
    to_m = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    extent_m = max(xmax - xmin, ymax - ymin) * to_m  # how large the data would be under this CRS
    if confirmed and plausible and extent_m < IMPLAUSIBLE_CONFIRMED_EXTENT_M:
        raise UsageError(
            f"{what}: --crs {name} is a projected CRS in metres, but every coordinate lies within ±180/±90 "
            f"(x {xmin:.6g} to {xmax:.6g}, y {ymin:.6g} to {ymax:.6g}), so under it the data would be "
            f"{_length(extent_m)} across, at the projection's origin, and measure about 0 km². These look like "
            "lon/lat degrees: re-run with --crs EPSG:4326 (or without --crs). If the data really is that small "
            f"and in {name}, re-run with --no-axis-check."
        )
    if not confirmed and extent_m < IMPLAUSIBLE_EXTENT_M:
        raise CRSError(
            f"{what} declares {name} (projected), but every coordinate lies within ±180/±90 (x "
            f"{xmin:.6g} to {xmax:.6g}, y {ymin:.6g} to {ymax:.6g}), so the data would be {extent_m:.3g} m "
            f"across, at the projection's origin: these look like lon/lat degrees under a wrong CRS. "
            f"If they are lon/lat, re-run with --crs EPSG:4326; if the data really is in {name}, "
            f"re-run with --crs {name} to confirm."
        )


def _length(metres: float) -> str:
    """Format a length for a message: 10.0 cm, 42.0 mm, 0.5 m."""
    if metres >= 1:
        return f"{metres:.3g} m"
    if metres >= 0.01:
        return f"{metres * 100:.3g} cm"
    return f"{metres * 1000:.3g} mm"


def check_axis_order(
    gdf: gpd.GeoDataFrame, what: str, *, swap: bool = False, check: bool = True
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Detect latitude/longitude given in the wrong order; swap it back when ``swap``.

    Certain when a "latitude" is beyond ±90°; likely when the data lies outside the
    study area and its mirror image lies inside it.
    """
    if swap:
        swapped = gdf.copy()
        swapped.geometry = shapely.transform(gdf.geometry.to_numpy(), lambda c: c[:, ::-1])
        return swapped, [f"{what}: x and y swapped as asked (--swap-xy)."]
    if not check:
        return gdf, []
    xmin, ymin, xmax, ymax = gdf.total_bounds
    box = study_area()
    w, s, e, n = box
    certain = (abs(ymin) > 90 or abs(ymax) > 90) and abs(xmin) <= 90 and abs(xmax) <= 90
    mirrored = (w <= ymin and ymax <= e and s <= xmin and xmax <= n) and not (
        xmax >= w and xmin <= e and ymax >= s and ymin <= n
    )
    if certain:
        _raise_swapped(what, (xmin, ymin, xmax, ymax), "a latitude is beyond ±90°", certain=True)
    if mirrored:
        why = f"it lies outside the study area {box} (lon/lat) but would lie inside it swapped"
        _raise_swapped(what, (xmin, ymin, xmax, ymax), why, certain=False)
    return gdf, []


def _raise_swapped(what: str, bounds: tuple, why: str, *, certain: bool) -> None:
    xmin, ymin, xmax, ymax = bounds
    raise CRSError(
        f"{what} looks like it has latitude and longitude swapped: x runs {xmin:.4f} to {xmax:.4f} "
        f"and y {ymin:.4f} to {ymax:.4f}, and {why}. GeoJSON and EPSG:4326 here mean "
        "(longitude, latitude). Re-run with --swap-xy to swap them"
        + ("." if certain else ", or with --no-axis-check if the data really lies there.")
    )


def check_areal(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """Keep polygonal features; raise when there are none, naming the types found."""
    types = gdf.geom_type.fillna("missing")
    areal = types.isin(["Polygon", "MultiPolygon"]) | (
        (types == "GeometryCollection")
        & np.array([any(p.geom_type.endswith("Polygon") for p in getattr(g, "geoms", [])) for g in gdf.geometry])
    )
    if not areal.any():
        found = ", ".join(f"{n} {t}" for t, n in sorted(Counter(types).items()))
        raise GeometryError(
            f"{what} has no areal geometries to measure: found {found}. Area needs Polygon or "
            "MultiPolygon features; for lines use a length, or buffer points/lines first."
        )
    return gdf[areal]


def check_globe(gdf: gpd.GeoDataFrame, what: str) -> list[str]:
    """Refuse rings that circle a pole; note features across ±180° and overlapping collections.

    A ring that goes round a pole without passing through it is a fine cap on the sphere
    but a degenerate polygon in lon/lat (``--fix`` would turn it into a line of area 0),
    so it is refused with the way to write it. The notes say how the other two cases are
    measured, so that a figure never silently depends on them.
    """
    report = globe_report(gdf.geometry)
    winding = np.flatnonzero(report["pole_winding"].to_numpy())
    if len(winding):
        listed = ", ".join(feature_label(gdf, i) for i in winding[:5])
        raise GeometryError(
            f"{what}: {listed} goes round a pole without passing through it, which is not a valid polygon "
            "in longitude/latitude. Write a polar cap with the pole as an edge, e.g. "
            "[[-180, 80], [180, 80], [180, 90], [-180, 90], [-180, 80]] for everything north of 80°N."
        )
    notes = [
        f"{what}: {feature_label(gdf, i)} crosses the antimeridian (an edge spans more than 180° of "
        "longitude); it is measured the short way across ±180°, not round the world."
        for i in np.flatnonzero(report["crosses_antimeridian"].to_numpy())
    ]
    counts = report["parallel_edges"].to_numpy()
    notes += [
        f"{what}: {feature_label(gdf, i)} has {counts[i]} edge(s) along a parallel spanning {PARALLEL_NOTE_DEG:g}° "
        "of longitude or more; each is measured as the geodesic between its two vertices (as GeographicLib, "
        "PostGIS geography and QGIS do), which runs poleward of the parallel. If the parallel itself is meant, "
        "add vertices along it (e.g. ogr2ogr -segmentize 0.1, or shapely.segmentize(geom, 0.1) in degrees)."
        for i in np.flatnonzero(counts)
    ]
    return notes + _collection_notes(gdf, what)


def _collection_notes(gdf: gpd.GeoDataFrame, what: str) -> list[str]:
    """Note each GeometryCollection whose polygons overlap: the overlap is counted once."""
    notes = []
    geoms = gdf.geometry.to_numpy()
    for i in np.flatnonzero(shapely.get_type_id(geoms) == 7):
        parts = shapely.get_parts(geoms[i])
        summed, once = float(area(parts).sum()), float(area(geoms[i])[0])
        if summed > once * (1 + 1e-9):
            notes.append(
                f"{what}: {feature_label(gdf, i)} is a GeometryCollection whose polygons overlap; the overlap "
                f"is counted once ({once:.6f} km², not the {summed:.6f} km² of its parts added up)."
            )
    return notes


def check_valid(gdf: gpd.GeoDataFrame, what: str, *, fix: bool = False) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Raise on invalid geometries naming each one; with ``fix``, repair and report the area change."""
    valid = gdf.is_valid.to_numpy()
    if valid.all():
        return gdf, []
    bad = np.flatnonzero(~valid)
    reasons = shapely.is_valid_reason(gdf.geometry.to_numpy()[bad])
    listed = "; ".join(f"{feature_label(gdf, i)}: {r}" for i, r in zip(bad[:5], reasons, strict=False))
    more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
    if not fix:
        raise GeometryError(
            f"{what} has {len(bad)} invalid geometr{'y' if len(bad) == 1 else 'ies'}: {listed}{more}. "
            "Fix them in your GIS, or re-run with --fix to repair them with shapely.make_valid "
            "(the change in area is reported)."
        )
    before = area(gdf.iloc[bad])
    fixed = gdf.copy()
    geoms = fixed.geometry.to_numpy().copy()
    geoms[bad] = shapely.make_valid(geoms[bad])
    fixed.geometry = geoms
    after = area(fixed.iloc[bad])
    notes = [
        f"{what}: repaired {feature_label(gdf, i)} with make_valid: {b:.6f} -> {a:.6f} km² "
        f"(change {a - b:+.6f} km², geodesic)"
        for i, b, a in zip(bad, before, after, strict=True)
    ]
    return fixed, notes


def validate_polygons(
    gdf: gpd.GeoDataFrame,
    what: str,
    *,
    crs: str | None = None,
    fix: bool = False,
    swap_xy: bool = False,
    axis_check: bool = True,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Run every check for measuring areas, in order; return the data and the notes."""
    check_not_empty(gdf, what)
    notes: list[str] = []
    if swap_xy:  # swap first: a swapped file may not even pass as lon/lat otherwise
        gdf, notes = check_axis_order(gdf, what, swap=True)
    gdf, more = check_crs(gdf, what, crs=crs, plausible=axis_check)
    notes += more
    if not swap_xy:
        gdf, more = check_axis_order(gdf, what, check=axis_check)
        notes += more
    gdf = check_areal(gdf, what)
    notes += check_globe(gdf, what)
    gdf, more = check_valid(gdf, what, fix=fix)
    return gdf, notes + more


# ---------------------------------------------------------------- resource limits
#: Environment variable holding the memory limit for one job (bytes, or with a K/M/G/T suffix).
MEMORY_ENV = "BORDERKIT_MAX_MEMORY"
#: Without a limit given, a job may use this share of the machine's physical memory: enough
#: for any real DEM window or Monte Carlo run, and it leaves the rest of the machine usable.
DEFAULT_MEMORY_SHARE = 0.5
#: Used when the physical memory cannot be read (no os.sysconf).
FALLBACK_MEMORY = 4 * 1024**3

_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?\s*([kmgt]?)(?:i?b)?\s*$", re.I)


def parse_size(text: str, what: str = MEMORY_ENV) -> int:
    """Parse a memory size: a number of bytes, or with a binary K/M/G/T suffix (``"8G"``, ``"512MiB"``).

    Raises :class:`UsageError` naming ``what`` for anything else, NaN, infinity, or
    a size below 1 MiB.
    """
    match = _SIZE.match(str(text))
    value = math.nan
    if match:
        number = float(f"{match[1]}e{match[2] or 0}")  # overflows to inf, refused below
        value = number * 1024 ** "_kmgt".index(match[3].lower() or "_")
    if not math.isfinite(value) or value < 1024**2:
        raise UsageError(
            f"{what} {text!r} is not a memory size. Give bytes or a number with K, M, G or T "
            "(binary units), at least 1M: e.g. 8G or 512M."
        )
    return int(value)


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def memory_limit(max_bytes: int | None = None) -> tuple[int, str]:
    """Return the memory limit for one job, in bytes, and where it comes from (for messages).

    In order: ``max_bytes`` (``--max-memory``), the ``BORDERKIT_MAX_MEMORY`` environment
    variable, else half of the physical memory.
    """
    if max_bytes is not None:
        return int(max_bytes), f"--max-memory {_human(max_bytes)}"
    env = os.environ.get(MEMORY_ENV)
    if env:
        return parse_size(env), f"{MEMORY_ENV}={env}"
    physical = _physical_memory()
    if physical is None:
        return FALLBACK_MEMORY, f"the default {_human(FALLBACK_MEMORY)}"
    return int(physical * DEFAULT_MEMORY_SHARE), f"half of this machine's {_human(physical)} of RAM"


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def check_memory(need_bytes: float, job: str, *, change: str, max_bytes: int | None = None) -> None:
    """Refuse a job, before it starts, whose estimated memory exceeds the limit.

    ``job`` says what would be computed, ``change`` which option makes it smaller; the
    message also names the limit and how to raise it.
    """
    limit, source = memory_limit(max_bytes)
    if need_bytes > limit:
        raise UsageError(
            f"{job} would need about {_human(need_bytes)} of memory, more than the limit of "
            f"{_human(limit)} ({source}). {change}, or raise the limit with the environment variable "
            f"{MEMORY_ENV}=SIZE (e.g. 16G) or, in the terrain, area and reconcile commands, --max-memory SIZE."
        )
