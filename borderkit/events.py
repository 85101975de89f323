"""Reported events: their vocabulary, where a report places them, and selection by date and type.

Pure functions over the events layer. An event is drawn where its report places it. A
report that places it (a named height, a stated distance from a named place, coordinates,
or the village a strike or blockade hit) gives a ``reported`` position. A report that
names only a town, a province, a section or a direction gives an ``area-named`` one: the
point drawn is a reference for that area, not a position, and is never drawn, measured or
checked against the zones as if it were one (DESIGN.md, "The occupation model").
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from borderkit.errors import UsageError

if TYPE_CHECKING:  # keep 'borderkit --help' fast: the CLI imports EVENT_TYPES from here
    import geopandas as gpd

__all__ = [
    "EVENT_TYPES",
    "POSITIONS",
    "DATE_PRECISIONS",
    "OFFSET_FROM",
    "parse_date",
    "select_events",
    "offset_point",
    "placement",
    "reported",
]

EVENT_TYPES = (
    "incursion",
    "occupied position",
    "strike",
    "clash",
    "checkpoint/blockade",
    "capture",
    "withdrawal",
    "handover",
)

#: How an event's report places it. ``reported``: the report gives the position (a named
#: height, a stated distance from a named place or from the line near it, coordinates, or
#: the village a strike, blockade or handover was at). ``area-named``: the report names only
#: a town, province, section or direction. Troops "in Sisian" are on Sisian's lands, not in
#: the town 14 km from the line: for an incursion or an occupied position, a town or village
#: named without a distance, direction or height is an area, never a position.
POSITIONS = ("reported", "area-named")

#: How exact an event's date is: the day; about that day (a report says "about ten days
#: ago"); the month only; or the first day of a range given in the note.
DATE_PRECISIONS = ("day", "approx", "month", "range")

#: How a reported position is built from its named place when the report gives a distance:
#: ``line``, that many km into the country from the point of the line nearest the place,
#: towards the place ("advanced 300 m into our territory adjacent to the village");
#: ``place``, that many km from the place towards the nearest point of the line ("the
#: adversary is 4.5 km from the town").
OFFSET_FROM = ("line", "place")


def parse_date(text: str, what: str = "date") -> dt.date:
    """Parse an ISO date (YYYY-MM-DD, or YYYY-MM for the first of the month)."""
    for fmt in ("%Y-%m-%d", "%Y-%m"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise UsageError(f"{what} {text!r} is not a date. Use YYYY-MM-DD (or YYYY-MM), e.g. 2021-05-12.")


def select_events(
    events: gpd.GeoDataFrame, *, start: str | None = None, end: str | None = None, types: tuple[str, ...] = ()
) -> gpd.GeoDataFrame:
    """Return the events dated within [start, end] (inclusive) and of the given types, by date."""
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise UsageError(f"Unknown event type {unknown[0]!r}. Allowed: {', '.join(EVENT_TYPES)}.")
    first = parse_date(start, "--from") if start is not None else None
    last = parse_date(end, "--to") if end is not None else None
    if first and last and first > last:
        raise UsageError(f"--from {start} is after --to {end}: no date can be in that range. Swap them.")
    dates = events["date"].map(lambda d: parse_date(d, "event date"))
    keep = dates.notna()
    if first:
        keep &= dates >= first
    if last:
        keep &= dates <= last
    if types:
        keep &= events["type"].isin(types)
    return events[keep].sort_values(["date", "id"]).reset_index(drop=True)


def reported(events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the events whose report gives their position.

    Anything that treats an event's point as where something happened (the zones check,
    the viewshed of positions, depth statistics) must use these only: an ``area-named``
    event's point is the centre of the area its report names. A layer without a
    ``position`` column (a user's own events) is taken as reported, as it was drawn.
    """
    if "position" not in events:
        return events
    return events[events["position"] == "reported"]


def placement(position: str, named_area: str | None, method: str) -> str:
    """Return the plain-words line that tells a reader how far to trust an event's point.

    An ``area-named`` event says that its position was not reported and what the report
    names instead; a ``reported`` one says how the point was made from the report.
    """
    if position == "area-named":
        return f"position not reported: the report names only {named_area}"
    return f"as reported: {method}"


def offset_point(place, line, km: float, start: str):
    """Return the point ``km`` from ``place`` or from the line, along the shortest way between them.

    Reports give positions as a distance into the country near a named village ("800–900 m
    into our territory", from the line) or as a distance from a named town ("4.5 km from
    the town", towards the line). Both are measured along the geodesic between ``place`` and
    the nearest point of ``line``, found in an azimuthal equidistant projection centred on
    the place (distances from its centre are true geodesic distances). ``start`` is
    ``"line"`` or ``"place"`` (see :data:`OFFSET_FROM`).

    Raises
    ------
    ValueError
        If ``start`` is unknown, ``km`` is not positive, the place lies on the line (no
        direction) or, from the place, ``km`` would cross the line.
    """
    import numpy as np
    import shapely
    from pyproj import CRS, Geod, Transformer

    if start not in OFFSET_FROM:
        raise ValueError(f"offset from {start!r}: use one of {OFFSET_FROM}")
    if not km > 0:
        raise ValueError(f"offset {km!r} km: give a positive distance")
    crs = CRS.from_proj4(f"+proj=aeqd +lat_0={place.y:.8f} +lon_0={place.x:.8f} +datum=WGS84 +units=m")
    fwd = Transformer.from_crs(4326, crs, always_xy=True)
    back = Transformer.from_crs(crs, 4326, always_xy=True)
    projected = shapely.transform(line, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
    near = shapely.get_coordinates(shapely.shortest_line(shapely.Point(0, 0), projected))[1]
    lon_n, lat_n = back.transform(near[0], near[1])
    geod = Geod(ellps="WGS84")
    az_to_line, az_to_place, gap = geod.inv(place.x, place.y, lon_n, lat_n)
    if gap < 1.0:
        raise ValueError("the place lies on the line: no direction to measure a distance along")
    if start == "place":
        if km * 1000 >= gap:
            raise ValueError(f"{km} km from the place would reach the line, {gap / 1000:.2f} km away")
        lon, lat, _ = geod.fwd(place.x, place.y, az_to_line, km * 1000)
    else:
        lon, lat, _ = geod.fwd(lon_n, lat_n, az_to_place, km * 1000)
    return shapely.Point(float(lon), float(lat))
