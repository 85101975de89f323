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
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from borderkit.account import (
    Account,
    Component,
    Feature,
    Figure,
    Geometry,
    build_account,
)
from borderkit.archives import Measured, is_archive_ref, measure_components
from borderkit.catalogue import (
    COMPONENT_COLUMNS,
    COMPONENT_OPTIONAL,
    FIGURE_COLUMNS,
    FIGURE_OPTIONAL,
    UNITS,
    _evidence,
    parse_covers,
    validate_components,
    validate_figures,
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
    "check_covers",
    "component_geometry",
    "measure_priors",
    "reconcile",
    "frames",
    "document",
    "outlier_notes",
    "relations",
    "total_notes",
    "total_words",
    "units_named",
    "null_note",
    "render",
]

HEADER = (
    "One account of the published figures: component areas fitted to every independent figure at "
    "once, each figure read as the components its source says it covers."
)
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


# ----------------------------------------------------------------------------- tables -> account data
def to_components(table: pd.DataFrame, load=None, archived: Mapping[str, Measured] | None = None) -> list[Component]:
    """Return :class:`~borderkit.account.Component` objects from a validated components table.

    A component is ``measured`` when it covers drawn features only (no sectors): its prior
    range is then a measurement. A component measured from a monitor's archive
    (``archived``, from :func:`borderkit.archives.measure_components`) is that measurement,
    held exactly, and counted in totals from its period's end. ``load`` is the layer loader
    (default: the registry's).
    """
    if load is None:
        from borderkit.registry import load
    archived = archived or {}
    out = []
    for _, r in table.iterrows():
        measured = archived.get(r["id"])
        if measured is not None:  # the archive's figure: held exactly, counted from its period's end
            low = high = measured.area_km2
        else:
            low = float(r["prior_low_km2"])
            high = float(r["prior_high_km2"]) if r["prior_high_km2"] else math.inf
        out.append(
            Component(
                id=r["id"],
                label=r["label"],
                start=dt.date.fromisoformat(r["start"]),
                end=dt.date.fromisoformat(r["end"]) if r["end"] else None,
                claimant=r["claimant"],
                holder=r["holder"],
                kind=r["kind"],
                prior_low_km2=low,
                prior_high_km2=high,
                part_of=r.get("part_of") or None,
                measured=measured is not None or _measured(r["covers"], load),
                exact=measured is not None,
                complete=measured.end if measured is not None else None,
            )
        )
    return out


#: Words that name each unit in a quote (lower case; English, French, Russian and two Caucasus languages' forms).
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
    layers = {layer for layer, _ in parse_covers(covers) if not is_archive_ref(layer)}
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


def check_covers(components: pd.DataFrame, load=None) -> None:
    """Check that every layer the components cover exists (archive measurements aside); name the first missing.

    Raises
    ------
    InputError
        A component covers a layer the case lacks: the message names its row.
    """
    from borderkit.registry import load as default_load

    for _, comp in components.iterrows():
        for layer, _ in parse_covers(comp["covers"]):
            if not is_archive_ref(layer):
                _layer_of(comp, layer, load or default_load)


