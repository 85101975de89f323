"""Observed control polygons: borderkit.observed against independent geodesic arithmetic.

The archive is made by scripts/make_observed_archive.py over Armenia from the bundled
``countries`` layer: 30 dated maps of a front that advances and retreats, with the
country's parts and enclave holes, a pocket (one more part) and a town held out (one more
hole), in GeoJSON (EPSG:4326), GeoPackage (UTM 38N), FlatGeobuf (Web Mercator) and
GeoParquet files. The expected figures are computed here from the generator's own lon/lat
polygons, with shapely's overlay and pyproj.Geod, never with borderkit.measure.
"""

import datetime as dt
import importlib.util
import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry.polygon import orient

import borderkit
from borderkit.errors import InputError, UsageError
from borderkit.observed import OUTSIDE, areas, changes, date_from_name, period_bounds, read_archive, states

GEOD = Geod(ellps="WGS84")
RTOL = 1e-3  # the 0.1%
ATOL = 1e-3  # km²: reprojection round trips (UTM, Web Mercator) leave slivers of a few m²


def _generator():
    path = Path(__file__).resolve().parents[1] / "scripts" / "make_observed_archive.py"
    spec = importlib.util.spec_from_file_location("make_observed_archive", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def geod_km2(geom) -> float:
    """Geodesic area of a (multi)polygon, straight from pyproj.Geod, shells counter-clockwise."""
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    return sum(GEOD.geometry_area_perimeter(orient(p, 1.0))[0] for p in polys) / 1e6


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    gen = _generator()
    land, series = gen.control_series(30, country="armenia")
    folder = tmp_path_factory.mktemp("archive")
    gen.write_archive(folder, series)
    return folder, land, series


def state_on(series, day):
    """The true map in force on ``day``: the latest dated on or before it."""
    return [g for d, g in series if d <= day][-1]


def expected_change(series, start, end):
    a, b = state_on(series, start), state_on(series, end)
    return geod_km2(shapely.difference(b, a)), geod_km2(shapely.difference(a, b))


# ---------------------------------------------------------------- the archive is realistic


def test_archive_mixes_formats_crs_parts_and_holes(archive):
    folder, _, series = archive
    endings = {p.suffix for p in folder.iterdir()}
    assert endings == {".geojson", ".gpkg", ".fgb", ".parquet"}
    parts = [len(shapely.get_parts(g)) for _, g in series]
    holes = [sum(len(p.interiors) for p in shapely.get_parts(g)) for _, g in series]
    assert max(parts) >= 3 and max(holes) >= 2
    totals = [geod_km2(g) for _, g in series]
    peak = int(np.argmax(totals))
    assert 0 < peak < len(totals) - 1 and totals[-1] < 0.9 * totals[peak]  # it advances, then retreats


# ---------------------------------------------------------------- figures against independent arithmetic


def test_area_per_date_matches_geod(archive):
    folder, _, series = archive
    table = borderkit.observed(folder).table
    assert list(table.columns) == ["date", "area_km2"]
    assert list(table["date"]) == [d.isoformat() for d, _ in series]
    np.testing.assert_allclose(table["area_km2"], [geod_km2(g) for _, g in series], rtol=RTOL)


def test_daily_gains_and_losses_match_geod_differences(archive):
    folder, _, series = archive
    table = borderkit.observed(folder, every="day").table
    assert list(table.columns) == ["period_start", "period_end", "gained_km2", "lost_km2", "net_km2"]
    first, last = series[0][0], series[-1][0]
    assert len(table) == (last - first).days
    expected = [expected_change(series, dt.date.fromisoformat(s), dt.date.fromisoformat(e))
                for s, e in zip(table["period_start"], table["period_end"], strict=True)]  # fmt: skip
    gained, lost = np.array(expected).T
    assert (gained > 1).sum() >= 10 and (lost > 1).sum() >= 10  # both directions are exercised
    assert ((gained > 1) & (lost > 1)).sum() >= 3  # and days that gain in one place and lose in another
    np.testing.assert_allclose(table["gained_km2"], gained, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(table["lost_km2"], lost, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(table["net_km2"], gained - lost, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("every", ["week", "month"])
def test_calendar_periods_match_geod_and_add_up(archive, every):
    folder, _, series = archive
    table = borderkit.observed(folder, every=every).table
    starts = [dt.date.fromisoformat(d) for d in table["period_start"]]
    ends = [dt.date.fromisoformat(d) for d in table["period_end"]]
    assert starts[0] == series[0][0] and ends[-1] == series[-1][0] and starts[1:] == ends[:-1]
    if every == "week":
        assert all(e.weekday() == 6 for e in ends[:-1])  # weeks end on Sundays
    else:
        assert all((e + dt.timedelta(days=1)).day == 1 for e in ends[:-1])  # months end on their last day
    gained, lost = np.array([expected_change(series, s, e) for s, e in zip(starts, ends, strict=True)]).T
    np.testing.assert_allclose(table["gained_km2"], gained, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(table["lost_km2"], lost, rtol=RTOL, atol=ATOL)
    whole = geod_km2(series[-1][1]) - geod_km2(series[0][1])
    assert table["net_km2"].sum() == pytest.approx(whole, rel=RTOL)


def test_between_two_dates_uses_the_maps_in_force(archive):
    folder, _, series = archive
    table = borderkit.observed(folder, between=("2023-01-04", "2023-01-20")).table
    assert table[["period_start", "period_end"]].values.tolist() == [["2023-01-04", "2023-01-20"]]
    gained, lost = expected_change(series, dt.date(2023, 1, 4), dt.date(2023, 1, 20))
    assert series[3][0] == dt.date(2023, 1, 5)  # no map on the 4th: the map of the 3rd is in force
    assert table["gained_km2"].iloc[0] == pytest.approx(gained, rel=RTOL)
    assert table["lost_km2"].iloc[0] == pytest.approx(lost, rel=RTOL)


def test_share_of_a_territory_in_a_projected_file(archive, tmp_path):
    folder, land, series = archive
    x0, y0, x1, y1 = land.bounds
    south = shapely.intersection(land, shapely.box(x0, y0, x1, (y0 + y1) / 2))  # cuts the held ground in two
    path = tmp_path / "territory.gpkg"
    gpd.GeoDataFrame({"name": ["south"]}, geometry=[south], crs=4326).to_crs(32638).to_file(path)
    table = borderkit.observed(folder, territory=str(path)).table
    assert list(table.columns) == ["date", "area_km2", "share_pct"]
    expected = [100 * geod_km2(shapely.intersection(g, south)) / geod_km2(south) for _, g in series]
    cut = [0 < geod_km2(shapely.intersection(g, south)) < geod_km2(g) * 0.99 for _, g in series]
    assert sum(cut) >= len(series) // 2  # ground outside the territory must not count
    np.testing.assert_allclose(table["share_pct"], expected, rtol=RTOL)


@pytest.fixture(scope="module")
def provinces(tmp_path_factory):
    units = borderkit.load("provinces")
    units = units.loc[units["country"] == "ARM", ["name", "geometry"]].reset_index(drop=True)
    path = tmp_path_factory.mktemp("regions") / "provinces.geojson"
    units.to_file(path)
    return path, units


def test_by_region_matches_geod_and_adds_up(archive, provinces):
    folder, _, series = archive
    path, units = provinces
    table = borderkit.observed(folder, every="week", within=str(path)).table
    assert list(table.columns) == ["period_start", "period_end", "region", "gained_km2", "lost_km2", "net_km2"]
    hit = set()
    for (start, end), rows in table.groupby(["period_start", "period_end"]):
        a, b = state_on(series, dt.date.fromisoformat(start)), state_on(series, dt.date.fromisoformat(end))
        rows = rows.set_index("region")
        for name, unit in zip(units["name"], units.geometry, strict=True):
            gained = geod_km2(shapely.intersection(shapely.difference(b, a), unit))
            lost = geod_km2(shapely.intersection(shapely.difference(a, b), unit))
            assert rows.loc[name, "gained_km2"] == pytest.approx(gained, rel=RTOL, abs=ATOL)
            assert rows.loc[name, "lost_km2"] == pytest.approx(lost, rel=RTOL, abs=ATOL)
            hit |= {name} if gained > 1 or lost > 1 else set()
    assert len(hit) >= 2  # the changes cross several provinces
    whole = borderkit.observed(folder, every="week").table
    summed = table.groupby("period_end", sort=False)[["gained_km2", "lost_km2"]].sum()
    np.testing.assert_allclose(summed.to_numpy(), whole[["gained_km2", "lost_km2"]].to_numpy(), rtol=RTOL, atol=ATOL)


def test_area_by_region_and_share_of_each(archive, provinces):
    folder, _, series = archive
    path, units = provinces
    table = borderkit.observed(folder, within=str(path)).table
    day, geom = series[10]
    rows = table[table["date"] == day.isoformat()].set_index("region")
    for name, unit in zip(units["name"], units.geometry, strict=True):
        held = geod_km2(shapely.intersection(geom, unit))
        assert rows.loc[name, "area_km2"] == pytest.approx(held, rel=RTOL, abs=ATOL)
        assert rows.loc[name, "share_pct"] == pytest.approx(100 * held / geod_km2(unit), rel=RTOL, abs=1e-6)
    assert rows["area_km2"].sum() == pytest.approx(geod_km2(geom), rel=RTOL)  # outside row included


# ---------------------------------------------------------------- reading


def test_one_file_with_a_date_column_reads_like_the_folder(archive, tmp_path):
    folder, _, series = archive
    rows = [(d.isoformat(), p) for d, g in series for p in shapely.get_parts(g)]  # several features per date
    frame = gpd.GeoDataFrame({"date": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs=4326)
    path = tmp_path / "all.gpkg"
    frame.to_crs(32638).to_file(path)
    one = borderkit.observed(str(path), every="week").table
    many = borderkit.observed(folder, every="week").table
    pd.testing.assert_frame_equal(one, many, rtol=RTOL, atol=ATOL)


def test_glob_and_several_sources(archive):
    folder, _, series = archive
    table = borderkit.observed([str(folder / "*.geojson"), str(folder / "*.gpkg")]).table
    expected = len(list(folder.glob("*.geojson"))) + len(list(folder.glob("*.gpkg")))
    assert len(table) == expected == 16 and set(table["date"]) < {d.isoformat() for d, _ in series}


def test_in_memory_polygons_and_upper_case_date_column():
    maps = gpd.GeoDataFrame(
        {"DATE": ["2022-09-30T18:00:00Z", "2022-09-01", "2022-09-01"]},
        geometry=[shapely.box(36.5, 48, 37.5, 49), shapely.box(36, 48, 36.6, 49), shapely.box(36.4, 48, 37, 49)],
        crs=4326,
    )
    out = borderkit.observed(maps)
    assert list(out.table["date"]) == ["2022-09-01", "2022-09-30"]  # sorted, the time dropped
    merged = shapely.union_all(maps.geometry.iloc[1:].to_numpy())  # its edges keep the vertices at 36.4 and 36.6
    assert out.table["area_km2"].iloc[0] == pytest.approx(geod_km2(merged), rel=1e-9)


def test_parallel_workers_give_the_same_figures(archive):
    folder, _, _ = archive
    files = sorted(folder.iterdir())[:8]
    one, _ = read_archive(files, workers=1)
    two, _ = read_archive(files, workers=2)
    assert list(one["date"]) == list(two["date"])
    np.testing.assert_allclose(areas(one)["area_km2"], areas(two)["area_km2"], rtol=1e-12)
    a = changes(one, every="day", workers=1)
    b = changes(one, every="day", workers=2)
    np.testing.assert_allclose(a["area_km2"], b["area_km2"], rtol=1e-12)


def test_states_union_a_dates_polygons_once():
    frame = gpd.GeoDataFrame(
        {"date": ["2022-01-01", "2022-01-01"]}, geometry=[shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1)], crs=4326
    )
    out = states(frame)
    assert out["features"].tolist() == [2]
    merged = shapely.union(shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1))
    assert areas(out)["area_km2"].iloc[0] == pytest.approx(geod_km2(merged), rel=1e-9)


def test_period_bounds_clamp_to_the_archive():
    days = ["2022-01-10", "2022-02-03", "2022-03-05"]
    assert period_bounds(days, every="month") == [
        (dt.date(2022, 1, 10), dt.date(2022, 1, 31)),
        (dt.date(2022, 1, 31), dt.date(2022, 2, 28)),
        (dt.date(2022, 2, 28), dt.date(2022, 3, 5)),
    ]
    assert period_bounds(days) == [
        (dt.date(2022, 1, 10), dt.date(2022, 2, 3)),
        (dt.date(2022, 2, 3), dt.date(2022, 3, 5)),
    ]
    assert period_bounds(days, every="year") == [(dt.date(2022, 1, 10), dt.date(2022, 3, 5))]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("control_20220930.gpkg", dt.date(2022, 9, 30)), ("map-2022-09-30T12.geojson", dt.date(2022, 9, 30)),
     ("v2-latest.geojson", None), ("id_1234567890.fgb", None), ("2022-0930.geojson", None)],
)  # fmt: skip
def test_date_from_name(name, expected):
    assert date_from_name(name) == expected


# ---------------------------------------------------------------- bad input: each message says what and what to do


def _write(path, geoms, crs=4326, **columns):
    with warnings.catch_warnings():  # pyogrio warns when a file gets no CRS: that is the point here
        warnings.simplefilter("ignore", UserWarning)
        gpd.GeoDataFrame(columns or None, geometry=geoms, crs=crs).to_file(path)
    return path


BOX = shapely.box(45.0, 40.0, 45.1, 40.1)


@pytest.mark.parametrize(
    ("name", "columns", "words"),
    [
        ("latest.geojson", {}, ["latest.geojson", "feature #1", "no date property", "file name carries no date"]),
        ("latest.geojson", {"date": ["30/09/2022"]}, ["latest.geojson", "feature #1", "'30/09/2022'", "YYYY-MM-DD"]),
        ("control_20221340.geojson", {}, ["control_20221340.geojson", "'20221340'", "not a calendar date"]),
        ("from_20220901_to_20220930.geojson", {}, ["carries 2 dates", "2022-09-01, 2022-09-30", "Rename"]),
    ],
)
def test_undatable_files_are_refused(tmp_path, name, columns, words):
    path = _write(tmp_path / name, [BOX], **columns)
    with pytest.raises(InputError) as err:
        borderkit.observed(str(path))
    for word in words:
        assert word in str(err.value)


def test_two_files_with_one_date_are_refused(tmp_path):
    _write(tmp_path / "a-2022-09-30.geojson", [BOX])
    _write(tmp_path / "b_20220930.geojson", [BOX])
    with pytest.raises(InputError, match=r"2 files carry the date 2022-09-30: 'a-2022-09-30.geojson', 'b_20220930"):
        borderkit.observed(tmp_path)


def test_empty_pattern_and_folder_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"pattern .*\*\.gpkg' matches no file"):
        borderkit.observed(str(tmp_path / "*.gpkg"))
    (tmp_path / "README.txt").write_text("maps come later")
    with pytest.raises(InputError, match=r"holds no geodata file .* it holds 'README.txt'"):
        borderkit.observed(tmp_path)
    with pytest.raises(InputError, match="No such file or folder"):
        borderkit.observed(str(tmp_path / "nothing"))


def test_unreadable_empty_point_and_crsless_files_name_the_file(tmp_path):
    xml = tmp_path / "map_20220901.geojson"
    xml.write_text('<OGRVRTDataSource><OGRVRTLayer name="x"/></OGRVRTDataSource>')
    with pytest.raises(InputError, match="map_20220901.geojson.*is not GeoJSON"):
        borderkit.observed(str(xml))
    empty = tmp_path / "map_20220902.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError, match="map_20220902.geojson.* holds no features"):
        borderkit.observed(str(empty))
    points = _write(tmp_path / "map_20220903.geojson", [shapely.Point(45, 40)])
    with pytest.raises(InputError, match="map_20220903.geojson.*no areal geometries.*1 Point"):
        borderkit.observed(str(points))
    utm = _write(tmp_path / "map_20220904.gpkg", [shapely.box(500000, 4400000, 510000, 4410000)], crs=None)
    with pytest.raises(InputError, match="map_20220904.gpkg.* has no CRS.*--crs"):
        borderkit.observed(str(utm))
    assert borderkit.observed(str(utm), crs="EPSG:32638").table["area_km2"].iloc[0] == pytest.approx(100, rel=2e-3)


def test_invalid_polygon_is_refused_unless_fixed(tmp_path):
    bowtie = shapely.Polygon([(45, 40), (45.1, 40.1), (45.1, 40), (45, 40.1), (45, 40)])
    path = _write(tmp_path / "map_20220905.geojson", [bowtie])
    with pytest.raises(InputError, match="map_20220905.geojson.*invalid.*--fix"):
        borderkit.observed(str(path))
    fixed = borderkit.observed(str(path), fix=True)
    assert fixed.table["area_km2"].iloc[0] == pytest.approx(geod_km2(shapely.make_valid(bowtie)), rel=1e-6)
    assert any("repaired" in n for n in fixed.notes)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"between": ("2022-12-01", "2023-01-10")}, r"reaches outside the archive, which runs from 2023-01-01 to"),
        ({"between": ("2023-01-10", "2023-01-05")}, "the first date must come before the second"),
        ({"between": ("2023-01-10", "next week")}, "'next week' is not a date"),
        ({"every": "fortnight"}, "Unknown period 'fortnight'. Allowed: day, week, month, year"),
        ({"every": "day", "between": ("2023-01-02", "2023-01-05")}, "either --every or --between, not both"),
    ],
)
def test_bad_periods_are_usage_errors(archive, kwargs, pattern):
    folder, _, _ = archive
    with pytest.raises(UsageError, match=pattern):
        borderkit.observed(sorted(folder.glob("*.geojson")), **kwargs)


