"""``borderkit zones`` and ``borderkit timeline``: the modelled zones, calibrated to the account, over time."""

from __future__ import annotations

import click

from borderkit.case import current
from borderkit.cli.helpers import (
    TABLE_FORMATS,
    VECTOR_OUTPUTS,
    guard_outputs,
    info,
    output_format,
    write_features,
    write_table,
)
from borderkit.cli.observed import observed_given, observed_options, observed_source_opt, run_observed
from borderkit.cli.options import date_handler, output_opt, precision_opt, sequence_opt, use_rs_opt, wide_opt
from borderkit.errors import DataIntegrityError

__all__ = ["zones_cmd", "timeline_cmd"]

baseline_opt = click.option(
    "--baseline",
    default=None,
    help="Baseline rendering: one of the case's baselines ('borderkit layers' lists the line layers; default: the "
    "case's default baseline).",
)


#: What a case needs for zones, for the message when it lacks them.
def _sectors_help() -> str:
    """Return what to add for modelled zones, pointing at the bundled case's files as the example."""
    from borderkit.case import bundled_folder

    example = bundled_folder()
    return (
        f"a layer of sectors (land sources report taken: shape, anchors, depth, width, dates; see the bundled "
        f"case's {example / 'src' / 'sectors.csv'} and {example / 'layers' / 'sectors.geojson'}) and the components "
        "they make up (src/components.csv)"
    )


def _regions(level: str, what: str):
    """Return the subject's rows of the case's ``regions`` or ``communities`` layer (case.toml [territory])."""
    from borderkit.case import current
    from borderkit.registry import require

    case = current()
    name = case.regions_layer if level == "regions" else case.communities_layer
    if name is None:
        words = "first-level regions" if level == "regions" else "second-level units (communities, municipalities)"
        raise DataIntegrityError(
            f"This case names no {level} layer, which {what} needs. Add a polygon layer of the subject's {words} "
            f"(columns name and country, the subject's ISO code {case.subject.code!r}) and name it in "
            f'case.toml: [territory] {level} = "LAYER".'
        )
    units = require(name, needed_by=what, add=f"a polygon layer of the subject's {name} (columns name, country)")
    return units[units["country"] == case.subject.code]


raw_opt = click.option(
    "--raw",
    is_flag=True,
    help="Draw the raw geometry (the prior: stated depths and widths, a nominal 1 km where none is stated) "
    "instead of the zones calibrated to the account.",
)


def _frames(baseline_name: str, raw: bool):
    """Return (zones to draw, lines that say what they are) for the active case."""
    from borderkit.calibrate import account_zones
    from borderkit.registry import require
    from borderkit.zones import MODEL_NOTE, RAW_NOTE

    require(
        "sectors",
        needed_by="the modelled zones ('borderkit zones', 'timeline', and the zones on a map; a monitor's dated "
        "control polygons need none: 'borderkit timeline --observed ARCHIVE')",
        add=_sectors_help(),
    )
    cal = account_zones(baseline_name)
    if raw:
        return cal.raw, [f"These are the {RAW_NOTE}; {MODEL_NOTE}."]
    return cal.zones, [*cal.notes, f"These are {MODEL_NOTE}."]


