"""Observed archives and archive components against GeographicLib and hand-made maps.

Written against the survivors of a mutation run (``make mutation``). Each map here is a box
or a union of boxes whose ground on each date is known by construction; the expected areas
are measured with ``pyproj.Geod`` on shapely overlays made here, never with borderkit's own
measures. Dates and periods are worked out by hand from a calendar.
"""

import datetime as dt
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry.polygon import orient

from borderkit.archives import (
    ArchiveRef,
    _length,
    _measure_or_none,
    _month_end,
    _period_dates,
    archive_refs,
    component_measure,
    is_archive_ref,
)
from borderkit.errors import InputError, UsageError
from borderkit.observed import (
    OUTSIDE,
    _between,
    _chunked,
    _crs_name,
    _date_value,
    _find_column,
    _polygons_only,
    _union,
    archive_files,
    areas,
    change_table,
    changes,
    date_from_name,
    measure_period,
    observed,
    period_bounds,
    read_archive,
    region_labels,
    states,
    successive,
)

GEOD = Geod(ellps="WGS84")
D = dt.date


def geod_km2(geom) -> float:
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    return sum(GEOD.geometry_area_perimeter(orient(p, 1.0))[0] for p in polys) / 1e6


def box(w, e, s=50.0, n=50.1):
    return shapely.box(w, s, e, n)


#: The ground held on each date of a small archive (given out of order on purpose).
MAPS = {
    "2024-01-15": box(30.05, 30.2),
    "2024-01-01": box(30.0, 30.1),
    "2024-02-10": shapely.union(box(30.05, 30.2), box(30.2, 30.25, 50.0, 50.05)),
}


def archive(maps=MAPS):
    return gpd.GeoDataFrame({"date": list(maps)}, geometry=list(maps.values()), crs=4326)


# ---------------------------------------------------------------- dates
@pytest.mark.parametrize(
    "name, expected",
    [
        ("control_20220930.gpkg", D(2022, 9, 30)),
        ("map-2022-09-30.geojson", D(2022, 9, 30)),
        ("2022-0930.geojson", None),  # mixed separators are no date
        ("x120220930.geojson", None),  # part of a longer number
        ("202209301.geojson", None),
        ("20220930_2022-09-30.json", D(2022, 9, 30)),  # the same date twice
        ("/data/20220101/latest.geojson", None),  # only the file's own name counts
        ("latest.geojson", None),
    ],
)
def test_date_from_name(name, expected):
    assert date_from_name(name) == expected


def test_names_with_two_dates_or_no_calendar_date_are_refused():
    with pytest.raises(InputError, match=r"its name carries 2 dates \(2022-09-01, 2022-09-30\)"):
        date_from_name("from_20220930_to_20220901.gpkg")
    with pytest.raises(InputError, match=r"'20221340' in its name is not a calendar date"):
        date_from_name("map_20221340.gpkg")


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        (pd.NaT, None),
        (math.nan, None),
        ("  ", None),
        (np.datetime64("NaT"), None),
        (pd.Timestamp("2022-09-30 23:30"), D(2022, 9, 30)),
        (dt.datetime(2022, 9, 30, 23, 59), D(2022, 9, 30)),
        (D(2022, 9, 30), D(2022, 9, 30)),
        (np.datetime64("2022-09-30T12:00"), D(2022, 9, 30)),
        (" 2022-09-30T12:00:00+05:00 ", D(2022, 9, 30)),
        ("20220930", D(2022, 9, 30)),
        ("2022-09-30 08:00", D(2022, 9, 30)),
    ],
)
def test_date_values(value, expected):
    assert _date_value(value) == expected


@pytest.mark.parametrize("value", ["30/09/2022", "2022-09-30x", 20220930, 1.5])
def test_non_dates_raise(value):
    with pytest.raises(ValueError):
        _date_value(value)


def test_find_column_exact_then_ignoring_case_but_not_ambiguous():
    assert _find_column(["Date", "date"], "date") == "date"
    assert _find_column(["id", "DATE"], "date") == "DATE"
    assert _find_column(["Date", "DATE"], "date") is None
    assert _find_column(["when"], "date") is None


# ---------------------------------------------------------------- states
def test_states_union_each_dates_polygons_in_date_order():
    parts = gpd.GeoDataFrame(
        {"DATE": ["2024-01-15", "2024-01-01", "2024-01-15", "2024-01-15", "2024-01-15"]},
        geometry=[box(30.05, 30.15), box(30.0, 30.1), box(30.1, 30.2), None, shapely.Polygon()],
        crs=4326,
    )
    got = states(parts)
    assert list(got["date"]) == ["2024-01-01", "2024-01-15"]
    assert list(got["features"]) == [1, 2]
    assert [geod_km2(g) for g in got.geometry] == pytest.approx([geod_km2(box(30.0, 30.1)), geod_km2(box(30.05, 30.2))])
    assert got.crs.to_epsg() == 4326


def test_states_reproject_to_lon_lat():
    got = states(archive().to_crs(3857))
    assert got.crs.to_epsg() == 4326
    expected = [geod_km2(MAPS[d]) for d in sorted(MAPS)]
    assert [geod_km2(g) for g in got.geometry] == pytest.approx(expected, rel=1e-9)


def test_states_refuse_a_missing_or_ambiguous_column():
    with pytest.raises(UsageError, match=r"^The polygons have no 'day' column \(columns: date, geometry\)"):
        states(archive(), date_column="day")
    twice = archive().assign(DATE=list(MAPS)).rename(columns={"date": "Date"})
    with pytest.raises(UsageError, match="no 'date' column"):
        states(twice)
    with pytest.raises(InputError, match=r"the polygons: feature #2 has date='soon', which is not a date"):
        states(archive().assign(date=["2024-01-01", "soon", "2024-01-02"]))


def test_one_polygon_is_kept_and_collections_lose_their_lines():
    p = box(30.0, 30.1)
    assert _union([p]) is p
    assert _union([]).is_empty and _union([]).geom_type == "MultiPolygon"
    mixed = shapely.GeometryCollection([p, shapely.LineString([(0, 0), (1, 1)]), shapely.Point(3, 3)])
    assert _polygons_only(mixed).equals(p)
    assert _polygons_only(shapely.GeometryCollection([shapely.Point(1, 1)])).geom_type == "MultiPolygon"
    two = shapely.MultiPolygon([box(30.0, 30.1), box(30.2, 30.3)])
    assert _polygons_only(shapely.GeometryCollection([two, shapely.LineString([(0, 0), (1, 1)])])).equals(two)
    line = shapely.LineString([(0, 0), (1, 1)])
    assert _polygons_only(line) is line
    touching = _union([box(30.0, 30.1), box(30.1, 30.2)])
    assert touching.equals(box(30.0, 30.2))