def test_regions_without_a_label_column(archive, tmp_path):
    folder, land, _ = archive
    path = _write(tmp_path / "regions.geojson", [land], code=["A"])
    with pytest.raises(UsageError, match="neither a 'name' nor an 'id' column; their columns: code.*--region-column"):
        borderkit.observed(sorted(folder.glob("*.geojson")), within=str(path))
    table = borderkit.observed(sorted(folder.glob("*.geojson")), within=str(path), region_column="code").table
    assert set(table["region"]) <= {"A", OUTSIDE}  # the files' rounding can leave slivers outside
    assert (table.loc[table["region"] == OUTSIDE, "area_km2"] < 1e-6).all()
    with pytest.raises(UsageError, match="no column 'province'"):
        borderkit.observed(sorted(folder.glob("*.geojson")), within=str(path), region_column="province")


# ---------------------------------------------------------------- the command line


def test_cli_json_records_have_exactly_the_keys(archive, cli, tmp_path):
    folder, land, _ = archive
    territory = _write(tmp_path / "land.geojson", [land], name=["land"])
    cases = [
        ([], ["date", "area_km2"]),
        (["--territory", territory], ["date", "area_km2", "share_pct"]),
        (["--every", "month"], ["period_start", "period_end", "gained_km2", "lost_km2", "net_km2"]),
    ]
    for extra, keys in cases:
        result = cli("observed", folder, *extra, "--format", "json")
        assert result.exit_code == 0, result.output
        records = json.loads(result.stdout)
        assert records and all(list(r) == keys for r in records)


