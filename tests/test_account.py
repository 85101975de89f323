"""The account (borderkit.account) on constructed cases whose true component areas are known.

Each test builds components and figures by hand, so what the account should find is known
before it runs: a fit that ignored scopes, weights or one-sided terms, or a mechanism that
explained anything, would fail here.
"""

import dataclasses
import datetime as dt
import math

import pytest

from borderkit.account import (
    MI2_KM2,
    Component,
    Feature,
    Figure,
    Geometry,
    build_account,
    figure_sigma,
    fit,
    rounding_unit,
)

DAY = dt.date(2020, 6, 1)
TRUE = {"a": 30.0, "b": 50.0, "c": 70.0, "old": 40.0}


def comp(cid, start=dt.date(2020, 1, 1), kind="episode", low=1.0, high=500.0):
    return Component(cid, f"component {cid}", start, "XXX", "YYY", kind, low, high)


COMPONENTS = [comp("a"), comp("b"), comp("c"), comp("old", dt.date(1995, 1, 1), "standing")]


def fig(fid, value, components, *, qualifier="about", text=None, date=DAY, who=None, **kw):
    sigma = figure_sigma(text or f"{value:g}", value)
    return Figure(fid, value, qualifier, date, who or fid, tuple(components), sigma, **kw)


def exact(fid, components, factor=1.0, **kw):
    """A figure equal to the true sum of its components (times ``factor``), given to 0.1 km²."""
    value = round(sum(TRUE[c] for c in components) * factor, 1)
    return fig(fid, value, components, text=f"{value:.1f}", **kw)


FIGURES = [
    exact("f-a", ["a"]),
    exact("f-b", ["b"]),
    exact("f-ab", ["a", "b"]),
    exact("f-bc", ["b", "c"]),
    exact("f-abc", ["a", "b", "c"]),
    exact("f-c", ["c"]),
    exact("f-old", ["old"]),
    exact("f-all", ["a", "b", "c", "old"]),
]


def test_precision_follows_the_wording():
    assert [rounding_unit(t) for t in ("41", "40", "200", "2.5", "60.06", "2,700", "145")] == [
        1.0,
        10.0,
        100.0,
        0.5,
        0.01,
        100.0,
        5.0,
    ]
    # "about 41" says more than "about 40", which says more than "about 200"
    assert figure_sigma("41", 41) < figure_sigma("40", 40) < figure_sigma("200", 200)
    assert figure_sigma("41", 41) == pytest.approx(0.05, abs=0.001)  # the floor: rounding to 1 is nothing
    assert figure_sigma("200", 200) == pytest.approx(math.hypot(0.05, 100 / math.sqrt(12) / 200))


def test_fit_recovers_the_true_areas():
    areas = fit(COMPONENTS, FIGURES)
    for cid, value in TRUE.items():
        assert areas[cid] == pytest.approx(value, rel=0.01)


def test_an_outlier_is_flagged_and_does_not_drag_the_fit():
    wild = fig("wild", 300.0, ["a", "b"])
    account = build_account(COMPONENTS, [*FIGURES, wild], resamples=0, null=0)
    areas = {c.id: c.area_km2 for c in account.components}
    for cid, value in TRUE.items():
        assert areas[cid] == pytest.approx(value, rel=0.03)
    status = {f.id: f.status for f in account.figures}
    assert status["wild"] == "outlier"
    assert {s for k, s in status.items() if k != "wild"} == {"fits"}


def test_lower_bounds_are_one_sided_and_parts_are_lower_bounds():
    below = fig("at-least-20", 20.0, ["a", "b"], qualifier="at least")
    above = fig("at-least-200", 200.0, ["a", "b"], qualifier="at least")
    part = fig("part-of-c", 25.0, ["c"], scope="part")  # a figure of part of c: c is at least 25
    account = build_account(COMPONENTS, [*FIGURES, below, above, part], resamples=0, null=0)
    status = {f.id: f.status for f in account.figures}
    assert status["at-least-20"] == "lower-bound-met"
    assert status["part-of-c"] == "fits"  # a part within its whole agrees; it is no bound the account "meets"
    assert status["at-least-200"] == "outlier"
    # a bound that is met does not pull: the same areas as without it
    with_bounds = fit(COMPONENTS, [*FIGURES, below, part])
    assert with_bounds == pytest.approx(fit(COMPONENTS, FIGURES), rel=1e-6)


def test_repeats_are_reported_but_not_fitted():
    restated = fig("restated", 500.0, ["a"], repeats="f-a")  # even a wild restatement changes nothing
    assert fit(COMPONENTS, [*FIGURES, restated]) == pytest.approx(fit(COMPONENTS, FIGURES), rel=1e-9)
    account = build_account(COMPONENTS, [*FIGURES, restated], resamples=0, null=0)
    assert next(f for f in account.figures if f.id == "restated").status == "repeats"


