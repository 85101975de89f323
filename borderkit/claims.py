"""Claimed lines and what they change: the share of a feature on each side, and roads across the baseline.

A claim here divides one feature (a lake, an island, a pass) between the subject and the
counterpart by a stated share; :func:`feature_shares` measures that share under every
baseline rendering and every claim. :func:`crossings` finds the stretches of a road on
the other side of a baseline. Pure functions over geometries (lon/lat) and GeoDataFrames;
no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderkit.errors import GeometryError
from borderkit.measure import area, length

__all__ = ["lake_cut", "territory_under_claim", "feature_shares", "stated_shares", "claim_name", "crossings"]


def lake_cut(lake: shapely.Geometry, south_share: float, *, tol: float = 1e-6) -> shapely.LineString:
    """Return the east-west line across ``lake`` that leaves ``south_share`` of its area south of it.

    Found by bisection on latitude, with areas measured geodesically. It renders claims
    stated as shares ("the line crosses the northern third") as a line that can be mapped.
    The name is historical: ``lake`` may be any polygon.
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


def territory_under_claim(
    territory: shapely.Geometry, feature: shapely.Geometry, subject_share: float
) -> shapely.Geometry:
    """Return the subject's territory as a claim draws it around a feature: its southern share is the subject's.

    Claims stated as shares are drawn as east-west cuts with the subject to the south (as
    the bundled case's reports describe; mirror the feature for the other orientation).
    ``subject_share=0`` puts the whole feature on the counterpart's side. Land away from the
    feature is unchanged: the claims are about the feature only.
    """
    without = shapely.difference(territory, feature)
    if subject_share <= 0:
        return without
    xmin, ymin, xmax, ymax = feature.bounds
    cut_y = shapely.get_coordinates(lake_cut(feature, subject_share))[:, 1].mean()
    south = shapely.intersection(feature, shapely.box(xmin - 1, ymin - 1, xmax + 1, cut_y))
    return shapely.union(without, south)


def feature_shares(
    feature: shapely.Geometry, renderings: Mapping[str, shapely.Geometry], claims: Mapping[str, float]
) -> pd.DataFrame:
    """Return a feature's share on each side for every baseline rendering and every claim.

    Parameters
    ----------
    feature
        The polygon the claims divide (lon/lat), e.g. a lake.
    renderings
        Baseline name -> the subject's territory that rendering bounds.
    claims
        Claim name -> the subject's share of the feature the claim states (0..1).

    Returns
    -------
    pandas.DataFrame
        One row per rendering as drawn (claim ``as drawn``) and per (rendering, claim):
        ``subject_pct``, ``counterpart_pct`` (they sum to 100), ``feature_km2`` and
        ``area_between_km2``: the area that changes side between that rendering's line
        and the claimed line.
    """
    total = area(feature)[0]

    def row(name: str, claim: str, subject_km2: float, moved_km2: float) -> dict:
        return {"baseline": name, "claim": claim, "subject_pct": 100 * subject_km2 / total,
                "feature_km2": total, "area_between_km2": moved_km2}  # fmt: skip

    rows = []
    for name, territory in renderings.items():
        rows.append(row(name, "as drawn", area(shapely.intersection(feature, territory))[0], 0.0))
        for claim, share in claims.items():
            claimed = territory_under_claim(territory, feature, share)
            moved = shapely.intersection(feature, shapely.symmetric_difference(territory, claimed))
            rows.append(row(name, claim, area(shapely.intersection(feature, claimed))[0], area(moved)[0]))
    table = pd.DataFrame(rows, columns=["baseline", "claim", "subject_pct", "feature_km2", "area_between_km2"])
    table.insert(3, "counterpart_pct", 100.0 - table["subject_pct"])
    return table


def stated_shares(claims: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Return feature reference -> {claim name: the subject's share} from a claims table.

    ``claims`` has ``id``, ``feature`` (``layer:id`` of the feature the claim divides) and
    ``subject_share`` (0..1). A claim's name is its id without the ``claim-`` prefix and
    the feature's own id: ``claim-my-lake-north`` on ``lakes:my-lake`` is ``north``.
    """
    out: dict[str, dict[str, float]] = {}
    for cid, ref, share in zip(claims["id"], claims["feature"], claims["subject_share"], strict=True):
        out.setdefault(str(ref), {})[claim_name(cid, ref)] = float(share)
    return out


def claim_name(claim_id: str, feature: str) -> str:
    """Return a claim's short name: its id without ``claim-`` and the id of the feature it divides."""
    return str(claim_id).removeprefix("claim-").removeprefix(f"{str(feature).partition(':')[2]}-")


def crossings(lines: gpd.GeoDataFrame, territory: shapely.Geometry) -> gpd.GeoDataFrame:
    """Return the stretches of each line that lie outside ``territory``, with geodesic lengths.

    For a road inside the subject's territory, these are the stretches on the other side
    of the baseline (where, for example, checkpoints were put on a road that crosses it).

    Each stretch names its line by row position (``line``, counting from 1) as well as by
    ``line_id``/``line_name``: ids may be missing or repeated in a user's file, and a
    line's length must come from that row, never from a lookup by id.

    The cost is linear in the number of lines: one spatial index over the lines drops
    those wholly inside the territory, and the others go through one vectorised difference,
    each against the territory clipped to its own envelope (see :func:`_local_land`).

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
    inside[shapely.STRtree(geoms).query(territory, predicate="contains")] = True
    todo = np.flatnonzero(~inside & ~shapely.is_empty(geoms))
    outside = shapely.difference(geoms[todo], _local_land(territory, geoms[todo]))
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
