"""Gather what a map shows: bundled layers, modelled zones, user layers, summary and attributions.

The edge between the registry (I/O) and the renderers: it loads and filters data, and
calls the model; it draws nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from borderkit.errors import UsageError
from borderkit.events import parse_date

__all__ = [
    "DEFAULT_LAYERS",
    "latest_date",
    "map_frames",
    "headline",
    "state_on",
    "map_labels",
    "party_names",
    "default_labels",
    "zone_label",
    "load_user_layer",
    "user_layers",
    "terrain_overlays",
]

#: The layers a map draws by default, in drawing order; the case's baselines go where ``"baselines"`` stands,
#: and a layer the case lacks is left out (:func:`default_layers`).
DEFAULT_LAYERS = ("countries", "lakes", "enclaves", "zones", "baselines", "claims", "roads", "places", "events")


def default_layers(available: Iterable[str]) -> list[str]:
    """Return the default layers the active case has: ``DEFAULT_LAYERS`` with its baselines, default first.

    ``zones`` needs the case's ``sectors`` layer; every other name must be one of ``available``.
    """
    from borderkit.case import current

    have = set(available)
    names = []
    for name in DEFAULT_LAYERS:
        if name == "baselines":
            names += [b for b in current().baselines if b in have]
        elif name in have or (name == "zones" and "sectors" in have):
            names.append(name)
    return names


def latest_date(*frames: gpd.GeoDataFrame) -> str:
    """Return the latest date any feature carries (its ``date`` or ``end_date``): where the time axis ends.

    The map's default date is a date the data holds, never "today" or an offset from it, so
    the same data always gives the same map.
    """
    days = [
        parse_date(d)
        for gdf in frames
        for col in ("date", "end_date")
        if col in gdf
        for d in gdf[col]
        if isinstance(d, str) and d
    ]
    if not days:
        raise UsageError("No dated features: the map needs at least one event or zone with a date.")
    return max(days).isoformat()


def load_user_layer(
    path: str,
    *,
    stdin_text: str | None = None,
    layer: str | None = None,
    crs: str | None = None,
    fix: bool = False,
    swap_xy: bool = False,
    axis_check: bool = True,
    notes: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read and validate a user's layer with the same checks as ``borderkit area`` (any geometry type).

    ``path`` ``-`` means GeoJSON text in ``stdin_text``. ``layer``, ``crs``, ``fix``,
    ``swap_xy`` and ``axis_check`` are the CLI's ``--layer``, ``--crs``, ``--fix``,
    ``--swap-xy`` and ``--axis-check``, which the error messages suggest. What was assumed
    or repaired is appended to ``notes``.
    """
    from borderkit.io import read_user_geodata
    from borderkit.validate import check_axis_order, check_crs, check_not_empty, check_valid

    what = "stdin" if path == "-" else f"file {path!r}"
    gdf = read_user_geodata(path, layer=layer, stdin_text=stdin_text)
    check_not_empty(gdf, what)
    said: list[str] = []
    if swap_xy:  # swap first: a swapped file may not even pass as lon/lat otherwise
        gdf, said = check_axis_order(gdf, what, swap=True)
    gdf, more = check_crs(gdf, what, crs=crs)
    said += more
    if not swap_xy:
        gdf, more = check_axis_order(gdf, what, check=axis_check)
        said += more
    gdf, more = check_valid(gdf, what, fix=fix)
    if notes is not None:
        notes += said + more
    if "name" not in gdf:
        gdf["name"] = [f"feature {i + 1}" for i in range(len(gdf))]
    if "source" not in gdf:
        gdf["source"] = "user layer (stdin)" if path == "-" else f"user file {path}"
    return gdf


def user_layers(paths: Sequence[str], **options) -> tuple[dict[str, gpd.GeoDataFrame], list[str]]:
    """Return the frames of the user's layers (keyed ``user:<n>:<path>``) and their attributions.

    ``options`` go to :func:`load_user_layer`. ``-`` (stdin) may be given once.
    """
    if list(paths).count("-") > 1:
        raise UsageError("--add - (GeoJSON on stdin) can be given only once. Save the other layers to files.")
    frames, attributions = {}, []
    for i, path in enumerate(paths):
        frames[f"user:{i + 1}:{path}"] = load_user_layer(path, **options)
        attributions.append("user layer (stdin)" if path == "-" else f"user layer {path}")
    return frames, attributions


