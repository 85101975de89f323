"""``borderkit map``: a sourced, time-aware interactive map (and a static PNG)."""

from __future__ import annotations

from pathlib import Path

import click

from borderkit.cli.helpers import check_output_path, info, notes_to_stderr
from borderkit.cli.options import (
    FiniteFloat,
    axis_check_opt,
    crs_opt,
    date_handler,
    fix_opt,
    layer_opt,
    swap_xy_opt,
)

__all__ = ["map_cmd"]


def _may_replace(path: Path, overwrite: bool) -> bool:
    """Whether an existing output may be replaced: it is a previous borderkit map, or --overwrite.

    A previous map is recognised by the exact tag :func:`borderkit.render.build_map` writes at
    the top of its head (``<meta name="generator" content="borderkit map">``), preceded by
    nothing but the doctype, ``<html>``, ``<head>`` and other meta tags: a file that merely
    contains the words (a page quoting them, a text file) is not a map borderkit wrote.
    """
    import os
    import re
    import stat

    if overwrite or not path.exists():
        return True
    if not path.is_file():  # a device or FIFO is streamed to, never replaced: nothing to protect
        return True
    from borderkit.render import GENERATOR

    try:  # O_NONBLOCK: never wait on a FIFO swapped in since the check above
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return True
        head = os.read(fd, 4096).decode("utf-8", errors="replace")
    finally:
        os.close(fd)
    tag = f'<meta name="generator" content="{GENERATOR}">'
    at = head.find(tag)
    if at < 0:
        return False
    before = r"\ufeff?\s*(<!doctype html>\s*)?(<html[^<>]*>\s*)?<head>\s*(<meta [^<>]*>\s*)*"
    return re.fullmatch(before, head[:at], flags=re.IGNORECASE) is not None


@click.command("map", short_help="Write an interactive HTML map (and a PNG).")
@click.option(
    "-o",
    "--output",
    default="borderkit-map.html",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="HTML file to write (atomically).",
)
@click.option(
    "--date",
    default=None,
    callback=date_handler,
    help="Show the state on this date (YYYY-MM-DD) instead of a time slider.",
)
@click.option("--layers", default=None, help="Comma-separated layer names (default: all map layers).")
@click.option(
    "--add",
    "add",
    multiple=True,
    type=click.Path(),
    help="Overlay your own layer file, or - for GeoJSON on stdin (repeatable).",
)
# How to read the --add layers: the same options, checks and messages as `borderkit area`.
@layer_opt
@crs_opt
@fix_opt
@swap_xy_opt
@axis_check_opt
@click.option(
    "--basemap",
    type=click.Choice(["osm", "imagery", "none"]),
    default="none",
    show_default=True,
    help="Background tiles (need the network); 'none' works offline.",
)
@click.option("--offline", is_flag=True, help="Inline every JS/CSS asset: one self-contained file.")
@click.option("--png", type=click.Path(dir_okay=False), default=None, help="Also draw a static PNG map.")
@click.option(
    "--tolerance",
    "tolerance_m",
    type=FiniteFloat(0, 100_000, unit="m"),
    default=50.0,
    show_default=True,
    help="Simplification tolerance in metres (coverage-preserving for polygons); 0 keeps every vertex.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Monte Carlo samples for the summary's uncertainty band (0: none).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--dem",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="DEM GeoTIFF: adds a hillshade and the viewshed of the reported positions.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing file that borderkit did not write.")
def map_cmd(
    output,
    date,
    layers,
    add,
    layer,
    crs,
    fix,
    swap_xy,
    axis_check,
    basemap,
    offline,
    png,
    tolerance_m,
    samples,
    seed,
    dem,
    overwrite,
):
    """Write an interactive map of the bundled layers, modelled zones and events.

    Your own layers (--add) are read and checked like `borderkit area` inputs: --layer,
    --crs, --fix, --swap-xy and --no-axis-check apply to each of them.

    \b
    $ borderkit map                                   # borderkit-map.html, time slider
    $ borderkit map --offline -o map.html             # self-contained, works with no network
    $ borderkit map --date 2022-12-31 --png map.png   # the state on one date, plus a PNG
    $ borderkit map --add my_positions.geojson --basemap osm
    $ cat positions.geojson | borderkit map --add - --crs EPSG:32638
    """
    from borderkit.cli.helpers import guard_outputs
    from borderkit.errors import UsageError

    guard_outputs({"-o": output, "--png": png}, inputs=[*add, dem])
    target = Path(output)
    check_output_path(output, "-o")
    check_output_path(png, "--png")
    if not _may_replace(target, overwrite):
        raise UsageError(
            f"{output!r} exists and was not written by borderkit map; it won't be overwritten "
            "without --overwrite. Choose another -o or add --overwrite."
        )
    from borderkit.io import atomic_write
    from borderkit.render import make_map, to_html

    names = [n.strip() for n in layers.split(",") if n.strip()] if layers else None
    from borderkit.io import read_stdin_text

    stdin_text = read_stdin_text() if "-" in add else None
    m, report = make_map(
        layers=names,
        date=date,
        add=add,
        basemap=basemap,
        tolerance_m=tolerance_m,
        samples=samples,
        seed=seed,
        dem=dem,
        add_options={
            "stdin_text": stdin_text,
            "layer": layer,
            "crs": crs,
            "fix": fix,
            "swap_xy": swap_xy,
            "axis_check": axis_check,
        },
    )
    notes_to_stderr(report.notes)
    summary = report.summary
    text = to_html(m, offline=offline)
    with atomic_write(target, "w", encoding="utf-8") as fobj:
        fobj.write(text)
    for change in report.simplification:
        info(
            f"simplified {change['layer']} as a coverage at {tolerance_m:g} m: area "
            f"{change['area_km2_before']:,.3f} -> {change['area_km2_after']:,.3f} km² "
            f"({change['change_pct']:+.4f}%)"
        )
    info(f"modelled area on {summary['date']}: {summary['area_km2']:.1f} km² (geodesic; modelled zones are hypotheses)")
    info(f"wrote {output} ({len(text) / 1e6:.2f} MB{', offline' if offline else ''})")
    if png:
        from borderkit.staticmap import static_map

        static_map(report.frames, png, date=summary["date"], attributions=report.attributions)
        info(f"wrote {png}")
