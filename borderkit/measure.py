"""Measure areas, perimeters and lengths on the WGS84 ellipsoid, and the other ways people do.

Everything here is pure: geometries in, numbers or DataFrames out, no I/O.

The reference is the geodesic area on WGS84 (``pyproj.Geod``, i.e. GeographicLib).
The other methods exist to *explain* published figures, never as a default:

========================  ============================================================
``geodesic``              ellipsoidal (GeographicLib); the reference
``equal-area``            planar area in a Lambert azimuthal equal-area projection
                          centred on each feature
``utm``                   planar area in the UTM zone picked from the data
``web-mercator``          planar area in EPSG:3857, as many web tools report it
                          (overstates by 1/cos²φ: about 1.70 at 40° N)
``spherical``             geodesic area on a sphere of the mean Earth radius
``surface``               3D terrain area from a DEM (needs ``dem=``)
========================  ============================================================
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod

from borderkit.errors import GeometryError, UsageError

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
    "globe_report",
    "PARALLEL_STEP_DEG",
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
    "equal-area": "planar area in a Lambert azimuthal equal-area projection centred on each feature",
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


#: Edges that go all the way round a parallel (from -180° to +180°, the only way a lon/lat
#: polygon can run along a parallel right round a pole) are densified every this many degrees
#: so that they follow it; every other edge is a geodesic (see :class:`_Rings`). At 0.1° the
#: chords lie within 5e-7 of the parallel's area.
PARALLEL_STEP_DEG = 0.1

#: A planar equal-area measurement (and the ``--shift`` buffer) is refused for a feature that
#: reaches more than this far (degrees of arc) from the centre of its own projection: beyond a
#: hemisphere the straight chords between projected vertices no longer follow the outline (a
#: whole-globe polygon would lose hundreds of km² to them) and a buffer's metres are not metres.
MAX_PLANAR_REACH_DEG = 90.0
#: ``--method utm`` is refused for data reaching further than this (degrees of longitude) from
#: its zone's central meridian: 3° is the zone's own half-width, and a GIS would use a zone up to
#: about one zone width beyond it; further out UTM's scale error grows past 2% of the area.
UTM_MAX_REACH_DEG = 9.0

#: Web Mercator's latitude limit (EPSG:3857 is undefined beyond it).
WEB_MERCATOR_MAX_LAT = 85.051_128_78
#: UTM's latitude range (the polar regions use UPS instead).
UTM_LAT_RANGE = (-80.0, 84.0)


def _explode(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split multi-part geometries and (nested) collections into single parts, with owner index."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    while True:  # GeometryCollections may nest MultiPolygons: explode until single parts remain
        multi = shapely.get_type_id(parts) >= 4
        if not multi.any():
            return parts, index
        sub, sub_idx = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        index = np.concatenate([index[~multi], index[multi][sub_idx]])


def _crosses_antimeridian(geom: shapely.Geometry) -> bool:
    """Whether any edge of ``geom`` spans more than 180° of longitude (so it crosses ±180°)."""
    coords, part = shapely.get_coordinates(shapely.get_rings(_explode(np.array([geom]))[0]), return_index=True)
    same = part[1:] == part[:-1]
    return bool((np.abs(np.diff(coords[:, 0]))[same] > 180).any())


def _collection_polygons(gc: shapely.Geometry) -> shapely.Geometry:
    """Return a GeometryCollection's polygonal parts as one geometry, overlaps counted once.

    A collection is not a valid MultiPolygon, so its polygons may overlap; summing them
    would count the overlap twice. Overlapping parts are merged (in lon/lat, which is
    why parts across the antimeridian are refused rather than merged the long way round).
    """
    parts, _ = _explode(np.array([gc]))
    polys = parts[(shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)]
    if len(polys) <= 1:
        return shapely.MultiPolygon(list(polys))
    merged = shapely.union_all(polys)
    if shapely.area(merged) >= shapely.area(polys).sum() * (1 - 1e-12):
        return shapely.MultiPolygon(list(polys))  # no overlap: measure the parts as given
    if any(_crosses_antimeridian(p) for p in polys):
        raise GeometryError(
            "A GeometryCollection has overlapping polygons that cross the antimeridian (±180°); "
            "borderkit cannot merge them. Give each polygon as its own feature, or split them at ±180°."
        )
    return merged


def _polygonal(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split into single non-empty Polygons, returning (polygons, index of the input each came from).

    Multi-part geometries are exploded; GeometryCollections contribute the union of
    their polygons (see :func:`_collection_polygons`); points and lines carry no area
    and are dropped.
    """
    geoms = np.array(geoms, dtype=object)  # a copy: collections are replaced below
    collections = np.flatnonzero(shapely.get_type_id(geoms) == 7)
    for i in collections:
        geoms[i] = _collection_polygons(geoms[i])
    parts, index = _explode(geoms)
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    keep[keep] &= shapely.get_num_coordinates(shapely.get_exterior_ring(parts[keep])) >= 4
    return parts[keep], index[keep]


