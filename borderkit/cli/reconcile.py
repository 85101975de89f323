"""``borderkit reconcile``: which hypotheses reproduce each published estimate, with uncertainty."""

from __future__ import annotations

import json
import sys

import click

from borderkit.cli.helpers import check_output_path, write_text
from borderkit.cli.options import output_opt

__all__ = ["reconcile_cmd"]


@click.command("reconcile", short_help="Explain every published area estimate with numbers.")
@click.option(
    "--estimates",
    "estimates_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Your own estimates CSV (columns: id, value, unit, qualifier, date, who, covers, source).",
)
@click.option(
    "--samples",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="Monte Carlo samples for the uncertainty band (0: none).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed, the same numbers.")
@click.option(
    "--dem",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="DEM GeoTIFF: adds the terrain-surface hypothesis.",
)
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True, help="Explanations per estimate.")
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0, max=1),
    default=0.1,
    show_default=True,
    help="Relative tolerance for 'about' figures.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "markdown", "json", "csv"]), default="table", show_default=True
)
@click.option(
    "--probability-raster",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the share of samples covering each 200 m cell (last date) as a GeoTIFF.",
)
@output_opt
def reconcile_cmd(estimates_path, samples, seed, dem, top, tolerance, fmt, probability_raster, output):
    """For every estimate, the hypotheses (scope, date, baseline, method, unit) that reproduce it.

    Prints the best explanations with computed value and residual, the implied depth,
    the ratio table, and the Monte Carlo band of the modelled area on each estimate date.

    \b
    $ borderkit reconcile
    $ borderkit reconcile --samples 1000 --seed 7 --probability-raster occupied.tif
    $ borderkit reconcile --estimates my_figures.csv --format markdown -o reconcile.md
    """
    import pandas as pd

    check_output_path(output, "-o")
    check_output_path(probability_raster, "--probability-raster")
    from borderkit.reconcile import HEADER, ratios, reconcile, validate_estimates
    from borderkit.registry import area_model, baseline, baselines, estimates, load
    from borderkit.report import render_frame

    if estimates_path:
        from borderkit.errors import InputError

        try:
            table = pd.read_csv(estimates_path, dtype={"date": str}, keep_default_na=False)
        except Exception as exc:
            raise InputError(f"{estimates_path!r} could not be read as CSV: {exc}.") from None
        table = validate_estimates(table)
    else:
        table = estimates()
    model = area_model()
    with click.progressbar(length=len(table), label="explaining estimates", file=sys.stderr) as bar:
        explained = reconcile(table, model, top=top, tolerance=tolerance, dem=dem, progress=bar.update)
    ratio_table = ratios(table, model, dem=dem)
    band = None
    if samples:
        from borderkit.montecarlo import monte_carlo, summarise

        dates = sorted(set(table["date"]))
        with click.progressbar(length=samples, label="Monte Carlo", file=sys.stderr) as bar:
            result = monte_carlo(
                load("sectors"),
                {n: baseline(n) for n in baselines()},
                dates,
                samples=samples,
                seed=seed,
                max_shift_m=model.datum[2],
                raster_cell_m=200.0 if probability_raster else None,
                progress=bar.update,
            )
        band = summarise(result)
        if probability_raster:
            from affine import Affine

            from borderkit.io import write_geotiff

            xmin, ymax, cell = result.transform
            write_geotiff(
                probability_raster,
                result.probability,
                transform=Affine(cell, 0.0, xmin, 0.0, -cell, ymax),
                crs=result.crs,
                nodata=-1.0,
                tags={"meaning": "share of Monte Carlo samples in which the cell lies in a modelled zone"},
            )
            click.echo(f"wrote {probability_raster}", err=True)
    how = [
        HEADER,
        "Model: borderkit's sectors -> zones (modelled hypotheses, not surveyed lines); areas geodesic on WGS84 "
        f"unless a method hypothesis says otherwise; default baseline soviet_line (WOF 2024); tolerance for "
        f"'about': {tolerance:.0%}; datum offset Pulkovo 1942 -> WGS84 computed with pyproj: {model.datum[2]:.0f} m.",
        "Sources: geodata/estimates.csv (seed reports and the data README) and 'borderkit layers sources'.",
    ]
    if fmt == "json":
        doc = {
            "header": how,
            "explanations": json.loads(explained.to_json(orient="records")),
            "ratios": json.loads(ratio_table.to_json(orient="records")),
            "uncertainty": None if band is None else json.loads(band.to_json(orient="records")),
        }
        write_text(json.dumps(doc, indent=2, ensure_ascii=False), output)
        return
    if fmt == "csv":
        write_text(explained.to_csv(index=False), output)
        return
    shown = explained.drop(columns=["who"]) if fmt == "table" else explained
    parts = [
        ("\n".join(how) + "\n") if fmt == "table" else "".join(f"_{h}_\n\n" for h in how),
        render_frame(shown, fmt, precision=2),
        "\nRatios between estimates and the single factors that reproduce them (within 5%):\n",
        render_frame(ratio_table, fmt, precision=3),
    ]
    if band is not None:
        parts += [
            f"\nMonte Carlo ({samples} samples, seed {seed}): modelled area on each estimate date "
            "(baseline rendering, shift up to the datum offset, depths within their ranges, profiles):\n",
            render_frame(band, fmt, precision=1),
        ]
    write_text("".join(parts), output)
