"""``borderkit terrain``: hillshade, slope, profile, viewshed and surface area from a DEM."""

from __future__ import annotations

import json

import click

from borderkit.cli.helpers import guard_outputs, info, notes_to_stderr, write_text
from borderkit.cli.options import FiniteFloat, LonLat, max_memory_opt, output_opt

__all__ = ["terrain"]

dem_opt = click.option(
    "--dem",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="DEM GeoTIFF (SRTM, Copernicus GLO-30/90, ASTER...), any CRS.",
)
band_opt = click.option("--band", type=click.IntRange(min=1), default=None, help="Elevation band of a multi-band file.")
#: Heights above ground beyond this (metres) are not observers on terrain (and would overflow the sight lines).
MAX_HEIGHT_M = 100_000.0
#: Half the Earth's circumference: no line of sight on the ground is longer.
MAX_DISTANCE_M = 20_037_508.0


def observer_handler(ctx, param, values):
    """Collect repeated LON,LAT observer options (each already parsed and checked by :class:`LonLat`)."""
    return [tuple(v) for v in values]


def _layer_bounds(source: str | None):
    """Return (geometry union, lon/lat bounds) of a layer or file, for the DEM window."""
    if source is None:
        return None, None
    from pathlib import Path

    import shapely

    from borderkit.io import read_user_geodata
    from borderkit.registry import layers, load
    from borderkit.validate import check_crs, check_not_empty

    if Path(source).exists():
        gdf = read_user_geodata(source)
        check_not_empty(gdf, source)
        gdf, _ = check_crs(gdf, source)
    else:
        gdf = load(layers().query_name(source)["name"])
    union = shapely.union_all(gdf.geometry.to_numpy())
    return gdf, tuple(shapely.total_bounds(union))


@click.group("terrain", short_help="Hillshade, slope, profiles, viewsheds, 3D area from a DEM.")
def terrain():
    """Terrain analysis with a DEM you supply (no DEM of the region ships with borderkit).

    Get one from SRTM (NASA, 1 arc-second), Copernicus DEM GLO-30/GLO-90 (ESA) or ASTER GDEM.
    """


@terrain.command("hillshade")
@dem_opt
@band_opt
@click.option(
    "--azimuth", type=FiniteFloat(0, 360, unit="°"), default=315.0, show_default=True, help="Light from, clockwise."
)
@click.option(
    "--altitude", type=FiniteFloat(0, 90, unit="°"), default=45.0, show_default=True, help="Light above the horizon."
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="GeoTIFF to write.")
@max_memory_opt
def hillshade_cmd(dem, band, azimuth, altitude, output, max_memory):
    """Write a hillshade GeoTIFF of the DEM: 1 (full shadow) to 255, 0 no data, as gdaldem hillshade."""
    from borderkit.terrain import hillshade, read_dem, write_raster

    guard_outputs({"-o": output}, inputs=[dem])
    grid = read_dem(dem, band=band, max_bytes=max_memory)
    notes_to_stderr(list(grid.notes))
    shade = hillshade(grid, azimuth=azimuth, altitude=altitude, as_bytes=True)
    write_raster(output, shade, grid, nodata=0, dtype="uint8")
    info(f"wrote {output} (cell {grid.cellsize[0]:.1f} m, CRS {grid.crs.to_string()})")


@terrain.command("slope")
@dem_opt
@band_opt
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="GeoTIFF to write.")
@max_memory_opt
def slope_cmd(dem, band, output, max_memory):
    """Write a slope GeoTIFF in degrees (Horn's method)."""
    import numpy as np

    from borderkit.terrain import read_dem, slope, write_raster

    guard_outputs({"-o": output}, inputs=[dem])
    grid = read_dem(dem, band=band, max_bytes=max_memory)
    notes_to_stderr(list(grid.notes))
    write_raster(output, np.nan_to_num(slope(grid), copy=False, nan=-1), grid, nodata=-1)
    info(f"wrote {output} (degrees; cell {grid.cellsize[0]:.1f} m)")


