"""The occupation model: sourced sectors, ribbon and salient shapes with flat ends, zones over time."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry.polygon import orient

import borderkit
from borderkit.errors import UsageError
from borderkit.measure import area
from borderkit.registry import baseline, baselines, data_dir
from borderkit.zones import active, depth_profile, extent, extreme_zones, primary, timeline, zone, zones

GEOD = Geod(ellps="WGS84")
#: A straight synthetic border: the meridian 45.5° E, Armenia to its west.
LINE = shapely.LineString([(45.5, 39.0), (45.5, 41.0)])
LAND = shapely.box(44.0, 39.0, 45.5, 41.0)


def geodesic_km2(geom) -> float:
    """Area straight from GeographicLib, not through borderkit.measure."""
    return sum(abs(GEOD.geometry_area_perimeter(orient(p))[0]) for p in shapely.get_parts(geom)) / 1e6


def along_meridian_km(lat0: float, lat1: float) -> float:
    return GEOD.inv(45.5, lat0, 45.5, lat1)[2] / 1000


@pytest.fixture(scope="module")
def sectors():
    return borderkit.load("sectors")


@pytest.fixture(scope="module")
def csv_rows():
    return pd.read_csv(data_dir() / "src" / "sectors.csv", dtype=str, keep_default_na=False)


# ----------------------------------------------------------------------------- the shapes
@pytest.mark.parametrize("profile, mean", [("uniform", 1.0), ("parabolic", 2 / 3), ("triangular", 0.5)])
def test_ribbon_area_is_stretch_length_times_mean_depth(profile, mean):
    s = {"shape": "ribbon", "anchor_a_lon": 45.3, "anchor_a_lat": 39.8, "anchor_b_lon": 45.2, "anchor_b_lat": 40.1}
    z = zone({**s, "depth_km": 3.0, "profile": profile}, LINE, LAND)
    expected = along_meridian_km(39.8, 40.1) * 3.0 * mean
    assert geodesic_km2(z) == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("profile, mean", [("uniform", 1.0), ("parabolic", 2 / 3), ("triangular", 0.5)])
def test_salient_area_is_width_times_mean_depth(profile, mean):
    s = {"shape": "salient", "anchor_a_lon": 45.3, "anchor_a_lat": 39.8, "width_km": 8.5, "depth_km": 7.5}
    z = zone({**s, "profile": profile}, LINE, LAND)
    assert geodesic_km2(z) == pytest.approx(8.5 * 7.5 * mean, rel=0.01)


def test_zones_have_flat_ends_and_stay_on_the_armenian_side():
    rib = zone(
        {"shape": "ribbon", "anchor_a_lon": 45.0, "anchor_a_lat": 39.8, "anchor_b_lon": 45.0, "anchor_b_lat": 40.0,
         "depth_km": 5.0, "profile": "uniform"}, LINE, LAND,
    )  # fmt: skip
    _, south, east, north = rib.bounds
    # a round cap would run 5 km (0.045°) past each end of the stretch; the ends are within ~0.3 km
    # (the anchors' nearest points are found in a local projection, not along the meridian)
    assert south == pytest.approx(39.8, abs=3e-3) and north == pytest.approx(40.0, abs=3e-3)
    assert east <= 45.5 + 1e-9
    sal = zone({"shape": "salient", "anchor_a_lon": 45.3, "anchor_a_lat": 39.8, "width_km": 4.0, "depth_km": 2.0,
                "profile": "uniform"}, LINE, LAND)  # fmt: skip
    west, south, east, north = sal.bounds
    assert along_meridian_km(south, north) == pytest.approx(4.0, rel=0.01)
    assert GEOD.inv(west, 39.8, east, 39.8)[2] / 1000 == pytest.approx(2.0, rel=0.01)


def test_a_zone_grows_with_its_depth_and_vanishes_at_zero(sectors):
    jermuk = sectors.set_index("id").loc["sec-2022-09-jermuk--general-staff"].to_dict()
    line, armenia = baseline("soviet_line")
    areas = [geodesic_km2(zone(jermuk, line, armenia, depth_scale=k)) for k in (0.0, 0.5, 1.0)]
    assert areas[0] == 0.0 and areas[0] < areas[1] < areas[2]


def test_extent_of_unreported_dimensions_grows_with_the_parameter():
    stated = {"shape": "salient", "depth_km": 1.5, "width_km": 8.0, "anchor_b_lon": None}
    no_width = {"shape": "salient", "depth_km": 1.5, "width_km": math.nan, "anchor_b_lon": None}
    assert extent(stated, 0.5, free=False) == (0.75, 8.0)
    assert extent(no_width, 0.5, free=True) == (0.0, 0.0)  # below 1 the account leaves it no room
    assert extent(stated, 0.5, free=True) == (0.75, 8.0)
    assert extent(stated, 4.0, free=True) == (1.5, 8.0)  # above 1 stated values stand
    # an unreported width is the same multiple of each sector's own depth
    assert extent(no_width, 4.0, free=True) == (1.5, 4.5)
    assert extent({**no_width, "depth_km": 0.5}, 4.0, free=True) == (0.5, 1.5)


# ----------------------------------------------------------------------------- the sectors
def test_every_sector_cites_who_said_it_the_quote_and_a_known_source(csv_rows):
    keys = set(borderkit.sources()["key"])
    assert set(csv_rows["source"]) <= keys
    assert (csv_rows["quote"].str.len() > 40).all()
    assert (csv_rows["who"] != "").all() and (csv_rows["basis"] != "").all()
    assert not csv_rows.duplicated(["sector", "parameter_set"]).any()


def test_each_sector_belongs_to_one_component_that_covers_it(csv_rows):
    comps = pd.read_csv(data_dir() / "src" / "components.csv", dtype=str, keep_default_na=False)
    per_sector = csv_rows.groupby("sector")["component"].nunique()
    assert (per_sector == 1).all()
    for _, c in comps.iterrows():
        covered = {x.split(":", 1)[1] for x in c["covers"].split(";") if x.startswith("sectors:")}
        assert covered == set(csv_rows.loc[csv_rows["component"] == c["id"], "sector"]), c["id"]


def test_places_where_no_source_reports_ground_taken_are_not_sectors(csv_rows):
    # Yeraskh (July 2021) and Goris (Sep 2022) were shelled; Sotk and Kut in Sep 2022 too
    anchors = set(csv_rows["anchor_a"]) | set(csv_rows["anchor_b"])
    assert not anchors & {"place-yeraskh", "place-goris-geonames", "place-goris-locality", "place-sotk"}


def test_nerkin_hand_in_march_2022_is_events_not_a_sector(csv_rows):
    """Tents 800-900 m in, which the Defence Ministry said were not on sovereign land: events, no zone to scale up."""
    assert not csv_rows["sector"].str.startswith("sec-2022-03").any()
    events = borderkit.load("events").set_index("id")
    head = events.loc["ev-2022-03-nerkin-hand"]
    assert head["date"].startswith("2022-03") and 0.8 <= float(head["distance_km"]) <= 0.9
    assert events.loc["ev-2022-03-nerkin-hand-mod", "position"] == "area-named"


def test_jermuk_is_the_general_staff_salient(csv_rows):
    row = csv_rows.set_index(["sector", "parameter_set"]).loc[("sec-2022-09-jermuk", "general-staff")]
    assert row["shape"] == "salient"
    assert "front width of 8.5 km and a depth of up to 7.5 km" in row["quote"]
    assert (float(row["width_km"]), float(row["depth_km"])) == (8.5, 7.5)


def test_conflicting_accounts_stay_side_by_side(csv_rows):
    shorzha = csv_rows[csv_rows["sector"] == "sec-2022-09-verin-shorzha"].set_index("parameter_set")
    assert float(shorzha.loc["general-staff", "depth_km"]) == 1.5
    assert float(shorzha.loc["elbakyan", "depth_max_km"]) == 8.0
    assert "8 km" in shorzha.loc["elbakyan", "quote"]


def test_primary_parameter_set_is_the_heaviest(sectors):
    chosen = primary(sectors).set_index("sector")["parameter_set"]
    assert chosen["sec-2022-09-verin-shorzha"] == "general-staff"
    assert chosen["sec-2021-05-sev-lake"] == "prime-minister"
    assert len(chosen) == sectors["sector"].nunique()


def test_prior_extremes_open_where_a_width_is_unreported(sectors):
    line, armenia = baseline("soviet_line")
    high = extreme_zones(sectors, line, armenia, "high").set_index("sector")
    low = extreme_zones(sectors, line, armenia, "low").set_index("sector")
    assert not high.loc["sec-2022-09-jermuk", "open"] and high.loc["sec-2022-09-verin-shorzha", "open"]
    assert low.geometry["sec-2022-09-verin-shorzha"].is_empty  # could be one position
    both = [s for s in high.index if not high.loc[s, "open"]]
    assert all(geodesic_km2(low.geometry[s]) <= geodesic_km2(high.geometry[s]) + 1e-9 for s in both)


# ----------------------------------------------------------------------------- zones on the real line
@pytest.mark.parametrize("name", baselines())
def test_zones_never_leave_armenia_for_any_baseline(sectors, name):
    line, armenia = baseline(name)
    z = zones(sectors, line, armenia, baseline_name=name)
    outside = shapely.difference(z.geometry.to_numpy(), armenia.buffer(1e-9))
    assert area(outside).max() < 1e-6
    assert set(z["kind"]) == {"zone"} and z["method"].str.contains(name).all()
    assert len(z) == sectors["sector"].nunique()


def test_zones_are_claimed_by_the_subject_and_held_by_the_counterpart(sectors):
    """The codes come from the case's manifest (or the caller), never from the code."""
    from borderkit.case import current

    line, territory = baseline()
    case = current()
    z = zones(sectors, line, territory)
    assert set(z["claimant"]) == {case.subject.code} and set(z["holder"]) == {case.counterpart.code}
    given = zones(sectors, line, territory, parties=("AAA", "BBB"), baseline_name="mine")
    assert set(given["claimant"]) == {"AAA"} and set(given["holder"]) == {"BBB"}
    assert set(given["baseline"]) == {"mine"}


