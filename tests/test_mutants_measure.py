"""borderkit.measure: the messages, centres, zones and notes that `make mutation` found untested.

Expected values are arithmetic on the inputs (a box's centre, a UTM zone's number), pyproj
directly, or the documented thresholds; never the function under test.
"""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod

from borderkit.errors import GeometryError, UsageError
from borderkit.measure import (
    LENGTH_UNITS,
    area,
    area_table,
    describe_method,
    globe_report,
    length,
    local_equal_area_crs,
    perimeter,
)

GEOD = Geod(ellps="WGS84")
ACROSS_180 = shapely.Polygon([(179, 10), (-179, 10), (-179, 11), (179, 11)])  # 2° wide, across ±180°


def _centre(crs: CRS) -> tuple[float, float]:
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    return params["Longitude of natural origin"], params["Latitude of natural origin"]


# ----------------------------------------------------------------------------- messages
@pytest.mark.parametrize(
    ("by", "message"),
    [
        ("missing", "--by column 'missing' is not in the data. Columns: id, name, nested."),
        (
            "geometry",
            "--by 'geometry' is the geometry column; sums need a column of labels. Columns: id, name, nested.",
        ),
        (
            "nested",
            "--by column 'nested' holds nested values (JSON objects or lists), which cannot label groups. "
            "Pick a column of text or numbers: id, name, nested.",
        ),
    ],
)
def test_a_by_column_that_cannot_label_groups_is_refused_with_the_columns(by, message):
    gdf = gpd.GeoDataFrame(
        {"id": ["a"], "name": ["A"], "nested": [{"k": 1}]}, geometry=[shapely.box(46, 39, 46.1, 39.1)], crs=4326
    )
    with pytest.raises(UsageError) as info:
        area_table(gdf, by=by)
    assert str(info.value) == message


@pytest.mark.parametrize("measure", [length, perimeter])
def test_unknown_length_units_are_refused_with_the_choices(measure):
    with pytest.raises(UsageError) as info:
        measure(shapely.Point(0, 0), unit="yd")
    assert str(info.value) == "Unknown length unit 'yd'. Allowed: km, m, mi. Pick one of these."


def test_unknown_method_is_refused_everywhere():
    expected = (
        "Unknown method 'x'. Allowed: geodesic, equal-area, utm, web-mercator, spherical, surface. Pick one of these."
    )
    for call in (lambda: describe_method("x"), lambda: area(shapely.Point(0, 0), method="x")):
        with pytest.raises(UsageError) as info:
            call()
        assert str(info.value) == expected
    assert describe_method("utm") == "planar area in the UTM zone chosen from the data's centre"


# ----------------------------------------------------------------------------- lengths and units
@pytest.mark.parametrize("unit", list(LENGTH_UNITS))
def test_lengths_and_perimeters_in_every_unit_match_geographiclib(unit):
    line = shapely.LineString([(46.0, 39.0), (46.3, 39.2), (46.1, 39.6)])
    ring = shapely.Polygon(
        shapely.box(46, 39, 46.2, 39.2).exterior.coords, [[(46.05, 39.05), (46.1, 39.05), (46.1, 39.1)]]
    )
    per_unit = {"km": 1000.0, "m": 1.0, "mi": 1609.344}[unit]
    assert length(line, unit=unit)[0] == pytest.approx(GEOD.geometry_length(line) / per_unit, rel=1e-12)
    rings = GEOD.geometry_length(ring.exterior) + GEOD.geometry_length(ring.interiors[0])  # holes count
    assert perimeter(ring, unit=unit)[0] == pytest.approx(rings / per_unit, rel=1e-12)
    assert length(ring, unit=unit)[0] == pytest.approx(rings / per_unit, rel=1e-12)


def test_lengths_of_several_rows_and_parts_stay_apart():
    a = shapely.LineString([(46.0, 39.0), (46.0, 39.5)])
    b = shapely.MultiLineString([[(45.0, 40.0), (45.2, 40.0)], [(45.0, 40.5), (45.0, 40.6)]])
    got = length(gpd.GeoSeries([a, None, b], crs=4326))
    want = [GEOD.geometry_length(a) / 1000, 0.0, sum(GEOD.geometry_length(p) for p in b.geoms) / 1000]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert length([]).shape == (0,) and perimeter([]).shape == (0,)


