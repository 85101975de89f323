"""``borderkit area``: areas of a layer or a file, by any method, with a boundary band."""

from __future__ import annotations

from pathlib import Path

import click

from borderkit.cli.helpers import (
    VECTOR_OUTPUTS,
    guard_outputs,
    info,
    notes_to_stderr,
    output_format,
    write_features,
    write_table,
)
from borderkit.cli.options import (
    FiniteFloat,
    axis_check_opt,
    crs_opt,
    fix_opt,
    layer_opt,
    max_memory_opt,
    output_opt,
    precision_opt,
    sequence_opt,
    swap_xy_opt,
    use_rs_opt,
    wide_opt,
)

__all__ = ["area", "load_source"]

_METHODS = ("geodesic", "equal-area", "utm", "web-mercator", "spherical", "surface")
_UNITS = ("km2", "ha", "m2", "mi2")
#: Largest --shift: 1000 km is beyond any datum or digitising offset, and keeps buffers finite.
MAX_SHIFT_M = 1_000_000.0


def load_source(
    source: str,
    *,
    layer: str | None,
    crs: str | None,
    fix: bool,
    swap_xy: bool,
    axis_check: bool,
    stdin_text: str | None = None,
):
    """Return (GeoDataFrame, description, notes) for a layer name, a path or ``-``."""
    from borderkit.errors import UsageError
    from borderkit.io import read_user_geodata
    from borderkit.registry import layers
    from borderkit.validate import validate_polygons

    registry = layers()
    if source != "-" and not Path(source).exists():
        try:
            entry = registry.query_name(source)
        except UsageError:
            raise UsageError(
                f"SOURCE {source!r} is neither a file nor a bundled layer. Give a path to a geodata "
                f"file, - for GeoJSON on stdin, or one of: {', '.join(registry)}."
            ) from None
        from borderkit.registry import load

        what = f"layer {entry['name']!r} ({entry['attribution']}; sources: {', '.join(entry['sources'])})"
        gdf, notes = validate_polygons(load(entry["name"]), f"layer {entry['name']!r}", fix=fix)
        return gdf, what, notes
    what = "stdin" if source == "-" else f"file {source!r}"
    raw = read_user_geodata(source, layer=layer, stdin_text=stdin_text)
    gdf, notes = validate_polygons(raw, what, crs=crs, fix=fix, swap_xy=swap_xy, axis_check=axis_check)
    return gdf, what, notes


@click.command("area", short_help="Measure areas of a layer or file.")
@click.argument("source")
@click.option(
    "--method",
    type=click.Choice(_METHODS),
    default="geodesic",
    show_default=True,
    help="How to measure; geodesic (WGS84 ellipsoid) is the reference.",
)
@click.option("--unit", type=click.Choice(_UNITS), default="km2", show_default=True, help="Area unit.")
@click.option("--by", "by", default=None, help="Sum areas by this column.")
@click.option(
    "--shift",
    "shift_m",
    type=FiniteFloat(0, MAX_SHIFT_M, unit="m"),
    default=None,
    help="Also give the low/high area with every outline moved this many metres in/out.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json", "geojson"]), default="table", show_default=True
)
@click.option(
    "--dem", type=click.Path(exists=True, dir_okay=False), default=None, help="DEM GeoTIFF for --method surface."
)
@output_opt
@layer_opt
@crs_opt
@fix_opt
@swap_xy_opt
@axis_check_opt
@precision_opt
@sequence_opt
@use_rs_opt
@wide_opt
@max_memory_opt
def area(
    source,
    method,
    unit,
    by,
    shift_m,
    fmt,
    dem,
    output,
    layer,
    crs,
    fix,
    swap_xy,
    axis_check,
    precision,
    sequence,
    use_rs,
    max_memory,
):
    """Measure the area of every polygon in SOURCE.

    SOURCE is a bundled layer name, a file (GeoJSON, GeoPackage with --layer, Shapefile,
    GeoParquet), or - for GeoJSON on stdin (a FeatureCollection, or one feature per
    line or after an RS character, as fio cat writes).

    -o picks the format from the file name: .csv, .json, .txt, or the features with their
    areas as .geojson, .geojsonl, .gpkg, .parquet or .fgb.

    \b
    $ borderkit area countries
    $ borderkit area enclaves --shift 110 --format json
    $ borderkit area my_zones.geojson --method web-mercator --unit mi2
    $ cat zones.geojson | borderkit area - --by sector
    $ borderkit area enclaves -o enclaves.gpkg
    """
    guard_outputs({"-o": output}, inputs=[source, dem])
    fmt = output_format(output, fmt, ("table", "csv", "json", *VECTOR_OUTPUTS), sequence=sequence)
    if fmt in VECTOR_OUTPUTS and by is not None:
        from borderkit.errors import UsageError

        raise UsageError(
            f"--by cannot be combined with {fmt} output (sums have no single geometry). "
            "Use --format table, csv or json, or an -o name ending in .csv or .json."
        )
    from borderkit.io import read_stdin_text
    from borderkit.measure import area_table, describe_method

    stdin_text = read_stdin_text() if source == "-" else None
    gdf, what, notes = load_source(
        source, layer=layer, crs=crs, fix=fix, swap_xy=swap_xy, axis_check=axis_check, stdin_text=stdin_text
    )
    notes_to_stderr(notes)
    grid = None
    if method == "surface" and dem:  # read here, so the DEM window is checked against --max-memory
        import shapely

        from borderkit.terrain import read_dem

        grid = read_dem(dem, bounds=tuple(shapely.total_bounds(gdf.geometry)), pad_m=200.0, max_bytes=max_memory)
        notes_to_stderr(list(grid.notes))
    table = area_table(gdf, method=method, unit=unit, by=by, shift_m=shift_m, dem=grid)
    footer = [f"Computed as: {describe_method(method)}; unit {unit}; input: {what}."]
    if shift_m is not None:
        footer.append(
            f"Band: every outline moved {shift_m:g} m inward (low) and outward (high), "
            "buffered in a local equal-area projection."
        )
    if method == "surface" and dem:
        import rasterio

        with rasterio.open(dem) as src:
            res = src.res
        unit_label = "m" if src.crs and src.crs.is_projected else "°"
        footer.append(
            f"Surface area from DEM {dem} (cell {res[0]:g} x {res[1]:g} {unit_label}); the surface/"
            "planimetric ratio depends on the DEM's resolution."
        )
    if method != "geodesic":
        footer.append(
            "Non-geodesic methods are offered to explain published figures; the geodesic area is the correct one."
        )
    if fmt != "table":
        info(footer[0])
    if fmt in VECTOR_OUTPUTS:
        out = gdf.copy()
        for col in table.columns:
            if col.startswith("area_") or col in ("method", "shift_m"):
                out[col] = table[col].to_numpy()
        write_features(
            out,
            fmt,
            output,
            layer="area",
            precision=precision,
            method=f"{describe_method(method)}; unit {unit}",
            use_rs=use_rs,
            inputs=(source, dem),
        )
        return
    write_table(table, fmt, output, precision=precision, display=3, footer=footer, inputs=(source, dem))
