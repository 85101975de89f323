"""Calibrate the modelled zones to the account: each component's zones hold the area the figures give it.

The sectors say *where* land was reported taken and, where a source says so, how deep and
how wide. They do not say how much in all: the account (:mod:`borderkit.account`) does,
from every published figure at once. So the zones that maps and timelines draw are scaled,
one parameter per component (:func:`borderkit.zones.extent`), until the component's **new
land** (its zones minus the zones of earlier components: land counts once, in the episode
that took it) measures the account's fitted area. The root is found with
:func:`scipy.optimize.root_scalar` (Brent's method) on the geodesic area.

What the calibration means, and does not: the drawn extent is illustrative. It shows how
much land the account assigns to each episode, laid out where the sources put the ground
taken; it is not a line of control.

The core (:func:`solve`, :func:`calibrate`) is pure: frames, geometries and targets in,
frames out. :func:`account_zones` is the one place that wires the bundled case's account
to it; the CLI, the map and the notebooks call that.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.optimize import root_scalar

from borderkit.measure import area
from borderkit.zones import FREE_UNIT_KM, extent, has_free, prepare, primary, raw_lam, zones
from borderkit.zones import build as build_zone

__all__ = [
    "RTOL",
    "MAX_FREE_KM",
    "MAX_SCALE",
    "ComponentCalibration",
    "Calibrated",
    "solve",
    "new_land",
    "calibrate",
    "calibration_note",
    "dimensions",
    "account_zones",
]

#: Relative tolerance on a component's calibrated area (the test allows 5%).
RTOL = 2e-3
#: Largest extent (km) an unreported depth or width may take before the calibration gives up.
MAX_FREE_KM = 60.0
#: Largest factor on stated depths for a component whose sectors report all their parameters.
MAX_SCALE = 20.0


@dataclasses.dataclass(frozen=True)
class ComponentCalibration:
    """How one component's zones were scaled to its account area.

    ``lam`` is its calibration parameter; ``free`` whether it has unreported dimensions;
    ``area_km2`` the new land drawn at ``lam`` (``reached`` is False when the geometry
    cannot hold the target: the zones are then drawn at their largest); ``raw_km2`` the new
    land of the raw geometry, the prior.
    """

    component: str
    target_km2: float
    lam: float
    area_km2: float
    raw_km2: float
    free: bool
    reached: bool
    sectors: tuple[str, ...]


@dataclasses.dataclass
class Calibrated:
    """Calibrated zones (one per sector), the raw zones, and one :class:`ComponentCalibration` per component."""

    zones: gpd.GeoDataFrame
    raw: gpd.GeoDataFrame
    components: tuple[ComponentCalibration, ...]
    notes: tuple[str, ...] = ()

    def table(self) -> pd.DataFrame:
        """Return the components as a table: target, drawn and raw area, parameter, sectors."""
        return pd.DataFrame(
            {
                "component": [c.component for c in self.components],
                "account_km2": [c.target_km2 for c in self.components],
                "drawn_km2": [c.area_km2 for c in self.components],
                "raw_km2": [c.raw_km2 for c in self.components],
                "lam": [c.lam for c in self.components],
                "sectors": [len(c.sectors) for c in self.components],
            }
        )


def solve(
    area_of: Callable[[float], float],
    target: float,
    free: bool,
    *,
    rtol: float = RTOL,
    guess: float | None = None,
) -> tuple[float, float, bool]:
    """Return (lam, area at lam, reached) with ``area_of(lam)`` = ``target`` within ``rtol``.

    ``area_of`` must not decrease with ``lam`` and be 0 at 0 (see
    :func:`borderkit.zones.extent`). Area grows about linearly with the depths below 1
    and with the unreported widths above it, so from ``guess`` (default 1, the stated
    parameters) secant steps usually land within ``rtol`` in two or three evaluations;
    they are kept inside the bracket found so far, and Brent's method
    (:func:`scipy.optimize.root_scalar`) finishes any search they do not. A target the
    geometry cannot hold returns the largest ``lam`` tried with ``reached`` False.
    """
    if not target > 0:
        return 0.0, 0.0, True
    top = 1.0 + MAX_FREE_KM / FREE_UNIT_KM if free else MAX_SCALE
    seen: dict[float, float] = {0.0: 0.0}

    def f(lam: float) -> float:
        if lam not in seen:
            seen[lam] = area_of(lam)
        return seen[lam]

    x = min(max(guess if guess and guess > 0 else 1.0, 1e-3), top)
    lo, hi = 0.0, None  # the largest parameter found below the target, the smallest at or above it
    # the first step extrapolates along the line through the origin, or, from the stated
    # parameters up, through the area they draw (a guess from elsewhere saves that evaluation)
    prev = (1.0, f(1.0)) if free and x > 1.0 and guess is None else (0.0, 0.0)
    for _ in range(12):
        a = f(x)
        if abs(a - target) <= rtol * target:
            return x, a, True
        if a < target:
            lo = max(lo, x)
        else:
            hi = x if hi is None else min(hi, x)
        if hi is None and x >= top:
            return x, a, False
        x, prev = _step(prev, (x, a), target, lo, hi, top), (x, a)
    found = root_scalar(lambda lam: f(lam) - target, bracket=(lo, hi), method="brentq", rtol=rtol / 4)
    return found.root, f(found.root), True


def _step(prev: tuple[float, float], cur: tuple[float, float], target: float, lo: float, hi: float | None, top: float):
    """Return the next parameter: the secant through two points, kept inside the bracket (else its middle)."""
    (x0, a0), (x1, a1) = prev, cur
    nxt = x1 + (target - a1) * (x1 - x0) / (a1 - a0) if a1 != a0 and x1 != x0 else math.nan
    if hi is None:  # no point above the target yet: extrapolate, at least doubling past a flat stretch
        return float(min(nxt if nxt > x1 else 2.0 * x1, top))
    return float(nxt if lo < nxt < hi else (lo + hi) / 2.0)


def new_land(geoms: Sequence[shapely.Geometry], earlier: shapely.Geometry) -> shapely.Geometry:
    """Return the union of ``geoms`` minus ``earlier``: the land these zones add."""
    union = shapely.union_all([g for g in geoms if g is not None and not g.is_empty])
    return shapely.difference(union, earlier) if not earlier.is_empty else union


def _held(sectors: pd.DataFrame) -> np.ndarray:
    """Which sectors still hold their land (no end date): only they count towards a component's area."""
    end = sectors["end_date"]
    return end.isna().to_numpy() | (end.astype(str).str.strip().isin(["", "None", "nan"])).to_numpy()


