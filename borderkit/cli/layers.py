"""``borderkit layers``: list, show and verify the curated layers."""

from __future__ import annotations

import click

from borderkit.cli.helpers import VECTOR_OUTPUTS, guard_outputs, output_format, write_features, write_text
from borderkit.cli.options import output_opt, precision_opt, sequence_opt, use_rs_opt, wide_opt

__all__ = ["layers"]


@click.group("layers", invoke_without_command=True, short_help="List the curated layers.")
@wide_opt
@click.pass_context
def layers(ctx: click.Context) -> None:
    """List the curated layers: name, kind, rows, sources and licence.

    \b
    $ borderkit layers
    $ borderkit layers show enclaves -o enclaves.geojson
    $ borderkit layers check
    """
    if ctx.invoked_subcommand is not None:
        return
    import pandas as pd

    from borderkit.registry import layers as registry_layers
    from borderkit.report import text_table

    known = registry_layers()
    rows = [
        {"name": k, "kind": v["kind"], "rows": v["nrows"], "sources": ", ".join(v["sources"]), "licence": v["license"]}
        for k, v in known.items()
    ]
    # the credit line is the case's own: every layer's attribution, each once
    credits = dict.fromkeys(part.strip() for v in known.values() for part in str(v["attribution"]).split(";"))
    footer = [f"Sources: 'borderkit layers sources'. Data: {'; '.join(c for c in credits if c)}."]
    write_text(text_table(pd.DataFrame(rows), footer=footer), None)


@layers.command("show", short_help="Write a layer as GeoJSON (or GeoPackage, GeoParquet...).")
@click.argument("name")
@output_opt
@precision_opt
@sequence_opt
@use_rs_opt
def show(name: str, output: str | None, precision: int, sequence: bool, use_rs: bool) -> None:
    """Write layer NAME as a GeoJSON FeatureCollection to stdout, or to FILE in the format its name says.

    \b
    $ borderkit layers show places | jq '.features | length'
    $ borderkit layers show enclaves -o enclaves.gpkg
    $ borderkit layers show events --sequence | fio collect
    """
    guard_outputs({"-o": output})
    fmt = output_format(output, "geojson", VECTOR_OUTPUTS, sequence=sequence)
    from borderkit.io import case_name
    from borderkit.registry import layers as registry_layers
    from borderkit.registry import load

    entry = registry_layers().query_name(name)
    method = (
        f"layer {entry['name']!r} of case {case_name()!r} as curated ({entry['attribution']}); "
        f"licence {entry['license']}"
    )
    write_features(
        load(entry["name"]),
        fmt,
        output,
        layer=entry["name"],
        precision=precision,
        method=method,
        sources=entry["sources"],
        use_rs=use_rs,
    )


@layers.command("sources", short_help="List the sources registry.")
@wide_opt
def sources_cmd() -> None:
    """List every source a feature can cite: key, title, publisher, date, licence."""
    from borderkit.registry import sources
    from borderkit.report import text_table

    table = sources()[["key", "publisher", "date", "licence"]]
    write_text(text_table(table), None)


@layers.command("check", short_help="Verify layers against the manifest.")
def check() -> None:
    """Verify every layer file against its manifest entry (hash, rows, columns, types, CRS)."""
    from borderkit.errors import DataIntegrityError
    from borderkit.registry import layers as registry_layers
    from borderkit.registry import verify

    failed = {}
    for name in registry_layers():
        problems = verify(name)
        click.echo(f"{name:22s} {'ok' if not problems else '; '.join(problems)}")
        if problems:
            failed[name] = problems
    if failed:
        raise DataIntegrityError(
            f"{len(failed)} layer(s) differ from the manifest: {', '.join(failed)}. Rebuild them with 'make geodata'."
        )