@terrain.command("profile")
@dem_opt
@band_opt
@click.argument("line", default="roads")
@click.option("--spacing", type=FiniteFloat(min=0.001, unit="m"), default=100.0, show_default=True, help="Metres.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="csv", show_default=True)
@output_opt
@max_memory_opt
def profile_cmd(dem, band, line, spacing, fmt, output, max_memory):
    """Elevation profile along LINE (a line layer of the case, such as roads or a baseline, or a line file)."""
    guard_outputs({"-o": output}, inputs=[dem, line])
    from borderkit.report import render_frame
    from borderkit.terrain import profile, read_dem

    gdf, bounds = _layer_bounds(line)
    import shapely

    grid = read_dem(dem, band=band, bounds=bounds, pad_m=500, max_bytes=max_memory)
    notes_to_stderr(list(grid.notes))
    table = profile(grid, shapely.union_all(gdf.geometry.to_numpy()), spacing_m=spacing, max_bytes=max_memory)
    footer = [
        f"Elevations bilinear from {dem} (cell {grid.cellsize[0]:.1f} m); distances along the line in "
        f"{grid.crs.to_string()}."
    ]
    write_text(render_frame(table, fmt, precision=1, footer=footer if fmt == "table" else None), output)


@terrain.command("surface-area")
@dem_opt
@band_opt
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@output_opt
@max_memory_opt
def surface_area_cmd(dem, band, source, fmt, output, max_memory):
    """3D surface area of the polygons in SOURCE, with the planimetric area and the DEM resolution."""
    guard_outputs({"-o": output}, inputs=[dem, source])
    import pandas as pd

    from borderkit.measure import area
    from borderkit.report import render_frame
    from borderkit.terrain import read_dem, surface_ratio

    gdf, bounds = _layer_bounds(source)
    grid = read_dem(dem, band=band, bounds=bounds, pad_m=200, max_bytes=max_memory)
    notes_to_stderr(list(grid.notes))
    planimetric = area(gdf)
    ratios = [surface_ratio(grid, g) for g in gdf.geometry]
    table = pd.DataFrame(
        {
            "id": gdf.get("id", pd.Series(range(len(gdf)))).astype(str).to_numpy(),
            "area_km2": planimetric,
            "surface_km2": planimetric * ratios,
            "ratio": ratios,
            "dem_cell_m": grid.cellsize[0],
        }
    )
    footer = [
        f"Surface area = geodesic area x the mean surface/planimetric ratio of the DEM quads inside "
        f"(two triangles per quad). The ratio depends on resolution: this DEM's cell is "
        f"{grid.cellsize[0]:.1f} m."
    ]
    write_text(render_frame(table, fmt, precision=4, footer=footer if fmt == "table" else None), output)


@terrain.command("viewshed")
@dem_opt
@band_opt
@click.option(
    "--observer",
    "observers",
    multiple=True,
    required=True,
    type=LonLat(),
    callback=observer_handler,
    help="Observer position LON,LAT (repeat for a cumulative viewshed).",
)
@click.option(
    "--observer-height", type=FiniteFloat(0, MAX_HEIGHT_M, unit="m"), default=2.0, show_default=True, help="Metres."
)
@click.option(
    "--target-height", type=FiniteFloat(0, MAX_HEIGHT_M, unit="m"), default=0.0, show_default=True, help="Metres."
)
@click.option(
    "--max-distance", type=FiniteFloat(0, MAX_DISTANCE_M, min_open=True, unit="m"), default=None, help="Metres."
)
@click.option(
    "--curvature-coefficient",
    type=FiniteFloat(0, 1),
    default=0.85714,
    show_default=True,
    help="1 - refraction coefficient, as in GDAL (0 disables the correction).",
)
@click.option("--line", default=None, help="Also report which stretches of this line (layer or file) are visible.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="GeoTIFF to write.")
@max_memory_opt
def viewshed_cmd(
    dem, band, observers, observer_height, target_height, max_distance, curvature_coefficient, line, output, max_memory
):
    """Write a viewshed GeoTIFF: 1 visible, 0 not visible, 255 (nodata) out of range.

    The grid is the DEM's own for a projected DEM; a geographic DEM is first resampled to a
    local metric grid (azimuthal equidistant), which is then the output grid.

    \b
    $ borderkit terrain viewshed --dem srtm.tif --observer 46.04,39.57 --max-distance 20000 -o vs.tif --line roads
    """
    import shapely

    from borderkit.terrain import line_visibility, read_dem, viewshed, write_raster

    guard_outputs({"-o": output}, inputs=[dem, line])
    grid = read_dem(dem, band=band, max_bytes=max_memory)
    notes_to_stderr(list(grid.notes))
    result = viewshed(
        grid,
        observers,
        observer_height=observer_height,
        target_height=target_height,
        max_distance=max_distance,
        curvature_coefficient=curvature_coefficient,
    )
    write_raster(
        output,
        result.visible,
        grid,
        nodata=255,
        dtype="uint8",
        tags={
            "observers": json.dumps(observers),
            "observer_height_m": observer_height,
            "target_height_m": target_height,
            "curvature_coefficient": curvature_coefficient,
        },
    )
    seen = int((result.count > 0).sum())
    total = int(result.in_range.sum())
    info(
        f"wrote {output}: {seen:,} of {total:,} cells in range visible ({100 * seen / max(total, 1):.1f}%); "
        f"cell {grid.cellsize[0]:.1f} m; {len(observers)} observer(s)"
    )
    if line:
        gdf, _ = _layer_bounds(line)
        share, stretches = line_visibility(result, shapely.union_all(gdf.geometry.to_numpy()))
        click.echo(f"{100 * share:.1f}% of {line} is visible from the observer(s); visible stretches:")
        click.echo(stretches.round(1).to_string(index=False) if len(stretches) else "(none)")
