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


# ----------------------------------------------------------------------------- the arc of longitudes
@pytest.mark.parametrize(
    ("lons", "centre"),
    [
        ([-180.0, 0.0], -90.0),  # starts on -180°: its own bounding box, not the arc from 0° east
        ([-90.0, 90.0], 0.0),  # exactly 180° wide: the bounding box (either half is as short)
        ([-90.5, 90.0], 179.75),  # 180.5° wide: the short way is east of 90° to 269.5°
        ([-180.8, -180.2], 179.5),  # unwrapped west of -180°: put back in [-180°, 180°]
        ([180.2, 180.8], -179.5),  # unwrapped east of 180°
        ([179.0, 190.0], -175.5),  # 179° to 190° (-170°)
        ([185.0, 200.0], -167.5),  # all east of 180°: the widest gap is the one round the back
        ([-200.0, -190.0], 165.0),  # all west of -180°: 160° to 170°
        ([179.0, -179.0], -180.0),  # across ±180°: the middle is -180°, as [-180°, 180°) writes it
    ],
)
def test_the_arc_centre_is_the_middle_of_the_shortest_arc(lons, centre):
    """Kills the arc's limits (-180, 180, a 180° span) and its wrapping (360°, not 361°, and the signs)."""
    from borderkit.measure import _arc_centre

    got = _arc_centre(np.array(lons))
    assert got == pytest.approx(centre, abs=1e-9)
    assert -180.0 <= got < 180.0 or lons == [-90.0, 90.0]


# ----------------------------------------------------------------------------- surface area
def test_surface_area_is_the_geodesic_area_times_the_dem_ratio(tmp_path):
    """Kills the DEM ratio dropped, divided instead of multiplied, or applied to the perimeter."""
    import math

    from borderkit.terrain import read_dem
    from tests.dems import cell_lonlat, write_dem

    theta = 30.0
    ramp = np.tile(np.arange(60) * 30.0 * math.tan(math.radians(theta)), (60, 1))
    dem = read_dem(write_dem(tmp_path / "plane.tif", ramp))
    (lon0, lat0), (lon1, lat1) = cell_lonlat(5, 5), cell_lonlat(50, 50)
    poly = shapely.box(min(lon0, lon1), min(lat0, lat1), max(lon0, lon1), max(lat0, lat1))
    flat = abs(GEOD.geometry_area_perimeter(poly)[0]) / 1e6
    got = area([poly, None], method="surface", dem=dem, unit="km2")
    assert got[0] == pytest.approx(flat / math.cos(math.radians(theta)), rel=0.005)
    assert got[1] == 0.0
    table = area_table(gpd.GeoDataFrame(geometry=[poly], crs=4326), method="surface", dem=dem)
    assert table["area_km2"][0] == pytest.approx(flat / math.cos(math.radians(theta)), rel=0.005)


def test_surface_area_without_a_read_dem_is_refused_with_what_to_do():
    """Kills the two refusals swapped, dropped, or naming the wrong type."""
    box = shapely.box(46, 39, 46.1, 39.1)
    with pytest.raises(UsageError) as info:
        area(box, method="surface")
    assert str(info.value) == (
        "method 'surface' needs a DEM, and none was given. "
        "Pass dem=borderkit.terrain.read_dem(PATH) or --dem FILE on the command line."
    )
    with pytest.raises(UsageError) as info:
        area(box, method="surface", dem="dem.tif")
    assert str(info.value) == (
        "method 'surface' needs a DEM read with borderkit.terrain.read_dem, got str. Read the GeoTIFF first: "
        "dem=borderkit.terrain.read_dem(path), or use borderkit.terrain.surface_area."
    )


# ----------------------------------------------------------------------------- --by, latitudes, UTM, shift
def test_a_by_column_message_lists_columns_but_not_a_renamed_geometry():
    """Kills the geometry column found by a fixed name instead of the frame's own geometry name."""
    gdf = gpd.GeoDataFrame({"id": ["a"], "region": ["r"]}, geometry=[shapely.box(46, 39, 46.1, 39.1)], crs=4326)
    gdf = gdf.rename_geometry("shape")
    with pytest.raises(UsageError) as info:
        area_table(gdf, by="shape")
    assert str(info.value) == (
        "--by 'shape' is the geometry column; sums need a column of labels. Columns: id, region."
    )


