"""Hostile input, class 6: every faulty input gets a clear message, never an internal error.

Each case asserts the exit code (2 usage, 1 runtime), a fragment of the message that
says what was wrong, no traceback, no "internal error", inputs unchanged and no temp
files (the shared harness in conftest.py). Inputs cover GeoJSON on stdin and in files,
layer names, dates, estimates CSVs, DEMs, observer positions and column names.
"""

from __future__ import annotations

import json

import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine

POLY = [[[46.3, 39.5], [46.4, 39.5], [46.4, 39.6], [46.3, 39.6], [46.3, 39.5]]]
LINE = [[46.30, 39.55], [46.40, 39.56]]


def feature(geometry, properties=None):
    return {"type": "Feature", "properties": properties if properties is not None else {}, "geometry": geometry}


# ---------------------------------------------------------------- GeoJSON text on stdin
# (label, text, fragment of the message). These never pass through GDAL, so borderkit
# itself must check their structure.
STDIN_CASES = [
    ("not-json", "hello", "not GeoJSON"),
    ("json-array", "[1, 2, 3]", "not GeoJSON"),
    ("json-number", "42", "not GeoJSON"),
    ("json-null", "null", "not GeoJSON"),
    ("json-string", '"x"', "not GeoJSON"),
    ("features-not-list", '{"type": "FeatureCollection", "features": 5}', "features"),
    ("features-dict", '{"type": "FeatureCollection", "features": {"a": 1}}', "features"),
    ("feature-list-not-features", '{"type": "FeatureCollection", "features": [1, "a"]}', "not a GeoJSON Feature"),
    ("properties-list", json.dumps(feature({"type": "Point", "coordinates": [46, 39]}, [1, 2])), "properties"),
    ("geometry-string", json.dumps(feature("POINT (46 39)")), "not a GeoJSON object"),
    ("coordinates-string", json.dumps(feature({"type": "Polygon", "coordinates": "abc"})), "not a list"),
    ("coordinate-text", json.dumps(feature({"type": "Point", "coordinates": ["a", 39]})), "not a number"),
    ("coordinate-bool", json.dumps(feature({"type": "Point", "coordinates": [True, 39]})), "not a number"),
    ("ring-of-two", json.dumps(feature({"type": "Polygon", "coordinates": [[[46, 39], [46.1, 39]]]})), "ring"),
    (
        "ring-open",
        json.dumps(feature({"type": "Polygon", "coordinates": [[[46, 39], [46.1, 39], [46.1, 39.1], [46, 39.1]]]})),
        "first repeated last",
    ),
    ("nested-ragged", json.dumps(feature({"type": "Polygon", "coordinates": [[1, 2], [3]]})), "feature 1"),
    ("unknown-type", json.dumps(feature({"type": "Circle", "coordinates": [46, 39]})), "not GeoJSON"),
    ("type-missing", json.dumps(feature({"coordinates": [46, 39]})), "not GeoJSON"),
    ("type-null", json.dumps(feature({"type": None, "coordinates": [46, 39]})), "not GeoJSON"),
    (
        "nan-coordinate",
        '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[NaN,39]}}',
        "finite",
    ),
    (
        "inf-coordinate",
        '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[Infinity,39]}}',
        "finite",
    ),
    (
        "collection-bad-part",
        json.dumps(feature({"type": "GeometryCollection", "geometries": [{"type": "Nope"}]})),
        "not GeoJSON",
    ),
    ("collection-no-list", json.dumps(feature({"type": "GeometryCollection", "geometries": 3})), "geometries"),
    (
        "second-feature-bad",
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    feature({"type": "Polygon", "coordinates": POLY}),
                    feature({"type": "Polygon", "coordinates": "x"}),
                ],
            }
        ),
        "feature 2",
    ),
    ("utf8-bom", "\ufeff" + json.dumps(feature({"type": "Polygon", "coordinates": POLY})), "not GeoJSON"),
    ("only-whitespace", "   \n  ", "no features"),
    ("deep-nesting", "[" * 50_000 + "]" * 50_000, "not GeoJSON"),
]


@pytest.mark.parametrize("label, text, says", STDIN_CASES, ids=[c[0] for c in STDIN_CASES])
def test_area_stdin(hostile, label, text, says):
    hostile("area", "-", input=text, exit=1, says=[says])


@pytest.mark.parametrize("label, text, says", STDIN_CASES[::3], ids=[c[0] for c in STDIN_CASES[::3]])
def test_crossings_stdin(hostile, label, text, says):
    hostile("crossings", "-", input=text, exit=1, says=[says])