@click.command("zones", short_help="Modelled zones, calibrated to the account (illustrative extents).")
@click.option(
    "--date", "on", default=None, callback=date_handler, help="Only the zones in force on this date (YYYY-MM-DD)."
)
@baseline_opt
@raw_opt
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
@precision_opt
@sequence_opt
@use_rs_opt
@wide_opt
def zones_cmd(on, baseline, raw, check, breakdown, fmt, output, precision, sequence, use_rs):
    """Draw the zone of every sector (or those in force on --date), calibrated to the account.

    A sector is land a source reports taken: a ribbon along the stretch it names, or a
    salient towards the place it names, with the depth and width its sources report where
    they report them (the dimensions column says which). Each component's zones are scaled
    until its new land measures the account's area for it ('borderkit reconcile'): an
    illustrative extent, not a surveyed line. --raw draws the stated parameters instead.

    \b
    $ borderkit zones --date 2022-12-31
    $ borderkit zones --raw --format csv
    $ borderkit zones -o zones.gpkg
    $ borderkit zones --format geojson --sequence | fio collect
    """
    guard_outputs({"-o": output})
    baseline = baseline or current().default_baseline
    tables_only = check or breakdown
    fmt = output_format(
        output, fmt, TABLE_FORMATS if tables_only else (*TABLE_FORMATS, *VECTOR_OUTPUTS), sequence=sequence
    )
    import shapely

    from borderkit.measure import area
    from borderkit.zones import MODEL_NOTE, active

    frame, notes = _frames(baseline, raw)
    if check:
        from borderkit.registry import require
        from borderkit.zones import consistency

        reported = require("events", needed_by="'borderkit zones --check'", add="a point layer of reported incidents")
        table = consistency(reported, frame)
        footer = [
            f"{int(table['consistent'].sum())} of {len(table)} reported positions/incursions lie in a "
            f"zone in force on their date (baseline {baseline}); the others are listed, not hidden. "
            "Area-named events (the report names only a town or province) are not positions and are skipped.",
            "distance_to_line_km: computed geodesic distance; stated_depth_km: what the report says.",
        ]
        shown = "table" if fmt in VECTOR_OUTPUTS else fmt
        write_table(table, shown, output, precision=precision, display=2, footer=footer)
        return
    if on:
        frame = frame[active(frame, on)].reset_index(drop=True)
    if fmt in VECTOR_OUTPUTS and not breakdown:
        method = (
            f"{MODEL_NOTE}; {'raw geometry (the prior)' if raw else 'calibrated to the account'}; baseline {baseline}"
        )
        write_features(frame, fmt, output, layer="zones", precision=precision, method=method, use_rs=use_rs)
        return
    union = shapely.union_all(frame.geometry.to_numpy()) if len(frame) else shapely.Polygon()
    total = float(area(union)[0])
    if breakdown:
        from borderkit.zones import breakdown as split_by

        units = _regions("regions" if breakdown == "province" else "communities", f"'--breakdown {breakdown}'")
        table = split_by(union, units, fill_gaps=breakdown == "province")
        table.insert(0, breakdown, table.pop("name"))
    else:
        columns = ["id", "component", "parameter_set", "date", "depth_km", "width_km", "area_km2"]
        said = ["dimensions"] if "dimensions" in frame.columns else []  # raw zones are as stated
        table = frame[[*columns, *said] if fmt == "table" else [*columns, *said, "end_date", "extent", "source"]]
    what = "raw zones" if raw else "calibrated zones"
    empty = list(frame.loc[frame["area_km2"] <= 0, "id"])
    footer = [
        f"Union of these {what}: {total:,.1f} km² (geodesic, WGS84; overlaps counted once)"
        + (f" on {on}" if on else " (all sectors, whatever their dates)")
        + f"; baseline {baseline}.",
        *notes,
        *(
            [
                f"Drawn empty: {', '.join(empty)}: the heaviest parameter set reports no ground taken there; "
                "the Monte Carlo samples the others ('borderkit reconcile --samples N')."
            ]
            if empty
            else []
        ),  # fmt: skip
        "Sectors, their parameter sets, quotes and sources: 'borderkit layers show sectors'.",
    ]
    shown = "table" if fmt in VECTOR_OUTPUTS else fmt  # --breakdown has no geometry
    write_table(table, shown, output, precision=precision, display=2, footer=footer)


@click.command("timeline", short_help="Area of the calibrated zones by date and province.")
@baseline_opt
@raw_opt
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown"]), default="table", show_default=True
)
@click.option("--png", type=click.Path(dir_okay=False), default=None, help="Also draw the chart to this PNG.")
@output_opt
@precision_opt
@wide_opt
@observed_source_opt
@observed_options
def timeline_cmd(baseline, raw, fmt, png, output, precision, observed_sources, **observed):
    """Print the area of the zones in force on each date a sector starts or ends, by province.

    The zones are calibrated to the account, so once every sector of a component is in
    force its land is the account's area for it; --raw shows the raw geometry (the prior).
    With --observed, measure a monitor's dated control polygons instead ('borderkit observed').

    \b
    $ borderkit timeline
    $ borderkit timeline --raw --format csv
    $ borderkit timeline --png timeline.png
    $ borderkit timeline --observed archive/ --every month --within provinces.gpkg
    """
    if observed_given(observed_sources):
        run_observed(observed_sources, fmt=fmt, output=output, precision=precision, png=png, raw=raw, **observed)
        return
    guard_outputs({"-o": output, "--png": png})
    fmt = output_format(output, fmt, TABLE_FORMATS)
    from borderkit.zones import timeline

    baseline = baseline or current().default_baseline
    frame, notes = _frames(baseline, raw)
    provinces = _regions("regions", "the timeline by region") if current().regions_layer else None
    table = timeline(frame, provinces=provinces)
    table.columns = [c.replace("area_km2_", "") for c in table.columns]
    what = "raw zones (the prior)" if raw else "calibrated zones"
    footer = [
        f"area_km2: geodesic km² of the union of the {what} in force on each date"
        + ("; one column per province (its share)" if provinces is not None else "")
        + f". Baseline {baseline}.",
        *notes,
    ]
    write_table(table, fmt, output, precision=precision, display=1, footer=footer)
    if png:
        from borderkit.plot import timeline_chart

        kind = "raw geometry" if raw else "illustrative, calibrated to the account"
        chart = table.rename(columns=lambda c: c if c in ("date", "sectors", "area_km2") else f"area_km2_{c}")
        timeline_chart(chart, png, title=f"Modelled area by province ({kind}; baseline {baseline})")
        info(f"wrote {png}")