def test_successive_states_end_the_day_before_the_next_map():
    got = successive(states(archive()))
    assert list(got["start"]) == ["2024-01-01", "2024-01-15", "2024-02-10"]
    assert list(got["end"]) == ["2024-01-14", "2024-02-09", None]
    assert list(got.columns[:4]) == ["date", "start", "end", "area_km2"]
    assert got["area_km2"].tolist() == pytest.approx([geod_km2(MAPS[d]) for d in sorted(MAPS)], rel=1e-9)


# ---------------------------------------------------------------- periods
DAYS = ["2024-01-01", "2024-01-15", "2024-02-10"]


@pytest.mark.parametrize(
    "every, expected",
    [
        (None, [("2024-01-01", "2024-01-15"), ("2024-01-15", "2024-02-10")]),
        ("month", [("2024-01-01", "2024-01-31"), ("2024-01-31", "2024-02-10")]),
        ("year", [("2024-01-01", "2024-02-10")]),
        # weeks end on Sundays: 7, 14, 21, 28 Jan, 4 Feb
        (
            "week",
            [
                ("2024-01-01", "2024-01-07"),
                ("2024-01-07", "2024-01-14"),
                ("2024-01-14", "2024-01-21"),
                ("2024-01-21", "2024-01-28"),
                ("2024-01-28", "2024-02-04"),
                ("2024-02-04", "2024-02-10"),
            ],
        ),
    ],
)
def test_period_bounds(every, expected):
    got = period_bounds(DAYS[::-1] + DAYS[:1], every=every)
    assert [(a.isoformat(), b.isoformat()) for a, b in got] == expected


def test_daily_periods_and_between():
    got = period_bounds(["2024-01-01", "2024-01-03"], every="day")
    assert got == [(D(2024, 1, 1), D(2024, 1, 2)), (D(2024, 1, 2), D(2024, 1, 3))]
    assert period_bounds(DAYS, between=("2024-01-02", D(2024, 2, 10))) == [(D(2024, 1, 2), D(2024, 2, 10))]
    assert _between(("2024-01-01", "2024-02-10"), D(2024, 1, 1), D(2024, 2, 10)) == (D(2024, 1, 1), D(2024, 2, 10))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"every": "month", "between": ("2024-01-01", "2024-01-15")}, "^Give either --every or --between, not both"),
        ({"every": "fortnight"}, r"^Unknown period 'fortnight'\. Allowed: day, week, month, year\."),
        ({"between": ("2024-01-01",)}, r"^--between takes two dates, got 1\."),
        ({"between": ("2024-01-15", "2024-01-15")}, r"^--between 2024-01-15 2024-01-15: the first date must come"),
        (
            {"between": ("2023-12-31", "2024-01-15")},
            r"^--between 2023-12-31 2024-01-15 reaches outside the archive, "
            r"which runs from 2024-01-01 to 2024-02-10",
        ),
        ({"between": ("2024-01-15", "2024-02-11")}, "reaches outside the archive"),
        ({"between": ("2024-01-15", "soon")}, r"^--between 'soon' is not a date\. Use YYYY-MM-DD"),
    ],
)
def test_bad_periods(kwargs, message):
    with pytest.raises(UsageError, match=message):
        period_bounds(DAYS, **kwargs)


def test_no_dates_no_period():
    with pytest.raises(UsageError, match="^The archive holds no dates"):
        period_bounds([])


# ---------------------------------------------------------------- changes
def expected(start, end):
    return geod_km2(shapely.difference(end, start)), geod_km2(shapely.difference(start, end))


def test_changes_per_map_match_geod():
    got = changes(states(archive()))
    a, b, c = (MAPS[d] for d in DAYS)
    want = [*expected(a, b), *expected(b, c)]
    assert list(got["change"]) == ["gained", "lost", "gained", "lost"]
    assert list(got["period_start"]) == ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-15"]
    assert list(got["period_end"]) == ["2024-01-15", "2024-01-15", "2024-02-10", "2024-02-10"]
    assert got["area_km2"].tolist() == pytest.approx(want, rel=1e-9)
    assert [geod_km2(g) for g in got.geometry] == pytest.approx(want, rel=1e-9)
    assert list(got.columns) == ["period_start", "period_end", "change", "area_km2", "geometry"]
    table = change_table(got)
    assert table["net_km2"].tolist() == pytest.approx([want[0] - want[1], want[2] - want[3]], rel=1e-9)
    assert list(table.columns) == ["period_start", "period_end", "gained_km2", "lost_km2", "net_km2"]


def test_a_period_with_the_same_map_at_both_ends_changes_nothing():
    got = changes(states(archive()), every="day", between=None)
    assert len(got) == 2 * 40  # 1 Jan to 10 Feb: 40 days
    moved = got[got["area_km2"] > 0]
    assert set(moved["period_end"]) == {"2024-01-15", "2024-02-10"}
    assert got.geometry[0].is_empty and all(g is not None for g in got.geometry)  # empty ground, not a missing one


def test_changes_by_region_in_the_order_given_with_the_ground_outside():
    regions = gpd.GeoDataFrame(
        {"name": ["zeta", "alpha", "zeta"]},
        geometry=[box(30.0, 30.1), box(30.1, 30.15), box(30.15, 30.18)],
        crs=4326,
    ).to_crs(3857)
    got = changes(states(archive()), between=("2024-01-01", "2024-01-15"), regions=regions)
    assert list(got["region"]) == ["zeta", "zeta", "alpha", "alpha", OUTSIDE, OUTSIDE]
    assert all(g is not None for g in got.geometry)  # a region a change does not reach has empty ground, not none
    assert list(got["change"]) == ["gained", "lost"] * 3
    a, b = MAPS["2024-01-01"], MAPS["2024-01-15"]
    zeta = shapely.union(box(30.0, 30.1), box(30.15, 30.18))
    gained, lost = shapely.difference(b, a), shapely.difference(a, b)
    want = [
        geod_km2(shapely.intersection(gained, zeta)),
        geod_km2(shapely.intersection(lost, zeta)),
        geod_km2(shapely.intersection(gained, box(30.1, 30.15))),
        0.0,
        geod_km2(shapely.intersection(gained, box(30.18, 30.2))),
        0.0,
    ]
    assert got["area_km2"].tolist() == pytest.approx(want, rel=1e-6, abs=1e-9)
    assert list(got.columns[:3]) == ["period_start", "period_end", "region"]
    table = change_table(got)
    assert list(table["region"]) == ["zeta", "alpha", OUTSIDE]
    assert table["net_km2"].tolist() == pytest.approx([want[0] - want[1], want[2], want[4]], rel=1e-6)