@pytest.mark.parametrize(
    ("box", "method", "message"),
    [
        (
            (0, -86, 1, -85.5),
            "web-mercator",
            "--method web-mercator cannot measure this data: it reaches latitude -86.0000 to -85.5000, and "
            "web-mercator is defined from -85.05 to 85.05 only. Use --method geodesic (or equal-area).",
        ),
        (
            (0, 83, 1, 84.5),
            "utm",
            "--method utm cannot measure this data: it reaches latitude 83.0000 to 84.5000, and "
            "utm is defined from -80.00 to 84.00 only. Use --method geodesic (or equal-area).",
        ),
    ],
)
def test_planar_methods_refuse_latitudes_beyond_their_projection(box, method, message):
    """Kills the southern limit read with the wrong sign and the range printed wrongly."""
    with pytest.raises(UsageError) as info:
        area(shapely.box(*box), method=method)
    assert str(info.value) == message


def test_planar_methods_accept_data_up_to_their_limits():
    """Kills the latitude limits made strict: data reaching exactly the limit is measured."""
    from borderkit.measure import UTM_LAT_RANGE, WEB_MERCATOR_MAX_LAT

    assert area(shapely.box(0, 85, 1, WEB_MERCATOR_MAX_LAT), method="web-mercator")[0] > 0
    assert area(shapely.box(0, -WEB_MERCATOR_MAX_LAT, 1, -85), method="web-mercator")[0] > 0
    assert area(shapely.box(3, UTM_LAT_RANGE[0], 4, -79), method="utm")[0] > 0
    assert area(shapely.box(3, 83, 4, UTM_LAT_RANGE[1]), method="utm")[0] > 0


def test_utm_across_the_antimeridian_up_to_its_reach():
    """Kills the reach limit made strict (9.0° is allowed) and the unwrapped offsets wrapped by 361°.

    174° E to 174° W is centred on 180° (zone 1, central meridian 177° W); 174° E is 9° west of it.
    """
    from pyproj import Transformer

    ring = [(174, 10), (-174, 10), (-174, 11), (174, 11)]
    unwrapped = [(174, 10), (186, 10), (186, 11), (174, 11)]
    x, y = Transformer.from_crs(4326, 32601, always_xy=True).transform(*zip(*unwrapped, strict=True))
    want = shapely.Polygon(zip(x, y, strict=True)).area / 1e6
    assert area(shapely.Polygon(ring), method="utm")[0] == pytest.approx(want, rel=1e-9)


def test_a_negative_or_infinite_shift_is_refused_and_zero_is_no_band():
    """Kills the shift check loosened or tightened, and its message."""
    from borderkit.measure import shift_band

    box = shapely.box(46, 39, 46.1, 39.1)
    for bad in (-1.0, float("inf"), float("nan")):
        with pytest.raises(UsageError) as info:
            shift_band(box, bad)
        assert str(info.value) == (
            f"shift must be a distance in metres >= 0, got {bad!r}. "
            "Use e.g. 110 for the datum offset of the case's historical maps."
        )
    flat = abs(GEOD.geometry_area_perimeter(box)[0]) / 1e6
    low, high = shift_band(box, 0.0)
    assert low[0] == pytest.approx(flat, rel=1e-6) and high[0] == pytest.approx(flat, rel=1e-6)
    low, high = shift_band(box, 0.5)  # half a metre is a shift too
    assert low[0] < flat < high[0]
    empty = shift_band([None, shapely.Polygon()], 100.0)
    assert [v.tolist() for v in empty] == [[0.0, 0.0], [0.0, 0.0]]


def test_shift_refuses_a_feature_beyond_a_hemisphere_with_what_to_do():
    """Kills the advice of the --shift refusal."""
    from borderkit.measure import shift_band

    with pytest.raises(UsageError) as info:
        wide = [(-100, -60), (-50, -60), (0, -60), (50, -60), (100, -60), (100, 60), (0, 60), (-100, 60)]
        shift_band(shapely.Polygon(wide), 100.0)  # 200° wide: 95° from its centre
    assert str(info.value).startswith("--shift 100 cannot handle feature(s) #1: #1 reaches ")
    assert str(info.value).endswith("Measure it without --shift.")


