"""Components measured from a monitor's archive: how published figures about observed data enter the account.

A monitor that maps a conflict publishes dated control polygons, and its headline figures
("N km² taken in September") are counted from them. borderkit reads such a figure like any
other, on the component its source says it covers; here that component is itself a
measurement of an archive the case names (``case.toml [observed]``): a ``covers`` cell of
``observed-net:NAME@PERIOD`` measures the net change over the period (gained minus lost),
``observed-gained``, ``observed-lost`` the gains or losses alone, ``observed-held`` the
ground held at its end, with :func:`borderkit.observed.measure_period`. PERIOD is a month
(``2024-09``: from the state at the end of August to the state at the end of September, as
``borderkit observed --every month`` counts it), a year (``2024``), or two dates
(``2024-09-01/2024-09-30``: the maps in force on each). Without ``@PERIOD`` the period runs
from the component's ``start`` to the archive's last date. (The component's own ``end``
keeps its meaning: the day the land stopped being held.) The measured quantity is complete
at the period's end, so totals count it from then.

The measurement is the component's prior, as tight as a drawn feature's. A figure that
misses it is then explained, where the archives allow, the same way other figures are: the
same ground counted over other dates (the period before or after, a week earlier or later),
by another definition (gains without the losses netted; the ground held rather than its
change) or on another monitor's maps (another archive the case names). These measurements
travel to the mechanisms as :class:`~borderkit.account.Variant` objects.

:func:`measure_components` reads the archives (I/O); :func:`component_measure` is pure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd
import shapely

from borderkit.account import Feature, Geometry, Variant
from borderkit.catalogue import ARCHIVE_LAYERS, parse_covers
from borderkit.errors import BorderkitError, InputError

__all__ = [
    "ARCHIVE_LAYERS",
    "ArchiveRef",
    "Measured",
    "is_archive_ref",
    "archive_refs",
    "component_measure",
    "measure_components",
]

#: How far the ``other-dates`` variants shift a period, besides by its own length.
WEEK = dt.timedelta(days=7)
_WORDS = {"net": "net change", "gained": "ground gained", "lost": "ground lost", "held": "ground held"}


@dataclasses.dataclass(frozen=True)
class Measured:
    """A component measured from an archive: its area, what mechanisms may use, how and over which period."""

    area_km2: float
    geometry: Geometry
    basis: str
    start: dt.date
    end: dt.date


def is_archive_ref(layer: str) -> bool:
    """Return whether a ``covers`` item's layer part names an archive measurement, not a layer."""
    return layer in ARCHIVE_LAYERS


@dataclasses.dataclass(frozen=True)
class ArchiveRef:
    """What a ``covers`` item asks of an archive: the measure, the archive's name and the period (None: default)."""

    measure: str
    name: str
    start: dt.date | None = None
    end: dt.date | None = None


def archive_refs(components: pd.DataFrame, where: str = "components.csv") -> dict[str, ArchiveRef]:
    """Return component id -> :class:`ArchiveRef` for the components measured from an archive.

    Raises
    ------
    InputError
        A component mixes an archive with other covers items (a component is one
        measurement: split it into parts instead), or its period is not two ISO dates in order.
    """
    out = {}
    for i, (cid, covers) in enumerate(zip(components["id"], components["covers"], strict=True)):
        items = parse_covers(covers)
        found = [(layer, ref) for layer, ref in items if is_archive_ref(layer)]
        at = f"{where} row {i + 2} ({cid})"
        if found and len(items) > 1:
            raise InputError(
                f"{at}: covers {covers!r} mixes an archive with other items. A component measured from an "
                "archive covers that one item; give the rest their own parts (part_of)."
            )
        if found:
            out[str(cid)] = _ref(*found[0], at)
    return out


def _ref(layer: str, text: str, at: str) -> ArchiveRef:
    name, sep, period = text.partition("@")
    if not sep:
        return ArchiveRef(ARCHIVE_LAYERS[layer], name)
    start, end = _period_dates(period, f"{at}: covers {layer}:{text}")
    return ArchiveRef(ARCHIVE_LAYERS[layer], name, start, end)


