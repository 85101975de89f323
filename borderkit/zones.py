"""The occupation model: sourced sectors -> zone polygons -> timeline.

Nobody publishes the polygons, so borderkit never draws an "occupied area" by hand. A
**sector** is land a source reports taken, in one of two shapes:

- a **ribbon**: a stretch of the baseline between two anchors (or a stated length centred
  on one), with a depth profile along it;
- a **salient**: a front of a stated width, centred on the baseline point nearest an anchor
  and pushed a stated depth towards it (the anchor is the place the push was reported
  towards).

Its **zone** is that shape on the subject's side of the baseline, clipped to the subject's
territory the baseline bounds, with **flat ends**: a zone never runs past the stretch or the front a
source names. A sector may carry several **parameter sets** (an official's depth and a
commentator's, side by side), each with a weight; the deterministic model draws the
heaviest (the first on a tie), the Monte Carlo samples them all.

Where a source reports no depth or no width, the sector records that. Its raw shape then
uses a nominal :data:`FREE_UNIT_KM` deep, or a front as wide as it is deep: the raw shape
says *where*, not *how much*; the calibration to the account (:mod:`borderkit.calibrate`)
sets the extent. The **calibration parameter** ``lam`` of a component is defined so that one
number moves every zone of the component monotonically (see :func:`extent`).

Pure functions: GeoDataFrames and geometries in and out, no I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from pyproj import CRS, Transformer

from borderkit.errors import UsageError
from borderkit.events import parse_date, reported
from borderkit.measure import area

__all__ = [
    "PROFILES",
    "SHAPES",
    "MODEL_NOTE",
    "RAW_NOTE",
    "FREE_UNIT_KM",
    "depth_profile",
    "baseline_stretch",
    "ribbon",
    "salient",
    "Front",
    "front_of",
    "front_line",
    "swept_front",
    "attached",
    "extent",
    "unreported",
    "raw_lam",
    "primary",
    "has_free",
    "Prepared",
    "prepare",
    "build",
    "sector_stretch",
    "sector_axis",
    "zone",
    "zones",
    "extreme_zones",
    "active",
    "timeline",
    "breakdown",
    "consistency",
]

#: Depth as a fraction of the maximum, at position t in [0, 1] along the stretch or front.
PROFILES = {
    "uniform": lambda t: np.ones_like(t),
    "triangular": lambda t: 1.0 - np.abs(2.0 * t - 1.0),
    "parabolic": lambda t: 4.0 * t * (1.0 - t),
}

#: The shapes a sector can take.
SHAPES = ("ribbon", "salient")

MODEL_NOTE = (
    "modelled zones: each sector's shape (a ribbon along the stretch its source names, or a "
    "salient towards the place it names) on the subject's side of the baseline, with the depths and "
    "widths its sources report where they report them and the calibration's elsewhere (the "
    "'dimensions' column says which): hypotheses, not surveyed lines"
)
RAW_NOTE = (
    "raw geometry (the prior): stated depths and widths; where a source states no depth, a nominal 1 km, "
    "and where it states no width, a front as wide as it is deep: shapes that say where, not how much"
)

#: The depth (km) an unreported depth takes per unit of the calibration parameter above 1
#: (an unreported width takes that many times the sector's depth); in the raw geometry
#: (parameter 2) a nominal 1 km deep, and a front as wide as it is deep.
FREE_UNIT_KM = 1.0

#: Spacing (m) of the samples that carry a varying depth along a stretch or front.
SAMPLE_SPACING_M = 100.0
#: Detail (m) below which a salient's front line is simplified: far below any stated depth.
SIMPLIFY_M = 25.0
#: Half-window (m) over which a ribbon's direction is smoothed before its depth is laid off.
SMOOTH_M = 1000.0
#: Degrees around a sector's anchors that its zone may reach (about 60 km here).
REACH_DEG = 0.6
#: How close (degrees, about 10 cm) a piece of a zone must come to the baseline to be kept.
TOUCH_DEG = 1e-6


def depth_profile(name: str, t: ArrayLike) -> np.ndarray:
    """Return the depth fraction of profile ``name`` at positions ``t`` (0..1)."""
    if name not in PROFILES:
        raise UsageError(f"Unknown depth profile {name!r}. Allowed: {', '.join(PROFILES)}.")
    return PROFILES[name](np.asarray(t, dtype=float))


# ----------------------------------------------------------------------------- metric shapes
def baseline_stretch(
    baseline: shapely.Geometry,
    anchor_a: shapely.Point,
    anchor_b: shapely.Point | None = None,
    *,
    span_m: float | None = None,
) -> shapely.LineString:
    """Return the stretch of a (projected, metric) baseline between two anchors' projections.

    With one anchor, the stretch is ``span_m`` long, centred on the anchor's projection.
    The baseline part nearest the first anchor is used.
    """
    parts = shapely.get_parts(shapely.line_merge(baseline))
    part = parts[np.argmin(shapely.distance(parts, anchor_a))]
    pa = part.project(anchor_a)
    if anchor_b is not None:
        lo, hi = sorted((pa, part.project(anchor_b)))
    elif span_m:
        lo, hi = pa - span_m / 2, pa + span_m / 2
    else:
        raise UsageError("A ribbon needs two anchors, or one anchor and a width (its stretch) in km.")
    return shapely.ops.substring(part, max(lo, 0.0), min(hi, part.length))


def _sweep(a: np.ndarray, b: np.ndarray) -> shapely.Geometry:
    """Return the land swept between two matching chains of points (the quadrilaterals a[i], a[i+1], b[i+1], b[i]).

    The two chains close one ring. Where they do not fold, that ring is simple and is the
    union; where the line folds on itself, the ring crosses itself and is repaired by
    GEOS's "structure" method, which keeps every loop it encloses (within a few per cent
    of the quadrilaterals' union, ten times faster).
    """
    ring = shapely.Polygon(np.vstack([a, b[::-1], a[:1]]))
    if ring.is_valid:
        return ring
    fixed = shapely.make_valid(ring, method="structure")
    polys = [g for g in shapely.get_parts(fixed) if g.geom_type == "Polygon" and not g.is_empty]
    # the parts of a valid geometry do not overlap: they need no union
    return shapely.Polygon() if not polys else polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(norm > 0, norm, 1.0)


def ribbon(stretch: shapely.LineString, depth_m: float, profile: str = "uniform") -> shapely.Geometry:
    """Return the land within a depth profile of a metric stretch, on both sides, with flat ends.

    A uniform depth is a flat-capped buffer (exact on any curve). A varying depth is laid
    off along the stretch's normals, smoothed over :data:`SMOOTH_M` so a jagged line does
    not fan out, as a chain of quadrilaterals sharing their edges: on a straight stretch its
    area is the stretch length times twice the mean depth, with no end caps.
    """
    if depth_m <= 0 or stretch.is_empty or stretch.length <= 0:
        return shapely.Polygon()
    if profile == "uniform":
        return stretch.buffer(depth_m, cap_style="flat")
    length = stretch.length
    s = np.linspace(0.0, length, max(3, math.ceil(length / SAMPLE_SPACING_M) + 1))
    pts = shapely.get_coordinates(shapely.line_interpolate_point(stretch, s))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(stretch, np.minimum(s + SMOOTH_M, length)))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(stretch, np.maximum(s - SMOOTH_M, 0.0)))
    tangent = _unit(ahead - behind)
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    radius = (depth_m * depth_profile(profile, s / length))[:, None]
    return _sweep(pts + radius * normal, pts - radius * normal)


@dataclasses.dataclass(frozen=True)
class Front:
    """Where a salient hangs on the line: the line part, its point nearest the anchor, and the axes.

    ``push`` points from the line to the anchor and ``along`` across it; ``one_sided`` is
    False when the anchor lies on the line (no direction: the push goes both ways).
    """

    part: shapely.Geometry
    centre: np.ndarray
    push: np.ndarray
    along: np.ndarray
    one_sided: bool


def front_of(line: shapely.Geometry, anchor: shapely.Point) -> Front:
    """Return the :class:`Front` of a salient towards ``anchor`` on a metric ``line`` (computed once per sector)."""
    parts = shapely.get_parts(shapely.line_merge(line))
    part = parts[np.argmin(shapely.distance(parts, anchor))]
    centre = part.interpolate(part.project(anchor))
    c = np.array([centre.x, centre.y])
    push = np.array([anchor.x, anchor.y]) - c
    if np.hypot(*push) >= 1.0:
        u = _unit(push)
        return Front(part, c, u, np.array([-u[1], u[0]]), True)
    d = part.project(centre)
    a, b = part.interpolate(max(d - 500.0, 0.0)), part.interpolate(min(d + 500.0, part.length))
    along = _unit(np.array([b.x - a.x, b.y - a.y]))
    return Front(part, c, np.array([-along[1], along[0]]), along, False)


def front_line(front: Front, width_m: float, depth_m: float = 0.0) -> shapely.Geometry:
    """Return the piece of line a salient's front covers, simplified to :data:`SIMPLIFY_M`.

    That is the line within ``width_m`` across the axis and as far along it as the front
    is wide or deep, in one piece through the front's centre: where the line leaves that
    box and comes back further on, the far piece is another stretch of border, not this
    front (a border that runs along the push has no front to speak of).
    """
    c, u, along = front.centre, front.push, front.along
    half, reach = width_m / 2, max(width_m / 2, depth_m)
    strip = shapely.Polygon([c - half * along - reach * u, c + half * along - reach * u,
                             c + half * along + reach * u, c - half * along + reach * u])  # fmt: skip
    pieces = shapely.get_parts(shapely.line_merge(shapely.intersection(front.part, strip)))
    if not len(pieces):
        return shapely.LineString()
    piece = pieces[np.argmin(shapely.distance(pieces, shapely.Point(c)))]
    return shapely.simplify(piece, SIMPLIFY_M)


def salient(
    line: shapely.Geometry | Front,
    anchor: shapely.Point | None,
    width_m: float,
    depth_m: float,
    profile: str = "uniform",
) -> shapely.Geometry:
    """Return a salient in metric coordinates: a front ``width_m`` wide, pushed ``depth_m`` towards ``anchor``.

    The front is the line within ``width_m`` across the axis from the line's point nearest
    the anchor to the anchor; the salient is that piece of line swept ``depth_m`` along the
    axis (towards the anchor), so the depth is measured from the line everywhere and the
    sides are flat. On a straight line its area is width × depth; ``profile`` shapes the
    advance across the front (uniform: the full depth everywhere). An anchor on the line
    gives no direction: the sweep then goes both ways and the clip to the land keeps its
    side. ``line`` may be a :class:`Front` already found (``anchor`` is then unused).
    """
    if not (width_m > 0 and depth_m > 0):
        return shapely.Polygon()
    front = line if isinstance(line, Front) else front_of(line, anchor)
    return swept_front(front, width_m, depth_m, profile)[0]


def swept_front(front: Front, width_m: float, depth_m: float, profile: str = "uniform") -> tuple[Any, Any]:
    """Return (salient, the piece of line it rests on) for a :class:`Front`: see :func:`salient`."""
    piece = front_line(front, width_m, depth_m)
    dense = shapely.segmentize(piece, SAMPLE_SPACING_M) if profile != "uniform" else piece
    pts = shapely.get_coordinates(dense)
    if len(pts) < 2:
        return shapely.Polygon(), piece
    t = np.clip(((pts - front.centre) @ front.along + width_m / 2) / width_m, 0.0, 1.0)
    push = (depth_m * depth_profile(profile, t))[:, None] * front.push
    swept = [_sweep(pts, pts + sign * push) for sign in ((1.0,) if front.one_sided else (1.0, -1.0))]
    return (swept[0] if front.one_sided else shapely.union_all(swept)), piece


def attached(geom: shapely.Geometry, line: shapely.Geometry, tol: float) -> shapely.Geometry:
    """Return the polygons of ``geom`` within ``tol`` of ``line``: land cut off from the line is not part of a zone."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    keep = [p for p in parts if shapely.distance(p, line) <= tol]
    if not keep:
        return shapely.Polygon()
    return keep[0] if len(keep) == 1 else shapely.MultiPolygon(keep)


