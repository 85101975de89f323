import math
import shutil
import subprocess

import numpy as np
import pytest
import rasterio
import shapely

from borderkit.errors import InputError, UsageError
from borderkit.terrain import (
    CURVATURE_COEFFICIENT,
    curvature_drop,
    hillshade,
    line_visibility,
    profile,
    read_dem,
    slope,
    surface_area,
    surface_ratio,
    viewshed,
)

from .dems import cell_lonlat, fractal, gdal_viewshed, gdal_window, write_dem


def _box_lonlat(r0, c0, r1, c1):
    (lon0, lat0), (lon1, lat1) = cell_lonlat(r0, c0), cell_lonlat(r1, c1)
    return shapely.box(min(lon0, lon1), min(lat0, lat1), max(lon0, lon1), max(lat0, lat1))


@pytest.mark.parametrize("theta", [5.0, 20.0, 35.0])
def test_inclined_plane_surface_ratio_is_one_over_cos(tmp_path, theta):
    n = 120
    ramp = np.tile(np.arange(n) * 30.0 * math.tan(math.radians(theta)), (n, 1))
    dem = read_dem(write_dem(tmp_path / "plane.tif", ramp))
    ratio = surface_ratio(dem, _box_lonlat(10, 10, 100, 100))
    assert ratio == pytest.approx(1 / math.cos(math.radians(theta)), rel=0.005)
    # and the slope raster agrees with the plane's angle
    assert np.nanmedian(slope(dem)) == pytest.approx(theta, abs=0.05)


def test_surface_area_plugs_into_measure(tmp_path):
    from borderkit.measure import area

    n = 120
    ramp = np.tile(np.arange(n) * 30.0 * math.tan(math.radians(30)), (n, 1))
    path = write_dem(tmp_path / "plane.tif", ramp)
    poly = _box_lonlat(10, 10, 100, 100)
    flat = area(poly)[0]
    assert area(poly, method="surface", dem=read_dem(path))[0] == pytest.approx(
        flat / math.cos(math.radians(30)), rel=0.005
    )
    with pytest.raises(UsageError, match="read_dem"):  # measuring reads no rasters: terrain builds on measure
        area(poly, method="surface", dem=str(path))
    assert surface_area([poly], path)[0] == pytest.approx(flat * 1e6 / math.cos(math.radians(30)), rel=0.005)


def test_geographic_dem_is_reprojected_to_metres(tmp_path):
    n = 200
    z = np.tile(np.arange(n) * 0.5, (n, 1))  # gentle east-facing ramp
    path = write_dem(tmp_path / "geo.tif", z, cell=0.0003, crs="EPSG:4326", origin=(45.0, 40.0))
    dem = read_dem(path)
    assert dem.crs.is_projected and dem.source_crs.is_geographic
    assert dem.cellsize[0] == pytest.approx(0.0003 * 111_320 * math.cos(math.radians(39.97)), rel=0.01)


def test_windowed_read_and_not_covering_error(tmp_path):
    path = write_dem(tmp_path / "f.tif", fractal(256))
    full = read_dem(path)
    small = read_dem(path, bounds=tuple(_box_lonlat(100, 100, 120, 120).bounds))
    assert small.z.size < full.z.size / 20
    with pytest.raises(InputError, match=r"does not cover the area of interest: DEM bounds \(lon/lat\)"):
        read_dem(path, bounds=(46.0, 39.0, 46.5, 39.5))


def test_bad_rasters(tmp_path):
    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    with pytest.raises(InputError, match="is not a GeoTIFF"):
        read_dem(str(text))
    multi = write_dem(tmp_path / "multi.tif", fractal(64), bands=3)
    with pytest.raises(UsageError, match="has 3 bands.*--band"):
        read_dem(multi)
    assert read_dem(multi, band=2).z.shape == (64, 64)


def test_flat_dem_everything_in_range_is_visible(tmp_path):
    dem = read_dem(write_dem(tmp_path / "flat.tif", np.full((151, 151), 1000.0)))
    result = viewshed(dem, [cell_lonlat(75, 75)], max_distance=1800, curvature_coefficient=0)
    assert result.in_range.sum() == pytest.approx(math.pi * 60**2, rel=0.01)  # cells within 1,800 m
    assert (result.visible[result.in_range] == 1).all()
    assert (result.visible[~result.in_range] == 255).all()


