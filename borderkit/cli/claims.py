"""``borderkit claims``: a claimed feature's share on each side under every baseline and claim; road crossings."""

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

CLAIMS_LAYER = (
    "a line layer of claimed divisions of a feature (a lake, an island): besides the common columns, "
    "'feature' (layer:id of the feature a claim divides, e.g. lakes:my-lake) and 'subject_share' (the share "
    "of it the claim gives the subject, 0..1)"
)


ROADS_LAYER = "a line layer of roads (or give a line file as SOURCE: 'borderkit crossings my_road.geojson')"


@click.command("claims", short_help="Claimed features: the share on each side, per baseline and claim.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]), default="table", show_default=True
)
@output_opt
@precision_opt
@wide_opt
def claims(fmt, output, precision):
    """Print each claimed feature's share on each side for every baseline rendering and every claim.

    subject_pct is the share on the subject's side (the party whose territory the case
    measures), counterpart_pct the rest; tables show the parties' names instead.

    \b
    $ borderkit claims
    $ borderkit claims --format csv
    """
    guard_outputs({"-o": output})
    fmt = output_format(output, fmt, TABLE_FORMATS)
    import pandas as pd

    from borderkit.case import current
    from borderkit.claims import feature_shares, stated_shares
    from borderkit.registry import claims as claim_layer
    from borderkit.registry import feature, load, require

    case = current()
    require("claims", needed_by="'borderkit claims'", add=CLAIMS_LAYER)
    claimed = claim_layer()
    renderings = load(case.territory_layer).set_index("baseline").geometry.to_dict()
    tables = [
        feature_shares(feature(ref), renderings, shares).assign(feature=ref)
        for ref, shares in stated_shares(claimed).items()
    ]
    columns = ["feature", "baseline", "claim", "subject_pct", "counterpart_pct", "feature_km2", "area_between_km2"]
    table = pd.concat(tables, ignore_index=True)[columns] if tables else pd.DataFrame(columns=columns)
    counterpart = case.counterpart.name if case.counterpart else "the other side"
    if fmt in ("table", "markdown"):
        table = table.rename(columns={"subject_pct": f"{case.subject.name} %", "counterpart_pct": f"{counterpart} %"})
    write_table(table, fmt, output, precision=precision, display=2, footer=_footer(claimed, case, counterpart))


def _footer(claimed, case, counterpart: str) -> list[str]:
    """Say what each feature and claim is, from the layers themselves."""
    from borderkit.claims import claim_name
    from borderkit.registry import load

    lines = []
    for ref, said in claimed.groupby(claimed["feature"].astype(str), sort=False):
        layer, _, fid = ref.partition(":")
        row = load(layer).set_index("id").loc[fid]
        named = "; ".join(
            f"{claim_name(c.id, ref)} ({c.source}: {c.name}, {c.subject_share:.0%} to {case.subject.name})"
            for c in said.itertuples()
        )
        lines.append(f"{ref}: {row['name']}; {row['method']} ({row['source']}). Claims: {named}.")
    return [
        *lines,
        "'as drawn' is each rendering's own line; areas geodesic on WGS84. Share claims are drawn as east-west "
        f"cuts with {case.subject.name} to the south; area_between_km2 is the feature's area that changes side "
        "between the rendering's line and the claim.",
        f"In CSV and JSON the share columns are subject_pct ({case.subject.name}) and counterpart_pct ({counterpart}).",
    ]


@click.command("crossings", short_help="Stretches of a road on the other side of the baseline.")
@click.argument("source", default="roads")
@click.option("--baseline", default=None, help="Baseline rendering (default: the case's default baseline).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json", "geojson"]), default="table", show_default=True
)
@output_opt
@precision_opt
@sequence_opt
@use_rs_opt
@wide_opt
def crossings_cmd(source, baseline, fmt, output, precision, sequence, use_rs):
    """List the stretches of each line in SOURCE (default: the case's roads layer) outside the subject's territory.

    SOURCE is a layer name, a line file, or - for GeoJSON on stdin.

    \b
    $ borderkit crossings
    $ borderkit crossings my_road.geojson
    """
    from pathlib import Path

    guard_outputs({"-o": output}, inputs=[source])
    fmt = output_format(output, fmt, (*TABLE_FORMATS, *VECTOR_OUTPUTS), sequence=sequence)
    from borderkit.case import current
    from borderkit.claims import crossings
    from borderkit.io import read_user_geodata
    from borderkit.registry import baseline as get_baseline
    from borderkit.registry import layers, load, require
    from borderkit.validate import check_crs, check_not_empty

    described = ""
    if source == "roads" and not Path(source).exists():  # the default: say what to add when the case has none
        require("roads", needed_by="'borderkit crossings' without a SOURCE", add=ROADS_LAYER)
    if source != "-" and not Path(source).exists():
        layer = layers().query_name(source)
        lines, notes, described = load(layer["name"]), [], f" Layer {layer['name']}: {layer['description']}."
    else:
        from borderkit.io import read_stdin_text

        raw = read_user_geodata(source, stdin_text=read_stdin_text() if source == "-" else None)
        check_not_empty(raw, source)
        lines, notes = check_crs(raw, source)
    notes_to_stderr(notes)
    baseline = baseline or current().default_baseline
    _, territory = get_baseline(baseline)
    found = crossings(lines, territory)
    if fmt in VECTOR_OUTPUTS:
        method = f"stretches outside the baseline {baseline}; lengths geodesic on WGS84"
        write_features(
            found, fmt, output, layer="crossings", precision=precision, method=method, use_rs=use_rs, inputs=(source,)
        )
        return
    table = found.drop(columns="geometry")
    footer = [
        f"{len(found)} stretches outside {current().subject.name} ({baseline}); lengths geodesic on WGS84." + described
    ]
    write_table(table, fmt, output, precision=precision, display=2, footer=footer, inputs=(source,))