def test_precise_figures_weigh_more_than_rough_ones():
    only = [comp("x")]
    sharp = fig("sharp", 41.0, ["x"])  # about 41: 5%
    rough = Figure("rough", 60.0, "about", DAY, "r", ("x",), 0.3)  # a rough 60: 30%
    area = fit(only, [sharp, rough])["x"]
    assert abs(math.log(area / 41)) < abs(math.log(area / 60)) / 3


def test_intervals_bracket_the_fit_and_are_seeded():
    one = build_account(COMPONENTS, FIGURES, resamples=40, null=0, seed=3)
    two = build_account(COMPONENTS, FIGURES, resamples=40, null=0, seed=3)
    other = build_account(COMPONENTS, FIGURES, resamples=40, null=0, seed=4)
    assert one.components == two.components
    assert [c.high_km2 for c in one.components] != [c.high_km2 for c in other.components]
    for c in one.components:
        assert c.low_km2 <= c.area_km2 <= c.high_km2
    for t in one.totals:
        assert t.low_km2 <= t.area_km2 <= t.high_km2


def test_a_component_no_figure_bears_on_spans_its_prior():
    lonely = comp("lonely", low=10.0, high=40.0)
    account = build_account([*COMPONENTS, lonely], FIGURES, resamples=100, null=0, seed=1)
    got = next(c for c in account.components if c.id == "lonely")
    assert 10.0 <= got.low_km2 < 14 and 30 < got.high_km2 <= 40.0


def test_totals_sum_components_per_date():
    account = build_account(COMPONENTS, FIGURES, resamples=0, null=0)
    areas = {c.id: c.area_km2 for c in account.components}
    by_name = {(t.name, t.components): t.area_km2 for t in account.totals}
    assert ("XXX land held by YYY: all, incl. held before 2020-01-01", ("a", "b", "c", "old")) in by_name
    for (_, ids), value in by_name.items():
        assert value == pytest.approx(sum(areas[c] for c in ids))


# ----------------------------------------------------------------------------- sensitivity
GEOMETRY = {
    "a": Geometry(40.0, (Feature("zones:a1", 10.0, True), Feature("zones:a2", 30.0, True))),
    "b": Geometry(40.0, (Feature("zones:b1", 50.0, True),)),
    "c": Geometry(40.0, (Feature("zones:c1", 70.0, True),), {"other-line": 0.8}),
    "old": Geometry(41.0, (Feature("layer:exclave", 40.0, False),)),
}


def _explained(made: Figure, **kw):
    account = build_account(COMPONENTS, [*FIGURES, made], GEOMETRY, resamples=0, null=0, **kw)
    found = next(f for f in account.figures if f.id == made.id)
    assert found.status == "outlier"
    return found.explanations


@pytest.mark.parametrize(
    "made, mechanism",
    [
        # the three episodes measured on a Web Mercator map at 40° N
        (exact("wm", ["a", "b", "c"], 1 / math.cos(math.radians(40)) ** 2), "web-mercator"),
        # an area in square miles printed as km²
        (exact("mi2", ["a", "b", "c"], 1 / MI2_KM2), "unit-slip"),
        # a figure of a and c that counts only c
        (fig("part", 70.0, ["a", "c"]), "partial-scope"),
        # the episodes counted with the land held before them
        (fig("older", 190.0, ["a", "b", "c"]), "definition"),
        # c measured against another rendering that draws 80% of it
        (fig("line", 56.0, ["c"], text="56.0"), "rendering"),
    ],
    ids=["web-mercator", "unit-slip", "partial-scope", "definition", "rendering"],
)
def test_a_figure_made_by_a_mechanism_is_attributed_to_it(made, mechanism):
    explanations = _explained(made)
    assert explanations and explanations[0].mechanism == mechanism
    assert abs(explanations[0].residual) < 0.5


def test_an_earlier_tally_is_found_and_supported_only_by_its_quote():
    start = dt.date(2020, 6, 1)
    fresh = [*COMPONENTS[:2], comp("c", start), COMPONENTS[3]]
    early = fig("early", 10.0, ["c"], date=start + dt.timedelta(days=1), evidence={"earlier-tally": "so far"})
    account = build_account(fresh, [*FIGURES, early], GEOMETRY, resamples=0, null=0)
    found = next(f for f in account.figures if f.id == "early")
    top = found.explanations[0]
    assert found.status == "outlier"
    assert (top.mechanism, top.support, top.evidence) == ("earlier-tally", "supported", "so far")
    # the same figure a year later is no tally in progress, and without the words only possible
    late = fig("late", 10.0, ["c"], date=start + dt.timedelta(days=365))
    account = build_account(fresh, [*FIGURES, late], GEOMETRY, resamples=0, null=0)
    assert "earlier-tally" not in {e.mechanism for e in account.figures[-1].explanations}


