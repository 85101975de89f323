"""``borderkit map``: a sourced, time-aware interactive map (and print maps: PNG, SVG, PDF)."""

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


@click.command("map", short_help="Write an interactive HTML map (and print maps).")
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
@click.option(
    "--offline/--cdn",
    default=True,
    show_default=True,
    help="Inline every JS/CSS asset (one self-contained file that works with no network; about 1.3 MB), "
    "or load them from CDNs (--cdn: a smaller file that needs the network).",
)
@click.option("--png", type=click.Path(dir_okay=False), default=None, help="Also draw a print map as PNG (300 dpi).")
@click.option("--svg", type=click.Path(dir_okay=False), default=None, help="Also draw a print map as SVG.")
@click.option("--pdf", type=click.Path(dir_okay=False), default=None, help="Also draw a print map as PDF.")
@click.option(
    "--print",
    "print_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also draw a print map; the format from the extension (.png, .svg, .pdf).",
)
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
    help="Monte Carlo samples for the band of the drawn zones on --date (0: none).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--dem",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="DEM GeoTIFF: adds a hillshade and the viewshed of the reported positions.",
)
@click.option(
    "--observed",
    "observed_sources",
    multiple=True,
    metavar="SOURCE",
    help="A monitor's dated control polygons (folder, quoted glob, file, or an archive named in case.toml "
    "[observed]): drawn on the time slider, each map until the next. Repeat it to compare monitors (one layer each).",
)
@click.option(
    "--date-column",
    default="date",
    show_default=True,
    help="With --observed: the property holding each map's date (else the date in the file name).",
)
@click.option(
    "--vector-tiles/--no-vector-tiles",
    default=None,
    help="Draw the --add layers as client-side vector tiles, or never; by default a layer is tiled from 50,000 "
    "vertices (fast with 100,000 polygons; plain GeoJSON keeps place search and per-feature styles).",
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
    svg,
    pdf,
    print_path,
    tolerance_m,
    samples,
    seed,
    dem,
    observed_sources,
    date_column,
    vector_tiles,
    overwrite,
):
    """Write an interactive map of the bundled layers, modelled zones and events.

    Your own layers (--add) are read and checked like `borderkit area` inputs: --layer,
    --crs, --fix, --swap-xy and --no-axis-check apply to each of them.

    \b
    $ borderkit map                                   # borderkit-map.html, time slider
    $ borderkit map -o map.html                       # self-contained, works with no network
    $ borderkit map --cdn --basemap osm -o map.html   # scripts and tiles from the network
    $ borderkit map --date 2022-12-31 --png map.png   # the state on one date, plus a 300 dpi PNG
    $ borderkit map --print map.pdf                   # a print map (PDF, SVG or PNG by extension)
    $ borderkit map --add my_positions.geojson --basemap osm
    $ cat positions.geojson | borderkit map --add - --crs EPSG:32638
    $ borderkit map --observed 'archive/*.geojson'        # a monitor's maps on the slider
    """
    from borderkit.cli.helpers import guard_outputs
    from borderkit.errors import UsageError

    prints = _print_targets(png=png, svg=svg, pdf=pdf, print_path=print_path)
    guard_outputs(
        {"-o": output, **{option: path for path, (option, _) in prints.items()}},
        inputs=[*add, dem],
        formats={"--svg": ("an SVG file", (".svg",)), "--pdf": ("a PDF file", (".pdf",))},
    )
    target = Path(output)
    check_output_path(output, "-o")
    for path, (option, _) in prints.items():
        check_output_path(path, option)
    if not _may_replace(target, overwrite):
        raise UsageError(
            f"{output!r} exists and was not written by borderkit map; it won't be overwritten "
            "without --overwrite. Choose another -o or add --overwrite."
        )
    from borderkit.io import atomic_write
    from borderkit.montecarlo import check_args, check_samples

    # the sampling options are checked whether or not this map samples (a band needs --date),
    # so a bad value is refused before any work instead of being silently ignored
    from borderkit.registry import layers as case_layers
    from borderkit.render import make_map, to_html

    check_args(samples, seed)
    known = case_layers()
    check_samples(samples, 1, int(known["sectors"]["nrows"]) if "sectors" in known else 0)
    names = [n.strip() for n in layers.split(",") if n.strip()] if layers else None
    from borderkit.io import read_stdin_text

    stdin_text = read_stdin_text() if "-" in add else None
    archives = {}
    if observed_sources:
        from borderkit.cli.observed import resolve_sources
        from borderkit.observed import read_archive

        for given, source in zip(observed_sources, resolve_sources(observed_sources), strict=True):
            name = given if given != source else Path(given.rstrip("/")).name or given  # a file's name, not its path
            name = given if name in archives else name  # two archives of one name: their paths tell them apart
            archives[name], more = read_archive(source, date_column=date_column, crs=crs, fix=fix)
            notes_to_stderr(more)
    m, report = make_map(
        observed=archives or None,
        vector_tiles=vector_tiles,
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
    for line in headline_lines(summary):
        info(line)
    info(f"wrote {output} ({len(text) / 1e6:.2f} MB{', offline' if offline else ''})")
    if prints:
        from borderkit.staticmap import static_map

        for path, (option, fmt) in prints.items():
            static_map(report, path, fmt=fmt, option=option)
            info(f"wrote {path}")


def headline_lines(summary: dict) -> list[str]:
    """Return the account on the map's date as lines for stderr (the map's headline, in short)."""
    from borderkit.mapdata import state_on

    if not summary:
        return []
    state = state_on(summary, summary["date"])
    rows = [*state["totals"], *state["others"]]
    return [
        f"account on {summary['date']}: {r.get('name') or r.get('label')}: {r['area_km2']:.1f} km² "
        f"({r['low_km2']:.1f}-{r['high_km2']:.1f})"
        for r in rows
    ]


_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def _print_targets(*, png, svg, pdf, print_path) -> dict[str, tuple[str, str]]:
    """Return {path: (option, format)} of the print maps asked for; refuse a --print extension not known."""
    from borderkit.errors import UsageError

    given = ((png, "--png", "png"), (svg, "--svg", "svg"), (pdf, "--pdf", "pdf"), (print_path, "--print", ""))
    for path, option, _ in given:
        if path is not None and not str(path).strip():
            raise UsageError(f"{option} is empty. Give a file name, e.g. {option} map.{_ or 'png'}.")
    targets = {p: (o, f) for p, o, f in ((png, "--png", "png"), (svg, "--svg", "svg"), (pdf, "--pdf", "pdf")) if p}
    if print_path:
        fmt = _FORMATS.get(Path(print_path).suffix.lower())
        if fmt is None:
            raise UsageError(
                f"--print {print_path!r}: the format comes from the extension, and "
                f"{Path(print_path).suffix or 'no extension'!r} is not one of {', '.join(_FORMATS)}. "
                "Name the file map.png, map.svg or map.pdf."
            )
        targets[print_path] = ("--print", fmt)
    return targets
