"""The account's parts checked one by one, to kill the mutants the whole-account tests let through.

Issue 15 (`make mutation`): the mechanisms, notes and statuses of ``borderkit.account`` are
pure functions of a context (fitted areas, components, geometry, figures), so each is fed a
small hand-built context here and its answer compared with one worked out by hand: a
candidate's value is a sum of areas, its text the sentence a reader should see. Each test
names the wrong code it catches.
"""

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest

from borderkit.account import (
    Component,
    Feature,
    Figure,
    Geometry,
    _best,
    _Candidate,
    _considered,
    _Context,
    _definition,
    _earlier_tally,
    _explain,
    _note,
    _partial,
    _pct,
    _published_parts,
    _random_figure,
    _rendering,
    _status,
    _totals,
    _unit_slip,
    _web_mercator,
    _within,
    _z,
    build_account,
    figure_base_rates,
)

START = dt.date(2021, 5, 12)
SECOND = dt.date(2021, 9, 1)
#: One square mile is 1609.344 m squared (the international mile), in km².
MILE2 = 1.609344**2


def component(cid, start=START, kind="episode", *, pair=("X", "Y"), **kw):
    return Component(cid, f"label {cid}", start, pair[0], pair[1], kind, 1.0, 500.0, **kw)


def figure(fid, value, components, *, day=START, qualifier="about", sigma=0.1, who=None, **kw):
    return Figure(fid, value, qualifier, day, who or f"who {fid}", tuple(components), sigma, **kw)


#: Two episodes and an older holding of the same claimant/holder, one holding of another pair,
#: one ended holding, and a whole with two parts.
COMPONENTS = [
    component("e1"),
    component("e2", SECOND),
    component("old", dt.date(1995, 1, 1), "standing"),
    component("old2", dt.date(1994, 1, 1), "standing"),
    component("gone", dt.date(1993, 1, 1), "standing", end=dt.date(2000, 1, 1)),
    component("theirs", dt.date(1995, 1, 1), "standing", pair=("Y", "X")),
    component("w", START),
    component("w-n", START, part_of="w"),
    component("w-s", START, part_of="w"),
]
AREAS = {"e1": 40.0, "e2": 10.0, "old": 100.0, "old2": 20.0, "gone": 7.0, "theirs": 3.0, "w-n": 6.0, "w-s": 2.0}
AREAS["w"] = AREAS["w-n"] + AREAS["w-s"]


def context(figures=(), geometry=None, areas=None):
    return _Context(areas or AREAS, {c.id: c for c in COMPONENTS}, geometry or {}, list(figures))


def days(n, since=START):
    return since + dt.timedelta(days=n)


# ----------------------------------------------------------------------------- notes and statuses
@pytest.mark.parametrize(
    "fig, fitted, status, expected",
    [
        (figure("r", 40, ["e1"], repeats="f-a"), 40.0, "repeats", "Restates f-a: reported, not fitted a second time."),
        (figure("o", 40, ["e1", "e2"]), 80.0, "outlier", "The account gives 80.0 km² for e1 + e2, 2.00× the figure."),
        (
            figure("p", 40, ["e1"], scope="part"),
            45.0,
            "fits",
            "A part of e1: 40 km² is within the 45.0 km² the account gives the whole.",
        ),
        (
            figure("b", 40, ["e1"], qualifier="at least"),
            45.0,
            "lower-bound-met",
            "A bound: the account's 45.0 km² for e1 is above 40 km².",
        ),
        (
            figure("m", 40, ["e1"], qualifier="more than"),
            38.0,
            "fits",
            "A bound the account does not quite reach: 38.0 km² for e1 is 5% below 40 km², "
            "within its precision (±10%).",
        ),
        (
            figure("up", 40, ["e1"]),
            42.0,
            "fits",
            "The account gives 42.0 km² for e1, +5% from the figure: within its precision (±10%).",
        ),
        (
            figure("down", 40, ["e1", "e2"]),
            35.0,
            "fits",
            "The account gives 35.0 km² for e1 + e2, -12% from the figure: "
            "within twice its precision (the outlier line) (±10%).",
        ),
        (
            figure("tiny", 40, ["e1"]),
            40.2,
            "fits",
            "The account gives 40.2 km² for e1, +0.5% from the figure: within its precision (±10%).",
        ),
    ],
    ids=["repeats", "outlier", "part", "bound-met", "bound-missed", "above", "below-far", "under-1pct"],
)
def test_each_note_reads_as_worked_out_by_hand(fig, fitted, status, expected):
    """Kills a swapped branch, a changed number format, or a sign or ratio turned round in the note."""
    assert _note(fig, fitted, status) == expected


def test_shares_and_precision_words_at_their_limits():
    """Kills ``<`` made ``<=`` in the percentage format, and ``<=`` made ``<`` in 'within its precision'."""
    assert [_pct(0.01), _pct(0.0099), _pct(-0.005), _pct(0.25)] == ["1%", "1.0%", "-0.5%", "25%"]
    assert _within(0.1, 0.1) == "within its precision"
    assert _within(-0.1, 0.1) == "within its precision"
    assert _within(0.1001, 0.1) == "within twice its precision (the outlier line)"