def _component_solver(group: pd.DataFrame, line, territory, earlier: shapely.Geometry):
    """Return (area_of(lam), build(lam) -> held zones, free) for one component's sectors."""
    preps = [prepare(row, line, territory) for _, row in group.iterrows()]
    rows = [row for _, row in group.iterrows()]
    free = has_free(group)
    held = _held(group)

    def build(lam: float) -> list:
        zones_at = [build_zone(p, *extent(r, lam, free)) for p, r in zip(preps, rows, strict=True)]
        return [g for g, keep in zip(zones_at, held, strict=True) if keep]

    def area_of(lam: float) -> float:
        return float(area(new_land(build(lam), earlier))[0])

    return area_of, build, free


def _one_component(comp: str, group, target: float | None, line, territory, earlier, raw_earlier, rtol: float):
    """Calibrate one component against the land counted before it.

    Returns (lam, its :class:`ComponentCalibration` or None without a target, the zones it
    draws, its raw new land).
    """
    area_of, build, free = _component_solver(group, line, territory, earlier)
    raw_new = new_land(build(raw_lam(free)), raw_earlier)
    if target is None:
        return raw_lam(free), None, build(raw_lam(free)), raw_new
    lam, got, reached = solve(area_of, float(target), free, rtol=rtol)
    result = ComponentCalibration(
        comp, float(target), lam, got, float(area(raw_new)[0]), free, reached, tuple(group["sector"])
    )
    return lam, result, build(lam), raw_new