def test_the_model_defaults_to_the_first_baseline_and_shifts_only_with_a_datum(sectors):
    from borderkit.model import AreaModel, Scenario

    first, second = baselines()[:2]
    renderings = {second: baseline(second), first: baseline(first)}  # the order given decides the default
    empty = borderkit.load("enclaves").iloc[:0]
    plain = AreaModel(sectors, renderings, empty, empty)
    assert plain.default_baseline == second and plain.baseline_names == [second, first]
    assert plain.datum == (0.0, 0.0, 0.0)
    assert set(plain.in_force(Scenario(), "2024-01-01")["baseline"]) == {second}
    shifted = AreaModel(sectors, renderings, empty, empty, datum="EPSG:4284")  # Pulkovo 1942
    assert shifted.baseline_names == [second, first, "datum-shift"]
    lon, lat = sectors["anchor_a_lon"].mean(), sectors["anchor_a_lat"].mean()  # the anchors' centroid
    x, y = Transformer.from_crs(4284, 4326, always_xy=True).transform(lon, lat)
    assert shifted.datum == pytest.approx((x - lon, y - lat, GEOD.inv(lon, lat, x, y)[2]), rel=1e-9)
    assert 50 < shifted.datum[2] < 200


def test_province_breakdown_sums_to_total(sectors):
    line, armenia = baseline("soviet_line")
    provinces = borderkit.load("provinces").query("country == 'ARM'")
    t = timeline(zones(sectors, line, armenia), provinces=provinces)
    parts = t[[c for c in t.columns if c.startswith("area_km2_")]].sum(axis=1)
    np.testing.assert_allclose(parts, t["area_km2"], rtol=1e-4)