def test_status_thresholds():
    """Kills the outlier line moved off 2 standard units, and a bound met only strictly above it."""
    about = figure("a", 40, ["e1"])
    bound = figure("b", 40, ["e1"], qualifier="more than")
    part = figure("p", 40, ["e1"], scope="part")
    assert _status(about, 2.0) == "fits" and _status(about, -2.0) == "fits"
    assert _status(about, 2.0001) == "outlier" and _status(about, -2.0001) == "outlier"
    assert _status(bound, 0.0) == "lower-bound-met"
    assert _status(bound, -0.5) == "fits"
    assert _status(part, 0.0) == "fits"  # a part is one-sided but no stated bound
    assert _status(dataclasses.replace(about, repeats="x"), 5.0) == "repeats"


def test_z_of_a_range_and_of_a_bound():
    """Kills a range read from its low end only, and a bound that counts being above it as a distance."""
    between = figure("r", 40, ["e1"], qualifier="between", value_high_km2=50.0, sigma=0.1)
    assert _z(between, 45.0) == (0.0, 0.0)
    above = math.log(55 / 50) / 0.1
    assert _z(between, 55.0) == pytest.approx((above, above))
    below = math.log(36 / 40) / 0.1
    assert _z(between, 36.0) == pytest.approx((below, below))
    bound = figure("b", 40, ["e1"], qualifier="at least", sigma=0.1)
    assert _z(bound, 80.0) == (0.0, 0.0)
    assert _z(bound, 36.0) == pytest.approx((below, below))


# ----------------------------------------------------------------------------- mechanisms
def test_unit_slips_use_the_exact_factors_and_only_the_units_the_source_names():
    """Kills a slip factor inverted or changed, and a slip offered for a unit the quote never names."""
    fig = figure("f", 40, ["e1", "e2"])  # the account gives 50
    total = 50.0
    everything = _unit_slip(context(), fig)
    assert all(c.low == c.high for c in everything)
    assert [c.high for c in everything] == pytest.approx([total / MILE2, total * MILE2, total * 100, total / 100])
    assert [c.detail for c in everything] == [
        "an area in square miles printed as km²",
        "km² taken for square miles and converted again",
        "an area in hectares printed as km²",
        "km² taken for hectares and converted",
    ]
    miles = _unit_slip(context(), dataclasses.replace(fig, units_named=("km2", "mi2")))
    assert [c.high for c in miles] == pytest.approx([total / MILE2, total * MILE2])
    hectares = _unit_slip(context(), dataclasses.replace(fig, units_named=("ha", "km2")))
    assert [c.high for c in hectares] == pytest.approx([total * 100, total / 100])
    assert _unit_slip(context(), dataclasses.replace(fig, units_named=("km2",))) == []
    assert _unit_slip(context(), dataclasses.replace(fig, units_named=("mi2",))) == []  # no km² to slip to


def test_a_tally_in_progress_is_an_episode_counted_within_two_weeks_of_its_start():
    """Kills the 14-day window moved at either end, a standing holding treated as an episode, and 'day(s)'."""
    for n, words in [(0, "0 days"), (1, "1 day"), (14, "14 days")]:
        found = _earlier_tally(context(), figure("f", 30, ["e1"], day=days(n)))
        assert found == [_Candidate(0.0, 40.0, f"said {words} after e1 began: a count still in progress")]
    assert _earlier_tally(context(), figure("f", 30, ["e1"], day=days(15))) == []
    assert _earlier_tally(context(), figure("f", 30, ["e1"], day=days(-1))) == []
    # two components: only the one that just began is still being counted; the low end is the rest
    found = _earlier_tally(context(), figure("f", 30, ["e1", "e2"], day=days(3, SECOND)))
    assert found == [_Candidate(40.0, 50.0, "said 3 days after e2 began: a count still in progress")]
    standing = component("fresh-standing", START, "standing")
    ctx = _Context({**AREAS, "fresh-standing": 5.0}, {c.id: c for c in [*COMPONENTS, standing]}, {}, [])
    assert _earlier_tally(ctx, figure("f", 3, ["fresh-standing"], day=days(2))) == []


def test_a_figure_revised_later_is_an_earlier_count():
    """Kills the revision link read the wrong way round (the figure that revises, not the revised)."""
    early = figure("early", 30, ["e1"], day=days(100), qualifier="at least")  # a bound: restates no count
    later = figure("later", 40, ["e1"], day=dt.date(2021, 12, 1), who="Office", supersedes="early")
    found = _earlier_tally(context([early, later]), early)
    assert found == [_Candidate(30, 30, "an earlier count, revised by Office on 2021-12-01 (later)")]
    assert _earlier_tally(context([early, later]), later) == []


