"""Measure areas, perimeters and lengths on the WGS84 ellipsoid, and the other ways people do.

Everything here is pure: geometries in, numbers or DataFrames out, no I/O.

The reference is the geodesic area on WGS84 (``pyproj.Geod``, i.e. GeographicLib).
The other methods exist to *explain* published figures, never as a default:

========================  ============================================================
``geodesic``              ellipsoidal (GeographicLib); the reference
``equal-area``            planar area in a Lambert azimuthal equal-area projection
                          centred on the data
``utm``                   planar area in the UTM zone picked from the data
``web-mercator``          planar area in EPSG:3857, as many web tools report it
                          (overstates by 1/cos²φ: about 1.70 at 40° N)
``spherical``             geodesic area on a sphere of the mean Earth radius
``surface``               3D terrain area from a DEM (needs ``dem=``)
========================  ============================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod

from borderkit.errors import UsageError

__all__ = [
    "METHODS",
    "UNITS",
    "LENGTH_UNITS",
    "MEAN_EARTH_RADIUS_M",
    "area",
    "perimeter",
    "length",
    "shift_band",
    "area_table",
    "local_equal_area_crs",
    "describe_method",
]

#: Mean Earth radius R1 = (2a + b) / 3 of WGS84, in metres (IUGG).
MEAN_EARTH_RADIUS_M = 6_371_008.771_4

#: Area units: name -> square metres per unit.
UNITS: dict[str, float] = {
    "km2": 1e6,
    "ha": 1e4,
    "m2": 1.0,
    "mi2": 1609.344**2,
}
#: Length units: name -> metres per unit.
LENGTH_UNITS: dict[str, float] = {"km": 1e3, "m": 1.0, "mi": 1609.344}

_METHOD_TEXT = {
    "geodesic": "geodesic area on the WGS84 ellipsoid (pyproj.Geod / GeographicLib)",
    "equal-area": "planar area in a Lambert azimuthal equal-area projection centred on the data",
    "utm": "planar area in the UTM zone chosen from the data's centre",
    "web-mercator": "planar area in Web Mercator (EPSG:3857); overstates by 1/cos²(latitude)",
    "spherical": f"geodesic area on a sphere of radius {MEAN_EARTH_RADIUS_M:,.1f} m",
    "surface": "3D terrain surface area from a DEM",
}
METHODS: tuple[str, ...] = tuple(_METHOD_TEXT)

_WGS84 = Geod(ellps="WGS84")
_SPHERE = Geod(a=MEAN_EARTH_RADIUS_M, b=MEAN_EARTH_RADIUS_M)


def describe_method(method: str) -> str:
    """Return the one-line description of a measurement method, for output footers."""
    return _METHOD_TEXT[_check_choice(method, METHODS, "method")]


def _check_choice(value: str, allowed: Iterable[str], what: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise UsageError(f"Unknown {what} {value!r}. Allowed: {', '.join(allowed)}. Pick one of these.")
    return value


def _as_geometry_array(geoms: Any) -> np.ndarray:
    """Return a 1-D object array of shapely geometries in lon/lat (EPSG:4326).

    GeoSeries/GeoDataFrames with a CRS are reprojected to EPSG:4326; bare geometries
    are taken to be lon/lat already.
    """
    crs = getattr(geoms, "crs", None)
    if crs is not None and not CRS.from_user_input(crs).equals(CRS.from_epsg(4326)):
        geoms = geoms.to_crs(4326)
    if hasattr(geoms, "geometry"):
        geoms = geoms.geometry
    if isinstance(geoms, shapely.Geometry) or geoms is None:
        geoms = [geoms]
    return np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object)


def _polygonal(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split into single Polygons, returning (polygons, index of the input each came from).

    Multi-part geometries and GeometryCollections are exploded; their non-areal parts
    (points, lines) carry no area and are dropped.
    """
    parts, index = shapely.get_parts(geoms, return_index=True)
    # GeometryCollections may nest MultiPolygons: explode until only single parts remain.
    while True:
        multi = shapely.get_type_id(parts) >= 4
        if not multi.any():
            break
        sub, sub_idx = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        index = np.concatenate([index[~multi], index[multi][sub_idx]])
    keep = shapely.get_type_id(parts) == 3
    return parts[keep], index[keep]


