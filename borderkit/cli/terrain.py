"""``borderkit terrain``: hillshade, slope, profile, viewshed and surface area from a DEM."""

from __future__ import annotations

import json

import click

from borderkit.cli.helpers import check_output_path, write_text
from borderkit.cli.options import output_opt

__all__ = ["terrain"]

dem_opt = click.option(
    "--dem",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="DEM GeoTIFF (SRTM, Copernicus GLO-30/90, ASTER...), any CRS.",
)
band_opt = click.option("--band", type=click.IntRange(min=1), default=None, help="Elevation band of a multi-band file.")


def observer_handler(ctx, param, values):
    """Parse repeated LON,LAT observer options."""
    out = []
    for v in values:
        try:
            lon, lat = (float(p) for p in v.split(","))
        except ValueError:
            raise click.BadParameter(f"{v!r} is not LON,LAT (e.g. 46.12,39.55).", param_hint="--observer") from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise click.BadParameter(f"{v!r} is not a lon/lat position.", param_hint="--observer")
        out.append((lon, lat))
    return out


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
@click.option("--azimuth", type=float, default=315.0, show_default=True)
@click.option("--altitude", type=float, default=45.0, show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="GeoTIFF to write.")
def hillshade_cmd(dem, band, azimuth, altitude, output):
    """Write a hillshade GeoTIFF (0-255) of the DEM."""
    import numpy as np

    from borderkit.terrain import hillshade, read_dem, write_raster

    check_output_path(output, "-o")
    grid = read_dem(dem, band=band)
    shade = hillshade(grid, azimuth=azimuth, altitude=altitude)
    write_raster(output, np.nan_to_num(shade, nan=0).astype("uint8"), grid, nodata=0, dtype="uint8")
    click.echo(f"wrote {output} (cell {grid.cellsize[0]:.1f} m, CRS {grid.crs.to_string()})", err=True)


@terrain.command("slope")
@dem_opt
@band_opt
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="GeoTIFF to write.")
def slope_cmd(dem, band, output):
    """Write a slope GeoTIFF in degrees (Horn's method)."""
    import numpy as np

    from borderkit.terrain import read_dem, slope, write_raster

    check_output_path(output, "-o")
    grid = read_dem(dem, band=band)
    write_raster(output, np.nan_to_num(slope(grid), nan=-1), grid, nodata=-1)
    click.echo(f"wrote {output} (degrees; cell {grid.cellsize[0]:.1f} m)", err=True)


@terrain.command("profile")
@dem_opt
@band_opt
@click.argument("line", default="roads")
@click.option("--spacing", type=click.FloatRange(min=0.001), default=100.0, show_default=True, help="Metres.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="csv", show_default=True)
@output_opt
def profile_cmd(dem, band, line, spacing, fmt, output):
    """Elevation profile along LINE (a layer such as roads or soviet_line, or a line file)."""
    from borderkit.report import render_frame
    from borderkit.terrain import profile, read_dem

    gdf, bounds = _layer_bounds(line)
    import shapely

    grid = read_dem(dem, band=band, bounds=bounds, pad_m=500)
    table = profile(grid, shapely.union_all(gdf.geometry.to_numpy()), spacing_m=spacing)
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
def surface_area_cmd(dem, band, source, fmt, output):
    """3D surface area of the polygons in SOURCE, with the planimetric area and the DEM resolution."""
    import pandas as pd

    from borderkit.measure import area
    from borderkit.report import render_frame
    from borderkit.terrain import read_dem, surface_ratio

    gdf, bounds = _layer_bounds(source)
    grid = read_dem(dem, band=band, bounds=bounds, pad_m=200)
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
    callback=observer_handler,
    help="Observer position LON,LAT (repeat for a cumulative viewshed).",
)
@click.option("--observer-height", type=click.FloatRange(min=0), default=2.0, show_default=True, help="Metres.")
@click.option("--target-height", type=click.FloatRange(min=0), default=0.0, show_default=True, help="Metres.")
@click.option("--max-distance", type=click.FloatRange(min=0, min_open=True), default=None, help="Metres.")
@click.option(
    "--curvature-coefficient",
    type=click.FloatRange(min=0, max=1),
    default=0.85714,
    show_default=True,
    help="1 - refraction coefficient, as in GDAL (0 disables the correction).",
)
@click.option("--line", default=None, help="Also report which stretches of this line (layer or file) are visible.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="GeoTIFF to write.")
def viewshed_cmd(
    dem, band, observers, observer_height, target_height, max_distance, curvature_coefficient, line, output
):
    """Write a viewshed GeoTIFF: 1 visible, 0 not visible, 255 (nodata) out of range.

    The grid is the DEM's own for a projected DEM; a geographic DEM is first resampled to a
    local metric grid (azimuthal equidistant), which is then the output grid.

    \b
    $ borderkit terrain viewshed --dem srtm.tif --observer 46.04,39.57 --max-distance 20000 -o vs.tif --line roads
    """
    import shapely

    from borderkit.terrain import line_visibility, read_dem, viewshed, write_raster

    check_output_path(output, "-o")
    grid = read_dem(dem, band=band)
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
    click.echo(
        f"wrote {output}: {seen:,} of {total:,} cells in range visible ({100 * seen / max(total, 1):.1f}%); "
        f"cell {grid.cellsize[0]:.1f} m; {len(observers)} observer(s)",
        err=True,
    )
    if line:
        gdf, _ = _layer_bounds(line)
        share, stretches = line_visibility(result, shapely.union_all(gdf.geometry.to_numpy()))
        click.echo(f"{100 * share:.1f}% of {line} is visible from the observer(s); visible stretches:")
        click.echo(stretches.round(1).to_string(index=False) if len(stretches) else "(none)")
