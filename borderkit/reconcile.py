"""Reconcile published area estimates with the model: which hypotheses reproduce each figure.

Hypotheses are data (:data:`HYPOTHESES`), not code branches: each one names the
:class:`~borderkit.model.Scenario` fields it changes. For every estimate the search
evaluates the default scenario, every single hypothesis and every pair from different
dimensions, and ranks them by how well they meet the figure *as qualified* ("at least X"
is met by anything >= X). These are hypotheses that reproduce numbers, not findings
about what happened.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from borderkit.errors import InputError
from borderkit.model import MI2_PER_KM2, AreaModel, Scenario

__all__ = [
    "HEADER",
    "QUALIFIERS",
    "HYPOTHESES",
    "Hypothesis",
    "validate_estimates",
    "hypotheses_for",
    "meets",
    "explain",
    "implied_depth",
    "ratios",
    "reconcile",
]

HEADER = (
    "These are hypotheses that reproduce the published numbers from borderkit's modelled zones, "
    "not findings about what happened on the ground."
)

QUALIFIERS = ("about", "at least", "more than", "between", "exactly")
REQUIRED = ("id", "value", "unit", "qualifier", "date", "who", "covers", "source")


@dataclasses.dataclass(frozen=True)
class Hypothesis:
    """One way a published figure may have been made: a dimension and the scenario fields it sets."""

    key: str
    dimension: str
    sets: tuple[tuple[str, object], ...]
    text: str


def _h(key: str, dimension: str, text: str, **sets) -> Hypothesis:
    return Hypothesis(key, dimension, tuple(sets.items()), text)


#: The hypotheses that do not depend on the data (baselines and provinces are added per model).
HYPOTHESES: tuple[Hypothesis, ...] = (
    _h("time:episode", "time", "only the latest episode up to the estimate's date", time_scope="episode"),
    _h("space:+exclaves", "exclaves", "adds exclaves held by Azerbaijan since the 1990s (Artsvashen)", exclaves=True),
    _h("method:equal-area", "method", "planar equal-area projection", method="equal-area"),
    _h("method:utm", "method", "planar area in UTM", method="utm"),
    _h("method:web-mercator", "method", "planar area in Web Mercator (web maps)", method="web-mercator"),
    _h("method:spherical", "method", "area on a sphere", method="spherical"),
    _h("unit:mi2-read-as-km2", "unit", "an area in square miles printed as km²", unit_mixup="mi2-read-as-km2"),
    _h("unit:km2-read-as-mi2", "unit", "km² taken for square miles and converted again", unit_mixup="km2-read-as-mi2"),
)


def hypotheses_for(model: AreaModel, *, dem=None) -> list[Hypothesis]:
    """Return the full hypothesis registry for a model: the fixed ones plus baselines, provinces, surface."""
    found = list(HYPOTHESES)
    for name in model.baseline_names:
        if name != "soviet_line":
            found.append(_h(f"baseline:{name}", "baseline", f"baseline {name}", baseline=name))
    for name in sorted(set(model.sectors["province"])):
        found.append(_h(f"space:{name}", "space", f"only the part in {name}", space_scope=name))
    if dem is not None:
        found.append(_h("method:surface", "method", "3D terrain surface area", method="surface"))
    return found


def validate_estimates(table: pd.DataFrame) -> pd.DataFrame:
    """Check an estimates table row by row; raise :class:`InputError` naming the first bad row.

    Row numbers count the header as row 1, as a spreadsheet shows them.
    """
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise InputError(
            f"The estimates file lacks column(s) {', '.join(missing)}. "
            f"Required: {', '.join(REQUIRED)}; optional: value_high, quote, date_precision."
        )
    from borderkit.events import parse_date

    out = table.copy()
    for i, row in out.iterrows():
        where = f"estimates row {i + 2} (id {row['id']!r})"
        try:
            value = float(row["value"])
        except (TypeError, ValueError):
            raise InputError(f"{where}: value {row['value']!r} is not a number. Give the figure, e.g. 127.") from None
        if not math.isfinite(value) or value <= 0:
            raise InputError(f"{where}: value {value} must be a positive number of km².")
        if row["unit"] != "km2":
            raise InputError(f"{where}: unit {row['unit']!r} is not supported. Use km2 (convert other units first).")
        if row["qualifier"] not in QUALIFIERS:
            raise InputError(f"{where}: qualifier {row['qualifier']!r} is not one of {', '.join(QUALIFIERS)}.")
        if row["qualifier"] == "between":
            high = pd.to_numeric(row.get("value_high"), errors="coerce")
            if pd.isna(high) or high <= value:
                raise InputError(f"{where}: 'between' needs value_high greater than value.")
        try:
            parse_date(str(row["date"]), "date")
        except Exception:
            raise InputError(f"{where}: date {row['date']!r} is not YYYY-MM-DD.") from None
    out["value"] = out["value"].astype(float)
    if "value_high" in out:
        out["value_high"] = pd.to_numeric(out["value_high"], errors="coerce")
    if out["id"].duplicated().any():
        raise InputError(f"The estimates file repeats ids: {sorted(set(out.loc[out['id'].duplicated(), 'id']))}.")
    return out


def meets(value: float, estimate: pd.Series, tolerance: float) -> bool:
    """Whether a computed value is consistent with a figure as qualified."""
    x = float(estimate["value"])
    q = estimate["qualifier"]
    if q == "at least":
        return value >= x * (1 - 1e-9)
    if q == "more than":
        return value > x
    if q == "between":
        return x <= value <= float(estimate["value_high"])
    if q == "exactly":
        return abs(value - x) <= 0.005 * x
    return abs(value - x) <= tolerance * x  # about


def explain(
    model: AreaModel, estimate: pd.Series, *, tolerance: float = 0.1, dem=None, max_pairs: bool = True
) -> pd.DataFrame:
    """Return every scenario tried for one estimate, best first.

    Columns: ``hypothesis`` (keys joined by " + ", "default" for none), ``text``,
    ``computed`` (km², as it would be printed), ``residual`` (computed - figure),
    ``relative``, ``consistent`` (meets the qualifier) and ``n_changes``.
    """
    hyps = hypotheses_for(model, dem=dem)
    combos: list[tuple[Hypothesis, ...]] = [()] + [(h,) for h in hyps]
    if max_pairs:
        combos += [p for p in itertools.combinations(hyps, 2) if p[0].dimension != p[1].dimension]
    x = float(estimate["value"])
    rows = []
    for combo in combos:
        scenario = Scenario(**{k: v for h in combo for k, v in h.sets})
        value = model.value(scenario, estimate["date"], dem=dem)
        rows.append(
            {
                "hypothesis": " + ".join(h.key for h in combo) or "default",
                "text": "; ".join(h.text for h in combo) or "borderkit's model as is (geodesic, WOF line, cumulative)",
                "computed": value,
                "residual": value - x,
                "relative": (value - x) / x,
                "consistent": meets(value, estimate, tolerance),
                "n_changes": len(combo),
            }
        )
    table = pd.DataFrame(rows)
    # consistent first, simpler (fewer changes) before closer; then the rest, closest first
    consistent = table["consistent"].to_numpy()
    table["_k1"] = np.where(consistent, 0, 1)
    table["_k2"] = np.where(consistent, table["n_changes"], table["residual"].abs())
    table["_k3"] = np.where(consistent, table["residual"].abs(), table["n_changes"])
    table = table.sort_values(["_k1", "_k2", "_k3"], kind="stable").drop(columns=["_k1", "_k2", "_k3"])
    return table.reset_index(drop=True)


def implied_depth(
    model: AreaModel, target_km2: float, on: str, *, scenario: Scenario | None = None, rtol: float = 1e-4
) -> dict:
    """Find the single depth scale that makes the modelled area equal ``target_km2`` (bisection).

    Returns the scale, the area it gives, and the implied average depth: the target area
    over the baseline length the counted sectors cover.
    """
    base = scenario or Scenario()

    def f(k: float) -> float:
        return model.value(dataclasses.replace(base, depth_scale=round(k, 9)), on) - target_km2

    lo, hi = 0.0, 1.0
    while f(hi) < 0:
        lo, hi = hi, hi * 2
        if hi > 64:
            return {
                "depth_scale": math.inf,
                "area_km2": f(lo) + target_km2,
                "average_depth_km": math.nan,
                "affected_length_km": model.affected_length_km(on, base),
            }
    while hi - lo > 1e-6 * max(hi, 1e-6):
        mid = (lo + hi) / 2
        value = f(mid)
        if abs(value) <= rtol * target_km2:
            lo = hi = mid
            break
        lo, hi = (mid, hi) if value < 0 else (lo, mid)
    k = (lo + hi) / 2
    length_km = model.affected_length_km(on, base)
    return {
        "depth_scale": k,
        "area_km2": f(k) + target_km2,
        "average_depth_km": target_km2 / length_km if length_km else math.nan,
        "affected_length_km": length_km,
    }


def ratios(
    estimates: pd.DataFrame, model: AreaModel, *, on: str | None = None, dem=None, tolerance: float = 0.05
) -> pd.DataFrame:
    """Return, for each pair of distinct figures, their ratio and the single factors that reproduce it.

    Factors: Web Mercator / geodesic over the modelled zones, km² <-> mi², each baseline
    against the WOF line, cumulative against the latest episode, adding exclaves, and the
    model's own growth between the two dates (and terrain surface / planimetric with a DEM).
    """
    day = on or max(estimates["date"])
    base = model.value(Scenario(), day)
    factors = {
        "web-mercator / geodesic": model.value(Scenario(method="web-mercator"), day) / base,
        "km² <-> mi² mix-up": MI2_PER_KM2,
        "cumulative / latest episode": base / model.value(Scenario(time_scope="episode"), day),
        "with / without exclaves": model.value(Scenario(exclaves=True), day) / base,
    }
    for name in model.baseline_names:
        if name != "soviet_line":
            factors[f"baseline {name} / WOF line"] = model.value(Scenario(baseline=name), day) / base
    if dem is not None:
        factors["terrain surface / planimetric"] = model.value(Scenario(method="surface"), day, dem=dem) / base
    uniq = estimates.sort_values(["value", "date"]).drop_duplicates("value")
    rows = []
    for (_, a), (_, b) in itertools.combinations(uniq.iterrows(), 2):
        ratio = b["value"] / a["value"]
        growth = model.value(Scenario(), b["date"]) / max(model.value(Scenario(), a["date"]), 1e-9)
        cands = dict(factors, **{"model growth between the two dates": growth})
        scored = sorted(cands.items(), key=lambda kv: abs(kv[1] / ratio - 1))
        match = [f"{k} ({v:.3f})" for k, v in scored if abs(v / ratio - 1) <= tolerance]
        rows.append(
            {
                "low": a["value"],
                "high": b["value"],
                "ratio": ratio,
                "explained_by": "; ".join(match) or "none within tolerance",
                "nearest_factor": f"{scored[0][0]} ({scored[0][1]:.3f})",
            }
        )
    return pd.DataFrame(rows)


def reconcile(
    estimates: pd.DataFrame,
    model: AreaModel,
    *,
    top: int = 3,
    tolerance: float = 0.1,
    dem=None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Return the best ``top`` explanations of every estimate, plus its implied depth.

    One row per (estimate, explanation): estimate fields, ``rank``, the hypothesis,
    ``computed``, ``residual``, ``consistent``; and per estimate ``implied_depth_scale``
    and ``implied_average_depth_km``.
    """
    rows = []
    for _, est in estimates.iterrows():
        table = explain(model, est, tolerance=tolerance, dem=dem).head(top)
        depth = implied_depth(model, float(est["value"]), est["date"])
        for rank, (_, r) in enumerate(table.iterrows(), start=1):
            rows.append(
                {
                    "estimate": est["id"],
                    "value": est["value"],
                    "qualifier": est["qualifier"],
                    "date": est["date"],
                    "who": est["who"],
                    "rank": rank,
                    "hypothesis": r["hypothesis"],
                    "computed": r["computed"],
                    "residual": r["residual"],
                    "consistent": r["consistent"],
                    "implied_depth_scale": depth["depth_scale"],
                    "implied_average_depth_km": depth["average_depth_km"],
                }
            )
        if progress:
            progress(1)
    return pd.DataFrame(rows)