@dataclass
class _Rings:
    """Every ring of the polygonal parts, as the shape borderkit measures.

    Every edge is a geodesic, as in GeographicLib, PostGIS ``geography``, GDAL and QGIS's
    ellipsoidal measurements. That makes the area a continuous function of the vertices:
    moving one vertex a millimetre changes it by about a millimetre times the edges' length.
    (borderkit used to let an edge along a parallel follow the parallel; that rule switched on
    and off with a 1e-9° change of latitude and moved a 20° x 11° polygon's area by 3%.)

    Two kinds of edge have no geodesic, and follow their lon/lat line instead:

    - an edge from -180° to +180° (or back) on any latitude joins a point to itself on the
      globe, and in lon/lat it is the whole parallel: the only way a lon/lat polygon can go
      round a pole (a polar cap ``[[-180,80],[180,80],[180,90],[-180,90],[-180,80]]``, or the
      whole world). It is densified every :data:`PARALLEL_STEP_DEG` so that it follows the
      parallel (or, if its ends differ in latitude, the straight lon/lat line between them);
    - an edge along ±90° is the pole itself: a point, whatever its longitudes.

    Any other edge spanning more than 180° of longitude crosses the antimeridian the short
    way, as GeographicLib takes it. A ring around a pole ends 360° from where it started
    (``winding`` ±1).
    """

    lon: np.ndarray  # per vertex; rings closed (the last vertex repeats the first, modulo 360°)
    lat: np.ndarray
    ring: np.ndarray  # per vertex: its ring
    poly: np.ndarray  # per ring: its polygon (shell first, then holes)
    is_shell: np.ndarray  # per ring
    winding: np.ndarray  # per ring: net turns around a pole (0 for an ordinary ring)
    owner: np.ndarray  # per polygon: the input it came from


