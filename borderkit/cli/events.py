"""``borderkit events``: the dated, sourced incidents, filtered by date and type."""

from __future__ import annotations

import click

from borderkit.cli.helpers import (
    TABLE_FORMATS,
    VECTOR_OUTPUTS,
    guard_outputs,
    output_format,
    write_features,
    write_table,
)
from borderkit.cli.options import date_handler, output_opt, precision_opt, sequence_opt, use_rs_opt, wide_opt
from borderkit.events import EVENT_TYPES

__all__ = ["events"]


@click.command("events", short_help="List reported incidents by date and type.")
@click.option("--from", "start", default=None, callback=date_handler, help="First date, YYYY-MM-DD.")
@click.option("--to", "end", default=None, callback=date_handler, help="Last date, YYYY-MM-DD (inclusive).")
@click.option("--type", "types", multiple=True, type=click.Choice(EVENT_TYPES), help="Event type (repeatable).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json", "geojson"]), default="table", show_default=True
)
@output_opt
@precision_opt
@sequence_opt
@use_rs_opt
@wide_opt
def events(start, end, types, fmt, output, precision, sequence, use_rs):
    """List the reported incidents: date, type, place, reported distance, who reports it, source.

    Conflicting accounts of one incident are separate rows linked by ``linked_to``:
    borderkit shows both and never picks one.

    \b
    $ borderkit events --from 2021-05-01 --to 2021-05-31
    $ borderkit events --type checkpoint/blockade -o checkpoints.gpkg
    $ borderkit events --wide
    """
    guard_outputs({"-o": output})
    fmt = output_format(output, fmt, (*TABLE_FORMATS, *VECTOR_OUTPUTS), sequence=sequence)
    from borderkit.case import current
    from borderkit.events import select_events
    from borderkit.registry import require

    reported = require(
        "events", needed_by="'borderkit events'",
        add="a point layer of reported incidents (see the bundled case's layers/events.geojson for the columns)",
    )  # fmt: skip
    chosen = select_events(reported, start=start, end=end, types=types)
    if fmt in VECTOR_OUTPUTS:
        method = "as reported (sources per row); distance_to_line_km geodesic on WGS84"
        write_features(chosen, fmt, output, layer="events", precision=precision, method=method, use_rs=use_rs)
        return
    cols = [
        "date",
        "type",
        "name",
        "position",
        "distance_km",
        "distance_to_line_km",
        "reported_by",
        "source",
        "confidence",
        "linked_to",
    ]
    more = ["id", "quote", "named_area", "position_source", "position_quote", "method", "note"]
    table = chosen[cols if fmt == "table" else [*cols, *more]].copy()
    table["name"] = table["name"].str.split(": ", n=1).str[1]
    footer = [
        f"{len(table)} events as reported in the seed reports and published pages "
        "(sources: 'borderkit layers sources').",
        f"distance_km is the distance into {current().subject.name} a report states; distance_to_line_km is "
        f"computed (geodesic, from the point to the baseline {current().default_baseline}). Linked rows are "
        "conflicting accounts.",
        "position 'area-named': the report names only a town, province or area; its point marks that area, "
        "not a position, so no distance is computed for it.",
    ]
    write_table(table.reset_index(drop=True), fmt, output, precision=precision, display=1, footer=footer)
