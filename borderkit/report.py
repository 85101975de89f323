"""Format results as text tables, CSV, JSON, Markdown or GeoJSON (no computation here)."""

from __future__ import annotations

import json
import math
import re

import pandas as pd

__all__ = ["plain_text", "FORMATS", "render_frame", "text_table", "csv_safe"]

FORMATS = ("table", "csv", "json", "markdown")

#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A plain number such as -3.5 or +1e3: a spreadsheet reads it as a number, never as a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _defuse(value):
    """Return a text cell that would start a formula with ``'`` in front; anything else unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with text cells (and column names) that spreadsheets would run as formulas defused.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'``, as OWASP recommends against CSV injection: property values come from
    user files and seed reports, and ``=HYPERLINK(...)`` opened in a spreadsheet is a
    phishing link. Numbers are left alone: numeric columns are not touched, and a text cell
    that is a plain number (``-3.5``) is not a formula, so it keeps its value.
    """
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        out[col] = series.map(_defuse, na_action="ignore")
    out.columns = [_defuse(c) if isinstance(c, str) else c for c in out.columns]
    return out


#: C0 and C1 control characters and DEL: never printed raw to a terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain_text(text: str) -> str:
    r"""Return ``text`` with every control character shown as an escape (``\x1b``, ``\n``).

    Property values and figure text come from other people's files. Printed raw, ESC
    sequences can rewrite the terminal (OSC 52 writes the clipboard, OSC 8 hides links)
    and a newline or CR in a cell forges table rows; shown as escapes, they stay text.

    Examples
    --------
    >>> plain_text("zone\n1\x1b]52;c;bad\x07")
    'zone\\n1\\x1b]52;c;bad\\x07'
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def _cell(value, precision: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and precision >= 0:
        return f"{value:,.{precision}f}"
    return plain_text(str(value))


def _markdown_cell(text: str) -> str:
    """Escape a cell for Markdown: pipes, and HTML (Markdown renderers pass raw HTML through)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def text_table(df: pd.DataFrame, *, precision: int = 3, footer: list[str] | None = None) -> str:
    """Return a plain-text table with right-aligned numbers and optional footer lines."""
    cols = list(df.columns)
    cells = [[_cell(v, precision) for v in row] for row in df.itertuples(index=False)]
    widths = [max([len(plain_text(str(c)))] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in cols]

    def fmt(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        ).rstrip()

    lines = [fmt([plain_text(str(c)) for c in cols]), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in cells]
    if footer:
        lines += [""] + footer
    return "\n".join(lines) + "\n"


def _markdown(df: pd.DataFrame, precision: int) -> str:
    head = "| " + " | ".join(_markdown_cell(plain_text(str(c))) for c in df.columns) + " |"
    rule = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else "---" for c in df.columns) + "|"
    rows = [
        "| " + " | ".join(_markdown_cell(_cell(v, precision)) for v in r) + " |" for r in df.itertuples(index=False)
    ]
    return "\n".join([head, rule, *rows]) + "\n"


def render_frame(df: pd.DataFrame, fmt: str, *, precision: int = 3, footer: list[str] | None = None) -> str:
    """Render a DataFrame in one of :data:`FORMATS`. Footer lines go into tables and Markdown.

    CSV is meant for spreadsheets, so its text cells go through :func:`csv_safe` first.
    """
    if fmt == "csv":
        return csv_safe(df).to_csv(index=False)
    if fmt == "json":
        records = json.loads(df.to_json(orient="records", force_ascii=False, double_precision=15))
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    if fmt == "markdown":
        return _markdown(df, precision) + ("\n" + "\n".join(f"_{f}_" for f in footer) + "\n" if footer else "")
    return text_table(df, precision=precision, footer=footer)
