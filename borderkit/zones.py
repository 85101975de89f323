"""The occupation model: sectors (stated, sourced parameters) -> zone polygons -> timeline.

Nobody publishes the polygons, so borderkit never draws an "occupied area" by hand. A
sector is a stretch of the baseline between two anchors (or a span centred on one), a
maximum depth into Armenia with its basis, a depth profile and a date range. Its zone is
the land on the Armenian side of the baseline within that depth of the stretch, clipped
to Armenia. Every zone is a **modelled hypothesis**, not a surveyed line.

Pure functions: GeoDataFrames and geometries in and out, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from borderkit.errors import UsageError
from borderkit.events import parse_date
from borderkit.measure import area

__all__ = [
    "PROFILES",
    "MODEL_NOTE",
    "depth_profile",
    "baseline_stretch",
    "sector_stretch",
    "zone",
    "zones",
    "active",
    "timeline",
    "breakdown",
]

#: Depth as a fraction of the maximum, at position t in [0, 1] along the stretch.
PROFILES = {
    "uniform": lambda t: np.ones_like(t),
    "triangular": lambda t: 1.0 - np.abs(2.0 * t - 1.0),
    "parabolic": lambda t: 4.0 * t * (1.0 - t),
}

MODEL_NOTE = (
    "modelled zones: the Armenian side of the baseline within each sector's stated depth of its "
    "stretch (hypotheses from reported parameters, not surveyed lines)"
)

#: Spacing (m) of the samples that carry a varying depth along the stretch.
SAMPLE_SPACING_M = 100.0


def depth_profile(name: str, t: np.ndarray) -> np.ndarray:
    """Return the depth fraction of profile ``name`` at positions ``t`` (0..1)."""
    if name not in PROFILES:
        raise UsageError(f"Unknown depth profile {name!r}. Allowed: {', '.join(PROFILES)}.")
    return PROFILES[name](np.asarray(t, dtype=float))


def _local(point: shapely.Point) -> tuple[Transformer, Transformer]:
    crs = CRS.from_proj4(f"+proj=laea +lat_0={point.y:.6f} +lon_0={point.x:.6f} +datum=WGS84 +units=m")
    return (Transformer.from_crs(4326, crs, always_xy=True), Transformer.from_crs(crs, 4326, always_xy=True))


def _apply(tr: Transformer, geom: Any) -> Any:
    return shapely.transform(geom, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))


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
        raise UsageError("A sector needs two anchors, or one anchor and a span in km.")
    return shapely.ops.substring(part, max(lo, 0.0), min(hi, part.length))


def _anchors(sector: Mapping) -> tuple[shapely.Point, shapely.Point | None, float | None]:
    a = shapely.Point(float(sector["anchor_a_lon"]), float(sector["anchor_a_lat"]))
    b_lon = sector.get("anchor_b_lon")
    if b_lon is not None and b_lon != "" and not pd.isna(b_lon):
        return a, shapely.Point(float(b_lon), float(sector["anchor_b_lat"])), None
    span = sector.get("span_km")
    return a, None, (float(span) * 1000.0 if span not in (None, "") and not pd.isna(span) else None)


def _local_stretch(sector: Mapping, baseline: shapely.Geometry):
    """Return (stretch in a local LAEA, forward and back transformers, clipping window)."""
    a, b, span = _anchors(sector)
    fwd, back = _local(a)
    reach = 0.6  # degrees around the anchors that any sector here can touch (~60 km)
    pts = [a] if b is None else [a, b]
    window = shapely.box(*shapely.MultiPoint(pts).buffer(reach).bounds)
    base_l = _apply(fwd, shapely.intersection(baseline, window))
    stretch = baseline_stretch(base_l, _apply(fwd, a), None if b is None else _apply(fwd, b), span_m=span)
    return stretch, fwd, back, window


def sector_stretch(sector: Mapping, baseline: shapely.Geometry) -> shapely.LineString:
    """Return the stretch of ``baseline`` (lon/lat) that a sector covers."""
    stretch, _, back, _ = _local_stretch(sector, baseline)
    return _apply(back, stretch)


def zone(
    sector: Mapping, baseline: shapely.Geometry, armenia: shapely.Geometry, *, depth_scale: float = 1.0
) -> shapely.Geometry:
    """Return the modelled zone of one sector for a given baseline and Armenia polygon (lon/lat).

    ``sector`` needs ``anchor_a_lon``, ``anchor_a_lat``, optional ``anchor_b_lon/lat`` or
    ``span_km``, ``depth_km`` and ``profile``. ``depth_scale`` multiplies the depth (used
    for implied-depth root finding and sensitivity studies).
    """
    depth_m = float(sector["depth_km"]) * 1000.0 * depth_scale
    if depth_m <= 0:
        return shapely.Polygon()
    stretch, fwd, back, window = _local_stretch(sector, baseline)
    profile = sector.get("profile") or "uniform"
    if profile == "uniform":
        reach_poly = stretch.buffer(depth_m)
    else:
        n = max(3, int(np.ceil(stretch.length / SAMPLE_SPACING_M)) + 1)
        t = np.linspace(0.0, 1.0, n)
        radii = depth_m * depth_profile(profile, t)
        pts = shapely.line_interpolate_point(stretch, t, normalized=True)
        keep = radii > 1.0
        reach_poly = shapely.union_all(shapely.buffer(pts[keep], radii[keep]))
    # clip in lon/lat, where Armenia is defined, so no sliver leaves it through reprojection
    return shapely.intersection(_apply(back, reach_poly), shapely.intersection(armenia, window))


def active(sectors: pd.DataFrame, on: str | dt.date) -> np.ndarray:
    """Return which sectors are in force on a date (date <= on <= end_date, when given)."""
    day = parse_date(on, "--date") if isinstance(on, str) else on
    start = sectors["date"].map(lambda d: parse_date(d, "sector date"))
    end = sectors["end_date"].map(lambda d: parse_date(d, "sector end date") if isinstance(d, str) and d else None)
    return ((start <= day) & end.map(lambda e: e is None or day <= e)).to_numpy()


def zones(
    sectors: gpd.GeoDataFrame,
    baseline: shapely.Geometry,
    armenia: shapely.Geometry,
    *,
    on: str | None = None,
    baseline_name: str = "soviet_line",
) -> gpd.GeoDataFrame:
    """Return one zone per sector (those in force ``on`` a date, if given), with its area.

    Columns follow the common schema (kind ``zone``), plus ``sector``, ``depth_km``,
    ``profile``, ``baseline`` and ``area_km2`` (geodesic).
    """
    chosen = sectors[active(sectors, on)] if on else sectors
    geoms = [zone(row, baseline, armenia) for _, row in chosen.iterrows()]
    out = gpd.GeoDataFrame(
        {
            "id": "zone-" + chosen["id"].str.removeprefix("sec-"),
            "name": chosen["name"].to_numpy(),
            "kind": "zone",
            "claimant": "ARM",
            "holder": "AZE",
            "date": chosen["date"].to_numpy(),
            "end_date": chosen["end_date"].to_numpy(),
            "source": chosen["source"].to_numpy(),
            "method": [
                f"parametric sector, depth {d:g} km, {p} profile, baseline {baseline_name}"
                for d, p in zip(chosen["depth_km"].astype(float), chosen["profile"], strict=True)
            ],
            "confidence": chosen["confidence"].to_numpy(),
            "sector": chosen["id"].to_numpy(),
            "province": chosen["province"].to_numpy(),
            "depth_km": chosen["depth_km"].astype(float).to_numpy(),
            "profile": chosen["profile"].to_numpy(),
            "baseline": baseline_name,
        },
        geometry=geoms,
        crs=4326,
    )
    out["area_km2"] = area(out)
    return out.reset_index(drop=True)


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
    rest_parts = [g for g in shapely.get_parts(rest) if g.geom_type == "Polygon"]
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

    Returns one row per event of ``types``: its computed distance to the baseline, the
    depth the report states, the zones containing it on its date (empty: it lies outside
    every modelled zone, which the table reports rather than hides).
    """
    chosen = events[events["type"].isin(types)]
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