def test_restated_counts_are_grouped_by_day_and_source_and_must_cover_the_figure():
    """Kills the restated-count rules: the qualifiers, the scope, 'earlier', disjoint, inside, 90%, and the order."""
    day = dt.date(2021, 12, 1)
    fig = figure("f", 50, ["e1", "e2"], day=day)  # the account gives 50
    oct1, sep20 = dt.date(2021, 10, 1), dt.date(2021, 9, 20)
    kept = [
        figure("x1", 39, ["e1"], day=oct1, who="X"),
        figure("x2", 11, ["e2"], day=oct1, who="X", qualifier="exactly"),
        figure("y1", 52, ["e1", "e2"], day=oct1, who="Y"),
        figure("z1", 49, ["e1", "e2"], day=sep20, who="Z"),
    ]
    dropped = [
        figure("bound", 39, ["e1"], day=dt.date(2021, 10, 2), who="B", qualifier="at least"),
        figure("part", 39, ["e1"], day=dt.date(2021, 10, 3), who="P", scope="part"),
        figure("same-day", 50, ["e1", "e2"], day=day, who="S"),
        figure("later", 50, ["e1", "e2"], day=dt.date(2022, 1, 1), who="L"),
        figure("twice-1", 39, ["e1"], day=dt.date(2021, 9, 4), who="T"),  # groups that fail come first:
        figure("twice-2", 40, ["e1"], day=dt.date(2021, 9, 4), who="T"),  # they must not stop the search
        figure("wider", 150, ["e1", "old"], day=dt.date(2021, 9, 5), who="W"),
        figure("small", 10, ["e2"], day=dt.date(2021, 9, 6), who="V"),
    ]
    found = _earlier_tally(context([kept[2], *dropped, kept[0], kept[1], kept[3], fig]), fig)
    assert found == [
        _Candidate(49, 49, "restates Z's count of 2021-09-20 (49)"),
        _Candidate(50, 50, "restates X's count of 2021-10-01 (39 + 11)"),
        _Candidate(52, 52, "restates Y's count of 2021-10-01 (52)"),
    ]


def test_a_restated_count_covering_exactly_nine_tenths_counts():
    """Kills ``>=`` made ``>`` in the coverage test: 36 of 40 is exactly 0.9 in floating point."""
    areas = {**AREAS, "e1": 36.0, "e2": 4.0}
    fig = figure("f", 40, ["e1", "e2"], day=dt.date(2021, 12, 1))
    earlier = figure("e", 36, ["e1"], day=dt.date(2021, 10, 1), who="X")
    assert _earlier_tally(context([earlier], areas=areas), fig) == [
        _Candidate(36, 36, "restates X's count of 2021-10-01 (36)")
    ]
    short = {**areas, "e1": 35.9, "e2": 4.1}
    assert _earlier_tally(context([earlier], areas=short), fig) == []


def test_published_parts_are_figures_of_a_part_with_when_they_were_said():
    """Kills the part test (subset, not the same figure, a whole of the same scope) and the earlier/later words."""
    fig = figure("f", 60, ["e1", "e2"], day=dt.date(2021, 10, 1))
    others = [
        figure("p-later", 30, ["e1"], day=dt.date(2021, 10, 2), who="A"),
        figure("p-earlier", 8, ["e2"], day=dt.date(2021, 9, 30), who="B"),
        figure("p-same", 31.5, ["e1"], day=dt.date(2021, 10, 1), who="C"),
        figure("p-part", 45, ["e1", "e2"], day=dt.date(2021, 10, 1), who="D", scope="part"),
        figure("whole-same", 50, ["e1", "e2"], who="E"),
        figure("wider", 150, ["e1", "old"], who="F"),
    ]
    found = _published_parts(context([fig, *others]), fig)
    assert found == [
        _Candidate(30, 30, "only the part A reported (later, 2021-10-02) as 30 km² (p-later)"),
        _Candidate(8, 8, "only the part B reported (earlier, 2021-09-30) as 8 km² (p-earlier)"),
        _Candidate(31.5, 31.5, "only the part C reported (the same day, 2021-10-01) as 31.5 km² (p-same)"),
        _Candidate(45, 45, "only the part D reported (the same day, 2021-10-01) as 45 km² (p-part)"),
    ]


def test_a_part_of_a_whole_is_a_published_part_of_it():
    """Kills the parts expansion dropped from the part test (w-n is in w only through the components' tree)."""
    fig = figure("f", 20, ["w"])
    north = figure("n", 6, ["w-n"], who="N")
    assert _published_parts(context([fig, north]), fig) == [
        _Candidate(6, 6, f"only the part N reported (the same day, {START.isoformat()}) as 6 km² (n)")
    ]
    assert _published_parts(context([fig, north]), north) == []  # the whole is no part of its part


def test_partial_scope_of_one_component_of_several_and_of_one_part():
    """Kills the candidates of a partial count: one component of a figure, one part of a whole."""
    assert _partial(context(), figure("f", 5, ["e1", "e2"])) == [
        _Candidate(40, 40, "only e1"),
        _Candidate(10, 10, "only e2"),
    ]
    measured = Component("w-s", "label w-s", START, "X", "Y", "episode", 1.5, 2.5, part_of="w", measured=True)
    comps = [c for c in COMPONENTS if c.id != "w-s"] + [measured]
    ctx = _Context(AREAS, {c.id: c for c in comps}, {}, [])
    assert _partial(ctx, figure("f", 5, ["w"])) == [
        _Candidate(6, 6, "only w-n (label w-n)"),
        _Candidate(1.5, 2.5, "only w-s (label w-s)"),  # a measured part: its measured range
    ]


