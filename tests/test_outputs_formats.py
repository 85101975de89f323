"""Output formats: -o picks the format by its ending, RFC 7946 GeoJSON, no rounding, provenance, tables.

Every file is read back twice: with pyogrio/pyarrow (the library borderkit writes with) and
with GDAL's command-line ``ogrinfo`` from the system (a separate GDAL build) as the peer.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from pyproj import Geod

from borderkit import __version__
from borderkit.io import read_provenance
from borderkit.registry import load
from borderkit.report import csv_safe, plain_text, text_table

needs_ogrinfo = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs GDAL's ogrinfo (gdal-bin)")
GEOD = Geod(ellps="WGS84")


def _geodesic_km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def _ogrinfo(path) -> str:
    done = subprocess.run(["ogrinfo", "-al", "-so", str(path)], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.parametrize(
    ("name", "driver"),
    [("e.geojson", "GeoJSON"), ("e.gpkg", "GPKG"), ("e.fgb", "FlatGeobuf"), ("e.geojsonl", "GeoJSONSeq")],
)
def test_o_ending_picks_the_vector_format(cli, tmp_path, name, driver):
    out = tmp_path / name
    result = cli("area", "enclaves", "-o", out)
    assert result.exit_code == 0, result.output
    info = pyogrio.read_info(out)
    assert info["driver"] == driver and info["features"] == len(load("enclaves"))
    # areas travel unrounded: the peer's (pyproj.Geod on the written rings) within 1e-9
    written = pyogrio.read_dataframe(out)
    for geom, km2 in zip(written.geometry, written["area_km2"], strict=True):
        assert km2 == pytest.approx(_geodesic_km2(geom), rel=1e-9)
        assert km2 != round(km2, 3)  # not rounded to the table's 3 decimals


def test_geoparquet_is_read_back_with_pyarrow_and_geopandas(cli, tmp_path):
    import geopandas as gpd

    out = tmp_path / "e.parquet"
    assert cli("area", "enclaves", "-o", out).exit_code == 0
    assert b"geo" in pq.read_schema(out).metadata
    frame = gpd.read_parquet(out)
    assert frame.crs.to_epsg() == 4326 and len(frame) == len(load("enclaves"))


@needs_ogrinfo
@pytest.mark.parametrize("name", ["z.geojson", "z.gpkg", "z.fgb"])
def test_ogrinfo_reads_what_borderkit_wrote(cli, tmp_path, name):
    out = tmp_path / name
    assert cli("zones", "-o", out).exit_code == 0
    text = _ogrinfo(out)
    assert f"Feature Count: {len(pyogrio.read_dataframe(out))}" in text
    assert "WGS 84" in text
    if name.endswith(".gpkg"):  # the peer sees the provenance as dataset metadata
        assert f"borderkit_version={__version__}" in text and "borderkit_command=borderkit zones -o" in text


def test_geojson_is_rfc7946(cli, tmp_path):
    """Counter-clockwise shells, clockwise holes, no crs member, lon/lat."""
    out = tmp_path / "zones.geojson"
    assert cli("zones", "-o", out).exit_code == 0
    doc = json.loads(out.read_text())
    assert "crs" not in doc
    rings = 0
    for feature in doc["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        for poly in getattr(geom, "geoms", [geom]):
            if poly.is_empty:
                continue
            rings += 1
            assert poly.exterior.is_ccw
            assert all(not hole.is_ccw for hole in poly.interiors)
            lon, lat = poly.exterior.coords[0]
            assert 43 < lon < 47 and 38 < lat < 42  # lon/lat, in the case's area
    assert rings > 0


def test_the_zones_are_clockwise_before_writing():
    """Control: the computed zones do have clockwise shells, so the RFC 7946 test can fail."""
    from borderkit.calibrate import account_zones

    zones = account_zones("soviet_line").zones
    shells = [p.exterior for g in zones.geometry if not g.is_empty for p in getattr(g, "geoms", [g])]
    assert any(not ring.is_ccw for ring in shells)


def test_geojson_coordinates_are_not_rounded_by_default_and_are_with_precision(cli, tmp_path):
    """The computed zones have 15-digit coordinates: written in full, or to --precision decimals."""
    from borderkit.calibrate import account_zones

    full, rounded = tmp_path / "full.geojson", tmp_path / "r.geojson"
    assert cli("zones", "-o", full).exit_code == 0
    assert cli("zones", "--precision", "3", "-o", rounded).exit_code == 0
    source = account_zones("soviet_line").zones.geometry
    written = pyogrio.read_dataframe(full).geometry
    for a, b in zip(source, written, strict=True):
        assert a.is_empty == b.is_empty
        assert a.is_empty or shapely.equals_exact(a.normalize(), b.normalize(), tolerance=1e-12)
    coords = shapely.get_coordinates(pyogrio.read_dataframe(rounded).geometry)
    assert (abs(coords * 1000 - (coords * 1000).round()) < 1e-6).all()
    assert not (abs(shapely.get_coordinates(written) * 1e7 % 1) < 1e-6).all()  # not even 7 decimals


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_are_unrounded_unless_asked(cli, fmt):
    full = cli("area", "enclaves", "--format", fmt)
    rounded = cli("area", "enclaves", "--format", fmt, "--precision", "2")
    read = pd.read_csv if fmt == "csv" else pd.read_json
    import io

    values = read(io.StringIO(full.stdout))["area_km2"]
    expected = [_geodesic_km2(g) for g in load("enclaves").geometry]
    assert list(values) == pytest.approx(expected, rel=1e-12)
    assert list(read(io.StringIO(rounded.stdout))["area_km2"]) == [round(v, 2) for v in values]


def test_json_keeps_tiny_and_exact_floats():
    from borderkit.report import render_frame

    records = json.loads(render_frame(pd.DataFrame({"v": [1e-20, 0.1 + 0.2]}), "json"))
    assert [r["v"] for r in records] == [1e-20, 0.1 + 0.2]


@pytest.mark.parametrize("name", ["p.geojson", "p.gpkg", "p.fgb", "p.parquet"])
def test_every_vector_file_carries_provenance(cli, tmp_path, name):
    out = tmp_path / name
    assert cli("events", "--from", "2022-09-01", "-o", out).exit_code == 0
    record = read_provenance(out)
    assert record["version"] == __version__
    assert record["case"] == "armenia-azerbaijan"
    assert record["command"] == f"borderkit events --from 2022-09-01 -o {out}"
    assert record["created"].endswith("Z")
    import geopandas as gpd

    frame = gpd.read_parquet(out) if name.endswith(".parquet") else pyogrio.read_dataframe(out)
    assert set(record["sources"]) == set(frame["source"])


def test_geojson_provenance_is_a_foreign_member(cli):
    doc = json.loads(cli("layers", "show", "lakes").stdout)
    assert doc["borderkit"]["version"] == __version__ and doc["borderkit"]["sources"] == ["osm-geo-maps-2017"]


def test_cite_reads_a_file_and_names_its_sources(cli, tmp_path):
    out = tmp_path / "zones.gpkg"
    assert cli("zones", "-o", out).exit_code == 0
    result = cli("cite", out)
    assert result.exit_code == 0, result.output
    assert f"version {__version__}" in result.stdout and "Case: armenia-azerbaijan" in result.stdout
    assert f"Made with: borderkit zones -o {out}" in result.stdout
    keys = set(pyogrio.read_dataframe(out)["source"])
    assert all(f"[{k}]" in result.stdout for k in keys)


def test_cite_without_a_file_lists_the_case_sources(cli):
    from borderkit.registry import sources

    result = cli("cite")
    assert result.exit_code == 0
    assert all(f"[{k}]" in result.stdout for k in sources()["key"])


def test_cite_refuses_a_file_without_provenance(cli, tmp_path):
    out = tmp_path / "a.csv"
    assert cli("area", "enclaves", "-o", out).exit_code == 0
    result = cli("cite", out)
    assert result.exit_code == 1 and "carries no borderkit provenance" in result.output


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["area", "enclaves", "-o", "x.shp"], "Allowed endings: .txt, .csv, .json, .geojson"),
        (["claims", "-o", "x.gpkg"], "a GeoPackage, which borderkit claims does not write"),
        (["area", "enclaves", "--format", "json", "-o", "x.csv"], "--format json and -o 'x.csv' disagree"),
        (["zones", "--sequence", "-o", "x.geojson"], "--sequence and -o 'x.geojson' disagree"),
        (["area", "enclaves", "--by", "kind", "-o", "x.gpkg"], "--by cannot be combined with gpkg"),
    ],
)
def test_unwritable_or_contradicting_names_are_usage_errors(cli, tmp_path, monkeypatch, argv, says):
    monkeypatch.chdir(tmp_path)
    result = cli(*argv)
    assert result.exit_code == 2 and says in result.output, result.output
    assert list(tmp_path.iterdir()) == []


def test_a_name_without_ending_follows_format(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("area", "enclaves", "--format", "csv", "-o", out).exit_code == 0
    assert out.read_text().startswith("id,name,area_km2")


def test_sequence_is_one_feature_per_line_and_rs_prefixes(cli):
    lines = cli("zones", "--format", "geojson", "--sequence").stdout.splitlines()
    assert len(lines) == len(load("sectors")) or len(lines) > 1
    assert all(json.loads(line)["type"] == "Feature" for line in lines)
    rs = cli("zones", "--format", "geojson", "--sequence", "--rs").stdout
    assert rs.startswith("\x1e") and rs.count("\x1e") == len(lines)


@needs_ogrinfo
def test_fio_style_pipelines_both_ways(cli, tmp_path):
    """A feature sequence from GDAL (what ``fio cat`` writes) goes into area, and out again."""
    gpkg = tmp_path / "e.gpkg"
    assert cli("layers", "show", "enclaves", "-o", gpkg).exit_code == 0
    seq = subprocess.run(["ogr2ogr", "-f", "GeoJSONSeq", "/vsistdout/", str(gpkg)], capture_output=True, check=True)
    result = cli("area", "-", "--format", "json", input=seq.stdout.decode())
    assert result.exit_code == 0, result.output
    areas = [r["area_km2"] for r in json.loads(result.stdout)]
    assert areas == pytest.approx([_geodesic_km2(g) for g in load("enclaves").geometry], rel=1e-9)
    out = cli("layers", "show", "enclaves", "--sequence").stdout
    back = tmp_path / "back.geojsonl"
    back.write_text(out)
    assert "Feature Count: 4" in _ogrinfo(back)


# ---------------------------------------------------------------- tables that fit the terminal
def _long_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": ["2021-05-12", "2022-09-13"],
            "quote": ["a long quote " * 20, "short"],
            "area_km2": [12345.678, 1.5],
            "note": ["x" * 90, "\x1b]52;c;evil\x07"],
        }
    )


@pytest.mark.parametrize("width", [80, 120])
def test_table_fits_the_width_and_keeps_numbers_whole(width):
    text = text_table(_long_frame(), width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "12,345.678" in text and "2021-05-12" in text  # numbers and short columns whole
    assert "…" in text  # the long text is cut with an ellipsis
    assert "\\x1b]52" in text and "\x1b" not in text  # control characters stay escapes


def test_wide_table_shows_everything():
    text = text_table(_long_frame(), width=None)
    assert "a long quote " * 19 in text and "x" * 90 in text and "…" not in text


def test_too_many_columns_are_dropped_and_named():
    frame = pd.DataFrame({f"column_{i}": ["some text value"] for i in range(12)})
    text = text_table(frame, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Columns not shown at this width: " in text and "column_11" in text


def test_cli_tables_fit_columns_and_wide_shows_all(cli, monkeypatch):
    for width in (80, 120):
        monkeypatch.setenv("COLUMNS", str(width))
        for argv in (["events"], ["zones"], ["claims"], ["layers"], ["area", "countries"], ["layers", "sources"]):
            out = cli(*argv).stdout
            assert max(len(line) for line in out.splitlines()) <= width, (argv, width)
    monkeypatch.setenv("COLUMNS", "80")
    wide = cli("events", "--wide").stdout
    assert max(len(line) for line in wide.splitlines()) > 80
    assert "linked_to" in wide.splitlines()[0]


def test_table_written_to_a_file_is_never_cut(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = tmp_path / "events.txt"
    assert cli("events", "-o", out).exit_code == 0
    text = out.read_text()
    assert "…" not in text.split("\n\n")[0] and "linked_to" in text


def test_csv_safe_and_plain_text_unchanged():
    assert csv_safe(pd.DataFrame({"a": ["=1+1", "-3.5"]}))["a"].tolist() == ["'=1+1", "-3.5"]
    assert plain_text("a\nb") == "a\\nb"