def map_frames(
    *,
    layers: Iterable[str] | None = None,
    date: str | None = None,
    add: Sequence[str] = (),
    samples: int = 0,
    seed: int = 0,
    observed: Mapping[str, gpd.GeoDataFrame] | gpd.GeoDataFrame | None = None,
):
    """Return (frames, attributions, summary) for a map on ``date`` (or the whole timeline).

    Zones and events get ``start``/``end`` so the renderer can put them on a time slider
    when no date is given; with a date, only what is in force on it is kept. Open-ended
    features end on the latest date the data holds (:func:`latest_date` of the events and
    zones, a later published figure's date, or the last map of ``observed``), the slider's
    last day. ``observed`` is a monitor's archive (:func:`borderkit.observed.states`), or
    several by name: each map is drawn as a state lasting until the next (one layer
    ``observed:N:NAME`` per archive).

    ``summary`` is the map's headline (:func:`headline`): the account of the published
    figures on each date, the figures with their scopes and statuses, the date shown
    first (``date``, else the latest dated feature) and, with ``samples`` and a ``date``,
    the Monte Carlo band of the drawn zones on that date.
    """
    from borderkit.registry import components, figures, load
    from borderkit.registry import layers as registry_layers
    from borderkit.zones import active

    registry = registry_layers()
    # canonical names first (query_name ignores case and punctuation, and raises with close
    # matches), so every later lookup uses the registry's own key
    wanted = layers or default_layers(registry)
    names = [n if n == "zones" else registry.query_name(n)["name"] for n in wanted]
    if date is not None:
        parse_date(date, "--date")
    account, calibrated = _account_and_zones(registry, need_zones="zones" in names)
    events = load("events") if "events" in registry else None
    # the last day anything is dated: a feature, or a published figure the headline shows
    dated = [latest_date(events, calibrated.zones)] if events is not None and calibrated is not None else []
    dated += [f.date.isoformat() for f in account.figures] if account is not None else []
    held = _observed_states(observed)
    dated += [series["date"].max() for series in held.values() if len(series)]
    last = max(dated) if dated else None
    on = date or last
    frames: dict[str, gpd.GeoDataFrame] = {}
    attributions: list[str] = []
    for name in names:
        if name == "zones" and calibrated is None:
            raise UsageError(
                "This case has no sectors layer, so there are no zones to draw: leave 'zones' out of --layers."
            )
        if name == "zones":
            z = _zone_extents(calibrated)
            z = z.assign(start=z["date"], end=[e if isinstance(e, str) and e else last for e in z["end_date"]])
            frames[name] = z[active(z, date)] if date else z
            attributions.append(
                "zones modelled by borderkit from sourced sectors, calibrated to its account of the published "
                "figures (illustrative extents)"
            )
            continue
        gdf = events if name == "events" and events is not None else load(name)
        if name == "events":
            gdf = gdf.assign(start=gdf["date"], end=last)
            gdf = gdf[gdf["date"].map(parse_date) <= parse_date(date)] if date else gdf
        frames[name] = gdf
        attributions.append(registry[name]["attribution"])
    more, credits = user_layers(add)
    frames.update(more)
    attributions += credits
    for i, (source, series) in enumerate(held.items()):
        series = series.assign(end=[e if isinstance(e, str) else last for e in series["end"]])
        if date:  # the one map in force on the date: dated on or before it, not yet replaced
            day = parse_date(date, "--date").isoformat()
            series = series[(series["start"] <= day) & (series["end"] >= day)]
        frames[f"observed:{i + 1}:{source}"] = series
        attributions.append(f"control polygons of {source} (given by the user), each map until the next")
    if not frames:
        raise UsageError("No layers to draw. Give --layers with at least one layer name.")
    if account is None or on is None:  # a case without figures: the map has no headline
        return frames, attributions, None
    summary = headline(account, components(), figures())
    how = _zones_note(calibrated) if calibrated is not None else ""
    summary.update(date=on, how=how, samples=samples, seed=seed, band=None)
    if samples and date and calibrated is not None:
        from borderkit.montecarlo import date_band

        summary["band"] = date_band(on, samples=samples, seed=seed).iloc[0].to_dict()
    return frames, attributions, summary