# ----------------------------------------------------------------------------- projection centres
@pytest.mark.parametrize(
    ("geom", "lon0", "lat0"),
    [
        (shapely.box(46, 39, 47, 40.5), 46.5, 39.75),  # the middle of the bounding box
        (ACROSS_180, 180.0, 10.5),  # the short way round: 180°, not 0°
        (shapely.box(170, -5, 178, 5).union(shapely.box(-176, -5, -172, 5)), 179.0, 0.0),  # 170° .. -172°
        (shapely.box(-180, 80, 180, 90), 0.0, 90.0),  # a polar cap: the pole
        (shapely.box(-180, -90, 180, -80), 0.0, -90.0),
    ],
    ids=["plain", "antimeridian", "antimeridian-gap", "north-cap", "south-cap"],
)
def test_local_equal_area_crs_is_centred_on_the_data(geom, lon0, lat0):
    lon, lat = _centre(local_equal_area_crs(geom))
    assert (lon - lon0 + 180) % 360 - 180 == pytest.approx(0, abs=1e-6) and lat == pytest.approx(lat0, abs=1e-6)


def test_a_ring_round_the_pole_is_centred_on_it():
    around = shapely.Polygon([(0, 80), (90, 80), (180, 80), (-90, 80)])
    assert _centre(local_equal_area_crs(around))[1] == pytest.approx(90.0)
    assert _centre(local_equal_area_crs(shapely.Polygon([(0, -80), (-90, -80), (180, -80), (90, -80)])))[1] == -90.0


# ----------------------------------------------------------------------------- UTM
@pytest.mark.parametrize(
    ("box", "epsg"),
    [
        ((47.0, 39.0, 48.0, 40.0), 32638),  # centre 47.5° E: zone 38 (42-48° E), north
        ((48.2, 39.0, 48.8, 40.0), 32639),  # 48.5° E: zone 39
        ((-71.0, -34.0, -70.0, -33.0), 32719),  # Santiago: zone 19 south
        ((-180.0, 10.0, -179.0, 11.0), 32601),  # zone 1
        ((179.0, 10.0, 179.9, 11.0), 32660),  # zone 60
    ],
)
def test_utm_area_is_measured_in_the_zone_of_the_centre(box, epsg):
    """The UTM area equals the planar area pyproj gives in that zone (a neighbouring zone differs)."""
    geom = shapely.box(*box)
    want = gpd.GeoSeries([geom], crs=4326).to_crs(epsg).area.iloc[0] / 1e6
    assert area(geom, method="utm")[0] == pytest.approx(want, rel=1e-9)
    neighbour = epsg + 1 if epsg % 100 < 60 else epsg - 1
    assert gpd.GeoSeries([geom], crs=4326).to_crs(neighbour).area.iloc[0] / 1e6 != pytest.approx(want, rel=1e-6)


def test_utm_southern_data_gets_a_southern_zone():
    from borderkit.measure import _utm_crs

    assert _utm_crs(np.array([shapely.box(-71, -34, -70, -33)])).to_epsg() == 32719
    assert _utm_crs(np.array([shapely.box(-71, -1, -70, 1)])).to_epsg() == 32619  # the equator counts as north
    assert _utm_crs(np.array([shapely.box(-71, -1.2, -70, 1)])).to_epsg() == 32719


def test_utm_refuses_data_far_beyond_its_zone_with_the_numbers():
    with pytest.raises(UsageError) as info:
        area(shapely.box(40, 39, 60, 40), method="utm")
    # centre 50° E: zone 39, central meridian 51°; 40° E is 11° from it
    assert str(info.value) == (
        "--method utm cannot measure this data in one zone: it spans longitude 40.0000 to 60.0000 (unwrapped "
        "across ±180°), up to 11.0° from the central meridian 51° of the zone picked, UTM zone 39; UTM is usable "
        "up to about 9° from it, and beyond that its scale error inflates the area. Use --method geodesic (the "
        "reference), or measure each region separately."
    )
    area(shapely.box(42.1, 39, 59.9, 40), method="utm")  # 8.9° either side of 51°: allowed


