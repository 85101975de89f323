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
    whole = length(lines.geometry)
    ids = lines["id"].to_numpy() if "id" in lines else np.full(len(lines), None)
    names = lines["name"].to_numpy() if "name" in lines else np.full(len(lines), None)
    rows = []
    for pos, geom in enumerate(lines.geometry.to_numpy()):
        outside = shapely.difference(geom, armenia)
        for part in shapely.get_parts(shapely.line_merge(outside)) if not outside.is_empty else []:
            if part.geom_type == "LineString" and part.length > 0:
                rows.append(
                    {
                        "line": pos + 1,
                        "line_id": ids[pos],
                        "line_name": names[pos],
                        "geometry": part,
                        "line_length_km": whole[pos],
                    }
                )
    columns = ["line", "line_id", "line_name", "geometry", "line_length_km"]
    out = gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=4326)
    out.insert(4, "length_km", length(out) if len(out) else np.zeros(0))
    return out
