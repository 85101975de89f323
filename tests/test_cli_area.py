import json

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod

import borderkit
from borderkit.measure import area

from .common import BOWTIE, SQUARE, SQUARE_WITH_HOLE

FEATURES = [
    {
        "type": "Feature",
        "properties": {"id": "a", "name": "Square", "sector": "s1"},
        "geometry": SQUARE.__geo_interface__,
    },
    {
        "type": "Feature",
        "properties": {"id": "b", "name": "Holed", "sector": "s1"},
        "geometry": SQUARE_WITH_HOLE.__geo_interface__,
    },
]
EXPECTED = area([SQUARE, SQUARE_WITH_HOLE])


def _write(path, text):
    path.write_text(text)
    return path


@pytest.fixture(params=["collection", "collection-pp", "sequence", "sequence-rs"])
def stdin_text(request):
    fc = {"type": "FeatureCollection", "features": FEATURES}
    return {
        "collection": json.dumps(fc),
        "collection-pp": json.dumps(fc, indent=2),
        "sequence": "\n".join(json.dumps(f) for f in FEATURES) + "\n",
        "sequence-rs": "".join("\x1e" + json.dumps(f, indent=2) + "\n" for f in FEATURES),
    }[request.param]


def test_every_stdin_form_gives_the_same_areas(cli, stdin_text):
    result = cli("area", "-", "--format", "json", "--precision", "-1", input=stdin_text)
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["id"] for r in records] == ["a", "b"]
    assert [r["area_km2"] for r in records] == pytest.approx(EXPECTED, rel=1e-12)
    assert {r["method"] for r in records} == {"geodesic"}


def test_json_with_shift_has_band(cli):
    fc = json.dumps({"type": "FeatureCollection", "features": FEATURES})
    records = json.loads(cli("area", "-", "--format", "json", "--shift", "110", input=fc).stdout)
    for r in records:
        assert set(r) == {"id", "name", "area_km2", "area_km2_low", "area_km2_high", "method", "shift_m"}
        assert r["area_km2_low"] < r["area_km2"] < r["area_km2_high"]


def test_table_ends_with_how_computed(cli):
    result = cli("area", "countries")
    assert result.exit_code == 0
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("Computed as: geodesic area on the WGS84 ellipsoid") and "wof-2024" in last
    # every printed area against GeographicLib directly (pyproj.Geod), to the printed precision
    geod = Geod(ellps="WGS84")
    countries = borderkit.load("countries").set_index("id").geometry
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    for cid, geom in countries.items():
        km2 = sum(abs(geod.geometry_area_perimeter(p)[0]) for p in shapely.get_parts(geom)) / 1e6
        printed = float(next(t for t in rows[cid] if t[0].isdigit()).replace(",", ""))
        assert printed == pytest.approx(km2, abs=6e-4), cid
    # and Armenia's against the official 29,743 km2 (an outside figure): within 0.5%
    arm = float(next(t for t in rows["armenia"] if t[0].isdigit()).replace(",", ""))
    assert abs(arm - 29_743) / 29_743 < 0.005


def test_methods_units_and_by(cli):
    out = cli("area", "countries", "--method", "web-mercator", "--unit", "mi2", "--by", "iso3", "--format", "csv")
    assert out.exit_code == 0
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "id,name,area_mi2,method"
    assert lines[1].startswith("ARM,ARM,") and lines[1].endswith(",web-mercator")


def test_file_formats_gpkg_shapefile_parquet(cli, tmp_path):
    gdf = gpd.GeoDataFrame.from_features(FEATURES, crs=4326)
    gpkg = tmp_path / "two.gpkg"
    gdf.to_file(gpkg, layer="zones")
    gdf.iloc[:1].to_file(gpkg, layer="other")
    shp = tmp_path / "zones.shp"
    gdf.to_file(shp)
    pq = tmp_path / "zones.parquet"
    gdf.to_parquet(pq)
    for args in ([gpkg, "--layer", "zones"], [shp], [pq]):
        result = cli("area", *args, "--format", "json", "--precision", "-1")
        assert result.exit_code == 0, result.output
        assert [r["area_km2"] for r in json.loads(result.stdout)] == pytest.approx(EXPECTED, rel=1e-9)
    result = cli("area", gpkg)
    assert result.exit_code == 1 and "has 2 layers: zones, other" in result.output and "--layer" in result.output


