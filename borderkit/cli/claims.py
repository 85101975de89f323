"""``borderkit claims``: the Sev Lake shares under every baseline and claim; road crossings."""

from __future__ import annotations

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
from borderkit.cli.options import output_opt, precision_opt, sequence_opt, use_rs_opt, wide_opt

__all__ = ["claims", "crossings_cmd"]


@click.command("claims", short_help="Sev Lake: the share on each side, per baseline and claim.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]), default="table", show_default=True
)
@output_opt
@precision_opt
@wide_opt
def claims(fmt, output, precision):
    """Print Sev Lake's share on each side for every baseline rendering and every claim.

    \b
    $ borderkit claims
    """
    guard_outputs({"-o": output})
    fmt = output_format(output, fmt, TABLE_FORMATS)
    from borderkit.claims import lake_shares
    from borderkit.registry import load

    lake = load("lakes").set_index("id").geometry["sev-lake"]
    renderings = load("armenia_renderings").set_index("baseline").geometry.to_dict()
    claimed = load("claims")
    shares = dict(zip(claimed["id"].str.removeprefix("claim-sev-lake-"), claimed["armenian_share"], strict=True))
    table = lake_shares(lake, renderings, shares)
    footer = [
        "Lake: OpenStreetMap polygon (geo-maps 2017), geodesic areas on WGS84. 'as drawn' is each rendering's "
        "own line; claims: northern-third (seed-003), 1975-map (seed-002, over 90% taken as 90%), "
        "azerbaijan (seed-002, whole lake).",
        "Share claims are drawn as east-west cuts with Azerbaijan to the north, as the reports describe; "
        "area_between_km2 is the lake area that changes side between the rendering's line and the claim.",
    ]
    write_table(table, fmt, output, precision=precision, display=2, footer=footer)


@click.command("crossings", short_help="Stretches of a road on the other side of the baseline.")
@click.argument("source", default="roads")
@click.option("--baseline", default="soviet_line", show_default=True, help="Baseline rendering.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json", "geojson"]), default="table", show_default=True
)
@output_opt
@precision_opt
@sequence_opt
@use_rs_opt
@wide_opt
def crossings_cmd(source, baseline, fmt, output, precision, sequence, use_rs):
    """List the stretches of each line in SOURCE (default: the bundled roads) outside Armenia.

    SOURCE is a layer name, a line file, or - for GeoJSON on stdin.

    \b
    $ borderkit crossings
    $ borderkit crossings my_m2_road.geojson --baseline soviet_line_osm2017
    """
    from pathlib import Path

    guard_outputs({"-o": output}, inputs=[source])
    fmt = output_format(output, fmt, (*TABLE_FORMATS, *VECTOR_OUTPUTS), sequence=sequence)
    from borderkit.claims import crossings
    from borderkit.io import read_user_geodata
    from borderkit.registry import baseline as get_baseline
    from borderkit.registry import layers, load
    from borderkit.validate import check_crs, check_not_empty

    if source != "-" and not Path(source).exists():
        lines = load(layers().query_name(source)["name"])
        notes = []
    else:
        from borderkit.io import read_stdin_text

        raw = read_user_geodata(source, stdin_text=read_stdin_text() if source == "-" else None)
        check_not_empty(raw, source)
        lines, notes = check_crs(raw, source)
    notes_to_stderr(notes)
    _, armenia = get_baseline(baseline)
    found = crossings(lines, armenia)
    if fmt in VECTOR_OUTPUTS:
        method = f"stretches outside the baseline {baseline}; lengths geodesic on WGS84"
        write_features(
            found, fmt, output, layer="crossings", precision=precision, method=method, use_rs=use_rs, inputs=(source,)
        )
        return
    table = found.drop(columns="geometry")
    footer = [
        f"{len(found)} stretches outside Armenia ({baseline}); lengths geodesic on WGS84. "
        "The bundled road is NOT surveyed (straight segments through named villages)."
    ]
    write_table(table, fmt, output, precision=precision, display=2, footer=footer, inputs=(source,))