def test_property_named_geometry_is_kept_not_crashing(hostile):
    """GDAL silently drops a property called "geometry"; borderkit keeps it under another name."""
    text = json.dumps(feature({"type": "Polygon", "coordinates": POLY}, {"geometry": "z", "id": "a"}))
    out = hostile("area", "-", "--format", "json", "--precision", "-1", input=text, exit=0)
    record = json.loads(out.stdout)[0]
    expected = abs(pyproj.Geod(ellps="WGS84").polygon_area_perimeter(*zip(*POLY[0], strict=True))[0]) / 1e6
    assert record["area_km2"] == pytest.approx(expected, rel=1e-9)


# ---------------------------------------------------------------- files GDAL cannot use
FILE_CASES = [
    ("empty.geojson", "", "geodata"),
    ("text.geojson", "hello", "GeoPackage"),
    ("array.geojson", "[1,2,3]", "geodata"),
    ("binary.geojson", "\x00\xff" * 100, "GeoPackage"),
    (
        "vrt.geojson",
        "<OGRVRTDataSource><OGRVRTLayer name='x'><SrcDataSource>CSV:/etc/passwd</SrcDataSource>"
        "</OGRVRTLayer></OGRVRTDataSource>",
        "VRT",
    ),
    (
        "wms.geojson",
        "<GDAL_WMS><Service name='WMS'><ServerUrl>http://127.0.0.1:9/</ServerUrl></Service></GDAL_WMS>",
        "network",
    ),
    ("archive.geojson", "PK\x03\x04" + "x" * 40, "ZIP"),
    ("fc-features-dict.geojson", '{"type":"FeatureCollection","features":{"a":1}}', "features"),
    ("no-features.geojson", '{"type":"FeatureCollection","features":[]}', "no features"),
    ("null-geometry.geojson", json.dumps(feature(None, {"a": 1})), "no features with geometry"),
    (
        "open-ring.geojson",
        json.dumps(feature({"type": "Polygon", "coordinates": [[[46, 39], [46.1, 39]]]})),
        "could not be read",
    ),
    ("points-only.geojson", json.dumps(feature({"type": "Point", "coordinates": [46, 39]})), "found 1 Point"),
    ("lines-only.geojson", json.dumps(feature({"type": "LineString", "coordinates": LINE})), "found 1 LineString"),
]


