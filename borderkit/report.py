"""Format results as text tables, CSV, JSON, Markdown or GeoJSON (no computation here)."""

from __future__ import annotations

import contextlib
import contextvars
import io
import json
import math
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Iterator
from typing import Literal

import pandas as pd

__all__ = ["plain_text", "FORMATS", "render_frame", "text_table", "csv_safe", "table_width", "terminal_columns"]

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


#: Width of text tables: the terminal's by default (:func:`table_width`); None: no limit.
_WIDTH: contextvars.ContextVar[int | None | Literal["auto"]] = contextvars.ContextVar(
    "borderkit_table_width", default="auto"
)


@contextlib.contextmanager
def table_width(width: int | None) -> Iterator[None]:
    """Make text tables in the block fit ``width`` columns (None: show everything, ``--wide``).

    The CLI enters this for ``--wide``; code that calls :func:`text_table` directly can pass
    ``width=`` instead.
    """
    token = _WIDTH.set(width)
    try:
        yield
    finally:
        _WIDTH.reset(token)


def terminal_columns() -> int | None:
    """Return the width tables should fit: ``$COLUMNS``, else the terminal's, else None (a pipe or file).

    Output that goes to a file or another program is not cut: only a person at a terminal
    needs the table to fit, and a file should hold everything.
    """
    chosen = _WIDTH.get()
    if chosen != "auto":
        return chosen if isinstance(chosen, int) else None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout is not None and hasattr(sys.stdout, "isatty") and sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


#: A header rule in ASCII (rich's SIMPLE_HEAD draws it with box-drawing characters).
_RULE = "    \n    \n -  \n    \n    \n    \n    \n    \n"
#: Spaces between columns.
_GAP = 2
#: A text column keeps this many characters (or all of its own) before any other is cut below it.
_FLOORS = (12, 10)


def _fill(lines: list[str], width: int | None) -> list[str]:
    if width is None:
        return lines
    return [textwrap.fill(x, width, subsequent_indent="  ", break_on_hyphens=False) if x else x for x in lines]


def _split_header(name: str) -> str:
    """Break a long snake_case header over two lines at the underscore nearest its middle."""
    cuts = [i + 1 for i, ch in enumerate(name) if ch == "_" and 0 < i < len(name) - 1]
    if not cuts:
        return name
    cut = min(cuts, key=lambda i: max(i, len(name) - i))
    return name[:cut] + "\n" + name[cut:]


def _fit(natural: list[int], numeric: list[bool], width: int | None) -> list[int] | None:
    """Return column widths that fit ``width``: numbers whole, the widest text columns cut first.

    Text columns share what the numbers leave under one cap, the largest that fits, so a
    long quote column shrinks before a short date column; a column is cut below its floor
    (12 characters, then 10) only when the floors of all of them do not fit. Returns None
    when even 10 characters a text column do not fit.
    """
    if width is None:
        return natural
    room = width - _GAP * (len(natural) - 1) - sum(w for w, n in zip(natural, numeric, strict=True) if n)
    text = [w for w, n in zip(natural, numeric, strict=True) if not n]
    if sum(text) <= room:
        return natural
    for floor in _FLOORS:
        floors = [min(w, floor) for w in text]
        cap = max(text)
        while cap > 0 and sum(max(f, min(w, cap)) for w, f in zip(text, floors, strict=True)) > room:
            cap -= 1
        if cap > 0:
            break
    else:
        return None
    cut = iter(max(f, min(w, cap)) for w, f in zip(text, floors, strict=True))
    return [w if n else next(cut) for w, n in zip(natural, numeric, strict=True)]


