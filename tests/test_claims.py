import json

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod

import borderkit
from borderkit.claims import claim_name, crossings, feature_shares, lake_cut, stated_shares, territory_under_claim
from borderkit.errors import GeometryError
from borderkit.measure import area
from borderkit.zones import consistency, zones


@pytest.fixture(scope="module")
def lake():
    return borderkit.load("lakes").set_index("id").geometry["sev-lake"]


@pytest.fixture(scope="module")
def renderings():
    return borderkit.load("armenia_renderings").set_index("baseline").geometry.to_dict()


GEOD = Geod(ellps="WGS84")


def _geod_km2(geom):
    """Area straight from GeographicLib (pyproj), independent of borderkit.measure."""
    return sum(abs(GEOD.geometry_area_perimeter(p)[0]) for p in shapely.get_parts(geom)) / 1e6


def test_every_share_matches_geographiclib_for_every_baseline_and_claim(lake, renderings):
    claims = dict(zip(borderkit.load("claims")["id"], borderkit.load("claims")["subject_share"], strict=True))
    table = feature_shares(lake, renderings, claims)
    expected_rows = [(b, c) for b in renderings for c in ["as drawn", *claims]]
    assert list(zip(table["baseline"], table["claim"], strict=True)) == expected_rows
    lake_km2 = _geod_km2(lake)
    assert table["feature_km2"].to_numpy() == pytest.approx([lake_km2] * len(table), rel=1e-9)
    for row in table.itertuples():
        armenia = renderings[row.baseline]
        drawn_pct = 100 * _geod_km2(shapely.intersection(lake, armenia)) / lake_km2
        claimed = armenia if row.claim == "as drawn" else territory_under_claim(armenia, lake, claims[row.claim])
        # each side measured on its own geometry: the Armenian part, and the lake less it
        arm_pct = 100 * _geod_km2(shapely.intersection(lake, claimed)) / lake_km2
        aze_pct = 100 * _geod_km2(shapely.difference(lake, claimed)) / lake_km2
        assert row.subject_pct == pytest.approx(arm_pct, abs=1e-6), row
        # (not to 1e-6: a cut point lies on the lon/lat edge, not on its geodesic, so the two
        # parts' geodesic areas sum to the lake's only to about 1e-4 of it)
        assert row.counterpart_pct == pytest.approx(aze_pct, abs=0.01), row
        if row.claim == "as drawn":
            assert row.area_between_km2 == 0.0
            continue
        share = claims[row.claim]
        assert row.subject_pct == pytest.approx(100 * share, abs=0.05), row  # the claim's own words
        # land that changes side: at least the difference in shares, and all of it when one side is empty
        assert row.area_between_km2 >= abs(drawn_pct - arm_pct) / 100 * lake_km2 - 1e-6, row
        if drawn_pct < 1e-6:  # Natural Earth: the whole lake in Azerbaijan, the claim moves its share
            assert row.area_between_km2 == pytest.approx(share * lake_km2, rel=1e-3), row
        if share == 0:  # Azerbaijan's map moves back all that the rendering gives Armenia
            assert row.area_between_km2 == pytest.approx(drawn_pct / 100 * lake_km2, rel=1e-6), row


def test_claims_reproduce_their_stated_shares(lake, renderings):
    armenia = renderings["soviet_line"]
    for share in (0.0, 2 / 3, 0.9):
        claimed = territory_under_claim(armenia, lake, share)
        got = area(shapely.intersection(lake, claimed))[0] / area(lake)[0]
        assert got == pytest.approx(share, abs=1e-3)


def test_lake_cut_leaves_the_asked_share_south(lake):
    cut = lake_cut(lake, 1 / 3)
    y = shapely.get_coordinates(cut)[:, 1].mean()
    south = shapely.intersection(lake, shapely.box(40, 30, 50, y))
    assert area(south)[0] / area(lake)[0] == pytest.approx(1 / 3, abs=1e-3)


def test_renderings_disagree_on_sev_lake(lake, renderings):
    drawn = feature_shares(lake, renderings, {}).set_index("baseline")["subject_pct"]
    assert 30 < drawn["soviet_line"] < 60  # WOF puts the line through the lake
    assert drawn["soviet_line_ne10m"] < 1  # Natural Earth puts the whole lake in Azerbaijan


def test_crossings_of_a_constructed_road():
    armenia = shapely.box(0, 0, 1, 1)
    road = gpd.GeoDataFrame(
        {"id": ["r"], "name": ["test"]},
        geometry=[shapely.LineString([(0.5, 0.5), (1.5, 0.5), (1.5, 0.6), (0.5, 0.6)])],
        crs=4326,
    )
    found = crossings(road, armenia)
    assert len(found) == 1
    expected = borderkit.length(shapely.LineString([(1, 0.5), (1.5, 0.5), (1.5, 0.6), (1, 0.6)]))[0]
    assert found["length_km"].iloc[0] == pytest.approx(expected, rel=1e-9)
    with pytest.raises(GeometryError, match="need line features"):
        crossings(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=4326), armenia)


