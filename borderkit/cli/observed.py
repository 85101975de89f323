"""``borderkit observed`` (and ``borderkit timeline --observed``): a monitor's dated control polygons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from borderkit.cli.helpers import (
    TABLE_FORMATS,
    VECTOR_OUTPUTS,
    guard_outputs,
    notes_to_stderr,
    output_format,
    write_features,
    write_table,
)
from borderkit.cli.options import crs_opt, fix_opt, layer_opt, output_opt, precision_opt, wide_opt
from borderkit.errors import UsageError

__all__ = [
    "observed_cmd",
    "observed_options",
    "observed_source_opt",
    "observed_given",
    "resolve_sources",
    "run_observed",
]

#: At most this many notes are printed; the rest are counted.
MAX_NOTES = 8

#: The options that belong to observed archives, by parameter name (``--observed`` is timeline's).
_OPTIONS = ("every", "between", "territory", "within", "region_column", "date_column", "layer", "crs", "fix")

_every_opt = click.option(
    "--every",
    type=click.Choice(["day", "week", "month", "year"]),
    default=None,
    help="Land gained and lost per calendar day, week (Monday-Sunday), month or year, instead of the area per date.",
)
_between_opt = click.option(
    "--between",
    nargs=2,
    metavar="D1 D2",
    default=None,
    help="Land gained and lost between the maps in force on two dates (YYYY-MM-DD), instead of the area per date.",
)
_territory_opt = click.option(
    "--territory",
    type=click.Path(dir_okay=False),
    default=None,
    help="Polygon file of a territory: also give each date's share of it (share_pct).",
)
_within_opt = click.option(
    "--within",
    type=click.Path(dir_okay=False),
    default=None,
    help="Polygon file of regions (provinces, say): split every figure by region.",
)
_region_column_opt = click.option(
    "--region-column", default=None, help="The column naming each --within region (default: name, else id)."
)
_date_column_opt = click.option(
    "--date-column",
    default="date",
    show_default=True,
    help="The property holding each feature's date; without one, the date in the file name (YYYYMMDD or YYYY-MM-DD).",
)


def observed_options(fn: Callable) -> Callable:
    """Add the options of observed archives to a command (``borderkit observed``, ``borderkit timeline``)."""
    options = (_every_opt, _between_opt, _territory_opt, _within_opt, _region_column_opt, _date_column_opt)
    for option in reversed((*options, layer_opt, crs_opt, fix_opt)):
        fn = option(fn)
    return fn


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def resolve_sources(sources: tuple[str, ...] | list[str]) -> list[str]:
    """Return the sources with the archive names of the case's manifest ([observed]) replaced by their paths.

    A path that exists wins over a name, so a folder named like an archive is read as given.
    """
    from pathlib import Path

    from borderkit.case import current

    case = current()
    return [case.observed_source(s) if s in case.observed and not Path(s).exists() else s for s in sources]


def observed_given(sources: tuple[str, ...]) -> bool:
    """Say whether ``timeline`` should measure an archive (``--observed`` given); refuse its options alone."""
    if sources:
        return True
    ctx = click.get_current_context()
    stray = [f"--{n.replace('_', '-')}" for n in _OPTIONS if n in ctx.params and _given(ctx, n)]
    if stray:
        raise UsageError(
            f"{', '.join(stray)} applies to an archive of control polygons, and no --observed was given. "
            "Add --observed FOLDER (or a glob pattern, or a file), or drop the option."
        )
    return False


def _refuse_model_options(png: str | None, raw: bool) -> None:
    """Refuse ``timeline``'s options for the modelled zones together with ``--observed``."""
    ctx = click.get_current_context()
    given = [f"--{n}" for n in ("baseline",) if n in ctx.params and _given(ctx, n)]
    given += ["--raw"] if raw else []
    given += ["--png"] if png else []
    if given:
        raise UsageError(
            f"{', '.join(given)} applies to the modelled zones, not to --observed control polygons. Drop it; "
            "to chart an archive, write --format csv and plot that."
        )


def _footer(every: str | None, between: tuple | None, territory: str | None, within: str | None) -> list[str]:
    if every or between:
        lines = [
            "gained_km2: ground held on period_end and not on period_start; lost_km2: the reverse; "
            "net_km2 = gained_km2 - lost_km2. Geodesic areas (WGS84) of the difference polygons.",
            "A map holds until the next date; periods share their ends, so their net changes add up.",
        ]
    else:
        lines = ["area_km2: geodesic area (WGS84) of the union of each date's polygons."]
        if within:
            lines.append(f"share_pct: the share of each region of {within!r} that is held.")
        elif territory:
            lines.append(f"share_pct: the share of the territory in {territory!r} that is held.")
    return lines


