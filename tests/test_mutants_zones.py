"""The occupation model's shapes and parameters against hand geometry and GeographicLib.

Written against the survivors of a mutation run (``make mutation``): each test compares a
zone, a stretch, a front or a table with a value worked out by hand (rectangles, triangles,
unit vectors) or measured by ``pyproj.Geod`` on the same rings, never with borderkit's own
output. Everything is small and synthetic so the file runs in a couple of seconds.
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

from borderkit.errors import UsageError
from borderkit.zones import (
    _bound,
    _component,
    _needs_width,
    _num,
    active,
    attached,
    baseline_stretch,
    breakdown,
    build,
    consistency,
    depth_profile,
    extent,
    extreme_zones,
    front_line,
    front_of,
    has_free,
    prepare,
    primary,
    raw_lam,
    ribbon,
    salient,
    sector_axis,
    sector_stretch,
    swept_front,
    timeline,
    unreported,
    zone,
    zones,
)

GEOD = Geod(ellps="WGS84")
#: A border along the parallel 40° N; the subject's land lies north of it.
LINE = shapely.segmentize(shapely.LineString([(45.0, 40.0), (45.5, 40.0)]), 0.0005)  # follows the parallel
LAND = shapely.box(44.8, 40.0, 45.7, 40.6)


def geod_km2(geom) -> float:
    return sum(abs(GEOD.geometry_area_perimeter(orient(p))[0]) for p in shapely.get_parts(geom)) / 1e6


def geod_km(lon0, lat0, lon1, lat1) -> float:
    return GEOD.inv(lon0, lat0, lon1, lat1)[2] / 1000


# ----------------------------------------------------------------------------- profiles and parameters
@pytest.mark.parametrize(
    "name, t, expected",
    [
        ("uniform", [0.0, 0.3, 1.0], [1.0, 1.0, 1.0]),
        ("triangular", [0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.5, 1.0, 0.5, 0.0]),
        ("parabolic", [0.0, 0.25, 0.5, 1.0], [0.0, 0.75, 1.0, 0.0]),
    ],
)
def test_depth_profiles_by_hand(name, t, expected):
    assert depth_profile(name, t) == pytest.approx(expected)


def test_unknown_profile_names_the_allowed_ones():
    with pytest.raises(UsageError, match=r"^Unknown depth profile 'step'\. Allowed: uniform, triangular, parabolic\.$"):
        depth_profile("step", [0.5])


@pytest.mark.parametrize(
    "value, expected", [(None, math.nan), ("", math.nan), ("  ", math.nan), ("2.5", 2.5), (3, 3.0)]
)
def test_num(value, expected):
    got = _num(value)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


def test_which_shapes_need_a_width():
    assert _needs_width({"shape": "salient", "anchor_b_lon": 45.0})
    assert _needs_width({"shape": "ribbon"})
    assert _needs_width({"shape": "ribbon", "anchor_b_lon": ""})
    assert not _needs_width({"shape": "ribbon", "anchor_b_lon": 45.0})


SAL = {"shape": "salient", "anchor_b_lon": None}
TWO = {"shape": "ribbon", "anchor_b_lon": 45.1}


@pytest.mark.parametrize(
    "sector, lam, free, expected",
    [
        ({**SAL, "depth_km": 2.0, "width_km": 3.0}, 0.5, False, (1.0, 3.0)),
        ({**TWO, "depth_km": 2.0, "width_km": 3.0}, 1.5, False, (3.0, math.nan)),  # no width needed
        ({**SAL, "depth_km": 2.0, "width_km": 3.0}, 0.5, True, (1.0, 3.0)),
        ({**SAL, "depth_km": 2.0, "width_km": 3.0}, 1.0, True, (2.0, 3.0)),
        ({**SAL, "depth_km": 2.0, "width_km": None}, 1.0, True, (0.0, 0.0)),  # absent up to 1
        ({**SAL, "depth_km": None, "width_km": 3.0}, 0.7, True, (0.0, 0.0)),
        ({**SAL, "depth_km": 2.0, "width_km": 3.0}, 2.5, True, (2.0, 3.0)),  # stated values stand
        ({**SAL, "depth_km": None, "width_km": 3.0}, 2.5, True, (1.5, 3.0)),
        ({**SAL, "depth_km": 2.0, "width_km": None}, 2.5, True, (2.0, 3.0)),  # 1.5 x depth 2
        ({**SAL, "depth_km": None, "width_km": None}, 3.0, True, (2.0, 4.0)),
        ({**TWO, "depth_km": None, "width_km": None}, 3.0, True, (2.0, math.nan)),
    ],
)
def test_extent_by_hand(sector, lam, free, expected):
    got = extent(sector, lam, free)
    for g, e in zip(got, expected, strict=True):
        assert (math.isnan(g) and math.isnan(e)) or g == pytest.approx(e)


def test_unreported_has_free_and_raw_lam():
    assert unreported({**SAL, "depth_km": None, "width_km": 1.0})
    assert unreported({**SAL, "depth_km": 1.0, "width_km": ""})
    assert not unreported({**SAL, "depth_km": 1.0, "width_km": 1.0})
    assert not unreported({**TWO, "depth_km": 1.0, "width_km": None})
    both = pd.DataFrame([{**SAL, "depth_km": 1.0, "width_km": 1.0}, {**SAL, "depth_km": None, "width_km": 1.0}])
    assert has_free(both) and not has_free(both.iloc[:1])
    assert raw_lam(True) == 2.0 and raw_lam(False) == 1.0


def test_primary_is_the_heaviest_first_on_a_tie_in_listed_order():
    rows = pd.DataFrame(
        {
            "id": ["c1", "a1", "a2", "b1", "b2"],
            "sector": ["c", "b", "b", "a", "a"],
            "weight": ["x", 1.0, 3.0, 2.0, 2.0],
        }
    )
    got = primary(rows)
    assert list(got["id"]) == ["c1", "a2", "b1"]  # the order the sets were listed in
    assert list(got.columns) == ["id", "sector", "weight"]
    plain = pd.DataFrame({"id": ["s1", "s2"]})
    assert list(primary(plain)["sector"]) == ["s1", "s2"]
    no_weight = pd.DataFrame({"id": ["x1", "x2"], "sector": ["x", "x"]})
    assert list(primary(no_weight)["id"]) == ["x1"]


def test_a_missing_weight_counts_as_one():
    rows = pd.DataFrame({"id": ["p", "q", "r"], "sector": ["s", "s", "s"], "weight": [None, 1.5, 0.9]})
    assert list(primary(rows)["id"]) == ["q"]
    light = pd.DataFrame({"id": ["p", "q"], "sector": ["s", "s"], "weight": [None, 0.5]})
    assert list(primary(light)["id"]) == ["p"]


def test_component_column_then_episode_then_id():
    assert list(_component(pd.DataFrame({"id": ["i"], "episode": ["e"], "component": ["c"]}))) == ["c"]
    assert list(_component(pd.DataFrame({"id": ["i"], "episode": ["e"]}))) == ["e"]
    assert list(_component(pd.DataFrame({"id": ["i"]}))) == ["i"]


# ----------------------------------------------------------------------------- metric shapes
STRAIGHT = shapely.LineString([(0.0, 0.0), (10000.0, 0.0)])


def test_stretch_between_two_anchors_in_either_order():
    for a, b in [((2000, 5), (7000, -3)), ((7000, -3), (2000, 5))]:
        got = baseline_stretch(STRAIGHT, shapely.Point(a), shapely.Point(b))
        assert shapely.get_coordinates(got).tolist() == [[2000.0, 0.0], [7000.0, 0.0]]


def test_one_anchor_stretch_is_centred_and_clipped_to_the_line():
    mid = baseline_stretch(STRAIGHT, shapely.Point(5000, 1), span_m=2000)
    assert shapely.get_coordinates(mid).tolist() == [[4000.0, 0.0], [6000.0, 0.0]]
    start = baseline_stretch(STRAIGHT, shapely.Point(500, 0), span_m=2000)
    assert shapely.get_coordinates(start).tolist() == [[0.0, 0.0], [1500.0, 0.0]]
    end = baseline_stretch(STRAIGHT, shapely.Point(9500, 0), span_m=2000)
    assert shapely.get_coordinates(end).tolist() == [[8500.0, 0.0], [10000.0, 0.0]]
    with pytest.raises(UsageError, match="two anchors, or one anchor and a width"):
        baseline_stretch(STRAIGHT, shapely.Point(5000, 0))


def test_stretch_uses_the_part_nearest_the_first_anchor():
    line = shapely.MultiLineString([[(0, 0), (1000, 0)], [(0, 5000), (3000, 5000)]])
    got = baseline_stretch(line, shapely.Point(1000, 4900), shapely.Point(2000, 0))
    assert shapely.get_coordinates(got).tolist() == [[1000.0, 5000.0], [2000.0, 5000.0]]


def test_uniform_ribbon_is_a_flat_ended_band():
    stretch = shapely.LineString([(0, 0), (5000, 0)])
    band = ribbon(stretch, 1000.0)
    assert band.area == pytest.approx(5000 * 2000)
    assert band.bounds == pytest.approx((0, -1000, 5000, 1000))
    assert ribbon(stretch, 0.0).is_empty and ribbon(stretch, -1.0).is_empty
    assert ribbon(shapely.LineString(), 1000.0).is_empty


@pytest.mark.parametrize("profile, mean", [("triangular", 0.5), ("parabolic", 2 / 3)])
def test_varying_ribbon_area_is_twice_the_mean_depth(profile, mean):
    stretch = shapely.LineString([(0, 0), (5000, 0)])
    band = ribbon(stretch, 1000.0, profile)
    assert band.area == pytest.approx(5000 * 2 * 1000 * mean, rel=2e-3)
    assert band.bounds == pytest.approx((0, -1000, 5000, 1000), abs=1.0)


def test_short_varying_ribbon_still_has_its_peak():
    # 150 m: three samples (0, 75, 150), the middle one at full depth
    band = ribbon(shapely.LineString([(0, 0), (150, 0)]), 100.0, "triangular")
    assert band.area == pytest.approx(150 * 100)


def test_a_varying_ribbon_is_laid_off_along_the_smoothed_normal():
    # at the corner of an L the direction is smoothed over 1 km either side: the normal is diagonal
    stretch = shapely.LineString([(0, 0), (5000, 0), (5000, 5000)])
    band = ribbon(stretch, 1000.0, "triangular")
    coords = shapely.get_coordinates(band)
    outer = np.array([5000.0, 0.0]) + 1000.0 * np.array([1.0, -1.0]) / math.sqrt(2)
    assert np.min(np.hypot(*(coords - outer).T)) < 1.0


LONG = shapely.LineString([(-20000.0, 0.0), (20000.0, 0.0)])


def test_front_towards_an_anchor_off_the_line():
    f = front_of(LONG, shapely.Point(3000, 4000))
    assert f.centre.tolist() == [3000.0, 0.0]
    assert f.push == pytest.approx([0.0, 1.0]) and f.along == pytest.approx([-1.0, 0.0])
    assert f.one_sided
    one_metre = front_of(LONG, shapely.Point(0, 1.0))
    assert one_metre.one_sided and one_metre.push == pytest.approx([0.0, 1.0])


def test_front_on_the_line_pushes_both_ways():
    f = front_of(LONG, shapely.Point(100, 0.5))
    assert not f.one_sided
    assert f.centre == pytest.approx([100.0, 0.0])
    assert f.along == pytest.approx([1.0, 0.0]) and f.push == pytest.approx([0.0, 1.0])
    # near the start of a part the direction still comes from the line (clamped at 0)
    g = front_of(shapely.LineString([(0, 0), (0, 3000)]), shapely.Point(0, 200))
    assert g.along == pytest.approx([0.0, 1.0]) and g.push == pytest.approx([-1.0, 0.0])


def test_front_uses_the_part_nearest_the_anchor():
    line = shapely.MultiLineString([[(0, 0), (5000, 0)], [(0, 8000), (5000, 8000)]])
    f = front_of(line, shapely.Point(2000, 7000))
    assert f.centre.tolist() == [2000.0, 8000.0] and f.push == pytest.approx([0.0, -1.0])


def test_salient_is_width_by_depth_towards_the_anchor():
    s = salient(LONG, shapely.Point(3000, 4000), 2000.0, 1000.0)
    assert s.area == pytest.approx(2000 * 1000)
    assert s.bounds == pytest.approx((2000, 0, 4000, 1000))
    assert salient(LONG, shapely.Point(0, 10), 0.0, 1000.0).is_empty
    assert salient(LONG, shapely.Point(0, 10), 1000.0, 0.0).is_empty


def test_salient_deeper_than_wide_keeps_its_width():
    s = salient(LONG, shapely.Point(0, 5000), 1000.0, 3000.0)
    assert s.area == pytest.approx(1000 * 3000) and s.bounds == pytest.approx((-500, 0, 500, 3000))


def test_triangular_salient_is_half_the_box_with_its_peak_at_the_centre():
    front = front_of(LONG, shapely.Point(0, 4000))
    s = salient(front, None, 2000.0, 1000.0, "triangular")
    assert s.area == pytest.approx(2000 * 1000 / 2, rel=1e-6)
    assert s.contains(shapely.Point(0, 990)) and not s.contains(shapely.Point(500, 510))
    assert s.contains(shapely.Point(500, 490)) and not s.contains(shapely.Point(-500, 510))


def test_salient_on_the_line_goes_both_ways():
    s = salient(LONG, shapely.Point(0, 0), 2000.0, 1000.0)
    assert s.area == pytest.approx(2 * 2000 * 1000) and s.bounds == pytest.approx((-1000, -1000, 1000, 1000))


def test_front_line_keeps_the_piece_through_the_centre():
    # the line comes back 300 m further on: that is another stretch of border, not this front
    hook = shapely.LineString([(-5000, 0), (5000, 0), (5000, 300), (-5000, 300)])
    front = front_of(hook, shapely.Point(0, -3000))
    piece = front_line(front, 2000.0, 1000.0)
    assert piece.length == pytest.approx(2000.0)
    assert shapely.get_coordinates(piece)[:, 1].tolist() == [0.0, 0.0]
    reach, rest = swept_front(front, 2000.0, 1000.0)
    assert rest.equals(piece) and reach.area == pytest.approx(2000 * 1000)


def test_front_line_is_simplified_below_25_metres():
    wiggle = shapely.LineString([(-3000, 0), (0, 60), (3000, 0)])
    front = front_of(wiggle, shapely.Point(0, 3000))
    assert len(shapely.get_coordinates(front_line(front, 2000.0))) == 2
    deep = shapely.LineString([(-3000, 0), (0, 90), (3000, 0)])
    assert len(shapely.get_coordinates(front_line(front_of(deep, shapely.Point(0, 3000)), 2000.0))) == 3


def test_front_line_and_sweep_reach_the_depth_when_deeper_than_half_the_width():
    # a line that runs along the push: the front's box reaches as far as the salient is deep
    bend = shapely.LineString([(-5000, 0), (0, 0), (0, 5000)])
    front = front_of(bend, shapely.Point(-400, -3000))
    assert front.centre == pytest.approx([-400.0, 0.0])
    shallow = front_line(front, 1000.0, 0.0)
    deep = front_line(front, 1000.0, 2000.0)
    assert shallow.length == pytest.approx(900.0 + 500.0)  # x from -900 to 0, then 500 m up the line
    assert deep.length == pytest.approx(900.0 + 2000.0)
    assert swept_front(front, 1000.0, 2000.0)[1].length == pytest.approx(900.0 + 2000.0)


def test_attached_keeps_only_polygons_that_touch_the_line():
    near, far = shapely.box(0, 0, 1, 1), shapely.box(0, 3, 1, 4)
    line = shapely.LineString([(0, 0), (1, 0)])
    geom = shapely.GeometryCollection([near, far, shapely.LineString([(0, 0), (1, 0)])])
    assert attached(geom, line, 0.5).equals(near) and attached(geom, line, 0.5).geom_type == "Polygon"
    both = attached(geom, line, 3.0)
    assert both.geom_type == "MultiPolygon" and len(both.geoms) == 2
    assert attached(far, line, 2.0).is_empty and attached(far, line, 3.0).equals(far)


# ----------------------------------------------------------------------------- zones on the ellipsoid
def sector(**kw):
    base = {"shape": "ribbon", "profile": "uniform", "anchor_a_lon": 45.1, "anchor_a_lat": 40.0}
    return {**base, **kw}


def test_ribbon_zone_is_its_stretch_times_depth_on_the_subjects_side():
    s = sector(anchor_b_lon=45.3, anchor_b_lat=40.0, depth_km=1.0)
    z = zone(s, LINE, LAND)
    assert geod_km2(z) == pytest.approx(geod_km(45.1, 40.0, 45.3, 40.0) * 1.0, rel=5e-3)
    assert z.bounds[1] >= 40.0 - 1e-9 and z.bounds[0] == pytest.approx(45.1, abs=1e-4)


def test_one_anchor_ribbon_is_as_long_as_its_width():
    z = zone(sector(depth_km=1.0, width_km=3.0), LINE, LAND)
    assert geod_km2(z) == pytest.approx(3.0, rel=3e-4)
    raw = zone(sector(depth_km=None, width_km=3.0), LINE, LAND)  # nominal 1 km deep
    assert geod_km2(raw) == pytest.approx(3.0, rel=5e-3)
    doubled = zone(sector(depth_km=1.0, width_km=3.0), LINE, LAND, depth_scale=2.0)
    assert geod_km2(doubled) == pytest.approx(6.0, rel=5e-3)


def test_zone_at_a_calibration_parameter():
    s = sector(depth_km=None, width_km=3.0)
    assert geod_km2(zone(s, LINE, LAND, lam=4.0)) == pytest.approx(9.0, rel=5e-3)
    assert zone(s, LINE, LAND, lam=1.0).is_empty
    assert geod_km2(zone(sector(depth_km=2.0, width_km=3.0), LINE, LAND, lam=0.5, free=False)) == pytest.approx(
        3.0, rel=5e-3
    )


def test_salient_zone_is_width_times_depth():
    s = {**sector(shape="salient", anchor_a_lat=40.05), "depth_km": 1.0, "width_km": 2.0}
    z = zone(s, LINE, LAND)
    assert geod_km2(z) == pytest.approx(2.0, rel=3e-4)
    peaked = zone({**s, "profile": "triangular"}, LINE, LAND)
    assert geod_km2(peaked) == pytest.approx(1.0, rel=5e-3)
    band = zone(sector(depth_km=1.0, width_km=3.0, profile="triangular"), LINE, LAND)
    assert geod_km2(band) == pytest.approx(1.5, rel=5e-3)
    lo, _, hi, _ = z.bounds
    assert geod_km(lo, 40.0, hi, 40.0) == pytest.approx(2.0, rel=5e-3)
    raw = zone({**s, "width_km": None}, LINE, LAND)  # front as wide as deep
    assert geod_km2(raw) == pytest.approx(1.0, rel=5e-3)


def test_build_refuses_nothing_but_draws_nothing_without_dimensions():
    prep = prepare(sector(), LINE, LAND)
    assert build(prep, 0.0, 3.0).is_empty
    assert build(prep, math.nan, 3.0).is_empty
    assert build(prep, 1.0, math.nan).is_empty  # one anchor, no stretch
    assert build(prep, 1.0, 0.0).is_empty
    sal = prepare(sector(shape="salient", anchor_a_lat=40.05), LINE, LAND)
    assert build(sal, 1.0, 0.0).is_empty and build(sal, 1.0, math.nan).is_empty
    assert geod_km2(build(sal, 0.5, 4.0)) == pytest.approx(2.0, rel=5e-3)


def test_prepare_refuses_unknown_shapes_and_profiles_and_defaults_to_uniform():
    with pytest.raises(UsageError, match=r"^Unknown sector shape 'blob'\. Allowed: ribbon, salient\.$"):
        prepare(sector(shape="blob"), LINE, LAND)
    with pytest.raises(UsageError, match="Unknown depth profile 'step'"):
        prepare(sector(profile="step"), LINE, LAND)
    assert prepare(sector(profile=None), LINE, LAND).profile == "uniform"
    assert prepare(sector(profile=""), LINE, LAND).profile == "uniform"


def test_land_beyond_reach_and_cut_off_from_the_line_is_not_a_zone():
    # an island of territory north of a gap: the band crosses the gap, the island is dropped
    land = shapely.union(shapely.box(44.8, 40.0, 45.7, 40.004), shapely.box(44.8, 40.006, 45.7, 40.6))
    z = zone(sector(depth_km=2.0, width_km=3.0), LINE, land)
    assert z.bounds[3] == pytest.approx(40.004, abs=1e-9)
    far = prepare(sector(anchor_a_lat=40.0), LINE, shapely.box(44.0, 40.0, 46.5, 41.0))
    assert far.land.bounds == pytest.approx((44.5, 40.0, 45.7, 40.6))


def test_sector_stretch_and_axis_in_lon_lat():
    stretch = sector_stretch(sector(width_km=4.0), LINE)
    (x0, y0), (x1, y1) = shapely.get_coordinates(stretch)[[0, -1]]
    assert geod_km(x0, y0, x1, y1) == pytest.approx(4.0, rel=2e-4)
    assert (x0 + x1) / 2 == pytest.approx(45.1, abs=1e-6)
    nominal = shapely.get_coordinates(sector_stretch(sector(width_km=None), LINE))
    assert geod_km(*nominal[0], *nominal[-1]) == pytest.approx(1.0, rel=2e-4)
    # a salient's row still has a stretch, and two anchors bound it whatever its width
    pair = sector_stretch(sector(shape="salient", width_km=9.0, anchor_b_lon=45.2, anchor_b_lat=40.0), LINE)
    assert shapely.get_coordinates(pair)[[0, -1], 0] == pytest.approx([45.1, 45.2], abs=1e-6)
    south = shapely.segmentize(shapely.LineString([(45.0, -40.0), (45.5, -40.0)]), 0.0005)
    far = shapely.get_coordinates(sector_stretch(sector(width_km=2.0, anchor_a_lat=-40.0), south))
    assert geod_km(*far[0], *far[-1]) == pytest.approx(2.0, rel=2e-4)
    back = shapely.get_coordinates(sector_axis(sector(shape="ribbon", anchor_a_lat=-40.05), south))
    assert back[0] == pytest.approx([45.1, -40.0], abs=1e-6)
    axis = shapely.get_coordinates(sector_axis(sector(shape="salient", anchor_a_lat=40.05), LINE))
    assert axis[0] == pytest.approx([45.1, 40.0], abs=1e-6) and axis[1] == pytest.approx([45.1, 40.05], abs=1e-9)


def frame(rows):
    base = {
        "name": "n",
        "date": "2021-05-12",
        "end_date": "",
        "source": "src",
        "confidence": "medium",
        "province": "Syunik",
        "profile": "uniform",
        "shape": "ribbon",
        "anchor_a_lat": 40.0,
    }
    return gpd.GeoDataFrame([{**base, **r} for r in rows], geometry=[shapely.Point(0, 0)] * len(rows), crs=4326)


def test_zones_table_and_areas():
    sectors = frame(
        [
            {
                "id": "sec-a",
                "anchor_a_lon": 45.1,
                "anchor_b_lon": 45.2,
                "anchor_b_lat": 40.0,
                "depth_km": 2.0,
                "width_km": None,
                "component": "c1",
            },
            {
                "id": "sec-b",
                "anchor_a_lon": 45.4,
                "depth_km": None,
                "width_km": 3.0,
                "component": "c2",
                "date": "2022-09-13",
                "anchor_b_lon": None,
                "anchor_b_lat": None,
            },
        ]
    )
    out = zones(sectors, LINE, LAND, baseline_name="test line", parties=("XA", "XB"))
    assert list(out["id"]) == ["zone-a", "zone-b"]
    assert list(out["claimant"]) == ["XA", "XA"] and list(out["holder"]) == ["XB", "XB"]
    assert out["depth_km"].tolist() == [2.0, 1.0] and math.isnan(out["width_km"][0]) and out["width_km"][1] == 3.0
    assert out["lam"].tolist() == [1.0, 2.0]
    assert out["method"][0] == "ribbon sector, depth 2.00 km, uniform profile, baseline test line"
    assert out["method"][1] == "ribbon sector, depth 1.00 km, width 3.00 km, uniform profile, baseline test line"
    expected = [geod_km(45.1, 40.0, 45.2, 40.0) * 2.0, 3.0]
    assert out["area_km2"].tolist() == pytest.approx(expected, rel=5e-3)
    assert [geod_km2(g) for g in out.geometry] == pytest.approx(expected, rel=5e-3)
    assert out.crs.to_epsg() == 4326 and list(out.index) == [0, 1]
    later = zones(sectors, LINE, LAND, on="2021-06-01", parties=("ARM", "AZE"), lams={"c2": 5.0})
    assert list(later["id"]) == ["zone-a"]
    scaled = zones(sectors, LINE, LAND, parties=("ARM", "AZE"), lams={"c2": 5.0, "c1": 0.5})
    assert scaled["area_km2"].tolist() == pytest.approx([expected[0] / 2, 4.0 * 3.0], rel=5e-3)


def test_bounds_of_a_parameter_set():
    s = {**SAL, "depth_km": 2.0, "width_km": 3.0, "depth_max_km": 4.0, "width_min_km": 1.0}
    assert _bound(s, "max") == (4.0, 3.0) and _bound(s, "min") == (2.0, 1.0)
    d, w = _bound({**TWO, "depth_km": 2.0, "width_km": 3.0}, "max")
    assert d == 2.0 and math.isnan(w)


def test_extreme_zones_union_high_and_smallest_low():
    sets = frame(
        [
            {
                "id": "p1",
                "sector": "s",
                "anchor_a_lon": 45.1,
                "anchor_b_lon": None,
                "anchor_b_lat": None,
                "depth_km": 1.0,
                "depth_max_km": 2.0,
                "width_km": 3.0,
            },
            {
                "id": "p2",
                "sector": "s",
                "anchor_a_lon": 45.1,
                "anchor_b_lon": None,
                "anchor_b_lat": None,
                "depth_km": 0.5,
                "depth_max_km": 0.5,
                "width_km": 5.0,
            },
            {
                "id": "q1",
                "sector": "t",
                "anchor_a_lon": 45.4,
                "anchor_b_lon": None,
                "anchor_b_lat": None,
                "depth_km": None,
                "width_km": 2.0,
            },
        ]
    )
    high = extreme_zones(sets, LINE, LAND, "high")
    low = extreme_zones(sets, LINE, LAND, "low")
    # high: 3 km x 2 km, plus the two 1 km x 0.5 km ends of the 5 km stretch
    assert geod_km2(high.geometry[0]) == pytest.approx(6.0 + 1.0, rel=5e-3)
    assert geod_km2(low.geometry[0]) == pytest.approx(2.5, rel=5e-3)  # 5 x 0.5 beats 3 x 1
    assert list(high["open"]) == [False, True] and list(low["open"]) == [False, True]
    assert high.geometry[1].is_empty and low.geometry[1].is_empty
    assert list(high["sector"]) == ["s", "t"] and list(high["component"]) == ["p1", "q1"]
    with pytest.raises(UsageError, match="end must be 'low' or 'high', got 'mid'"):
        extreme_zones(sets, LINE, LAND, "mid")
    one = extreme_zones(sets.iloc[:1].drop(columns="sector"), LINE, LAND, "high")
    assert list(one["sector"]) == ["p1"] and geod_km2(one.geometry[0]) == pytest.approx(6.0, rel=5e-3)


# ----------------------------------------------------------------------------- over time
def test_active_includes_both_ends():
    t = pd.DataFrame({"date": ["2021-05-12", "2021-05-20", "2021-06-01"], "end_date": ["2021-05-31", "", None]})
    assert active(t, "2021-05-12").tolist() == [True, False, False]
    assert active(t, "2021-05-31").tolist() == [True, True, False]
    assert active(t, dt.date(2021, 6, 1)).tolist() == [False, True, True]
    assert active(t, "2021-05-11").tolist() == [False, False, False]


UNITS = gpd.GeoDataFrame(
    {"name": ["west", "east"]},
    geometry=[shapely.box(45.0, 40.0, 45.1, 40.1), shapely.box(45.12, 40.0, 45.3, 40.1)],
    crs=4326,
)


def test_breakdown_reports_the_gap_or_gives_it_to_the_nearest_unit():
    z = shapely.box(45.05, 40.0, 45.2, 40.05)
    west = geod_km2(shapely.box(45.05, 40.0, 45.1, 40.05))
    gap = geod_km2(shapely.box(45.1, 40.0, 45.12, 40.05))
    east = geod_km2(shapely.box(45.12, 40.0, 45.2, 40.05))
    table = breakdown(z, UNITS)
    assert list(table["name"]) == ["east", "west", "(outside unit polygons)"]
    assert table["area_km2"].tolist() == pytest.approx([east, west, gap], rel=1e-6)
    filled = breakdown(shapely.box(45.05, 40.0, 45.115, 40.05), UNITS, fill_gaps=True)
    near_west = geod_km2(shapely.box(45.05, 40.0, 45.115, 40.05))
    assert list(filled["name"]) == ["west"] and filled["area_km2"].tolist() == pytest.approx([near_west], rel=1e-6)
    to_east = shapely.box(45.104, 40.0, 45.2, 40.05)
    fill_east = breakdown(to_east, UNITS, fill_gaps=True, label="name")
    assert list(fill_east["name"]) == ["east"] and fill_east["area_km2"][0] == pytest.approx(geod_km2(to_east))
    empty = breakdown(shapely.Polygon(), UNITS)
    assert empty.empty and list(empty.columns) == ["name", "area_km2"]
    touching = breakdown(shapely.box(45.1, 40.0, 45.11, 40.05), UNITS)  # on west's edge: no west row
    assert list(touching["name"]) == ["(outside unit polygons)"]


def test_timeline_counts_overlaps_once_and_ends_the_day_after():
    a, b = shapely.box(45.0, 40.0, 45.105, 40.05), shapely.box(45.05, 40.0, 45.15, 40.05)
    zf = gpd.GeoDataFrame(
        {"date": ["2021-05-12", "2021-06-01"], "end_date": ["2021-06-10", ""], "sector": ["a", "b"]},
        geometry=[a, b],
        crs=4326,
    )
    t = timeline(zf)
    assert list(t["date"]) == ["2021-05-12", "2021-06-01", "2021-06-11"]
    assert list(t["sectors"]) == [1, 2, 1]
    assert t["area_km2"].tolist() == pytest.approx([geod_km2(a), geod_km2(shapely.union(a, b)), geod_km2(b)])
    early = timeline(zf, dates=["2021-05-01", "2021-05-12"])
    assert early["area_km2"].tolist() == pytest.approx([0.0, geod_km2(a)]) and list(early["sectors"]) == [0, 1]
    split = timeline(zf, dates=["2021-05-12"], provinces=UNITS)
    assert split["area_km2_west"][0] == pytest.approx(geod_km2(a), rel=1e-6) and "area_km2_east" not in split
    gap_to_east = timeline(zf.iloc[1:], dates=["2021-06-02"], provinces=UNITS.iloc[::-1])
    assert gap_to_east["area_km2_east"][0] + gap_to_east["area_km2_west"][0] == pytest.approx(geod_km2(b), rel=1e-6)


# ----------------------------------------------------------------------------- edges of the shapes
def test_shapes_below_a_metre_are_still_drawn():
    stretch = shapely.LineString([(0, 0), (5000, 0)])
    assert ribbon(stretch, 0.5).area == pytest.approx(5000 * 1.0)
    tiny = shapely.LineString([(0, 0), (0.5, 0)])
    assert ribbon(tiny, 10.0).area == pytest.approx(0.5 * 20)
    # a 0.5 m stretch: its direction is a unit vector, not the 0.5 m chord
    assert ribbon(tiny, 10.0, "triangular").area == pytest.approx(0.5 * 20 * 0.5)
    assert salient(LONG, shapely.Point(0, 3000), 0.5, 1000.0).area == pytest.approx(500.0)
    assert salient(LONG, shapely.Point(0, 3000), 1000.0, 0.5).area == pytest.approx(500.0)
    prep = prepare(sector(), LINE, LAND)
    assert not build(prep, 1.0, 0.0005).is_empty  # a 0.5 m stretch
    assert not build(prep, 0.0005, 3.0).is_empty  # 0.5 m deep


def test_varying_ribbon_samples_every_100_m():
    band = ribbon(shapely.LineString([(0, 0), (5000, 0)]), 1000.0, "triangular")
    assert len(shapely.get_coordinates(band)) == 2 * 51 + 1
    long = ribbon(shapely.LineString([(0, 0), (20000, 0)]), 1000.0, "parabolic")
    assert len(shapely.get_coordinates(long)) == 2 * 201 + 1


def test_uniform_ribbon_on_a_bend_is_the_land_within_its_depth():
    # two 5 km legs at a right angle, 1 km either side: 2 x 10 km x 1 km, less the inner
    # square counted twice, plus the outer quarter circle
    stretch = shapely.LineString([(0, 0), (5000, 0), (5000, 5000)])
    band = ribbon(stretch, 1000.0)
    assert band.area == pytest.approx(2 * 10000 * 1000 - 1000**2 + math.pi * 1000**2 / 4, rel=1e-3)


def test_front_on_a_bent_line_looks_500_m_either_way():
    bend = shapely.LineString([(-1000, 0), (0, 0), (0, 1000)])
    f = front_of(bend, shapely.Point(-100, 0))
    assert f.one_sided is False
    assert f.along == pytest.approx(np.array([600.0, 400.0]) / math.hypot(600, 400), abs=1e-9)
    start = shapely.LineString([(0, -1), (0, 0), (2000, 0)])
    g = front_of(start, shapely.Point(99, 0))
    assert g.along == pytest.approx(np.array([599.0, 1.0]) / math.hypot(599, 1), abs=1e-9)


def test_front_line_picks_the_piece_through_the_centre_whatever_the_order():
    hook = shapely.LineString([(-5000, 300), (5000, 300), (5000, 0), (-5000, 0)])
    front = front_of(hook, shapely.Point(0, -3000))
    piece = front_line(front, 2000.0, 1000.0)
    assert shapely.get_coordinates(piece)[:, 1].tolist() == [0.0, 0.0]
    reach, _ = swept_front(front, 2000.0, 1000.0, "triangular")
    assert reach.area == pytest.approx(2000 * 1000 / 2, rel=1e-6) and reach.bounds[1] == pytest.approx(-1000)


def test_varying_salient_far_from_the_origin():
    far = shapely.LineString([(1e6 - 20000, 5e5), (1e6 + 20000, 5e5)])
    front = front_of(far, shapely.Point(1e6, 5e5 + 3000))
    s = swept_front(front, 2000.0, 1000.0, "triangular")[0]
    assert s.area == pytest.approx(1e6, rel=1e-6)
    assert s.contains(shapely.Point(1e6, 5e5 + 990))
    both = swept_front(front_of(far, shapely.Point(1e6, 5e5)), 2000.0, 1000.0, "parabolic")[0]
    # the parabola sampled every 100 m of 2 km: the trapezoid rule falls short by h^2/12 x 8 = 1/600
    assert both.area == pytest.approx(2 * 2000 * 1000 * (2 / 3 - 1 / 600), rel=1e-9)


def test_prepare_cuts_land_around_both_anchors():
    land = shapely.box(40.0, 40.0, 50.0, 45.0)
    prep = prepare(sector(anchor_b_lon=46.5, anchor_b_lat=40.0), shapely.LineString([(40, 40), (50, 40)]), land)
    assert prep.land.bounds == pytest.approx((44.5, 40.0, 47.1, 40.6))


def test_extreme_zones_read_the_right_bound_of_every_set():
    def row(i, sid, **kw):
        return {"id": i, "sector": sid, "anchor_a_lon": 45.1, "anchor_b_lon": None, "anchor_b_lat": None, **kw}

    sets = frame(
        [
            row("t1", "t", depth_km=1.0, depth_max_km=2.0, depth_min_km=0.8, width_km=3.0),
            row("t2", "t", depth_km=0.5, depth_max_km=2.0, width_km=5.0),
            row("s1", "s", depth_km=None, width_km=2.0, anchor_a_lon=45.4),
            row("s2", "s", depth_km=1.0, width_km=2.0, anchor_a_lon=45.4),
            row("u1", "u", depth_km=None, width_km=2.0, anchor_a_lon=45.3),
        ]
    )
    high, low = extreme_zones(sets, LINE, LAND, "high"), extreme_zones(sets, LINE, LAND, "low")
    assert list(high["sector"]) == ["t", "s", "u"] and list(low["sector"]) == ["t", "s", "u"]
    assert geod_km2(high.geometry[0]) == pytest.approx(10.0, rel=1e-3)  # 5 km x 2 km holds 3 x 2
    assert geod_km2(low.geometry[0]) == pytest.approx(2.4, rel=1e-3)  # 3 x 0.8 (its minimum) beats 5 x 0.5
    assert geod_km2(high.geometry[1]) == pytest.approx(2.0, rel=3e-4) and low.geometry[1].is_empty
    assert high.geometry[2].geom_type == "Polygon" and high.geometry[2].is_empty
    assert list(high["open"]) == [False, True, True]
    assert high.crs.to_epsg() == 4326 and low.crs.to_epsg() == 4326 and high.geometry.name == "geometry"


def test_breakdown_keeps_small_pieces_and_only_its_two_columns():
    z = shapely.box(45.099, 40.0, 45.2, 40.01)  # 0.001 deg of west: under 1 km2
    table = breakdown(z, UNITS)
    assert list(table.columns) == ["name", "area_km2"] and list(table.index) == [0, 1, 2]
    west = geod_km2(shapely.box(45.099, 40.0, 45.1, 40.01))
    assert 0 < west < 1 and table.set_index("name")["area_km2"]["west"] == pytest.approx(west, rel=1e-6)


def test_timeline_fills_missing_province_columns_with_zero():
    # each zone lies wholly inside one province: no gap to give away (this used to raise)
    a, b = shapely.box(45.0, 40.0, 45.05, 40.05), shapely.box(45.2, 40.0, 45.25, 40.05)
    zf = gpd.GeoDataFrame({"date": ["2021-05-12", "2021-06-01"], "end_date": ["2021-05-20", ""]}, geometry=[a, b])
    t = timeline(zf, provinces=UNITS)
    assert t["area_km2_west"].tolist() == pytest.approx([geod_km2(a), 0.0, 0.0])
    assert t["area_km2_east"].tolist() == pytest.approx([0.0, 0.0, geod_km2(b)])
    assert list(t["date"]) == ["2021-05-12", "2021-05-21", "2021-06-01"] and list(t["sectors"]) == [1, 0, 1]
    assert t["area_km2"].tolist() == pytest.approx([geod_km2(a), 0.0, geod_km2(b)])


def test_active_names_the_bad_date():
    t = pd.DataFrame({"date": ["2021-05-12"], "end_date": ["soon"]})
    with pytest.raises(UsageError, match=r"^sector end date 'soon' is not a date"):
        active(t, "2021-05-12")
    with pytest.raises(UsageError, match=r"^sector date 'May' is not a date"):
        active(t.assign(date=["May"]), "2021-05-12")
    with pytest.raises(UsageError, match=r"^--date 'today' is not a date"):
        active(t, "today")


def test_stretch_message_word_for_word():
    with pytest.raises(
        UsageError, match=r"^A ribbon needs two anchors, or one anchor and a width \(its stretch\) in km\.$"
    ):
        baseline_stretch(STRAIGHT, shapely.Point(5000, 0))


def test_zone_reads_free_from_the_sector_unless_told():
    s = sector(depth_km=None, width_km=3.0)
    assert geod_km2(zone(s, LINE, LAND, free=False, lam=1.0)) == 0.0  # NaN depth: nothing drawn
    assert zone(sector(depth_km=1.0, width_km=3.0), LINE, LAND, free=True, lam=1.0).area > 0
    # in a component with a free dimension, stated values stand above 1: not scaled by lam
    stated = zone(sector(depth_km=1.0, width_km=3.0), LINE, LAND, free=True, lam=3.0)
    assert geod_km2(stated) == pytest.approx(3.0, rel=3e-4)


def test_zones_columns_and_the_active_case_parties():
    from borderkit.case import current

    sectors = frame(
        [
            {
                "id": "sec-a",
                "anchor_a_lon": 45.1,
                "anchor_b_lon": 45.2,
                "anchor_b_lat": 40.0,
                "depth_km": 1.0,
                "width_km": None,
                "component": "c1",
                "parameter_set": "official",
                "end_date": "2021-06-01",
            }
        ]
    ).set_index(pd.Index([7]))
    out = zones(sectors, LINE, LAND)
    case = current()
    assert out["claimant"][0] == case.subject.code and out["holder"][0] == case.counterpart.code
    assert list(out.columns) == [
        "id",
        "name",
        "kind",
        "claimant",
        "holder",
        "date",
        "end_date",
        "source",
        "method",
        "confidence",
        "sector",
        "component",
        "shape",
        "parameter_set",
        "province",
        "depth_km",
        "width_km",
        "profile",
        "baseline",
        "lam",
        "geometry",
        "area_km2",
    ]
    row = out.iloc[0]
    assert list(out.index) == [0]
    assert (row["name"], row["kind"], row["date"], row["end_date"], row["source"]) == (
        "n",
        "zone",
        "2021-05-12",
        "2021-06-01",
        "src",
    )
    assert (row["confidence"], row["sector"], row["component"], row["shape"], row["parameter_set"]) == (
        "medium",
        "sec-a",
        "c1",
        "ribbon",
        "official",
    )
    assert (row["province"], row["profile"], row["baseline"]) == ("Syunik", "uniform", "")
    assert row["method"].endswith("uniform profile, baseline ")
    assert out["depth_km"].dtype == float and out["width_km"].dtype == float and out["lam"].dtype == float
    plain = zones(sectors.drop(columns="parameter_set"), LINE, LAND, parties=("A", "B"))
    assert list(plain["parameter_set"]) == [""]


def test_consistency_finds_the_zones_in_force_around_each_reported_position():
    a, b = shapely.box(45.0, 40.0, 45.1, 40.05), shapely.box(45.05, 40.0, 45.15, 40.05)
    zf = gpd.GeoDataFrame(
        {"sector": ["a", "b"], "date": ["2021-05-12", "2021-06-01"], "end_date": ["", "2021-06-10"]},
        geometry=[a, b],
        crs=4326,
    )
    events = gpd.GeoDataFrame(
        {
            "id": ["e1", "e2", "e3", "e4", "e5", "e6", "e7"],
            "date": ["2021-05-20", "2021-06-05", "2021-06-05", "2021-06-05", "2021-06-05", "2021-05-20", "2021-06-11"],
            "type": ["incursion", "occupied position", "shelling", "incursion", "incursion", "incursion", "incursion"],
            "position": ["reported"] * 3 + ["area-named"] + ["reported"] * 3,
            "distance_to_line_km": [2.2, 2.3, 0.0, 1.0, 2.0, 2.2, 2.3],
            "distance_km": [3.0, None, None, None, 1.5, None, 4.0],
        },
        geometry=[shapely.Point(45.07, 40.02)] * 5 + [shapely.Point(45.1, 40.02), shapely.Point(45.07, 40.02)],
        crs=4326,
    )
    events.loc[4, "geometry"] = shapely.Point(45.2, 40.02)
    got = consistency(events, zf)
    assert list(got.columns) == [
        "event",
        "date",
        "type",
        "distance_to_line_km",
        "stated_depth_km",
        "in_zone",
        "consistent",
    ]
    assert list(got["event"]) == ["e1", "e2", "e5", "e6", "e7"]
    assert list(got["in_zone"]) == ["a", "a;b", "", "a", "a"]  # e6 on a's edge; b ended on 10 June
    assert list(got["consistent"]) == [True, True, False, True, True]
    assert list(got["date"]) == ["2021-05-20", "2021-06-05", "2021-06-05", "2021-05-20", "2021-06-11"]
    assert list(got["type"]) == ["incursion", "occupied position", "incursion", "incursion", "incursion"]
    assert got["distance_to_line_km"].tolist() == [2.2, 2.3, 2.0, 2.2, 2.3]
    assert got["stated_depth_km"].tolist()[0] == 3.0 and got["stated_depth_km"].tolist()[2] == 1.5
    shelling = consistency(events, zf, types=("shelling",))
    assert list(shelling["event"]) == ["e3"] and list(shelling["in_zone"]) == ["a;b"]
    bare = consistency(events.drop(columns=["position", "distance_km", "distance_to_line_km"]).iloc[[5]], zf)
    assert bare["stated_depth_km"].tolist() == [None] and bare["in_zone"].tolist() == ["a"]
    outside = shapely.Point(45.1 + 1e-6, 40.06)  # beyond a by ~10 cm and 1 km: no zone
    assert consistency(events.iloc[[0]].set_geometry([outside], crs=4326), zf)["in_zone"].tolist() == [""]
