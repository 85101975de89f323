"""Options shared by commands.

==================  =========================================================
``output_opt``      ``-o/--output FILE``: write there (atomically), not stdout
``layer_opt``       ``--layer NAME``: the layer of a multi-layer file
``crs_opt``         ``--crs CRS``: the input's CRS when the file has none/wrong
``fix_opt``         ``--fix``: repair invalid geometries with make_valid
``swap_xy_opt``     ``--swap-xy``: swap x/y of an input given as lat/lon
``axis_check_opt``  ``--axis-check/--no-axis-check``
``precision_opt``   ``--precision N``: decimals of every number written (-1 = no rounding)
``sequence_opt``    ``--sequence/--collection``: GeoJSON as one feature per line
``use_rs_opt``      ``--rs/--no-rs``: start each feature of a sequence with RS
``wide_opt``        ``--wide``: tables show every column and cell in full
``max_memory_opt``  ``--max-memory SIZE``: memory limit for one job (8G, 512M)
``date_handler``    callback for date options: YYYY-MM-DD (or YYYY-MM), else exit 2
==================  =========================================================

Numbers: every float option uses :class:`FiniteFloat` (and ``LON,LAT`` pairs
:class:`LonLat`), so NaN, infinity and overflowing literals such as ``1e999`` are refused
with the allowed range, never passed on to print a wrong number.
"""

from __future__ import annotations

import math
from typing import SupportsFloat, SupportsIndex

import click

__all__ = [
    "output_opt",
    "layer_opt",
    "crs_opt",
    "fix_opt",
    "swap_xy_opt",
    "axis_check_opt",
    "precision_opt",
    "sequence_opt",
    "use_rs_opt",
    "wide_opt",
    "max_memory_opt",
    "FiniteFloat",
    "LonLat",
    "ByteSize",
    "date_handler",
]

output_opt = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),  # writability: borderkit.cli.helpers.guard_outputs says why
    default=None,
    help="Write to FILE (atomically) instead of stdout.",
)
layer_opt = click.option("--layer", default=None, help="Layer of a multi-layer file (GeoPackage).")
crs_opt = click.option("--crs", default=None, help="CRS of the input when it has none or a wrong one, e.g. EPSG:32638.")
fix_opt = click.option(
    "--fix", is_flag=True, help="Repair invalid geometries with make_valid and report the area change."
)
swap_xy_opt = click.option("--swap-xy", is_flag=True, help="Swap x and y of an input written as (lat, lon).")
axis_check_opt = click.option(
    "--axis-check/--no-axis-check",
    default=True,
    show_default=True,
    help="Stop when the input looks like lat/lon swapped.",
)
# The flag names and defaults are cligj's (rasterio, fiona), so fio pipelines work both ways:
# ``fio cat x.gpkg | borderkit area -`` and ``borderkit zones --format geojson --sequence | fio collect``.
precision_opt = click.option(
    "--precision",
    type=click.IntRange(-1, 15),
    default=-1,
    show_default=True,
    help="Round every number written (coordinates, areas) to N decimals. -1: no rounding in CSV, JSON "
    "and geodata files; tables then show their usual decimals.",
)
sequence_opt = click.option(
    "--sequence/--collection",
    default=False,
    show_default=True,
    help="GeoJSON as a sequence of features, one per line (for fio), or one FeatureCollection.",
)
use_rs_opt = click.option(
    "--rs/--no-rs",
    "use_rs",
    default=False,
    show_default=True,
    help="With --sequence: start each feature with RS (0x1E), as RFC 8142 says.",
)


def _wide_handler(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """Show tables in full for the rest of the command (``--wide``)."""
    if value:
        from borderkit.report import table_width

        ctx.with_resource(table_width(None))


wide_opt = click.option(
    "--wide",
    is_flag=True,
    expose_value=False,
    callback=_wide_handler,
    help="Show every column and cell of tables in full, however wide the terminal.",
)


def _parse_finite(value: str | SupportsFloat | SupportsIndex) -> float | None:
    """Return ``value`` as a finite float, or None (not a number, NaN, ±inf, or overflowing)."""
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _number(x: float) -> str:
    """Write a bound readably: 20,037,508 rather than 2.00375e+07."""
    return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


class FiniteFloat(click.ParamType):
    """A float option that must be finite and may have bounds (click's FloatRange lets NaN through).

    Parameters
    ----------
    min, max
        Bounds (None: unbounded).
    min_open, max_open
        Whether the bound itself is excluded.
    unit
        Said in messages after the numbers (e.g. ``"m"``).
    """

    name = "number"

    def __init__(self, min=None, max=None, *, min_open=False, max_open=False, unit=""):  # noqa: A002
        self.min, self.max, self.min_open, self.max_open, self.unit = min, max, min_open, max_open, unit

    def allowed(self) -> str:
        """Describe the allowed values, for help and messages."""
        unit = self.unit if self.unit in ("", "°") else f" {self.unit}"
        lo = None if self.min is None else f"{'>' if self.min_open else '>='} {_number(self.min)}{unit}"
        hi = None if self.max is None else f"{'<' if self.max_open else '<='} {_number(self.max)}{unit}"
        return "a finite number " + (" and ".join(b for b in (lo, hi) if b) or "(any)")

    def get_metavar(self, param, ctx=None) -> str:  # noqa: D102
        return "NUMBER"

    def convert(self, value, param, ctx):  # noqa: D102
        number = _parse_finite(value)
        if number is None:
            self.fail(f"{value!r} is not {self.allowed()} (NaN, infinity and numbers beyond ±1.8e308 are refused).")
        low = self.min is not None and (number <= self.min if self.min_open else number < self.min)
        high = self.max is not None and (number >= self.max if self.max_open else number > self.max)
        if low or high:
            self.fail(f"{value!r} is out of range: give {self.allowed()}.")
        return number


class LonLat(click.ParamType):
    """A ``LON,LAT`` pair of finite degrees within ±180 / ±90."""

    name = "lon,lat"

    def convert(self, value, param, ctx):  # noqa: D102
        if isinstance(value, tuple):
            return value
        parts = str(value).split(",")
        numbers = [_parse_finite(p) for p in parts]
        if len(parts) != 2 or None in numbers:
            self.fail(f"{value!r} is not LON,LAT in finite degrees (e.g. 46.12,39.55).")
        lon, lat = numbers
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            self.fail(f"{value!r} is not a position: longitude must be within ±180 and latitude within ±90.")
        return lon, lat


class ByteSize(click.ParamType):
    """A memory size: bytes, or a number with a binary K/M/G/T suffix (``8G``, ``512M``)."""

    name = "size"

    def convert(self, value, param, ctx):  # noqa: D102
        from borderkit.errors import UsageError
        from borderkit.validate import parse_size

        if isinstance(value, int):
            return value
        try:
            return parse_size(value, "the size")
        except UsageError as exc:
            self.fail(str(exc))


max_memory_opt = click.option(
    "--max-memory",
    "max_memory",
    type=ByteSize(),
    default=None,
    help="Refuse a job estimated to need more memory than SIZE (e.g. 8G). "
    "Default: $BORDERKIT_MAX_MEMORY, else half the physical RAM.",
)


def date_handler(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check a date option when it is parsed, so an empty or malformed date is a usage error.

    Without this, ``--from ""`` reads as "no filter" (an empty string is falsy) and
    ``2021-02-30`` fails deep inside a command. Returns the date in ISO form.
    """
    if value is None:
        return None
    from borderkit.errors import UsageError
    from borderkit.events import parse_date

    try:
        return parse_date(value, param.opts[0] if param.opts else "date").isoformat()
    except UsageError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