def _read_line(sources: tuple[str, ...], files: int, table: Any) -> str:
    """Return the footer line naming the archive measured: the monitor's maps, whose they are, their span."""
    dates = table["date"] if "date" in table else [*table["period_start"], *table["period_end"]]
    span = f", {min(dates)} to {max(dates)}" if len(dates) else ""
    return (
        f"Maps: {', '.join(map(str, sources))} ({files} file{'' if files == 1 else 's'}{span}): the monitor's "
        "control polygons as given; cite the monitor with the figures."
    )


def run_observed(
    sources: tuple[str, ...],
    *,
    fmt: str,
    output: str | None,
    precision: int,
    png: str | None = None,
    raw: bool = False,
    **options: Any,
) -> None:
    """Measure an archive (:func:`borderkit.observed.observed`) and write the table, or its polygons with ``-o``.

    ``-o`` with a table ending (.csv, .json, .md, .txt) writes the table; with a vector
    ending (.geojson, .gpkg, ...) it writes the polygons measured and the table goes to stdout.
    """
    from borderkit.observed import archive_files, observed

    _refuse_model_options(png, raw)
    sources = tuple(resolve_sources(sources))
    maps = [str(p) for p in archive_files(sources)]
    inputs = [*maps, *(p for p in (options.get("territory"), options.get("within")) if p)]
    guard_outputs({"-o": output}, inputs=inputs)
    chosen = output_format(output, fmt, (*TABLE_FORMATS, *VECTOR_OUTPUTS))
    result = observed(list(sources), **options)
    _notes(result.notes)
    footer = _footer(options["every"], options["between"], options["territory"], options["within"])
    footer.append(_read_line(sources, len(maps), result.table))
    if chosen in VECTOR_OUTPUTS:
        method = "geodesic area on the WGS84 ellipsoid of the union of each date's polygons" + (
            "; gained/lost: difference polygons between the maps in force on period_start and period_end"
            if options["every"] or options["between"]
            else ""
        )
        write_features(result.polygons, chosen, output, layer="observed", precision=precision, method=method)
        output = None  # the table goes to stdout
        chosen = fmt
    write_table(result.table, chosen, output, precision=precision, display=2, footer=footer, inputs=tuple(inputs))


def _notes(notes: list[str]) -> None:
    shown = notes[:MAX_NOTES]
    if len(notes) > MAX_NOTES:
        shown.append(f"... and {len(notes) - MAX_NOTES} more notes like these.")
    notes_to_stderr(shown)


@click.command("observed", short_help="Area held per date, and land gained and lost per period, from dated maps.")
@click.argument("sources", nargs=-1, required=True)
@observed_options
@click.option(
    "--format", "fmt", type=click.Choice(list(TABLE_FORMATS)), default="table", show_default=True
)  # fmt: skip
@output_opt
@precision_opt
@wide_opt
def observed_cmd(sources, fmt, output, precision, **options):
    """Measure a monitor's archive of dated control polygons (one map per date).

    SOURCES are folders, glob patterns (quoted) or files: one file per date, or one file
    with a date column; or the name of an archive in the case's case.toml [observed]. A
    feature's date is its 'date' property (--date-column), else the
    date in its file name (YYYYMMDD or YYYY-MM-DD). Any format borderkit reads, any CRS.

    Per date: the geodesic area held (area_km2) and, with --territory, its share. With
    --every or --between: the ground gained and lost (areas of the difference polygons)
    and the net change. --within splits every figure by region. -o FILE.gpkg (or
    .geojson...) writes the polygons measured; -o FILE.csv the table.

    \b
    $ borderkit observed 'archive/*.geojson' --territory country.gpkg
    $ borderkit observed archive/ --every month --format csv
    $ borderkit observed archive/ --between 2022-09-01 2022-09-30 -o september.gpkg
    $ borderkit timeline --observed archive/ --every week --within provinces.gpkg
    """
    run_observed(sources, fmt=fmt, output=output, precision=precision, **options)


#: ``timeline``'s option naming the archive (repeatable).
observed_source_opt = click.option(
    "--observed",
    "observed_sources",
    multiple=True,
    metavar="SOURCE",
    help="Measure a monitor's dated control polygons instead (folder, quoted glob, file, or an archive named in "
    "case.toml [observed]; repeatable: read as one archive). See 'borderkit observed --help'.",
)