def test_partial_scope_of_features_shares_the_modelled_rest():
    """Kills the features' split: fixed features as measured, the rest shared by modelled area, none below 0."""
    geometry = {
        "e1": Geometry(features=(Feature("enclave", 10.0, False), Feature("z1", 1.0, True), Feature("z2", 3.0, True)))
    }
    # e1 is 40: the enclave 10, the modelled rest 30 shared 1:3
    assert _partial(context(geometry=geometry), figure("f", 5, ["e1"])) == [
        _Candidate(10, 10, "only enclave"),
        _Candidate(7.5, 7.5, "only z1"),
        _Candidate(22.5, 22.5, "only z2"),
    ]
    crowded = {"e2": Geometry(features=(Feature("enclave", 12.0, False), Feature("z1", 1.0, True)))}
    # e2 is 10, less than its enclave: the modelled zone gets nothing and is not offered
    assert _partial(context(geometry=crowded), figure("f", 5, ["e2"])) == [_Candidate(12, 12, "only enclave")]


def test_definitions_add_or_remove_the_older_holdings_of_the_same_pair():
    """Kills the standing components' selection: same claimant/holder, top level, in force, left out or included."""
    left_out = _definition(context(), figure("f", 5, ["e1", "e2"], day=dt.date(2021, 10, 1)))
    assert left_out == [_Candidate(170, 170, "also counts land held before the episodes (old, old2)")]
    included = _definition(context(), figure("f", 5, ["e1", "old"], day=dt.date(2021, 10, 1)))
    assert included == [
        _Candidate(160, 160, "also counts land held before the episodes (old2)"),
        _Candidate(40, 40, "leaves out land held before the episodes (old)"),
    ]
    assert _definition(context(), figure("f", 5, ["old"])) == []  # no episode: nothing to redefine
    assert _definition(context(), figure("f", 5, ["e1", "theirs"])) == []  # two pairs: no one definition
    # the holding that ended in 2000 is out of force in 2021 but counts on a figure of 1999
    early_episode = component("e0", dt.date(1999, 1, 1))
    ctx = _Context({**AREAS, "e0": 1.0}, {**{c.id: c for c in COMPONENTS}, "e0": early_episode}, {}, [])
    found = _definition(ctx, figure("f", 5, ["e0"], day=dt.date(1999, 6, 1)))
    assert found == [_Candidate(128, 128, "also counts land held before the episodes (old, old2, gone)")]


def test_definition_with_the_line_of_fire():
    """Kills the land in the line of fire dropped, or offered when there is none."""
    geometry = {"e1": Geometry(line_of_fire_km2=0.25), "e2": Geometry(line_of_fire_km2=0.5)}  # under 1 km²
    found = _definition(context(geometry=geometry), figure("f", 5, ["e1", "e2", "old", "old2"]))
    assert found == [
        _Candidate(50, 50, "leaves out land held before the episodes (old, old2)"),
        _Candidate(170.75, 170.75, "also counts the land in the line of fire"),
    ]


def test_web_mercator_uses_each_latitude_and_the_mean_where_unknown():
    """Kills the 1/cos² factor, the mean latitude for a component without one, and the factor printed."""
    geometry = {"e1": Geometry(latitude_deg=60.0), "e2": Geometry(latitude_deg=0.0), "old": Geometry()}
    # e1: 40 × 4 (cos 60° = 1/2); e2: 10 × 1; old: 100 at the mean 30°, × 4/3
    value = 160 + 10 + 400 / 3
    found = _web_mercator(context(geometry=geometry), figure("f", 5, ["e1", "e2", "old"]))
    assert len(found) == 1 and found[0].low == found[0].high == pytest.approx(value)
    assert found[0].detail == f"measured in Web Mercator (×{value / 150:.3f} = 1/cos²φ at the zones' latitude)"
    assert found[0].detail.startswith("measured in Web Mercator (×2.022 ")
    assert _web_mercator(context(geometry={"e1": Geometry()}), figure("f", 5, ["e1"])) == []


def test_renderings_are_weighted_per_component_and_sorted_by_name():
    """Kills the rendering ratio applied to the wrong component, a missing rendering not taken as 1, the order."""
    geometry = {"e1": Geometry(renderings={"B": 1.1, "A": 0.9}), "e2": Geometry(renderings={"A": 1.2})}
    found = _rendering(context(geometry=geometry), figure("f", 5, ["e1", "e2"]))
    assert [c.detail for c in found] == [
        "measured against the line as A draws it",
        "measured against the line as B draws it",
    ]
    assert [c.high for c in found] == pytest.approx([40 * 0.9 + 10 * 1.2, 40 * 1.1 + 10])


def test_best_candidate_is_clamped_into_its_range_and_skips_empty_ones():
    """Kills the clamp into [low, high], the skipped non-positive candidate, and the nearest-first choice."""
    fig = figure("f", 40, ["e1"], sigma=0.1)
    far = _Candidate(10, 20, "far")
    near = _Candidate(30, 35, "near")
    holds = _Candidate(38, 45, "holds")
    assert _best(fig, [_Candidate(0, 0, "empty")]) is None
    cand, value, residual = _best(fig, [far, near])
    assert (cand, value) == (near, 35) and residual == pytest.approx(math.log(40 / 35) / 0.1)
    cand, value, residual = _best(fig, [far, holds, near])
    assert (cand, value, residual) == (holds, 40, 0.0)
    low = _best(figure("g", 40, ["e1"], sigma=0.1), [_Candidate(50, 60, "above")])
    assert low[1] == 50 and low[2] == pytest.approx(math.log(40 / 50) / 0.1)