def test_a_restated_earlier_count_is_an_earlier_tally():
    day = dt.date(2020, 3, 1)
    said = [fig("s-a", 20.0, ["a"], date=day, who="office"), fig("s-b", 30.0, ["b"], date=day, who="office")]
    restated = fig("restated", 50.0, ["a", "b"], date=dt.date(2021, 1, 1))
    account = build_account(COMPONENTS, [*FIGURES, *said, restated], GEOMETRY, resamples=0, null=0)
    found = next(f for f in account.figures if f.id == "restated")
    assert found.status == "outlier"
    assert any(e.mechanism == "earlier-tally" and e.value_km2 == pytest.approx(50.0) for e in found.explanations)


def test_figures_that_fit_get_no_explanations():
    account = build_account(COMPONENTS, FIGURES, GEOMETRY, resamples=0, null=0)
    assert all(f.status == "fits" and not f.explanations for f in account.figures)


def test_null_test_is_seeded_and_gives_every_explanation_its_base_rate():
    made = exact("wm", ["a", "b", "c"], 1 / math.cos(math.radians(40)) ** 2)
    one = build_account(COMPONENTS, [*FIGURES, made], GEOMETRY, resamples=0, null=60, seed=5)
    two = build_account(COMPONENTS, [*FIGURES, made], GEOMETRY, resamples=0, null=60, seed=5)
    assert one.null_test == two.null_test
    rates = one.null_test.base_rates
    explanation = next(f for f in one.figures if f.id == "wm").explanations[0]
    assert explanation.base_rate == rates["web-mercator"]
    assert 0 <= one.null_test.fits <= 1 and one.null_test.fits + one.null_test.outliers == pytest.approx(1)


def test_a_bound_missed_within_precision_fits_and_says_by_how_much():
    """'More than 45' against 41.7 is not a bound met: it fits within its precision, and the note says so."""
    base = {c.id: c.area_km2 for c in build_account(COMPONENTS, FIGURES, resamples=0, null=0).components}
    total = base["a"] + base["b"]
    near = fig("more-than-near", round(total * 1.05, 1), ["a", "b"], qualifier="more than")
    account = build_account(COMPONENTS, [*FIGURES, near], resamples=0, null=0)
    found = next(f for f in account.figures if f.id == "more-than-near")
    assert found.fitted_km2 < found.value_km2
    assert found.status == "fits"
    assert "does not quite reach" in found.note and "below" in found.note


def test_parts_are_fitted_and_their_whole_is_their_sum():
    """A figure of a part pins the part; a figure of the whole pins the sum; the whole is reported as the sum."""
    day = dt.date(2020, 1, 1)
    comps = [
        Component("w", "whole", day, "X", "Y", "episode", 1.0),
        Component("w-1", "part 1", day, "X", "Y", "episode", 1.0, part_of="w"),
        Component("w-2", "part 2", day, "X", "Y", "episode", 1.0, part_of="w"),
    ]
    figs = [
        fig("whole", 100.0, ["w"]),
        fig("part-1", 30.0, ["w-1"]),
        fig("whole-again", 101.0, ["w"]),
    ]
    account = build_account(comps, figs, resamples=20, null=0)
    areas = {c.id: c for c in account.components}
    assert areas["w-1"].area_km2 == pytest.approx(30, rel=0.02)
    assert areas["w"].area_km2 == pytest.approx(100.5, rel=0.02)
    assert areas["w"].area_km2 == pytest.approx(areas["w-1"].area_km2 + areas["w-2"].area_km2, rel=1e-12)
    assert areas["w"].low_km2 <= areas["w"].area_km2 <= areas["w"].high_km2
    # a figure of the whole that equals one part is an outlier explained by that part
    partial = fig("only-part-1", 30.0, ["w"])
    found = next(f for f in build_account(comps, [*figs, partial], resamples=0, null=0).figures if f.id == partial.id)
    assert found.status == "outlier"
    top = found.explanations[0]
    assert top.mechanism == "partial-scope" and top.value_km2 == pytest.approx(30, rel=0.02)


def test_words_against_a_mechanism_mark_it_contradicted():
    """An explanation the source's own words rule out is kept, marked contradicted, and ranked last."""
    base = {c.id: c.area_km2 for c in build_account(COMPONENTS, FIGURES, resamples=0, null=0).components}
    value = round((base["a"] + base["b"]) * MI2_KM2**-1, 1)  # the total printed in square miles as km²
    quote = f"{value} square kilometres"
    slip = dataclasses.replace(fig("slip", value, ["a", "b"]), against={"unit-slip": quote})
    found = next(f for f in build_account(COMPONENTS, [*FIGURES, slip], resamples=0, null=0).figures if f.id == "slip")
    unit = [e for e in found.explanations if e.mechanism == "unit-slip"]
    assert unit and unit[0].support == "contradicted" and unit[0].evidence == quote
    assert found.explanations[-1].support == "contradicted"