def test_timeline_observed_is_the_observed_command(archive, cli):
    folder, _, _ = archive
    a = cli("timeline", "--observed", folder, "--every", "week", "--format", "csv")
    b = cli("observed", folder, "--every", "week", "--format", "csv")
    assert a.exit_code == 0 and a.stdout == b.stdout
    assert a.stdout.splitlines()[0] == "period_start,period_end,gained_km2,lost_km2,net_km2"


def test_cli_writes_difference_polygons_and_prints_the_table(archive, cli, tmp_path):
    folder, _, series = archive
    out = tmp_path / "changes.gpkg"
    result = cli("timeline", "--observed", folder, "--between", "2023-01-03", "2023-01-20", "-o", out)
    assert result.exit_code == 0, result.output
    assert "gained_km2" in result.stdout and f"wrote {out}" in result.stderr
    written = gpd.read_file(out)
    assert list(written["change"]) == ["gained", "lost"]
    gained, lost = expected_change(series, dt.date(2023, 1, 3), dt.date(2023, 1, 20))
    np.testing.assert_allclose([geod_km2(g) for g in written.geometry], [gained, lost], rtol=RTOL)
    np.testing.assert_allclose(written["area_km2"], [gained, lost], rtol=RTOL)


def test_cli_errors_exit_codes_and_no_traceback(archive, cli, tmp_path):
    folder, _, _ = archive
    undated = _write(tmp_path / "latest.geojson", [BOX])
    result = cli("observed", undated)
    assert result.exit_code == 1 and "latest.geojson" in result.output and "Traceback" not in result.output
    result = cli("timeline", "--every", "day")
    assert result.exit_code == 2 and "no --observed was given" in result.output
    result = cli("timeline", "--observed", folder, "--png", tmp_path / "x.png")
    assert result.exit_code == 2 and "--png applies to the modelled zones" in result.output
    result = cli("observed", folder, "--between", "2023-01-10", "2023-01-05")
    assert result.exit_code == 2 and "must come before" in result.output
    result = cli("observed", folder, "--every", "fortnight")
    assert result.exit_code == 2 and "'fortnight' is not one of" in result.output
    target = next(folder.glob("*.geojson"))
    before = target.read_bytes()
    result = cli("observed", folder, "-o", target)
    assert result.exit_code == 2 and "never overwrites its input" in result.output
    assert target.read_bytes() == before