def test_wall_blocks_exactly_the_cells_behind_it(tmp_path):
    z = np.full((101, 101), 1000.0)
    z[:, 70] = 1200.0  # a wall across the whole DEM, 20 columns east of the observer
    dem = read_dem(write_dem(tmp_path / "wall.tif", z))
    vis = viewshed(dem, [cell_lonlat(50, 50)], curvature_coefficient=0).visible
    assert (vis[:, :71] == 1).all()  # everything up to and including the wall is seen
    assert (vis[:, 71:] == 0).all()  # everything behind it is not


def test_curvature_drop_and_the_horizon(tmp_path):
    k_refraction = 1 / 7
    d = np.array([1_000.0, 10_000.0, 40_000.0])
    r = 6_378_137.0
    np.testing.assert_allclose(
        curvature_drop(d, coefficient=1 - k_refraction, radius_m=r), d**2 * (1 - k_refraction) / (2 * r)
    )
    assert pytest.approx(1 - k_refraction, abs=1e-5) == CURVATURE_COEFFICIENT
    # on flat ground the visible distance ends at the horizon sqrt(2 R h / k)
    h, cells = 50.0, 1500
    dem = read_dem(write_dem(tmp_path / "row.tif", np.zeros((3, cells))))
    vis = viewshed(dem, [cell_lonlat(1, 0)], observer_height=h).visible[1]
    last_seen = np.flatnonzero(vis == 1).max() * 30.0
    horizon = math.sqrt(2 * r * h / CURVATURE_COEFFICIENT)
    assert last_seen == pytest.approx(horizon, abs=60)


def test_cumulative_viewshed_counts_observers(tmp_path):
    z = np.full((101, 101), 1000.0)
    z[:, 50] = 1300.0
    dem = read_dem(write_dem(tmp_path / "split.tif", z))
    result = viewshed(dem, [cell_lonlat(50, 20), cell_lonlat(50, 80)], curvature_coefficient=0)
    assert result.count[50, 10] == 1 and result.count[50, 90] == 1 and result.count[50, 50] == 2


def test_line_visibility_share_and_stretches(tmp_path):
    z = np.full((101, 101), 1000.0)
    z[:, 70] = 1200.0
    dem = read_dem(write_dem(tmp_path / "wall.tif", z))
    result = viewshed(dem, [cell_lonlat(50, 50)], curvature_coefficient=0)
    line = shapely.LineString([cell_lonlat(20, 30), cell_lonlat(20, 90)])  # crosses the wall at col 70
    share, stretches = line_visibility(result, line, spacing_m=10)
    assert share == pytest.approx(41 / 60, abs=0.03)
    assert len(stretches) == 1 and stretches["length_m"].iloc[0] == pytest.approx(40.5 * 30, abs=40)


def test_observer_outside_dem(tmp_path):
    dem = read_dem(write_dem(tmp_path / "f.tif", fractal(64)))
    with pytest.raises(InputError, match="outside the DEM"):
        viewshed(dem, [(10.0, 10.0)])


def test_profile_and_hillshade(tmp_path):
    n = 100
    ramp = np.tile(np.arange(n) * 10.0, (n, 1))  # rises 10 m per 30 m cell eastward
    dem = read_dem(write_dem(tmp_path / "ramp.tif", ramp))
    line = shapely.LineString([cell_lonlat(50, 10), cell_lonlat(50, 80)])
    table = profile(dem, line, spacing_m=100)
    assert list(table.columns) == ["distance_m", "elevation_m", "lon", "lat"]
    slope_per_m = np.polyfit(table["distance_m"], table["elevation_m"], 1)[0]
    assert slope_per_m == pytest.approx(10 / 30, rel=0.01)


def _require(tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} (Debian gdal-bin) is required; .ci/run installs it")


