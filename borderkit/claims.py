"""Claimed lines and what they change: the Sev Lake shares, and roads across the baseline.

Pure functions over geometries (lon/lat) and GeoDataFrames; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderkit.errors import GeometryError
from borderkit.measure import area, length

__all__ = ["lake_cut", "armenia_under_claim", "lake_shares", "crossings"]


def lake_cut(lake: shapely.Geometry, south_share: float, *, tol: float = 1e-6) -> shapely.LineString:
    """Return the east-west line across ``lake`` that leaves ``south_share`` of its area south of it.

    Found by bisection on latitude, with areas measured geodesically. It renders claims
    stated as shares ("the line crosses the northern third") as a line that can be mapped.
    """
    xmin, ymin, xmax, ymax = lake.bounds
    total = area(lake)[0]
    lo, hi = ymin, ymax
    while hi - lo > tol:
        mid = (lo + hi) / 2
        south = area(shapely.intersection(lake, shapely.box(xmin - 1, ymin - 1, xmax + 1, mid)))[0]
        lo, hi = (mid, hi) if south < south_share * total else (lo, mid)
    y = (lo + hi) / 2
    return shapely.intersection(shapely.LineString([(xmin - 0.01, y), (xmax + 0.01, y)]), lake.buffer(1e-9))


def armenia_under_claim(armenia: shapely.Geometry, lake: shapely.Geometry, armenian_share: float) -> shapely.Geometry:
    """Return Armenia as a claim draws it around a lake: the lake's southern share is Armenian.

    ``armenian_share=0`` puts the whole lake in Azerbaijan (Azerbaijan's map of Sev Lake).
    Land away from the lake is unchanged: the claims here are about the lake only.
    """
    without_lake = shapely.difference(armenia, lake)
    if armenian_share <= 0:
        return without_lake
    xmin, ymin, xmax, ymax = lake.bounds
    cut_y = shapely.get_coordinates(lake_cut(lake, armenian_share))[:, 1].mean()
    south = shapely.intersection(lake, shapely.box(xmin - 1, ymin - 1, xmax + 1, cut_y))
    return shapely.union(without_lake, south)


def lake_shares(
    lake: shapely.Geometry, renderings: Mapping[str, shapely.Geometry], claims: Mapping[str, float]
) -> pd.DataFrame:
    """Return the lake's share on each side for every baseline rendering and every claim.

    Parameters
    ----------
    lake
        The lake polygon (lon/lat).
    renderings
        Baseline name -> the Armenia polygon that rendering bounds.
    claims
        Claim name -> the Armenian share of the lake the claim states (0..1).

    Returns
    -------
    pandas.DataFrame
        One row per rendering as drawn (claim ``as drawn``) and per (rendering, claim):
        ``armenia_pct``, ``azerbaijan_pct`` (they sum to 100), ``lake_km2`` and
        ``area_between_km2``: the area that changes side between that rendering's line
        and the claimed line.
    """
    total = area(lake)[0]
    rows = []
    for name, armenia in renderings.items():
        arm_here = area(shapely.intersection(lake, armenia))[0]
        rows.append(
            {
                "baseline": name,
                "claim": "as drawn",
                "armenia_pct": 100 * arm_here / total,
                "lake_km2": total,
                "area_between_km2": 0.0,
            }
        )
        for claim, share in claims.items():
            claimed = armenia_under_claim(armenia, lake, share)
            arm_claim = area(shapely.intersection(lake, claimed))[0]
            moved = area(shapely.intersection(lake, shapely.symmetric_difference(armenia, claimed)))[0]
            rows.append(
                {
                    "baseline": name,
                    "claim": claim,
                    "armenia_pct": 100 * arm_claim / total,
                    "lake_km2": total,
                    "area_between_km2": moved,
                }
            )
    table = pd.DataFrame(rows)
    table.insert(3, "azerbaijan_pct", 100.0 - table["armenia_pct"])
    return table


def crossings(lines: gpd.GeoDataFrame, armenia: shapely.Geometry) -> gpd.GeoDataFrame:
    """Return the stretches of each line that lie outside Armenia, with geodesic lengths.

    For a road inside Armenia, these are the stretches on the other side of the
    baseline (where, for example, checkpoints were put on the Goris-Kapan road).

    Each stretch names its line by row position (``line``, counting from 1) as well as by
    ``line_id``/``line_name``: ids may be missing or repeated in a user's file, and a
    line's length must come from that row, never from a lookup by id.

    The cost is linear in the number of lines: one spatial index over the lines drops
    those wholly inside Armenia, and the others go through one vectorised difference, each
    against Armenia clipped to its own envelope (see :func:`_local_land`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``line``, ``line_id``, ``line_name``, the stretch geometry, ``length_km`` (the
        stretch) and ``line_length_km`` (the whole line of that row), lengths geodesic.
    """
    kinds = set(lines.geom_type.fillna("missing"))
    if not kinds <= {"LineString", "MultiLineString"}:
        raise GeometryError(
            f"Crossings need line features; found {', '.join(sorted(kinds))}. "
            "Give LineString or MultiLineString features (a road, a track)."
        )
    geoms = lines.geometry.to_numpy()
    whole = length(geoms)
    ids = lines["id"].to_numpy() if "id" in lines else np.full(len(lines), None)
    names = lines["name"].to_numpy() if "name" in lines else np.full(len(lines), None)
    inside = np.zeros(len(geoms), dtype=bool)
    inside[shapely.STRtree(geoms).query(armenia, predicate="contains")] = True
    todo = np.flatnonzero(~inside & ~shapely.is_empty(geoms))
    outside = shapely.difference(geoms[todo], _local_land(armenia, geoms[todo]))
    parts, owner = shapely.get_parts(shapely.line_merge(outside), return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)  # 1: LineString
    parts, rows = parts[keep], todo[owner[keep]]
    out = gpd.GeoDataFrame(
        {
            "line": rows + 1,
            "line_id": ids[rows],
            "line_name": names[rows],
            "geometry": parts,
            "length_km": length(parts),
            "line_length_km": whole[rows],
        },
        geometry="geometry",
        crs=4326,
    )
    return out


def _local_land(land: shapely.Geometry, geoms: np.ndarray) -> np.ndarray:
    """Return ``land`` clipped to each geometry's envelope, widened so no clip edge comes near it.

    A difference costs in the vertices of both operands; clipping first (a linear scan,
    no noding) lets each line meet only the few hundred vertices of land around it, and
    the difference is unchanged: the clip's own edges lie outside the line's envelope.
    A clip that GEOS leaves invalid (its fast clip does not repair) is replaced by the
    exact intersection with the same box.
    """
    pad = 1e-3  # degrees (about 100 m): any margin > 0 keeps the clip's edges off the line
    bounds = shapely.bounds(geoms) + np.array([-pad, -pad, pad, pad])
    clipped = np.array([shapely.clip_by_rect(land, *b) for b in bounds], dtype=object)
    bad = ~shapely.is_valid(clipped)
    if bad.any():
        clipped[bad] = shapely.intersection(land, shapely.box(*bounds[bad].T))
    return clipped