def calibrate(
    sectors: gpd.GeoDataFrame,
    targets: Mapping[str, float],
    line: shapely.Geometry,
    territory: shapely.Geometry,
    *,
    starts: Mapping[str, str] | None = None,
    baseline_name: str = "",
    rtol: float = RTOL,
) -> Calibrated:
    """Scale each component's zones so that its new land measures ``targets[component]`` (km², geodesic).

    Parameters
    ----------
    sectors
        The sectors layer (all parameter sets; the primary one of each sector is drawn).
    targets
        Component id -> area from the account. Components without sectors are skipped;
        sectors of a component without a target keep their raw geometry.
    line, territory
        The baseline and the subject's territory it bounds (lon/lat).
    starts
        Component id -> start date, the order in which land is counted (earlier components'
        zones are subtracted from later ones); by default the earliest sector date.
    baseline_name, rtol
        Recorded in the zones' ``method``; the tolerance on each component's area.
    """
    chosen = primary(sectors)
    first = chosen.groupby("component")["date"].min().to_dict()
    begins = {c: (starts or {}).get(c) or first[c] for c in first}
    lams, results = {}, []
    earlier = raw_earlier = shapely.Polygon()
    for comp in sorted(first, key=lambda c: (begins[c], first[c])):
        group = chosen[chosen["component"] == comp]
        lam, result, drawn, raw_new = _one_component(
            comp, group, targets.get(comp), line, territory, earlier, raw_earlier, rtol
        )
        lams[comp] = lam
        results += [result] if result else []
        earlier = shapely.union_all([earlier, *drawn])
        raw_earlier = shapely.union_all([raw_earlier, raw_new])
    calibrated = zones(sectors, line, territory, baseline_name=baseline_name, lams=lams)
    raw = zones(sectors, line, territory, baseline_name=baseline_name)
    calibrated["raw_km2"] = raw["area_km2"].to_numpy()
    calibrated["extent"] = "calibrated"
    stated = chosen.set_index("sector")
    calibrated["dimensions"] = [
        dimensions(stated.loc[z["sector"]], z["depth_km"], z["width_km"]) for _, z in calibrated.iterrows()
    ]
    said = {r.component: f"; illustrative extent, calibrated to {r.target_km2:.1f} km² ({r.component})"
            for r in results}  # fmt: skip
    calibrated["method"] = calibrated["method"] + calibrated["component"].map(said).fillna("")
    raw["extent"] = "raw"
    return Calibrated(_before_episode(calibrated, raw, begins), raw, tuple(results))


def dimensions(sector: Mapping, depth_km: float, width_km: float) -> str:
    """Say which of a drawn zone's dimensions a source reported and which the calibration set.

    A reader must be able to tell a reported 8.5 km front from a width no source gives,
    which only the account's area decides. The drawn values are in the zone's own columns.

    Examples
    --------
    >>> dimensions({"depth_km": 7.5, "width_km": 8.5, "shape": "salient"}, 7.05, 8.5)
    'depth scaled from the reported 7.5 km; width reported'
    >>> dimensions({"depth_km": 1.5, "width_km": float("nan"), "shape": "salient"}, 1.5, 10.0)
    'depth reported; width not reported, set by the calibration'
    """
    if not float(depth_km) > 0:
        return "drawn empty: this parameter set reports no ground taken here"
    said = []
    for name, drawn in (("depth", depth_km), ("width", width_km)):
        reported = _number(sector.get(f"{name}_km"))
        if drawn is None or not math.isfinite(float(drawn)):
            continue  # a ribbon between two anchors needs no width
        if math.isnan(reported):
            said.append(f"{name} not reported, set by the calibration")
        elif math.isclose(float(drawn), reported, rel_tol=1e-3):
            said.append(f"{name} reported")
        else:
            said.append(f"{name} scaled from the reported {reported:g} km")
    return "; ".join(said)


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _before_episode(calibrated: gpd.GeoDataFrame, raw: gpd.GeoDataFrame, begins: Mapping[str, str]) -> gpd.GeoDataFrame:
    """Draw a sector dated before its component's episode as stated until the episode begins.

    No figure counts such land on its own before the episode (it is the episode's land
    that figures count), so until then the sector is shown with its stated parameters,
    not with the share of the episode's area the calibration gives it.
    """
    import datetime as dt

    early = calibrated["date"].astype(str).to_numpy() < calibrated["component"].map(begins).astype(str).to_numpy()
    if not early.any():
        return calibrated
    before = raw[early].copy()
    start = calibrated.loc[early, "component"].map(begins)
    day_before = start.map(lambda d: (dt.date.fromisoformat(d) - dt.timedelta(days=1)).isoformat())
    before["end_date"] = day_before.to_numpy()
    before["id"] = before["id"] + "-stated"
    before["extent"] = "as stated, before its episode"
    before["method"] = before["method"] + "; as stated, before its episode (no figure counts it on its own)"
    before["raw_km2"] = before["area_km2"]
    before["dimensions"] = "as its source states them (before its episode, not calibrated)"
    after = calibrated.copy()
    after.loc[early, "date"] = start.to_numpy()
    out = pd.concat([before, after], ignore_index=True)
    return gpd.GeoDataFrame(out.sort_values(["date", "id"], kind="stable").reset_index(drop=True), crs=4326)


