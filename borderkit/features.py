"""Check parsed GeoJSON features and build a GeoDataFrame from them, with clear errors.

GeoJSON read from stdin does not pass through GDAL, so nothing else checks its
structure: a feature whose ``geometry`` is a string, a ring of two points or an unknown
geometry type must stop with a message that names the feature and says what is allowed,
not with a low-level ``TypeError`` from shapely.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import shapely.geometry

from borderkit.errors import InputError

__all__ = ["GEOMETRY_TYPES", "frame_from_features"]

#: The geometry types GeoJSON (RFC 7946) defines.
GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)

#: A property named like the geometry column is kept under this name (GDAL drops it silently).
RENAMED_GEOMETRY_PROPERTY = "geometry_property"

_HOW = "Each feature needs a geometry of type Point, LineString, Polygon, their Multi- forms or GeometryCollection."


def _where(index: int) -> str:
    return f"feature {index + 1}"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_numbers(coords: Any, index: int) -> None:
    """Refuse NaN, infinite and non-numeric coordinates anywhere in a nested list."""
    stack = [coords]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, bool) or not isinstance(item, int | float):
            raise InputError(
                f"{_where(index)}: a coordinate is {_short(item)}, not a number. "
                "Coordinates must be numbers: [lon, lat] or [x, y]."
            )
        elif not math.isfinite(item):
            raise InputError(
                f"{_where(index)}: a coordinate is {item}, not a finite number. "
                "Remove or fix that vertex; NaN and infinite coordinates cannot be measured."
            )


def _check_geometry(geometry: Any, index: int) -> None:
    """Check the shape of one GeoJSON geometry object (recursively for collections)."""
    if not isinstance(geometry, dict):
        raise InputError(f"{_where(index)}: its geometry is {_short(geometry)}, not a GeoJSON object. {_HOW}")
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        raise InputError(f"{_where(index)}: geometry type {_short(kind)} is not GeoJSON. {_HOW}")
    if kind == "GeometryCollection":
        parts = geometry.get("geometries")
        if not isinstance(parts, list):
            raise InputError(f"{_where(index)}: a GeometryCollection needs a 'geometries' list, got {_short(parts)}.")
        for part in parts:
            _check_geometry(part, index)
        return
    coords = geometry.get("coordinates")
    if not isinstance(coords, list):
        raise InputError(
            f"{_where(index)}: the {kind}'s coordinates are {_short(coords)}, not a list. "
            "See RFC 7946 section 3.1 for the nesting each type needs."
        )
    _check_numbers(coords, index)
    if kind in ("Polygon", "MultiPolygon"):
        _check_rings_closed(coords if kind == "Polygon" else [r for p in coords for r in p], index)


def _check_rings_closed(rings: list, index: int) -> None:
    """Refuse rings whose first and last positions differ (RFC 7946 3.1.6), as GDAL does.

    shapely would close such a ring silently, so a file and the same text on stdin would
    disagree; a ring that was cut short is more often damaged data than a shorthand.
    """
    for ring in rings:
        if isinstance(ring, list) and len(ring) >= 2 and ring[0] != ring[-1]:
            raise InputError(
                f"{_where(index)}: a polygon ring is not closed (it starts at {_short(ring[0])} and ends at "
                f"{_short(ring[-1])}). Polygon rings need at least 4 positions with the first repeated last."
            )


def _check_feature(feature: Any, index: int) -> dict:
    """Return the feature with ``properties`` as a dict, or raise naming what is wrong."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        got = feature.get("type") if isinstance(feature, dict) else type(feature).__name__
        raise InputError(f"{_where(index)} is {_short(got)}, not a GeoJSON Feature. Give Feature objects.")
    props = feature.get("properties")
    if props is not None and not isinstance(props, dict):
        raise InputError(
            f'{_where(index)}: its properties are {_short(props)}, not an object. Give "properties": {{...}} or null.'
        )
    geometry = feature.get("geometry")
    if geometry is not None:
        _check_geometry(geometry, index)
    props = dict(props or {})
    if "geometry" in props:
        props[RENAMED_GEOMETRY_PROPERTY] = props.pop("geometry")
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _to_shape(feature: dict, index: int) -> Any:
    """Build the shapely geometry, turning shapely's own refusals into a message for the user."""
    if feature["geometry"] is None:
        return None
    try:
        return shapely.geometry.shape(feature["geometry"])
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise InputError(
            f"{_where(index)}: its {feature['geometry']['type']} cannot be built ({exc}). "
            "Polygon rings need at least 4 positions with the first repeated last; "
            "positions are [x, y] or [x, y, z]."
        ) from None


def frame_from_features(features: Sequence[Any]) -> gpd.GeoDataFrame:
    """Return a GeoDataFrame (no CRS set) from GeoJSON feature dicts, checking each one.

    Parameters
    ----------
    features
        Parsed GeoJSON Feature objects, as :func:`borderkit.io.parse_features` returns.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature, a column per property key (in first-seen order). A property
        named ``geometry`` is kept as ``geometry_property``.

    Raises
    ------
    InputError
        Naming the first feature (1-based) that is not a Feature, has non-object
        properties, an unknown geometry type, non-numeric or non-finite coordinates, or
        coordinates shapely cannot build (a ring of fewer than 4 positions).

    Examples
    --------
    >>> frame_from_features([{"type": "Feature", "properties": {"a": 1},
    ...                       "geometry": {"type": "Point", "coordinates": [46.0, 39.5]}}])
       a         geometry
    0  1  POINT (46 39.5)
    """
    checked = [_check_feature(f, i) for i, f in enumerate(features)]
    columns = list(dict.fromkeys(k for f in checked for k in f["properties"]))
    rows = [[f["properties"].get(c) for c in columns] for f in checked]
    geometries = [_to_shape(f, i) for i, f in enumerate(checked)]
    return gpd.GeoDataFrame(rows, columns=columns, geometry=gpd.GeoSeries(geometries))