def test_lengths_of_trailing_empty_rows_are_zero():
    """Kills the per-row sums cut short when the last rows (or parts) have no length."""
    line = shapely.LineString([(46, 39), (46, 40)])
    want = GEOD.inv(46, 39, 46, 40)[2] / 1000
    assert length([line, None, shapely.Point(1, 1)]).tolist() == pytest.approx([want, 0.0, 0.0])
    assert length([shapely.MultiLineString([line.coords, [(5, 5), (5, 5)]])]).tolist() == pytest.approx([want])


# ----------------------------------------------------------------------------- area tables
def _geod_km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


ROWS = [shapely.box(46, 39, 46.1, 39.1), shapely.box(45, 40, 45.2, 40.1), shapely.box(44, 41, 44.1, 41.3)]


def test_an_area_table_without_id_or_name_columns_uses_the_index_and_gives_the_band():
    """Kills the ids from the index, the names from the ids, the band's unit, and the added columns."""
    gdf = gpd.GeoDataFrame({"region": ["b", "a", "b"]}, geometry=ROWS, crs=4326, index=["x", "y", "z"])
    table = area_table(gdf, unit="ha", shift_m=100)
    assert list(table.columns) == ["id", "name", "area_ha", "area_ha_low", "area_ha_high", "method", "shift_m"]
    assert table["id"].tolist() == ["x", "y", "z"] and table["name"].tolist() == ["x", "y", "z"]
    assert table["area_ha"].tolist() == pytest.approx([_geod_km2(g) * 100 for g in ROWS], rel=1e-9)
    for low, mid, high in zip(table["area_ha_low"], table["area_ha"], table["area_ha_high"], strict=True):
        assert 0.95 * mid < low < mid < high < 1.05 * mid  # 100 m in and out of boxes 8 to 17 km across
    assert table["method"].tolist() == ["geodesic"] * 3 and table["shift_m"].tolist() == [100.0] * 3


def test_an_area_table_by_a_column_sums_each_group_in_order_with_the_missing_last():
    """Kills the groups unsorted, a missing label dropped, and the group label put in the wrong columns."""
    gdf = gpd.GeoDataFrame(
        {"id": ["1", "2", "3", "4"], "name": ["p", "q", "r", "s"], "region": ["b", "a", None, "b"]},
        geometry=[*ROWS, shapely.box(43, 42, 43.1, 42.1)],
        crs=4326,
    )
    table = area_table(gdf, by="region", shift_m=50.0)
    assert list(table.columns) == ["id", "name", "area_km2", "area_km2_low", "area_km2_high", "method", "shift_m"]
    assert table["id"].tolist()[:2] == ["a", "b"] and table["name"].tolist()[:2] == ["a", "b"]
    assert len(table) == 3 and table[["id", "name"]].iloc[2].isna().all()  # the rows without a region
    km2 = [_geod_km2(g) for g in gdf.geometry]
    assert table["area_km2"].tolist() == pytest.approx([km2[1], km2[0] + km2[3], km2[2]], rel=1e-9)
    assert (table["area_km2_low"] < table["area_km2"]).all() and (table["area_km2"] < table["area_km2_high"]).all()
    assert table["method"].tolist() == ["geodesic"] * 3 and table["shift_m"].tolist() == [50.0] * 3
    names = area_table(gdf)
    assert names["id"].tolist() == ["1", "2", "3", "4"] and names["name"].tolist() == ["p", "q", "r", "s"]
    assert "shift_m" not in names.columns


def test_an_area_table_by_name_keeps_the_name_as_the_label():
    """Kills the label column dropped when --by is itself "name"."""
    gdf = gpd.GeoDataFrame({"name": ["p", "p", "q"]}, geometry=ROWS, crs=4326)
    table = area_table(gdf, by="name")
    assert table[["id", "name"]].values.tolist() == [["p", "p"], ["q", "q"]]
    assert table["area_km2"].tolist() == pytest.approx([_geod_km2(ROWS[0]) + _geod_km2(ROWS[1]), _geod_km2(ROWS[2])])