# ----------------------------------------------------------------------------- parameters
def _num(value: Any) -> float:
    """Return a float, NaN for empty or missing."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    return float(value)


def _needs_width(sector: Mapping) -> bool:
    """Whether a sector's shape needs a width: a salient's front, or a one-anchor ribbon's stretch."""
    b = sector.get("anchor_b_lon")
    return sector["shape"] == "salient" or math.isnan(_num(b))


def extent(sector: Mapping, lam: float, free: bool) -> tuple[float, float]:
    """Return a sector's (depth km, width km) at calibration parameter ``lam``.

    ``free`` says whether the sector's component has any unreported dimension (see
    :func:`has_free`). Without one, ``lam`` scales every reported depth. With one:
    ``lam`` in [0, 1] scales the reported depths while sectors with an unreported
    dimension are absent (the account leaves no room for them); above 1 the reported
    parameters stand as stated, an unreported depth is ``(lam - 1)`` ×
    :data:`FREE_UNIT_KM`, and an unreported width is ``(lam - 1)`` times the sector's depth:
    every front whose width no source gives is equally wide *for its depth* (no source
    makes one relatively wider than another, and a 0.5 km push is not drawn as wide as a
    1.5 km one). Area never decreases with ``lam``. A width of NaN means the shape needs
    none (a ribbon between two anchors).
    """
    depth, width = _num(sector.get("depth_km")), _num(sector.get("width_km"))
    needs_width = _needs_width(sector)
    width = width if needs_width else math.nan
    if not free:
        return depth * lam, width
    if lam <= 1.0:
        return (0.0, 0.0) if unreported(sector) else (depth * lam, width)
    spare = lam - 1.0
    depth = spare * FREE_UNIT_KM if math.isnan(depth) else depth
    return depth, (spare * depth if needs_width and math.isnan(width) else width)