def _observed_states(
    observed: Mapping[str, gpd.GeoDataFrame] | gpd.GeoDataFrame | None,
) -> dict[str, gpd.GeoDataFrame]:
    """Return each archive's maps as successive states (:func:`borderkit.observed.successive`), by name."""
    from borderkit.observed import successive

    if observed is None:
        return {}
    archives = {"the monitor's archive": observed} if isinstance(observed, gpd.GeoDataFrame) else observed
    return {name: successive(series) for name, series in archives.items()}


def _account_and_zones(registry, *, need_zones: bool):
    """Return (the case's account, its calibrated zones), each None when the case lacks the data for it.

    A case made with ``borderkit case init`` has no figures or sectors yet: its map draws
    the layers it has, without a headline or zones. Both are computed once per version of
    the case's files (~2 s of the ~2.5 s a default map takes) and shared, read-only, by
    later maps of this process.
    """
    from borderkit.case import current

    case = current()
    folder = case.folder.resolve()
    files = sorted(p for p in folder.rglob("*") if p.is_file()) + _archive_files(case)
    versions = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _account_and_zones_of(str(folder), versions, "sectors" in registry)


def _archive_files(case) -> list:
    """Return the files of the monitors' archives the case names (they may lie outside its folder)."""
    from borderkit.errors import BorderkitError
    from borderkit.observed import archive_files

    found = []
    for name in case.observed:
        try:
            found += archive_files(case.observed_source(name))
        except BorderkitError:
            continue  # a missing archive: the account says so when it is built
    return found


@functools.lru_cache(maxsize=4)
def _account_and_zones_of(folder: str, versions: tuple, has_sectors: bool):
    """:func:`_account_and_zones` of the case in ``folder`` with its files at ``versions`` (the cache key)."""
    from borderkit.calibrate import account_zones
    from borderkit.errors import DataIntegrityError
    from borderkit.reconcile import reconcile

    try:
        account = reconcile(null=0, renderings=False)  # the intervals the headline shows; no base rates needed
    except DataIntegrityError:
        return None, None
    if not has_sectors:
        return account, None
    return account, account_zones(account=account)  # zones at the account's areas (illustrative extents)


def party_names() -> dict[str, str]:
    """Return each party's name by ISO code, from the case manifest."""
    from borderkit.case import current

    return {p.code: p.name for p in current().parties}


def _zone_extents(calibrated) -> gpd.GeoDataFrame:
    """Return the calibrated zones with ``extent`` in words: what each drawn shape stands for."""
    targets = {c.component: c.target_km2 for c in calibrated.components}
    z = calibrated.zones.copy()
    z["extent"] = [
        f"illustrative extent, calibrated to {targets[c]:.1f} km² (account, {c})"
        if c in targets and e == "calibrated"
        else e
        for c, e in zip(z["component"], z.get("extent", pd.Series([""] * len(z))), strict=True)
    ]
    return z


def _zones_note(calibrated) -> str:
    """Return the sentence under the headline: what the zones are and what they are calibrated to."""
    drawn = "; ".join(f"{c.component} {c.target_km2:.1f} km²" for c in calibrated.components)
    return (
        "Zones are illustrative extents (modelled from sourced sectors, not surveyed lines), "
        f"calibrated to the account ({drawn})."
    )


def zone_label(components: pd.DataFrame) -> str:
    """Return the zones' legend label in plain words, from the components table.

    "Land taken since May 2021 (illustrative, calibrated)": the start of the earliest
    episode component, so the words follow the case's data.
    """
    episodes = components.loc[components["kind"] == "episode", "start"]
    if not len(episodes):
        return "Modelled zones (illustrative, calibrated)"
    first = min(parse_date(d) for d in episodes)
    return f"Land taken since {first:%B %Y} (illustrative, calibrated)"


# ---------------------------------------------------------------- the headline (pure)
_STATUS_WORDS = {
    "fits": "fits the account",
    "lower-bound-met": "lower bound, met",
    "outlier": "outlier: does not fit",
    "repeats": "repeats",
}