# ----------------------------------------------------------------------------- globe report, edge cases
def test_globe_report_columns_are_flags_and_edges_on_the_limits():
    """Kills the pole-winding column made numbers, a vertex on 180° read as a crossing, and the slope/pole limits."""
    geoms = [
        shapely.box(170, 0, 180, 1),  # reaches 180° but does not cross it
        shapely.Polygon([(10, 40), (22.5, 40.125), (22.5, 41), (10, 41)]),  # a slope of exactly 1% (binary exact)
        shapely.Polygon([(0, 80), (90, 80), (90, 90), (0, 90)]),  # its edge on 90° N is the pole, not a parallel
    ]
    report = globe_report(geoms)
    assert report["pole_winding"].dtype == bool
    assert report["crosses_antimeridian"].tolist() == [False, False, False]
    assert report["parallel_edges"].tolist() == [1, 2, 1]


# ----------------------------------------------------------------------------- per-feature frames
def _arc_deg(lon0, lat0, lon, lat) -> float:
    """Great-circle distance in degrees of arc on a sphere (GeographicLib on a unit sphere)."""
    return Geod(a=1.0, b=1.0).inv(lon0, lat0, lon, lat)[2] * 180 / np.pi


def test_each_feature_gets_its_own_centre_and_reach():
    """Kills the per-feature centres (bounds per input, the ±180° and polar cases) and the reach from them."""
    from borderkit.measure import _local_frames

    south_ring = shapely.Polygon([(0, -80), (-90, -80), (180, -80), (90, -80)])
    either_side = shapely.MultiPolygon([shapely.box(170, 0, 175, 1), shapely.box(-175, 0, -170, 1)])
    unwrapped = shapely.Polygon([(178, 20), (184, 20), (184, 22), (178, 22)])
    geoms = np.array(
        [
            shapely.box(10, 20, 12, 24),
            None,
            ACROSS_180,
            shapely.box(-180, 80, 180, 90),
            south_ring,
            either_side,
            shapely.Polygon(),
            unwrapped,
            shapely.box(-60, -30, -50, -10),
        ],
        dtype=object,
    )
    frames = _local_frames(geoms)
    nan = float("nan")
    want_lon = [11, nan, 180, 0, 0, 180, nan, 181, -55]
    want_lat = [22, nan, 10.5, 90, -90, 0.5, nan, 21, -20]
    wrapped = (np.asarray(frames.lon0) - np.array(want_lon) + 180) % 360 - 180
    assert np.allclose(np.nan_to_num(wrapped, nan=0.0), 0.0, atol=1e-9)
    assert np.isnan(frames.lon0[[1, 6]]).all() and np.isnan(frames.lat0[[1, 6]]).all()
    assert frames.lat0 == pytest.approx(want_lat, abs=1e-9, nan_ok=True)
    corners = {
        0: [(10, 20), (12, 24), (10, 24), (12, 20)],
        2: [(179, 10), (-179, 11), (179, 11), (-179, 10)],
        5: [(170, 0), (-170, 1), (170, 1), (-170, 0)],
        7: [(178, 20), (184, 22), (178, 22), (184, 20)],
        8: [(-60, -30), (-50, -10), (-60, -10), (-50, -30)],
    }
    for i, pts in corners.items():
        want = max(_arc_deg(want_lon[i], want_lat[i], *p) for p in pts)
        assert frames.reach[i] == pytest.approx(want, rel=1e-6), i
    assert frames.reach[3] == pytest.approx(10.0) and frames.reach[4] == pytest.approx(10.0)
    assert frames.reach[1] == 0 and frames.reach[6] == 0
    assert np.bincount(frames.vertex_owner, minlength=len(geoms))[[0, 1, 6, 8]].tolist() == [5, 0, 0, 5]


def test_points_and_lines_count_towards_the_centre_and_have_no_planar_area():
    """Kills the centre taken from polygons only, and the planar methods on inputs without polygons."""
    lon, lat = _centre(local_equal_area_crs([shapely.box(46, 39, 47, 40), shapely.Point(50, 39)]))
    assert (lon, lat) == pytest.approx((48.0, 39.5))
    no_area = [shapely.Point(46, 39), shapely.LineString([(46, 39), (46.1, 39.1)])]
    for method in ("utm", "web-mercator", "equal-area"):
        assert area(no_area, method=method).tolist() == [0.0, 0.0]
    assert length([shapely.LineString([(46, 39), (46, 40)]), None]).tolist() == pytest.approx(
        [GEOD.inv(46, 39, 46, 40)[2] / 1000, 0.0]
    )