def unreported(sector: Mapping) -> bool:
    """Whether a sector parameter set leaves its depth, or a width its shape needs, unreported."""
    no_width = _needs_width(sector) and math.isnan(_num(sector.get("width_km")))
    return math.isnan(_num(sector.get("depth_km"))) or no_width


def has_free(sectors: pd.DataFrame) -> bool:
    """Whether any of these sectors (one parameter set each) leaves its depth or width unreported."""
    return any(unreported(s) for _, s in sectors.iterrows())


def raw_lam(free: bool) -> float:
    """Return the calibration parameter of the raw geometry: stated values, nominal 1 km where none is stated."""
    return 1.0 + 1.0 / FREE_UNIT_KM if free else 1.0


def primary(sectors: pd.DataFrame) -> pd.DataFrame:
    """Return one parameter set per sector: the heaviest, the first listed on a tie.

    A layer without parameter sets (one row per sector) is returned as it is.
    """
    if "sector" not in sectors.columns:
        return sectors.assign(sector=sectors["id"])
    weight = pd.to_numeric(sectors.get("weight", pd.Series(1.0, index=sectors.index)), errors="coerce").fillna(1.0)
    order = sectors.assign(_w=weight.to_numpy(), _i=np.arange(len(sectors)))
    order = order.sort_values(["_w", "_i"], ascending=[False, True], kind="stable")
    chosen = order.drop_duplicates("sector", keep="first").sort_values("_i")
    return chosen.drop(columns=["_w", "_i"])