@pytest.mark.parametrize(
    ("seed", "max_distance", "target_height"), [(1, None, 0.0), (2, None, 0.0), (3, 3000.0, 0.0), (4, None, 5.0)]
)
def test_agrees_with_gdal_viewshed_on_fractal_terrain(tmp_path, seed, max_distance, target_height):
    _require("gdal_viewshed")
    n = 400
    z = fractal(n, seed=seed)
    path = write_dem(tmp_path / "fractal.tif", z)
    r, c = np.unravel_index(np.argmax(z[100:300, 100:300]), (200, 200))
    r, c = r + 100, c + 100
    # a point a quarter cell into the cell: GDAL rounds pixel coordinates, borderkit takes the
    # cell that holds the point, and both then pick cell (r, c)
    x, y = 500_000 + (c + 0.25) * 30, 4_400_000 - (r + 0.25) * 30
    out = tmp_path / "gdal.tif"
    subprocess.run(gdal_viewshed(path, x, y, out, target_height=target_height, max_distance=max_distance), check=True)
    from pyproj import Transformer

    lonlat = Transformer.from_crs(32638, 4326, always_xy=True).transform(x, y)
    result = viewshed(read_dem(path), [lonlat], max_distance=max_distance, target_height=target_height)
    theirs, r0, c0 = gdal_window(out)  # gdal_viewshed -md writes only its window
    ours = result.visible[r0 : r0 + theirs.shape[0], c0 : c0 + theirs.shape[1]]
    assert theirs.shape == ours.shape
    inside = ours != 255
    assert 0.02 < (ours[inside] == 1).mean() < 0.98  # a meaningful mix of visible and hidden cells
    assert inside.all() == (max_distance is None)
    assert (theirs == ours).all()  # cell for cell: the same scan, the same float64 arithmetic


def test_cumulative_viewshed_is_the_sum_of_gdal_viewsheds(tmp_path):
    _require("gdal_viewshed")
    path = write_dem(tmp_path / "fractal.tif", fractal(300, seed=5))
    cells = [(60, 70), (150, 150), (240, 200), (100, 260), (150, 152)]  # windows overlap and reach the edges
    total = np.zeros((300, 300), dtype=int)
    for i, (r, c) in enumerate(cells):
        out = tmp_path / f"g{i}.tif"
        x, y = 500_000 + (c + 0.25) * 30, 4_400_000 - (r + 0.25) * 30
        subprocess.run(gdal_viewshed(path, x, y, out, max_distance=2500), check=True)
        band, r0, c0 = gdal_window(out)
        total[r0 : r0 + band.shape[0], c0 : c0 + band.shape[1]] += band == 1
    result = viewshed(read_dem(path), [cell_lonlat(r, c) for r, c in cells], max_distance=2500)
    assert result.count.dtype == np.uint8  # one byte per cell up to 255 observers
    assert total.max() >= 2 and (result.count == total).all()


def _gdaldem(tmp_path, path, *args):
    out = tmp_path / "gdaldem.tif"
    subprocess.run(["gdaldem", *args, "-q", str(path), str(out)], check=True)
    with rasterio.open(out) as src:
        return src.read(1).astype(float), src.nodata


@pytest.mark.parametrize(("azimuth", "altitude"), [(315.0, 45.0), (30.0, 20.0), (200.0, 60.0)])
def test_hillshade_matches_gdaldem_within_one_grey_level(tmp_path, azimuth, altitude):
    _require("gdaldem")
    path = write_dem(tmp_path / "fractal.tif", fractal(300, seed=3, relief=1500))
    dem = read_dem(path)
    ours = hillshade(dem, azimuth=azimuth, altitude=altitude, as_bytes=True).astype(float)
    theirs, nodata = _gdaldem(tmp_path, path, "hillshade", "-az", str(azimuth), "-alt", str(altitude))
    assert nodata == 0 and (theirs[0] == 0).all() and (ours[0] == 0).all()  # the border is no data in both
    assert np.ptp(theirs[1:-1, 1:-1]) > 100  # real relief: lit and shaded slopes
    assert np.abs(ours - theirs).max() <= 1
    # the float result rounds to the same bytes, with NaN for no data
    floats = hillshade(dem, azimuth=azimuth, altitude=altitude)
    assert np.isnan(floats[0]).all() and (np.abs(np.rint(floats[1:-1, 1:-1]) - theirs[1:-1, 1:-1]) <= 1).all()
    # lit from the wrong side (the azimuth mirrored east-west, or north-south) is far from it
    for wrong in (360.0 - azimuth, (540.0 - azimuth) % 360.0):
        mirrored = hillshade(dem, azimuth=wrong, altitude=altitude, as_bytes=True).astype(float)
        assert np.abs(mirrored - theirs).max() > 50


