"""Reconcile the published figures: read components and figures, measure their geometry, build the account.

This module joins the data (a case's components and figures, as tables) to the pure
account (:mod:`borderkit.account`): it validates the tables row by row, measures what the
mechanisms need from the geometry (each component's pieces, their latitude, their area
under other renderings of the line), and lays the account out as tables and as the JSON
document ``borderkit reconcile --format json`` prints. Nothing here names a case: component
ids, layers and sectors come from the tables.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from borderkit.account import (
    KINDS,
    MECHANISMS,
    QUALIFIERS,
    SCOPES,
    Account,
    Component,
    Feature,
    Figure,
    Geometry,
    build_account,
    figure_sigma,
)
from borderkit.errors import InputError

__all__ = [
    "COMPONENT_COLUMNS",
    "COMPONENT_OPTIONAL",
    "FIGURE_COLUMNS",
    "FIGURE_OPTIONAL",
    "UNITS",
    "HEADER",
    "validate_components",
    "validate_figures",
    "to_components",
    "to_figures",
    "parse_covers",
    "component_geometry",
    "measure_priors",
    "reconcile",
    "frames",
    "document",
    "outlier_notes",
    "relations",
    "total_notes",
    "units_named",
    "null_note",
    "render",
]

HEADER = (
    "One account of the published figures: component areas fitted to every independent figure at "
    "once, each figure read as the components its source says it covers."
)
COMPONENT_COLUMNS = (
    "id",
    "label",
    "claimant",
    "holder",
    "kind",
    "start",
    "end",
    "covers",
    "prior_low_km2",
    "prior_high_km2",
    "prior_basis",
)
#: Optional component columns: ``part_of``, the id of the component this one is a part of.
COMPONENT_OPTIONAL = ("part_of",)
FIGURE_COLUMNS = ("id", "value", "unit", "qualifier", "date", "who", "components", "source", "quote")
FIGURE_OPTIONAL = (
    "value_high",
    "scope",
    "precision",
    "repeats",
    "supersedes",
    "address",
    "evidence",
    "date_precision",
    "note",
    "against",
)
#: Units a figure may be given in, and km² per unit.
UNITS = {"km2": 1.0, "ha": 0.01, "mi2": 2.589988110336}
#: Said before every list of explanations: "possible" is a coincidence until a source says otherwise.
CAVEAT = (
    "An explanation is 'supported' when the source's own words give it, 'possible' when only the number "
    "matches, 'contradicted' when the source's words rule it out. A possible explanation is no finding: its base "
    "rate is how often the same mechanism 'explains' a random figure."
)
#: Width of the text output: lines are wrapped to fit a 100-column terminal.
WIDTH = 100
#: Smallest prior low end (km²): one position, where no reported depth bounds a zone from below.
PRIOR_FLOOR_KM2 = 0.1


# ----------------------------------------------------------------------------- validation
def _date(text: str, where: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise InputError(f"{where}: {what} {text!r} is not a date. Use YYYY-MM-DD, e.g. 2021-05-12.") from None


def _positive(text: object, where: str, what: str) -> float:
    try:
        value = float(str(text).replace(",", ""))
    except ValueError:
        raise InputError(f"{where}: {what} {text!r} is not a number. Give a number, e.g. 41.") from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{where}: {what} {text!r} must be a positive finite number.")
    return value


def _missing(table: pd.DataFrame, required: Sequence[str], name: str, optional: Sequence[str] = ()) -> None:
    missing = [c for c in required if c not in table.columns]
    if missing:
        extra = f"; optional: {', '.join(optional)}" if optional else ""
        raise InputError(
            f"The {name} file lacks column(s) {', '.join(missing)}. Required: {', '.join(required)}{extra}."
        )


def _unique(table: pd.DataFrame, name: str) -> None:
    dup = table["id"][table["id"].duplicated()]
    if len(dup):
        row = int(dup.index[0]) + 2
        raise InputError(f"{name} row {row}: id {dup.iloc[0]!r} is used twice. Give every row its own id.")


def parse_covers(text: str) -> list[tuple[str, str]]:
    """Return the (layer, feature id) pairs of a ``covers`` cell: ``layer:id`` items separated by ``;``."""
    pairs = []
    for item in filter(None, (s.strip() for s in str(text).split(";"))):
        layer, sep, fid = item.partition(":")
        if not sep or not layer or not fid:
            raise ValueError(item)
        pairs.append((layer.strip(), fid.strip()))
    return pairs


def _check_component(row: pd.Series, where: str) -> None:
    for col in ("id", "label", "claimant", "holder", "prior_basis"):
        if not str(row[col]).strip():
            raise InputError(f"{where}: {col} is empty. Every component needs it.")
    if row["kind"] not in KINDS:
        raise InputError(f"{where}: kind {row['kind']!r} is not one of {', '.join(KINDS)}.")
    start = _date(row["start"], where, "start")
    if str(row["end"]).strip() and _date(row["end"], where, "end") < start:
        raise InputError(f"{where}: end {row['end']} is before start {row['start']}.")
    low = _positive(row["prior_low_km2"], where, "prior_low_km2")
    high = _positive(row["prior_high_km2"], where, "prior_high_km2") if row["prior_high_km2"] else math.inf
    if low > high:
        raise InputError(f"{where}: prior_low_km2 {low:g} is above prior_high_km2 {high:g}.")
    try:
        parse_covers(row["covers"])
    except ValueError as exc:
        raise InputError(f"{where}: covers item {exc.args[0]!r} is not layer:feature-id.") from None


def validate_components(table: pd.DataFrame) -> pd.DataFrame:
    """Check a components table row by row; raise :class:`InputError` naming the first bad row.

    Row numbers count the header as row 1, as a spreadsheet shows them.
    """
    _missing(table, COMPONENT_COLUMNS, "components", COMPONENT_OPTIONAL)
    out = table.fillna("").astype(str)
    for col in COMPONENT_OPTIONAL:
        out[col] = out.get(col, "")
    for i, row in out.iterrows():
        _check_component(row, f"components row {i + 2} (id {row['id']!r})")
    _unique(out, "components")
    _check_parts(out)
    return out


def _check_parts(table: pd.DataFrame) -> None:
    """Check ``part_of``: an existing id, the same claimant, holder and kind, no cycle; a whole covers nothing."""
    rows = table.set_index("id")
    wholes = set(table["part_of"]) - {""}
    for i, row in table.iterrows():
        where = f"components row {i + 2} (id {row['id']!r})"
        if row["id"] in wholes and row["covers"].strip():
            raise InputError(f"{where}: it has parts, so its covers must be empty (its parts cover the geometry).")
        parent, seen = row["part_of"], {row["id"]}
        if not parent:
            continue
        if parent not in rows.index:
            raise InputError(f"{where}: part_of {parent!r} is not the id of another component.")
        for col in ("claimant", "holder", "kind"):
            if rows.loc[parent, col] != row[col]:
                raise InputError(
                    f"{where}: {col} {row[col]!r} differs from its whole {parent!r} ({rows.loc[parent, col]!r})."
                )
        while parent:
            if parent in seen:
                raise InputError(f"{where}: part_of makes a cycle through {parent!r}.")
            seen.add(parent)
            parent = rows.loc[parent, "part_of"] if parent in rows.index else ""


def _evidence(text: str, quote: str, where: str, column: str = "evidence") -> dict[str, str]:
    """Parse ``mechanism=words | ...`` (``evidence`` or ``against``); each mechanism known, its words in the quote."""
    keys = [m.key for m in MECHANISMS]
    found = {}
    for item in filter(None, (s.strip() for s in str(text).split("|"))):
        key, sep, words = (p.strip() for p in item.partition("="))
        if not sep or key not in keys:
            raise InputError(f"{where}: {column} {item!r} is not mechanism=words, mechanism one of {', '.join(keys)}.")
        if words.lower() not in quote.lower():
            raise InputError(f"{where}: {column} words {words!r} are not in the quote. Quote the words that say so.")
        found[key] = words
    return found


def _check_values(row: pd.Series, where: str) -> None:
    value = _positive(row["value"], where, "value")
    if row["unit"] not in UNITS:
        raise InputError(f"{where}: unit {row['unit']!r} is not one of {', '.join(UNITS)}.")
    if row["qualifier"] not in QUALIFIERS:
        raise InputError(f"{where}: qualifier {row['qualifier']!r} is not one of {', '.join(QUALIFIERS)}.")
    high = str(row.get("value_high", "")).strip()
    if row["qualifier"] == "between" and (not high or _positive(high, where, "value_high") <= value):
        raise InputError(f"{where}: 'between' needs value_high greater than value.")
    if high and row["qualifier"] != "between":
        raise InputError(f"{where}: value_high is only for qualifier 'between'.")
    if row.get("scope", "") not in ("", *SCOPES):
        raise InputError(f"{where}: scope {row['scope']!r} is not one of {', '.join(SCOPES)}.")
    if str(row.get("precision", "")).strip() and not 0 < _positive(row["precision"], where, "precision") <= 2:
        raise InputError(f"{where}: precision {row['precision']!r} must be a relative uncertainty in (0, 2].")


def _check_scope(row: pd.Series, where: str, components: pd.DataFrame) -> None:
    known = components.set_index("id")
    ids = [c.strip() for c in str(row["components"]).split(";") if c.strip()]
    if not ids:
        raise InputError(f"{where}: components is empty. Name the components its source says it covers.")
    day = _date(row["date"], where, "date")
    for cid in ids:
        if cid not in known.index:
            raise InputError(f"{where}: unknown component {cid!r}. Allowed: {', '.join(known.index)}.")
        if dt.date.fromisoformat(known.loc[cid, "start"]) > day:
            raise InputError(f"{where}: component {cid!r} starts {known.loc[cid, 'start']}, after the date {day}.")
        end = known.loc[cid, "end"]
        if end and dt.date.fromisoformat(end) < day:
            raise InputError(f"{where}: component {cid!r} ended {end}, before the date {day}.")
    if len(ids) != len(set(ids)):
        raise InputError(f"{where}: components names a component twice.")
    for cid in ids:
        whole = known.loc[cid, "part_of"] if "part_of" in known.columns else ""
        while whole:
            if whole in ids:
                raise InputError(f"{where}: components names {cid!r} and its whole {whole!r}: name one of them.")
            whole = known.loc[whole, "part_of"]


def _check_links(table: pd.DataFrame) -> None:
    ids = set(table["id"])
    repeats = dict(zip(table["id"], table["repeats"], strict=True))
    for i, row in table.iterrows():
        where = f"figures row {i + 2} (id {row['id']!r})"
        for col in ("repeats", "supersedes"):
            target = row[col]
            if target and (target not in ids or target == row["id"]):
                raise InputError(f"{where}: {col} {target!r} is not the id of another figure in the file.")
    for i, row in table.iterrows():
        where = f"figures row {i + 2} (id {row['id']!r})"
        if row["repeats"] and repeats[row["repeats"]]:
            raise InputError(f"{where}: repeats {row['repeats']!r}, itself a repeat. Point to the original.")


def validate_figures(table: pd.DataFrame, components: pd.DataFrame) -> pd.DataFrame:
    """Check a figures table row by row against the components; raise :class:`InputError` at the first bad row.

    Returns the table as text with optional columns filled, plus ``value_km2`` and ``sigma``
    (the relative uncertainty: the ``precision`` column where given, else from the wording,
    :func:`borderkit.account.figure_sigma`). Row numbers count the header as row 1.
    """
    _missing(table, FIGURE_COLUMNS, "figures", FIGURE_OPTIONAL)
    if table.empty:
        raise InputError("The figures file has a header but no rows. Add at least one figure (one row per figure).")
    # control characters (ESC sequences, CR, newlines) in a user's CSV would rewrite the
    # terminal or forge lines in the printed account: kept visible as escapes instead
    from borderkit.report import plain_text

    out = table.fillna("").astype(str).apply(lambda s: s.str.strip().map(plain_text))
    for col in FIGURE_OPTIONAL:
        out[col] = out.get(col, "")
    for i, row in out.iterrows():
        where = f"figures row {i + 2} (id {row['id']!r})"
        for col in ("id", "who", "source", "quote"):
            if not row[col]:
                raise InputError(f"{where}: {col} is empty. Every figure needs it (the quote gives its scope).")
        _check_values(row, where)
        _check_scope(row, where, components)
        _evidence(row["evidence"], row["quote"], where)
        _evidence(row["against"], row["quote"], where, "against")
    _unique(out, "figures")
    _check_links(out)
    out["scope"] = out["scope"].replace("", "whole")
    factor = out["unit"].map(UNITS)
    out["value_km2"] = out["value"].str.replace(",", "").astype(float) * factor
    high = pd.to_numeric(out["value_high"].str.replace(",", ""), errors="coerce")
    out["value_high_km2"] = high * factor
    derived = [figure_sigma(v, float(v.replace(",", ""))) for v in out["value"]]
    given = pd.to_numeric(out["precision"], errors="coerce")
    out["sigma"] = np.where(given.notna(), given, derived)
    return out


# ----------------------------------------------------------------------------- tables -> account data
def to_components(table: pd.DataFrame, load=None) -> list[Component]:
    """Return :class:`~borderkit.account.Component` objects from a validated components table.

    A component is ``measured`` when it covers drawn features only (no sectors): its prior
    range is then a measurement. ``load`` is the layer loader (default: the registry's).
    """
    if load is None:
        from borderkit.registry import load
    return [
        Component(
            id=r["id"],
            label=r["label"],
            start=dt.date.fromisoformat(r["start"]),
            end=dt.date.fromisoformat(r["end"]) if r["end"] else None,
            claimant=r["claimant"],
            holder=r["holder"],
            kind=r["kind"],
            prior_low_km2=float(r["prior_low_km2"]),
            prior_high_km2=float(r["prior_high_km2"]) if r["prior_high_km2"] else math.inf,
            part_of=r.get("part_of") or None,
            measured=_measured(r["covers"], load),
        )
        for _, r in table.iterrows()
    ]


#: Words that name each unit in a quote (lower case; English, French, Russian, Armenian and Azerbaijani forms).
UNIT_WORDS = {
    "km2": ("km²", "km2", "sq km", "square kilomet", "kilomètres carrés", "kilometres carres", "квадратн",
            "քառ", "kvadrat kilometr"),
    "mi2": ("sq mi", "square mile", "mi²", "mi2"),
    "ha": ("hectare", " ha ", " ha)", " ha,", " ha.", "гектар", "հեկտար"),
}  # fmt: skip


def units_named(quote: str, unit: str) -> tuple[str, ...]:
    """Return the units a quote names (with the figure's own unit): where a unit slip could have happened.

    Examples
    --------
    >>> units_named("145 square kilometers (56 square miles)", "km2")
    ('km2', 'mi2')
    >>> units_named("about 40 square kilometers", "km2")
    ('km2',)
    """
    text = f" {quote.lower()} "
    found = {unit} | {u for u, words in UNIT_WORDS.items() if any(w in text for w in words)}
    return tuple(u for u in UNIT_WORDS if u in found)


def _measured(covers: str, load) -> bool:
    """Whether a component covers drawn features only: some, and none of them a modelled sector."""
    layers = {layer for layer, _ in parse_covers(covers)}
    return bool(layers) and not any(_is_modelled(layer, load) for layer in layers)


def to_figures(table: pd.DataFrame) -> list[Figure]:
    """Return :class:`~borderkit.account.Figure` objects from a validated figures table."""
    return [
        Figure(
            id=r["id"],
            value_km2=float(r["value_km2"]),
            value_high_km2=None if pd.isna(r["value_high_km2"]) else float(r["value_high_km2"]),
            qualifier=r["qualifier"],
            scope=r["scope"],
            date=dt.date.fromisoformat(r["date"]),
            who=r["who"],
            components=tuple(c.strip() for c in r["components"].split(";") if c.strip()),
            sigma=float(r["sigma"]),
            repeats=r["repeats"] or None,
            supersedes=r["supersedes"] or None,
            evidence=_evidence(r["evidence"], r["quote"], r["id"]),
            against=_evidence(r.get("against", ""), r["quote"], r["id"], "against"),
            units_named=units_named(r["quote"], r["unit"]),
        )
        for _, r in table.iterrows()
    ]


# ----------------------------------------------------------------------------- geometry
def _is_modelled(layer: str, load) -> bool:
    """Return whether a layer holds sectors, whose zones are modelled; any other layer is measured as is."""
    kinds = set(load(layer)["kind"])
    return kinds == {"sector"}


def _pieces(
    components: pd.DataFrame, zones_by_sector, load, *, skip_missing: bool = False
) -> dict[str, tuple[list, list]]:
    """Return component id -> (modelled pieces, fixed pieces) as (ref, geometry).

    A component's zones exclude the zones of earlier components: land counts once, in the
    episode that took it. ``skip_missing`` leaves out sectors without a zone instead of failing.
    """
    import shapely

    out: dict[str, tuple[list, list]] = {}
    earlier = shapely.Polygon()
    for _, comp in components.sort_values("start", kind="stable").iterrows():
        modelled, fixed = [], []
        for layer, fid in parse_covers(comp["covers"]):
            if not _is_modelled(layer, load):
                fixed.append((f"{layer}:{fid}", _feature(layer, fid, load, comp["id"]).geometry))
            elif fid in zones_by_sector.index:
                modelled.append((f"{layer}:{fid}", shapely.difference(zones_by_sector[fid], earlier)))
            elif not skip_missing:
                raise InputError(f"component {comp['id']!r} covers {layer}:{fid}, which has no zone.")
        earlier = shapely.union_all([earlier, *(g for _, g in modelled)])
        out[comp["id"]] = (modelled, fixed)
    return out


def _feature(layer: str, fid: str, load, cid: str) -> pd.Series:
    table = load(layer).set_index("id")
    if fid not in table.index:
        raise InputError(f"component {cid!r} covers {layer}:{fid}, which is not a feature of {layer}.")
    return table.loc[fid]


def _latitude(geoms: Sequence, areas: Sequence[float]) -> float | None:
    import shapely

    drawn = [(g, a) for g, a in zip(geoms, areas, strict=True) if not g.is_empty and a > 0]  # a zone may be empty
    if not drawn:
        return None
    lats = [shapely.centroid(g).y for g, _ in drawn]
    return float(np.average(lats, weights=[a for _, a in drawn]))


def component_geometry(
    components: pd.DataFrame, model, *, renderings: Sequence[str] = (), load=None
) -> dict[str, Geometry]:
    """Measure what the mechanisms need from each component's geometry.

    Parameters
    ----------
    components
        Validated components table.
    model
        :class:`~borderkit.model.AreaModel`: its zones on the default baseline, and on each
        name in ``renderings``.
    renderings
        Other renderings of the line to measure the modelled zones against.
    load
        Layer loader (defaults to :func:`borderkit.registry.load`).
    """
    from borderkit.measure import area
    from borderkit.registry import load as default_load

    load = load or default_load
    from borderkit.case import current

    default = _pieces(components, model.zones(current().default_baseline).set_index("sector").geometry, load)
    other = {name: _pieces(components, model.zones(name).set_index("sector").geometry, load) for name in renderings}
    out = {}
    for cid, (modelled, fixed) in default.items():
        geoms = [g for _, g in modelled + fixed]
        areas = area(geoms).tolist() if geoms else []
        refs = [ref for ref, _ in modelled + fixed]
        features = tuple(Feature(r, a, i < len(modelled)) for i, (r, a) in enumerate(zip(refs, areas, strict=True)))
        base = sum(areas)
        ratios = {}
        for name, pieces in other.items():
            zones = [g for _, g in pieces[cid][0]]
            there = (sum(area(zones).tolist()) if zones else 0.0) + sum(areas[len(modelled) :])
            if base > 0:
                ratios[name] = there / base
        out[cid] = Geometry(_latitude(geoms, areas), features, ratios)
    for whole, parts in _parts_of(components).items():
        out[whole] = _combined([out[p] for p in parts])
    return out


def _combined(parts: Sequence[Geometry]) -> Geometry:
    """Return a whole's geometry from its parts': all their pieces, area-weighted latitude and rendering ratios."""
    features = tuple(f for g in parts for f in g.features)
    sizes = [sum(f.area_km2 for f in g.features) for g in parts]
    known = [(g.latitude_deg, a) for g, a in zip(parts, sizes, strict=True) if g.latitude_deg is not None and a > 0]
    latitude = float(np.average([x for x, _ in known], weights=[a for _, a in known])) if known else None
    names = {n for g in parts for n in g.renderings}
    total = sum(sizes)
    ratios = {
        n: sum(a * g.renderings.get(n, 1.0) for g, a in zip(parts, sizes, strict=True)) / total
        for n in names
        if total > 0
    }
    return Geometry(latitude, features, ratios, sum(g.line_of_fire_km2 for g in parts))


def _rendering_range(feature: pd.Series) -> tuple[float, float]:
    """Return (low, high) of a fixed feature's area across the renderings its layer records.

    Layers such as enclaves carry one ``area_km2_<source>`` column per rendering; without
    them the feature's own geodesic area is both ends.
    """
    from borderkit.measure import area

    values = [
        float(v)
        for k, v in feature.items()
        if k.startswith("area_km2_") and k != "area_km2_spread" and pd.notna(v) and math.isfinite(float(v))
    ]
    return (min(values), max(values)) if values else (float(area(feature.geometry)[0]),) * 2


def measure_priors(components: pd.DataFrame, sectors, baseline: tuple, *, load=None) -> pd.DataFrame:
    """Measure each component's prior range from the geometry, by the rule docs/methodology.md states.

    High end: the component's zones with every sector parameter set at the top of its stated
    range (minus the zones of earlier components), plus its fixed features at their largest
    rendering; open (``inf``) when a sector leaves its depth or width unreported, or the
    component covers no geometry at all. Low end: only sectors whose every dimension is
    reported, at the bottom of their range, their smallest parameter set (a sector with an
    unreported dimension may be as small as one position), plus fixed features at their
    smallest rendering; never below :data:`PRIOR_FLOOR_KM2`.
    """
    import shapely

    from borderkit.measure import area
    from borderkit.registry import load as default_load
    from borderkit.zones import extreme_zones

    load = load or default_load
    line, subject = baseline  # the line, and the territory it bounds
    deep = extreme_zones(sectors, line, subject, "high")
    shallow = extreme_zones(sectors, line, subject, "low")
    unbounded = set(deep.loc[deep["open"], "sector"])
    high = _pieces(components, deep.set_index("sector").geometry, load)
    low = _pieces(components, shallow.set_index("sector").geometry, load, skip_missing=True)

    def zone_area(pieces: list) -> float:
        return float(area(shapely.union_all([g for _, g in pieces]))[0]) if pieces else 0.0

    rows = []
    for cid, covers in zip(components["id"], components["covers"], strict=True):
        spans = [_rendering_range(_feature(*ref.split(":", 1), load, cid)) for ref, _ in high[cid][1]]
        refs = {fid for _, fid in parse_covers(covers)}
        is_open = not refs or bool(refs & unbounded)
        rows.append(
            {
                "id": cid,
                "prior_low_km2": max(zone_area(low[cid][0]) + sum(s[0] for s in spans), PRIOR_FLOOR_KM2),
                "prior_high_km2": math.inf if is_open else zone_area(high[cid][0]) + sum(s[1] for s in spans),
            }
        )
    return _wholes_from_parts(pd.DataFrame(rows), components)


def _parts_of(components: pd.DataFrame) -> dict[str, list[str]]:
    """Return whole id -> the ids of its parts without parts (through every level)."""
    from borderkit.account import expansion

    wholes = {w: list(expansion(to_components(components))[w]) for w in set(components.get("part_of", [])) - {""}}
    return wholes


def _wholes_from_parts(priors: pd.DataFrame, components: pd.DataFrame) -> pd.DataFrame:
    """Set each whole's prior range to the sum of its parts' (a whole covers no geometry itself)."""
    out = priors.set_index("id")
    for whole, parts in _parts_of(components).items():
        out.loc[whole] = out.loc[parts].sum()
    return out.reset_index()


# ----------------------------------------------------------------------------- the account
def reconcile(
    figures: pd.DataFrame | None = None,
    *,
    resamples: int = 200,
    null: int = 200,
    seed: int = 0,
    renderings: bool = True,
) -> Account:
    """Build the account of the bundled case's components from its figures (or the ones given).

    Parameters
    ----------
    figures
        A validated figures table (:func:`validate_figures`); None: the bundled figures.
    resamples, null, seed
        See :func:`borderkit.account.build_account`.
    renderings
        Measure the zones against the other renderings of the line (the ``rendering``
        mechanism needs it; skipping it saves about a second).
    """
    from borderkit.registry import area_model, baselines, components
    from borderkit.registry import figures as bundled

    table = components()
    figures = bundled() if figures is None else figures
    model = area_model()
    others = baselines()[1:] if renderings else []  # the default rendering comes first
    geometry = component_geometry(table, model, renderings=others)
    return build_account(to_components(table), to_figures(figures), geometry, resamples=resamples, null=null, seed=seed)


# ----------------------------------------------------------------------------- output
def _explanation_dict(e) -> dict:
    return {
        "mechanism": e.mechanism,
        "detail": e.detail,
        "value_km2": e.value_km2,
        "residual": e.residual,
        "support": e.support,
        "evidence": e.evidence,
        "base_rate": e.base_rate,
    }


def _null_dict(null) -> dict:
    return {
        "n": null.n,
        "seed": null.seed,
        "fits": null.fits,
        "outliers": null.outliers,
        "base_rates": dict(null.base_rates),
        "explained_any": null.explained_any,
    }


def document(account: Account) -> dict:
    """Return the account as the JSON document of ``borderkit reconcile --format json``.

    Exactly four keys: ``components`` (id, label, area_km2, low_km2, high_km2), ``figures``
    (id, value_km2, qualifier, components, fitted_km2, z, status, explanations), ``totals``
    (name, date, components, area_km2, low_km2, high_km2) and ``null_test``.
    """
    null = account.null_test
    return {
        "components": [
            {
                "id": c.id,
                "label": c.label,
                "area_km2": c.area_km2,
                "low_km2": c.low_km2,
                "high_km2": c.high_km2,
                "part_of": c.part_of,
            }
            for c in account.components
        ],
        "figures": [
            {
                "id": f.id,
                "value_km2": f.value_km2,
                "qualifier": f.qualifier,
                "components": list(f.components),
                "fitted_km2": f.fitted_km2,
                "z": f.z,
                "status": f.status,
                "note": f.note,
                "explanations": [_explanation_dict(e) for e in f.explanations],
                "considered": [_explanation_dict(e) for e in f.considered],
            }
            for f in account.figures
        ],
        "totals": [
            {
                "name": t.name,
                "date": t.date.isoformat(),
                "components": list(t.components),
                "area_km2": t.area_km2,
                "low_km2": t.low_km2,
                "high_km2": t.high_km2,
            }
            for t in account.totals
        ],
        "null_test": None if null is None else _null_dict(null),
    }


def _said(f, table: pd.DataFrame) -> str:
    """Return the figure as its source said it: '≥ 215 km²', 'about 2,700 ha (27 km²)', 'part: about 60.06 km²'."""
    row = table.set_index("id").loc[f.id]
    signs = {"about": "about ", "exactly": "", "at least": "at least ", "more than": "more than ", "between": ""}
    unit = {"km2": "km²", "ha": "ha", "mi2": "sq mi"}[row["unit"]]
    value = row["value"] + (f"–{row['value_high']}" if row["value_high"] else "")
    said = f"{signs[f.qualifier]}{value} {unit}"
    if row["unit"] != "km2":
        said += f" ({f.value_km2:g} km²)"
    return ("part: " if f.scope == "part" else "") + said


def frames(account: Account, figures: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Return the account as tables: ``components``, ``totals``, ``figures`` and ``explanations``.

    ``figures`` is the figures table the account was built from (for the wording and who said it).
    """
    comps = pd.DataFrame(
        {
            "component": [c.id for c in account.components],
            "area_km2": [c.area_km2 for c in account.components],
            "low_km2": [c.low_km2 for c in account.components],
            "high_km2": [c.high_km2 for c in account.components],
            "prior_km2": [
                f"{c.prior_low_km2:.1f}–" + (f"{c.prior_high_km2:.1f}" if math.isfinite(c.prior_high_km2) else "open")
                for c in account.components
            ],
            "figures": [c.n_figures for c in account.components],
            "label": [c.label for c in account.components],
        }
    )
    totals = pd.DataFrame(
        {
            "total": [t.name for t in account.totals],
            "date": [t.date.isoformat() for t in account.totals],
            "area_km2": [t.area_km2 for t in account.totals],
            "low_km2": [t.low_km2 for t in account.totals],
            "high_km2": [t.high_km2 for t in account.totals],
        }
    )
    who = figures.set_index("id")["who"]
    figs = pd.DataFrame(
        {
            "figure": [f.id for f in account.figures],
            "date": [f.date.isoformat() for f in account.figures],
            "who": [who[f.id] for f in account.figures],
            "said": [_said(f, figures) for f in account.figures],
            "covers": [" + ".join(f.components) for f in account.figures],
            "fitted_km2": [f.fitted_km2 for f in account.figures],
            "z": [f.z for f in account.figures],
            "status": [f.status + (f" of {f.repeats}" if f.repeats else "") for f in account.figures],
        }
    )
    rows = [
        {
            "figure": f.id,
            "mechanism": e.mechanism,
            "gives_km2": e.value_km2,
            "residual": e.residual,
            "support": e.support,
            "base_rate": e.base_rate,
            "detail": e.detail + (f' (quote: "{e.evidence}")' if e.evidence and e.support == "supported" else ""),
        }
        for f in account.figures
        for e in f.explanations
    ]
    columns = ["figure", "mechanism", "gives_km2", "residual", "support", "base_rate", "detail"]
    return {"components": comps, "totals": totals, "figures": figs, "explanations": pd.DataFrame(rows, columns=columns)}


def _rate(x: float | None) -> str:
    return "n/a (no null test)" if x is None or not math.isfinite(x) else f"{x:.1%}"


def _explanation_line(e) -> str:
    """Return one explanation in words: what it gives, how far from the figure, its support and base rate."""
    from borderkit.account import CATALOGUE_READING

    said = ""
    if e.evidence and e.evidence.startswith(CATALOGUE_READING):
        said = f" ({e.evidence})"
    elif e.evidence and e.support in ("supported", "contradicted"):
        said = f' (the quote: "{e.evidence}")'
    rate = "none: a link the catalogue draws, not a number match" if said.startswith(f" ({CATALOGUE_READING}") else (
        _rate(e.base_rate))  # fmt: skip
    return (
        f"{e.mechanism}: {e.detail}; gives {e.value_km2:.1f} km² (residual {e.residual:+.2f}); "
        f"{e.support}{said}; base rate {rate}."
    )


def outlier_notes(account: Account, figures: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """Return, for every outlier, a sentence on what it is and what the account gives, and one per explanation.

    An outlier no mechanism reproduces lists the nearest tries, so a reader sees what was
    considered and how far off each was (and which the source's words rule out).
    """
    notes = []
    for f in account.figures:
        if f.status != "outlier":
            continue
        covers = " + ".join(f.components)
        head = f"{_said(f, figures)} ({f.id}): the account gives {f.fitted_km2:.1f} km² for {covers} (z {f.z:+.1f})."
        lines = [_explanation_line(e) for e in f.explanations]
        if not f.explanations:
            lines.append("No mechanism in the registry reproduces it. Nearest tries (none within one unit):")
            lines += [f"tried {_explanation_line(e)}" for e in f.considered]
        notes.append((head, lines))
    return notes


def null_note(account: Account) -> str:
    """Return the null test in one sentence."""
    null = account.null_test
    if null is None:
        return "Null test not run (--null 0): explanations carry no base rate."
    rates = ", ".join(f"{k} {_rate(v)}" for k, v in null.base_rates.items())
    return (
        f"Null test: {null.n} random figures (a real figure's date, a random scope, a random value in the "
        f"figures' range; seed {null.seed}), injected one at a time. {null.fits:.0%} fit the account; "
        f"{null.explained_any:.0%} are outliers that some mechanism 'explains'. Share each mechanism "
        f"explains (its base rate): {rates}."
    )


def _wrap(text: str, indent: int = 0, hang: int = 0) -> str:
    import textwrap

    from borderkit.report import terminal_columns

    return textwrap.fill(
        text,
        terminal_columns() or WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + hang),
        break_on_hyphens=False,
    )


def _status_text(f) -> str:
    if f.repeats:
        return f"repeats {f.repeats} (not fitted)"
    return "OUTLIER" if f.status == "outlier" else f.status


def _when(day: dt.date, precision: str) -> str:
    """Return a figure's date as known: exact, to the week or month, or unknown (with the date entered)."""
    if precision in ("", "day"):
        return day.isoformat()
    if precision == "unknown":
        return f"date unknown (entered as {day.isoformat()})"
    return f"{day.isoformat()} (to the {precision})"


def _text_figures(account: Account, figures: pd.DataFrame) -> list[str]:
    """Return each figure as what was said, by whom and when, then what the account makes of it."""
    rows = figures.set_index("id")
    lines = []
    for f in account.figures:
        said = f"{_said(f, figures)} — {rows.loc[f.id, 'who']}, {_when(f.date, rows.loc[f.id, 'date_precision'])}"
        lines.append(_wrap(f"{said} [{f.id}]", 2, 4))
        covers = " + ".join(f.components)
        text = f"covers {covers}: account {f.fitted_km2:.1f} km², z {f.z:+.1f}, {_status_text(f)}"
        lines.append(_wrap(text, 6, 2))
        if f.note and f.status != "outlier":
            lines.append(_wrap(f.note, 6, 2))
    return lines


def relations(account: Account) -> list[str]:
    """Return how the figures that agree with the account nest: each inside the nearest figure around it.

    This is the answer to "60 or 139?": a figure of one part of the land sits inside a
    figure of all of it, and the account says how much of the whole the part is. Each
    figure is placed inside the nearest wider one: the same speaker's first (a source's
    own breakdown), then the one covering the fewest components.
    """
    from borderkit.account import expansion

    leaves = expansion(account.components)
    agreeing = [f for f in account.figures if f.status in ("fits", "lower-bound-met")]
    covered = {f.id: {x for c in f.components for x in leaves[c]} for f in agreeing}
    inside: dict[str, list] = {}
    for small in agreeing:
        around = [big for big in agreeing if covered[small.id] < covered[big.id]]
        if around:
            big = min(around, key=lambda f: (f.who != small.who, len(covered[f.id]), -f.date.toordinal()))
            inside.setdefault(big.id, []).append(small)
    lines = []
    for big in (f for f in agreeing if f.id in inside):
        parts = "; ".join(f"{f.value_km2:g} km² ({f.id}: {' + '.join(f.components)}, account {f.fitted_km2:.1f})"
                          for f in inside[big.id])  # fmt: skip
        lines.append(
            f"{big.value_km2:g} km² ({big.id}: {' + '.join(big.components)}, account {big.fitted_km2:.1f}) "
            f"counts all the land these count, and more: {parts}."
        )
    return lines


def total_notes(account: Account) -> list[str]:
    """Return, for each total, the independent figures of exactly its scope and how far the account is from each.

    A total is the account's sum; the figures that count the same land say how well it is
    pinned, and a rough one the account overshoots is named, not hidden in a 'fits'.
    """
    from borderkit.account import expansion

    leaves = expansion(account.components)
    scope = {f.id: {x for c in f.components for x in leaves[c]} for f in account.figures}
    lines = []
    for t in account.totals:
        mine = {x for c in t.components for x in leaves[c]}
        same = [f for f in account.figures if f.repeats is None and scope[f.id] == mine]
        if same:
            said = "; ".join(
                f"{f.who} said {f.qualifier} {f.value_km2:g} ({f.date.isoformat()}, {f.id}): the account is "
                f"{t.area_km2 / f.value_km2 - 1:+.0%} from it, {f.status}"
                for f in same
            )
            lines.append(f"{t.name} on {t.date.isoformat()}, {t.area_km2:.1f} km²: {said}.")
    return lines


def _text(account: Account, figures: pd.DataFrame, tables: dict, how: str) -> list[str]:
    from borderkit.report import render_frame

    comps = tables["components"]
    parts = [_wrap(HEADER) + "\n" + _wrap(how) + "\n"]
    parts.append("\nComponents (km²)\n" + render_frame(comps.drop(columns="label"), "table", precision=1))
    labels = [_wrap(f"{i:<20} {t}", 2, 21) for i, t in zip(comps["component"], comps["label"], strict=True)]
    parts.append("\n".join(labels) + "\n")
    parts.append("\nTotals (km²)\n" + render_frame(tables["totals"], "table", precision=1))
    parts.append("".join(_wrap("- " + x, 2, 2) + "\n" for x in total_notes(account)))
    parts.append("\nFigures, each read as the components its source says it covers\n")
    parts.append("\n".join(_text_figures(account, figures)) + "\n")
    parts.append("\nHow the figures that agree nest (a figure of part of the land is no rival of one of all of it)\n")
    parts.append("\n".join(_wrap("- " + x, 2, 2) for x in relations(account)) + "\n")
    parts.append("\nOutliers and what may explain them\n")
    parts.append(_wrap(CAVEAT, 2, 0) + "\n")
    for head, lines in outlier_notes(account, figures):
        parts.append("\n".join([_wrap(head, 2, 2), *(_wrap("- " + x, 4, 2) for x in lines)]) + "\n")
    parts.append("\n" + _wrap(null_note(account)) + "\n")
    return parts


def _markdown(account: Account, figures: pd.DataFrame, tables: dict, how: str) -> list[str]:
    from borderkit.report import render_frame

    parts = [f"_{HEADER}_\n\n_{how}_\n"]
    parts.append("\n### Components (km²)\n\n" + render_frame(tables["components"], "markdown", precision=1))
    parts.append("\n### Totals (km²)\n\n" + render_frame(tables["totals"], "markdown", precision=1))
    parts.append("\n### Figures\n\n" + render_frame(tables["figures"], "markdown", precision=1))
    parts.append("\n### How the figures that agree nest\n\n" + "".join(f"- {x}\n" for x in relations(account)))
    parts.append(f"\n### Outliers and what may explain them\n\n_{CAVEAT}_\n\n")
    for head, lines in outlier_notes(account, figures):
        parts.append("\n".join([f"- {head}", *(f"  - {x}" for x in lines)]) + "\n")
    parts.append(f"\n_{null_note(account)}_\n")
    return parts


def render(account: Account, figures: pd.DataFrame, fmt: str, *, band: pd.DataFrame | None = None) -> str:
    """Return the account for people (``table``, ``markdown``) or spreadsheets (``csv``).

    Text is wrapped to :data:`WIDTH` columns. ``band`` is the Monte Carlo band of each
    figure (:func:`borderkit.calibrate.figure_band`), shown last.
    """
    from borderkit.report import render_frame

    tables = frames(account, figures)
    if fmt == "csv":
        expl = tables["explanations"].groupby("figure")["mechanism"].agg(" | ".join)
        return render_frame(tables["figures"].assign(explanations=tables["figures"]["figure"].map(expl)), "csv")
    how = (
        f"Intervals: each figure left out in turn, and {account.resamples} resamplings of the figures "
        f"(seed {account.seed}). z: the figure's distance from the account in its own standard units "
        "(its precision, from its wording); an outlier is beyond ±2. Priors: the modelled geometry, weak."
    )
    parts = _markdown(account, figures, tables, how) if fmt == "markdown" else _text(account, figures, tables, how)
    if band is not None:
        title = (
            "Monte Carlo band of each figure's quantity (its components on its date), km²: the account's refits and "
            "the sectors' geometry together (parameter sets, depths, widths, profiles, renderings of the line, datum "
            "shift; zones calibrated per sample), with the figure's own precision. in_band: the band at the "
            "account's outlier level (2.3-97.7%) holds it (a lower bound: the band reaches it)."
        )
        head = f"\n### {title}\n\n" if fmt == "markdown" else "\n" + _wrap(title) + "\n"
        parts.append(head + render_frame(band, fmt, precision=1))
    return "".join(parts)