def _ring_area_perimeter(rings: np.ndarray, geod: Geod) -> tuple[np.ndarray, np.ndarray]:
    """Return unsigned geodesic area (m²) and perimeter (m) of each ring.

    One GeographicLib call per ring; the vertices go to C as whole arrays. Taking the
    absolute value makes the result independent of ring orientation, which is exactly
    what orienting the rings first achieves.
    """
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    bounds = np.searchsorted(ring_idx, np.arange(len(rings) + 1))
    areas = np.zeros(len(rings))
    perims = np.zeros(len(rings))
    lons, lats = coords[:, 0], coords[:, 1]
    for i in range(len(rings)):
        a, b = bounds[i], bounds[i + 1]
        if b - a < 4:  # fewer than 3 distinct vertices plus closure: no area
            continue
        # shapely rings repeat the first vertex; Geod closes the ring itself.
        area_m2, perim_m = geod.polygon_area_perimeter(lons[a : b - 1], lats[a : b - 1])
        areas[i] = abs(area_m2)
        perims[i] = perim_m
    return areas, perims


def _geod_area_perimeter(geoms: np.ndarray, geod: Geod) -> tuple[np.ndarray, np.ndarray]:
    polys, owner = _polygonal(geoms)
    # get_rings lists each polygon's shell first, then its holes
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    is_shell = np.r_[True, ring_poly[1:] != ring_poly[:-1]] if len(rings) else np.zeros(0, bool)
    ring_a, ring_p = _ring_area_perimeter(rings, geod)
    signed = np.where(is_shell, ring_a, -ring_a)
    poly_a = np.bincount(ring_poly, signed, minlength=len(polys))
    poly_p = np.bincount(ring_poly, ring_p, minlength=len(polys))
    n = len(geoms)
    return np.bincount(owner, poly_a, minlength=n), np.bincount(owner, poly_p, minlength=n)


def _centre(geoms: np.ndarray) -> tuple[float, float]:
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    return (xmin + xmax) / 2, (ymin + ymax) / 2


def local_equal_area_crs(geoms: Any) -> CRS:
    """Return a Lambert azimuthal equal-area CRS centred on the geometries' bounding box."""
    lon, lat = _centre(_as_geometry_array(geoms))
    return CRS.from_proj4(f"+proj=laea +lat_0={lat:.6f} +lon_0={lon:.6f} +datum=WGS84 +units=m")