@pytest.mark.parametrize("name, text, says", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_area_bad_files(hostile, tmp_path, name, text, says):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    hostile("area", path, inputs=[path], exit=1, says=[says])


@pytest.mark.parametrize(
    "name",
    ["a;b.geojson", "a!b.geojson", "GeoJSON:x.geojson", "x.zip!y.geojson", "a#b?c.geojson", "zone 1 (é).geojson"],
)
def test_file_names_gdal_would_parse_as_uris_read_the_named_file(hostile, tmp_path, monkeypatch, name):
    """pyogrio reads ';', '!' and 'DRIVER:' in a path as URI syntax; the file named must be the file read."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(json.dumps(feature({"type": "Polygon", "coordinates": POLY})))
    out = hostile("area", name, "--format", "json", "--precision", "-1", inputs=[tmp_path / name], exit=0)
    expected = abs(pyproj.Geod(ellps="WGS84").polygon_area_perimeter(*zip(*POLY[0], strict=True))[0]) / 1e6
    assert json.loads(out.stdout)[0]["area_km2"] == pytest.approx(expected, rel=1e-9)


def test_shapefile_with_uri_characters_keeps_its_sidecars(hostile, tmp_path):
    import geopandas as gpd
    import shapely

    plain = tmp_path / "plain.shp"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.Polygon(POLY[0])], crs=4326).to_file(plain)
    for part in tmp_path.glob("plain.*"):  # GDAL cannot write such a name either: rename after
        part.rename(tmp_path / ("a;b!c" + part.suffix))
    path = tmp_path / "a;b!c.shp"
    out = hostile("area", path, "--format", "json", "--precision", "-1", inputs=[path], exit=0)
    assert json.loads(out.stdout)[0]["name"] == "x"  # the .dbf was found beside the .shp


def test_missing_file_names_the_path(hostile, tmp_path):
    hostile("area", tmp_path / "nope.geojson", exit=2, says=["nope.geojson"])


def test_empty_name_is_not_called_a_folder(hostile):
    out = hostile("area", "", exit=2, says=["empty"])
    assert "folder" not in out.output


def test_file_name_too_long(hostile):
    hostile("area", "x" * 5000 + ".geojson", exit=1, says=["too long"])


def test_folder_given_as_input(hostile, tmp_path):
    hostile("area", tmp_path, exit=1, says=["folder"])


def test_two_million_vertex_geojson_is_read_and_measured(hostile, tmp_path):
    """GDAL's GeoJSON reader refuses objects over 200 MB of parse tree by default; borderkit must not."""
    n = 2_000_000
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    lon, lat = 46.0 + 0.5 * np.cos(t), 39.5 + 0.5 * np.sin(t)
    ring = np.column_stack([lon, lat]).round(7)
    ring = np.vstack([ring, ring[:1]])
    path = tmp_path / "big.geojson"
    path.write_text(json.dumps(feature({"type": "Polygon", "coordinates": [ring.tolist()]}, {"name": "big"})))
    out = hostile("area", path, "--format", "json", "--precision", "-1", inputs=[path], exit=0)
    expected = abs(pyproj.Geod(ellps="WGS84").polygon_area_perimeter(ring[:, 0], ring[:, 1])[0]) / 1e6
    assert json.loads(out.stdout)[0]["area_km2"] == pytest.approx(expected, rel=1e-9)


# ---------------------------------------------------------------- names and columns
@pytest.mark.parametrize(
    "args, says",
    [
        (("area", "no_such_layer"), "no_such_layer"),
        (("layers", "show", "no_such_layer"), "layer"),
        (("layers", "show", "{{7*7}}"), "layer"),
        (("layers", "show", "%s%n%x"), "layer"),
        (("zones", "--baseline", "no_such_layer"), "baseline"),
        (("zones", "--baseline", "countries"), "baseline"),
        (("crossings", "--baseline", "no_such_layer", "soviet_line"), "baseline"),
        (("map", "--samples", "0", "--layers", "no_such_layer"), "layer"),
        (("map", "--samples", "0", "--layers", "countries,{{7*7}}"), "layer"),
    ],
    ids=lambda a: "-".join(a)[:40] if isinstance(a, tuple) else "",
)
def test_unknown_layer_names(hostile, tmp_path, args, says):
    args = [*args, "-o", tmp_path / "m.html"] if args[0] == "map" else list(args)
    hostile(*args, exit=2, says=[says])


@pytest.mark.parametrize("name", ["countries\x00", "countries\n", " countries "])
def test_layer_names_with_control_characters_do_not_crash(hostile, tmp_path, name):
    """A name that normalises to a real layer is that layer, in every command that takes one."""
    hostile("map", "--samples", "0", "--layers", name, "-o", tmp_path / "m.html", exit=0)
    hostile("layers", "show", name, "-o", tmp_path / "l.geojson", exit=0)


@pytest.mark.parametrize(
    "by, says",
    [("no_such_column", "no_such_column"), ("geometry", "geometry"), ("nested", "nested")],
)
def test_area_by_bad_columns(hostile, tmp_path, by, says):
    path = tmp_path / "nested.geojson"
    path.write_text(json.dumps(feature({"type": "Polygon", "coordinates": POLY}, {"nested": {"a": [1, 2]}})))
    hostile("area", path, "--by", by, inputs=[path], exit=2, says=[says, "--by"])


@pytest.mark.parametrize("crs", ["nonsense", "EPSG:99999", "EPSG:4978"])
def test_bad_crs_option(hostile, crs):
    hostile(
        "area",
        "-",
        "--crs",
        crs,
        input=json.dumps(feature({"type": "Polygon", "coordinates": POLY})),
        exit=2,
        says=["--crs"],
    )


# ---------------------------------------------------------------- dates
BAD_DATES = ["2021-13-45", "yesterday", "", "2021-02-29", "1e5", "2021-05-12T10:00", "{{7*7}}"]


@pytest.mark.parametrize("date", BAD_DATES)
def test_bad_dates(hostile, tmp_path, date):
    hostile("events", "--from", date, exit=2, says=["YYYY-MM-DD"])
    hostile("zones", "--date", date, exit=2, says=["YYYY-MM-DD"])
    hostile("map", "--samples", "0", "--date", date, "-o", tmp_path / "m.html", exit=2, says=["YYYY-MM-DD"])


def test_inverted_date_range(hostile):
    hostile("events", "--from", "2022-01-01", "--to", "2021-01-01", exit=2, says=["--from", "--to"])


# ---------------------------------------------------------------- figures CSVs
HEADER = "id,value,unit,qualifier,date,who,components,source,quote\n"
FIGURES = [
    ("empty", "", "CSV"),
    ("header-only", "id,value\n", "column"),
    ("wrong-columns", "a,b\n1,2\n", "column"),
    ("value-text", HEADER + "x,abc,km2,about,2022-01-01,me,may-2021,s,q\n", "not a number"),
    ("value-negative", HEADER + "x,-5,km2,about,2022-01-01,me,may-2021,s,q\n", "positive"),
    ("value-nan", HEADER + "x,nan,km2,about,2022-01-01,me,may-2021,s,q\n", "positive"),
    ("value-inf", HEADER + "x,inf,km2,about,2022-01-01,me,may-2021,s,q\n", "positive"),
    ("bad-date", HEADER + "x,5,km2,about,notadate,me,may-2021,s,q\n", "YYYY-MM-DD"),
    ("unknown-component", HEADER + "x,5,km2,about,2022-01-01,me,no-such-part,s,q\n", "no-such-part"),
    ("bad-qualifier", HEADER + "x,5,km2,roughly-ish,2022-01-01,me,may-2021,s,q\n", "roughly-ish"),
    ("binary", "\x00\x01\x02", "column"),
    ("unclosed-quote", 'id,value\n"x,5\n', "CSV"),
]


@pytest.mark.parametrize("label, text, says", FIGURES, ids=[c[0] for c in FIGURES])
def test_bad_figures(hostile, tmp_path, label, text, says):
    path = tmp_path / f"{label}.csv"
    path.write_text(text)
    hostile("reconcile", "--samples", "0", "--figures", path, inputs=[path], exit=1, says=[says])


def test_formula_in_a_figure_id_is_defused_in_csv(hostile, tmp_path):
    path = tmp_path / "figures.csv"
    path.write_text(HEADER + '=HYPERLINK("http://x"),41,km2,about,2021-11-17,me,may-2021,s,q\n')
    out = hostile("reconcile", "--samples", "0", "--figures", path, "--format", "csv", inputs=[path], exit=0)
    cells = [c for line in out.stdout.splitlines() for c in line.split(",")]
    assert any(c.lstrip('"').startswith("'=HYPERLINK") for c in cells), out.stdout
    assert not any(c.lstrip('"').startswith("=") for c in cells), out.stdout


# ---------------------------------------------------------------- DEMs
def _dem(path, *, z=None, crs="EPSG:32638", nodata=None, count=1, dtype="float32", origin=(500_000.0, 4_400_000.0)):
    z = np.full((20, 20), 1000.0) if z is None else z
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=z.shape[0],
        width=z.shape[1],
        count=count,
        dtype=dtype,
        crs=crs,
        nodata=nodata,
        transform=Affine(30.0, 0, origin[0], 0, -30.0, origin[1]),
    ) as dst:
        for band in range(1, count + 1):
            dst.write(z.astype(dtype), band)
    return path


