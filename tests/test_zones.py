import json

import numpy as np
import pytest
import shapely

import borderkit
from borderkit.errors import UsageError
from borderkit.measure import area
from borderkit.registry import baseline, baselines
from borderkit.zones import active, depth_profile, timeline, zone, zones


@pytest.fixture(scope="module")
def model():
    line, armenia = baseline("soviet_line")
    return borderkit.load("sectors"), line, armenia


def sector(model, sid):
    return model[0].set_index("id").loc[sid].to_dict()


def test_sectors_have_anchors_depth_basis_and_sources(model):
    sectors = model[0]
    assert len(sectors) >= 8
    assert sectors[["anchor_a_lon", "anchor_a_lat", "depth_km", "depth_basis", "profile", "date"]].notna().all().all()
    assert set(sectors["episode"]) >= {"2021-05", "2021-11", "2022-09"}
    keys = set(borderkit.sources()["key"])
    for srcs in sectors["sources"]:
        assert set(srcs.split(";")) <= keys
    defaults = sectors[sectors["depth_source"] == "default"]
    assert defaults["depth_basis"].str.contains("no depth").all()  # a default says it is one


@pytest.mark.parametrize("sid", ["sec-2021-05-sev-lake", "sec-2022-09-jermuk"])
def test_zone_grows_with_depth_and_is_zero_at_depth_zero(model, sid):
    s = sector(model, sid)
    areas = [area(zone(s, model[1], model[2], depth_scale=k))[0] for k in (0.0, 0.5, 1.0, 2.0)]
    assert areas[0] == 0.0
    assert areas[0] < areas[1] < areas[2] < areas[3]


def test_zone_grows_with_anchor_span(model):
    s = sector(model, "sec-2022-09-nerkin-hand")
    areas = [area(zone(dict(s, span_km=k), model[1], model[2]))[0] for k in (2, 6, 12)]
    assert areas[0] < areas[1] < areas[2]


@pytest.mark.parametrize("name", baselines())
def test_zones_never_leave_armenia_for_any_baseline(model, name):
    line, armenia = baseline(name)
    z = zones(model[0], line, armenia, baseline_name=name)
    outside = shapely.difference(z.geometry.to_numpy(), armenia.buffer(1e-9))
    assert area(outside).max() < 1e-6
    assert (z["area_km2"] > 0).all()
    assert set(z["kind"]) == {"zone"} and z["method"].str.contains(name).all()


def test_reported_positions_lie_in_their_zones(model):
    z = zones(*model).set_index("sector")
    events = borderkit.load("events").set_index("id")
    # the Sev Lake advance point (gazetteer) is inside the Sev Lake zone; Khoznavar inside its own
    assert z.geometry["sec-2021-05-sev-lake"].contains(events.geometry["ev-2021-05-12-sev-lake-arm"])
    assert z.geometry["sec-2021-05-20-khoznavar"].contains(events.geometry["ev-2021-05-20-khoznavar"])


def test_timeline_never_decreases_without_withdrawal(model):
    z = zones(*model)
    t = timeline(z)
    withdrawals = set(borderkit.load("events").query("type in ['withdrawal', 'handover']")["date"])
    drops = t[t["area_km2"].diff() < -1e-9]
    for _, row in drops.iterrows():
        # every drop happens the day after a sector's end date, and that end is a recorded withdrawal
        ended = z[z["end_date"].notna()]
        assert any(np.datetime64(e) + np.timedelta64(1, "D") == np.datetime64(row["date"]) for e in ended["end_date"])
        assert set(ended["end_date"]) <= withdrawals
    assert t["area_km2"].iloc[-1] >= t["area_km2"].iloc[0]


def test_province_breakdown_sums_to_total(model):
    provinces = borderkit.load("provinces").query("country == 'ARM'")
    t = timeline(zones(*model), provinces=provinces)
    parts = t[[c for c in t.columns if c.startswith("area_km2_")]].sum(axis=1)
    np.testing.assert_allclose(parts, t["area_km2"], rtol=1e-6)


def test_active_and_profiles(model):
    s = model[0]
    assert not active(s, "2021-05-11").any()
    on20 = set(s[active(s, "2021-05-20")]["id"])
    assert "sec-2021-05-20-khoznavar" in on20
    assert "sec-2021-05-20-khoznavar" not in set(s[active(s, "2021-05-21")]["id"])
    np.testing.assert_allclose(depth_profile("triangular", [0, 0.5, 1]), [0, 1, 0])
    np.testing.assert_allclose(depth_profile("parabolic", [0, 0.5, 1]), [0, 1, 0])
    with pytest.raises(UsageError, match="Allowed: uniform"):
        depth_profile("bell", [0.5])
    with pytest.raises(UsageError, match="Allowed: soviet_line"):
        baseline("osm")


def test_cli_zones_and_timeline(cli, tmp_path):
    result = cli("zones", "--date", "2021-06-01")
    assert result.exit_code == 0
    assert "Union of these zones" in result.output and "not surveyed lines" in result.output
    out = tmp_path / "z.geojson"
    assert cli("zones", "--baseline", "soviet_line_osm2017", "--format", "geojson", "-o", out).exit_code == 0
    assert len(json.loads(out.read_text())["features"]) == len(borderkit.load("sectors"))
    communities = cli("zones", "--date", "2022-12-31", "--breakdown", "community", "--format", "csv")
    assert communities.stdout.startswith("community,area_km2")
    png = tmp_path / "t.png"
    tl = cli("timeline", "--png", png)
    assert tl.exit_code == 0 and "Gegharkunik" in tl.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = cli("zones", "--date", "yesterday")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
