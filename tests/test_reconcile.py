import json

import numpy as np
import pandas as pd
import pytest

import borderkit
from borderkit.errors import InputError
from borderkit.measure import area
from borderkit.model import MI2_PER_KM2, AreaModel, Scenario
from borderkit.montecarlo import monte_carlo, summarise
from borderkit.reconcile import explain, implied_depth, meets, ratios, reconcile, validate_estimates
from borderkit.registry import area_model, baseline, baselines, estimates


@pytest.fixture(scope="module")
def model():
    return area_model()


@pytest.fixture(scope="module")
def small_model():
    """A constructed case: one sector only, on the WOF line."""
    sectors = borderkit.load("sectors").query("id == 'sec-2021-05-sev-lake'").reset_index(drop=True)
    renderings = {"soviet_line": baseline("soviet_line")}
    provinces = borderkit.load("provinces").query("country == 'ARM'")
    enclaves = borderkit.load("enclaves").query("claimant == 'ARM'")
    return AreaModel(sectors, renderings, provinces, enclaves)


def estimate(value, qualifier="about", date="2022-01-01", **extra):
    return pd.Series(
        {
            "id": "test",
            "value": value,
            "unit": "km2",
            "qualifier": qualifier,
            "date": date,
            "who": "test",
            "covers": "test",
            "source": "seed-002",
            **extra,
        }
    )


def test_bundled_estimates_cover_every_published_figure():
    e = estimates()
    assert {41, 45, 50, 60, 127, 139, 145, 200, 215} <= set(e["value"].astype(int))
    assert set(e["source"]) <= set(borderkit.sources()["key"])


def test_web_mercator_figure_is_matched_by_the_web_mercator_hypothesis(small_model):
    figure = small_model.value(Scenario(method="web-mercator"), "2022-01-01")
    best = explain(small_model, estimate(figure), tolerance=0.001).iloc[0]
    assert best["hypothesis"] == "method:web-mercator"
    assert best["residual"] == pytest.approx(0, abs=1e-9)


def test_square_mile_figure_is_matched_by_the_unit_hypothesis(small_model):
    zone_km2 = small_model.value(Scenario(), "2022-01-01")
    best = explain(small_model, estimate(zone_km2 / MI2_PER_KM2), tolerance=0.001).iloc[0]
    assert best["hypothesis"] == "unit:mi2-read-as-km2"


def test_at_least_below_the_model_is_consistent(small_model):
    zone_km2 = small_model.value(Scenario(), "2022-01-01")
    table = explain(small_model, estimate(zone_km2 * 0.5, "at least"))
    assert table.iloc[0]["hypothesis"] == "default" and table.iloc[0]["consistent"]
    assert not meets(zone_km2, estimate(zone_km2 * 1.5, "at least"), 0.1)
    assert meets(10.0, estimate(5, "between", value_high=12), 0.1)


def test_implied_depth_reproduces_target_within_a_tenth_of_a_percent(small_model):
    for target in (5.0, 20.0, 40.0):
        found = implied_depth(small_model, target, "2022-01-01")
        got = small_model.value(Scenario(depth_scale=found["depth_scale"]), "2022-01-01")
        assert got == pytest.approx(target, rel=1e-3)
        assert found["average_depth_km"] == pytest.approx(target / found["affected_length_km"])


def test_scenario_dimensions_change_the_value(model):
    on = "2023-01-01"
    base = model.value(Scenario(), on)
    assert model.value(Scenario(method="web-mercator"), on) / base == pytest.approx(1.70, abs=0.03)
    assert model.value(Scenario(time_scope="episode"), on) < base
    assert model.value(Scenario(space_scope="Syunik"), on) < base
    artsvashen = borderkit.load("enclaves").set_index("id").geometry["enclave-artsvashen"]
    assert model.value(Scenario(exclaves=True), on) - base == pytest.approx(area(artsvashen)[0], rel=1e-6)
    assert 90 < model.datum[2] < 120  # Pulkovo 1942 -> WGS84 offset, computed with pyproj
    assert model.value(Scenario(baseline="claim:sev-lake-azerbaijan"), on) < base
    assert Scenario(method="utm").changes() == {"method": "utm"}