def _bad_dems(tmp_path):
    text = tmp_path / "text.tif"
    text.write_text("hello")
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    vrt = tmp_path / "vrt.tif"  # a VRT named .tif would make GDAL fetch from the network
    vrt.write_text(
        '<VRTDataset rasterXSize="10" rasterYSize="10"><VRTRasterBand dataType="Float32" band="1"><SimpleSource>'
        "<SourceFilename>/vsicurl/http://127.0.0.1:9/x.tif</SourceFilename></SimpleSource></VRTRasterBand></VRTDataset>"
    )
    return {
        "text": (text, "GeoTIFF"),
        "empty": (empty, "GeoTIFF"),
        "vrt": (vrt, "GeoTIFF"),
        "no-crs": (_dem(tmp_path / "nocrs.tif", crs=None), "CRS"),
        "all-nodata": (_dem(tmp_path / "nodata.tif", z=np.full((20, 20), -9999.0), nodata=-9999), "no-data"),
    }


@pytest.mark.parametrize("which", ["text", "empty", "vrt", "no-crs", "all-nodata"])
@pytest.mark.parametrize(
    "command",
    [
        ("terrain", "hillshade", "-o", "{out}"),
        ("terrain", "slope", "-o", "{out}"),
        ("terrain", "viewshed", "--observer", "45.0,39.74", "-o", "{out}"),
    ],
    ids=["hillshade", "slope", "viewshed"],
)
def test_bad_dems(hostile, tmp_path, which, command):
    dem, says = _bad_dems(tmp_path)[which]
    args = [a.replace("{out}", str(tmp_path / "out.tif")) for a in command]
    hostile(*args[:2], "--dem", dem, *args[2:], inputs=[dem], exit=1, says=[says])


