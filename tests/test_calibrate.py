"""Zones calibrated to the account: each component's new land holds its fitted area; the band holds the fits."""

import math

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry.polygon import orient

from borderkit.account import build_account
from borderkit.calibrate import account_zones, calibrate, solve
from borderkit.montecarlo import AccountDraws, Quantity, figure_band, monte_carlo
from borderkit.reconcile import to_components, to_figures
from borderkit.registry import baseline, components, figures, load

GEOD = Geod(ellps="WGS84")
LINE = shapely.LineString([(45.5, 39.0), (45.5, 41.0)])  # a straight border, Armenia to the west
LAND = shapely.box(44.0, 39.0, 45.5, 41.0)


def geodesic_km2(geom) -> float:
    """Area straight from GeographicLib, not through borderkit.measure."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    return sum(abs(GEOD.geometry_area_perimeter(orient(p))[0]) for p in parts) / 1e6


@pytest.fixture(scope="module")
def bundled():
    """The bundled account (fit and statuses) and the zones calibrated to it."""
    table = components()
    account = build_account(to_components(table), to_figures(figures()), resamples=0, null=0)
    return account, account_zones(account=account), table


def _sector(sid, comp, lat, **kw):
    return {"sector": sid, "parameter_set": "s", "weight": 1, "name": sid, "component": comp, "shape": "salient",
            "province": "p", "anchor_a_lon": 45.3, "anchor_a_lat": lat, "anchor_b_lon": np.nan, "anchor_b_lat": np.nan,
            "profile": "uniform", "date": "2022-01-01", "end_date": None, "source": "x", "confidence": "low",
            "width_km": np.nan, "depth_km": np.nan, **kw}  # fmt: skip


# ----------------------------------------------------------------------------- the bundled case
def test_each_components_new_land_measures_its_fitted_area(bundled):
    account, cal, table = bundled
    fitted = {c.id: c.area_km2 for c in account.components}
    z = cal.zones[cal.zones["end_date"].isna() | (cal.zones["end_date"] == "")]
    assert set(z["component"]) == {
        "may-2021",
        "sep-2022-jermuk",
        "sep-2022-gegharkunik",
        "sep-2022-kapan",
        "sep-2022-ishkhanasar",
        "tegh-2023",
    }
    earlier = shapely.Polygon()
    for comp in table.sort_values("start")["id"]:
        mine = z[z["component"] == comp]
        if not len(mine):
            continue
        union = shapely.union_all(mine.geometry.to_numpy())
        new = shapely.difference(union, earlier)  # land counts once, in the episode that took it
        assert geodesic_km2(new) == pytest.approx(fitted[comp], rel=0.05), comp
        earlier = shapely.union_all([earlier, union])


def test_the_timeline_total_is_the_accounts_total_of_the_drawn_episodes(bundled):
    account, cal, _ = bundled
    fitted = {c.id: c.area_km2 for c in account.components}
    z = cal.zones
    on = z[(z["date"] <= "2023-04-28") & (z["end_date"].isna() | (z["end_date"].fillna("") >= "2023-04-28"))]
    drawn = set(on["component"])
    assert geodesic_km2(shapely.union_all(on.geometry.to_numpy())) == pytest.approx(
        sum(fitted[c] for c in drawn), rel=0.05
    )


def test_every_drawn_component_says_it_is_calibrated_to_its_account_area(bundled):
    account, cal, _ = bundled
    fitted = {c.id: c.area_km2 for c in account.components}
    for c in cal.components:
        note = next(n for n in cal.notes if n.startswith(c.component + ":"))
        assert f"illustrative extent, calibrated to {fitted[c.component]:.1f} km² from the account" in note
    assert any(n.startswith("nov-2021:") and "not drawn" in n for n in cal.notes)


def test_a_sector_dated_before_its_episode_is_drawn_as_stated_until_the_episode():
    """A position reported before its episode is drawn as stated until the episode, then calibrated with it."""
    early = _sector("early", "c", 39.5, width_km=2.0, depth_km=0.5, date="2022-03-05")
    main = _sector("main", "c", 40.5, width_km=4.0, depth_km=2.0, date="2022-09-13")
    cal = calibrate(pd.DataFrame([early, main]), {"c": 12.0}, LINE, LAND, starts={"c": "2022-09-13"})
    rows = cal.zones[cal.zones["sector"] == "early"].set_index("extent")
    before = rows.loc["as stated, before its episode"]
    assert before["end_date"] < "2022-09-13" <= rows.loc["calibrated", "date"]
    assert before["area_km2"] == pytest.approx(cal.raw.set_index("sector").loc["early", "area_km2"])
    assert "before its episode" in before["dimensions"]


# ----------------------------------------------------------------------------- the method, on a straight border
def test_unreported_widths_fill_what_the_stated_sector_leaves():
    # one salient states 4 km x 2 km (8 km²); another, far along the line, states only 1 km deep
    sectors = pd.DataFrame([_sector("a", "c", 39.5, width_km=4.0, depth_km=2.0), _sector("b", "c", 40.5, depth_km=1.0)])
    cal = calibrate(sectors, {"c": 14.0}, LINE, LAND)
    z = cal.zones.set_index("sector")
    assert geodesic_km2(z.geometry["a"]) == pytest.approx(8.0, rel=0.01)  # stated values stand
    assert z.loc["b", "width_km"] == pytest.approx(6.0, rel=0.02)  # (14 - 8) km² / 1 km
    assert geodesic_km2(shapely.union_all(z.geometry.to_numpy())) == pytest.approx(14.0, rel=0.01)


def test_a_fully_stated_component_scales_its_depths():
    sectors = pd.DataFrame([_sector("a", "c", 39.8, width_km=10.0, depth_km=4.0)])
    cal = calibrate(sectors, {"c": 10.0}, LINE, LAND)  # a quarter of 10 x 4 km
    assert cal.zones.loc[0, "depth_km"] == pytest.approx(1.0, rel=0.01)
    assert cal.components[0].raw_km2 == pytest.approx(40.0, rel=0.01)


def test_solve_finds_the_root_and_says_when_it_cannot():
    calls = []

    def area(lam):
        calls.append(lam)
        return 30.0 * lam if lam <= 1 else 30.0 + 4.0 * (lam - 1)

    lam, got, reached = solve(area, 50.0, True)
    assert reached and got == pytest.approx(50.0, rel=2e-3) and lam == pytest.approx(6.0, rel=1e-2)
    assert len(calls) <= 8
    lam, got, reached = solve(area, 12.0, True)
    assert reached and lam == pytest.approx(0.4, rel=1e-2)
    lam, got, reached = solve(lambda x: min(x, 3.0), 10.0, False)
    assert not reached and got == 3.0
    assert solve(area, 0.0, True) == (0.0, 0.0, True)


# ----------------------------------------------------------------------------- the Monte Carlo band
@pytest.fixture(scope="module")
def band():
    table = components()
    figs = figures()
    account = build_account(to_components(table), to_figures(figs), resamples=60, null=0, seed=0)
    return account, figure_band(account, figs, samples=80, seed=0)


def test_the_band_over_the_account_and_the_geometry_holds_every_figure_that_fits(band):
    account, (_, result) = band
    # the account calls a figure 'fits' within 2 of its own standard units: the band at the same level
    level = 50 * math.erfc(2 / math.sqrt(2))
    lo, hi = np.percentile(result.areas_km2, [level, 100 - level], axis=0)
    index = {q.name: i for i, q in enumerate(result.quantities)}
    fits = [f for f in account.figures if f.status == "fits"]
    assert len(fits) >= 5
    for f in fits:
        i = index[f.id]
        assert lo[i] <= f.value_km2 <= hi[i], (f.id, f.value_km2, lo[i], hi[i])


def test_the_band_is_not_so_wide_that_it_holds_everything(band):
    account, (_, result) = band
    index = {q.name: i for i, q in enumerate(result.quantities)}
    hi = np.percentile(result.areas_km2, 97.7, axis=0)
    civilnet = next(f for f in account.figures if f.id == "civilnet-2023-04-14-total")
    assert civilnet.status == "outlier" and civilnet.value_km2 > hi[index[civilnet.id]]
    draws = result.draws
    assert draws["baseline"].nunique() > 1 and draws.filter(like="set:sec-2022-09-verin-shorzha").nunique().iloc[0] == 2


def test_the_same_seed_gives_the_same_band():
    table = components()
    account = build_account(to_components(table), to_figures(figures()), resamples=10, null=0)
    draws = AccountDraws.from_account(account, dict(zip(table["id"], table["start"], strict=True)))
    q = [Quantity("all", "2023-04-28")]
    base = {"soviet_line": baseline("soviet_line")}
    a = monte_carlo(load("sectors"), base, account=draws, quantities=q, samples=3, seed=5)
    b = monte_carlo(load("sectors"), base, account=draws, quantities=q, samples=3, seed=5)
    assert np.array_equal(a.areas_km2, b.areas_km2)