def _component(sectors: pd.DataFrame) -> pd.Series:
    return sectors["component"] if "component" in sectors.columns else sectors.get("episode", sectors["id"])


# ----------------------------------------------------------------------------- building zones
def _local(point: shapely.Point) -> tuple[Transformer, Transformer]:
    """Return (lon/lat -> metres, back) in an equal-area projection centred on ``point``."""
    return _local_at(round(point.x, 6), round(point.y, 6))


@functools.lru_cache(maxsize=256)
def _local_at(lon: float, lat: float) -> tuple[Transformer, Transformer]:
    # building a transformer costs ~10 ms; a sector's anchor is reused by every zone built on it
    crs = CRS.from_proj4(f"+proj=laea +lat_0={lat:.6f} +lon_0={lon:.6f} +datum=WGS84 +units=m")
    return (Transformer.from_crs(4326, crs, always_xy=True), Transformer.from_crs(crs, 4326, always_xy=True))


@functools.lru_cache(maxsize=64)
def _transformer(src: Any, dst: Any) -> Transformer:
    """Return the lon/lat-ordered Transformer from ``src`` to ``dst`` (CRSs or EPSG codes), built once per pair.

    Building one costs ~10 ms (PROJ searches its database for the operation); the Monte
    Carlo and the area model ask for the same few pairs again and again.
    """
    return Transformer.from_crs(src, dst, always_xy=True)


