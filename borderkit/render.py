"""Interactive Folium maps: sourced layers, time control, summary panel; deterministic and offline.

folium is imported inside the functions that need it. Feature properties, file and layer
names, and everything else given to :func:`build_map` are untrusted text: each string bound
for the page goes through :func:`borderkit.safehtml.escape_text` (inert as HTML and as a
Jinja template), and borderkit's own HTML goes in through :func:`borderkit.safehtml.raw_html`
(output, never compiled). See :mod:`borderkit.safehtml` for why both are needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderkit.errors import UsageError
from borderkit.measure import area
from borderkit.safehtml import escape_text, raw_html

__all__ = [
    "PALETTE",
    "BASEMAPS",
    "MapReport",
    "prepare_layers",
    "new_map",
    "explore",
    "explore_layers",
    "build_map",
    "make_map",
    "to_html",
    "GENERATOR",
]

#: Okabe-Ito colour-blind-safe palette.
PALETTE = {
    "ARM": "#0072B2",
    "AZE": "#E69F00",
    "line": "#000000",
    "alt1": "#CC79A7",
    "alt2": "#009E73",
    "claim": "#D55E00",
    "zone": "#D55E00",
    "lake": "#56B4E9",
    "place": "#555555",
    "event": "#D55E00",
    "road": "#7F7F7F",
    "user": "#009E73",
}
EVENT_COLOURS = {
    "incursion": "#D55E00",
    "occupied position": "#CC79A7",
    "strike": "#E69F00",
    "clash": "#F0E442",
    "checkpoint/blockade": "#0072B2",
    "capture": "#000000",
    "withdrawal": "#009E73",
    "handover": "#56B4E9",
}
#: An event whose report names only a town, province or area (``position`` ``area-named``) is
#: drawn as a hollow, dashed ring in its type's colour: it marks the area named, not a
#: position, so it must not look like the filled dot of an incursion at the town centre.
AREA_NAMED_STYLE = {"radius": 8, "weight": 2, "dashArray": "3 3", "fill": True, "fillOpacity": 0}
AREA_NAMED_LABEL = "Area named, position unknown"

BASEMAPS = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors (ODbL)',
        "OpenStreetMap",
    ),
    "imagery": (
        "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",
        "Tiles &copy; Esri &mdash; Source: Esri, Maxar, Earthstar Geographics, and the GIS User Community",
        "Imagery (Esri World Imagery)",
    ),
    "none": None,
}

GENERATOR = "borderkit map"
_POPUP_FIELDS = (
    "name",
    "date",
    "end_date",
    "type",
    "placement",
    "source_title",
    "source",
    "method",
    "confidence",
    "area_km2",
    "length_km",
    "quote",
    "note",
)


@dataclass
class MapReport:
    """What a map build did, for the CLI to tell the user."""

    layers: list[str] = field(default_factory=list)
    simplification: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    frames: dict = field(default_factory=dict)  # the unsimplified layers, for a static map of the same
    attributions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was assumed or repaired in the user's layers


def _folium():
    try:
        import folium
        import folium.plugins
    except ImportError as exc:  # pragma: no cover - folium is a runtime dependency
        raise UsageError("Maps need folium: pip install folium.") from exc
    return folium


# ---------------------------------------------------------------- data preparation (pure)
def escape_properties(gdf: gpd.GeoDataFrame, fields: Iterable[str]) -> gpd.GeoDataFrame:
    """Return a copy with the given columns as escaped text ('' for missing), see :func:`escape_text`.

    The index becomes 0..n-1: folium writes it into the page as each feature's id.
    """
    out = gdf.reset_index(drop=True)
    for col in fields:
        if col in out:
            out[col] = [
                (
                    ""
                    if v is None or (isinstance(v, float) and np.isnan(v))
                    else escape_text(f"{v:,.3f}" if isinstance(v, float) else v)
                )
                for v in out[col]
            ]
    return out


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance_m: float) -> tuple[gpd.GeoDataFrame, dict]:
    """Simplify polygons as a coverage (shared edges stay shared: no gaps or slivers).

    Returns the simplified frame and the geodesic area before and after (km²).
    """
    if tolerance_m <= 0 or not len(gdf):
        return gdf, {}
    geoms = gdf.geometry.to_numpy()
    polys = shapely.get_type_id(geoms) >= 3
    before = float(area(geoms[polys]).sum())
    simplified = geoms.copy()
    simplified[polys] = shapely.coverage_simplify(geoms[polys], tolerance_m / 111_000.0)
    out = gdf.copy()
    out.geometry = simplified
    after = float(area(simplified[polys]).sum())
    return out, {"area_km2_before": before, "area_km2_after": after, "change_pct": 100 * (after - before) / before}


def simplify_lines(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    """Simplify each geometry on its own (lines, points, overlapping polygons)."""
    if tolerance_m <= 0:
        return gdf
    out = gdf.copy()
    out.geometry = shapely.simplify(gdf.geometry.to_numpy(), tolerance_m / 111_000.0, preserve_topology=True)
    return out


def with_source_titles(gdf: gpd.GeoDataFrame, sources: pd.DataFrame) -> gpd.GeoDataFrame:
    """Add ``source_title`` ("title, publisher, date; file or URL") for each feature's source key."""
    if "source" not in gdf:
        return gdf
    table = sources.set_index("key")

    def title(key: Any) -> str:
        if key not in table.index:
            return "" if key is None else str(key)
        s = table.loc[key]
        where = s.get("url") or s.get("file") or ""
        return f"{s['title']} ({s['publisher']}, {s['date'] or 'n.d.'}); {where}"

    out = gdf.copy()
    out["source_title"] = [title(k) for k in gdf["source"]]
    return out