def _unwrap(lon: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Make each ring's longitudes continuous: an edge of more than 180° goes across ±180°.

    The one exception is an edge from -180° to +180° (or back): it is the whole parallel,
    the only way a lon/lat polygon can go round a pole. A vertex that is not a finite number
    stays NaN, and spoils only its own ring (the running sum restarts at every ring).
    """
    d = np.diff(lon)
    same = ring[1:] == ring[:-1]
    seam = (np.abs(lon[:-1]) == 180) & (np.abs(lon[1:]) == 180)
    jump = same & (np.abs(d) > 180) & ~seam
    d = np.where(jump, d - 360 * np.sign(d), d)
    d[~same | ~np.isfinite(d)] = 0
    steps = np.r_[0.0, np.cumsum(d)]
    first = np.flatnonzero(np.r_[True, ~same])  # first vertex of each ring
    out: np.ndarray = lon[first][ring] + steps - steps[first][ring]
    bad = ~np.isfinite(lon)
    if bad.any():  # the whole ring is unusable: keep it NaN so that it is named, not measured
        ring_bad = np.zeros(int(ring.max()) + 1, dtype=bool)
        ring_bad[ring[bad]] = True
        out[ring_bad[ring]] = np.nan
    return out


def _densify_seams(
    lon: np.ndarray, lat: np.ndarray, ring: np.ndarray, step: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Insert vertices every ``step`` degrees along the edges that go round a parallel (see :class:`_Rings`).

    After :func:`_unwrap`, only an edge from -180° to +180° spans 360° of longitude; every
    other edge (180° or less) is left to be a geodesic.
    """
    same = ring[1:] == ring[:-1]
    dlon, dlat = np.diff(lon), np.diff(lat)
    along = same & (np.abs(dlon) > 180)
    count = np.ones(len(lon), dtype=np.int64)  # each vertex, plus the points of the edge it starts
    count[:-1][along] = np.ceil(np.abs(dlon[along]) / step - 1e-9).astype(np.int64)
    if (count == 1).all():
        return lon, lat, ring
    src = np.repeat(np.arange(len(lon)), count)
    k = np.arange(len(src)) - np.repeat(np.cumsum(count) - count, count)
    t = k / count[src]
    dlon_e, dlat_e = np.r_[dlon, 0.0][src], np.r_[dlat, 0.0][src]
    return lon[src] + t * dlon_e, lat[src] + t * dlat_e, ring[src]


def _rings(geoms: np.ndarray) -> _Rings:
    polys, owner = _polygonal(geoms)
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    keep = shapely.get_num_coordinates(rings) >= 4  # a hole with fewer vertices encloses nothing
    is_shell = np.r_[True, ring_poly[1:] != ring_poly[:-1]] if len(rings) else np.zeros(0, bool)
    rings, ring_poly, is_shell = rings[keep], ring_poly[keep], is_shell[keep]
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    lon = _unwrap(coords[:, 0], ring) if len(coords) else coords[:, 0]
    lon, lat, ring = _densify_seams(lon, coords[:, 1], ring, PARALLEL_STEP_DEG)
    bounds = np.searchsorted(ring, np.arange(len(rings) + 1))
    winding = np.rint((lon[bounds[1:] - 1] - lon[bounds[:-1]]) / 360.0) if len(rings) else np.zeros(0)
    winding = np.nan_to_num(winding, nan=0.0)  # a ring with a NaN vertex has no area, and no winding
    return _Rings(lon, lat, ring, ring_poly, is_shell, winding, owner)


def _ellipsoid_area(geod: Geod) -> float:
    """Return the whole surface area (m²) of ``geod``'s ellipsoid (or sphere)."""
    a, e2 = geod.a, geod.es
    if e2 == 0:
        return 4 * math.pi * a * a
    e = math.sqrt(e2)
    return 2 * math.pi * a * a * (1 + (1 - e2) / e * math.atanh(e))


def _cylindrical_estimate(lon: np.ndarray, lat: np.ndarray, radius: float) -> float:
    """Rough area (m²) of a lon/lat ring on a sphere, from the cylindrical equal-area shoelace."""
    x, y = np.radians(lon), np.sin(np.radians(lat))
    estimate: float = abs(0.5 * np.sum(x[:-1] * y[1:] - x[1:] * y[:-1])) * radius * radius
    return estimate


def _ring_area_perimeter(r: _Rings, geod: Geod) -> tuple[np.ndarray, np.ndarray]:
    """Return unsigned geodesic area (m²) and perimeter (m) of each ring.

    One GeographicLib call per ring; the vertices go to C as whole arrays. Taking the
    absolute value makes the result independent of ring orientation, which is exactly
    what orienting the rings first achieves. A ring divides the Earth in two, and
    GeographicLib returns the smaller region; a lon/lat ring may mean the larger one (a
    world mask; the whole world ``box(-180, -90, 180, 90)``, whose ring runs up the 180°
    meridian and back down it, so that the smaller region is a slit of area 0). The
    cylindrical equal-area estimate, which reads the ring as drawn in lon/lat, tells the two
    apart whenever either is large.
    """
    n = len(r.poly)
    bounds = np.searchsorted(r.ring, np.arange(n + 1))
    areas, perims = np.zeros(n), np.zeros(n)
    whole = _ellipsoid_area(geod)
    radius = math.sqrt(whole / (4 * math.pi))
    for i in range(n):
        a, b = bounds[i], bounds[i + 1]
        # rings repeat the first vertex (modulo 360°); Geod closes the ring itself.
        area_m2, perim_m = geod.polygon_area_perimeter(r.lon[a : b - 1], r.lat[a : b - 1])
        area_m2 = abs(area_m2)
        if r.winding[i] == 0 and np.isfinite(area_m2):
            guess = _cylindrical_estimate(r.lon[a:b], r.lat[a:b], radius)
            if max(area_m2, guess) > whole / 4:
                area_m2 = min(area_m2, whole - area_m2, key=lambda v: abs(v - guess))
        areas[i], perims[i] = area_m2, perim_m
    return areas, perims


def _geod_area_perimeter(geoms: np.ndarray, geod: Geod) -> tuple[np.ndarray, np.ndarray]:
    r = _rings(geoms)
    ring_a, ring_p = _ring_area_perimeter(r, geod)
    signed = np.where(r.is_shell, ring_a, -ring_a)
    n_polys = len(r.owner)
    poly_a = np.bincount(r.poly, signed, minlength=n_polys)
    poly_p = np.bincount(r.poly, ring_p, minlength=n_polys)
    n = len(geoms)
    return np.bincount(r.owner, poly_a, minlength=n), np.bincount(r.owner, poly_p, minlength=n)


def _arc_centre(lon: np.ndarray) -> float:
    """Return the middle of the shortest arc of longitude that covers every ``lon``.

    For data crossing the antimeridian (say 179° to -179°) that is 180°, where the
    bounding-box centre (0°) would be the far side of the Earth.
    """
    lo, hi = float(lon.min()), float(lon.max())
    if lo >= -180 and hi <= 180 and hi - lo <= 180:
        return (lo + hi) / 2
    w = np.unique((lon + 180.0) % 360.0 - 180.0)
    gaps = np.diff(np.r_[w, w[0] + 360.0])
    g = int(np.argmax(gaps))  # the arc starts after the widest gap
    start, width = w[(g + 1) % len(w)], 360.0 - gaps[g]
    return float((start + width / 2 + 180.0) % 360.0 - 180.0)


def _centre(geoms: np.ndarray) -> tuple[float, float]:
    """Return the (lon, lat) to centre a projection on: a pole for data around or on one."""
    r = _rings(geoms)
    coords = shapely.get_coordinates(geoms)
    lon = np.r_[r.lon, coords[:, 0]]
    lat = np.r_[r.lat, coords[:, 1]]
    polar = (r.winding != 0).any() or (np.abs(lat) >= 90).any()
    if polar:
        return 0.0, 90.0 if lat.mean() > 0 else -90.0
    return _arc_centre(lon), (float(lat.min()) + float(lat.max())) / 2


def local_equal_area_crs(geoms: Any) -> CRS:
    """Return a Lambert azimuthal equal-area CRS centred on the geometries.

    The centre is the middle of their bounding box, taken the short way round across the
    antimeridian, and the pole for data around or on a pole.
    """
    lon, lat = _centre(_as_geometry_array(geoms))
    return CRS.from_proj4(f"+proj=laea +lat_0={lat:.6f} +lon_0={lon:.6f} +datum=WGS84 +units=m")


def _utm_crs(geoms: np.ndarray) -> CRS:
    """Return the UTM zone of the data's centre; refuse data reaching far beyond that zone.

    A GIS projects a whole layer into one zone; past :data:`UTM_MAX_REACH_DEG` from the
    zone's central meridian its scale error is no longer a published figure's small bias
    but a wrong number (data spanning 60° of longitude came out at 2.4 times its area).
    """
    lon, lat = _centre(geoms)
    zone = int((lon + 180) // 6) % 60 + 1
    meridian = -183.0 + 6 * zone
    r = _rings(geoms)
    off = (r.lon[np.isfinite(r.lon)] - meridian + 180.0) % 360.0 - 180.0
    if len(off) and np.abs(off).max() > UTM_MAX_REACH_DEG:
        west, east = meridian + off.min(), meridian + off.max()
        raise UsageError(
            f"--method utm cannot measure this data in one zone: it spans longitude {west:.4f} to {east:.4f} "
            f"(unwrapped across ±180°), up to {np.abs(off).max():.1f}° from the central meridian "
            f"{meridian:g}° of the zone picked, UTM zone {zone}; UTM is usable up to about {UTM_MAX_REACH_DEG:g}° "
            "from it, and beyond that its scale error inflates the area. Use --method geodesic (the reference), "
            "or measure each region separately."
        )
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _web_mercator_crs(geoms: np.ndarray) -> CRS:
    """EPSG:3857, or the same projection centred on the data when it crosses ±180°.

    Web Mercator's scale depends on latitude only, so moving its central meridian moves
    the map sideways without changing any area; it keeps a polygon across the
    antimeridian in one piece.
    """
    r = _rings(geoms)
    if not len(r.lon) or (np.abs(r.lon) <= 180).all():
        return CRS.from_epsg(3857)
    return CRS.from_proj4(
        f"+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0={_arc_centre(r.lon):.6f} +x_0=0 +y_0=0 +k=1 "
        "+units=m +nadgrids=@null +no_defs"
    )


def _assemble(r: _Rings, x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Build each input's (multi)polygon from its rings' projected vertices (empty when it has none)."""
    out = np.array([shapely.Polygon()] * n, dtype=object)
    if not len(r.owner):
        return out
    rings = shapely.linearrings(np.c_[x, y], indices=r.ring)
    polys = shapely.polygons(rings, indices=r.poly)
    owners, compact = np.unique(r.owner, return_inverse=True)
    out[owners] = shapely.multipolygons(polys, indices=compact)
    return out


def _projected(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """Return each input's polygonal parts projected to ``crs`` (empty polygon when it has none).

    The rings are unwrapped first (:class:`_Rings`), so a polygon across the antimeridian
    or round a pole projects as one piece.
    """
    from pyproj import Transformer

    r = _rings(geoms)
    if not len(r.owner):
        return _assemble(r, r.lon, r.lat, len(geoms))
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(r.lon, r.lat)
    return _assemble(r, x, y, len(geoms))


def _planar_area(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    areas: np.ndarray = shapely.area(_projected(geoms, crs))
    return areas


@dataclass
class _Frames:
    """Each input's own Lambert azimuthal equal-area projection, centred on that input alone.

    So an input's equal-area area and its ``--shift`` band never depend on the other rows
    of the file (one projection for the whole file put a box 100° from its centre, where
    1000 m of buffer is not 1000 m).
    """

    lon0: np.ndarray  # per input; NaN for an input without polygons
    lat0: np.ndarray
    reach: np.ndarray  # per input: its farthest vertex from (lon0, lat0), degrees of arc
    rings: _Rings
    vertex_owner: np.ndarray  # per ring vertex: its input


def _local_frames(geoms: np.ndarray) -> _Frames:
    """Centre a projection on each input as :func:`_centre` centres one on all of them (vectorised)."""
    r = _rings(geoms)
    n = len(geoms)
    owner = r.owner[r.poly][r.ring] if len(r.ring) else np.zeros(0, dtype=np.int64)
    ok = np.isfinite(r.lon) & np.isfinite(r.lat)
    lon, lat, vo = r.lon[ok], r.lat[ok], owner[ok]
    lo, hi = np.full(n, np.inf), np.full(n, -np.inf)
    south, north = np.full(n, np.inf), np.full(n, -np.inf)
    np.minimum.at(lo, vo, lon)
    np.maximum.at(hi, vo, lon)
    np.minimum.at(south, vo, lat)
    np.maximum.at(north, vo, lat)
    count = np.bincount(vo, minlength=n)
    mean_lat = np.bincount(vo, lat, minlength=n) / np.maximum(count, 1)
    polar = np.zeros(n, dtype=bool)
    np.logical_or.at(polar, r.owner[r.poly], r.winding != 0)
    np.logical_or.at(polar, vo, np.abs(lat) >= 90)
    has = count > 0
    with np.errstate(invalid="ignore"):
        lon0 = np.where(has, (lo + hi) / 2, np.nan)
        lat0 = np.where(has, (south + north) / 2, np.nan)
    for i in np.flatnonzero(has & ((lo < -180) | (hi > 180) | (hi - lo > 180))):
        lon0[i] = _arc_centre(lon[vo == i])  # across ±180° (unwrapped, or parts either side)
    lon0[polar & has] = 0.0
    lat0[polar & has] = np.where(mean_lat[polar & has] > 0, 90.0, -90.0)
    # great-circle distance of each vertex from its input's centre (a sphere is plenty for a limit)
    p, p0 = np.radians(lat), np.radians(lat0[vo])
    cos_d = np.sin(p) * np.sin(p0) + np.cos(p) * np.cos(p0) * np.cos(np.radians(lon - lon0[vo]))
    reach = np.zeros(n)
    np.maximum.at(reach, vo, np.degrees(np.arccos(np.clip(cos_d, -1.0, 1.0))))
    return _Frames(lon0, lat0, reach, r, owner)


@lru_cache(maxsize=4096)
def _laea(lon0: float, lat0: float, inverse: bool = False) -> Any:
    """Return a lon/lat (degrees) <-> LAEA (metres, WGS84) transformer centred on (lon0, lat0).

    A bare PROJ pipeline: about 0.2 ms to build, against 14 ms for a CRS-to-CRS transformer,
    so one per feature is cheap.
    """
    from pyproj import Transformer

    laea = f"+proj=laea +lat_0={lat0!r} +lon_0={lon0!r} +ellps=WGS84"
    deg = "+proj=unitconvert +xy_in=deg +xy_out=rad"
    if inverse:
        return Transformer.from_pipeline(f"+proj=pipeline +step +inv {laea} +step +inv {deg}")
    return Transformer.from_pipeline(f"+proj=pipeline +step {deg} +step {laea}")


def _check_reach(frames: _Frames, doing: str, instead: str) -> None:
    """Refuse inputs too large for a planar projection centred on them (:data:`MAX_PLANAR_REACH_DEG`)."""
    bad = np.flatnonzero(frames.reach > MAX_PLANAR_REACH_DEG + 1e-9)
    if not len(bad):
        return
    i = bad[0]
    listed = ", ".join(f"#{k + 1}" for k in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    raise UsageError(
        f"{doing} cannot handle feature(s) {listed}: #{i + 1} reaches {frames.reach[i]:.1f}° of arc from the "
        f"centre of its own equal-area projection ({frames.lon0[i]:.4f}, {frames.lat0[i]:.4f}), beyond a "
        f"hemisphere ({MAX_PLANAR_REACH_DEG:g}°); no planar projection holds it (a whole-globe polygon would "
        f"reach the opposite pole). {instead}"
    )


def _projected_local(geoms: np.ndarray, frames: _Frames) -> np.ndarray:
    """Return each input projected to its own LAEA (:class:`_Frames`), as :func:`_projected` does."""
    r, vo = frames.rings, frames.vertex_owner
    x, y = np.full(len(r.lon), np.nan), np.full(len(r.lon), np.nan)
    order = np.argsort(vo, kind="stable")
    cuts = np.searchsorted(vo[order], np.arange(len(geoms) + 1))
    for i in np.flatnonzero(np.diff(cuts)):
        if not np.isfinite(frames.lon0[i]):
            continue  # no finite vertex: stays NaN, and is named as such
        idx = order[cuts[i] : cuts[i + 1]]
        x[idx], y[idx] = _laea(float(frames.lon0[i]), float(frames.lat0[i])).transform(r.lon[idx], r.lat[idx])
    return _assemble(r, x, y, len(geoms))


def _unproject_local(projected: np.ndarray, frames: _Frames) -> np.ndarray:
    """Take each input's geometry from its own LAEA back to lon/lat (vertices transformed per input)."""
    out = projected.copy()
    coords, idx = shapely.get_coordinates(out, return_index=True)
    if not len(coords):
        return out
    cuts = np.searchsorted(idx, np.arange(len(out) + 1))  # get_coordinates keeps the input order
    for i in np.flatnonzero(np.diff(cuts)):
        a, b = cuts[i], cuts[i + 1]
        lon, lat = _laea(float(frames.lon0[i]), float(frames.lat0[i]), inverse=True).transform(
            coords[a:b, 0], coords[a:b, 1]
        )
        coords[a:b, 0], coords[a:b, 1] = lon, lat
    lonlat: np.ndarray = shapely.set_coordinates(out, coords)
    return lonlat


def _check_latitudes(geoms: np.ndarray, method: str) -> None:
    """Refuse a planar method outside the latitudes where its projection is defined."""
    lats = _rings(geoms).lat
    if not len(lats):
        return
    south, north = float(lats.min()), float(lats.max())
    if method == "web-mercator" and max(-south, north) > WEB_MERCATOR_MAX_LAT:
        lo, hi = -WEB_MERCATOR_MAX_LAT, WEB_MERCATOR_MAX_LAT
    elif method == "utm" and (south < UTM_LAT_RANGE[0] or north > UTM_LAT_RANGE[1]):
        lo, hi = UTM_LAT_RANGE
    else:
        return
    raise UsageError(
        f"--method {method} cannot measure this data: it reaches latitude {south:.4f} to {north:.4f}, and "
        f"{method} is defined from {lo:.2f} to {hi:.2f} only. Use --method geodesic (or equal-area)."
    )


#: An edge spanning at least this many degrees of longitude, and rising or falling less than
#: :data:`PARALLEL_NOTE_SLOPE` of that, is noted as "along a parallel" (see :func:`globe_report`).
PARALLEL_NOTE_DEG = 1.0
PARALLEL_NOTE_SLOPE = 0.01


def globe_report(geoms: Any) -> pd.DataFrame:
    """Say, per feature, how its rings sit on the globe: across ±180°, round a pole, along parallels.

    Returns
    -------
    pandas.DataFrame
        One row per input: ``crosses_antimeridian`` (an edge spans more than 180° of
        longitude, so it is taken the short way across ±180°), ``pole_winding`` (a ring
        goes round a pole without passing through it: fine on the sphere, but not a valid
        polygon in lon/lat, where a cap must run along the pole as an edge) and
        ``parallel_edges`` (how many edges run along a parallel, off the equator, for at
        least :data:`PARALLEL_NOTE_DEG` of longitude: they are measured as geodesics, which
        bend poleward of the parallel). The last is for a note only; it changes no number.
    """
    arr = _as_geometry_array(geoms)
    r = _rings(arr)
    n = len(arr)
    ring_owner = r.owner[r.poly]
    outside = np.zeros(len(r.poly), dtype=bool)
    np.logical_or.at(outside, r.ring, np.abs(r.lon) > 180)
    crosses = np.zeros(n, dtype=bool)
    winds = np.zeros(n, dtype=bool)
    np.logical_or.at(crosses, ring_owner, outside)
    np.logical_or.at(winds, ring_owner, r.winding != 0)
    parallel = np.zeros(n, dtype=np.int64)
    if len(r.lon) > 1:
        dlon, dlat = np.abs(np.diff(r.lon)), np.abs(np.diff(r.lat))
        high = np.maximum(np.abs(r.lat[:-1]), np.abs(r.lat[1:]))
        along = (
            (r.ring[1:] == r.ring[:-1])
            & (dlon >= PARALLEL_NOTE_DEG)
            & (dlon <= 180)  # not a seam edge round the whole parallel, which follows it
            & (dlat <= PARALLEL_NOTE_SLOPE * dlon)
            & (high >= 1.0)  # on the equator the geodesic is the parallel
            & (high < 90)
        )
        np.add.at(parallel, ring_owner[r.ring[:-1][along]], 1)
    return pd.DataFrame({"crosses_antimeridian": crosses, "pole_winding": winds, "parallel_edges": parallel})


def area(geoms: Any, *, method: str = "geodesic", unit: str = "km2", dem: Any = None) -> np.ndarray:
    """Compute the area of each (multi)polygon, in ``unit``, by ``method``.

    Parameters
    ----------
    geoms
        A GeoSeries/GeoDataFrame (reprojected to EPSG:4326 if it has another CRS), a
        sequence of shapely geometries in lon/lat, or one geometry. Points, lines and
        empty or missing geometries have area 0.
    method
        One of :data:`METHODS`; ``geodesic`` is the reference. Edges are geodesics (see
        :class:`_Rings` for the two lon/lat edges that have none); the whole world
        ``box(-180, -90, 180, 90)`` is the ellipsoid's whole surface. ``equal-area``
        projects each feature on its own centre and refuses one larger than a hemisphere;
        ``utm`` refuses data far outside one zone.
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
    0.9481
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
        frames = _local_frames(arr)
        _check_reach(frames, "--method equal-area", "Use --method geodesic (the reference) or spherical.")
        m2 = shapely.area(_projected_local(arr, frames))
    elif method == "utm":
        _check_latitudes(arr, method)
        m2 = _planar_area(arr, _utm_crs(arr))
    elif method == "web-mercator":
        _check_latitudes(arr, method)
        m2 = _planar_area(arr, _web_mercator_crs(arr))
    else:  # surface
        m2 = _surface_area(arr, dem)
    return _finite(np.asarray(m2, dtype=float), method) / UNITS[unit]


def _finite(m2: np.ndarray, method: str) -> np.ndarray:
    """Return ``m2`` unchanged, or raise naming the features that gave no finite area.

    A NaN would otherwise print as an area (or, worse, be summed into one).
    """
    bad = np.flatnonzero(~np.isfinite(m2))
    if len(bad):
        listed = ", ".join(f"#{i + 1}" for i in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise GeometryError(
            f"{len(bad)} feature(s) ({listed}) have no finite {method} area: their coordinates are not finite "
            "or fall outside the projection. Check those features' coordinates, or use --method geodesic."
        )
    return m2


def _surface_area(geoms: np.ndarray, dem: Any) -> np.ndarray:
    """Return the 3D surface area (m²): the geodesic area times the DEM's surface ratio over each polygon.

    ``dem`` is a grid read by :func:`borderkit.terrain.read_dem` (anything with a
    ``surface_ratios(geoms)`` method): measuring does not read rasters itself, so that
    terrain builds on measure and not the other way round.
    """
    if dem is None:
        raise UsageError(
            "method 'surface' needs a DEM, and none was given. "
            "Pass dem=borderkit.terrain.read_dem(PATH) or --dem FILE on the command line."
        )
    ratios = getattr(dem, "surface_ratios", None)
    if ratios is None:
        raise UsageError(
            f"method 'surface' needs a DEM read with borderkit.terrain.read_dem, got {type(dem).__name__}. "
            "Read the GeoTIFF first: dem=borderkit.terrain.read_dem(path), or use borderkit.terrain.surface_area."
        )
    planimetric = _geod_area_perimeter(geoms, _WGS84)[0]
    surface: np.ndarray = planimetric * ratios(geoms)
    return surface


def perimeter(geoms: Any, *, unit: str = "km") -> np.ndarray:
    """Compute the geodesic perimeter of each (multi)polygon on WGS84.

    Holes count: the perimeter is the length of every ring, as with shapely's
    ``length``. (pyproj's ``geometry_area_perimeter`` returns the shell's only.)

    Examples
    --------
    >>> from shapely import box
    >>> round(float(perimeter(box(45, 40, 45.01, 40.01))[0]), 4)
    3.9284
    """
    _check_choice(unit, LENGTH_UNITS, "length unit")
    arr = _as_geometry_array(geoms)
    if len(arr) == 0:
        return np.zeros(0)
    return _geod_area_perimeter(arr, _WGS84)[1] / LENGTH_UNITS[unit]


def length(geoms: Any, *, unit: str = "km") -> np.ndarray:
    """Compute the geodesic length of each line on WGS84 (polygons: their rings).

    All segments go to GeographicLib in one vectorised call.

    Examples
    --------
    One degree of meridian between 39° and 40° N (111.03 km in the textbook tables); points
    and missing geometries have no length:

    >>> from shapely import LineString, Point
    >>> round(float(length(LineString([(46, 39), (46, 40)]))[0]), 3)
    111.025
    >>> length([None, Point(46, 39)]).tolist()
    [0.0, 0.0]
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

    Each feature is buffered in its own equal-area projection centred on it (so its band
    never depends on the other rows), where 100 m is 100 m to within a fraction of a per
    cent across the feature; the buffered outlines are then measured with ``method``.
    Corners stay corners (mitre joins): a rectangle of area A and perimeter P becomes about
    A ± P·d + 4d². A polygon thinner than ``2 * shift_m`` shrinks to 0. A feature reaching
    more than a hemisphere from its centre (a whole-globe polygon) is refused.
    """
    if not np.isfinite(shift_m) or shift_m < 0:
        raise UsageError(
            f"shift must be a distance in metres >= 0, got {shift_m!r}. "
            "Use e.g. 110 for the datum offset of the case's historical maps."
        )
    arr = _as_geometry_array(geoms)
    if len(arr) == 0 or shapely.is_empty(arr[~shapely.is_missing(arr)]).all():
        return np.zeros(len(arr)), np.zeros(len(arr))
    frames = _local_frames(arr)
    _check_reach(frames, f"--shift {shift_m:g}", "Measure it without --shift.")
    # projected whole (unwrapped across ±180°, round the poles), so the buffer moves the real outline
    projected = _projected_local(arr, frames)
    polar = np.abs(frames.lat0) == 90
    if polar.any():
        # a cap drawn in lon/lat runs up and back down the ±180° meridian: snapping to 1 mm closes
        # that seam, which would otherwise be buffered as if it were a border
        projected[polar] = shapely.set_precision(projected[polar], 1e-3)

    def moved(distance: float) -> np.ndarray:
        # mitre joins keep corners where they are, so the band is the outline moved, not rounded
        return _unproject_local(shapely.buffer(projected, distance, join_style="mitre"), frames)

    return area(moved(-shift_m), method=method, unit=unit), area(moved(shift_m), method=method, unit=unit)


def _check_by(gdf: Any, by: str) -> None:
    """Refuse a ``--by`` column that cannot label groups: missing, the geometry, or nested values."""
    columns = [str(c) for c in gdf.columns if c != getattr(gdf.geometry, "name", "geometry")]
    listed = ", ".join(columns) or "(none)"
    if by not in gdf:
        raise UsageError(f"--by column {by!r} is not in the data. Columns: {listed}.")
    if by == getattr(gdf.geometry, "name", "geometry"):
        raise UsageError(f"--by {by!r} is the geometry column; sums need a column of labels. Columns: {listed}.")
    if gdf[by].map(lambda v: isinstance(v, (dict, list, tuple, set))).any():
        raise UsageError(
            f"--by column {by!r} holds nested values (JSON objects or lists), which cannot label groups. "
            f"Pick a column of text or numbers: {listed}."
        )


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
        _check_by(gdf, by)
        table[by] = gdf[by].to_numpy()
        numeric = [c for c in table.columns if c.startswith(key)]
        table = table.drop(columns=[c for c in ("id", "name") if c != by]).groupby(by, sort=True, dropna=False)
        table = table[numeric].sum().reset_index()
        group = table.pop(by).astype(str)
        table.insert(0, "id", group)
        table.insert(1, "name", group)
    table["method"] = method
    if shift_m is not None:
        table["shift_m"] = float(shift_m)
    return table