def _utm_crs(geoms: np.ndarray) -> CRS:
    lon, lat = _centre(geoms)
    zone = int((lon + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _planar_area(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    import geopandas as gpd

    projected = gpd.GeoSeries(geoms, crs=4326).to_crs(crs)
    return projected.area.to_numpy()


def area(geoms: Any, *, method: str = "geodesic", unit: str = "km2", dem: Any = None) -> np.ndarray:
    """Compute the area of each (multi)polygon, in ``unit``, by ``method``.

    Parameters
    ----------
    geoms
        A GeoSeries/GeoDataFrame (reprojected to EPSG:4326 if it has another CRS), a
        sequence of shapely geometries in lon/lat, or one geometry. Points, lines and
        empty or missing geometries have area 0.
    method
        One of :data:`METHODS`; ``geodesic`` is the reference.
    unit
        One of :data:`UNITS` (``km2``, ``ha``, ``m2``, ``mi2``).
    dem
        A DEM for ``method="surface"`` (path or open rasterio dataset).

    Returns
    -------
    numpy.ndarray
        One float per input geometry.

    Examples
    --------
    >>> from shapely import box
    >>> round(float(area(box(45, 40, 45.01, 40.01))[0]), 4)
    0.9446
    >>> area([None]).tolist()
    [0.0]
    """
    _check_choice(method, METHODS, "method")
    _check_choice(unit, UNITS, "unit")
    arr = _as_geometry_array(geoms)
    if len(arr) == 0 or shapely.is_empty(arr[~shapely.is_missing(arr)]).all():
        return np.zeros(len(arr))  # nothing to project (and no centre to project around)
    if method == "geodesic":
        m2 = _geod_area_perimeter(arr, _WGS84)[0]
    elif method == "spherical":
        m2 = _geod_area_perimeter(arr, _SPHERE)[0]
    elif method == "equal-area":
        m2 = _planar_area(arr, local_equal_area_crs(arr))
    elif method == "utm":
        m2 = _planar_area(arr, _utm_crs(arr))
    elif method == "web-mercator":
        m2 = _planar_area(arr, CRS.from_epsg(3857))
    else:  # surface
        m2 = _surface_area(arr, dem)
    return np.nan_to_num(m2) / UNITS[unit]


def _surface_area(geoms: np.ndarray, dem: Any) -> np.ndarray:
    if dem is None:
        raise UsageError(
            "method 'surface' needs a DEM, and none was given. "
            "Pass dem= (a GeoTIFF path) or --dem FILE on the command line."
        )
    from borderkit import terrain

    return terrain.surface_area(geoms, dem)


def perimeter(geoms: Any, *, unit: str = "km") -> np.ndarray:
    """Compute the geodesic perimeter of each (multi)polygon on WGS84.

    Holes count: the perimeter is the length of every ring, as with shapely's
    ``length``. (pyproj's ``geometry_area_perimeter`` returns the shell's only.)
    """
    _check_choice(unit, LENGTH_UNITS, "length unit")
    arr = _as_geometry_array(geoms)
    if len(arr) == 0:
        return np.zeros(0)
    return _geod_area_perimeter(arr, _WGS84)[1] / LENGTH_UNITS[unit]


def length(geoms: Any, *, unit: str = "km") -> np.ndarray:
    """Compute the geodesic length of each line on WGS84 (polygons: their rings).

    All segments go to GeographicLib in one vectorised call.
    """
    _check_choice(unit, LENGTH_UNITS, "length unit")
    arr = _as_geometry_array(geoms)
    if len(arr) == 0:
        return np.zeros(0)
    parts, owner = shapely.get_parts(arr, return_index=True)
    polys = shapely.get_type_id(parts) == 3
    if polys.any():  # measure polygon outlines as their rings
        rings, ring_part = shapely.get_rings(parts[polys], return_index=True)
        parts = np.concatenate([parts[~polys], rings])
        owner = np.concatenate([owner[~polys], owner[polys][ring_part]])
    coords, part_idx = shapely.get_coordinates(parts, return_index=True)
    same = part_idx[1:] == part_idx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    _, _, dist = _WGS84.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    per_part = np.bincount(part_idx[:-1][same], dist, minlength=len(parts))
    return np.bincount(owner, per_part, minlength=len(arr)) / LENGTH_UNITS[unit]


def shift_band(
    geoms: Any, shift_m: float, *, method: str = "geodesic", unit: str = "km2"
) -> tuple[np.ndarray, np.ndarray]:
    """Return the (low, high) area after moving every outline ``shift_m`` metres in and out.

    The buffer is taken in a local equal-area projection, where 100 m is 100 m to
    within a fraction of a per cent across the region; the buffered outlines are then
    measured with ``method``. A polygon thinner than ``2 * shift_m`` shrinks to 0.
    """
    if not np.isfinite(shift_m) or shift_m < 0:
        raise UsageError(
            f"shift must be a distance in metres >= 0, got {shift_m!r}. "
            "Use e.g. 110 for the Pulkovo 1942 -> WGS84 datum offset."
        )
    import geopandas as gpd

    arr = _as_geometry_array(geoms)
    local = local_equal_area_crs(arr)
    projected = gpd.GeoSeries(arr, crs=4326).to_crs(local)
    # mitre joins keep corners where they are, so the band is the outline moved, not rounded
    inner = projected.buffer(-shift_m, join_style="mitre").to_crs(4326)
    outer = projected.buffer(shift_m, join_style="mitre").to_crs(4326)
    return area(inner, method=method, unit=unit), area(outer, method=method, unit=unit)


def area_table(
    gdf: Any,
    *,
    method: str = "geodesic",
    unit: str = "km2",
    by: str | None = None,
    shift_m: float | None = None,
    dem: Any = None,
) -> pd.DataFrame:
    """Return a table of areas: ``id``, ``name``, ``area_<unit>``, ``method`` (+ band).

    Parameters
    ----------
    gdf
        GeoDataFrame of polygons. ``id`` and ``name`` are taken from columns of that
        name when present, else from the row index.
    method, unit
        As in :func:`area`.
    by
        Column to sum the areas by; the table then has one row per value of it.
    shift_m
        With a boundary shift in metres, add ``area_<unit>_low`` and ``area_<unit>_high``.
    dem
        DEM for ``method="surface"``.
    """
    key = f"area_{unit}"
    values = area(gdf, method=method, unit=unit, dem=dem)
    ids = gdf["id"] if "id" in gdf else pd.Series(gdf.index.astype(str), index=gdf.index)
    names = gdf.get("name", ids)
    table = pd.DataFrame({"id": ids.to_numpy(), "name": names.to_numpy(), key: values})
    if shift_m is not None:
        low, high = shift_band(gdf, shift_m, method=method, unit=unit)
        table[f"{key}_low"], table[f"{key}_high"] = low, high
    if by is not None:
        if by not in gdf:
            raise UsageError(f"--by column {by!r} is not in the data. Columns: {', '.join(map(str, gdf.columns))}.")
        table[by] = gdf[by].to_numpy()
        numeric = [c for c in table.columns if c.startswith(key)]
        table = table.groupby(by, sort=True, dropna=False)[numeric].sum().reset_index()
        table.insert(0, "id", table[by].astype(str))
        table.insert(1, "name", table[by].astype(str))
        table = table.drop(columns=[by])
    table["method"] = method
    if shift_m is not None:
        table["shift_m"] = float(shift_m)
    return table