def calibration_note(cal: ComponentCalibration, figures: Sequence[str] = ()) -> str:
    """Return the sentence every output that draws a component's zones carries."""
    cited = ", ".join(figures[:3]) + (f" and {len(figures) - 3} more" if len(figures) > 3 else "")
    source = f" (figures {cited})" if figures else ""
    text = (
        f"{cal.component}: illustrative extent, calibrated to {cal.target_km2:.1f} km² from the account{source}; "
        f"raw geometry {cal.raw_km2:.1f} km² (the prior)"
    )
    if not cal.reached:
        text += f"; the sectors cannot hold it: drawn at their largest, {cal.area_km2:.1f} km²"
    return text + "."


def _figures_for(account, component: str) -> list[str]:
    """Return the independent figures that bear on a component and agree with it.

    Figures that fit come before bounds that are met (they pin the value; a bound only
    says "at least"), and within each, those naming fewer components first.
    """
    from borderkit.account import expansion

    rank = {"fits": 0, "lower-bound-met": 1}
    leaves = expansion(account.components)
    mine = set(leaves[component])
    bearing = [
        f
        for f in account.figures
        if mine & {x for c in f.components for x in leaves[c]} and f.status in rank and f.repeats is None
    ]
    return [f.id for f in sorted(bearing, key=lambda f: (rank[f.status], len(f.components), f.date))]


def account_zones(baseline_name: str | None = None, *, account=None) -> Calibrated:
    """Return the active case's zones calibrated to its account, with one note per component.

    The one place where the account meets the zones: it reads the case's components and
    figures, fits the account (:func:`borderkit.account.build_account`, no resampling or
    null test: only the fitted areas and statuses are needed), calibrates the zones on
    ``baseline_name`` (default: the case's default baseline) and says, per component, what
    was drawn and why.
    """
    from borderkit.account import build_account
    from borderkit.case import current
    from borderkit.reconcile import to_components, to_figures
    from borderkit.registry import baseline, components, figures, load

    table = components()
    if account is None:
        account = build_account(to_components(table), to_figures(figures()), resamples=0, null=0)
    targets = {c.id: c.area_km2 for c in account.components}
    baseline_name = baseline_name or current().default_baseline
    line, territory = baseline(baseline_name)
    sectors = load("sectors")
    result = calibrate(
        sectors, targets, line, territory, starts=dict(zip(table["id"], table["start"], strict=True)),
        baseline_name=baseline_name,
    )  # fmt: skip
    notes = [calibration_note(c, _figures_for(account, c.component)) for c in result.components]
    drawn = {c.component for c in result.components}
    drawn |= {c.part_of for c in account.components if c.id in drawn and c.part_of}  # a whole is drawn as its parts
    kinds = dict(zip(table["id"], table["kind"], strict=True))
    for comp in account.components:
        if comp.id in drawn or comp.part_of:
            continue
        if kinds.get(comp.id) == "episode":
            notes.append(
                f"{comp.id}: {comp.area_km2:.1f} km² in the account, not drawn: no source places the ground taken "
                "(the reports name an area only)."
            )
        else:
            notes.append(
                f"{comp.id}: {comp.area_km2:.1f} km² in the account, held since before the crisis: not drawn as zones "
                "and not in these totals (the enclaves layer draws the exclaves)."
            )
    return dataclasses.replace(result, notes=tuple(notes))