def _apply(tr: Transformer, geom: Any) -> Any:
    return shapely.transform(geom, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))


def _anchors(sector: Mapping) -> tuple[shapely.Point, shapely.Point | None]:
    a = shapely.Point(float(sector["anchor_a_lon"]), float(sector["anchor_a_lat"]))
    b_lon = _num(sector.get("anchor_b_lon"))
    return a, (None if math.isnan(b_lon) else shapely.Point(b_lon, float(sector["anchor_b_lat"])))


@dataclasses.dataclass
class Prepared:
    """What building one sector's zone needs, computed once: its local projection, line and land."""

    shape: str
    profile: str
    fwd: Transformer
    back: Transformer
    line: shapely.Geometry  # the baseline near the anchors, projected
    anchor_a: shapely.Point  # projected
    anchor_b: shapely.Point | None
    land: shapely.Geometry  # the subject's territory near the anchors, lon/lat


def prepare(sector: Mapping, baseline: shapely.Geometry, territory: shapely.Geometry) -> Prepared:
    """Project the baseline and anchors near a sector into a local equal-area frame, and cut out its land."""
    if sector["shape"] not in SHAPES:
        raise UsageError(f"Unknown sector shape {sector['shape']!r}. Allowed: {', '.join(SHAPES)}.")
    a, b = _anchors(sector)
    fwd, back = _local(a)
    window = shapely.box(*shapely.MultiPoint([a] if b is None else [a, b]).buffer(REACH_DEG).bounds)
    land = shapely.intersection(territory, window)
    shapely.prepare(land)
    line = _apply(fwd, shapely.intersection(baseline, window))
    profile = sector.get("profile") or "uniform"
    depth_profile(profile, [0.5])  # refuse an unknown profile before any work
    b_local = None if b is None else _apply(fwd, b)
    return Prepared(sector["shape"], profile, fwd, back, line, _apply(fwd, a), b_local, land)


def build(prep: Prepared, depth_km: float, width_km: float) -> shapely.Geometry:
    """Return the zone (lon/lat) of a prepared sector with the given depth and width (km)."""
    depth_m = depth_km * 1000.0
    if not depth_m > 0:
        return shapely.Polygon()
    if prep.shape == "ribbon":
        span = None if math.isnan(width_km) else width_km * 1000.0
        if prep.anchor_b is None and not (span and span > 0):
            return shapely.Polygon()
        touch = baseline_stretch(prep.line, prep.anchor_a, prep.anchor_b, span_m=span)
        reach = ribbon(touch, depth_m, prep.profile)
    else:
        if not width_km > 0:
            return shapely.Polygon()
        reach, touch = swept_front(front_of(prep.line, prep.anchor_a), width_km * 1000.0, depth_m, prep.profile)
    # clip in lon/lat, where the territory is defined, so no sliver leaves it through reprojection
    clipped = shapely.intersection(_apply(prep.back, reach), prep.land)
    return attached(clipped, _apply(prep.back, touch), TOUCH_DEG)


def sector_stretch(sector: Mapping, baseline: shapely.Geometry) -> shapely.LineString:
    """Return the stretch of ``baseline`` (lon/lat) a ribbon covers (its nominal stretch for one anchor)."""
    prep = prepare(dict(sector, shape="ribbon"), baseline, shapely.box(-180, -90, 180, 90))
    width = _num(sector.get("width_km"))
    span = (FREE_UNIT_KM if math.isnan(width) else width) * 1000.0
    stretch = baseline_stretch(prep.line, prep.anchor_a, prep.anchor_b, span_m=span)
    return _apply(prep.back, stretch)


