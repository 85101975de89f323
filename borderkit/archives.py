"""Components measured from a monitor's archive: how published figures about observed data enter the account.

A monitor that maps a conflict publishes dated control polygons, and its headline figures
("N km² taken in September") are counted from them. borderkit reads such a figure like any
other, on the component its source says it covers; here that component is itself a
measurement of an archive the case names (``case.toml [observed]``): a ``covers`` cell of
``observed-net:NAME@START/END``, ``observed-gained:NAME@START/END`` or
``observed-held:NAME@START/END`` measures the net change, the gains alone, or the ground held
on END, between the two dates (ISO, within the archive's span), with
:func:`borderkit.observed.measure_period`. Without ``@START/END`` the period runs from the
component's ``start`` to the archive's last date. (The component's own ``end`` keeps its
meaning: the day the land was handed back.)

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
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd
import shapely

from borderkit.account import Feature, Geometry, Variant
from borderkit.catalogue import parse_covers
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

#: ``covers`` layer names that measure an archive, and what each measures.
ARCHIVE_LAYERS = {"observed-net": "net", "observed-gained": "gained", "observed-held": "held"}
#: How far the ``other-dates`` variants shift a period, besides by its own length.
WEEK = dt.timedelta(days=7)
_WORDS = {"net": "net change", "gained": "ground gained", "held": "ground held"}


@dataclasses.dataclass(frozen=True)
class Measured:
    """A component measured from an archive: its area, what the mechanisms may use, and how it was measured."""

    area_km2: float
    geometry: Geometry
    basis: str


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
    try:
        start, end = (dt.date.fromisoformat(d) for d in period.split("/"))
        ordered = start < end
    except ValueError:
        ordered = False
    if not ordered:
        raise InputError(
            f"{at}: covers {layer}:{text}: the period {period!r} is not two dates in order. "
            f"Write {layer}:{name}@2024-01-01/2024-02-01 (from/to, YYYY-MM-DD), or leave out '@...'."
        )
    return ArchiveRef(ARCHIVE_LAYERS[layer], name, start, end)


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
    return Measured(value, geometry, words)


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
    """Return a period's length: whole calendar months when it runs from a day of the month to the same day."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return pd.DateOffset(months=months) if start.day == end.day and months > 0 else end - start


def _other_dates(series: gpd.GeoDataFrame, measure: str, start: dt.date, end: dt.date) -> list[Variant]:
    """Return the same measure over the period before and after, and a week earlier and later.

    A period of whole calendar months (1 Jan to 1 Feb) moves by months (the period after is
    1 Feb to 1 Mar), so "September's gains" are compared with August's and October's.
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
    }
    out = []
    for other in (m for m in ("net", "gained", "held") if m != measure):
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
            raise InputError(f"{at}: {exc}") from None
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