def test_geojson_output_adds_areas_and_writes_atomically(cli, tmp_path):
    src = _write(tmp_path / "in.geojson", json.dumps({"type": "FeatureCollection", "features": FEATURES}))
    out = tmp_path / "out.geojson"
    result = cli("area", src, "--format", "geojson", "-o", out)
    assert result.exit_code == 0
    props = [f["properties"] for f in json.loads(out.read_text())["features"]]
    assert [p["area_km2"] for p in props] == pytest.approx(EXPECTED, abs=1e-3)
    assert not list(tmp_path.glob(".*.tmp"))


def test_refuses_to_overwrite_input(cli, tmp_path):
    text = json.dumps({"type": "FeatureCollection", "features": FEATURES})
    src = _write(tmp_path / "in.geojson", text)
    result = cli("area", src, "-o", src)
    assert result.exit_code == 2 and "never overwrites its input" in result.output
    assert src.read_text() == text


# ---------------------------------------------------------------- bad input
def test_missing_file_or_unknown_layer(cli, tmp_path):
    result = cli("area", tmp_path / "nope.geojson")
    assert result.exit_code == 2
    assert "neither a file nor a bundled layer" in result.output and "countries" in result.output


def test_not_geodata(cli, tmp_path):
    result = cli("area", _write(tmp_path / "notes.txt", "hello, world\n"))
    assert result.exit_code == 1
    assert "is not GeoJSON" in result.output and "GeoPackage" in result.output
    result = cli("area", "-", input="{not json")
    assert result.exit_code == 1 and "not GeoJSON" in result.output


def test_folder_is_not_a_file(cli, tmp_path):
    result = cli("area", tmp_path)
    assert result.exit_code == 1 and "is a folder" in result.output


def test_no_crs_lonlat_is_assumed_with_a_note(cli, tmp_path):
    path = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gpd.GeoDataFrame(geometry=[SQUARE]).to_file(path)  # no .prj written
    result = cli("area", path, "--format", "json", "--precision", "-1")
    assert result.exit_code == 0
    assert "no CRS" in result.stderr and "EPSG:4326 was assumed" in result.stderr
    assert json.loads(result.stdout)[0]["area_km2"] == pytest.approx(EXPECTED[0], rel=1e-9)


def test_no_crs_projected_coordinates_fail_and_suggest_crs(cli, tmp_path):
    path = tmp_path / "nocrs_utm.shp"
    utm = gpd.GeoSeries([SQUARE], crs=4326).to_crs(32638)
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        gpd.GeoDataFrame(geometry=utm.values).set_crs(None, allow_override=True).to_file(path)
    result = cli("area", path)
    assert result.exit_code == 1
    assert "has no CRS" in result.output and "--crs" in result.output
    ok = cli("area", path, "--crs", "EPSG:32638", "--format", "json", "--precision", "-1")
    assert json.loads(ok.stdout)[0]["area_km2"] == pytest.approx(EXPECTED[0], rel=1e-6)


def test_projected_crs_is_reprojected(cli, tmp_path):
    path = tmp_path / "utm.gpkg"
    gpd.GeoDataFrame(geometry=[SQUARE], crs=4326).to_crs(32638).to_file(path)
    result = cli("area", path, "--format", "json", "--precision", "-1")
    assert result.exit_code == 0
    assert "reprojected to EPSG:4326" in result.stderr
    assert json.loads(result.stdout)[0]["area_km2"] == pytest.approx(EXPECTED[0], rel=1e-6)