def _layer_of(comp: pd.Series, layer: str, load) -> None:
    """Check that a layer a component covers exists: else say which row of the components table names it."""
    from borderkit.errors import UnknownLayerError

    try:
        load(layer)
    except UnknownLayerError as exc:
        raise InputError(
            f"component {comp['id']!r} (components table row {int(comp.name) + 2}) covers {layer!r}, but: {exc} "
            "Add the layer to the case's layers.json, or fix the covers cell."
        ) from None


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
            if is_archive_ref(layer):
                continue  # measured from a monitor's archive (borderkit.archives), not drawn
            _layer_of(comp, layer, load)
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
    components: pd.DataFrame,
    model,
    *,
    renderings: Sequence[str] = (),
    load=None,
    archived: Mapping[str, Measured] | None = None,
) -> dict[str, Geometry]:
    """Measure what the mechanisms need from each component's geometry.

    Parameters
    ----------
    components
        Validated components table.
    model
        :class:`~borderkit.model.AreaModel`: its zones on the default baseline, and on each
        name in ``renderings``; None for a case whose components cover no sectors.
    renderings
        Other renderings of the line to measure the modelled zones against.
    load
        Layer loader (defaults to :func:`borderkit.registry.load`).
    archived
        Components measured from a monitor's archive
        (:func:`borderkit.archives.measure_components`): their geometry comes from there.
    """
    from borderkit.measure import area
    from borderkit.registry import load as default_load

    load = load or default_load
    from borderkit.case import current

    def zones_on(name: str) -> pd.Series:
        none = pd.Series([], dtype=object)
        return none if model is None else model.zones(name).set_index("sector").geometry

    default = _pieces(components, zones_on(current().default_baseline), load)
    other = {name: _pieces(components, zones_on(name), load) for name in renderings}
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
    out.update({cid: m.geometry for cid, m in (archived or {}).items()})
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
    smallest rendering; never below :data:`PRIOR_FLOOR_KM2`. Components measured from a
    monitor's archive are left out: their range is that measurement
    (:func:`borderkit.archives.measure_components`).
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
        if any(is_archive_ref(layer) for layer, _ in parse_covers(covers)):
            continue  # its range is the archive's measurement, taken when the account is built
        refs_drawn = (ref.split(":", 1) for ref, _ in high[cid][1])
        spans = [_rendering_range(_feature(layer, fid, load, cid)) for layer, fid in refs_drawn]
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
    """Return whole id -> the ids of its parts without parts (through every level); only the ids are read."""
    from types import SimpleNamespace

    from borderkit.account import expansion

    rows = [
        SimpleNamespace(id=i, part_of=p or None) for i, p in zip(components["id"], components["part_of"], strict=True)
    ]
    parts = expansion(rows)  # type: ignore[arg-type]  # expansion reads only id and part_of
    return {whole: list(parts[whole]) for whole in set(components["part_of"]) - {""}}


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
    from borderkit.case import current
    from borderkit.registry import area_model, baselines, components, load
    from borderkit.registry import figures as bundled

    table = components()
    figures = bundled() if figures is None else figures
    archived = measure_components(table, where=str(current().path("components")))
    model = area_model() if _covers_sectors(table, load) else None
    others = baselines()[1:] if renderings and model is not None else []  # the default rendering comes first
    geometry = component_geometry(table, model, renderings=others, archived=archived)
    parts = to_components(table, archived=archived)
    return build_account(parts, to_figures(figures), geometry, resamples=resamples, null=null, seed=seed)


def _covers_sectors(components: pd.DataFrame, load) -> bool:
    """Return whether any component covers a modelled sector (only then is the zone model built)."""
    from borderkit.registry import layers

    known = set(layers())
    covered = {layer for covers in components["covers"] for layer, _ in parse_covers(covers)}
    return any(_is_modelled(layer, load) for layer in covered & known)


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
            "total": [total_words(t.name) for t in account.totals],
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


def total_words(name: str) -> str:
    """Return a total's name for people, with the case's party names for their codes.

    "ARM land held by AZE: taken since 2021-05-12" reads "Land of Armenia held by
    Azerbaijan: taken since 2021-05-12", as on the map (JSON keeps the codes).
    """
    from borderkit.case import current

    names = {p.code: p.name for p in current().parties}
    head, sep, rest = name.partition(" land held by ")
    holder, colon, tail = rest.partition(":")
    if not sep or head not in names or holder not in names:
        return name
    return f"Land of {names[head]} held by {names[holder]}{colon}{tail}"


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
            lines.append(f"{total_words(t.name)} on {t.date.isoformat()}, {t.area_km2:.1f} km²: {said}.")
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
    nested = relations(account) or ["none: no figure that fits covers part of another's land"]
    parts.append("\n".join(_wrap("- " + x, 2, 2) for x in nested) + "\n")
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
    nested = relations(account) or ["none: no figure that fits covers part of another's land"]
    parts.append("\n### How the figures that agree nest\n\n" + "".join(f"- {x}\n" for x in nested))
    parts.append(f"\n### Outliers and what may explain them\n\n_{CAVEAT}_\n\n")
    for head, lines in outlier_notes(account, figures):
        parts.append("\n".join([f"- {head}", *(f"  - {x}" for x in lines)]) + "\n")
    parts.append(f"\n_{null_note(account)}_\n")
    return parts


def render(account: Account, figures: pd.DataFrame, fmt: str, *, band: pd.DataFrame | None = None) -> str:
    """Return the account for people (``table``, ``markdown``) or spreadsheets (``csv``).

    Text is wrapped to :data:`WIDTH` columns. ``band`` is the Monte Carlo band of each
    figure (:func:`borderkit.montecarlo.figure_band`), shown last.
    """
    from borderkit.report import render_frame

    tables = frames(account, figures)
    if fmt == "csv":
        expl = tables["explanations"].groupby("figure")["mechanism"].agg(" | ".join)
        return render_frame(tables["figures"].assign(explanations=tables["figures"]["figure"].map(expl)), "csv")
    how = (
        f"Intervals: each figure left out in turn, and {account.resamples} resamplings of the figures "
        f"(seed {account.seed}). z: the figure's distance from the account in its own standard units "
        "(its precision, from its wording); an outlier is beyond ±2. Priors: the modelled geometry, weak; "
        "a measurement (a drawn feature, a monitor's archive), tight."
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
