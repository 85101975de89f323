"""``borderkit reconcile``: one account of the published area figures, its outliers and the null test."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import click

from borderkit.cli.helpers import guard_outputs, info, write_text
from borderkit.cli.options import max_memory_opt, output_opt

#: Upper bound of --null and --resamples: each is one refit (a few ms), so this is minutes.
MAX_REFITS = 20_000

__all__ = ["reconcile_cmd"]


@click.command("reconcile", short_help="One account of the published area figures, with outliers explained.")
@click.option(
    "--figures",
    "figures_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Your own figures CSV (columns: id, value, unit, qualifier, date, who, components, source, quote).",
)
@click.option("--estimates", "estimates_path", type=click.Path(dir_okay=False), default=None, hidden=True)
@click.option(
    "--samples",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="Monte Carlo samples for each figure's band over the account and the geometry together (0: none).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Random seed (>= 0): the same seed, the same numbers.",
)
@click.option(
    "--null",
    type=click.IntRange(min=0, max=MAX_REFITS),
    default=200,
    show_default=True,
    help="Random figures injected one at a time (the null test; sets each mechanism's base rate; 0: none).",
)
@click.option(
    "--resamples",
    type=click.IntRange(min=0, max=MAX_REFITS),
    default=200,
    show_default=True,
    help="Resamplings of the figures for the intervals (besides one refit per figure left out).",
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
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Run the Monte Carlo on this dask.distributed scheduler, e.g. tcp://10.0.0.5:8786 "
    "(default: $BORDERKIT_SCHEDULER, else every core of this machine; see docs/cluster.md).",
)
@output_opt
@max_memory_opt
def reconcile_cmd(
    figures_path, estimates_path, samples, seed, null, resamples, fmt, probability_raster, scheduler, output, max_memory
):
    """One account of the published area figures: components, totals, outliers and what may explain them.

    Fits the area of each component (the land taken in each episode, the land held since
    before) to every independent figure at once, each figure read as the components its
    source says it covers. Figures that do not fit are outliers; only they get explanations,
    each with its support in the source's words and its base rate from the null test
    (--null). --samples adds each figure's Monte Carlo band over the account's refits and the
    geometry of the sectors together (zones calibrated per sample).

    \b
    $ borderkit reconcile --samples 0
    $ borderkit reconcile --null 1000 --seed 7 --format json -o account.json
    $ borderkit reconcile --figures my_figures.csv --format markdown -o account.md
    """
    import pandas as pd

    figures_path = figures_path or estimates_path  # --estimates: the old name, kept for scripts
    guard_outputs({"-o": output, "--probability-raster": probability_raster}, inputs=[figures_path])
    from borderkit.reconcile import document, reconcile, render, validate_figures
    from borderkit.registry import components, figures, layers, load

    if figures_path:
        from borderkit.errors import InputError, UsageError

        if not Path(figures_path).is_file():  # a URL, /dev/zero, a FIFO: never fetched or read forever
            raise UsageError(
                f"--figures {figures_path!r} is not a regular local file. Give the path of a CSV file "
                "(download a remote file first)."
            )
        try:
            table = pd.read_csv(figures_path, dtype=str, keep_default_na=False)
        except Exception as exc:
            raise InputError(f"{figures_path!r} could not be read as CSV: {exc}.") from None
        table = validate_figures(table, components())
    else:
        table = figures()
    if samples and fmt in ("json", "csv") and not probability_raster:
        info("note: the Monte Carlo band is shown in --format table/markdown only; skipped.")
        samples = 0
    if samples and "sectors" not in layers():
        if probability_raster:
            from borderkit.errors import DataIntegrityError

            raise DataIntegrityError(
                "--probability-raster maps the modelled zones, and this case has no 'sectors' layer. Add one "
                "(and src/sectors.csv), or leave the option out."
            )
        info("note: this case has no sectors, so there are no modelled zones to sample; the Monte Carlo is skipped "
             "and the account's own intervals stand.")  # fmt: skip
        samples = 0
    if samples:  # refuse an impossible run now, not after building the account
        from borderkit.montecarlo import check_samples

        check_samples(samples, len(set(table["date"])), len(load("sectors")), max_bytes=max_memory)
    account = reconcile(table, resamples=resamples, null=null, seed=seed)
    band = None
    if samples:
        from borderkit.montecarlo import figure_band
        from borderkit.parallel import use_scheduler

        # the bar only for a person at a terminal: a log or a pipe gets no stray label
        shown = sys.stderr.isatty()
        with (
            use_scheduler(scheduler),
            click.progressbar(
                length=samples, label="Monte Carlo" if shown else "", file=sys.stderr if shown else io.StringIO()
            ) as bar,
        ):
            band, result = figure_band(
                account,
                table,
                samples=samples,
                seed=seed,
                raster_cell_m=200.0 if probability_raster else None,
                progress=bar.update,
                max_bytes=max_memory,
            )
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
                option="--probability-raster",
            )
            info(f"wrote {probability_raster}")
    if fmt == "json":
        write_text(json.dumps(document(account), indent=2, ensure_ascii=False), output)
        return
    write_text(render(account, table, fmt, band=band), output)