def test_slope_matches_gdaldem(tmp_path):
    _require("gdaldem")
    z = fractal(300, seed=4, relief=1500)
    z[100:110, 50:60] = np.nan  # a hole of no data: gdaldem leaves its 3x3 neighbourhood empty too
    path = write_dem(tmp_path / "fractal.tif", z, nodata=np.nan)
    ours = slope(read_dem(path))
    theirs, nodata = _gdaldem(tmp_path, path, "slope")
    empty = theirs == nodata
    assert (np.isnan(ours) == empty).all() and empty[99:111, 49:61].all()
    assert np.nanmax(ours) > 30  # steep and gentle slopes both
    np.testing.assert_allclose(ours[~empty], theirs[~empty], atol=0.01)


def test_hillshade_and_slope_work_in_blocks(tmp_path, monkeypatch):
    import borderkit.terrain as terrain

    dem = read_dem(write_dem(tmp_path / "fractal.tif", fractal(100, seed=6)))
    whole = terrain.hillshade(dem), terrain.slope(dem)
    monkeypatch.setattr(terrain, "BLOCK_ROWS", 7)  # many blocks, the last one short
    np.testing.assert_array_equal(terrain.hillshade(dem), whole[0])
    np.testing.assert_array_equal(terrain.slope(dem), whole[1])


def test_cli_viewshed_writes_geotiff(cli, tmp_path):
    z = np.full((101, 101), 1000.0)
    z[:, 70] = 1200.0
    path = write_dem(tmp_path / "wall.tif", z)
    out = tmp_path / "vs.tif"
    lon, lat = cell_lonlat(50, 50)
    result = cli(
        "terrain",
        "viewshed",
        "--dem",
        path,
        "--observer",
        f"{lon},{lat}",
        "--max-distance",
        "1200",
        "--curvature-coefficient",
        "0",
        "-o",
        out,
    )
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 32638 and src.nodata == 255
        band = src.read(1)
    assert set(np.unique(band)) == {0, 1, 255}
    bad = cli("terrain", "viewshed", "--dem", path, "--observer", "10,10", "-o", tmp_path / "x.tif")
    assert bad.exit_code == 1 and "outside the DEM" in bad.output
    usage = cli("terrain", "viewshed", "--dem", path, "--observer", "east", "-o", tmp_path / "x.tif")
    assert usage.exit_code == 2 and "LON,LAT" in usage.output


def test_cli_surface_area_hillshade_slope(cli, tmp_path):
    n = 120
    ramp = np.tile(np.arange(n) * 30.0 * math.tan(math.radians(25)), (n, 1))
    path = write_dem(tmp_path / "plane.tif", ramp)
    poly = tmp_path / "poly.geojson"
    import json

    poly.write_text(
        json.dumps(
            {
                "type": "Feature",
                "properties": {"id": "p"},
                "geometry": shapely.geometry.mapping(_box_lonlat(10, 10, 100, 100)),
            }
        )
    )
    result = cli("terrain", "surface-area", "--dem", path, poly, "--format", "json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)[0]
    assert record["ratio"] == pytest.approx(1 / math.cos(math.radians(25)), rel=0.005)
    assert record["dem_cell_m"] == pytest.approx(30.0)
    for cmd in ("hillshade", "slope"):
        out = tmp_path / f"{cmd}.tif"
        assert cli("terrain", cmd, "--dem", path, "-o", out).exit_code == 0
        with rasterio.open(out) as src:
            assert src.crs is not None and src.nodata is not None
    area_cli = cli("area", poly, "--method", "surface", "--dem", path, "--format", "json")
    assert area_cli.exit_code == 0 and json.loads(area_cli.stdout)[0]["method"] == "surface"


def test_map_with_dem_adds_hillshade_and_viewshed(cli, tmp_path):
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 32638, always_xy=True).transform(45.95, 39.85)
    path = write_dem(tmp_path / "syunik.tif", fractal(700, seed=5, relief=1500), cell=60, origin=(x, y))
    out = tmp_path / "m.html"
    result = cli("map", "--offline", "--dem", path, "--samples", "0", "--date", "2022-12-31", "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "Hillshade (" in text and "Viewshed from" in text and "terrain from syunik.tif" in text
    elsewhere = write_dem(tmp_path / "far.tif", fractal(64), origin=(200_000, 1_000_000))
    bad = cli("map", "--dem", elsewhere, "--samples", "0", "-o", tmp_path / "m2.html")
    assert bad.exit_code == 1 and "does not cover the area of interest" in bad.output