def test_no_outside_row_when_the_regions_hold_all_the_ground():
    regions = gpd.GeoDataFrame({"id": ["r1"]}, geometry=[box(29.0, 31.0, 49.0, 51.0)], crs=4326)
    got = changes(states(archive()), regions=regions)
    assert set(got["region"]) == {"r1"} and len(got) == 4


# ---------------------------------------------------------------- measure_period
def test_measure_period_each_measure():
    series = states(archive())
    a, b, c = (MAPS[d] for d in DAYS)
    gained, lost = expected(a, c)
    value, ground = measure_period(series, "net", "2024-01-01", "2024-02-10")
    assert value == pytest.approx(gained - lost, rel=1e-9) and geod_km2(ground) == pytest.approx(gained, rel=1e-9)
    value, ground = measure_period(series, "lost", "2024-01-01", "2024-02-10")
    assert value == pytest.approx(lost, rel=1e-9) and geod_km2(ground) == pytest.approx(lost, rel=1e-9)
    assert measure_period(series, "gained", "2024-01-02", "2024-01-20")[0] == pytest.approx(expected(a, b)[0])
    value, ground = measure_period(series, "held", "2024-01-01", "2024-02-09")
    assert value == pytest.approx(geod_km2(b), rel=1e-9) and ground.equals(b)
    assert measure_period(series, "held", "2024-01-01", "2024-02-10")[0] == pytest.approx(geod_km2(c), rel=1e-9)
    assert measure_period(series, "held", "2024-01-01", "2024-01-15")[0] == pytest.approx(geod_km2(b), rel=1e-9)
    with pytest.raises(UsageError, match=r"^Unknown measure 'total'\. Allowed: net, gained, lost, held\."):
        measure_period(series, "total", "2024-01-01", "2024-02-10")


# ---------------------------------------------------------------- areas and shares
def test_areas_and_share_of_a_territory():
    land = box(30.0, 30.2)
    got = areas(states(archive()), territory=gpd.GeoDataFrame(geometry=[land], crs=4326).to_crs(3857))
    held = [MAPS[d] for d in DAYS]
    assert got["area_km2"].tolist() == pytest.approx([geod_km2(g) for g in held], rel=1e-9)
    shares = [100 * geod_km2(shapely.intersection(g, land)) / geod_km2(land) for g in held]
    assert got["share_pct"].tolist() == pytest.approx(shares, rel=1e-6)
    assert list(got.columns) == ["date", "area_km2", "share_pct", "geometry"]
    plain = areas(states(archive()), territory=land)
    assert plain["share_pct"].tolist() == pytest.approx(shares, rel=1e-6)
    with pytest.raises(UsageError, match="^The territory has no area"):
        areas(states(archive()), territory=shapely.Polygon())


def test_areas_by_region_share_each_region():
    regions = gpd.GeoDataFrame(
        {"NAME": ["west", "east", "west"]},
        geometry=[box(30.0, 30.05), box(30.05, 30.15), box(30.15, 30.17)],
        crs=4326,
    )
    got = areas(states(archive().iloc[[1]]), regions=regions)
    assert list(got["region"]) == ["west", "east"]  # no ground outside the regions: no row for it
    held = MAPS["2024-01-01"]
    west = shapely.union(box(30.0, 30.05), box(30.15, 30.17))
    want = [geod_km2(shapely.intersection(held, west)), geod_km2(shapely.intersection(held, box(30.05, 30.15)))]
    assert got["area_km2"].tolist() == pytest.approx(want, rel=1e-9)
    whole = [geod_km2(west), geod_km2(box(30.05, 30.15))]
    assert got["share_pct"].tolist() == pytest.approx([100 * w / a for w, a in zip(want, whole, strict=True)], rel=1e-9)
    later = areas(states(archive().iloc[[0]]), regions=regions)
    assert list(later["region"]) == ["west", "east", OUTSIDE]
    assert later["area_km2"][2] == pytest.approx(geod_km2(box(30.17, 30.2)), rel=1e-9)
    assert pd.isna(later["share_pct"][2])


def test_region_labels():
    r = gpd.GeoDataFrame({"ID": [1, 2], "label": ["a", "b"]}, geometry=[box(0, 1), box(1, 2)], crs=4326)
    assert list(region_labels(r)) == ["1", "2"]
    assert list(region_labels(r, "label")) == ["a", "b"]
    with pytest.raises(UsageError, match=r"^The regions have no column 'nom'; their columns: ID, label\."):
        region_labels(r, "nom")
    with pytest.raises(UsageError, match=r"^The regions have neither a 'name' nor an 'id' column; their columns: none"):
        region_labels(r[["geometry"]])


# ---------------------------------------------------------------- all in one, and reading files
def test_observed_in_memory_per_date_and_per_month():
    per_date = observed(archive())
    assert list(per_date.table.columns) == ["date", "area_km2"] and per_date.notes == []
    assert per_date.table["area_km2"].tolist() == pytest.approx([geod_km2(MAPS[d]) for d in DAYS], rel=1e-9)
    monthly = observed(archive(), every="month")
    jan, feb = expected(MAPS["2024-01-01"], MAPS["2024-01-15"]), expected(MAPS["2024-01-15"], MAPS["2024-02-10"])
    assert monthly.table["gained_km2"].tolist() == pytest.approx([jan[0], feb[0]], rel=1e-9)
    assert monthly.table["net_km2"].tolist() == pytest.approx([jan[0] - jan[1], feb[0] - feb[1]], rel=1e-9)
    regions = gpd.GeoDataFrame({"name": ["all"]}, geometry=[box(29.0, 31.0, 49.0, 51.0)], crs=4326)
    within = observed(archive(), within=regions, territory=box(30.0, 30.2))
    assert list(within.table["region"]) == ["all"] * 3


