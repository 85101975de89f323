"""The account: one consistent set of component areas behind many published figures.

Published area figures disagree because they measure different things: one episode, all
episodes since a date, or everything held including older holdings. Each figure is a sum
of **components** (the land taken in one episode, or held since before the crisis), and
its source says which. The account finds the component areas that best fit every
independent figure at once, so that a figure that does not fit stands out instead of being
absorbed, and only such an **outlier** is offered explanations.

Why each choice (see also ``docs/methodology.md``):

- **Relative (log) error.** "41" and "215" are equally wrong when 10% off.
- **Precision from the wording.** A figure rounded to tens ("about 200") says less than one
  given to the unit ("41"): its rounding width sets its uncertainty, on top of a floor that
  any two honest measurements of the same land differ by (:func:`figure_sigma`).
- **One-sided terms.** "At least X" and a figure of *part* of a component only say the
  component sum is not below X.
- **A weak prior from the geometry.** A component's modelled zones bound what it can be;
  inside that range the prior is flat, so the figures decide.
- **Heavy tails.** A soft-L1 then Cauchy loss lets a figure that disagrees with the rest be
  an outlier rather than drag every component towards it.
- **Intervals** from refits with each figure left out and with the figures resampled.
- **Explanations are tested against chance.** The null test injects random figures into the
  account; how often a mechanism "explains" them is its base rate, reported beside every
  explanation it gives.

Pure: no I/O, no printing, no place names. Components, figures and their geometry are data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import functools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from scipy.optimize import least_squares

from borderkit.measure import UNITS

__all__ = [
    "QUALIFIERS",
    "LOWER_BOUNDS",
    "SCOPES",
    "KINDS",
    "STATUSES",
    "SUPPORTS",
    "MECHANISMS",
    "Component",
    "Feature",
    "Variant",
    "Geometry",
    "Figure",
    "Explanation",
    "FigureResult",
    "ComponentResult",
    "Total",
    "NullTest",
    "Account",
    "Mechanism",
    "figure_sigma",
    "figure_base_rates",
    "rounding_unit",
    "expansion",
    "top_level",
    "fit",
    "build_account",
]

QUALIFIERS = ("about", "exactly", "at least", "more than", "between")
#: Qualifiers that bound a figure from below only.
LOWER_BOUNDS = ("at least", "more than")
#: ``whole``: the figure is the sum of its components; ``part``: of a part of them (a lower bound).
SCOPES = ("whole", "part")
#: ``episode``: land taken in one episode of the crisis; ``standing``: held since before it.
KINDS = ("episode", "standing")
STATUSES = ("fits", "lower-bound-met", "outlier", "repeats")
#: How far a source's own words bear on an explanation, strongest first.
SUPPORTS = ("supported", "possible", "contradicted")

#: Relative uncertainty every figure has at least: the renderings of one line alone change an
#: area by several percent, so two honest counts of the same land differ by about this much.
FLOOR = 0.05
#: A figure further than this many standard units from the account is an outlier.
Z_OUTLIER = 2.0
#: A mechanism explains an outlier when it reproduces the figure within this many of the
#: figure's standard units: stricter than "fits", because the mechanism is chosen after the
#: residual was seen.
Z_EXPLAINS = 1.0
#: Width (log units) of the prior's soft walls outside a modelled component's geometric range.
PRIOR_SIGMA = 0.5
#: A figure said within this many days of an episode's start may be a tally still in progress.
TALLY_DAYS = 14
#: An earlier tally restates a figure's quantity when it covers this share of it.
COVERAGE = 0.9
#: km² in one square mile, and in one hectare.
MI2_KM2 = UNITS["mi2"] / UNITS["km2"]
HA_KM2 = UNITS["ha"] / UNITS["km2"]
_THETA_BOUNDS = (math.log(1e-3), math.log(1e6))


# ----------------------------------------------------------------------------- data
@dataclasses.dataclass(frozen=True)
class Component:
    """One quantity figures are made of: land of ``claimant`` held by ``holder`` from ``start``.

    ``prior_low_km2``/``prior_high_km2`` is the range its geometry allows; ``inf`` above when
    the geometry covers only part of it (land no layer draws). ``part_of`` names the
    component this one is a part of: a component with parts is their sum (a figure may
    name the whole or any part, and a source that counts one province or one area is read
    on its part), and only parts without parts of their own are fitted. ``measured``: its
    range is a measurement (a drawn feature across renderings of the line), not a model's,
    so the range binds as tightly as a precise figure would (:data:`FLOOR`), not weakly.
    ``exact``: the component *is* a measurement with no spread (a monitor's archive
    measured between two dates, :mod:`borderkit.archives`), held at its value in every fit:
    a figure that misses it is an outlier, however many figures agree with each other.
    ``complete``: the day its quantity is all in place (a period's end), from which totals
    count it; None: its ``start``.
    """

    id: str
    label: str
    start: dt.date
    claimant: str
    holder: str
    kind: str
    prior_low_km2: float
    prior_high_km2: float = math.inf
    end: dt.date | None = None
    part_of: str | None = None
    measured: bool = False
    exact: bool = False
    complete: dt.date | None = None

    @property
    def counted_from(self) -> dt.date:
        """Return the day from which totals count the component: ``complete``, else ``start``."""
        return self.complete or self.start

    def in_force(self, on: dt.date) -> bool:
        """Return whether the component is counted on a date (complete, not ended)."""
        return self.counted_from <= on and (self.end is None or on <= self.end)


@dataclasses.dataclass(frozen=True)
class Feature:
    """A piece of a component's geometry.

    ``modelled`` zones stand for a share of the fitted area (their shapes are hypotheses);
    other features (an enclave's polygon) are measured as they are.
    """

    ref: str
    area_km2: float
    modelled: bool


@dataclasses.dataclass(frozen=True)
class Variant:
    """The same component measured another way, for the mechanism ``key`` to offer.

    A component measured from a monitor's archive can be counted over other dates
    (``other-dates``), by another definition (``definition``: gains only, or the ground held
    rather than its change) or from another monitor's maps (``rendering``); ``area_km2``
    is that measurement, ``detail`` says how it was made.
    """

    key: str
    detail: str
    area_km2: float


@dataclasses.dataclass(frozen=True)
class Geometry:
    """What the geometry of one component tells the mechanisms.

    Parameters
    ----------
    latitude_deg
        Area-weighted mean latitude (for the Web Mercator factor); None without geometry.
    features
        The pieces the component covers.
    renderings
        Area under another rendering of the line divided by the area on the default one.
    line_of_fire_km2
        Land beyond the component exposed to fire, where the case measures it (else 0).
    variants
        The component measured other ways (:class:`Variant`), where the case can.
    """

    latitude_deg: float | None = None
    features: tuple[Feature, ...] = ()
    renderings: Mapping[str, float] = dataclasses.field(default_factory=dict)
    line_of_fire_km2: float = 0.0
    variants: tuple[Variant, ...] = ()


@dataclasses.dataclass(frozen=True)
class Figure:
    """One published figure, in km², with the components its source says it covers.

    ``sigma`` is its relative standard uncertainty (see :func:`figure_sigma`); ``evidence``
    maps a mechanism key to the words of the quote that support it, ``against`` to the words
    that contradict it (an explanation the source's own words rule out is kept, marked
    ``contradicted``, so a reader sees it was considered). ``units_named`` lists the units
    the quote names (``km2``, ``mi2``, ``ha``): a unit slip is only considered between units
    the source itself uses (None: not known, every slip is considered).
    """

    id: str
    value_km2: float
    qualifier: str
    date: dt.date
    who: str
    components: tuple[str, ...]
    sigma: float
    value_high_km2: float | None = None
    scope: str = "whole"
    repeats: str | None = None
    supersedes: str | None = None
    evidence: Mapping[str, str] = dataclasses.field(default_factory=dict)
    against: Mapping[str, str] = dataclasses.field(default_factory=dict)
    units_named: tuple[str, ...] | None = None

    @property
    def one_sided(self) -> bool:
        """Whether the figure only bounds its components' sum from below."""
        return self.scope == "part" or self.qualifier in LOWER_BOUNDS


@dataclasses.dataclass(frozen=True)
class Explanation:
    """A mechanism that reproduces an outlier: its value, the figure's residual against it, its support."""

    mechanism: str
    detail: str
    value_km2: float
    residual: float
    support: str
    evidence: str | None
    base_rate: float | None


@dataclasses.dataclass(frozen=True)
class FigureResult:
    """A figure in the account: its fitted value, residual in standard units, status, explanations."""

    id: str
    value_km2: float
    qualifier: str
    scope: str
    date: dt.date
    who: str
    components: tuple[str, ...]
    fitted_km2: float
    z: float
    status: str
    explanations: tuple[Explanation, ...]
    repeats: str | None = None
    note: str = ""
    considered: tuple[Explanation, ...] = ()


@dataclasses.dataclass(frozen=True)
class ComponentResult:
    """A component's fitted area with its interval, its prior, and how many figures bear on it."""

    id: str
    label: str
    area_km2: float
    low_km2: float
    high_km2: float
    prior_low_km2: float
    prior_high_km2: float
    n_figures: int
    part_of: str | None = None


@dataclasses.dataclass(frozen=True)
class Total:
    """A named sum of components on a date, with an interval."""

    name: str
    date: dt.date
    components: tuple[str, ...]
    area_km2: float
    low_km2: float
    high_km2: float


@dataclasses.dataclass(frozen=True)
class NullTest:
    """How the account treats random figures: share that fit, and each mechanism's base rate."""

    n: int
    seed: int
    fits: float
    outliers: float
    base_rates: Mapping[str, float]
    explained_any: float = math.nan


@dataclasses.dataclass(frozen=True)
class Account:
    """The joint account: components, figures, totals and the null test.

    ``replicates`` holds the refitted component areas behind the intervals (one row per
    refit: each figure left out, then each resampling; columns in the order of
    ``components``), so that other uncertainty (the geometry's Monte Carlo) can be
    combined with the account's own.
    """

    components: tuple[ComponentResult, ...]
    figures: tuple[FigureResult, ...]
    totals: tuple[Total, ...]
    null_test: NullTest | None
    resamples: int
    seed: int
    replicates: np.ndarray | None = dataclasses.field(default=None, repr=False, compare=False)


# ----------------------------------------------------------------------------- precision
def rounding_unit(text: str) -> float:
    """Return the place value a figure was rounded to, as written.

    Trailing zeros of a whole number are not significant ("200" is rounded to hundreds, "40"
    to tens); a last digit 5 is taken as rounded to fives ("45", "2.5"), as people round.

    Examples
    --------
    >>> [rounding_unit(t) for t in ("41", "40", "200", "2.5", "60.06", "2,700")]
    [1.0, 10.0, 100.0, 0.5, 0.01, 100.0]
    """
    number = decimal.Decimal(text.strip().replace(",", "").replace(" ", ""))
    _, stored, exponent = number.normalize().as_tuple() if "." not in text else number.as_tuple()
    digits = list(stored) or [0]
    place = 10.0 ** int(exponent)
    five = digits[-1] == 5 and len(digits) > 1
    return float(place * (5 if five else 1))


def figure_sigma(text: str, value: float, *, floor: float = FLOOR) -> float:
    """Return the relative standard uncertainty a figure's wording implies.

    A figure rounded to a unit ``u`` lies anywhere within ``±u/2`` (a uniform spread, standard
    deviation ``u/√12``); this is added in quadrature to ``floor``. So "about 41" (0.050) is
    tighter than "about 40" (0.088), and "about 200" (0.15) looser still.

    Examples
    --------
    >>> [round(figure_sigma(t, float(t)), 3) for t in ("41", "40", "200")]
    [0.05, 0.088, 0.153]
    """
    rounding = rounding_unit(text) / math.sqrt(12) / value
    return math.hypot(floor, rounding)


# ----------------------------------------------------------------------------- the fit
def expansion(components: Sequence[Component] | Sequence[ComponentResult]) -> dict[str, tuple[str, ...]]:
    """Return component id -> the fitted components (parts without parts) it sums.

    Examples
    --------
    >>> day = dt.date(2021, 5, 12)
    >>> parts = [Component("a", "A", day, "X", "Y", "episode", 1.0),
    ...          Component("a-north", "A north", day, "X", "Y", "episode", 1.0, part_of="a"),
    ...          Component("a-south", "A south", day, "X", "Y", "episode", 1.0, part_of="a")]
    >>> expansion(parts)
    {'a': ('a-north', 'a-south'), 'a-north': ('a-north',), 'a-south': ('a-south',)}
    """
    children: dict[str, list[str]] = {}
    for c in components:
        if c.part_of:
            children.setdefault(c.part_of, []).append(c.id)

    def leaves(cid: str) -> tuple[str, ...]:
        kids = children.get(cid)
        return (cid,) if not kids else tuple(x for k in kids for x in leaves(k))

    return {c.id: leaves(c.id) for c in components}


def top_level(components: Sequence[Component]) -> list[Component]:
    """Return the components that are not a part of another (the ones totals and scopes are made of)."""
    return [c for c in components if not c.part_of]


def _with_wholes(components: Sequence[Component], leaf_areas: Mapping[str, float]) -> dict[str, float]:
    """Return every component's area: the fitted parts as given, each whole as the sum of its parts."""
    return {cid: float(sum(leaf_areas[x] for x in parts)) for cid, parts in expansion(components).items()}


class _Problem:
    """The least-squares problem: independent figures × fitted components, priors, in log space.

    The fitted components are the parts without parts of their own; a figure that names a
    whole bears on each of its parts.
    """

    def __init__(self, components: Sequence[Component], figures: Sequence[Figure]):
        parts = expansion(components)
        fitted = [c for c in components if parts[c.id] == (c.id,)]
        self.ids = [c.id for c in fitted]
        index = {c: i for i, c in enumerate(self.ids)}
        self.figures = [f for f in figures if f.repeats is None]
        self.design = np.zeros((len(self.figures), len(self.ids)))
        for i, f in enumerate(self.figures):
            self.design[i, [index[x] for c in f.components for x in parts[c]]] = 1.0
        components = fitted
        self.lo = np.log([f.value_km2 for f in self.figures])
        self.hi = np.log([f.value_high_km2 or f.value_km2 for f in self.figures])
        self.one_sided = np.array([f.one_sided for f in self.figures], dtype=bool)
        self.sigma = np.array([f.sigma for f in self.figures])
        self.wall_sigma = np.array([FLOOR if c.measured else PRIOR_SIGMA for c in components])
        self.prior_lo = np.log([c.prior_low_km2 for c in components])
        self.prior_hi = np.log([c.prior_high_km2 for c in components])  # +inf: open above
        # an exact component is held at its value (bounds must differ, so by a hair)
        exact = np.array([c.exact for c in components], dtype=bool)
        self.lower = np.where(exact, self.prior_lo - 1e-9, _THETA_BOUNDS[0])
        self.upper = np.where(exact, self.prior_lo + 1e-9, _THETA_BOUNDS[1])
        # the centre pulls only where no figure does (wider than the range by far); an open
        # range is centred one e-fold above its low end
        top = np.where(np.isfinite(self.prior_hi), self.prior_hi, self.prior_lo + 2.0)
        self.center = (self.prior_lo + top) / 2
        self.draw_hi = top
        self.sigma_c = np.maximum(1.0, 2 * (top - self.prior_lo))

    def gap(self, log_fitted: np.ndarray) -> np.ndarray:
        """Return the log distance of each fitted value from what its figure allows (0 inside)."""
        below = np.minimum(log_fitted - self.lo, 0.0)
        above = np.where(self.one_sided, 0.0, np.maximum(log_fitted - self.hi, 0.0))
        gap: np.ndarray = below + above
        return gap

    def _fitted(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        areas = np.exp(theta)
        return areas, np.maximum(self.design @ areas, 1e-12)

    def residuals(self, theta: np.ndarray, weights: np.ndarray, centers: np.ndarray) -> np.ndarray:
        """Return every residual in standard units: figures, prior walls, prior centre."""
        _, fitted = self._fitted(theta)
        figure_terms = np.sqrt(weights) * self.gap(np.log(fitted)) / self.sigma
        walls = (theta - np.clip(theta, self.prior_lo, self.prior_hi)) / self.wall_sigma
        return np.concatenate([figure_terms, walls, (theta - centers) / self.sigma_c])

    def jacobian(self, theta: np.ndarray, weights: np.ndarray, centers: np.ndarray) -> np.ndarray:
        """Return the derivatives of :meth:`residuals` (d log F / d theta = share of each component in F)."""
        areas, fitted = self._fitted(theta)
        log_f = np.log(fitted)
        active = (log_f < self.lo) | (~self.one_sided & (log_f > self.hi))
        scale = np.sqrt(weights) * active / self.sigma
        figure_rows = scale[:, None] * self.design * areas[None, :] / fitted[:, None]
        outside = (theta < self.prior_lo) | (theta > self.prior_hi)
        return np.vstack([figure_rows, np.diag(outside / self.wall_sigma), np.diag(1 / self.sigma_c)])

    def solve(
        self, weights: np.ndarray | None = None, centers: np.ndarray | None = None, x0: np.ndarray | None = None
    ) -> np.ndarray:
        """Return the fitted log areas.

        From scratch: a soft-L1 fit (convex enough to find the bulk of the figures), then a
        Cauchy fit from there (so that outliers stop pulling). From ``x0`` (a refit near a
        known solution): the Cauchy fit only.
        """
        weights = np.ones(len(self.figures)) if weights is None else weights
        centers = self.center if centers is None else centers
        theta = np.clip(self.center if x0 is None else x0, self.lower, self.upper)
        for loss in ("soft_l1", "cauchy") if x0 is None else ("cauchy",):
            theta = least_squares(
                self.residuals,
                theta,
                jac=self.jacobian,
                args=(weights, centers),
                loss=loss,
                f_scale=1.0,
                bounds=(self.lower, self.upper),
            ).x
        return theta


def fit(components: Sequence[Component], figures: Sequence[Figure]) -> dict[str, float]:
    """Return the component areas (km²) that best fit the independent figures (wholes as sums of their parts)."""
    problem = _Problem(components, figures)
    return _with_wholes(components, dict(zip(problem.ids, np.exp(problem.solve()).tolist(), strict=True)))


def _fitted(areas: Mapping[str, float], figure: Figure) -> float:
    return float(sum(areas[c] for c in figure.components))


def _z(figure: Figure, fitted: float) -> tuple[float, float]:
    """Return (z shown, gap z that sets the status) of a fitted value against a figure."""
    log_f, lo = math.log(fitted), math.log(figure.value_km2)
    hi = math.log(figure.value_high_km2 or figure.value_km2)
    if figure.one_sided:  # a bound: only falling short of it is a distance
        shown = min(log_f - lo, 0.0) / figure.sigma
        return shown, shown
    gap = min(log_f - lo, 0.0) + max(log_f - hi, 0.0)
    return gap / figure.sigma, gap / figure.sigma


def _status(figure: Figure, gap_z: float) -> str:
    """Return a figure's status from its gap (0 inside what it allows).

    A bound ("at least", "more than") is ``lower-bound-met`` only when the account reaches
    it; one the account stays below by less than the figure's precision allows ``fits`` (the
    note says by how much). A figure of a part that lies within its whole ``fits``.
    """
    if figure.repeats:
        return "repeats"
    if abs(gap_z) > Z_OUTLIER:
        return "outlier"
    if figure.qualifier in LOWER_BOUNDS and gap_z >= 0.0:
        return "lower-bound-met"
    return "fits"


def _pct(x: float) -> str:
    """Return a share as a percentage a reader can compare: one decimal below 1%, none above."""
    return f"{x:.1%}" if abs(x) < 0.01 else f"{x:.0%}"


def _within(gap: float, sigma: float) -> str:
    """Say how far inside the outlier line a log gap lies: within the figure's precision, or twice it."""
    return "within its precision" if abs(gap) <= sigma else "within twice its precision (the outlier line)"


def _note(figure: Figure, fitted: float, status: str) -> str:
    """Return one plain sentence on how a figure relates to the account."""
    covers = " + ".join(figure.components)
    value = f"{figure.value_km2:g} km²"
    diff = fitted / figure.value_km2 - 1
    if status == "repeats":
        return f"Restates {figure.repeats}: reported, not fitted a second time."
    if status == "outlier":
        return f"The account gives {fitted:.1f} km² for {covers}, {fitted / figure.value_km2:.2f}× the figure."
    if figure.scope == "part":
        return f"A part of {covers}: {value} is within the {fitted:.1f} km² the account gives the whole."
    if status == "lower-bound-met":
        return f"A bound: the account's {fitted:.1f} km² for {covers} is above {value}."
    gap = math.log(fitted / figure.value_km2)
    if figure.one_sided:
        return (
            f"A bound the account does not quite reach: {fitted:.1f} km² for {covers} is {_pct(-diff)} below {value}, "
            f"{_within(gap, figure.sigma)} (±{figure.sigma:.0%})."
        )
    return (
        f"The account gives {fitted:.1f} km² for {covers}, {'+' if diff >= 0 else '-'}{_pct(abs(diff))} "
        "from the figure: "
        f"{_within(gap, figure.sigma)} (±{figure.sigma:.0%})."
    )


# ----------------------------------------------------------------------------- mechanisms
@dataclasses.dataclass(frozen=True)
class _Candidate:
    low: float
    high: float
    detail: str


@dataclasses.dataclass(frozen=True)
class _Context:
    """What mechanisms may use: the fitted areas, the components, their geometry, the figures."""

    areas: Mapping[str, float]
    components: Mapping[str, Component]
    geometry: Mapping[str, Geometry]
    figures: Sequence[Figure]

    def fitted(self, ids: Sequence[str]) -> float:
        return float(sum(self.areas[c] for c in ids))

    @functools.cached_property
    def parts(self) -> dict[str, tuple[str, ...]]:
        """Component id -> the fitted components it sums (computed once per context)."""
        return expansion(list(self.components.values()))

    def leaves(self, ids: Sequence[str]) -> set[str]:
        """Return the fitted components these components are made of."""
        return {x for c in ids for x in self.parts[c]}


@dataclasses.dataclass(frozen=True)
class Mechanism:
    """A way a figure's residual can arise; ``candidates`` gives the values it would produce."""

    key: str
    text: str
    candidates: Callable[[_Context, Figure], list[_Candidate]]


def _partial(ctx: _Context, fig: Figure) -> list[_Candidate]:
    """Return one component of a multi-component figure; one part, feature or published part of one component."""
    if len(fig.components) > 1:
        return [_Candidate(ctx.areas[c], ctx.areas[c], f"only {c}") for c in fig.components]
    (cid,) = fig.components
    found = _published_parts(ctx, fig)
    parts = [c for c in ctx.components.values() if c.part_of == cid]
    if parts:
        return [_part_candidate(ctx, c) for c in parts] + found
    if ctx.components[cid].exact:
        return found  # one measurement, not a sum of pieces: no part of it to count alone
    features = ctx.geometry.get(cid, Geometry()).features
    fixed = sum(f.area_km2 for f in features if not f.modelled)
    modelled = sum(f.area_km2 for f in features if f.modelled)
    rest = max(ctx.areas[cid] - fixed, 0.0)
    for f in features:
        value = f.area_km2 if not f.modelled else rest * f.area_km2 / modelled
        if value > 0:
            found.append(_Candidate(value, value, f"only {f.ref}"))
    return found


def _part_candidate(ctx: _Context, part: Component) -> _Candidate:
    """Return a part as a candidate: its fitted area, or for a measured part its measured range."""
    low, high = (part.prior_low_km2, part.prior_high_km2) if part.measured else (ctx.areas[part.id],) * 2
    return _Candidate(low, high, f"only {part.id} ({part.label})")


def _published_parts(ctx: _Context, fig: Figure) -> list[_Candidate]:
    """Return the figures other sources give for a part of this figure's components."""
    mine = ctx.leaves(fig.components)
    found = []
    for p in ctx.figures:
        theirs = ctx.leaves(p.components)
        if p.id == fig.id or not theirs <= mine or (theirs == mine and p.scope != "part"):
            continue
        when = "later" if p.date > fig.date else "earlier" if p.date < fig.date else "the same day"
        text = f"only the part {p.who} reported ({when}, {p.date.isoformat()}) as {p.value_km2:g} km² ({p.id})"
        found.append(_Candidate(p.value_km2, p.value_km2, text))
    return found


def _earlier_tally(ctx: _Context, fig: Figure) -> list[_Candidate]:
    """Return counts made while an episode was still being counted, and restated earlier counts."""
    total = ctx.fitted(fig.components)
    found = []
    for cid in fig.components:
        c = ctx.components[cid]
        days = (fig.date - c.start).days
        if c.kind == "episode" and not c.exact and 0 <= days <= TALLY_DAYS:  # a measured period is complete
            text = f"said {days} day{'' if days == 1 else 's'} after {cid} began: a count still in progress"
            found.append(_Candidate(total - ctx.areas[cid], total, text))
    for later in ctx.figures:
        if later.supersedes == fig.id:
            text = f"an earlier count, revised by {later.who} on {later.date.isoformat()} ({later.id})"
            found.append(_Candidate(fig.value_km2, fig.value_km2, text))
    groups: dict[tuple[dt.date, str], list[Figure]] = {}
    for f in ctx.figures:
        if f.scope == "whole" and f.qualifier in ("about", "exactly") and f.date < fig.date and f.id != fig.id:
            groups.setdefault((f.date, f.who), []).append(f)
    for (day, who), members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        ids = [c for f in members for c in f.components]
        if len(ids) != len(set(ids)) or not set(ids) <= set(fig.components):
            continue
        if ctx.fitted(ids) >= COVERAGE * total:
            value = sum(f.value_km2 for f in members)
            names = " + ".join(f"{f.value_km2:g}" for f in members)
            found.append(_Candidate(value, value, f"restates {who}'s count of {day.isoformat()} ({names})"))
    return found


def _standing(ctx: _Context, fig: Figure) -> tuple[list[str], list[str]]:
    """Return (standing components the figure leaves out, those it includes) of its claimant/holder."""
    pairs = {(ctx.components[c].claimant, ctx.components[c].holder) for c in fig.components}
    if len(pairs) != 1:
        return [], []
    (pair,) = pairs
    same = [
        c.id
        for c in top_level(list(ctx.components.values()))
        if c.kind == "standing" and (c.claimant, c.holder) == pair and c.in_force(fig.date)
    ]
    return [c for c in same if c not in fig.components], [c for c in same if c in fig.components]


def _definition(ctx: _Context, fig: Figure) -> list[_Candidate]:
    """Return the figure counted with (or without) older holdings, or with the land in the line of fire."""
    total = ctx.fitted(fig.components)
    left_out, included = _standing(ctx, fig)
    episodes = [c for c in fig.components if ctx.components[c].kind == "episode"]
    found = []
    if left_out and episodes:
        value = total + ctx.fitted(left_out)
        found.append(_Candidate(value, value, f"also counts land held before the episodes ({', '.join(left_out)})"))
    if included and episodes:
        value = total - ctx.fitted(included)
        found.append(_Candidate(value, value, f"leaves out land held before the episodes ({', '.join(included)})"))
    fire = sum(ctx.geometry.get(c, Geometry()).line_of_fire_km2 for c in fig.components)
    if fire > 0:
        found.append(_Candidate(total + fire, total + fire, "also counts the land in the line of fire"))
    return found + _variants(ctx, fig, "definition")


def _web_mercator(ctx: _Context, fig: Figure) -> list[_Candidate]:
    """Return the figure measured on a Web Mercator map: each component's area × 1/cos²(its latitude)."""
    lats = {c: ctx.geometry.get(c, Geometry()).latitude_deg for c in fig.components}
    known = [v for v in lats.values() if v is not None]
    if not known:
        return []
    default = float(np.mean(known))
    value = sum(ctx.areas[c] / math.cos(math.radians(default if lat is None else lat)) ** 2 for c, lat in lats.items())
    factor = value / ctx.fitted(fig.components)
    return [_Candidate(value, value, f"measured in Web Mercator (×{factor:.3f} = 1/cos²φ at the zones' latitude)")]


def _unit_slip(ctx: _Context, fig: Figure) -> list[_Candidate]:
    """Return the figure with a unit slip: square miles or hectares printed as km², or back.

    Only between units the source itself names: a quote in km² alone gives a slip no
    foothold, so offering one would only add coincidences.
    """
    total = ctx.fitted(fig.components)
    slips = (
        ("mi2", 1 / MI2_KM2, "an area in square miles printed as km²"),
        ("mi2", MI2_KM2, "km² taken for square miles and converted again"),
        ("ha", 1 / HA_KM2, "an area in hectares printed as km²"),
        ("ha", HA_KM2, "km² taken for hectares and converted"),
    )
    named = fig.units_named
    usable = [(k, text) for unit, k, text in slips if named is None or {unit, "km2"} <= set(named)]
    return [_Candidate(total * k, total * k, text) for k, text in usable]


def _rendering(ctx: _Context, fig: Figure) -> list[_Candidate]:
    """Return the figure measured against each other rendering of the line."""
    names = sorted({n for c in fig.components for n in ctx.geometry.get(c, Geometry()).renderings})
    found = []
    for name in names:
        value = sum(ctx.areas[c] * ctx.geometry.get(c, Geometry()).renderings.get(name, 1.0) for c in fig.components)
        found.append(_Candidate(value, value, f"measured against the line as {name} draws it"))
    return found + _variants(ctx, fig, "rendering")


def _other_dates(ctx: _Context, fig: Figure) -> list[_Candidate]:
    """Return the figure counted over other dates (components measured from a dated archive)."""
    return _variants(ctx, fig, "other-dates")


def _variants(ctx: _Context, fig: Figure, key: str) -> list[_Candidate]:
    """Return the figure with one of its fitted components replaced by that component's ``key`` variants."""
    total = ctx.fitted(fig.components)
    found = []
    for leaf in sorted(ctx.leaves(fig.components)):
        for v in ctx.geometry.get(leaf, Geometry()).variants:
            if v.key == key:
                value = total - ctx.areas[leaf] + v.area_km2
                found.append(_Candidate(value, value, f"{leaf} {v.detail}"))
    return found


#: The registry of mechanisms that may explain an outlier (keys are used in figures' evidence).
MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism("partial-scope", "counts only part of what its source says it covers", _partial),
    Mechanism("earlier-tally", "an earlier count, since revised", _earlier_tally),
    Mechanism("definition", "a different definition of what is counted", _definition),
    Mechanism("web-mercator", "measured on a Web Mercator map", _web_mercator),
    Mechanism("unit-slip", "a unit slip", _unit_slip),
    Mechanism("rendering", "another rendering of the line", _rendering),
    Mechanism("other-dates", "counted over other dates", _other_dates),
)


def _best(fig: Figure, candidates: list[_Candidate]) -> tuple[_Candidate, float, float] | None:
    """Return the candidate nearest the figure, the value it gives and the residual in standard units."""
    best = None
    for cand in candidates:
        if cand.high <= 0:
            continue
        value = min(max(fig.value_km2, max(cand.low, 1e-9)), cand.high)
        residual = math.log(fig.value_km2 / value) / fig.sigma
        if best is None or abs(residual) < abs(best[2]):
            best = (cand, value, residual)
    return best


#: Said of an explanation that rests on the catalogue's link between two figures, not on a number match.
CATALOGUE_READING = "the catalogue's reading"


def _explanation(fig: Figure, mech: Mechanism, best: tuple[_Candidate, float, float], ctx: _Context,
                 rates: Mapping[str, float]) -> Explanation:  # fmt: skip
    """Return one mechanism's best candidate as an explanation, with its support and evidence."""
    cand, value, residual = best
    phrase, contra = fig.evidence.get(mech.key), fig.against.get(mech.key)
    later = next((f.id for f in ctx.figures if f.supersedes == fig.id), None)
    linked = mech.key == "earlier-tally" and later is not None and later in cand.detail
    support = "contradicted" if contra else "supported" if phrase else "possible"
    evidence = contra or phrase or (f"{CATALOGUE_READING}: {later} revises it" if linked else None)
    # a link the catalogue draws reproduces the figure by construction: no base rate measures it
    rate = None if linked else rates.get(mech.key)
    return Explanation(mech.key, cand.detail, value, residual, support, evidence, rate)


def _explain(ctx: _Context, fig: Figure, rates: Mapping[str, float]) -> list[Explanation]:
    """Return the mechanisms that reproduce an outlier within :data:`Z_EXPLAINS`, best first.

    A source's own words make an explanation ``supported`` (or ``contradicted``); a link the
    catalogue draws between two figures (``supersedes``) is cited as the catalogue's reading
    and stays ``possible``: it is an analyst's judgement, not the source's words.
    """
    found = []
    for mech in MECHANISMS:
        best = _best(fig, mech.candidates(ctx, fig))
        if best is not None and abs(best[2]) <= Z_EXPLAINS:
            found.append(_explanation(fig, mech, best, ctx, rates))
    return sorted(found, key=lambda e: (SUPPORTS.index(e.support), abs(e.residual)))


def _considered(ctx: _Context, fig: Figure, rates: Mapping[str, float], n: int = 3) -> tuple[Explanation, ...]:
    """Return the nearest candidates of the mechanisms that do not explain an outlier: what was tried, how far off."""
    tried = []
    for mech in MECHANISMS:
        best = _best(fig, mech.candidates(ctx, fig))
        if best is not None and abs(best[2]) > Z_EXPLAINS:
            tried.append(_explanation(fig, mech, best, ctx, rates))
    return tuple(sorted(tried, key=lambda e: abs(e.residual))[:n])


# ----------------------------------------------------------------------------- uncertainty
def _kept(problem: _Problem, theta: np.ndarray) -> np.ndarray:
    """Return each independent figure's weight for the final fit: 0 for an outlier of the robust fit, else 1.

    The heavy-tailed loss keeps an outlier from dragging the fit, but not from pulling it
    at all; the account is refitted without the outliers so that a figure it rejects
    shapes neither the areas nor the zones drawn from them.
    """
    fitted = np.log(np.maximum(problem.design @ np.exp(theta), 1e-12))
    kept: np.ndarray = (np.abs(problem.gap(fitted) / problem.sigma) <= Z_OUTLIER).astype(float)
    return kept


def _robust_fit(problem: _Problem, weights: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
    """Return the log areas of a robust fit with these weights, refitted without the outliers it finds."""
    theta = problem.solve(weights, x0=x0)
    kept = _kept(problem, theta) * weights
    return problem.solve(kept, x0=theta) if (kept != weights).any() else theta


def _refits(
    problem: _Problem, theta: np.ndarray, resamples: int, rng: np.random.Generator, kept: np.ndarray
) -> np.ndarray:
    """Return log areas refitted with each figure left out, then with the figures resampled.

    Resampling draws the figures with replacement (weights = counts) and, for each
    replicate, the prior's centre anywhere in its range, so a component no figure bears on
    spans its geometric range instead of collapsing to one value. Each leave-one-out refit
    decides its outliers afresh (without the 60.06, say, a figure the full account rejects
    may fit, and the interval must show that); the resamplings keep the full account's
    outlier set (``kept``), so their spread is given that set.
    """
    m = len(problem.figures)
    rows = []
    for i in range(m):
        weights = np.ones(m)
        weights[i] = 0.0
        rows.append(_robust_fit(problem, weights, theta))
    for _ in range(resamples):
        weights = rng.multinomial(m, np.full(m, 1 / m)).astype(float) * kept
        centers = rng.uniform(problem.prior_lo, problem.draw_hi)
        rows.append(problem.solve(weights, centers, x0=theta))
    areas: np.ndarray = np.exp(np.array(rows)).reshape(-1, len(problem.ids))
    return areas


def _interval(samples: np.ndarray, n_loo: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (low, high): the envelope of the leave-one-out range and the resampled 5–95%."""
    loo, boot = samples[:n_loo], samples[n_loo:]
    low = np.minimum(loo.min(axis=0), np.percentile(boot, 5, axis=0)) if len(boot) else loo.min(axis=0)
    high = np.maximum(loo.max(axis=0), np.percentile(boot, 95, axis=0)) if len(boot) else loo.max(axis=0)
    return low, high


# ----------------------------------------------------------------------------- totals
def _totals(components: Sequence[Component], figures: Sequence[Figure]) -> list[tuple[str, dt.date, tuple[str, ...]]]:
    """Return named sums per claimant/holder.

    The episodes so far, on each episode's start and on the last date; then everything held
    on the last date, older holdings included.
    """
    components = top_level(components)
    last = max([f.date for f in figures] + [c.counted_from for c in components])
    found: list[tuple[str, dt.date, tuple[str, ...]]] = []
    for pair in dict.fromkeys((c.claimant, c.holder) for c in components):
        mine = [c for c in components if (c.claimant, c.holder) == pair]
        prefix = f"{pair[0]} land held by {pair[1]}"
        held = tuple(c.id for c in mine if c.in_force(last))
        episodes = sorted((c for c in mine if c.kind == "episode"), key=lambda c: c.start)
        if not episodes:
            found.append((f"{prefix}: all", last, held))
            continue
        first = episodes[0].start.isoformat()
        previous: tuple[str, ...] = ()
        for day in sorted({c.counted_from for c in episodes} | {last}):
            ids = tuple(c.id for c in episodes if c.in_force(day))
            if ids != previous:
                found.append((f"{prefix}: taken since {first}", day, ids))
            previous = ids
        if len(held) > len(previous):
            found.append((f"{prefix}: all, incl. held before {first}", last, held))
    return [t for t in found if t[2]]


# ----------------------------------------------------------------------------- null test
def _round2(x: float) -> float:
    """Round to two significant digits, as published figures are."""
    return float(f"{x:.2g}")


def _random_figure(
    i: int, components: Sequence[Component], figures: Sequence[Figure], rng: np.random.Generator
) -> Figure:
    """Return a random figure: a real figure's date, a random scope of one claimant/holder, a random value."""
    values = [f.value_km2 for f in figures if f.scope == "whole"]
    date = figures[int(rng.integers(len(figures)))].date
    live = [c for c in top_level(components) if c.in_force(date)]
    pick = live[int(rng.integers(len(live)))]
    pool = [c.id for c in live if (c.claimant, c.holder) == (pick.claimant, pick.holder)]
    size = int(rng.integers(1, len(pool) + 1))
    scope = tuple(sorted(rng.choice(pool, size=size, replace=False).tolist()))
    value = _round2(math.exp(rng.uniform(math.log(min(values)), math.log(max(values)))))
    return Figure(f"null-{i}", value, "about", date, "null", scope, figure_sigma(f"{value:g}", value))


def _null_test(
    components: Sequence[Component],
    figures: Sequence[Figure],
    geometry: Mapping[str, Geometry],
    theta: np.ndarray,
    n: int,
    seed: int,
    kept: np.ndarray | None = None,
) -> NullTest:
    """Inject ``n`` random figures one at a time; count fits, outliers and what explains them."""
    rng = np.random.default_rng([seed, 2])
    independent = [f for f in figures if f.repeats is None]
    comps = {c.id: c for c in components}
    fits = outliers = any_ = 0
    explained = {m.key: 0 for m in MECHANISMS}
    for i in range(n):
        fig = _random_figure(i, components, independent, rng)
        problem = _Problem(components, [*independent, fig])
        weights = None if kept is None else np.append(kept, 1.0)
        solved = np.exp(problem.solve(weights, x0=theta))
        areas = _with_wholes(components, dict(zip(problem.ids, solved, strict=True)))
        status = _status(fig, _z(fig, _fitted(areas, fig))[1])
        if status != "outlier":
            fits += 1
            continue
        outliers += 1
        ctx = _Context(areas, comps, geometry, [*independent, fig])
        found = _explain(ctx, fig, {})
        any_ += bool(found)
        for e in found:
            explained[e.mechanism] += 1
    return NullTest(n, seed, fits / n, outliers / n, {k: v / n for k, v in explained.items()}, any_ / n)


def figure_base_rates(ctx: _Context, fig: Figure, n: int, rng: np.random.Generator) -> dict[str, float]:
    """Return how often each mechanism "explains" a random value given this figure's own scope and wording.

    The pooled null test mixes scopes; a mechanism that matches easily on one scope (a
    whole with several parts, a quote naming two units) needs its rate on that scope. The
    value is drawn log-uniformly over the catalogue's range and rounded as published; the
    account is held fixed (a figure the robust fit calls an outlier barely moves it).
    """
    values = [f.value_km2 for f in ctx.figures if f.scope == "whole"]
    lo, hi = math.log(min(values)), math.log(max(values))
    fitted = ctx.fitted(fig.components)
    counts = {m.key: 0 for m in MECHANISMS}
    # the trials stand in for the figure: the figure itself is no other source's count for them
    ctx = dataclasses.replace(ctx, figures=[f for f in ctx.figures if f.id != fig.id])
    for _ in range(n):
        value = _round2(math.exp(rng.uniform(lo, hi)))
        trial = dataclasses.replace(fig, id="null", value_km2=value, value_high_km2=None,
                                    sigma=figure_sigma(f"{value:g}", value), evidence={}, against={})  # fmt: skip
        if _status(trial, _z(trial, fitted)[1]) != "outlier":
            continue
        for mech in MECHANISMS:
            best = _best(trial, mech.candidates(ctx, trial))
            counts[mech.key] += best is not None and abs(best[2]) <= Z_EXPLAINS
    return {k: v / n for k, v in counts.items()}


# ----------------------------------------------------------------------------- the account
def _figure_results(figures: Sequence[Figure], ctx: _Context, null: int, seed: int) -> tuple[FigureResult, ...]:
    out = []
    for i, f in enumerate(figures):
        fitted = _fitted(ctx.areas, f)
        shown, gap = _z(f, fitted)
        status = _status(f, gap)
        explanations: tuple[Explanation, ...] = ()
        considered: tuple[Explanation, ...] = ()
        if status == "outlier":
            rates = figure_base_rates(ctx, f, null, np.random.default_rng([seed, 3, i])) if null > 0 else {}
            explanations = tuple(_explain(ctx, f, rates))
            considered = _considered(ctx, f, rates)
        out.append(
            FigureResult(
                id=f.id,
                value_km2=f.value_km2,
                qualifier=f.qualifier,
                scope=f.scope,
                date=f.date,
                who=f.who,
                components=f.components,
                fitted_km2=fitted,
                z=shown,
                status=status,
                explanations=explanations,
                repeats=f.repeats,
                note=_note(f, fitted, status),
                considered=considered,
            )
        )
    return tuple(out)


def build_account(
    components: Sequence[Component],
    figures: Sequence[Figure],
    geometry: Mapping[str, Geometry] | None = None,
    *,
    resamples: int = 200,
    null: int = 200,
    seed: int = 0,
) -> Account:
    """Fit the components to the figures, give intervals and totals, explain the outliers.

    Parameters
    ----------
    components, figures
        The case's components and figures (repeats included: they are reported, not fitted).
    geometry
        Component id -> :class:`Geometry`, for the mechanisms that use geometry.
    resamples
        Bootstrap replicates of the figures (besides one refit per figure left out).
    null
        Random figures injected for the null test (0: no test, no base rates).
    seed
        Seed for resampling and the null test: the same seed gives the same account.
    """
    geometry = geometry or {}
    problem = _Problem(components, figures)
    theta = _robust_fit(problem, np.ones(len(problem.figures)))
    kept = _kept(problem, theta)
    leaf_samples = _refits(problem, theta, resamples, np.random.default_rng([seed, 1]), kept)
    parts = expansion(components)
    columns = {c: i for i, c in enumerate(problem.ids)}
    samples = np.column_stack([leaf_samples[:, [columns[x] for x in parts[c.id]]].sum(axis=1) for c in components])
    low, high = _interval(samples, len(problem.figures))
    areas = _with_wholes(components, dict(zip(problem.ids, np.exp(theta).tolist(), strict=True)))
    null_test = _null_test(components, figures, geometry, theta, null, seed, kept) if null > 0 else None
    ctx = _Context(areas, {c.id: c for c in components}, geometry, problem.figures)
    results = _figure_results(figures, ctx, null, seed)
    bearing = problem.design > 0
    comps = tuple(
        ComponentResult(
            c.id, c.label, areas[c.id], float(lo), float(hi), *_prior(c, components),
            n_figures=_count(bearing, columns, parts[c.id]), part_of=c.part_of,
        )
        for c, lo, hi in zip(components, low, high, strict=True)
    )  # fmt: skip
    index = {c.id: i for i, c in enumerate(components)}
    totals = []
    for name, day, ids in _totals(components, problem.figures):
        cols = [index[c] for c in ids]
        lo, hi = _interval(samples[:, cols].sum(axis=1, keepdims=True), len(problem.figures))
        totals.append(Total(name, day, ids, sum(areas[c] for c in ids), float(lo[0]), float(hi[0])))
    return Account(comps, results, tuple(totals), null_test, resamples, seed, replicates=samples)


def _prior(component: Component, components: Sequence[Component]) -> tuple[float, float]:
    """Return a component's prior range: its own, or for a whole the sum of its parts' ranges."""
    leaves = expansion(components)[component.id]
    if leaves == (component.id,):
        return component.prior_low_km2, component.prior_high_km2
    by_id = {c.id: c for c in components}
    return sum(by_id[x].prior_low_km2 for x in leaves), sum(by_id[x].prior_high_km2 for x in leaves)


def _count(bearing: np.ndarray, columns: Mapping[str, int], leaves: Sequence[str]) -> int:
    """Return how many independent figures bear on any of these fitted components."""
    return int(bearing[:, [columns[x] for x in leaves]].any(axis=1).sum())