def test_swapped_lat_lon_detected_and_fixable(cli):
    swapped = shapely.transform(SQUARE, lambda c: c[:, ::-1])
    text = json.dumps(swapped.__geo_interface__)
    result = cli("area", "-", input=text)
    assert result.exit_code == 1
    assert "latitude and longitude swapped" in result.output and "--swap-xy" in result.output
    fixed = cli("area", "-", "--swap-xy", "--format", "json", "--precision", "-1", input=text)
    assert json.loads(fixed.stdout)[0]["area_km2"] == pytest.approx(EXPECTED[0], rel=1e-12)
    # certain case: a "latitude" beyond 90
    far = shapely.transform(shapely.box(120, 10, 121, 11), lambda c: c[:, ::-1])
    result = cli("area", "-", input=json.dumps(far.__geo_interface__))
    assert result.exit_code == 1 and "beyond ±90°" in result.output


def test_invalid_geometry_named_and_fixable(cli):
    fc = {
        "type": "FeatureCollection",
        "features": [
            FEATURES[0],
            {"type": "Feature", "properties": {"id": "bow", "name": "Bow-tie"}, "geometry": BOWTIE.__geo_interface__},
        ],
    }
    result = cli("area", "-", input=json.dumps(fc))
    assert result.exit_code == 1
    assert "1 invalid geometry" in result.output and "id='bow'" in result.output and "--fix" in result.output
    fixed = cli("area", "-", "--fix", "--format", "json", input=json.dumps(fc))
    assert fixed.exit_code == 0
    assert "repaired #2 id='bow'" in fixed.stderr and "change" in fixed.stderr
    bow = json.loads(fixed.stdout)[1]
    assert bow["area_km2"] == pytest.approx(area(shapely.make_valid(BOWTIE))[0], abs=1e-3)


def test_points_and_lines_are_not_areal(cli):
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [46.3, 39.5]}},
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[46.3, 39.5], [46.4, 39.6]]},
            },
        ],
    }
    result = cli("area", "-", input=json.dumps(fc))
    assert result.exit_code == 1
    assert "no areal geometries" in result.output and "1 LineString, 1 Point" in result.output


def test_empty_input(cli, tmp_path):
    result = cli("area", "-", input='{"type": "FeatureCollection", "features": []}')
    assert result.exit_code == 1 and "holds no features" in result.output
    result = cli("area", "-", input="")
    assert result.exit_code == 1 and "holds no features" in result.output


def test_usage_errors_exit_2(cli):
    for args in (
        ["area", "countries", "--method", "mercator"],
        ["area", "countries", "--unit", "acre"],
        ["area", "countries", "--shift", "-5"],
        ["area", "countries", "--by", "nope"],
    ):
        result = cli(*args)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output
    assert "Columns: id, name" in cli("area", "countries", "--by", "nope").output


def test_surface_without_dem_is_a_usage_error(cli):
    result = cli("area", "countries", "--method", "surface")
    assert result.exit_code == 2 and "needs a DEM" in result.output


def test_outputs_get_ordinary_permissions(cli, tmp_path):
    import os
    import stat

    out = tmp_path / "areas.csv"
    assert cli("area", "countries", "--format", "csv", "-o", out).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def test_by_the_name_column_groups_without_a_clash(cli, tmp_path):
    """--by name: the grouping column is also an output column; each group's area is the sum of its rows (Geod)."""
    import pyproj
    from shapely.geometry.polygon import orient

    path = tmp_path / "enclaves.gpkg"
    assert cli("layers", "show", "enclaves", "-o", path).exit_code == 0
    result = cli("area", path, "--by", "name", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r["area_km2"] for r in json.loads(result.stdout)}
    geod = pyproj.Geod(ellps="WGS84")
    enclaves = borderkit.load("enclaves")
    for name, group in enclaves.groupby("name"):
        expected = sum(abs(geod.geometry_area_perimeter(orient(g))[0]) for g in group.geometry) / 1e6
        assert rows[name] == pytest.approx(expected, rel=1e-9)
