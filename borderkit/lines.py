"""Derive border lines from polygons and split them into named sections (pure functions)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely import STRtree

__all__ = ["shared_border", "split_sections", "distance_to_line"]


def shared_border(a: shapely.Geometry, b: shapely.Geometry, *, snap_m: float = 0.0) -> shapely.Geometry:
    """Return the line two (multi)polygons share, merged into as few parts as possible.

    Parameters
    ----------
    a, b
        Polygons in lon/lat. They should touch without overlapping.
    snap_m
        When the two sources do not share vertices exactly, take the part of ``a``'s
        outline within this distance (metres, ~1e-5° per metre) of ``b``. 0 means the
        edges must coincide exactly, which is true of topologically built datasets.

    Returns
    -------
    shapely.MultiLineString
        Empty when the polygons do not touch.
    """
    if snap_m > 0:
        line = a.boundary.intersection(b.buffer(snap_m / 111_320.0))
    else:
        line = a.boundary.intersection(b.boundary)
    # an empty intersection is an empty LineString, which would merge into an empty GeometryCollection
    lines = [g for g in shapely.get_parts(line) if g.geom_type in ("LineString", "MultiLineString") and not g.is_empty]
    if not lines:
        return shapely.MultiLineString()
    merged = shapely.line_merge(shapely.union_all(lines))
    if merged.geom_type == "LineString":
        merged = shapely.MultiLineString([merged])
    return merged


def split_sections(line: shapely.Geometry, labels: gpd.GeoDataFrame, *, column: str = "section") -> gpd.GeoDataFrame:
    """Split a line into sections by the nearest labelled polygon of each segment.

    Each segment of ``line`` takes the label of the polygon nearest its midpoint (on a
    tie, the label listed first, so list the most specific labels first); segments
    with the same label are joined. This is robust when the
    labelling polygons (e.g. provinces from another source) do not follow the line
    exactly, and works the same for every rendering of the line.

    Parameters
    ----------
    line
        (Multi)LineString in lon/lat.
    labels
        GeoDataFrame of polygons with a ``column`` of section names.
    column
        Name of the label column.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per label that the line touches, with ``column`` and a (Multi)LineString
        geometry, in the order of ``labels``.
    """
    parts = shapely.get_parts(line)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    same = part[1:] == part[:-1]
    start, end = coords[:-1][same], coords[1:][same]
    segments = shapely.linestrings(np.stack([start, end], axis=1))
    midpoints = shapely.points((start + end) / 2)
    tree = STRtree(labels.geometry.to_numpy())
    seg, hit = tree.query_nearest(midpoints, all_matches=True)
    # ties (a segment touching two labels) go to the label listed first
    nearest = np.full(len(midpoints), len(labels))
    np.minimum.at(nearest, seg, hit)
    seg_label = labels[column].to_numpy()[nearest]
    rows = []
    for name in dict.fromkeys(labels[column]):
        mask = seg_label == name
        if mask.any():
            merged = shapely.line_merge(shapely.union_all(segments[mask]))
            rows.append({column: name, "geometry": merged})
    return gpd.GeoDataFrame(rows, columns=[column, "geometry"], geometry="geometry", crs=4326)


def distance_to_line(points, line: shapely.Geometry) -> np.ndarray:
    """Return each point's geodesic distance (km) to the nearest point of ``line``.

    The nearest point is found in a local equal-area projection (good to well under
    1% for the distances involved); the distance itself is geodesic on WGS84.
    """
    from pyproj import Geod, Transformer

    from borderkit.measure import local_equal_area_crs

    pts = np.asarray(points, dtype=object)
    crs = local_equal_area_crs([line, *pts])
    fwd = Transformer.from_crs(4326, crs, always_xy=True)
    back = Transformer.from_crs(crs, 4326, always_xy=True)
    line_p = shapely.transform(line, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
    pts_p = shapely.transform(pts, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
    nearest = shapely.get_coordinates(shapely.shortest_line(pts_p, line_p))[1::2]
    lon2, lat2 = back.transform(nearest[:, 0], nearest[:, 1])
    xy = shapely.get_coordinates(pts)
    _, _, dist = Geod(ellps="WGS84").inv(xy[:, 0], xy[:, 1], lon2, lat2)
    return np.asarray(dist) / 1000.0
