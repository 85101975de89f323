"""borderkit.lines on the bundled data, checked against GeographicLib (pyproj.Geod) and brute force."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

import borderkit
from borderkit.lines import distance_to_line, shared_border, split_sections

GEOD = Geod(ellps="WGS84")


def _geod_km(geom) -> float:
    """Geodesic length straight from pyproj, independent of borderkit.measure."""
    return sum(GEOD.geometry_length(p) for p in shapely.get_parts(geom)) / 1000


@pytest.fixture(scope="module")
def countries():
    return borderkit.load("countries").set_index("id").geometry


@pytest.fixture(scope="module")
def border(countries):
    return shared_border(countries["armenia"], countries["azerbaijan"])


# ----------------------------------------------------------------------------- shared_border
def test_shared_border_lies_on_both_outlines_and_is_all_of_their_contact(countries, border):
    arm, aze = countries["armenia"], countries["azerbaijan"]
    assert border.geom_type == "MultiLineString" and 1 <= len(border.geoms) <= 10  # merged, not per edge
    vertices = shapely.points(shapely.get_coordinates(border))
    assert shapely.distance(arm.boundary, vertices).max() < 1e-9
    assert shapely.distance(aze.boundary, vertices).max() < 1e-9
    # all of Armenia's outline that touches Azerbaijan, found another way (a hair's-breadth buffer)
    touching = shapely.intersection(arm.boundary, aze.buffer(1e-7))
    assert _geod_km(border) == pytest.approx(_geod_km(touching), rel=1e-3)


def test_border_lengths_match_the_published_total(countries, border):
    """Armenia-Azerbaijan, Nakhchivan included, is about 996 km (CIA World Factbook); renderings vary."""
    nakhchivan = shared_border(countries["armenia"], countries["nakhchivan"])
    assert len(nakhchivan.geoms) == 1  # one stretch, unbroken
    total = _geod_km(border) + _geod_km(nakhchivan)
    assert abs(total - 996) / 996 < 0.03, total
    assert 200 < _geod_km(nakhchivan) < 260  # the Nakhchivan stretch: 221 km published


def test_polygons_that_do_not_touch_share_nothing(countries):
    far = shapely.box(50.0, 40.0, 50.1, 40.1)  # in the Caspian
    assert shared_border(countries["armenia"], far).is_empty
    assert shared_border(countries["armenia"], far).geom_type == "MultiLineString"


def test_snap_finds_a_border_drawn_by_another_source():
    """Two squares whose common edge is drawn 30 m apart share it only with snap_m above 30."""
    a = shapely.box(46.0, 39.0, 46.1, 39.1)
    lon_30m = 30 / (111_320 * np.cos(np.radians(39.05)))  # 30 m of longitude at 39° N
    b = shapely.box(46.1 + lon_30m, 39.0, 46.2, 39.1)
    assert shared_border(a, b).is_empty
    snapped = shared_border(a, b, snap_m=100)
    # a's east edge, plus the ends of its north and south edges that lie within 100 m of b
    reach = 100 / 111_320 - lon_30m  # degrees of longitude west of the edge that are within reach
    edge = shapely.LineString([(46.1, 39.0), (46.1, 39.1)])
    ends = [shapely.LineString([(46.1 - reach, y), (46.1, y)]) for y in (39.0, 39.1)]
    assert _geod_km(snapped) == pytest.approx(_geod_km(edge) + sum(_geod_km(e) for e in ends), rel=1e-6)
    assert shared_border(a, b, snap_m=10).is_empty


# ----------------------------------------------------------------------------- split_sections
@pytest.fixture(scope="module")
def armenian_provinces():
    p = borderkit.load("provinces")
    return p.loc[p["country"] == "ARM", ["name", "geometry"]].rename(columns={"name": "section"}).reset_index(drop=True)


def test_sections_cover_the_line_and_each_segment_goes_to_its_nearest_province(border, armenian_provinces):
    sections = split_sections(border, armenian_provinces)
    assert sections.crs.to_epsg() == 4326
    names = list(sections["section"])
    assert {"Tavush", "Gegharkunik", "Vayots Dzor", "Syunik"} <= set(names)
    assert not {"Yerevan", "Shirak", "Armavir"} & set(names)  # none of these touches Azerbaijan
    order = list(armenian_provinces["section"])
    assert names == sorted(names, key=order.index)  # in the order of the labels
    assert sum(_geod_km(g) for g in sections.geometry) == pytest.approx(_geod_km(border), rel=1e-9)
    # brute force on every 50th segment: its midpoint's nearest province by plain distance
    coords = shapely.get_coordinates(border)
    checked = 0
    for part in border.geoms:
        xy = shapely.get_coordinates(part)
        for i in range(0, len(xy) - 1, 50):
            mid = shapely.Point((xy[i] + xy[i + 1]) / 2)
            d = shapely.distance(armenian_provinces.geometry.to_numpy(), mid)
            nearest = armenian_provinces["section"].iloc[int(np.argmin(d))]
            owner = sections.loc[shapely.distance(sections.geometry.to_numpy(), mid) < 1e-12, "section"]
            assert nearest in set(owner), (tuple(xy[i]), nearest, list(owner))
            checked += 1
    assert checked >= 20 and len(coords) > 1000


def test_a_tie_goes_to_the_label_listed_first():
    line = shapely.LineString([(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)])
    north = shapely.box(0.0, 0.0, 1.0, 1.0)
    south = shapely.box(0.0, -1.0, 1.0, 0.0)  # both touch the first segment
    east = shapely.box(1.2, 0.0, 2.5, 1.0)  # nearest the second segment
    for first, second in (("north", "south"), ("south", "north")):
        geoms = {"north": north, "south": south}
        labels = gpd.GeoDataFrame(
            {"section": [first, second, "east"]}, geometry=[geoms[first], geoms[second], east], crs=4326
        )
        out = split_sections(line, labels).set_index("section").geometry
        assert list(out.index) == [first, "east"]
        assert out[first].equals(shapely.LineString([(0.0, 0.0), (1.0, 0.0)]))
        assert out["east"].equals(shapely.LineString([(1.0, 0.0), (2.0, 0.0)]))


# ----------------------------------------------------------------------------- distance_to_line
def test_distance_to_a_meridian_is_the_geodesic_offset_in_km():
    """A point 5 km east of a meridian (azimuth 90° from it) is 5 km from it: kilometres, not metres."""
    meridian = shapely.LineString([(46.0, 39.0), (46.0, 40.0)])
    starts = [39.2, 39.5, 39.8]
    lon, lat, _ = GEOD.fwd([46.0] * 3, starts, [90.0] * 3, [5000.0, 12_000.0, 500.0])
    got = distance_to_line(shapely.points(np.column_stack([lon, lat])), meridian)
    np.testing.assert_allclose(got, [5.0, 12.0, 0.5], rtol=1e-3)


def test_distance_of_places_to_the_border_against_brute_force(border):
    """Bundled places against the densified border: the smallest geodesic distance to any of its points."""
    places = borderkit.load("places").set_index("id").geometry
    names = ["place-goris-locality", "place-jermuk", "place-kapan", "place-vardenis", "place-voskepar"]
    pts = places.loc[names].to_numpy()
    got = distance_to_line(pts, border)
    dense = shapely.get_coordinates(shapely.segmentize(border, 0.0005))  # a vertex every ~50 m
    for name, pt, d in zip(names, pts, got, strict=True):
        _, _, dist = GEOD.inv(np.full(len(dense), pt.x), np.full(len(dense), pt.y), dense[:, 0], dense[:, 1])
        assert d == pytest.approx(dist.min() / 1000, abs=0.03), name
        assert 0 < d < 40, name  # each of these towns is within 40 km of the border
    assert distance_to_line([shapely.get_point(border.geoms[0], 0)], border)[0] == pytest.approx(0, abs=1e-6)