def _period_dates(period: str, at: str) -> tuple[dt.date, dt.date]:
    """Return a covers period's (start, end): ``YYYY-MM`` and ``YYYY`` as calendar periods, ``D1/D2`` as given."""
    help_ = "Write a month (@2024-09), a year (@2024) or two dates (@2024-09-01/2024-09-30)."
    if re.fullmatch(r"\d{4}-\d{2}", period) and 1 <= int(period[5:]) <= 12:
        month = pd.Period(period, freq="M")
        return (month - 1).end_time.date(), month.end_time.date()
    if re.fullmatch(r"\d{4}", period):
        year = pd.Period(period, freq="Y")
        return (year - 1).end_time.date(), year.end_time.date()
    days = period.split("/")
    if len(days) != 2:
        raise InputError(f"{at}: the period {period!r} is neither a month, a year nor two dates. {help_}")
    parsed = []
    for day in days:
        try:
            parsed.append(dt.date.fromisoformat(day))
        except ValueError:
            raise InputError(f"{at}: {day!r} is not a calendar date (YYYY-MM-DD). {help_}") from None
    start, end = parsed
    if start >= end:
        raise InputError(f"{at}: the period runs backwards or is empty. Give the earlier date first: @{end}/{start}.")
    return start, end


def component_measure(
    archives: Mapping[str, gpd.GeoDataFrame], name: str, measure: str, start: dt.date, end: dt.date | None
) -> Measured:
    """Measure a component from archive ``name`` and the variants the mechanisms may offer (pure).

    Parameters
    ----------
    archives
        Every archive of the case, by name, as :func:`borderkit.observed.states` (one row per
        date): ``name`` is measured, the others give the ``rendering`` variants.
    name, measure
        The archive and the measure (``net``, ``gained`` or ``held``).
    start, end
        The component's period; ``end`` None: the archive's last date.

    Raises
    ------
    UsageError
        The period reaches outside the archive (from :func:`borderkit.observed.measure_period`).
    """
    from borderkit.measure import area
    from borderkit.observed import measure_period

    series = archives[name]
    end = end or _span(series)[1]
    value, ground = measure_period(series, measure, start, end)
    latitude = float(shapely.centroid(ground).y) if not ground.is_empty else None
    words = f"{_WORDS[measure]} {_period(measure, start, end)} on {name}'s maps"
    variants = [
        *_other_dates(series, measure, start, end),
        *_definitions(series, measure, start, end),
        *_other_archives(archives, name, measure, start, end),
    ]
    feature = Feature(f"observed-{measure}:{name}", float(area(ground)[0]) if not ground.is_empty else 0.0, False)
    geometry = Geometry(latitude, (feature,), {}, 0.0, tuple(v for v in variants if v.area_km2 > 0))
    return Measured(value, geometry, words, start, end)


def _span(series: gpd.GeoDataFrame) -> tuple[dt.date, dt.date]:
    days = pd.to_datetime(series["date"]).dt.date
    return min(days), max(days)


def _period(measure: str, start: dt.date, end: dt.date) -> str:
    return f"on {end.isoformat()}" if measure == "held" else f"from {start.isoformat()} to {end.isoformat()}"


def _measure_or_none(series: gpd.GeoDataFrame, measure: str, start: dt.date, end: dt.date) -> float | None:
    """Return a measurement, or None when the period reaches outside this archive."""
    from borderkit.observed import measure_period

    first, last = _span(series)
    if start < first or end > last or start >= end:
        return None
    return measure_period(series, measure, start, end)[0]


def _shifted(day: dt.date, by: pd.DateOffset | dt.timedelta) -> dt.date:
    return (pd.Timestamp(day) + by).date()