def test_dem_band_out_of_range(hostile, tmp_path):
    dem = _dem(tmp_path / "two.tif", count=2)
    hostile(
        "terrain",
        "hillshade",
        "--dem",
        dem,
        "--band",
        "3",
        "-o",
        tmp_path / "h.tif",
        inputs=[dem],
        exit=2,
        says=["--band", "2"],
    )


@pytest.mark.parametrize(
    "observer",
    ["abc", "46", "46,39,1", "200,39", "46.31,95", ",", "46.31;39.59", "nan,39", "46,inf"],
)
def test_bad_observers(hostile, tmp_path, observer):
    dem = _dem(tmp_path / "dem.tif")
    hostile(
        "terrain",
        "viewshed",
        "--dem",
        dem,
        "--observer",
        observer,
        "-o",
        tmp_path / "v.tif",
        inputs=[dem],
        exit=2,
        says=["--observer"],
    )


def test_observer_outside_the_dem(hostile, tmp_path):
    dem = _dem(tmp_path / "dem.tif")
    hostile(
        "terrain",
        "viewshed",
        "--dem",
        dem,
        "--observer",
        "10,10",
        "-o",
        tmp_path / "v.tif",
        inputs=[dem],
        exit=1,
        says=["observer"],
    )


# ---------------------------------------------------------------- terminal and Markdown output
@pytest.mark.parametrize(
    "name",
    [
        "zone\nz2  forged zone  215000.000",
        "zone\r215000",
        "zone\x1b]52;c;cm0gLXJmIH4=\x07",
        "zone\x1b[2J",
        "zone\x9b31m",
    ],
    ids=["newline", "cr", "osc52", "clear", "c1"],
)
def test_control_characters_in_names_stay_visible_text(hostile, tmp_path, name):
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps(feature({"type": "Polygon", "coordinates": POLY}, {"id": "z1", "name": name})))
    out = hostile("area", path, inputs=[path], exit=0)
    assert not any(ch in out.stdout for ch in "\x1b\r\x07\x9b")
    assert not any(line.startswith("z2") for line in out.stdout.splitlines())  # no forged row
    assert "zone\\" in out.stdout  # shown as an escape


def test_markdown_does_not_pass_html_or_forge_rows(hostile, tmp_path):
    path = tmp_path / "figures.csv"
    quote = '"41 km2 <img src=x onerror=alert(1)>\n| forged | row |"'
    path.write_text(HEADER + f"x,41,km2,about,2021-11-17,<b>me</b>,may-2021,s,{quote}\n")
    out = hostile("reconcile", "--samples", "0", "--figures", path, "--format", "markdown", inputs=[path], exit=0)
    assert "<img" not in out.stdout and "<b>" not in out.stdout
    assert not any(line.startswith("| forged") for line in out.stdout.splitlines())


def test_figures_with_a_header_only(hostile, tmp_path):
    path = tmp_path / "figures.csv"
    path.write_text(HEADER)
    hostile("reconcile", "--samples", "0", "--figures", path, inputs=[path], exit=1, says=["no rows"])


@pytest.mark.parametrize("where", ["http://127.0.0.1:9/f.csv", "/dev/zero"])
def test_figures_must_be_a_local_regular_file(hostile, where):
    hostile("reconcile", "--samples", "0", "--figures", where, exit=2, says=["regular local file"])


def test_a_5000_digit_coordinate(hostile):
    text = '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[' + "9" * 5000 + ",1]}}"
    hostile("area", "-", input=text, exit=1, says=["not GeoJSON"])


def test_endless_stdin_is_bounded(hostile, monkeypatch):
    monkeypatch.setenv("BORDERKIT_MAX_MEMORY", "64M")
    hostile("area", "-", input="y\n" * (3 << 20), exit=2, says=["memory limit", "BORDERKIT_MAX_MEMORY"])


def test_damaged_bundled_figures_is_a_data_integrity_error(hostile, tmp_path, monkeypatch):
    import shutil

    from borderkit.registry import data_dir

    copy = tmp_path / "geodata"
    shutil.copytree(data_dir(), copy)
    (copy / "figures.csv").write_text('id,value\n"unclosed,1\n')
    monkeypatch.setenv("BORDERKIT_GEODATA", str(copy))
    hostile("reconcile", "--samples", "0", exit=1, says=["damaged"], watch=[])