def test_bundled_road_is_low_confidence_and_crosses(renderings):
    roads = borderkit.load("roads")
    assert (roads["confidence"] == "low").all() and roads["method"].str.contains("NOT a surveyed road").all()
    found = crossings(roads, renderings["soviet_line"])
    assert len(found) >= 1 and (found["length_km"] > 0).all()


def test_consistency_lists_every_position(renderings):
    line = shapely.union_all(borderkit.load("soviet_line").geometry.to_numpy())
    z = zones(borderkit.load("sectors"), line, renderings["soviet_line"])
    events = borderkit.load("events")
    table = consistency(events, z)
    positions = events["type"].isin(["incursion", "occupied position"]) & (events["position"] == "reported")
    assert len(table) == positions.sum()
    assert not set(table["event"]) & set(events.loc[events["position"] == "area-named", "id"])
    row = table.set_index("event").loc["ev-2021-05-12-sev-lake-arm"]
    assert row["consistent"] and "sec-2021-05-sev-lake" in row["in_zone"]


def test_cli_claims_crossings_and_check(cli, tmp_path):
    result = cli("claims")
    assert result.exit_code == 0 and "northern-third" in result.output and "as drawn" in result.output
    assert "Armenia %" in result.output and "Azerbaijan %" in result.output  # the manifest's party names
    records = json.loads(cli("claims", "--format", "json").stdout)
    claims = borderkit.load("claims")
    stated = {
        claim_name(i, f): s for i, f, s in zip(claims["id"], claims["feature"], claims["subject_share"], strict=True)
    }
    lake = borderkit.load("lakes").set_index("id").geometry["sev-lake"]
    armenia = borderkit.load("armenia_renderings").set_index("baseline").geometry
    for r in records:  # as drawn: GeographicLib on the rendering; a claim: the share it states
        if r["claim"] == "as drawn":
            want = 100 * _geod_km2(shapely.intersection(lake, armenia[r["baseline"]])) / _geod_km2(lake)
        else:
            want = 100 * stated[r["claim"]]
        assert r["subject_pct"] == pytest.approx(want, abs=0.05), r
        assert r["counterpart_pct"] == pytest.approx(100 - want, abs=0.05), r
        assert r["feature"] == "lakes:sev-lake", r
    assert len(records) == len(armenia) * (len(stated) + 1)
    road = tmp_path / "road.geojson"
    road.write_text(
        json.dumps(
            {
                "type": "Feature",
                "properties": {"id": "mine", "name": "my road"},
                "geometry": {"type": "LineString", "coordinates": [[46.35, 39.50], [46.40, 39.38], [46.41, 39.21]]},
            }
        )
    )
    out = cli("crossings", road, "--format", "json")
    assert out.exit_code == 0
    assert all(r["line_id"] == "mine" for r in json.loads(out.stdout))
    check = cli("zones", "--check")
    assert check.exit_code == 0 and "listed, not hidden" in check.output


def test_claims_name_the_feature_they_divide_and_each_is_measured_on_its_own():
    """Two features, each with its own claims: every claim is measured on the feature its row names."""
    west, east = shapely.box(0, 0, 1, 1), shapely.box(3, 0, 4, 1)
    territory = shapely.box(-1, -1, 5, 0.5)  # the southern half of each square is the subject's as drawn
    claims = gpd.GeoDataFrame(
        {
            "id": ["claim-w-half", "claim-e-most", "claim-e-none"],
            "feature": ["ponds:w", "ponds:e", "ponds:e"],
            "subject_share": [0.5, 0.75, 0.0],
        },
        geometry=[None, None, None],
        crs=4326,
    )
    stated = stated_shares(claims)
    assert stated == {"ponds:w": {"half": 0.5}, "ponds:e": {"most": 0.75, "none": 0.0}}
    shapes = {"ponds:w": west, "ponds:e": east}
    for ref, shares in stated.items():
        table = feature_shares(shapes[ref], {"line": territory}, shares).set_index("claim")
        assert table.loc["as drawn", "subject_pct"] == pytest.approx(50, abs=0.1)
        for name, share in shares.items():
            assert table.loc[name, "subject_pct"] == pytest.approx(100 * share, abs=0.05)
            moved = abs(share - 0.5) * _geod_km2(shapes[ref])  # everything between the two cuts changes side
            # (to 0.1% of the feature: a cut at half the geodesic area lies a hair off the drawn line at 0.5°)
            assert table.loc[name, "area_between_km2"] == pytest.approx(moved, abs=1e-3 * _geod_km2(shapes[ref]))