def sector_axis(sector: Mapping, baseline: shapely.Geometry) -> shapely.LineString:
    """Return a salient's axis (lon/lat): from the front's centre on ``baseline`` to the anchor it pushes towards."""
    prep = prepare(dict(sector, shape="salient"), baseline, shapely.box(-180, -90, 180, 90))
    front = front_of(prep.line, prep.anchor_a)
    return _apply(prep.back, shapely.LineString([front.centre, [prep.anchor_a.x, prep.anchor_a.y]]))


def zone(
    sector: Mapping,
    baseline: shapely.Geometry,
    territory: shapely.Geometry,
    *,
    depth_scale: float = 1.0,
    lam: float | None = None,
    free: bool | None = None,
) -> shapely.Geometry:
    """Return the zone (lon/lat) of one sector parameter set on a baseline and the subject's territory it bounds.

    ``lam`` is the calibration parameter (see :func:`extent`); by default the raw geometry.
    ``free`` says whether the sector's component has an unreported dimension (by default:
    whether this sector has one). ``depth_scale`` then multiplies the depth (for
    sensitivity studies).
    """
    free = has_free(pd.DataFrame([dict(sector)])) if free is None else free
    depth, width = extent(sector, raw_lam(free) if lam is None else lam, free)
    return build(prepare(sector, baseline, territory), depth * depth_scale, width)


def _method(row: Mapping, depth: float, width: float, baseline_name: str) -> str:
    span = "" if math.isnan(width) else f", width {width:.2f} km"
    return f"{row['shape']} sector, depth {depth:.2f} km{span}, {row['profile']} profile, baseline {baseline_name}"