def test_ratios_name_the_web_mercator_and_unit_factors(model):
    r = ratios(estimates(), model).set_index(["low", "high"])
    assert "web-mercator" in r.loc[(127.0, 215.0), "explained_by"]
    assert "mi²" in r.loc[(50.0, 127.0), "explained_by"]


def test_reconcile_table_shape(small_model):
    e = estimates().head(2)
    out = reconcile(e, small_model, top=2)
    assert len(out) == 4 and set(out["rank"]) == {1, 2}
    assert out["implied_depth_scale"].notna().all()


def test_validate_estimates_names_the_bad_row():
    good = estimates()
    bad = good.astype({"value": object})
    bad.loc[3, "value"] = "lots"
    with pytest.raises(InputError, match=r"row 5 \(id 'est-50-khudoyan-2022'\): value 'lots' is not a number"):
        validate_estimates(bad)
    bad = good.copy()
    bad.loc[0, "qualifier"] = "roughly"
    with pytest.raises(InputError, match="row 2 .* qualifier 'roughly'"):
        validate_estimates(bad)
    with pytest.raises(InputError, match="lacks column"):
        validate_estimates(good.drop(columns=["date"]))


def test_monte_carlo_same_seed_same_numbers_and_band():
    sectors = borderkit.load("sectors")
    renderings = {n: baseline(n) for n in baselines()}
    dates = ["2021-06-01", "2023-01-01"]
    a = monte_carlo(sectors, renderings, dates, samples=8, seed=3)
    b = monte_carlo(sectors, renderings, dates, samples=8, seed=3)
    c = monte_carlo(sectors, renderings, dates, samples=8, seed=4)
    assert np.array_equal(a.areas_km2, b.areas_km2)
    assert not np.array_equal(a.areas_km2, c.areas_km2)
    band = summarise(a)
    assert (band["p5_km2"] <= band["median_km2"]).all() and (band["median_km2"] <= band["p95_km2"]).all()
    assert (band["median_km2"].diff().dropna() >= 0).all()


def test_monte_carlo_without_randomness_matches_the_exact_model():
    sectors = borderkit.load("sectors").copy()
    sectors["depth_min_km"] = sectors["depth_max_km"] = sectors["depth_km"]
    line, armenia = baseline("soviet_line")
    result = monte_carlo(
        sectors, {"soviet_line": (line, armenia)}, ["2023-01-01"], samples=1, max_shift_m=0, vary_profiles=False
    )
    exact = borderkit.zones.timeline(borderkit.zones.zones(sectors, line, armenia), dates=["2023-01-01"])
    assert result.areas_km2[0, 0] == pytest.approx(exact["area_km2"].iloc[0], rel=0.01)


def test_cli_reconcile(cli, tmp_path):
    result = cli("reconcile", "--samples", "3", "--seed", "1", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert "not findings" in doc["header"][0]
    assert {r["estimate"] for r in doc["explanations"]} >= {"est-127-open-source-2022"}
    assert len(doc["uncertainty"]) >= 5 and doc["ratios"]
    raster = tmp_path / "p.tif"
    table = cli("reconcile", "--samples", "2", "--probability-raster", raster)
    assert table.exit_code == 0 and table.stdout.startswith("These are hypotheses")
    import rasterio

    with rasterio.open(raster) as src:
        assert src.crs is not None and src.nodata == -1.0
        share = src.read(1)
        assert share.max() <= 1.0 and share.max() > 0


def test_cli_reconcile_bad_estimates_file(cli, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "id,value,unit,qualifier,date,who,covers,source\nx,12,km2,about,2022-01-01,me,all,seed-002\n"
        "y,abc,km2,about,2022-01-01,me,all,seed-002\n"
    )
    result = cli("reconcile", "--estimates", path, "--samples", "0")
    assert result.exit_code == 1 and "row 3 (id 'y')" in result.output