def test_explanations_are_within_one_unit_and_ranked_by_support_then_distance():
    """Kills the explanation threshold (1 standard unit) and the ranking (support first, then residual)."""
    fig = figure(
        "f", 52.0, ["e1", "e2"], day=dt.date(2022, 1, 1), sigma=0.05, units_named=("km2",),
        evidence={"rendering": "as B draws it"}, against={"definition": "not counting old land"},
    )  # fmt: skip
    geometry = {"e1": Geometry(renderings={"B": 1.05})}  # 40 × 1.05 + 10 = 52: exact
    areas = {**AREAS, "old": 1.0, "old2": 1.5}  # with the older holdings: 52.5, off by 0.19 units
    found = _explain(context([fig], geometry, areas), fig, {"rendering": 0.25})
    assert [(e.mechanism, e.support) for e in found] == [("rendering", "supported"), ("definition", "contradicted")]
    assert found[0].evidence == "as B draws it" and found[0].base_rate == 0.25
    assert found[1].evidence == "not counting old land" and found[1].base_rate is None
    assert found[1].residual == pytest.approx(math.log(52 / 52.5) / 0.05)


# ----------------------------------------------------------------------------- totals, null test, intervals
def test_totals_follow_each_episode_and_the_older_holdings():
    """Kills the totals' dates, the in-force test, and the all-held total added only when it adds something."""
    comps = [c for c in COMPONENTS if c.part_of is None and c.id != "w"]
    figs = [figure("f", 50, ["e1", "e2"], day=dt.date(2022, 1, 1))]
    found = _totals(comps, figs)
    assert found == [
        ("X land held by Y: taken since 2021-05-12", START, ("e1",)),
        ("X land held by Y: taken since 2021-05-12", SECOND, ("e1", "e2")),
        ("X land held by Y: all, incl. held before 2021-05-12", dt.date(2022, 1, 1), ("e1", "e2", "old", "old2")),
        ("Y land held by X: all", dt.date(2022, 1, 1), ("theirs",)),
    ]


def test_random_figures_of_the_null_test_draw_within_the_catalogue():
    """Kills the random figure's draws: a real date, one claimant/holder's live components, any number of them."""
    comps = [c for c in COMPONENTS if c.id not in ("w", "w-n", "w-s")]
    figs = [
        figure("a", 10, ["e1"], day=dt.date(2021, 6, 1)),
        figure("b", 1000, ["e1", "e2"], day=dt.date(2021, 10, 1)),
        figure("part", 5000, ["e1"], day=dt.date(2021, 10, 1), scope="part"),
    ]
    rng = np.random.default_rng(7)
    drawn = [_random_figure(i, comps, figs, rng) for i in range(300)]
    assert {f.date for f in drawn} == {dt.date(2021, 6, 1), dt.date(2021, 10, 1)}
    assert all(10 <= f.value_km2 <= 1000 for f in drawn)  # the part's 5000 is no whole figure's value
    assert all(f.value_km2 == float(f"{f.value_km2:.2g}") for f in drawn)
    assert all(f.qualifier == "about" and f.id == f"null-{i}" for i, f in enumerate(drawn))
    pair_of = {c.id: (c.claimant, c.holder) for c in comps}
    assert all(len({pair_of[c] for c in f.components}) == 1 for f in drawn)
    assert all(len(set(f.components)) == len(f.components) for f in drawn)  # without replacement
    assert all("e2" not in f.components for f in drawn if f.date < SECOND)  # not yet taken
    assert all("gone" not in f.components for f in drawn)  # no longer held
    sizes = {len(f.components) for f in drawn if f.date == dt.date(2021, 10, 1) and "theirs" not in f.components}
    assert sizes == {1, 2, 3, 4}  # one component up to all four of X/Y in force then


def test_whole_of_parts_gets_summed_priors_counts_and_intervals():
    """Kills a whole's prior, figure count and interval taken from one part instead of all of them."""
    day = dt.date(2020, 1, 1)
    comps = [
        Component("w", "whole", day, "X", "Y", "episode", 1.0),
        Component("w-1", "part 1", day, "X", "Y", "episode", 2.0, 40.0, part_of="w"),
        Component("w-2", "part 2", day, "X", "Y", "episode", 3.0, 90.0, part_of="w"),
        Component("v", "other", day, "X", "Y", "episode", 1.0, 50.0),
    ]
    figs = [
        figure("whole", 100.0, ["w"], day=day),
        figure("part-1", 30.0, ["w-1"], day=day),
        figure("part-1b", 33.0, ["w-1"], day=day),
        figure("v", 20.0, ["v"], day=day),
    ]
    account = build_account(comps, figs, resamples=0, null=0)
    got = {c.id: c for c in account.components}
    assert (got["w"].prior_low_km2, got["w"].prior_high_km2) == (5.0, 130.0)
    assert (got["w-1"].prior_low_km2, got["w-1"].prior_high_km2) == (2.0, 40.0)
    assert {k: c.n_figures for k, c in got.items()} == {"w": 3, "w-1": 3, "w-2": 1, "v": 1}
    assert (got["w"].part_of, got["w-1"].part_of, got["v"].part_of) == (None, "w", None)
    rows = account.replicates  # one leave-one-out refit per figure, columns in the components' order
    assert rows.shape == (4, 4)
    assert rows[:, 0] == pytest.approx(rows[:, 1] + rows[:, 2], rel=1e-12)
    for j, c in enumerate(account.components):
        assert (c.low_km2, c.high_km2) == pytest.approx((rows[:, j].min(), rows[:, j].max()), rel=1e-12)
    (total,) = account.totals
    assert total.components == ("w", "v")
    assert total.area_km2 == pytest.approx(got["w"].area_km2 + got["v"].area_km2, rel=1e-12)
    sums = rows[:, 0] + rows[:, 3]
    assert (total.low_km2, total.high_km2) == pytest.approx((sums.min(), sums.max()), rel=1e-12)
    # leaving out "v", the only figure of v, frees it: its interval is wider than any one fit
    assert got["v"].high_km2 - got["v"].low_km2 > 1.0