def _to_lonlat(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Return the frame in lon/lat (EPSG:4326), as Leaflet needs, or refuse when that is unknowable.

    A frame in metres drawn as degrees lands far off the map with nothing said, so a frame
    with a CRS is reprojected, and one without is accepted only if every coordinate fits lon/lat.
    """
    if gdf.crs is not None:
        return gdf if gdf.crs.equals("EPSG:4326") else gdf.to_crs(4326)
    if not len(gdf) or gdf.geometry.is_empty.all():
        return gdf
    w, s_, e, n = gdf.total_bounds
    if -180 <= w <= e <= 180 and -90 <= s_ <= n <= 90:
        return gdf
    raise UsageError(
        f"Layer {name[:80]!r} has no CRS and its coordinates ({w:.6g}, {s_:.6g} to {e:.6g}, {n:.6g}) "
        "are not lon/lat. Set its CRS first, e.g. gdf.set_crs('EPSG:32638')."
    )


def prepare_layers(
    frames: Mapping[str, gpd.GeoDataFrame], *, tolerance_m: float, sources: pd.DataFrame, report: MapReport
) -> dict[str, gpd.GeoDataFrame]:
    """Simplify for the web (coverage-preserving for coverages), add source titles, escape properties."""
    out = {}
    for name, gdf in frames.items():
        gdf = _to_lonlat(gdf, name)
        if name in ("countries", "provinces", "communities"):
            gdf, change = simplify_coverage(gdf, tolerance_m)
            if change:
                report.simplification.append({"layer": name, **change})
        else:
            gdf = simplify_lines(gdf, tolerance_m)
        gdf = with_source_titles(gdf, sources)
        # only these known keys go on: a property key reaches the page as a popup label and
        # as JavaScript (folium's feature identifier), so user keys are never passed through
        keep = [
            c
            for c in gdf.columns
            if c in _POPUP_FIELDS
            or c in ("id", "kind", "claimant", "holder", "start", "end", "status", "rendering", "section", "position")
        ]
        gdf = escape_properties(gdf[[*keep, gdf.geometry.name]], keep)
        out[name] = gdf
    return out


# ---------------------------------------------------------------- styling
def _style(name: str, props: Mapping) -> dict:
    kind = props.get("kind")
    if name == "countries":
        colour = PALETTE.get(props.get("claimant"), "#999999")
        return {"color": colour, "weight": 0.8, "fillColor": colour, "fillOpacity": 0.08}
    if name == "enclaves":
        colour = PALETTE.get(props.get("holder"), "#999999")
        return {"color": colour, "weight": 1.5, "fillOpacity": 1, "className": "bk-hatch"}
    if name == "zones":
        return {
            "color": PALETTE["zone"],
            "weight": 1.2,
            "dashArray": "4 3",
            "fillOpacity": 1,
            "className": "bk-hatch-zone",
        }
    if name == "lakes":
        return {"color": PALETTE["lake"], "weight": 0.8, "fillColor": PALETTE["lake"], "fillOpacity": 0.6}
    if name == "soviet_line":
        return {"color": PALETTE["line"], "weight": 2.5}
    if name == "soviet_line_osm2017":
        return {"color": PALETTE["alt1"], "weight": 1.5, "dashArray": "6 4"}
    if name == "soviet_line_ne10m":
        return {"color": PALETTE["alt2"], "weight": 1.5, "dashArray": "2 4"}
    if name == "claims" or kind == "claim":
        return {"color": PALETTE["claim"], "weight": 2.5, "dashArray": "8 4"}
    if name == "roads":
        return {"color": PALETTE["road"], "weight": 3, "dashArray": "1 6"}
    return {"color": PALETTE["user"], "weight": 2, "fillOpacity": 0.2}


_LABELS = {
    "countries": "Countries (de jure)",
    "lakes": "Lakes",
    "enclaves": "Enclaves / exclaves (hatched, by holder)",
    "zones": "Modelled zones (hypotheses)",
    "soviet_line": "Soviet-era line (WOF 2024)",
    "soviet_line_osm2017": "Soviet-era line (OSM 2017)",
    "soviet_line_ne10m": "Soviet-era line (Natural Earth)",
    "claims": "Claimed lines (Sev Lake)",
    "roads": "Goris-Kapan road (approximate)",
    "places": "Places",
    "events": "Reported events",
    "provinces": "Provinces",
    "communities": "Communities",
}


def _fields(gdf: gpd.GeoDataFrame) -> list[str]:
    return [f for f in _POPUP_FIELDS if f in gdf.columns and (gdf[f] != "").any()]


def _label(name: Any, label: str | None = None) -> str:
    """Return the escaped label of a layer: ``label``, borderkit's label for ``name``, or ``name``."""
    return escape_text(label or _LABELS.get(name, name))


def _details(fields: list[str]) -> tuple[Any, Any]:
    """Return (tooltip, popup) showing ``fields``, with escaped labels."""
    folium = _folium()
    if not fields:
        return None, None
    aliases = [escape_text(f) for f in fields]
    return (
        folium.GeoJsonTooltip(fields=fields[:1], aliases=aliases[:1]),
        folium.GeoJsonPopup(fields=fields, aliases=aliases),
    )


def new_map(**kwargs: Any) -> Any:
    """Return a folium.Map that loads only what borderkit uses: Leaflet (no jQuery, Bootstrap, icon fonts)."""
    folium = _folium()
    options = {"location": [40.0, 45.6], "zoom_start": 8, "tiles": None, "control_scale": True, **kwargs}
    m = folium.Map(**options)
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    return m


def _event_style(feature: Mapping) -> dict:
    """Return the style of one event marker: a filled dot, or a hollow dashed ring when area-named.

    The ring keeps a transparent fill so that a click inside it still opens the popup.
    """
    props = feature["properties"]
    colour = EVENT_COLOURS.get(props.get("type"), "#999")
    if props.get("position") == "area-named":
        return {**AREA_NAMED_STYLE, "color": colour, "fillColor": colour}
    return {"fillColor": colour, "color": "#333", "radius": 5}


def _add_layer(gdf: gpd.GeoDataFrame, *, name: str, m: Any, label: str | None = None, show: bool = True) -> Any:
    """Draw one prepared (escaped) layer as its own FeatureGroup; return its GeoJson layer."""
    folium = _folium()
    group = folium.FeatureGroup(name=_label(name, label), show=show)
    points = gdf.geom_type.isin(["Point", "MultiPoint"]).all()
    kwargs: dict[str, Any] = {"name": escape_text(name)}
    if points:
        colour = PALETTE.get("place" if name == "places" else "user")
        kwargs["marker"] = folium.CircleMarker(radius=4, color=colour, fill=True, fill_opacity=0.9, weight=1)
        if name == "events":
            kwargs["style_function"] = _event_style
    else:
        kwargs["style_function"] = lambda feature, n=name: _style(n, feature["properties"])
    tooltip, popup = _details(_fields(gdf))
    layer = folium.GeoJson(gdf.__geo_interface__, **kwargs, tooltip=tooltip, popup=popup)
    layer.add_to(group)
    group.add_to(m)
    return layer


def explore_layers(
    gdf: gpd.GeoDataFrame, *, name: str, m: Any = None, label: str | None = None, tolerance_m: float = 0.0
) -> Any:
    """Draw any GeoDataFrame onto a folium map (escaped, sourced popups); return the map.

    This is the free function notebooks call to add their own data to a borderkit map.
    ``name``, ``label`` and the data are shown as text, never run as HTML or template.
    """
    m = m if m is not None else new_map()
    from borderkit.registry import sources

    prepared = prepare_layers({name: gdf}, tolerance_m=tolerance_m, sources=sources(), report=MapReport())
    _add_layer(prepared[name], name=name, m=m, label=label)
    # a layer control lists the layers drawn before it: keep it after the new layer
    folium = _folium()
    for key in [k for k, child in m._children.items() if isinstance(child, folium.LayerControl)]:
        m._children.move_to_end(key)
    return m


def _dated(gdf: gpd.GeoDataFrame) -> bool:
    """Whether every feature has a ``start`` and ``end`` date, which a time slider needs.

    One bad date (text, or missing) corrupts the slider's interval tree and hides other
    features, so a layer goes on the slider only when all its dates parse.
    """
    return all(
        col in gdf and bool(pd.to_datetime(gdf[col], format="ISO8601", errors="coerce").notna().all())
        for col in ("start", "end")
    )


def _timeline_layer(gdf: gpd.GeoDataFrame, name: str, m: Any) -> Any:
    """Add a time-aware layer (features need ``start`` and ``end``); return the Timeline."""
    folium = _folium()
    from folium.utilities import JsCode

    # the Timeline (an L.GeoJSON) applies ``style`` to every layer after ``pointToLayer``, so a
    # point's look must come from one function used for both, or the layer style overrides it
    marker = (
        "function(feature) { var c = " + json.dumps(EVENT_COLOURS) + "[feature.properties.type] || '#D55E00';"
        " if (feature.properties.position === 'area-named') {"
        " return Object.assign(" + json.dumps(AREA_NAMED_STYLE) + ", {color: c, fillColor: c}); }"
        " return {radius: 5, color: '#333', weight: 1, fillColor: c, fillOpacity: 0.95}; }"
    )
    point = JsCode("function(feature, latlng) { return L.circleMarker(latlng, (" + marker + ")(feature)); }")
    if name == "events":
        style = JsCode(marker)
    else:
        style = JsCode("function(feature) { return " + json.dumps(_style(name, {})) + "; }")
    group = folium.FeatureGroup(name=_label(name))
    timeline = folium.plugins.Timeline(gdf.__geo_interface__, pointToLayer=point, style=style)
    for detail in _details(_fields(gdf)):
        if detail is not None:
            detail.add_to(timeline)
    timeline.add_to(group)
    group.add_to(m)
    return timeline


def _html_panel(m: Any, html_text: str, *, position_css: str, css_class: str) -> None:
    """Add a fixed HTML panel (legend, summary) to the map; the text must already be escaped."""
    m.get_root().html.add_child(
        raw_html(f'<div class="{css_class}" style="position:absolute;z-index:1000;{position_css}">{html_text}</div>')
    )


def _legend_html(layers: Iterable[str]) -> str:
    rows = []
    for name in layers:
        if name == "events":
            rows += [
                f'<div><span class="bk-dot" style="background:{c}"></span>{escape_text(t)}</div>'
                for t, c in EVENT_COLOURS.items()
            ]
            rows.append(f'<div><span class="bk-ring"></span>{escape_text(AREA_NAMED_LABEL)}</div>')
            continue
        style = _style(name, {"claimant": "ARM", "holder": "AZE"})
        colour = style.get("color", "#999")
        dash = "dashed" if style.get("dashArray") else "solid"
        rows.append(f'<div><span class="bk-swatch" style="border:2px {dash} {colour}"></span>{_label(name)}</div>')
    if "countries" in layers:
        rows.insert(
            0,
            f'<div><span class="bk-swatch" style="background:{PALETTE["ARM"]}"></span>Armenia (claimant)'
            f'</div><div><span class="bk-swatch" style="background:{PALETTE["AZE"]}"></span>'
            "Azerbaijan (claimant / holder)</div>",
        )
    return '<details class="bk-legend" open><summary><b>Legend</b></summary>' + "".join(rows) + "</details>"


def _summary_html(summary: Mapping) -> str:
    """Return the summary panel; numbers go through float(), text through escape_text()."""
    band = summary.get("band")
    band_text = (
        (
            f"<br>Monte Carlo ({escape_text(summary['samples'])} samples, seed {escape_text(summary['seed'])}): "
            f"median {float(band['median_km2']):.0f} km², "
            f"5–95% {float(band['p5_km2']):.0f}–{float(band['p95_km2']):.0f} km²"
        )
        if band
        else ""
    )
    estimates = "".join(f"<li>{escape_text(e)}</li>" for e in summary.get("estimates", []))
    return (
        '<div class="bk-summary" id="bk-summary">'
        f"<b>Modelled area on {escape_text(summary['date'])}: {float(summary['area_km2']):.1f} km²</b>"
        f"{band_text}<br><small>{escape_text(summary['how'])}</small>"
        f"<details><summary>Published estimates</summary><ul>{estimates}</ul></details></div>"
    )


_CSS = """
<style>
.bk-legend, .bk-summary { background: rgba(255,255,255,0.93); padding: 6px 9px; font: 12px/1.35 sans-serif;
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.35); max-width: 320px; }
.bk-swatch { display:inline-block; width:14px; height:10px; margin-right:6px; vertical-align:middle; }
.bk-dot { display:inline-block; width:10px; height:10px; border-radius:50%; margin-right:6px;
  border:1px solid #333; vertical-align:middle; }
.bk-ring { display:inline-block; width:10px; height:10px; border-radius:50%; margin-right:6px;
  border:2px dashed #333; background:transparent; vertical-align:middle; }
.bk-hatch { fill: url(#bk-hatch-aze) !important; }
.bk-hatch-zone { fill: url(#bk-hatch-zone) !important; }
.leaflet-container { background: #f4f4f1; }
/* names and values are untrusted and of any length: clip them, never widen a control off the screen
   (and no overflow-wrap: Chromium takes minutes to wrap a 100 000-character word) */
.leaflet-control-layers-overlays label, .bk-legend div, .leaflet-tooltip, .search-tip {
  max-width: 420px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bk-summary, .leaflet-popup-content { max-height: 50vh; overflow: auto; }
.leaflet-control-attribution { max-width: 60vw; max-height: 30vh; overflow: auto; }
</style>
<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="bk-hatch-aze" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
<rect width="6" height="6" fill="#E69F00" fill-opacity="0.15"/><line x1="0" y1="0" x2="0" y2="6"
stroke="#E69F00" stroke-width="2"/></pattern>
<pattern id="bk-hatch-zone" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(-45)">
<rect width="7" height="7" fill="#D55E00" fill-opacity="0.12"/><line x1="0" y1="0" x2="0" y2="7"
stroke="#D55E00" stroke-width="1.5"/></pattern></defs></svg>
"""


def _minimap(m: Any, countries: gpd.GeoDataFrame | None, basemap: str) -> None:
    """Add a minimap: the basemap when there is one, else the country outlines (works offline)."""
    folium = _folium()
    if basemap != "none":
        url, attr, _ = BASEMAPS[basemap]
        folium.plugins.MiniMap(tile_layer=folium.TileLayer(url, attr=attr), toggle_display=True).add_to(m)
        return
    if countries is None:
        return
    from branca.element import MacroElement
    from folium.template import Template

    class OutlineMiniMap(folium.plugins.MiniMap):
        _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_layer = L.geoJson({{ this.outline|tojson }},
                {style: {color: '#333', weight: 1, fillColor: '#ccc', fillOpacity: 0.5}});
            var {{ this.get_name() }} = new L.Control.MiniMap({{ this.get_name() }}_layer,
                {{ this.options|tojavascript }});
            {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """)

    mini = OutlineMiniMap(toggle_display=True, zoom_level_offset=-4)
    outline = countries.copy()
    outline.geometry = shapely.simplify(outline.geometry.to_numpy(), 0.01, preserve_topology=True)
    mini.outline = json.loads(outline[["geometry"]].to_json(drop_id=True))
    assert isinstance(mini, MacroElement)
    mini.add_to(m)


def _attribution(m: Any, texts: Iterable[str]) -> None:
    from branca.element import MacroElement
    from folium.template import Template

    class Attribution(MacroElement):
        _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}""")

    el = Attribution()
    parts = dict.fromkeys(p.strip() for t in texts for p in str(t).split(";") if p.strip())
    el.text = "Data: " + "; ".join(escape_text(p) for p in parts) + " | borderkit"
    el.add_to(m)


def build_map(
    frames: Mapping[str, gpd.GeoDataFrame],
    *,
    basemap: str = "none",
    tolerance_m: float = 50.0,
    sources: pd.DataFrame,
    attributions: Iterable[str],
    summary: Mapping | None = None,
    date: str | None = None,
    m: Any = None,
    overlays: Iterable[Mapping] = (),
) -> tuple[Any, MapReport]:
    """Build the borderkit map from layer frames (already filtered to ``date`` if given).

    With no ``date``, events get a time slider; with one, the map shows that date's state.
    ``overlays`` are raster images (``name``, RGBA ``image``, lon/lat ``bounds``) such as
    hillshade and viewshed.

    Every string given (frame names, property values, attributions, summary, overlay
    names, ``date``) is untrusted: it is shown as text and never runs as HTML or template.
    """
    if basemap not in BASEMAPS:
        raise UsageError(f"Unknown basemap {basemap!r}. Allowed: {', '.join(BASEMAPS)}.")
    folium = _folium()
    attributions = list(attributions)
    report = MapReport(layers=list(frames), frames=dict(frames), attributions=attributions)
    prepared = prepare_layers(frames, tolerance_m=tolerance_m, sources=sources, report=report)
    if m is None:
        m = new_map()
    if basemap != "none":
        url, attr, label = BASEMAPS[basemap]
        folium.TileLayer(url, attr=attr, name=label).add_to(m)
    m.get_root().header.add_child(raw_html(f'<meta name="generator" content="{GENERATOR}">'))
    m.get_root().header.add_child(raw_html(_CSS))
    for overlay in overlays:  # raster overlays (hillshade, viewshed) go under the vector layers
        w, s_, e, n = (float(v) for v in overlay["bounds"])
        group = folium.FeatureGroup(name=escape_text(overlay["name"]))
        image = np.asarray(overlay["image"], dtype="uint8")  # an array, never a URL or text
        folium.raster_layers.ImageOverlay(image, bounds=[[s_, w], [n, e]], opacity=1.0).add_to(group)
        group.add_to(m)
        report.layers.append(overlay["name"])
    timelines, search_layer = [], None
    for name, gdf in prepared.items():
        timed = date is None and "start" in gdf.columns
        if timed and _dated(gdf):
            timelines.append(_timeline_layer(gdf, name, m))
            continue
        if timed:
            report.notes.append(
                f"layer {name!r}: not every feature has start and end dates (YYYY-MM-DD), "
                "so it is drawn without the time slider."
            )
        if len(gdf):
            layer = _add_layer(gdf, name=name, m=m, show=name not in ("soviet_line_ne10m", "provinces", "communities"))
            search_layer = layer if name == "places" else search_layer
    if timelines:
        slider = folium.plugins.TimelineSlider(
            auto_play=False,
            date_options="YYYY-MM-DD",
            show_ticks=True,
            enable_keyboard_controls=True,
            playback_duration=20000,
        )
        slider.add_timelines(*timelines)
        slider.add_to(m)
    if search_layer is not None:
        folium.plugins.Search(
            layer=search_layer, search_label="name", placeholder="Search places", collapsed=False, position="topright"
        ).add_to(m)
    folium.plugins.MeasureControl(primary_length_unit="kilometers", primary_area_unit="sqmeters").add_to(m)
    folium.plugins.Fullscreen().add_to(m)
    _minimap(m, frames.get("countries"), basemap)
    folium.LayerControl(collapsed=False).add_to(m)
    _attribution(m, attributions)
    _html_panel(
        m,
        _legend_html(list(prepared)),
        position_css="bottom:120px;left:10px;max-height:45%;overflow:auto;",
        css_class="bk-legend-wrap",
    )
    if summary:
        report.summary = dict(summary)
        _html_panel(m, _summary_html(summary), position_css="top:10px;left:60px;", css_class="bk-summary-wrap")
    if date is not None:
        _html_panel(
            m,
            f'<div class="bk-summary">State on {escape_text(date)}</div>',
            position_css="bottom:10px;left:10px;",
            css_class="bk-date",
        )
    focus = [frames[n] for n in ("soviet_line", "zones", "events") if n in frames and len(frames[n])]
    bounds = shapely.total_bounds([g.geometry.union_all() for g in (focus or [f for f in frames.values() if len(f)])])
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m, report


def make_map(
    *,
    layers: Iterable[str] | None = None,
    date: str | None = None,
    add: Sequence[str] = (),
    basemap: str = "none",
    tolerance_m: float = 50.0,
    samples: int = 0,
    seed: int = 0,
    dem: str | None = None,
    m: Any = None,
    add_options: Mapping[str, Any] | None = None,
) -> tuple[Any, MapReport]:
    """Gather the data (bundled layers, zones, user layers, DEM overlays) and build the map.

    The one call behind ``borderkit map`` and :func:`explore`. ``add`` are the user's
    layer files (``-``: GeoJSON text in ``add_options["stdin_text"]``), read with
    ``add_options`` (see :func:`borderkit.mapdata.load_user_layer`).
    """
    from borderkit.mapdata import map_frames, terrain_overlays, user_layers
    from borderkit.registry import sources

    notes: list[str] = []
    user, credits = user_layers(add, **(add_options or {}), notes=notes)  # first: a bad file fails fast
    frames, attributions, summary = map_frames(layers=layers, date=date, samples=samples, seed=seed)
    frames, attributions = {**frames, **user}, [*attributions, *credits]
    overlays = []
    if dem:
        overlays = terrain_overlays(dem, frames)
        attributions = [*attributions, f"terrain from {Path(dem).name}"]
    m, report = build_map(
        frames,
        basemap=basemap,
        tolerance_m=tolerance_m,
        sources=sources(),
        attributions=attributions,
        summary=summary,
        date=date,
        m=m,
        overlays=overlays,
    )
    report.notes = [*notes, *report.notes]
    return m, report


def explore(
    layers: Iterable[str] | None = None,
    *,
    m: Any = None,
    date: str | None = None,
    basemap: str = "osm",
    tolerance_m: float = 50.0,
) -> Any:
    """Return a folium.Map of the bundled layers, for notebooks (draws onto ``m`` if given).

    Examples
    --------
    >>> import borderkit
    >>> m = borderkit.explore(["countries", "soviet_line"], basemap="none")  # doctest: +SKIP
    """
    built, _ = make_map(layers=layers, date=date, basemap=basemap, tolerance_m=tolerance_m, m=m)
    return built


# ---------------------------------------------------------------- output
def _pin_ids(element: Any, counter: list[int]) -> None:
    """Give every element a deterministic id (branca draws random ones)."""
    counter[0] += 1
    element._id = f"{counter[0]:08x}"
    for child in list(getattr(element, "_children", {}).values()):
        _pin_ids(child, counter)


_SCRIPT_RE = re.compile(r'<script\s+src="(https?://[^"]+)"\s*>\s*</script>')
_LINK_RE = re.compile(r'<link\s+rel="stylesheet"\s+href="(https?://[^"]+)"\s*/?>')


def _vendored(url: str) -> str:
    manifest = json.loads(resources.files("borderkit").joinpath("_vendor/assets.json").read_text())
    if url not in manifest:
        raise UsageError(
            f"--offline: no vendored copy of {url}. Vendored assets: {', '.join(sorted(manifest))}. "
            "Run 'make vendor' after adding it to scripts/vendor_assets.py."
        )
    entry = manifest[url]
    text = resources.files("borderkit").joinpath(f"_vendor/{entry['file']}").read_text(encoding="utf-8")
    return f"/* {entry['package']}@{entry['version']} ({entry['license']}) */\n{text}"


def to_html(m: Any, *, offline: bool = False) -> str:
    """Render a map to HTML with pinned element ids; with ``offline``, inline every JS/CSS asset."""
    root = m.get_root()
    _pin_ids(root, [0])
    text = root.render()
    if offline:
        text = _SCRIPT_RE.sub(
            lambda mt: "<script>" + _vendored(mt.group(1)).replace("</script", "<\\/script") + "</script>", text
        )
        text = _LINK_RE.sub(
            lambda mt: "<style>" + _vendored(mt.group(1)).replace("</style", "<\\/style") + "</style>", text
        )
    return text