def _short(text: Any, limit: int = 110) -> str:
    """Return ``text`` cut to ``limit`` characters at a word, with an ellipsis ('' for missing)."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def _component_row(c) -> dict:
    return {"id": c.id, "label": c.label, "area_km2": c.area_km2, "low_km2": c.low_km2, "high_km2": c.high_km2}


def _state(day: str, totals: list[dict], account, components: pd.DataFrame) -> dict:
    """Return the account as it stands on ``day``: the latest total of each name, then the other components."""
    latest: dict[str, dict] = {}
    for t in sorted(totals, key=lambda t: t["date"]):
        if t["date"] <= day:
            latest[t["name"]] = t
    rows = {c.id: _component_row(c) for c in account.components}
    listed: set[str] = set()
    shown = []
    for t in latest.values():
        new = [rows[c] for c in t["components"] if c not in listed]
        listed.update(t["components"])
        shown.append({**{k: v for k, v in t.items() if k != "components"}, "components": new})
    table = components.set_index("id")
    parent = table["part_of"] if "part_of" in table else pd.Series("", index=table.index)
    others = [
        rows[c]
        for c in rows
        if c not in listed
        and c in table.index
        and parent.get(c) not in rows  # a part of a component is counted in it already
        and str(table.loc[c, "start"]) <= day
        and not (isinstance(table.loc[c, "end"], str) and table.loc[c, "end"] and table.loc[c, "end"] < day)
    ]
    return {"from": day, "totals": shown, "others": others}


def headline(account, components: pd.DataFrame, figures: pd.DataFrame) -> dict:
    """Return the map's headline: the account on each date, and the published figures beside it.

    Parameters
    ----------
    account
        A built :class:`borderkit.account.Account` (e.g. :func:`borderkit.reconcile.reconcile`).
    components, figures
        The tables it was built from (for the components' dates and the figures' words).
        Totals are named in words with the case's parties (:func:`borderkit.reconcile.total_words`).

    Returns
    -------
    dict
        ``states``: one per date the account changes (a total's date or a component's
        start), each with its ``totals`` (name in words, area and interval, the components
        it adds) and the ``others`` in force; ``figures``: each figure as its source said
        it, with who, date, the components it covers, its quote (short) and status.
    """
    from borderkit.reconcile import frames as account_frames
    from borderkit.reconcile import total_words

    totals = [
        {
            "name": total_words(t.name),
            "date": t.date.isoformat(),
            "area_km2": t.area_km2,
            "low_km2": t.low_km2,
            "high_km2": t.high_km2,
            "components": list(t.components),
        }
        for t in account.totals
    ]
    days = sorted({t["date"] for t in totals} | {str(d) for d in components["start"]})
    said = account_frames(account, figures)["figures"].set_index("figure")["said"]
    quotes = figures.set_index("id")["quote"]
    figs = [
        {
            "id": f.id,
            "date": f.date.isoformat(),
            "said": said[f.id],
            "who": f.who,
            "covers": " + ".join(f.components),
            "quote": _short(quotes.get(f.id)),
            "status": _STATUS_WORDS.get(f.status, f.status) + (f" {f.repeats}" if f.repeats else ""),
            "status_key": f.status,
        }
        for f in sorted(account.figures, key=lambda f: (f.date, f.id))
    ]
    return {"states": [_state(d, totals, account, components) for d in days], "figures": figs}


def state_on(summary: Mapping, day: str) -> dict:
    """Return the headline state in force on ``day`` (the latest that starts on or before it)."""
    states = [s for s in summary.get("states", []) if s["from"] <= day]
    return states[-1] if states else {"from": day, "totals": [], "others": []}


def map_labels(places: gpd.GeoDataFrame, events: gpd.GeoDataFrame, *, first: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Return the places to label without a click, most important first (column ``rank``).

    The places the reports name: ``first`` (the case manifest's labels) in their order,
    then every place an event refers to, by number of events. One label per name.
    """
    counts = events["place"].value_counts() if "place" in events else pd.Series(dtype=int)
    named = places[places["id"].isin(set(first) | set(counts.index))].copy()
    order = {pid: i for i, pid in enumerate(first)}
    named["_first"] = [order.get(pid, len(order)) for pid in named["id"]]
    named["_events"] = [-int(counts.get(pid, 0)) for pid in named["id"]]
    named = named.sort_values(["_first", "_events", "name"]).drop_duplicates("name")
    named["rank"] = range(len(named))
    return named[["id", "name", "rank", "geometry"]].reset_index(drop=True)