def test_in_force_from_the_start_day_to_the_end_day():
    """Kills the start or end day left out of a component's time in force, or either test dropped."""
    held = component("h", dt.date(2000, 1, 1), "standing", end=dt.date(2000, 12, 31))
    days_in = [dt.date(1999, 12, 31), dt.date(2000, 1, 1), dt.date(2000, 12, 31), dt.date(2001, 1, 1)]
    assert [held.in_force(d) for d in days_in] == [False, True, True, False]
    assert [component("open", dt.date(2000, 1, 1)).in_force(d) for d in days_in] == [False, True, True, True]


def test_a_revision_the_catalogue_draws_is_cited_as_its_reading_without_a_base_rate():
    """Kills the catalogue's link (supersedes) lost, inverted or claimed for a candidate that is not it."""
    rates = {"earlier-tally": 0.3}
    revised = figure("early", 30, ["e1"], day=days(100))
    later = figure("later", 40, ["e1"], day=dt.date(2021, 12, 1), supersedes="early")
    (top,) = [e for e in _explain(context([revised, later]), revised, rates) if e.mechanism == "earlier-tally"]
    assert (top.value_km2, top.residual, top.support, top.base_rate) == (30, 0.0, "possible", None)
    assert top.evidence == "the catalogue's reading: later revises it"
    assert top.detail == "an earlier count, revised by who later on 2021-12-01 (later)"
    # said three days into e1, the tally in progress is the nearer candidate: a number match, with its base rate
    fresh = figure("fresh", 30, ["e1"], day=days(3))
    again = figure("again", 40, ["e1"], day=dt.date(2021, 12, 1), supersedes="fresh")
    (top,) = [e for e in _explain(context([fresh, again]), fresh, rates) if e.mechanism == "earlier-tally"]
    assert top.detail.startswith("said 3 days after e1 began")
    assert (top.support, top.evidence, top.base_rate) == ("possible", None, 0.3)


def test_one_standard_unit_exactly_explains_and_is_not_merely_considered():
    """Kills the explanation line (1 unit) made strict, and what was considered (beyond it) made inclusive."""
    fig = figure("f", 52.0, ["e1", "e2"], day=dt.date(2022, 1, 1), sigma=math.log(52 / 40), units_named=("km2",))
    found = _explain(context([fig]), fig, {})
    assert ("partial-scope", "only e1", 1.0) in [(e.mechanism, e.detail, e.residual) for e in found]
    assert "partial-scope" not in [e.mechanism for e in _considered(context([fig]), fig, {})]


def test_what_was_considered_is_the_nearest_mechanisms_that_miss():
    """Kills the considered candidates dropped, or taken from the mechanisms that do explain."""
    fig = figure("f", 52.0, ["e1", "e2"], day=dt.date(2022, 1, 1), sigma=0.05, units_named=("km2",))
    geometry = {"e1": Geometry(renderings={"B": 1.05})}  # 52: explains
    tried = _considered(context([fig], geometry), fig, {"partial-scope": 0.5})
    assert [(e.mechanism, e.detail, e.value_km2, e.base_rate) for e in tried] == [
        ("partial-scope", "only e1", 40.0, 0.5),
        ("definition", "also counts land held before the episodes (old, old2)", 170.0, None),
    ]
    assert tried[0].residual == pytest.approx(math.log(52 / 40) / 0.05)


def test_a_figures_base_rates_do_not_depend_on_its_own_value_precision_or_range():
    """Kills the random trial keeping the figure's own precision or upper end instead of the drawn value's."""
    whole = [figure("lo", 5, ["e2"]), figure("hi", 400, ["e1", "e2", "old"])]
    ctx = context(whole)
    plain = figure("f", 50, ["e1", "e2"], day=dt.date(2022, 1, 1), units_named=("km2",))
    rates = figure_base_rates(ctx, plain, 40, np.random.default_rng(1))
    assert 0 < rates["partial-scope"] < 1  # some random values are outliers that one of e1, e2 explains
    loose = dataclasses.replace(plain, sigma=5.0)  # its own precision: nothing would be an outlier
    assert figure_base_rates(ctx, loose, 40, np.random.default_rng(1)) == rates
    ranged = dataclasses.replace(plain, qualifier="between", value_high_km2=1000.0)
    assert figure_base_rates(ctx, ranged, 40, np.random.default_rng(1)) == rates