def zones(
    sectors: gpd.GeoDataFrame,
    baseline: shapely.Geometry,
    territory: shapely.Geometry,
    *,
    on: str | None = None,
    baseline_name: str = "",
    lams: Mapping[str, float] | None = None,
    parties: tuple[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Return one zone per sector (its primary parameter set; those in force ``on`` a date, if given).

    ``territory`` is the subject's territory the ``baseline`` bounds; ``baseline_name``
    names that baseline in the output (callers pass the case's). ``lams`` maps a component
    id to its calibration parameter; components it leaves out, or all of them when it is
    None, get the raw geometry. ``parties`` is the zones' (claimant, holder): the subject's
    and the counterpart's ISO codes; None reads them from the active case
    (:func:`borderkit.case.current`). Columns follow the common schema (kind ``zone``),
    plus ``sector``, ``component``, ``shape``, ``parameter_set``, ``depth_km``,
    ``width_km`` (the extent drawn), ``profile``, ``baseline``, ``lam`` and ``area_km2``
    (geodesic).
    """
    chosen = primary(sectors)
    chosen = chosen.assign(component=_component(chosen).to_numpy())
    free = {c: has_free(g) for c, g in chosen.groupby("component")}
    if on:
        chosen = chosen[active(chosen, on)]
    rows, geoms = [], []
    for _, row in chosen.iterrows():
        comp = row["component"]
        lam = (lams or {}).get(comp, raw_lam(free[comp]))
        depth, width = extent(row, lam, free[comp])
        geoms.append(build(prepare(row, baseline, territory), depth, width))
        method = _method(row, depth, width, baseline_name)
        rows.append({"depth_km": depth, "width_km": width, "lam": lam, "method": method})
    extra = pd.DataFrame(rows, index=chosen.index, columns=["depth_km", "width_km", "lam", "method"])
    claimant, holder = _parties() if parties is None else parties
    out = gpd.GeoDataFrame(
        {
            "id": "zone-" + chosen["sector"].str.removeprefix("sec-"),
            "name": chosen["name"].to_numpy(),
            "kind": "zone",
            "claimant": claimant,
            "holder": holder,
            "date": chosen["date"].to_numpy(),
            "end_date": chosen["end_date"].to_numpy(),
            "source": chosen["source"].to_numpy(),
            "method": extra["method"].to_numpy(),
            "confidence": chosen["confidence"].to_numpy(),
            "sector": chosen["sector"].to_numpy(),
            "component": chosen["component"].to_numpy(),
            "shape": chosen["shape"].to_numpy(),
            "parameter_set": chosen.get("parameter_set", pd.Series("", index=chosen.index)).to_numpy(),
            "province": chosen["province"].to_numpy(),
            "depth_km": extra["depth_km"].astype(float).to_numpy(),
            "width_km": extra["width_km"].astype(float).to_numpy(),
            "profile": chosen["profile"].to_numpy(),
            "baseline": baseline_name,
            "lam": extra["lam"].astype(float).to_numpy(),
        },
        geometry=geoms,
        crs=4326,
    )
    out["area_km2"] = area(out)
    return out.reset_index(drop=True)


def _parties() -> tuple[str, str]:
    """Return the active case's (subject, counterpart) ISO codes: who claims a zone and who holds it."""
    from borderkit.case import current

    case = current()
    return case.subject.code, case.counterpart.code if case.counterpart else ""


def _bound(sector: Mapping, which: str) -> tuple[float, float]:
    """Return a parameter set's (depth, width) at the low or high end of what its words allow."""
    depth = _num(sector.get(f"depth_{which}_km"))
    width = _num(sector.get(f"width_{which}_km"))
    depth = _num(sector.get("depth_km")) if math.isnan(depth) else depth
    width = _num(sector.get("width_km")) if math.isnan(width) else width
    return depth, (width if _needs_width(sector) else math.nan)


def extreme_zones(
    sectors: gpd.GeoDataFrame, baseline: shapely.Geometry, territory: shapely.Geometry, end: str
) -> gpd.GeoDataFrame:
    """Return, per sector, the smallest (``end="low"``) or largest (``"high"``) zone its sources allow.

    High: the union over the sector's parameter sets, each at the top of its stated range.
    Low: the smallest of its parameter sets at the bottom of its range. A sector whose depth
    or width some parameter set leaves unreported has no bound on that side (its size
    could be anything from one position up), so it is left out of the low end and flagged
    ``open`` for the high end. Columns: ``sector``, ``component``, ``open``, geometry.
    """
    if end not in ("low", "high"):
        raise UsageError(f"end must be 'low' or 'high', got {end!r}.")
    table = sectors if "sector" in sectors.columns else sectors.assign(sector=sectors["id"])
    rows = []
    for sid, group in table.groupby("sector", sort=False):
        pieces, unbounded = [], False
        for _, row in group.iterrows():
            depth, width = _bound(row, "max" if end == "high" else "min")
            if math.isnan(depth) or (_needs_width(row) and math.isnan(width)):
                unbounded = True
                continue
            pieces.append(build(prepare(row, baseline, territory), depth, width))
        if end == "high":
            geom = shapely.union_all(pieces) if pieces else shapely.Polygon()
        else:
            geom = shapely.Polygon() if unbounded or not pieces else min(pieces, key=lambda g: float(area(g)[0]))
        rows.append({"sector": sid, "component": _component(group).iloc[0], "open": unbounded, "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


# ----------------------------------------------------------------------------- over time
def active(sectors: pd.DataFrame, on: str | dt.date) -> np.ndarray:
    """Return which sectors are in force on a date (date <= on <= end_date, when given)."""
    day = parse_date(on, "--date") if isinstance(on, str) else on
    start = sectors["date"].map(lambda d: parse_date(d, "sector date"))
    end = sectors["end_date"].map(lambda d: parse_date(d, "sector end date") if isinstance(d, str) and d else None)
    return ((start <= day) & end.map(lambda e: e is None or day <= e)).to_numpy()


def breakdown(
    zone_union: shapely.Geometry, units: gpd.GeoDataFrame, *, label: str = "name", fill_gaps: bool = False
) -> pd.DataFrame:
    """Return the area (km²) of ``zone_union`` in each unit (province, community), largest first.

    Unit polygons from gazetteers do not tile a country exactly. The part of the zones
    outside every unit is either given to the nearest unit (``fill_gaps``; right for
    provinces, whose gaps are slivers along the border) or reported as its own row
    ``(outside unit polygons)``, so the rows always add up to the total.
    """
    if zone_union.is_empty:
        return pd.DataFrame(columns=[label, "area_km2"])
    idx = units.sindex.query(zone_union, predicate="intersects")
    sub = units.iloc[idx]
    pieces = shapely.intersection(sub.geometry.to_numpy(), zone_union)
    names = list(sub[label])
    values = list(area(pieces))
    rest = shapely.difference(zone_union, shapely.union_all(sub.geometry.to_numpy()))
    rest_parts = [g for g in shapely.get_parts(rest) if g.geom_type == "Polygon" and not g.is_empty]
    if rest_parts and fill_gaps:
        tree = shapely.STRtree(units.geometry.to_numpy())
        nearest = tree.query_nearest(shapely.point_on_surface(rest_parts), all_matches=False)[1]
        names += list(units[label].to_numpy()[nearest])
        values += list(area(rest_parts))
    elif rest_parts:
        names.append("(outside unit polygons)")
        values.append(float(area(rest_parts).sum()))
    table = pd.DataFrame({label: names, "area_km2": values})
    table = table[table["area_km2"] > 1e-6].groupby(label, as_index=False)["area_km2"].sum()
    return table.sort_values("area_km2", ascending=False).reset_index(drop=True)


def timeline(
    zone_frame: gpd.GeoDataFrame, dates: Iterable[str] | None = None, provinces: gpd.GeoDataFrame | None = None
) -> pd.DataFrame:
    """Return the cumulative modelled area (km², overlaps counted once) on each date.

    ``zone_frame`` is the output of :func:`zones` for all sectors. Dates default to every
    date on which a sector starts or ends (the day after an end date). With
    ``provinces``, one extra column per province gives its share (gaps between the
    province polygons go to the nearest province).
    """
    if dates is None:
        starts = set(zone_frame["date"])
        ends = {
            (parse_date(e) + dt.timedelta(days=1)).isoformat()
            for e in zone_frame["end_date"]
            if isinstance(e, str) and e
        }
        dates = sorted(starts | ends)
    rows = []
    for day in dates:
        on = active(zone_frame, day)
        union = shapely.union_all(zone_frame.geometry.to_numpy()[on]) if on.any() else shapely.Polygon()
        row = {"date": day, "sectors": int(on.sum()), "area_km2": float(area(union)[0])}
        if provinces is not None:
            for _, r in breakdown(union, provinces, fill_gaps=True).iterrows():
                row[f"area_km2_{r['name']}"] = r["area_km2"]
        rows.append(row)
    return pd.DataFrame(rows).fillna(0.0)


def consistency(
    events: gpd.GeoDataFrame, zone_frame: gpd.GeoDataFrame, types: tuple[str, ...] = ("incursion", "occupied position")
) -> pd.DataFrame:
    """Check reported positions against the model: which zone in force that day holds each one.

    Returns one row per event of ``types`` whose position is reported (area-named events
    are skipped, see :func:`borderkit.events.reported`): its computed distance to the baseline, the
    depth the report states, the zones containing it on its date (empty: it lies outside
    every modelled zone, which the table reports rather than hides).
    """
    # an area-named event's point is the centre of the town or province its report names:
    # whether a zone covers it says nothing about the model, so only reported positions count
    chosen = reported(events)
    chosen = chosen[chosen["type"].isin(types)]
    rows = []
    for _, ev in chosen.iterrows():
        on = active(zone_frame, ev["date"])
        inside = [
            sid
            for sid, geom, ok in zip(zone_frame["sector"], zone_frame.geometry, on, strict=True)
            if ok and geom.buffer(1e-9).contains(ev.geometry)
        ]
        rows.append(
            {
                "event": ev["id"],
                "date": ev["date"],
                "type": ev["type"],
                "distance_to_line_km": ev.get("distance_to_line_km"),
                "stated_depth_km": ev.get("distance_km"),
                "in_zone": ";".join(inside),
                "consistent": bool(inside),
            }
        )
    return pd.DataFrame(rows)