def test_chunks_and_crs_names():
    assert [list(c) for c in _chunked(list(range(10)), 1)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert len(_chunked(list(range(10)), 3)) == 10 and len(_chunked([1], 4)) == 1
    assert _crs_name(None) == "none" and _crs_name(gpd.GeoSeries(crs=3857).crs) == "EPSG:3857"
    custom = gpd.GeoSeries(crs="+proj=laea +lat_0=50 +lon_0=30 +ellps=WGS84").crs
    assert _crs_name(custom) == custom.name


def write(folder, name, geoms, **cols):
    gpd.GeoDataFrame(cols, geometry=geoms, crs=4326).to_file(folder / name)


def test_archive_files_folders_patterns_and_files(tmp_path):
    write(tmp_path, "b_20240115.geojson", [MAPS["2024-01-15"]])
    write(tmp_path, "a_20240101.GEOJSON", [MAPS["2024-01-01"]])
    (tmp_path / "README.txt").write_text("not geodata")
    (tmp_path / "sub.geojson").mkdir()
    assert [p.name for p in archive_files(tmp_path)] == ["a_20240101.GEOJSON", "b_20240115.geojson"]
    both = archive_files([str(tmp_path / "b_*"), tmp_path / "b_20240115.geojson", str(tmp_path)])
    assert [p.name for p in both] == ["a_20240101.GEOJSON", "b_20240115.geojson"]
    with pytest.raises(InputError, match="the pattern .* matches no file"):
        archive_files(str(tmp_path / "z*.gpkg"))
    with pytest.raises(InputError, match="No such file or folder"):
        archive_files(str(tmp_path / "missing.gpkg"))
    with pytest.raises(UsageError, match="An archive path is empty"):
        archive_files(" ")
    with pytest.raises(InputError, match="No archive was given"):
        archive_files([])
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    with pytest.raises(InputError, match=r"holds no geodata file .* it holds 'notes.txt'\."):
        archive_files(empty)


def test_read_archive_dates_by_name_or_property(tmp_path):
    write(tmp_path, "map_20240101.geojson", [MAPS["2024-01-01"]])
    write(tmp_path, "map_20240115.geojson", [box(30.05, 30.15), box(30.15, 30.2)], Date=["", "2024-01-15"])
    series, notes = read_archive(tmp_path)
    assert list(series["date"]) == ["2024-01-01", "2024-01-15"]
    assert list(series["files"]) == ["map_20240101.geojson", "map_20240115.geojson"]
    assert list(series["features"]) == [1, 2]
    assert geod_km2(series.geometry[1]) == pytest.approx(geod_km2(MAPS["2024-01-15"]), rel=1e-6)
    assert notes[0] == "read 2 file(s), 2 date(s); CRS: EPSG:4326 (2); measured in lon/lat."
    write(tmp_path, "again_2024-01-15.geojson", [box(30.0, 30.1)])
    with pytest.raises(InputError, match=r"^2 files carry the date 2024-01-15: 'again_2024-01-15.geojson', "):
        read_archive(tmp_path)


def test_a_feature_without_any_date_is_refused(tmp_path):
    write(tmp_path, "latest.geojson", [box(30.0, 30.1)])
    with pytest.raises(
        InputError, match=r"^file '.*latest\.geojson': feature #1 has no date property and the file name"
    ):
        read_archive(tmp_path)
    write(tmp_path, "latest.geojson", [box(30.0, 30.1)], date=["someday"])
    with pytest.raises(InputError, match=r"feature #1 has date='someday', which is not a date"):
        read_archive(tmp_path)


# ---------------------------------------------------------------- archive components
@pytest.mark.parametrize(
    "period, start, end",
    [
        ("2024-09", D(2024, 8, 31), D(2024, 9, 30)),
        ("2024-03", D(2024, 2, 29), D(2024, 3, 31)),
        ("2024-01", D(2023, 12, 31), D(2024, 1, 31)),
        ("2024-12", D(2024, 11, 30), D(2024, 12, 31)),
        ("2024", D(2023, 12, 31), D(2024, 12, 31)),
        ("2024-09-01/2024-09-30", D(2024, 9, 1), D(2024, 9, 30)),
    ],
)
def test_covers_periods(period, start, end):
    assert _period_dates(period, "here") == (start, end)


@pytest.mark.parametrize(
    "period, message",
    [
        ("2024-13", r"^here: the period '2024-13' is neither a month, a year nor two dates\. Write a month"),
        ("2024-00", "is neither a month"),
        ("2024-09-01/2024-09-30/2024-10-01", "is neither a month"),
        ("2024-09-01/2024-09-31", r"^here: '2024-09-31' is not a calendar date \(YYYY-MM-DD\)\. Write a month"),
        ("2024-09-30/2024-09-01", r"^here: the period runs backwards or is empty\. .*@2024-09-01/2024-09-30\.$"),
        ("2024-09-30/2024-09-30", "runs backwards or is empty"),
    ],
)
def test_bad_covers_periods(period, message):
    with pytest.raises(InputError, match=message):
        _period_dates(period, "here")


def test_archive_refs():
    comps = pd.DataFrame(
        {
            "id": ["c1", "c2", "c3", "c4"],
            "covers": ["zones:z1; zones:z2", "observed-net:dsm@2024-09", "observed-held:isw", "observed-gained:a@2024"],
        }
    )
    refs = archive_refs(comps)
    assert refs == {
        "c2": ArchiveRef("net", "dsm", D(2024, 8, 31), D(2024, 9, 30)),
        "c3": ArchiveRef("held", "isw"),
        "c4": ArchiveRef("gained", "a", D(2023, 12, 31), D(2024, 12, 31)),
    }
    mixed = pd.DataFrame({"id": ["ok", "m"], "covers": ["zones:z1", "observed-net:dsm; zones:z1"]})
    with pytest.raises(
        InputError,
        match=r"^c.csv row 3 \(m\): covers 'observed-net:dsm; zones:z1' mixes an archive with other items\. "
        r"A component measured from an archive covers that one item; give the rest their own parts \(part_of\)\.$",
    ):
        archive_refs(mixed, "c.csv")
    bad = pd.DataFrame({"id": ["b"], "covers": ["observed-lost:dsm@2024-9"]})
    with pytest.raises(InputError, match=r"^components\.csv row 2 \(b\): covers observed-lost:dsm@2024-9: the period"):
        archive_refs(bad)
    assert is_archive_ref("observed-lost") and not is_archive_ref("zones")


def test_period_lengths():
    assert _length(D(2024, 1, 31), D(2024, 2, 29)) == pd.offsets.MonthEnd(1)
    assert _length(D(2023, 12, 31), D(2024, 2, 29)) == pd.offsets.MonthEnd(2)
    assert _length(D(2024, 1, 15), D(2024, 3, 15)) == pd.DateOffset(months=2)
    assert _length(D(2024, 1, 15), D(2024, 2, 10)) == dt.timedelta(days=26)
    assert _length(D(2024, 1, 15), D(2024, 1, 31)) == dt.timedelta(days=16)  # same month: no whole month
    assert _length(D(2024, 1, 30), D(2024, 2, 29)) == dt.timedelta(days=30)
    assert _month_end(D(2024, 2, 29)) and not _month_end(D(2023, 2, 28) - dt.timedelta(days=1))
    assert _month_end(D(2023, 2, 28)) and not _month_end(D(2024, 2, 28))


#: Month-end and mid-month maps: the ground grows east 0.01° a week, and its west end retreats in February.
EDGES = {
    "2023-12-24": (30.0, 30.10),
    "2023-12-31": (30.0, 30.11),
    "2024-01-07": (30.0, 30.12),
    "2024-01-24": (30.0, 30.14),
    "2024-01-31": (30.0, 30.15),
    "2024-02-07": (30.01, 30.16),
    "2024-02-22": (30.01, 30.18),
    "2024-02-29": (30.02, 30.20),
    "2024-03-07": (30.02, 30.23),
}
OTHER = {"2023-12-01": (30.0, 30.1), "2024-01-31": (30.0, 30.13), "2024-02-29": (30.0, 30.19)}


def held(edges, day):
    return box(*edges[max(d for d in edges if d <= day)])


def net(edges, start, end):
    a, b = held(edges, start), held(edges, end)
    return geod_km2(shapely.difference(b, a)) - geod_km2(shapely.difference(a, b))


def maps(edges):
    return states(gpd.GeoDataFrame({"date": list(edges)}, geometry=[box(*e) for e in edges.values()], crs=4326))


def test_component_measure_and_its_variants():
    archives = {"a": maps(EDGES), "b": maps(OTHER), "c": maps({"2024-02-01": (30, 30.1), "2024-02-02": (30, 30.2)})}
    got = component_measure(archives, "a", "net", D(2024, 1, 31), D(2024, 2, 29))
    assert got.area_km2 == pytest.approx(net(EDGES, "2024-01-31", "2024-02-29"), rel=1e-9)
    assert got.basis == "net change from 2024-01-31 to 2024-02-29 on a's maps"
    assert (got.start, got.end) == (D(2024, 1, 31), D(2024, 2, 29))
    gained = box(30.15, 30.20)
    assert got.geometry.latitude_deg == pytest.approx(50.05, abs=1e-3)
    (feature,) = got.geometry.features
    assert feature.ref == "observed-net:a" and not feature.modelled
    assert feature.area_km2 == pytest.approx(geod_km2(gained), rel=1e-9)
    variants = [(v.key, v.detail, v.area_km2) for v in got.geometry.variants]
    want = [
        (
            "other-dates",
            "counted over the period before: net change from 2023-12-31 to 2024-01-31",
            net(EDGES, "2023-12-31", "2024-01-31"),
        ),
        (
            "other-dates",
            "counted over a week earlier: net change from 2024-01-24 to 2024-02-22",
            net(EDGES, "2024-01-24", "2024-02-22"),
        ),
        (
            "other-dates",
            "counted over a week later: net change from 2024-02-07 to 2024-03-07",
            net(EDGES, "2024-02-07", "2024-03-07"),
        ),
        ("definition", "counted as gains alone, the ground lost not netted", geod_km2(gained)),
        ("definition", "counted as all the ground held on 2024-02-29, not its change", geod_km2(box(30.02, 30.2))),
        ("rendering", "measured on b's maps instead of a's", net(OTHER, "2024-01-31", "2024-02-29")),
    ]
    assert [v[:2] for v in variants] == [w[:2] for w in want]
    assert [v[2] for v in variants] == pytest.approx([w[2] for w in want], rel=1e-9)


def test_held_components_and_the_default_end():
    archives = {"a": maps(EDGES)}
    got = component_measure(archives, "a", "held", D(2024, 1, 31), None)
    assert got.end == D(2024, 3, 7) and got.basis == "ground held on 2024-03-07 on a's maps"
    assert got.area_km2 == pytest.approx(geod_km2(box(30.02, 30.23)), rel=1e-9)
    words = [v.detail for v in got.geometry.variants if v.key == "definition"]
    assert words == [
        "counted as the net change, the ground lost netted",
        "counted as gains alone, the ground lost not netted",
    ]
    before = [v for v in got.geometry.variants if v.key == "other-dates"]
    # 31 Jan to 7 Mar is no whole number of months: the period before is 36 days earlier
    assert [v.detail for v in before] == [
        "counted over the period before: ground held on 2024-01-31",
        "counted over a week earlier: ground held on 2024-02-29",
    ]
    assert before[0].area_km2 == pytest.approx(geod_km2(box(30.0, 30.15)), rel=1e-9)


def test_a_component_that_measures_no_ground_has_no_latitude():
    flat = maps({"2024-01-01": (30.0, 30.1), "2024-01-31": (30.0, 30.1)})
    got = component_measure({"f": flat}, "f", "gained", D(2024, 1, 1), D(2024, 1, 31))
    assert got.area_km2 == 0.0 and got.geometry.latitude_deg is None
    assert got.geometry.features[0].area_km2 == 0.0 and got.geometry.variants != ()


def test_measure_or_none_stays_within_the_archive():
    series = maps(EDGES)
    assert _measure_or_none(series, "held", D(2023, 12, 23), D(2024, 1, 7)) is None
    assert _measure_or_none(series, "held", D(2024, 1, 7), D(2024, 3, 8)) is None
    assert _measure_or_none(series, "held", D(2024, 1, 7), D(2024, 1, 7)) is None
    first_to_last = _measure_or_none(series, "net", D(2023, 12, 24), D(2024, 3, 7))
    assert first_to_last == pytest.approx(net(EDGES, "2023-12-24", "2024-03-07"), rel=1e-9)


# ---------------------------------------------------------------- the edge: files, words, CRSs
FIGURE8 = shapely.Polygon(
    [
        (30.0, 50.0),
        (30.05, 50.0),
        (30.05, 50.05),
        (30.1, 50.05),
        (30.1, 50.1),
        (30.05, 50.1),
        (30.05, 50.05),
        (30.0, 50.05),
    ]
)  # two boxes touching at a corner, written as one ring: invalid until repaired


def mercator_as_lonlat(gdf):
    """Mercator metres labelled as lon/lat: only --crs EPSG:3857 reads them right."""
    return gdf.to_crs(3857).set_crs(4326, allow_override=True)


def test_observed_reads_files_with_every_reading_option(tmp_path):
    folder = tmp_path / "maps"
    folder.mkdir()
    for name, day, geoms in (("first", "2024-01-01", [FIGURE8]), ("second", "2024-01-15", [box(30.05, 30.2)])):
        other = gpd.GeoDataFrame({"When": ["2030-01-01"]}, geometry=[box(10.0, 11.0)], crs=4326)
        mercator_as_lonlat(other).to_file(folder / f"{name}.gpkg", layer="other")
        front = gpd.GeoDataFrame({"When": [day] * len(geoms)}, geometry=geoms, crs=4326)
        mercator_as_lonlat(front).to_file(folder / f"{name}.gpkg", layer="front")
    got = observed(folder, date_column="when", layer="front", crs="EPSG:3857", fix=True, workers=1)
    fixed = shapely.union(box(30.0, 30.05, 50.0, 50.05), box(30.05, 30.1, 50.05, 50.1))
    assert list(got.table["date"]) == ["2024-01-01", "2024-01-15"]
    assert got.table["area_km2"].tolist() == pytest.approx([geod_km2(fixed), geod_km2(box(30.05, 30.2))], rel=1e-6)
    assert got.notes[0] == "read 2 file(s), 2 date(s); CRS: EPSG:4326 (2); measured in lon/lat."
    assert len(got.notes) == 2 and "first.gpkg" in got.notes[1]  # the repair, not the reprojection
    assert not any("reprojected" in n for n in got.notes)
    assert got.polygons.crs.to_epsg() == 4326
    series, notes = read_archive(folder, date_column="when", layer="front", crs="EPSG:3857", fix=True)
    assert list(series.columns) == ["date", "files", "features", "geometry"] and series.crs.to_epsg() == 4326
    assert list(series["files"]) == ["first.gpkg", "second.gpkg"]


def test_observed_shares_of_files_and_notes_of_each(tmp_path):
    land = gpd.GeoDataFrame({"name": ["land"]}, geometry=[box(30.0, 30.2)], crs=4326).to_crs(3857)
    land.to_file(tmp_path / "land.gpkg")
    regions = gpd.GeoDataFrame({"oblast": ["w", "e"]}, geometry=[box(30.0, 30.1), box(30.1, 30.3)], crs=4326)
    regions.to_crs(3857).to_file(tmp_path / "regions.gpkg")
    maps_ = archive()
    maps_.to_file(tmp_path / "all.geojson")
    shares = observed(str(tmp_path / "all.geojson"), territory=tmp_path / "land.gpkg")
    held = [MAPS[d] for d in DAYS]
    want = [100 * geod_km2(shapely.intersection(g, box(30.0, 30.2))) / geod_km2(box(30.0, 30.2)) for g in held]
    assert shares.table["share_pct"].tolist() == pytest.approx(want, rel=1e-6)
    assert [n.split(";")[0] for n in shares.notes] == [
        "read 1 file(s), 3 date(s)",
        f"--territory file {str(tmp_path / 'land.gpkg')!r} is in EPSG:3857",
    ]
    split = observed(maps_, within=str(tmp_path / "regions.gpkg"), region_column="oblast", every="month")
    assert list(split.table["region"]) == ["w", "e", "w", "e"]
    assert split.notes == [
        f"--within file {str(tmp_path / 'regions.gpkg')!r} is in EPSG:3857; reprojected to EPSG:4326 (lon/lat)."
    ]
    jan = expected(MAPS["2024-01-01"], MAPS["2024-01-15"])
    assert split.table["gained_km2"][1] == pytest.approx(jan[0], rel=1e-6)
    assert split.table["lost_km2"][0] == pytest.approx(jan[1], rel=1e-6)
    assert split.polygons.crs.to_epsg() == 4326 and "region" in split.polygons
    between = observed(maps_, between=("2024-01-15", "2024-02-10"))
    assert between.table["gained_km2"].tolist() == pytest.approx([expected(MAPS["2024-01-15"], MAPS["2024-02-10"])[0]])


def test_territory_by_the_case_layer_name_is_its_default_rendering():
    import borderkit
    from borderkit.case import current

    case = current()
    renderings = borderkit.load(case.territory_layer)
    land = renderings[renderings["baseline"] == case.default_baseline].geometry.iloc[0]
    maps_ = gpd.GeoDataFrame({"date": ["2024-01-01"]}, geometry=[box(44.0, 45.9, 39.5, 41.0)], crs=4326)
    got = observed(maps_, territory=case.territory_layer)
    want = 100 * geod_km2(shapely.intersection(box(44.0, 45.9, 39.5, 41.0), land)) / geod_km2(land)
    assert got.table["share_pct"][0] == pytest.approx(want, rel=1e-6)


def test_archive_dates_are_checked_everywhere():
    bad = gpd.GeoDataFrame({"date": ["2024-01-01", "soon"]}, geometry=[box(30.0, 30.1)] * 2, crs=4326)
    for call in (lambda: changes(bad), lambda: successive(bad), lambda: measure_period(bad, "net", "a", "b")):
        with pytest.raises(
            UsageError, match=r"^archive date 'soon' is not a date\. Use YYYY-MM-DD, e\.g\. 2022-09-30\.$"
        ):
            call()
    with pytest.raises(UsageError, match=r"^archive date 'soon' is not a date"):
        period_bounds(["soon"])


def test_outputs_are_lon_lat_even_without_a_crs():
    plain = archive().set_crs(None, allow_override=True)
    assert states(plain).crs.to_epsg() == 4326
    assert changes(states(archive())).crs.to_epsg() == 4326
    assert successive(states(archive())).crs.to_epsg() == 4326
    assert areas(states(archive())).crs.to_epsg() == 4326
    nocrs = states(archive()).set_crs(None, allow_override=True)
    assert changes(nocrs)["area_km2"].sum() > 0 and len(successive(nocrs)) == 3
    assert change_table(changes(states(archive()))).columns.name is None


def test_messages_word_for_word(tmp_path):
    with pytest.raises(
        InputError, match=r"is the map's\. Rename it to carry one date, or give its features a date property\.$"
    ):
        date_from_name("from_20220930_to_20220901.gpkg")
    with pytest.raises(UsageError, match=r"Give each polygon its date in a column and name it with date_column=\.$"):
        states(archive(), date_column="day")
    with pytest.raises(
        UsageError,
        match=r"Name the column that labels each region with --region-column \(region_column= in Python\)\.$",
    ):
        region_labels(archive(), "nom")
    with pytest.raises(
        UsageError,
        match=r"borderkit does not guess the ground held before the first map or after the last\. "
        r"Give dates within that span\.$",
    ):
        period_bounds(DAYS, between=("2023-01-01", "2024-01-15"))
    with pytest.raises(UsageError, match=r"^--between 'x' is not a date"):
        period_bounds(DAYS, between=("x", "2024-01-15"))
    with pytest.raises(UsageError, match=r"^An archive path is empty\. Give a folder, a glob pattern or a file\.$"):
        archive_files("")
    with pytest.raises(
        InputError,
        match=r"^No archive was given\. Give a folder, a glob pattern such as 'archive/\*\.geojson', or files\.$",
    ):
        archive_files([])
    with pytest.raises(
        InputError, match=r"\(e\.g\. 'archive/\*\.geojson', quoted so the shell does not expand it\)\.$"
    ):
        archive_files(str(tmp_path / "*.gpkg"))
    for i in range(6):
        (tmp_path / f"n{i}.txt").write_text("x")
    endings = ".geojson, .json, .gpkg, .shp, .fgb, .parquet, .geoparquet"
    with pytest.raises(
        InputError,
        match=rf"\(endings {endings}\); it holds 'n0.txt', 'n1.txt', 'n2.txt', 'n3.txt', 'n4.txt'\. "
        r"Give the folder of the archive's files, or a glob pattern that matches them\.$",
    ):
        archive_files(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"it holds nothing\. Give"):
        archive_files(empty)


def test_five_files_on_one_date_list_four(tmp_path):
    for i in range(5):
        write(tmp_path, f"m{i}_20240101.geojson", [box(30.0, 30.1)])
    with pytest.raises(
        InputError,
        match=r"^5 files carry the date 2024-01-01: 'm0_20240101.geojson', 'm1_20240101.geojson', "
        r"'m2_20240101.geojson', 'm3_20240101.geojson'; which map holds on that day is unknown \(1 date\(s\) like "
        r"this\)\. Keep one file per date, merge the files of one date into one, or give their features their own "
        r"date property\.$",
    ):
        read_archive(tmp_path)


def test_an_empty_date_value_without_a_date_in_the_name(tmp_path):
    write(tmp_path, "latest.geojson", [box(30.0, 30.1), box(30.1, 30.2)], date=["2024-01-01", ""])
    with pytest.raises(InputError, match=r"feature #2 has no 'date' value and the file name carries no date"):
        read_archive(tmp_path)


def test_the_period_after_a_month():
    got = component_measure({"a": maps(EDGES)}, "a", "gained", D(2023, 12, 31), D(2024, 1, 31))
    after = [v for v in got.geometry.variants if v.detail.startswith("counted over the period after")]
    assert [v.detail for v in after] == ["counted over the period after: ground gained from 2024-01-31 to 2024-02-29"]
    assert after[0].area_km2 == pytest.approx(geod_km2(box(30.15, 30.2)), rel=1e-9)
    lost = component_measure({"a": maps(EDGES)}, "a", "lost", D(2024, 1, 31), D(2024, 2, 29))
    assert [v.detail for v in lost.geometry.variants if v.key == "definition"] == [
        "counted as the net change, the ground lost netted",
        "counted as gains alone, the ground lost not netted",
        "counted as all the ground held on 2024-02-29, not its change",
    ]


def test_small_pieces_still_count():
    # regions that leave out a 0.001 deg strip (under 1 km2): the strip is still a row
    regions = gpd.GeoDataFrame({"name": ["r"]}, geometry=[box(29.0, 30.199, 49.0, 51.0)], crs=4326)
    got = changes(states(archive()), between=("2024-01-01", "2024-01-15"), regions=regions)
    assert list(got["region"]) == ["r", "r", OUTSIDE, OUTSIDE]
    assert got["area_km2"][2] == pytest.approx(geod_km2(box(30.199, 30.2)), rel=1e-6) and got["area_km2"][2] < 1
    small = box(30.0, 30.001, 50.0, 50.005)  # about 0.04 km2
    shares = areas(states(archive().iloc[[1]]), territory=small)
    assert shares["share_pct"][0] == pytest.approx(100.0)


def test_areas_by_a_named_region_column():
    regions = gpd.GeoDataFrame(
        {"name": ["x", "y"], "oblast": ["one", "one"]}, geometry=[box(30.0, 30.05), box(30.05, 30.2)], crs=4326
    )
    got = areas(states(archive().iloc[[1]]), regions=regions, region_column="oblast")
    assert list(got["region"]) == ["one"]
    assert got["share_pct"][0] == pytest.approx(100 * geod_km2(MAPS["2024-01-01"]) / geod_km2(box(30.0, 30.2)))
    via = observed(archive().iloc[[1]], within=regions, region_column="oblast")
    assert list(via.table["region"]) == ["one"]


def test_defaults_refuse_invalid_polygons_and_read_a_named_date_column(tmp_path):
    gpd.GeoDataFrame({"date": ["2024-01-01"]}, geometry=[FIGURE8], crs=4326).to_file(tmp_path / "bad.geojson")
    with pytest.raises(InputError):
        read_archive(tmp_path)
    with pytest.raises(InputError):
        observed(tmp_path)
    renamed = archive().rename(columns={"date": "when"})
    assert list(observed(renamed, date_column="when").table["date"]) == DAYS


def test_two_crs_are_listed(tmp_path):
    write(tmp_path, "a_20240101.geojson", [MAPS["2024-01-01"]])
    gpd.GeoDataFrame(geometry=[MAPS["2024-01-15"]], crs=4326).to_crs(3857).to_file(tmp_path / "b_20240115.gpkg")
    _, notes = read_archive(tmp_path)
    assert notes == ["read 2 file(s), 2 date(s); CRS: EPSG:4326 (1), EPSG:3857 (1); measured in lon/lat."]


def test_a_missing_territory_file_is_named():
    with pytest.raises(InputError, match=r"^No such file: 'nowhere\.gpkg'"):
        observed(archive(), territory="nowhere.gpkg")


def test_component_fields_and_small_variants():
    got = component_measure({"a": maps(EDGES)}, "a", "net", D(2024, 1, 31), D(2024, 2, 29))
    assert got.geometry.features[0].modelled is False and got.geometry.renderings == {}
    assert got.geometry.line_of_fire_km2 == 0.0
    tiny = maps({"2024-01-01": (30.0, 30.1), "2024-01-31": (30.0, 30.101)})
    held = component_measure({"t": tiny}, "t", "held", D(2024, 1, 1), D(2024, 1, 31))
    gained = [v for v in held.geometry.variants if v.detail.startswith("counted as gains")]
    assert len(gained) == 1 and gained[0].area_km2 == pytest.approx(geod_km2(box(30.1, 30.101)), rel=1e-9)
    assert gained[0].area_km2 < 1
    flat = maps({"2024-01-01": (30.0, 30.1), "2024-01-31": (30.0, 30.1)})
    none = component_measure({"f": flat}, "f", "gained", D(2024, 1, 1), D(2024, 1, 31))
    assert [v.detail for v in none.geometry.variants] == [
        "counted as all the ground held on 2024-01-31, not its change"
    ]
    assert _length(D(2024, 1, 15), D(2024, 2, 15)) == pd.DateOffset(months=1)


def test_no_archive_in_the_default_case():
    from borderkit.archives import measure_components
    from borderkit.case import use_case

    use_case(None)
    comps = pd.DataFrame({"id": ["x"], "covers": ["observed-net:a@2024-02"], "start": ["2024-01-01"]})
    with pytest.raises(InputError, match=r"^components\.csv row 2 \(x\): covers archive 'a'.*\(it names: none\)"):
        measure_components(comps)
    mixed = pd.DataFrame({"id": ["m"], "covers": ["observed-net:a; zones:z"], "start": ["2024-01-01"]})
    with pytest.raises(InputError, match=r"^components\.csv row 2 \(m\): covers"):
        measure_components(mixed)


# ---------------------------------------------------------------- the case's archives (read from files)
@pytest.fixture(scope="module")
def case_with_archives(tmp_path_factory):
    """A new case ('case init' from two bundled neighbours) whose manifest names two archives."""
    from click.testing import CliRunner

    import borderkit
    from borderkit.case import use_case
    from borderkit.cli.main import main

    tmp = tmp_path_factory.mktemp("archives")
    countries = borderkit.load("countries").set_index("id")
    paths = []
    for fid in ("armenia", "azerbaijan"):
        countries.loc[[fid], ["geometry"]].to_file(tmp / f"{fid}.geojson")
        paths.append(str(tmp / f"{fid}.geojson"))
    folder = tmp / "case"
    args = ["case", "init", str(folder), "--subject", *paths[:1], "--counterpart", *paths[1:], "--codes", "AAA", "BBB"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for name, edges in (("a", EDGES), ("b", OTHER), ("t", {"2024-01-01": (30.0, 30.1), "2024-01-31": (30.0, 30.101)})):
        (folder / "observed" / name).mkdir(parents=True)
        for day, e in edges.items():
            write(folder / "observed" / name, f"map_{day}.geojson", [box(*e)])
    manifest = folder / "case.toml"
    manifest.write_text(
        manifest.read_text().replace(
            "[observed]\n", '[observed]\na = "observed/a"\nb = "observed/b"\nt = "observed/t"\n'
        )
    )
    use_case(folder)
    yield folder
    use_case(None)


def test_measure_components_reads_the_archives_the_manifest_names(case_with_archives):
    from borderkit.archives import measure_components

    comps = pd.DataFrame(
        {
            "id": ["plain", "feb", "held"],
            "covers": ["zones:z1", "observed-net:a@2024-02", "observed-held:b"],
            "start": ["2024-01-01", "2024-01-01", "2024-01-31"],
        }
    )
    got = measure_components(comps)
    assert list(got) == ["feb", "held"]
    assert got["feb"].area_km2 == pytest.approx(net(EDGES, "2024-01-31", "2024-02-29"), rel=1e-6)
    assert (got["feb"].start, got["feb"].end) == (D(2024, 1, 31), D(2024, 2, 29))
    assert got["held"].area_km2 == pytest.approx(geod_km2(box(30.0, 30.19)), rel=1e-6)
    assert (got["held"].start, got["held"].end) == (D(2024, 1, 31), D(2024, 2, 29))
    assert [v.key for v in got["held"].geometry.variants].count("rendering") == 1
    assert measure_components(comps.iloc[:1]) == {}


@pytest.mark.parametrize(
    "covers, start, message",
    [
        (
            "observed-net:c@2024-02",
            "2024-01-01",
            r"^c\.csv row 3 \(x\): covers archive 'c', which .*case\.toml does not "
            r"name under \[observed\] \(it names: a, b, t\)\. Add a line c = ",
        ),
        (
            "observed-net:a@2024-04",
            "2024-01-01",
            r"^c\.csv row 3 \(x\): the period 2024-03-31 to 2024-04-30 is not within "
            r"archive a, which runs from 2023-12-24 to 2024-03-07 \(borderkit",
        ),
        ("observed-held:a", "2024-03-08", r"^c\.csv row 3 \(x\): the period 2024-03-08 to 2024-03-07 is not within"),
        (
            "observed-gained:a@2023-12-31/2024-01-06",
            "2024-01-01",
            r"^c\.csv row 3 \(x\): the ground gained from 2023-12-31 to 2024-01-06 on a's maps measures 0\.000 km²\. "
            r"The account fits areas above zero",
        ),
    ],
)
def test_measure_components_refusals_name_the_row(case_with_archives, covers, start, message):
    from borderkit.archives import measure_components

    comps = pd.DataFrame({"id": ["ok", "x"], "covers": ["zones:z1", covers], "start": ["2024-01-01", start]})
    with pytest.raises(InputError, match=message):
        measure_components(comps, where="c.csv")


def test_the_module_is_callable_as_its_function():
    import borderkit.observed as module

    got = module(archive(), every="month")
    assert isinstance(got, type(observed(archive())))
    assert got.table["period_end"].tolist() == ["2024-01-31", "2024-02-10"]


def test_measure_components_refuses_no_ground_and_says_the_whole_message(case_with_archives):
    from borderkit.archives import measure_components

    tiny = pd.DataFrame({"id": ["t"], "covers": ["observed-gained:t@2024-01-01/2024-01-31"], "start": ["2024-01-01"]})
    got = measure_components(tiny)
    assert got["t"].area_km2 == pytest.approx(geod_km2(box(30.1, 30.101)), rel=1e-6) and got["t"].area_km2 < 1
    late = pd.DataFrame({"id": ["x"], "covers": ["observed-net:a@2024-04"], "start": ["2024-01-01"]})
    with pytest.raises(
        InputError,
        match=r"borderkit does not guess the ground before the first map or after the last\)\. "
        r"Give a period within it\.$",
    ):
        measure_components(late)