def test_the_null_test_counts_what_explains_and_ignores_a_rejected_figure():
    """Kills the share of explained random figures miscounted, and the account's rejected figure let back in.

    A wild figure the account rejects (weight 0) must leave the null test exactly as without it:
    same dates, same value range, same fitted areas.
    """
    from tests.test_account import COMPONENTS as BASE
    from tests.test_account import FIGURES as BASE_FIGURES
    from tests.test_account import GEOMETRY as BASE_GEOMETRY
    from tests.test_account import fig as base_fig

    plain = build_account(BASE, BASE_FIGURES, BASE_GEOMETRY, resamples=0, null=30, seed=3).null_test
    assert (plain.n, plain.seed) == (30, 3)
    assert plain.fits + plain.outliers == pytest.approx(1.0)
    assert max(plain.base_rates.values()) <= plain.explained_any <= plain.outliers
    assert 0 < plain.explained_any < plain.outliers  # some random outliers are explained, not all
    assert plain.explained_any <= sum(plain.base_rates.values())
    wild = base_fig("wild", 100.0, ["a"])  # a is 30: an outlier, inside the catalogue's range of values
    with_wild = build_account(BASE, [*BASE_FIGURES, wild], BASE_GEOMETRY, resamples=0, null=30, seed=3)
    assert next(f for f in with_wild.figures if f.id == "wild").status == "outlier"
    assert with_wild.null_test.fits == plain.fits and with_wild.null_test.base_rates == plain.base_rates
    assert with_wild.null_test.explained_any == plain.explained_any


def test_precision_of_figures_written_with_spaces_or_trailing_decimal_zeros():
    """Kills the spaces of "2 700" kept, and a decimal's trailing zeros dropped ("2.50" is to the hundredth)."""
    from borderkit.account import rounding_unit

    assert rounding_unit("2 700") == 100.0 and rounding_unit("12 345") == 5.0
    assert rounding_unit("2.50") == 0.01 and rounding_unit("60.0") == 0.1 and rounding_unit("30") == 10.0


def test_small_candidates_count_and_an_empty_one_is_skipped_not_the_end():
    """Kills candidates below 1 km² thrown away, the search stopped at an empty one, and the floor of the clamp."""
    fig = figure("f", 0.5, ["e1"], sigma=0.1)
    assert _best(fig, [_Candidate(0, 0, "empty"), _Candidate(0.5, 0.5, "small")])[1:] == (0.5, 0.0)
    assert _best(fig, [_Candidate(0, 40, "from nothing")])[1:] == (0.5, 0.0)
    geometry = {"e2": Geometry(features=(Feature("enclave", 0.5, False), Feature("z1", 1.0, True)))}
    assert _partial(context(geometry=geometry), figure("f", 5, ["e2"])) == [
        _Candidate(0.5, 0.5, "only enclave"),
        _Candidate(9.5, 9.5, "only z1"),
    ]


# ----------------------------------------------------------------------------- the account as reported
def _base_case():
    from tests.test_account import COMPONENTS as BASE
    from tests.test_account import FIGURES as BASE_FIGURES
    from tests.test_account import GEOMETRY as BASE_GEOMETRY
    from tests.test_account import fig as base_fig

    return BASE, BASE_FIGURES, BASE_GEOMETRY, base_fig


def test_each_figure_is_reported_with_its_own_wording_and_what_was_tried():
    """Kills a reported figure's qualifier, scope, source, components, restatement or considered list dropped."""
    base, figures, geometry, base_fig = _base_case()
    made = [
        base_fig("wild", 100.0, ["a"]),
        base_fig("bound", 20.0, ["a", "b"], qualifier="at least", who="Office"),
        base_fig("part", 25.0, ["c"], scope="part"),
        base_fig("again", 30.0, ["a"], repeats="f-a"),
    ]
    account = build_account(base, [*figures, *made], geometry, resamples=0, null=1)
    for given, got in zip([*figures, *made], account.figures, strict=True):
        assert (got.id, got.value_km2, got.qualifier, got.scope, got.date, got.who) == (
            given.id, given.value_km2, given.qualifier, given.scope, given.date, given.who,
        )  # fmt: skip
        assert (got.components, got.repeats) == (given.components, given.repeats)
    by_id = {f.id: f for f in account.figures}
    assert {k: by_id[k].status for k in ("wild", "bound", "part", "again")} == {
        "wild": "outlier", "bound": "lower-bound-met", "part": "fits", "again": "repeats",
    }  # fmt: skip
    assert by_id["again"].note == "Restates f-a: reported, not fitted a second time."
    assert all(f.explanations == () and f.considered == () for f in account.figures if f.status != "outlier")
    wild = by_id["wild"]
    assert isinstance(wild.considered, tuple) and 1 <= len(wild.considered) <= 3
    assert all(e.base_rate in (0.0, 1.0) for e in (*wild.explanations, *wild.considered))  # one random value


def test_a_rejected_figure_does_not_pull_the_account_at_all():
    """Kills the refit without the outliers skipped, or refitted with them: the areas equal those without it."""
    base, figures, geometry, base_fig = _base_case()
    without = {c.id: c.area_km2 for c in build_account(base, figures, resamples=0, null=0).components}
    wild = base_fig("wild", 100.0, ["a"])
    with_wild = {c.id: c.area_km2 for c in build_account(base, [*figures, wild], resamples=0, null=0).components}
    assert with_wild == pytest.approx(without, rel=1e-5)