def default_labels() -> gpd.GeoDataFrame | None:
    """Return the active case's labels (:func:`map_labels`, the manifest's list first); None without places."""
    from borderkit.case import current
    from borderkit.registry import layers, load

    known = layers()
    if "places" not in known:
        return None
    events = load("events") if "events" in known else gpd.GeoDataFrame({"place": []})
    return map_labels(load("places"), events, first=tuple(current().labels))


def terrain_overlays(
    dem_path: str, frames: dict, *, max_distance_m: float = 15_000.0, max_cells: int = 1_000_000
) -> list[dict]:
    """Return map overlays from a DEM: hillshade, and the cumulative viewshed of reported positions.

    The DEM is read only over the map's focus (the line, zones and events), decimated to at
    most ``max_cells`` cells. Observers are the reported occupied positions and incursions
    that fall on the DEM (``reported`` positions only), 2 m above ground, out to ``max_distance_m``.
    """
    import numpy as np
    import shapely

    from borderkit.case import current
    from borderkit.terrain import hillshade, read_dem, to_lonlat_grid, viewshed

    focus = [frames[n] for n in ("zones", "events", current().default_baseline) if n in frames and len(frames[n])]
    bounds = tuple(shapely.total_bounds([f.geometry.union_all() for f in focus]))
    dem = read_dem(dem_path, bounds=bounds, pad_m=2_000, max_cells=max_cells, clip=True)
    shade, box = to_lonlat_grid(hillshade(dem), dem)
    grey = np.nan_to_num(shade, nan=0).astype("uint8")
    rgba = np.dstack([grey, grey, grey, np.where(np.isnan(shade), 0, 150).astype("uint8")])
    overlays = [
        {
            "name": f"Hillshade ({dem.cellsize[0]:.0f} m DEM)",
            "image": rgba,
            "bounds": box,
            "note": f"hillshade of {dem_path}",
        }
    ]
    events = frames.get("events")
    if events is not None and len(events):
        w, s, e, n = dem.lonlat_bounds()
        from borderkit.events import reported

        pts = reported(events)  # an area-named event's point is a town centre, not where anyone stood
        pts = pts[pts["type"].isin(["occupied position", "incursion"])]
        pts = pts[pts.geometry.x.between(w, e) & pts.geometry.y.between(s, n)]
        observers = sorted({(round(p.x, 6), round(p.y, 6)) for p in pts.geometry})
        observers = [o for o in observers if _on_dem(dem, o)]
        if observers:
            result = viewshed(dem, observers, max_distance=max_distance_m)
            seen, box2 = to_lonlat_grid(np.where(result.in_range, result.count, np.nan).astype(float), dem)
            alpha = np.where(np.nan_to_num(seen) > 0, 120, 0).astype("uint8")
            red = np.full(seen.shape, 213, dtype="uint8")
            rgba2 = np.dstack([red, np.full(seen.shape, 94, "uint8"), np.zeros(seen.shape, "uint8"), alpha])
            overlays.append(
                {
                    "name": f"Viewshed from {len(observers)} reported positions (≤ {max_distance_m / 1000:g} km)",
                    "image": rgba2,
                    "bounds": box2,
                    "note": f"cells visible from the reported positions, 2 m above ground ({dem_path})",
                }
            )
    return overlays


def _on_dem(dem, lonlat) -> bool:
    """Whether a lon/lat point falls on a DEM cell with data."""
    import numpy as np
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, dem.crs, always_xy=True).transform(*lonlat)
    row, col = (int(round(float(v))) for v in dem.rowcol(x, y))
    return 0 <= row < dem.z.shape[0] and 0 <= col < dem.z.shape[1] and bool(np.isfinite(dem.z[row, col]))