# ---------------------------------------------------------------- one figure of an archive, and the map's states


def test_measure_period_matches_geod(archive):
    """What the account reads from an archive: net, gained, lost, held, against Geod on the true maps."""
    from borderkit.observed import measure_period, states

    folder, _, series = archive
    read = states(borderkit.observed(folder).polygons.assign(date=lambda f: f["date"]))
    days = [d for d, _ in series]
    start, end = days[3], days[17]
    gained, lost = expected_change(series, start, end)
    for measure, truth in (("gained", gained), ("lost", lost), ("net", gained - lost),
                           ("held", geod_km2(state_on(series, end)))):  # fmt: skip
        value, ground = measure_period(read, measure, start, end)
        assert value == pytest.approx(truth, rel=1e-3, abs=1e-3), measure
        assert ground.is_empty or ground.is_valid
    with pytest.raises(borderkit.errors.UsageError, match="outside the archive"):
        measure_period(read, "net", "1999-01-01", end)


def test_successive_states_hold_until_the_next_map(archive):
    import datetime as dt

    from borderkit.observed import states, successive

    folder, _, series = archive
    shown = successive(states(borderkit.observed(folder).polygons))
    days = [d for d, _ in series]
    assert list(shown["start"]) == [d.isoformat() for d in days]
    nexts = [(d - dt.timedelta(days=1)).isoformat() for d in days[1:]]
    assert list(shown["end"][:-1]) == nexts and shown["end"].iloc[-1] is None
    assert shown["area_km2"].to_numpy() == pytest.approx([geod_km2(g) for _, g in series], rel=1e-6)


def test_the_table_footer_names_the_maps_it_measured(archive, cli):
    folder, _, series = archive
    result = cli("observed", folder, "--every", "month")
    assert result.exit_code == 0, result.output
    tail = " ".join(result.output.split())
    assert f"Maps: {folder} ({len(series)} files, {series[0][0]} to {series[-1][0]})" in tail


def test_territory_by_the_case_layer_name_is_its_default_rendering(archive, cli):
    """--territory armenia_renderings reads the case's territory layer, on the default baseline's row only."""
    from borderkit.case import current

    folder, _, series = archive
    by_name = cli("observed", folder, "--territory", current().territory_layer, "--format", "json")
    assert by_name.exit_code == 0, by_name.output
    territory = borderkit.load(current().territory_layer)
    land = territory[territory["baseline"] == current().default_baseline].geometry.iloc[0]
    for row, (_, held) in zip(json.loads(by_name.stdout), series, strict=True):
        expected = 100 * geod_km2(shapely.intersection(held, land)) / geod_km2(land)
        assert row["share_pct"] == pytest.approx(expected, rel=1e-3)
