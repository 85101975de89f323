"""Gather what a map shows: bundled layers, modelled zones, user layers, summary and attributions.

The edge between the registry (I/O) and the renderers: it loads and filters data, and
calls the model; it draws nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import geopandas as gpd

from borderkit.errors import UsageError
from borderkit.events import parse_date

__all__ = ["DEFAULT_LAYERS", "map_frames", "load_user_layer", "user_layers", "terrain_overlays"]

DEFAULT_LAYERS = (
    "countries",
    "lakes",
    "enclaves",
    "zones",
    "soviet_line",
    "soviet_line_osm2017",
    "soviet_line_ne10m",
    "claims",
    "roads",
    "places",
    "events",
)


def _horizon(events: gpd.GeoDataFrame, sectors: gpd.GeoDataFrame) -> str:
    """Return the last date any dated feature starts, plus half a year: where the time axis ends."""
    last = max(parse_date(d) for d in [*events["date"], *sectors["date"]])
    return (last + dt.timedelta(days=183)).isoformat()


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
):
    """Return (frames, attributions, summary) for a map on ``date`` (or the whole timeline).

    Zones and events get ``start``/``end`` so the renderer can put them on a time slider
    when no date is given; with a date, only what is in force on it is kept.
    """
    from borderkit.calibrate import account_zones
    from borderkit.registry import estimates, load
    from borderkit.registry import layers as registry_layers
    from borderkit.zones import active

    registry = registry_layers()
    # canonical names first (query_name ignores case and punctuation, and raises with close
    # matches), so every later lookup uses the registry's own key
    names = [n if n == "zones" else registry.query_name(n)["name"] for n in (layers or DEFAULT_LAYERS)]
    if date is not None:
        parse_date(date, "--date")
    events, sectors = load("events"), load("sectors")
    horizon = _horizon(events, sectors)
    on = date or horizon
    calibrated = account_zones()  # zones drawn at the account's areas (illustrative extents), not raw defaults
    frames: dict[str, gpd.GeoDataFrame] = {}
    attributions: list[str] = []
    for name in names:
        if name == "zones":
            z = calibrated.zones
            z = z.assign(start=z["date"], end=[e if isinstance(e, str) and e else horizon for e in z["end_date"]])
            frames[name] = z[active(z, on)] if date else z
            attributions.append(
                "zones modelled by borderkit from sourced sectors, calibrated to its account of the published "
                "figures (illustrative extents)"
            )
            continue
        gdf = load(name)
        if name == "events":
            gdf = gdf.assign(start=gdf["date"], end=horizon)
            gdf = gdf[gdf["date"].map(parse_date) <= parse_date(on)] if date else gdf
        frames[name] = gdf
        attributions.append(registry[name]["attribution"])
    more, credits = user_layers(add)
    frames.update(more)
    attributions += credits
    import shapely

    from borderkit.measure import area

    z = calibrated.zones
    footprint = shapely.union_all(z.geometry.to_numpy()[active(z, on)])
    summary = {
        "date": on,
        "area_km2": float(area(footprint)[0]) if not footprint.is_empty else 0.0,
        "how": "Illustrative extent (modelled zones, not surveyed lines): geodesic area (WGS84) of the zones in "
        "force, each episode's zones calibrated to the account of the published figures ("
        + "; ".join(f"{c.component} {c.target_km2:.1f} km²" for c in calibrated.components)
        + "); baseline: Soviet-era line (WOF 2024).",
        "estimates": [
            f"{r['qualifier']} {r['value']:g} km² — {r['who']} ({r['date']})"
            for _, r in estimates().sort_values("date").iterrows()
        ],
        "samples": samples,
        "seed": seed,
        "band": None,
    }
    if samples:
        from borderkit.calibrate import date_band

        summary["band"] = date_band(on, samples=samples, seed=seed).iloc[0].to_dict()
    if not frames:
        raise UsageError("No layers to draw. Give --layers with at least one layer name.")
    return frames, attributions, summary


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

    from borderkit.terrain import hillshade, read_dem, to_lonlat_grid, viewshed

    focus = [frames[n] for n in ("zones", "events", "soviet_line") if n in frames and len(frames[n])]
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