def _length(start: dt.date, end: dt.date) -> pd.DateOffset | dt.timedelta:
    """Return a period's length: whole calendar months when it runs month end to month end, or day to same day."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and _month_end(start) and _month_end(end):
        return pd.offsets.MonthEnd(months)
    return pd.DateOffset(months=months) if start.day == end.day and months > 0 else end - start


def _month_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).day == 1


def _other_dates(series: gpd.GeoDataFrame, measure: str, start: dt.date, end: dt.date) -> list[Variant]:
    """Return the same measure over the period before and after, and a week earlier and later.

    A period of whole calendar months (31 Aug to 30 Sep, or 1 Sep to 1 Oct) moves by months,
    so "September's gains" are compared with August's and October's.
    """
    length = _length(start, end)
    shifts = [(-length, "the period before"), (length, "the period after"), (-WEEK, "a week earlier"),
              (WEEK, "a week later")]  # fmt: skip
    out = []
    for shift, words in shifts:
        a, b = _shifted(start, shift), _shifted(end, shift)
        value = _measure_or_none(series, measure, a, b)
        if value is not None:
            out.append(Variant("other-dates", f"counted over {words}: {_WORDS[measure]} {_period(measure, a, b)}",
                               value))  # fmt: skip
    return out


def _definitions(series: gpd.GeoDataFrame, measure: str, start: dt.date, end: dt.date) -> list[Variant]:
    """Return the same period counted by the other definitions: gains alone, net change, or the ground held."""
    words = {
        "gained": "counted as gains alone, the ground lost not netted",
        "net": "counted as the net change, the ground lost netted",
        "held": f"counted as all the ground held on {end.isoformat()}, not its change",
        "lost": "counted as the ground lost alone",
    }
    out = []
    for other in (m for m in ("net", "gained", "held") if m != measure):  # losses are no reading of a gain
        value = _measure_or_none(series, other, start, end)
        if value is not None:
            out.append(Variant("definition", words[other], value))
    return out


def _other_archives(
    archives: Mapping[str, gpd.GeoDataFrame], name: str, measure: str, start: dt.date, end: dt.date
) -> list[Variant]:
    """Return the same measure and period on each other archive the case names: another monitor's maps."""
    out = []
    for other, series in sorted(archives.items()):
        value = None if other == name else _measure_or_none(series, measure, start, end)
        if value is not None:
            out.append(Variant("rendering", f"measured on {other}'s maps instead of {name}'s", value))
    return out


# ----------------------------------------------------------------------------- reading the case's archives
def measure_components(components: pd.DataFrame, *, where: str = "components.csv") -> dict[str, Measured]:
    """Measure every component the case measures from an archive (reads the archives the manifest names).

    Raises
    ------
    InputError
        A component names an archive the manifest lacks, a period outside its archive, or
        measures no ground (the account fits areas above zero): the message names the row.
    """
    refs = archive_refs(components, where)
    if not refs:
        return {}
    from borderkit.case import current

    case = current()
    rows = {cid: i for i, cid in enumerate(components["id"])}
    archives = {}
    for name in case.observed:
        archives[name] = _read(case.observed_source(name))
    out = {}
    for cid, ref in refs.items():
        name = ref.name
        at = f"{where} row {rows[cid] + 2} ({cid})"
        if name not in archives:
            listed = ", ".join(sorted(archives)) or "none"
            raise InputError(
                f"{at}: covers archive {name!r}, which {case.folder / 'case.toml'} does not name under [observed] "
                f'(it names: {listed}). Add a line {name} = "folder/or/*.geojson" there, or fix the covers cell.'
            )
        start = ref.start or dt.date.fromisoformat(components.iloc[rows[cid]]["start"])
        try:
            measured = component_measure(archives, name, ref.measure, start, ref.end)
        except BorderkitError as exc:
            first, last = _span(archives[name])
            raise InputError(
                f"{at}: the period {start} to {ref.end or last} is not within archive {name}, which runs from {first} "
                f"to {last} (borderkit does not guess the ground before the first map or after the last). Give a "
                "period within it."
            ) from exc
        if not measured.area_km2 > 0:
            raise InputError(
                f"{at}: the {measured.basis} measures {measured.area_km2:.3f} km². The account fits areas above "
                "zero: cover observed-gained (gains alone) or change the dates."
            )
        out[cid] = measured
    return out


def _read(source: str) -> gpd.GeoDataFrame:
    """Read an archive once per version of its files (a reconcile reads each archive for every component)."""
    from borderkit.observed import archive_files

    files = archive_files(source)
    return _read_cached(source, tuple(f.stat().st_mtime_ns for f in files))


@functools.lru_cache(maxsize=8)
def _read_cached(source: str, mtimes: tuple[int, ...]) -> gpd.GeoDataFrame:
    from borderkit.observed import read_archive

    return read_archive(source, workers=1)[0]