def test_active_and_profiles(sectors):
    assert not active(sectors, "2021-05-11").any()
    on = set(sectors[active(sectors, "2021-05-12")]["sector"])
    assert on == {"sec-2021-05-sev-lake"}
    np.testing.assert_allclose(depth_profile("triangular", [0, 0.5, 1]), [0, 1, 0])
    np.testing.assert_allclose(depth_profile("parabolic", [0, 0.5, 1]), [0, 1, 0])
    with pytest.raises(UsageError, match="Allowed: uniform"):
        depth_profile("bell", [0.5])
    with pytest.raises(UsageError, match="Allowed: soviet_line"):
        baseline("osm")


# ----------------------------------------------------------------------------- caches (the geometry must not change)
def test_dates_with_the_same_zones_in_force_share_one_union_and_it_is_the_union():
    from borderkit.model import Scenario
    from borderkit.registry import area_model

    model = area_model()
    z = model.zones("soviet_line")
    days = pd.date_range("2021-05-01", "2024-12-31", freq="MS").strftime("%Y-%m-%d")
    by_set: dict[bytes, list[str]] = {}
    for day in days:
        by_set.setdefault(active(z, day).tobytes(), []).append(day)
    same = next(v for k, v in by_set.items() if len(v) > 1 and np.frombuffer(k, bool).any())
    other = next(v[0] for k, v in by_set.items() if v[0] not in same and np.frombuffer(k, bool).any())
    first, second = (model.footprint(Scenario(), d) for d in same[:2])
    assert first is second  # one union for both dates
    direct = shapely.union_all(z.geometry.to_numpy()[active(z, same[1])])
    assert geodesic_km2(second) == pytest.approx(geodesic_km2(direct), rel=1e-12)
    assert model.value(Scenario(), same[1]) == pytest.approx(geodesic_km2(direct), rel=1e-9)
    assert model.footprint(Scenario(), other) is not first


