import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

import borderkit
from borderkit.claims import armenia_under_claim, crossings, lake_cut, lake_shares
from borderkit.errors import GeometryError
from borderkit.measure import area
from borderkit.zones import consistency, zones


@pytest.fixture(scope="module")
def lake():
    return borderkit.load("lakes").set_index("id").geometry["sev-lake"]


@pytest.fixture(scope="module")
def renderings():
    return borderkit.load("armenia_renderings").set_index("baseline").geometry.to_dict()


def test_shares_sum_to_100_for_every_baseline_and_claim(lake, renderings):
    claims = dict(zip(borderkit.load("claims")["id"], borderkit.load("claims")["armenian_share"], strict=True))
    table = lake_shares(lake, renderings, claims)
    assert len(table) == len(renderings) * (len(claims) + 1)
    np.testing.assert_allclose(table["armenia_pct"] + table["azerbaijan_pct"], 100.0)
    assert (table["armenia_pct"].between(0, 100)).all()


def test_claims_reproduce_their_stated_shares(lake, renderings):
    armenia = renderings["soviet_line"]
    for share in (0.0, 2 / 3, 0.9):
        claimed = armenia_under_claim(armenia, lake, share)
        got = area(shapely.intersection(lake, claimed))[0] / area(lake)[0]
        assert got == pytest.approx(share, abs=1e-3)


def test_lake_cut_leaves_the_asked_share_south(lake):
    cut = lake_cut(lake, 1 / 3)
    y = shapely.get_coordinates(cut)[:, 1].mean()
    south = shapely.intersection(lake, shapely.box(40, 30, 50, y))
    assert area(south)[0] / area(lake)[0] == pytest.approx(1 / 3, abs=1e-3)


def test_renderings_disagree_on_sev_lake(lake, renderings):
    drawn = lake_shares(lake, renderings, {}).set_index("baseline")["armenia_pct"]
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
    records = json.loads(cli("claims", "--format", "json").stdout)
    assert all(abs(r["armenia_pct"] + r["azerbaijan_pct"] - 100) < 1e-9 for r in records)
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
