"""The figures catalogue as tables: the columns a case's components and figures files have, and their checks.

Every check names the file, the row (counting the header as row 1, as a spreadsheet
shows it) and the id, says what is wrong and what is allowed. Pure: tables in, tables
out; no layer is read here, so the registry can validate what it loads without
depending on the account's wiring (:mod:`borderkit.reconcile`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from borderkit.account import KINDS, MECHANISMS, QUALIFIERS, SCOPES, figure_sigma
from borderkit.errors import InputError

__all__ = [
    "COMPONENT_COLUMNS",
    "COMPONENT_OPTIONAL",
    "FIGURE_COLUMNS",
    "FIGURE_OPTIONAL",
    "UNITS",
    "parse_covers",
    "ARCHIVE_LAYERS",
    "validate_components",
    "validate_figures",
]

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


#: ``covers`` layer names that measure a monitor's archive (:mod:`borderkit.archives`), and what each measures.
ARCHIVE_LAYERS = {"observed-net": "net", "observed-gained": "gained", "observed-lost": "lost", "observed-held": "held"}


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
    try:
        covers = parse_covers(row["covers"])
    except ValueError as exc:
        raise InputError(f"{where}: covers item {exc.args[0]!r} is not layer:feature-id.") from None
    for layer, _ in covers:
        if layer.lower().startswith("observed") and layer not in ARCHIVE_LAYERS:
            names = list(ARCHIVE_LAYERS)
            raise InputError(
                f"{where}: covers {layer!r} is no archive measurement. To measure a monitor's archive, write "
                f"{', '.join(names[:-1])} or {names[-1]} (lower case), e.g. observed-net:NAME@2024-09."
            )
    if any(layer in ARCHIVE_LAYERS for layer, _ in covers) and not str(row["prior_low_km2"]).strip():
        return  # measured from the archive: the prior columns may stay empty
    low = _positive(row["prior_low_km2"], where, "prior_low_km2")
    high = _positive(row["prior_high_km2"], where, "prior_high_km2") if row["prior_high_km2"] else math.inf
    if low > high:
        raise InputError(f"{where}: prior_low_km2 {low:g} is above prior_high_km2 {high:g}.")


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
            raise InputError(
                f"{where}: component {cid!r} ended {end} (its 'end': the day the land stopped being held), before the "
                f"figure's date {day}. Leave 'end' empty for land still held, or check the dates."
            )
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