def test_web_mercator_across_the_antimeridian_is_one_piece():
    """Web Mercator's area depends on latitude only: across ±180° it equals the same box at 0°."""
    same = shapely.box(-1, 10, 1, 11)
    assert area(ACROSS_180, method="web-mercator")[0] == pytest.approx(area(same, method="web-mercator")[0], rel=1e-9)


# ----------------------------------------------------------------------------- globe report
def test_globe_report_flags_antimeridian_pole_and_parallel_edges():
    geoms = [
        ACROSS_180,
        shapely.Polygon([(0, 80), (90, 80), (180, 80), (-90, 80)]),  # round the pole without reaching it
        shapely.box(10, 40, 11, 41),  # two 1° edges along parallels: counted (at least 1°)
        shapely.box(10, 40, 10.99, 41),  # 0.99°: too short to note
        shapely.Polygon([(10, 40), (15, 40.05), (15, 41), (10, 41)]),  # a slope of exactly 1%: still along
        shapely.Polygon([(10, 40), (15, 40.06), (15, 41), (10, 41)]),  # 1.2%: not along
        shapely.box(10, 0.5, 15, 1.0),  # the edge on 1° N counts, the one on 0.5° N does not
        shapely.box(0, -0.5, 5, 0.5),  # on the equator geodesics are the parallel
    ]
    report = globe_report(gpd.GeoSeries(geoms, crs=4326))
    assert report["crosses_antimeridian"].tolist() == [True, True, False, False, False, False, False, False]
    assert report["pole_winding"].tolist() == [False, True, False, False, False, False, False, False]
    assert report["parallel_edges"].tolist() == [2, 4, 2, 0, 2, 1, 1, 0]
    assert report["parallel_edges"].dtype.kind == "i" and report["crosses_antimeridian"].dtype == bool
    empty = globe_report([])
    assert list(empty.columns) == ["crosses_antimeridian", "pole_winding", "parallel_edges"] and len(empty) == 0


# ----------------------------------------------------------------------------- geometry collections
def test_a_collection_counts_overlaps_once_and_disjoint_parts_in_full():
    a, b, far = shapely.box(46, 39, 46.2, 39.2), shapely.box(46.1, 39.1, 46.3, 39.3), shapely.box(47, 39, 47.1, 39.1)

    def geod(g):
        return sum(abs(GEOD.geometry_area_perimeter(p)[0]) for p in shapely.get_parts(g)) / 1e6

    overlapping = shapely.GeometryCollection([a, b, shapely.Point(46, 39)])
    assert area(overlapping)[0] == pytest.approx(geod(shapely.union(a, b)), rel=1e-9)
    assert area(shapely.GeometryCollection([a, far]))[0] == pytest.approx(geod(a) + geod(far), rel=1e-12)
    assert area(shapely.GeometryCollection([a]))[0] == pytest.approx(geod(a), rel=1e-12)
    assert area(shapely.GeometryCollection([a, a]))[0] == pytest.approx(geod(a), rel=1e-9)  # the same twice
    nested = shapely.GeometryCollection([shapely.MultiPolygon([a, far]), shapely.GeometryCollection([b])])
    assert area(nested)[0] == pytest.approx(geod(shapely.union_all([a, b, far])), rel=1e-9)


def test_overlapping_collection_across_the_antimeridian_is_refused():
    inner = shapely.Polygon([(179.5, 10), (-179.5, 10), (-179.5, 10.5), (179.5, 10.5)])
    with pytest.raises(GeometryError) as info:
        area(shapely.GeometryCollection([ACROSS_180, inner]))
    assert str(info.value) == (
        "A GeometryCollection has overlapping polygons that cross the antimeridian (±180°); borderkit cannot "
        "merge them. Give each polygon as its own feature, or split them at ±180°."
    )
    # side by side (not overlapping) they are measured as given, each the short way round
    east = shapely.Polygon([(179, 12), (-179, 12), (-179, 13), (179, 13)])
    want = sum(abs(GEOD.geometry_area_perimeter(shapely.box(-1, y, 1, y + 1))[0]) for y in (10, 12)) / 1e6
    assert area(shapely.GeometryCollection([ACROSS_180, east]))[0] == pytest.approx(want, rel=1e-9)