def test_transformers_are_built_once_per_crs_pair_and_project_like_a_fresh_one():
    from pyproj import Transformer

    from borderkit.zones import _transformer

    a, b = _transformer(4284, 4326), _transformer(4284, 4326)
    assert a is b
    fresh = Transformer.from_crs(4284, 4326, always_xy=True)
    assert a.transform(45.5, 40.0) == fresh.transform(45.5, 40.0)
    assert _transformer(4326, 4284) is not a


# ----------------------------------------------------------------------------- the commands
def test_cli_zones_say_they_are_calibrated_and_raw_is_available(cli, tmp_path):
    result = cli("zones", "--date", "2021-06-01")
    assert result.exit_code == 0
    assert "illustrative extent, calibrated to" in result.output and "not surveyed lines" in result.output
    raw = cli("zones", "--raw")
    assert raw.exit_code == 0 and "raw geometry (the prior)" in raw.output
    rows = cli("zones", "--raw", "--format", "csv").stdout.splitlines()
    assert rows[0].split(",")[-2] == "extent" and all(r.split(",")[-2] == "raw" for r in rows[1:])
    out = tmp_path / "z.geojson"
    assert cli("zones", "--baseline", "soviet_line_osm2017", "--format", "geojson", "-o", out).exit_code == 0
    features = json.loads(out.read_text())["features"]
    assert {f["properties"]["sector"] for f in features} == set(borderkit.load("sectors")["sector"])
    communities = cli("zones", "--date", "2022-12-31", "--breakdown", "community", "--format", "csv")
    assert communities.stdout.startswith("community,area_km2")
    bad = cli("zones", "--date", "yesterday")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_cli_timeline_is_calibrated_and_draws_a_chart(cli, tmp_path):
    png = tmp_path / "t.png"
    tl = cli("timeline", "--png", png)
    assert tl.exit_code == 0 and "Gegharkunik" in tl.output and "calibrated to" in tl.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    raw = cli("timeline", "--raw", "--format", "csv")
    assert raw.exit_code == 0 and raw.stdout.startswith("date,sectors,area_km2")