def test_intervals_are_the_leave_one_out_range_widened_to_the_resampled_5_to_95_percent():
    """Kills the interval's percentiles, its axis, and the split between left-out refits and resamples."""
    base, figures, geometry, base_fig = _base_case()
    account = build_account(base, [*figures, base_fig("wild", 100.0, ["a"])], resamples=30, null=0, seed=2)
    rows, m = account.replicates, len(figures) + 1
    assert rows.shape == (m + 30, len(base))
    low = np.minimum(rows[:m].min(axis=0), np.percentile(rows[m:], 5, axis=0))
    high = np.maximum(rows[:m].max(axis=0), np.percentile(rows[m:], 95, axis=0))
    assert [c.low_km2 for c in account.components] == pytest.approx(low.tolist(), rel=1e-12)
    assert [c.high_km2 for c in account.components] == pytest.approx(high.tolist(), rel=1e-12)
    # the resamples differ from one another: the figures are drawn again each time
    assert np.ptp(rows[m:, 0]) / rows[m:, 0].mean() > 1e-3
    assert np.isfinite(rows).all()


def test_a_measured_range_binds_like_a_precise_figure():
    """Kills a measured component's range treated as a model's soft range, labels dropped, and a null test of 1.

    A component whose drawn feature measures 10 to 12 km² is not moved to 20 by one figure: that
    figure is the outlier. A modelled range as wide lets the figure have its way.
    """
    day = dt.date(2020, 1, 1)
    measured = Component("m", "measured zone", day, "X", "Y", "episode", 10.0, 12.0, measured=True)
    modelled = dataclasses.replace(measured, measured=False)
    said = [figure("twenty", 20.0, ["m"], day=day, sigma=0.05)]
    tight = build_account([measured], said, resamples=0, null=1)
    assert tight.figures[0].status == "outlier" and 10.0 <= tight.components[0].area_km2 <= 12.0
    assert tight.components[0].label == "measured zone" and tight.null_test.n == 1
    loose = build_account([modelled], said, resamples=0, null=0)
    assert loose.figures[0].status == "fits" and loose.components[0].area_km2 > 18.0


# ----------------------------------------------------------------------------- base rates, archives
def test_a_part_figures_base_rate_does_not_count_the_figure_itself():
    """The trials stand in for the figure: its own value is no 'published part' that explains them."""
    part = figure("p", 100.0, ["e1"], scope="part")  # a bound above the account's 40: its trials can be outliers
    ctx = context([part, figure("whole", 30.0, ["e1"]), figure("big", 400.0, ["e1"])])
    rates = figure_base_rates(ctx, part, 400, np.random.default_rng(0))
    assert rates["partial-scope"] == 0.0  # only 'p' itself is a published part of e1 here


def test_an_exact_component_is_held_however_many_figures_agree_against_it():
    """Two figures agreeing on 30 cannot move a measurement of 20: both are outliers."""
    measured = Component("m", "measured", START, "X", "Y", "episode", 20.0, 20.0, measured=True, exact=True)
    figs = [figure("a", 30.0, ["m"], sigma=0.05), figure("b", 30.0, ["m"], sigma=0.05), figure("c", 20.0, ["m"])]
    account = build_account([measured], figs, {}, resamples=5, null=0, seed=0)
    (result,) = account.components
    assert result.area_km2 == pytest.approx(20.0, rel=1e-6) and result.high_km2 == pytest.approx(20.0, rel=1e-6)
    status = {f.id: f.status for f in account.figures}
    assert status == {"a": "outlier", "b": "outlier", "c": "fits"}


def test_a_measured_period_is_counted_in_totals_from_its_end():
    later = dt.date(2021, 6, 30)
    measured = Component("m", "measured", START, "X", "Y", "episode", 20.0, 20.0, exact=True, complete=later)
    assert not measured.in_force(START) and measured.in_force(later) and measured.counted_from == later
    (total,) = [t for t in _totals([measured], [figure("a", 20.0, ["m"], day=later)]) if "taken since" in t[0]]
    assert total[1] == later and f"taken since {START.isoformat()}" in total[0]


def test_variants_replace_their_component_in_the_figure():
    """Other dates, definitions and maps give the figure with one component measured another way."""
    from borderkit.account import Geometry, Variant, _definition, _other_dates

    geometry = {"e2": Geometry(variants=(Variant("other-dates", "a month later", 25.0),
                                         Variant("definition", "gains alone", 12.5),
                                         Variant("rendering", "on B's maps", 8.0)))}  # fmt: skip
    fig = figure("f", 70.0, ["e1", "e2"])
    ctx = context([fig], geometry)
    dates = _other_dates(ctx, fig)
    assert [(c.low, c.detail) for c in dates] == [(40.0 + 25.0, "e2 a month later")]
    assert (40.0 + 12.5, "e2 gains alone") in [(c.low, c.detail) for c in _definition(ctx, fig)]
    assert (40.0 + 8.0, "e2 on B's maps") in [(c.low, c.detail) for c in _rendering(ctx, fig)]
    assert _other_dates(ctx, figure("g", 40.0, ["e1"])) == []  # e1 has no variants