def text_table(
    df: pd.DataFrame,
    *,
    precision: int = 3,
    footer: list[str] | None = None,
    width: int | None | Literal["auto"] = "auto",
) -> str:
    """Return a plain-text table that fits the terminal, numbers right-aligned, with footer lines.

    Parameters
    ----------
    df
        The rows. Cells are shown with control characters as escapes (:func:`plain_text`).
    precision
        Decimals of float cells.
    footer
        Lines printed under the table, wrapped to the width.
    width
        Columns to fit: ``"auto"`` (the default) asks :func:`terminal_columns`; None shows
        every cell in full (``--wide``).

    Notes
    -----
    Numbers are never cut. When the table is wider than the terminal, the widest text
    columns (quotes, notes, sources) are narrowed first and their cells cut with an
    ellipsis (…), one line per row. Why not wrap them: a wrapped quote makes a row several
    lines tall and the table hard to scan; ``--wide`` shows everything, for a pager or a
    file. rich lays the cells out (alignment, the ellipsis, wide characters).
    """
    from rich.box import Box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    limit = terminal_columns() if width == "auto" else width
    header = [plain_text(str(c)) for c in df.columns]
    rows = [[_cell(v, precision) for v in row] for row in df.itertuples(index=False)]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]

    def natural_widths() -> list[int]:
        return [max(cell_len(x) for x in [*h.split("\n"), *(r[i] for r in rows)]) for i, h in enumerate(header)]

    natural = natural_widths()
    if limit is not None and sum(natural) + _GAP * (len(natural) - 1) > limit:
        header = [_split_header(h) for h in header]  # distance_to_line_km over two lines
        natural = natural_widths()
    shown = len(header)
    while (widths := _fit(natural[:shown], numeric[:shown], limit)) is None and shown > 1:
        shown -= 1  # too many columns for the terminal: the last ones go, and the footer says so
    widths = widths or natural[:1]
    hidden = [plain_text(str(c)) for c in df.columns[shown:]]
    header, numeric, rows = header[:shown], numeric[:shown], [r[:shown] for r in rows]
    table = Table(box=Box(_RULE, ascii=True), show_edge=False, pad_edge=False, padding=(0, _GAP - 1, 0, 0))
    for name, num, w in zip(header, numeric, widths, strict=True):
        table.add_column(Text(name), justify="right" if num else "left", no_wrap=True, overflow="ellipsis", width=w)
    for row in rows:
        table.add_row(*(Text(c) for c in row))
    buffer = io.StringIO()
    total = sum(widths) + _GAP * (len(widths) - 1)
    Console(file=buffer, width=max(total, 1), color_system=None, highlight=False, emoji=False).print(table)
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    notes = [f"Columns not shown at this width: {', '.join(hidden)} (--wide shows every column)."] if hidden else []
    if footer or notes:
        lines += ["", *_fill([*(footer or []), *notes], limit)]
    return "\n".join(lines) + "\n"


def _markdown(df: pd.DataFrame, precision: int) -> str:
    head = "| " + " | ".join(_markdown_cell(plain_text(str(c))) for c in df.columns) + " |"
    rule = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else "---" for c in df.columns) + "|"
    rows = [
        "| " + " | ".join(_markdown_cell(_cell(v, precision)) for v in r) + " |" for r in df.itertuples(index=False)
    ]
    return "\n".join([head, rule, *rows]) + "\n"


def _json_value(value: object) -> object:
    """Return a cell as JSON: floats exactly (Python's shortest round-trip form), NaN/NA as null."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON objects, unrounded: pandas' ``to_json`` keeps at most 15 decimals (1e-20 -> 0)."""
    names = [str(c) for c in df.columns]
    return [dict(zip(names, map(_json_value, row), strict=True)) for row in df.itertuples(index=False)]


def render_frame(df: pd.DataFrame, fmt: str, *, precision: int = 3, footer: list[str] | None = None) -> str:
    """Render a DataFrame in one of :data:`FORMATS`. Footer lines go into tables and Markdown.

    CSV is meant for spreadsheets, so its text cells go through :func:`csv_safe` first.
    CSV and JSON are never rounded here (``precision`` is for tables and Markdown only):
    commands round machine formats only when the user asks with ``--precision``.
    """
    if fmt == "csv":
        return csv_safe(df).to_csv(index=False)
    if fmt == "json":
        return json.dumps(_records(df), ensure_ascii=False, indent=2) + "\n"
    if fmt == "markdown":
        return _markdown(df, precision) + ("\n" + "\n".join(f"_{f}_" for f in footer) + "\n" if footer else "")
    return text_table(df, precision=precision, footer=footer)
