"""``borderkit zones`` and ``borderkit timeline``: the modelled zones and their area over time."""

from __future__ import annotations

import json

import click

from borderkit.cli.helpers import guard_outputs, write_text
from borderkit.cli.options import date_handler, output_opt

__all__ = ["zones_cmd", "timeline_cmd"]

baseline_opt = click.option(
    "--baseline",
    default="soviet_line",
    show_default=True,
    help="Baseline rendering: soviet_line, soviet_line_osm2017 or soviet_line_ne10m.",
)


def _model(baseline_name: str):
    from borderkit.registry import baseline, load
    from borderkit.zones import zones

    line, armenia = baseline(baseline_name)
    return zones(load("sectors"), line, armenia, baseline_name=baseline_name)


@click.command("zones", short_help="Modelled zones from the sectors (hypotheses).")
@click.option(
    "--date", "on", default=None, callback=date_handler, help="Only the zones in force on this date (YYYY-MM-DD)."
)
@baseline_opt
@click.option("--check", is_flag=True, help="Instead, check each reported position against the zones in force.")
@click.option(
    "--breakdown",
    type=click.Choice(["province", "community"]),
    default=None,
    help="Instead of the zones, list how much of their union falls in each province or community.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "geojson", "json", "csv"]), default="table", show_default=True
)
@output_opt
def zones_cmd(on, baseline, check, breakdown, fmt, output):
    """Build the modelled zone of every sector (or those in force on --date) and measure it.

    Each zone is the Armenian side of the baseline within the sector's stated depth of
    its stretch: a hypothesis from reported parameters, not a surveyed line.

    \b
    $ borderkit zones --date 2022-12-31
    $ borderkit zones --baseline soviet_line_ne10m --format geojson -o zones.geojson
    """
    guard_outputs({"-o": output})
    import shapely

    from borderkit.measure import area
    from borderkit.report import render_frame
    from borderkit.zones import MODEL_NOTE, active

    frame = _model(baseline)
    if check:
        from borderkit.registry import load
        from borderkit.zones import consistency

        table = consistency(load("events"), frame)
        footer = [
            f"{int(table['consistent'].sum())} of {len(table)} reported positions/incursions lie in a "
            f"zone in force on their date (baseline {baseline}); the others are listed, not hidden.",
            "distance_to_line_km: computed geodesic distance; stated_depth_km: what the report says.",
        ]
        write_text(render_frame(table, "table" if fmt == "geojson" else fmt, precision=2, footer=footer), output)
        return
    if on:
        frame = frame[active(frame, on)].reset_index(drop=True)
    if fmt == "geojson":
        from borderkit.io import to_feature_collection

        write_text(json.dumps(to_feature_collection(frame), ensure_ascii=False), output)
        return
    union = shapely.union_all(frame.geometry.to_numpy()) if len(frame) else shapely.Polygon()
    total = float(area(union)[0])
    if breakdown:
        from borderkit.registry import load
        from borderkit.zones import breakdown as split_by

        units = load("provinces" if breakdown == "province" else "communities")
        table = split_by(union, units[units["country"] == "ARM"], fill_gaps=breakdown == "province")
        table.insert(0, breakdown, table.pop("name"))
    else:
        table = frame[
            ["id", "name", "province", "date", "end_date", "depth_km", "profile", "area_km2", "confidence", "source"]
        ]
    footer = [
        f"Union of these zones: {total:,.1f} km² (geodesic, WGS84; overlaps counted once)"
        + (f" on {on}" if on else " (all sectors, whatever their dates)")
        + f"; baseline {baseline}.",
        f"These are {MODEL_NOTE}. Sector parameters and their basis: 'borderkit layers show sectors'.",
    ]
    write_text(render_frame(table, fmt, precision=2, footer=footer), output)


@click.command("timeline", short_help="Cumulative modelled area by date and province.")
@baseline_opt
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown"]), default="table", show_default=True
)
@click.option("--png", type=click.Path(dir_okay=False), default=None, help="Also draw the chart to this PNG.")
@output_opt
def timeline_cmd(baseline, fmt, png, output):
    """Print the cumulative modelled area on each date a sector starts or ends, by province.

    \b
    $ borderkit timeline
    $ borderkit timeline --png timeline.png
    """
    guard_outputs({"-o": output, "--png": png})
    from borderkit.registry import load
    from borderkit.report import render_frame
    from borderkit.zones import MODEL_NOTE, timeline

    provinces = load("provinces")
    table = timeline(_model(baseline), provinces=provinces[provinces["country"] == "ARM"])
    footer = [
        f"Area: geodesic km² of the union of zones in force on each date; baseline {baseline}.",
        f"These are {MODEL_NOTE}.",
    ]
    write_text(render_frame(table, fmt, precision=1, footer=footer), output)
    if png:
        from borderkit.plot import timeline_chart

        timeline_chart(table, png, title=f"Modelled area by province (hypothesis; baseline {baseline})")
        click.echo(f"wrote {png}", err=True)
