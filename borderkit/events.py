"""Select reported events by date and type (pure functions over the events layer)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from borderkit.errors import UsageError

if TYPE_CHECKING:  # keep 'borderkit --help' fast: the CLI imports EVENT_TYPES from here
    import geopandas as gpd

__all__ = ["EVENT_TYPES", "parse_date", "select_events"]

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