def test_a_by_column_message_says_when_there_are_no_columns():
    gdf = gpd.GeoDataFrame(geometry=[shapely.box(46, 39, 46.1, 39.1)], crs=4326)
    with pytest.raises(UsageError) as info:
        area_table(gdf, by="region")
    assert str(info.value) == "--by column 'region' is not in the data. Columns: (none)."


def test_collections_spanning_exactly_180_degrees_are_merged_and_beyond_it_refused():
    """Kills the antimeridian test made inclusive, moved to 181°, or run across the gap between two rings."""
    wide = shapely.Polygon([(-90, 0), (90, 0), (90, 1), (-90, 1)])  # edges of exactly 180°: not across ±180°
    merged = area(shapely.GeometryCollection([wide, shapely.box(0, 0, 10, 1)]))[0]
    assert merged == pytest.approx(area(shapely.union(wide, shapely.box(0, 0, 10, 1)))[0], rel=1e-9)
    across = shapely.Polygon([(-90, 0), (90.5, 0), (90.5, 1), (-90, 1)])  # 180.5°: the short way, across ±180°
    with pytest.raises(GeometryError):
        area(shapely.GeometryCollection([across, shapely.box(0, 0, 10, 1)]))  # overlapping in lon/lat
    # a shell from 100° E round to 100° W in steps under 180°, with a hole near 99° W: from the shell's last
    # vertex to the hole's first is a jump of 198°, which is no edge
    shell = [(100, 0), (100, 10), (0, 10), (-100, 10), (-100, 0), (0, 0)]
    holed = shapely.Polygon(shell, [[(-99, 1), (-98, 1), (-98, 2), (-99, 2)]])
    inside = shapely.box(0, 0, 10, 5)
    assert area(shapely.GeometryCollection([holed, inside]))[0] == pytest.approx(
        area(shapely.union(holed, inside))[0], rel=1e-9
    )


def test_each_feature_of_a_shift_band_is_brought_back_from_its_own_projection():
    """Kills the vertices of the second feature left in (or taken back from) another feature's projection."""
    from borderkit.measure import shift_band
    from tests.test_mutants_core import _laea_square

    squares = [_laea_square(5000.0, 46.35, 39.55), _laea_square(5000.0, 10.0, -20.0)]
    low, high = shift_band(squares, 500.0)
    assert low.tolist() == pytest.approx([(9000 / 1000) ** 2] * 2, rel=1e-3)
    assert high.tolist() == pytest.approx([(11000 / 1000) ** 2] * 2, rel=1e-3)


def test_a_hemisphere_is_just_within_reach_and_too_many_large_features_are_counted():
    """Kills the hemisphere limit made stricter, and the list of refused features cut or miscounted."""
    hemisphere = shapely.box(-180, 0, 180, 90)
    assert area(hemisphere, method="equal-area")[0] == pytest.approx(area(hemisphere)[0], rel=1e-4)
    wide = shapely.Polygon([(-100, -60), (-50, -60), (0, -60), (50, -60), (100, -60), (100, 60), (0, 60), (-100, 60)])
    with pytest.raises(UsageError) as info:
        area([shapely.box(46, 39, 47, 40), *[wide] * 7], method="equal-area")
    assert str(info.value).startswith(
        "--method equal-area cannot handle feature(s) #2, #3, #4, #5, #6 and 2 more: #2 reaches "
    )
    with pytest.raises(UsageError) as info:
        area([wide] * 5, method="equal-area")
    assert str(info.value).startswith("--method equal-area cannot handle feature(s) #1, #2, #3, #4, #5: #1 reaches ")


def test_a_feature_exactly_180_degrees_wide_is_centred_on_its_bounding_box():
    """Kills the span limit of the per-feature centre made inclusive (180° wide is not across ±180°)."""
    from borderkit.measure import _local_frames

    frames = _local_frames(np.array([shapely.Polygon([(-90, 0), (90, 0), (90, 1), (-90, 1)])], dtype=object))
    assert frames.lon0[0] == 0.0 and frames.lat0[0] == 0.5
