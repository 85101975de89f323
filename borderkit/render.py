"""Interactive Folium maps: sourced layers, time control, summary panel; deterministic and offline.

folium is imported inside the functions that need it. Feature properties, file and layer
names, and everything else given to :func:`build_map` are untrusted text: each string bound
for the page goes through :func:`borderkit.safehtml.escape_text` (inert as HTML and as a
Jinja template), and borderkit's own HTML goes in through :func:`borderkit.safehtml.raw_html`
(output, never compiled). See :mod:`borderkit.safehtml` for why both are needed.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderkit.errors import UsageError
from borderkit.measure import area
from borderkit.safehtml import escape_text, raw_html

__all__ = [
    "inline_assets",
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


class _PathStyle(TypedDict, total=False):
    """Leaflet path options (https://leafletjs.com/reference.html#path-option) that borderkit sets."""

    radius: float
    weight: float
    dashArray: str
    fill: bool
    fillOpacity: float


#: Okabe-Ito colour-blind-safe palette.
PALETTE = {
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
#: One colour per monitor's archive on a map (``observed:N:NAME`` layers), in turn.
OBSERVED_COLOURS = ("#882255", "#332288", "#117733")
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
AREA_NAMED_STYLE: _PathStyle = {"radius": 8, "weight": 2, "dashArray": "3 3", "fill": True, "fillOpacity": 0}
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
    "extent",
    "quote",
    "note",
    "properties",
)
#: Popup keys in words (a key not listed is shown as it is).
_ALIASES = {
    "name": "Name",
    "date": "Date",
    "end_date": "Until",
    "type": "Type",
    "placement": "Placed by",
    "source_title": "Source",
    "source": "Source key",
    "method": "Method",
    "confidence": "Confidence",
    "area_km2": "Area (km²)",
    "length_km": "Length (km)",
    "extent": "Extent",
    "quote": "Quote",
    "note": "Note",
    "properties": "Properties",
}
#: Keys borderkit knows; a user layer's other properties are shown as one line of text.
_KNOWN_KEYS = (*_POPUP_FIELDS, "id", "kind", "claimant", "holder", "start", "end", "status", "rendering", "section",
               "position")  # fmt: skip
#: The most characters of one property value, and of a user feature's properties line, shown in its popup.
_PROPERTY_CHARS, _PROPERTIES_CHARS = 80, 400


@dataclass
class MapReport:
    """What a map build did, for the CLI to tell the user."""

    layers: list[str] = field(default_factory=list)
    simplification: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    frames: dict = field(default_factory=dict)  # the unsimplified layers, for a static map of the same
    attributions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was assumed or repaired in the user's layers
    labels: Any = None  # the places labelled without a click (name, rank, geometry)
    layer_labels: dict = field(default_factory=dict)  # layers' words in the legend
    hidden: list[str] = field(default_factory=list)  # layers switched off at first
    parties: dict = field(default_factory=dict)  # party names by ISO code


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


def _with_properties_line(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a user layer with its own properties as one text value (``key: value · …``) for its popups.

    The keys are the user's, so they never become popup fields or JavaScript names: they
    are text inside a value, escaped with it. The source key is dropped where it only
    repeats the source's title (a user file is its own source).
    """
    own = [c for c in gdf.columns if c not in _KNOWN_KEYS and c != gdf.geometry.name]
    out = gdf.copy()
    if "source" in out and "source_title" in out and (out["source"] == out["source_title"]).all():
        out["source"] = ""
    if not own:
        return out

    def line(row: pd.Series) -> str:
        items = [f"{k}: {_short_text(v, _PROPERTY_CHARS)}" for k, v in row.items() if not _blank(v)]
        return _short_text(" · ".join(items), _PROPERTIES_CHARS)

    out["properties"] = out[own].apply(line, axis=1) if len(out) else []
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""


def _short_text(value: Any, limit: int) -> str:
    text = " ".join(f"{value:,.6g}".split()) if isinstance(value, float) else " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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

    def text(value: Any) -> str:
        return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)

    def title(key: Any) -> str:
        if key not in table.index:
            return text(key)
        s = table.loc[key]
        where = text(s.get("url")) or text(s.get("file"))
        said = f"{text(s.get('title'))} ({text(s.get('publisher'))}, {text(s.get('date')) or 'n.d.'})"
        return f"{said}; {where}" if where else said

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
        if name in _coverages():
            gdf, change = simplify_coverage(gdf, tolerance_m)
            if change:
                report.simplification.append({"layer": name, **change})
        else:
            gdf = simplify_lines(gdf, tolerance_m)
        gdf = with_source_titles(gdf, sources)
        if name.startswith("user:"):
            gdf = _with_properties_line(gdf)
        # only these known keys go on: a property key reaches the page as a popup label and
        # as JavaScript (folium's feature identifier), so user keys travel only as text in
        # one 'properties' value (escaped like every value)
        keep = [c for c in gdf.columns if c in _KNOWN_KEYS]
        gdf = escape_properties(gdf[[*keep, gdf.geometry.name]], keep)
        out[name] = gdf
    return out


# ---------------------------------------------------------------- styling
def _coverages() -> set[str]:
    """Return the layers that tile the ground (countries, the case's regions and communities): simplified as one."""
    from borderkit.case import current

    case = current()
    return {"countries", *(x for x in (case.regions_layer, case.communities_layer) if x)}


def party_colour(code: str | None) -> str:
    """Return a party's colour from the active case's manifest (grey for a code it does not name)."""
    from borderkit.case import current

    return current().party_colour(code)


def baseline_rank(name: str) -> int | None:
    """Return a layer's place among the case's baselines (0: the default), or None if it is not one."""
    from borderkit.case import current

    lines = current().baselines
    return lines.index(name) if name in lines else None


def is_line_layer(name: str) -> bool:
    """Whether a layer is drawn as lines: a baseline, the claimed lines, the roads."""
    return name in ("claims", "roads") or baseline_rank(name) is not None


def layer_words(name: str) -> str:
    """Return a layer's words in legends and the layer control: a baseline's from the manifest, else borderkit's."""
    from borderkit.case import current

    if baseline_rank(name) is not None:
        return current().baseline_label(name)
    if name.startswith("observed:"):
        return f"Ground held on the maps of {name.split(':', 2)[2]} (each map until the next)"
    if name.startswith("user:"):
        return f"Your layer: {name.split(':', 2)[2]}"  # the path as the user gave it
    return _LABELS.get(name, name)


def _style(name: str, props: Mapping) -> dict:
    kind = props.get("kind")
    if name == "countries":
        colour = party_colour(props.get("claimant"))
        return {"color": colour, "weight": 0.8, "fillColor": colour, "fillOpacity": 0.08}
    if name == "enclaves":
        colour = party_colour(props.get("holder"))
        return {"color": colour, "weight": 1.5, "fillOpacity": 1, "className": "bk-hatch"}
    if name == "zones":
        return {
            "color": PALETTE["zone"],
            "weight": 2.5,  # zones are a few km across: at a country's zoom a thin outline vanishes
            "dashArray": "4 3",
            "fillOpacity": 1,
            "className": "bk-hatch-zone",
        }
    if name.startswith("observed:"):  # a monitor's map of the ground held: one state at a time on the slider
        colour = OBSERVED_COLOURS[(int(name.split(":")[1]) - 1) % len(OBSERVED_COLOURS)]
        return {"color": colour, "weight": 1.5, "fillColor": colour, "fillOpacity": 0.3}
    if name == "lakes":
        return {"color": PALETTE["lake"], "weight": 0.8, "fillColor": PALETTE["lake"], "fillOpacity": 0.6}
    rank = baseline_rank(name)
    if rank == 0:  # the default rendering of the line: solid; the others dashed, in turn
        return {"color": PALETTE["line"], "weight": 2.5}
    if rank is not None:
        return {
            "color": PALETTE["alt1" if rank % 2 else "alt2"],
            "weight": 1.5,
            "dashArray": "6 4" if rank % 2 else "2 4",
        }
    if name == "claims" or kind == "claim":
        return {"color": PALETTE["claim"], "weight": 2.5, "dashArray": "8 4"}
    if name == "roads":
        return {"color": PALETTE["road"], "weight": 3, "dashArray": "1 6"}
    return {"color": PALETTE["user"], "weight": 2, "fillOpacity": 0.2}


_LABELS = {
    "countries": "Countries (de jure)",
    "lakes": "Lakes",
    "enclaves": "Enclaves held by the other side (hatched)",
    "zones": "Modelled zones (illustrative, calibrated)",
    "claims": "Claimed lines",
    "roads": "Roads (approximate)",
    "places": "Places named in the reports",
    "events": "Reported events",
    "provinces": "Provinces",
    "communities": "Communities",
}


def _fields(gdf: gpd.GeoDataFrame) -> list[str]:
    return [f for f in _POPUP_FIELDS if f in gdf.columns and (gdf[f] != "").any()]


def _label(name: Any, label: str | None = None) -> str:
    """Return the escaped label of a layer: ``label``, borderkit's label for ``name``, or ``name``."""
    return escape_text(label or layer_words(name))


def _details(fields: list[str]) -> tuple[Any, Any]:
    """Return (tooltip, popup) showing ``fields``, with escaped labels."""
    folium = _folium()
    if not fields:
        return None, None
    aliases = [escape_text(_ALIASES.get(f, f)) for f in fields]
    return (
        folium.GeoJsonTooltip(fields=fields[:1], aliases=aliases[:1]),
        folium.GeoJsonPopup(fields=fields, aliases=aliases),
    )


@functools.cache
def _map_class() -> type:
    """Return the folium.Map subclass borderkit draws on (built once folium is imported)."""
    _folium()  # the install hint when folium is missing
    from folium import Map

    class BorderkitMap(Map):
        """A folium.Map whose layer control is always written after every layer it lists.

        folium writes each element's script in the order the elements were added, and the
        layer control's script names the layers it lists: a layer added later (``gdf.explore(m=m)``,
        ``folium.GeoJson(...).add_to(m)``) would be named before it is defined, and the page
        would stop with a JavaScript error. Moving the control last at each render keeps any
        extension of the map working.
        """

        # branca's MacroElement.render (folium.Map's) returns None, while its base Element.render says str
        def render(self, **kwargs: Any) -> None:  # type: ignore[override]
            _controls_last(self)
            super().render(**kwargs)

    return BorderkitMap


def _controls_last(m: Any) -> None:
    """Move the map's layer control after its other children (see :func:`_map_class`).

    A second layer control (``GeoDataFrame.explore(m=m)`` adds one) would list the same
    layers in a second button: only the first is kept.
    """
    folium = _folium()
    keys = [k for k, child in m._children.items() if isinstance(child, folium.LayerControl)]
    for key in keys[1:]:
        del m._children[key]
    if keys:
        m._children.move_to_end(keys[0])


def new_map(**kwargs: Any) -> Any:
    """Return a folium.Map that loads only what borderkit uses: Leaflet (no jQuery, Bootstrap, icon fonts).

    Layers and controls added to it later, by borderkit, folium or ``GeoDataFrame.explore(m=m)``,
    work: its layer control is written last whatever was added after it.
    """
    from borderkit.case import current

    case = current()  # the view before the data's bounds are fitted: the case manifest's centre and zoom
    options = {"location": list(case.center), "zoom_start": case.zoom, "tiles": None, "control_scale": True, **kwargs}
    m = _map_class()(**options)
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


def _add_layer(
    gdf: gpd.GeoDataFrame, *, name: str, m: Any, label: str | None = None, show: bool = True,
    vector_tiles: bool | None = None,
) -> Any:  # fmt: skip
    """Draw one prepared (escaped) layer as its own FeatureGroup; return its GeoJson layer.

    A large layer (or any, with ``vector_tiles=True``) is drawn as client-side vector tiles
    instead, see :mod:`borderkit.vectortiles`.
    """
    from borderkit.vectortiles import vector_tile_layer, wants_vector_tiles

    folium = _folium()
    group = folium.FeatureGroup(name=_label(name, label), show=show)
    if wants_vector_tiles(gdf, vector_tiles):
        fields = _fields(gdf)
        labels = [_ALIASES.get(f, f) for f in fields]
        colour = PALETTE.get("place" if name == "places" else "user")
        tiles = vector_tile_layer(gdf, fields=fields, labels=labels, style=_style(name, {}),
                                  point_style={"color": colour, "fillColor": colour}, name=name)  # fmt: skip
        tiles.add_to(group)
        group.add_to(m)
        return tiles
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
    gdf: gpd.GeoDataFrame, *, name: str, m: Any = None, label: str | None = None, tolerance_m: float = 0.0,
    vector_tiles: bool | None = None,
) -> Any:  # fmt: skip
    """Draw any GeoDataFrame onto a folium map (escaped, sourced popups); return the map.

    This is the free function notebooks call to add their own data to a borderkit map.
    ``name``, ``label`` and the data are shown as text, never run as HTML or template.
    ``vector_tiles``: None draws a large layer as client-side vector tiles (from
    :data:`borderkit.vectortiles.VECTOR_TILE_MIN_VERTICES` vertices); True or False forces it.
    """
    m = m if m is not None else new_map()
    from borderkit.registry import sources

    prepared = prepare_layers({name: gdf}, tolerance_m=tolerance_m, sources=sources(), report=MapReport())
    _add_layer(prepared[name], name=name, m=m, label=label, vector_tiles=vector_tiles)
    _controls_last(m)  # a plain folium.Map given as ``m`` does not do it itself
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


def _timeline_layer(gdf: gpd.GeoDataFrame, name: str, m: Any, label: str | None = None) -> Any:
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
    group = folium.FeatureGroup(name=_label(name, label))
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


@dataclass(frozen=True)
class LegendEntry:
    """One legend key: its words and the symbol it shows, the same on the web page and in print.

    ``symbol`` is ``line``, ``area``, ``hatch``, ``dot`` or ``ring``; ``dash`` is an SVG
    dash array ('' for solid); ``opacity`` is an area's fill opacity, the layer's own, so
    the key looks like what is drawn.
    """

    label: str
    symbol: str
    colour: str
    fill: str = "none"
    dash: str = ""
    width: float = 2.0
    opacity: float = 0.25


def legend_entries(layers: Iterable[str], labels: Mapping[str, str] | None = None,
                   parties: Mapping[str, str] | None = None) -> list[LegendEntry]:  # fmt: skip
    """Return the legend of the given layers, in plain words, each key drawn as the layer is.

    ``labels`` overrides a layer's words; ``parties`` names the countries by ISO code.
    """
    labels, parties = labels or {}, parties or {}
    out: list[LegendEntry] = []
    for name in layers:
        label = labels.get(name) or layer_words(name)
        if name == "countries":
            opacity = float(_style("countries", {})["fillOpacity"])
            out += [
                LegendEntry(
                    f"{parties.get(iso, iso)} (de jure territory)",
                    "area",
                    party_colour(iso),
                    party_colour(iso),
                    opacity=opacity,
                )  # fmt: skip
                for iso in _party_codes()
            ]
        elif name == "events":
            out += [LegendEntry(t[:1].upper() + t[1:], "dot", "#333", c) for t, c in EVENT_COLOURS.items()]
            out.append(LegendEntry(AREA_NAMED_LABEL + " (hollow ring)", "ring", "#333", dash="3 3"))
        elif name == "places":
            out.append(LegendEntry(label, "dot", PALETTE["place"], PALETTE["place"]))
        elif name in ("zones", "enclaves"):
            colour = PALETTE["zone"] if name == "zones" else party_colour(_party_codes()[-1])
            out.append(LegendEntry(label, "hatch", colour, colour, "4 3" if name == "zones" else ""))
        else:
            style = _style(name, {})
            polygon = "fillOpacity" in style and not is_line_layer(name)
            out.append(
                LegendEntry(
                    label,
                    "area" if polygon else "line",
                    style.get("color", "#999"),
                    style.get("fillColor", style.get("color", "#999")) if polygon else "none",
                    style.get("dashArray", ""),
                    float(style.get("weight", 2)),
                    float(style.get("fillOpacity", 0.25)),
                )
            )
    return out


def _party_codes() -> tuple[str, ...]:
    """Return the ISO codes of the case's subject and counterpart (the countries in the legend)."""
    from borderkit.case import current

    case = current()
    return tuple(p.code for p in (case.subject, case.counterpart) if p is not None)


def _provenance_meta() -> str:
    """Return the map's provenance as HTML meta tags: version, case, command (escaped: a command is user text).

    No time: the same command on the same data writes the same bytes.
    """
    from borderkit.io import provenance

    record = provenance(method="map")
    keys = ("version", "case", "command")
    return "".join(
        f'<meta name="borderkit:{k}" content="{escape_text(str(record.get(k, "")))}">' for k in keys if k in record
    )


def _symbol_svg(entry: LegendEntry) -> str:
    """Return a 22×12 SVG key drawing ``entry``'s symbol (colours and dashes are borderkit's own)."""
    stroke = f'stroke="{entry.colour}" stroke-dasharray="{entry.dash}"'
    if entry.symbol == "line":
        shape = f'<line x1="1" y1="6" x2="21" y2="6" {stroke} stroke-width="{min(entry.width, 3)}"/>'
    elif entry.symbol == "dot":
        shape = f'<circle cx="11" cy="6" r="4.5" fill="{entry.fill}" stroke="{entry.colour}" stroke-width="1"/>'
    elif entry.symbol == "ring":
        shape = f'<circle cx="11" cy="6" r="4.5" fill="none" {stroke} stroke-width="1.6"/>'
    else:
        fill = "url(#bk-hatch-zone)" if entry.symbol == "hatch" and entry.dash else (
            "url(#bk-hatch-aze)" if entry.symbol == "hatch" else entry.fill)  # fmt: skip
        opacity = "" if entry.symbol == "hatch" else f' fill-opacity="{entry.opacity:g}"'
        shape = f'<rect x="2" y="1" width="18" height="10" fill="{fill}"{opacity} {stroke} stroke-width="1.5"/>'
    return f'<svg class="bk-key" width="22" height="12" aria-hidden="true">{shape}</svg>'


def _legend_html(entries: Iterable[LegendEntry]) -> str:
    rows = "".join(f"<div>{_symbol_svg(e)}{escape_text(e.label)}</div>" for e in entries)
    return f'<details class="bk-legend bk-fold" open><summary><b>Legend</b></summary>{rows}</details>'


def _km2(x: Any) -> str:
    """Return an area in km² for the panel: one decimal below 10, whole numbers above."""
    x = float(x)
    return f"{x:.1f}" if x < 10 else f"{x:,.0f}"


def _area_row(row: Mapping, *, cls: str) -> str:
    what = escape_text(row.get("name") or row.get("label"))
    return (
        f'<div class="{cls}"><span class="bk-what" title="{what}">{what}</span> <span class="bk-val">'
        f"<b>{_km2(row['area_km2'])} km²</b> "
        f'<span class="bk-int">({_km2(row["low_km2"])}–{_km2(row["high_km2"])})</span></span></div>'
    )


def _state_html(state: Mapping, *, shown: bool) -> str:
    """Return one date's account: each total with the components it adds, then the others in force."""
    parts = []
    for total in state.get("totals", []):
        parts.append(_area_row(total, cls="bk-total"))
        adds = total.get("components", [])
        parts += [_area_row(c, cls="bk-part") for c in adds] if len(adds) > 1 else []  # one: the total itself
    parts += [_area_row(c, cls="bk-total") for c in state.get("others", [])]
    if not parts:
        parts = ['<div class="bk-part">No land taken in the account yet.</div>']
    hidden = "" if shown else " hidden"
    lead = escape_text(_lead(state))
    return (
        f'<div class="bk-state" data-from="{escape_text(state["from"])}" data-lead="{lead}"{hidden}>'
        f"{''.join(parts)}</div>"
    )


def _lead(state: Mapping) -> str:
    """Return a state's first total in a few words, for the folded panel's one line (a phone shows only that)."""
    rows = [*state.get("totals", []), *state.get("others", [])]
    if not rows:
        return "none in the account yet"
    row = rows[0]
    value = f"{_km2(row['area_km2'])} km² ({_km2(row['low_km2'])}–{_km2(row['high_km2'])})"
    return f"{value} {row.get('name') or row.get('label')}"


def _figure_html(fig: Mapping, on: str) -> str:
    status = escape_text(fig.get("status_key", ""))
    hidden = " hidden" if str(fig["date"]) > on else ""
    quote = f" <q>{escape_text(fig['quote'])}</q>" if fig.get("quote") else ""
    return (
        f'<li data-date="{escape_text(fig["date"])}"{hidden}><b>{escape_text(fig["said"])}</b> '
        f"{escape_text(fig['who'])}, {escape_text(fig['date'])}. Covers: {escape_text(fig['covers'])}.{quote} "
        f'<span class="bk-status bk-status-{status}">{escape_text(fig["status"])}</span></li>'
    )


def _summary_html(summary: Mapping) -> str:
    """Return the headline panel: the account on the shown date beside the published figures.

    Every date's account is written (``data-from``; all but the shown date's hidden) and
    every figure carries its date, so the page can follow the time slider without building
    HTML in the browser. Numbers go through float(), text through escape_text().
    """
    on = str(summary["date"])
    from borderkit.mapdata import state_on

    current = state_on(summary, on)["from"]
    states = "".join(_state_html(s, shown=s["from"] == current) for s in summary.get("states", []))
    band = summary.get("band")
    band_text = (
        (
            f'<div class="bk-note">Monte Carlo of the drawn zones on {escape_text(on)} '
            f"({escape_text(summary['samples'])} samples, seed {escape_text(summary['seed'])}): "
            f"median {float(band['median_km2']):.0f} km², "
            f"5–95% {float(band['p5_km2']):.0f}–{float(band['p95_km2']):.0f} km²</div>"
        )
        if band
        else ""
    )
    figures = [_figure_html(f, on) for f in reversed(summary.get("figures", []))]  # the latest first
    figures += [f"<li>{escape_text(e)}</li>" for e in summary.get("estimates", [])]
    count = sum(str(f["date"]) <= on for f in summary.get("figures", [])) + len(summary.get("estimates", []))
    how = f'<div class="bk-note">{escape_text(summary["how"])}</div>' if summary.get("how") else ""
    return (
        '<div class="bk-summary" id="bk-summary"><details class="bk-fold" open><summary>'
        f'<b>Land held, on <span class="bk-now">{escape_text(on)}</span></b>'
        '<span class="bk-sub"> (account of the published figures: km², interval)</span>'
        f'<span class="bk-lead">: {escape_text(_lead(state_on(summary, on)))}</span></summary>'
        f"{states}{band_text}{how}"
        f'<details class="bk-figures bk-fold" open><summary>Published figures '
        f'(<span class="bk-count">{count}</span> to this date)</summary><ul>{"".join(figures)}</ul></details>'
        "</details></div>"
    )


#: The page's script for the headline: follow the slider, fold panels on small screens.
#: A constant (no data): it reads dates from ``data-`` attributes written by :func:`_summary_html`.
_FOLLOW_JS = """
{% macro script(this, kwargs) %}
(function () {
  function day(t) { return new Date(t).toISOString().slice(0, 10); }
  function show(on) {
    var panel = document.getElementById('bk-summary');
    if (!panel) return;
    panel.querySelectorAll('.bk-now').forEach(function (e) { e.textContent = on; });
    var current = null;
    panel.querySelectorAll('.bk-state').forEach(function (s) { if (s.dataset.from <= on) current = s; });
    panel.querySelectorAll('.bk-state').forEach(function (s) { s.hidden = s !== current; });
    panel.querySelectorAll('.bk-lead').forEach(function (e) {
      e.textContent = current ? ': ' + current.dataset.lead : '';
    });
    var n = 0;
    panel.querySelectorAll('li[data-date]').forEach(function (li) {
      li.hidden = li.dataset.date > on; if (!li.hidden) n++;
    });
    panel.querySelectorAll('.bk-count').forEach(function (e) { e.textContent = n; });
    document.documentElement.dataset.bkDate = on;
  }
  var slider = {% if this.slider %}{{ this.slider.get_name() }}{% else %}null{% endif %};
  if (slider) {
    slider.timelines.forEach(function (tl) { tl.on('change', function () { show(day(tl.time)); }); });
    slider.setTime(slider.end);  // start on the latest state
    show(day(slider.end));
  }
  if (window.innerWidth < 700) {  // small screens: panels start folded, the map stays visible
    document.querySelectorAll('details.bk-fold').forEach(function (d) { d.open = false; });
  }
})();
{% endmacro %}
"""

#: Fit the data into the part of the map the panels leave visible (the headline on the left of a
#: wide screen, the slider at the bottom); a phone folds its panels, so it pads little.
_FIT_JS = """
{% macro script(this, kwargs) %}
(function (map) {
  var wide = window.innerWidth >= 700;
  map.fitBounds({{ this.box|tojson }}, {paddingTopLeft: [wide ? 380 : 10, wide ? 10 : 60],
                                         paddingBottomRight: [wide ? 370 : 10, 90]});
})({{ this._parent.get_name() }});
{% endmacro %}
"""

#: Hide the labels that would overlap a more important one, at every zoom and pan.
_DECLUTTER_JS = """
{% macro script(this, kwargs) %}
(function (map) {
  function declutter() {
    var kept = [];
    var labels = Array.from(map.getContainer().querySelectorAll('.bk-label'));
    labels.sort(function (a, b) { return a.dataset.rank - b.dataset.rank; });
    labels.forEach(function (el) {
      el.style.visibility = 'visible';
      var r = el.getBoundingClientRect();
      var hit = kept.some(function (k) {
        return r.left < k.right + 2 && r.right > k.left - 2 && r.top < k.bottom + 1 && r.bottom > k.top - 1;
      });
      if (hit) { el.style.visibility = 'hidden'; } else { kept.push(r); }
    });
  }
  map.on('zoomend moveend overlayadd layeradd', declutter);
  map.whenReady(function () { setTimeout(declutter, 0); });
})({{ this._parent.get_name() }});
{% endmacro %}
"""


def _script_element(template: str, **attrs: Any) -> Any:
    """Return a MacroElement that writes a constant script (``attrs`` are elements borderkit made, or None)."""
    from branca.element import MacroElement
    from folium.template import Template

    class Script(MacroElement):
        _template = Template(template)

    el = Script()
    for key, value in attrs.items():
        setattr(el, key, value)
    return el


def _add_labels(m: Any, labels: gpd.GeoDataFrame) -> None:
    """Add permanent labels (rank 0 first); a script hides those that collide with a higher rank."""
    folium = _folium()
    group = folium.FeatureGroup(name="Place names", show=True)
    for name, rank, point in zip(labels["name"], labels["rank"], labels.geometry, strict=True):
        html_text = f'<span class="bk-label" data-rank="{int(rank)}">{escape_text(name)}</span>'
        icon = folium.DivIcon(html=html_text, icon_size=(0, 0), icon_anchor=(-6, 8), class_name="bk-label-icon")
        folium.Marker([point.y, point.x], icon=icon, interactive=False, keyboard=False).add_to(group)
    group.add_to(m)
    _script_element(_DECLUTTER_JS).add_to(m)


_CSS = """
<style>
.bk-legend, .bk-summary { background: rgba(255,255,255,0.95); padding: 6px 9px; font: 12px/1.35 sans-serif;
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.35); }
.bk-summary { width: 360px; max-height: calc(100vh - 120px); overflow: auto; box-sizing: border-box; }
.bk-summary summary, .bk-legend summary { cursor: pointer; }
.bk-summary .bk-sub, .bk-note, .bk-int { color: #555; font-size: 11px; }
.bk-lead { font-weight: 600; } details.bk-fold[open] > summary .bk-lead { display: none; }
details.bk-fold:not([open]) > summary .bk-sub { display: none; }
.bk-total, .bk-part { display: flex; gap: 6px; align-items: baseline; }
.bk-total { margin-top: 4px; } .bk-part { margin-left: 12px; color: #333; font-size: 11px; }
.bk-what { flex: 1; min-width: 0; }
.bk-part .bk-what { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bk-val { white-space: nowrap; }
.bk-note { margin-top: 4px; }
.bk-figures ul { margin: 2px 0 0 0; padding-left: 16px; max-height: 30vh; overflow: auto; font-size: 11px; }
.bk-figures li { margin-bottom: 3px; } .bk-figures q { color: #444; font-style: italic; }
.bk-status { white-space: nowrap; padding: 0 3px; border-radius: 3px; background: #eee; }
.bk-status-fits, .bk-status-lower-bound-met { background: #d9efe3; }
.bk-status-outlier { background: #f6d9c9; } .bk-status-repeats { background: #eee; color: #666; }
.bk-key { vertical-align: middle; margin-right: 6px; }
.bk-legend { max-height: calc(100vh - 350px); overflow: auto; }
.bk-label-icon { background: none; border: none; }
.bk-label { display: inline-block; white-space: nowrap; font: 600 12px/1.1 sans-serif; color: #222;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; pointer-events: none; }
.bk-hatch { fill: url(#bk-hatch-aze) !important; }
.bk-hatch-zone { fill: url(#bk-hatch-zone) !important; }
.leaflet-container { background: #f4f4f1; }
/* names and values are untrusted and of any length: clip them, never widen a control off the screen
   (and no overflow-wrap: Chromium takes minutes to wrap a 100 000-character word) */
.leaflet-control-layers-overlays label, .bk-legend div, .leaflet-tooltip, .search-tip {
  max-width: 420px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.leaflet-popup-content { max-height: 50vh; overflow: auto; }
.leaflet-popup-content th { text-align: left; padding-right: 6px; color: #555; }
/* the attribution is one line beside the slider; it opens upwards on hover or focus */
.leaflet-control-attribution { max-width: 30vw; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.leaflet-control-attribution:hover, .leaflet-control-attribution:focus-within {
  white-space: normal; max-height: 40vh; overflow: auto; }
.leaflet-bottom.leaflet-left .leaflet-timeline-control { width: calc(70vw - 60px); box-sizing: border-box; }
@media (max-width: 700px) {
  .bk-summary-wrap { left: 50px !important; right: 10px; }
  .bk-summary { width: auto; max-height: 45vh; }
  .leaflet-top.leaflet-right { top: 76px; }  /* below the folded headline's two lines */
  .leaflet-control-search .search-input { width: 110px; }
  .leaflet-control-minimap, .leaflet-control-measure { display: none; }
  .bk-legend-wrap { top: 192px !important; }
  .bk-legend { max-height: calc(100vh - 330px); }
  .leaflet-timeline-control output, .leaflet-timeline-control .time-text { white-space: nowrap; }
  .leaflet-control-attribution { max-width: 22vw; }
  .leaflet-bottom.leaflet-left .leaflet-timeline-control { width: calc(78vw - 30px); }
  .leaflet-control-scale { display: none; }
}
</style>
<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="bk-hatch-aze" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
<rect width="6" height="6" fill="#E69F00" fill-opacity="0.15"/><line x1="0" y1="0" x2="0" y2="6"
stroke="#E69F00" stroke-width="2"/></pattern>
<pattern id="bk-hatch-zone" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(-45)">
<rect width="7" height="7" fill="#D55E00" fill-opacity="0.35"/><line x1="0" y1="0" x2="0" y2="7"
stroke="#D55E00" stroke-width="2"/></pattern></defs></svg>
"""


def _minimap(m: Any, countries: gpd.GeoDataFrame | None, basemap: str) -> None:
    """Add a minimap: the basemap when there is one, else the country outlines (works offline)."""
    folium = _folium()
    if (tiles := BASEMAPS[basemap]) is not None:
        url, attr, _ = tiles
        folium.plugins.MiniMap(tile_layer=folium.TileLayer(url, attr=attr), toggle_display=True).add_to(m)
        return
    if countries is None:
        return
    from branca.element import MacroElement
    from folium.plugins import MiniMap
    from folium.template import Template

    class OutlineMiniMap(MiniMap):
        outline: dict[str, Any]  # the countries as GeoJSON, written into the page by the template
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
        text: str
        _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}""")

    el = Attribution()
    parts = dict.fromkeys(_credit(p) for t in texts for p in str(t).split(";") if p.strip())
    el.text = "Data: " + "; ".join(escape_text(p) for p in parts) + " | borderkit"
    el.add_to(m)


def _tiling_note(gdf: gpd.GeoDataFrame, name: str, tiled: bool | None) -> list[str]:
    """Say when a layer is drawn as vector tiles, and what that changes for the reader."""
    from borderkit.vectortiles import vertex_count, wants_vector_tiles

    if not wants_vector_tiles(gdf, tiled):
        return []
    return [
        f"{layer_words(name)} ({len(gdf):,} features, {vertex_count(gdf):,} vertices) is drawn as vector "
        "tiles: fast at any size; its features are not in the place search and share one style "
        "(--no-vector-tiles draws it as GeoJSON)."
    ]


def _credit(text: str) -> str:
    """Return one credit for the attribution line, without a leading "Data from" (the line says "Data:")."""
    text = text.strip()
    return text[len("data from ") :] if text.lower().startswith("data from ") else text


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
    labels: gpd.GeoDataFrame | None = None,
    layer_labels: Mapping[str, str] | None = None,
    hidden: Iterable[str] | None = None,
    parties: Mapping[str, str] | None = None,
    vector_tiles: bool | None = None,
) -> tuple[Any, MapReport]:
    """Build the borderkit map from layer frames (already filtered to ``date`` if given).

    With no ``date``, events get a time slider that starts on the latest state and the
    summary follows it; with one, the map shows that date's state. ``overlays`` are raster
    images (``name``, RGBA ``image``, lon/lat ``bounds``) such as hillshade and viewshed.
    ``labels`` are places named without a click (``name``, ``rank``: 0 is the most
    important, kept when labels collide); ``layer_labels`` give layers their words in the
    legend and layer control; ``hidden`` layers start switched off (default: the case's
    regions and communities; the map command adds the other renderings of the line);
    ``parties`` names the countries by ISO code in the legend. ``vector_tiles`` draws the
    user's layers (``user:…``) as client-side vector tiles (True), never (False) or when
    they are large (None, :data:`borderkit.vectortiles.VECTOR_TILE_MIN_VERTICES`; the
    case's own layers always go by their size).

    Every string given (frame names, property values, attributions, summary, overlay
    names, labels, ``date``) is untrusted: it is shown as text and never runs as HTML or template.
    """
    if basemap not in BASEMAPS:
        raise UsageError(f"Unknown basemap {basemap!r}. Allowed: {', '.join(BASEMAPS)}.")
    folium = _folium()
    hidden = _coverages() - {"countries"} if hidden is None else set(hidden)
    attributions, layer_labels = list(attributions), dict(layer_labels or {})
    report = MapReport(
        layers=list(frames),
        frames=dict(frames),
        attributions=attributions,
        labels=labels,
        layer_labels=layer_labels,
        hidden=sorted(hidden),
        parties=dict(parties or {}),
    )
    prepared = prepare_layers(frames, tolerance_m=tolerance_m, sources=sources, report=report)
    if m is None:
        m = new_map()
    if (tiles := BASEMAPS[basemap]) is not None:
        url, attr, label = tiles
        folium.TileLayer(url, attr=attr, name=label).add_to(m)
    m.get_root().header.add_child(raw_html(f'<meta name="generator" content="{GENERATOR}">'))
    m.get_root().header.add_child(raw_html(_provenance_meta()))
    m.get_root().header.add_child(raw_html(_CSS))
    _add_overlays(m, overlays, report)
    timelines, search_layer = [], None
    for name, gdf in prepared.items():
        timed = date is None and "start" in gdf.columns
        if timed and _dated(gdf):
            timelines.append(_timeline_layer(gdf, name, m, label=layer_labels.get(name)))
            continue
        if timed:
            report.notes.append(
                f"layer {name!r}: not every feature has start and end dates (YYYY-MM-DD), "
                "so it is drawn without the time slider."
            )
        if len(gdf):
            tiled = vector_tiles if name.startswith("user:") else None  # the case's own layers: by their size
            layer = _add_layer(gdf, name=name, m=m, label=layer_labels.get(name), show=name not in hidden,
                               vector_tiles=tiled)  # fmt: skip
            report.notes += _tiling_note(gdf, name, tiled)
            search_layer = layer if name == "places" else search_layer
    if labels is not None and len(labels):
        _add_labels(m, labels)
    slider = _slider(m, timelines)
    if search_layer is not None:
        folium.plugins.Search(
            layer=search_layer, search_label="name", placeholder="Search places", collapsed=False, position="topright"
        ).add_to(m)
    folium.plugins.MeasureControl(primary_length_unit="kilometers", primary_area_unit="sqmeters").add_to(m)
    folium.plugins.Fullscreen().add_to(m)
    _minimap(m, frames.get("countries"), basemap)
    folium.LayerControl(collapsed=True).add_to(m)
    _attribution(m, attributions)
    entries = legend_entries([n for n in prepared if n not in hidden], layer_labels, parties)
    _html_panel(m, _legend_html(entries), position_css="top:150px;right:10px;", css_class="bk-legend-wrap")
    if summary:
        report.summary = dict(summary)
        _html_panel(m, _summary_html(summary), position_css="top:10px;left:50px;", css_class="bk-summary-wrap")
    _script_element(_FOLLOW_JS, slider=slider).add_to(m)
    if date is not None:
        _html_panel(
            m,
            f'<div class="bk-summary">State on {escape_text(date)}</div>',
            position_css="bottom:10px;left:10px;",
            css_class="bk-date",
        )
    from borderkit.case import current

    focus = [frames[n] for n in (current().default_baseline, "zones", "events") if n in frames and len(frames[n])]
    bounds = shapely.total_bounds([g.geometry.union_all() for g in (focus or [f for f in frames.values() if len(f)])])
    box = [[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]]  # numbers only
    _script_element(_FIT_JS, box=box).add_to(m)
    return m, report


def _add_overlays(m: Any, overlays: Iterable[Mapping], report: MapReport) -> None:
    """Add raster overlays (hillshade, viewshed) under the vector layers."""
    folium = _folium()
    for overlay in overlays:
        w, s_, e, n = (float(v) for v in overlay["bounds"])
        group = folium.FeatureGroup(name=escape_text(overlay["name"]))
        image = np.asarray(overlay["image"], dtype="uint8")  # an array, never a URL or text
        folium.raster_layers.ImageOverlay(image, bounds=[[s_, w], [n, e]], opacity=1.0).add_to(group)
        group.add_to(m)
        report.layers.append(overlay["name"])


def _slider(m: Any, timelines: list) -> Any:
    """Add one time slider driving every timeline; return it (None without timelines)."""
    if not timelines:
        return None
    folium = _folium()
    slider = folium.plugins.TimelineSlider(
        auto_play=False,
        date_options="YYYY-MM-DD",
        show_ticks=True,
        enable_keyboard_controls=True,
        playback_duration=20000,
    )
    slider.add_timelines(*timelines)
    slider.add_to(m)
    return slider


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
    observed: Mapping[str, gpd.GeoDataFrame] | gpd.GeoDataFrame | None = None,
    vector_tiles: bool | None = None,
) -> tuple[Any, MapReport]:
    """Gather the data (bundled layers, zones, user layers, DEM overlays) and build the map.

    The one call behind ``borderkit map`` and :func:`explore`. ``add`` are the user's
    layer files (``-``: GeoJSON text in ``add_options["stdin_text"]``), read with
    ``add_options`` (see :func:`borderkit.mapdata.load_user_layer`). ``observed`` is a
    monitor's archive (:func:`borderkit.observed.read_archive`), or several by name, each
    drawn on the time slider one map at a time. Labels, the zones' words and the
    renderings of the line shown at first come from the case's data.
    """
    from borderkit.mapdata import default_labels, map_frames, party_names, terrain_overlays, user_layers, zone_label
    from borderkit.registry import baselines, components, sources

    notes: list[str] = []
    user, credits = user_layers(add, **(add_options or {}), notes=notes)  # first: a bad file fails fast
    frames, attributions, summary = map_frames(layers=layers, date=date, samples=samples, seed=seed, observed=observed)
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
        labels=default_labels() if "places" in frames or "events" in frames else None,
        layer_labels={"zones": zone_label(components())} if "zones" in frames else {},
        hidden=(*_coverages() - {"countries"}, *baselines()[1:]),  # one rendering of the line; others on request
        parties=party_names(),
        vector_tiles=vector_tiles,
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
    observed: Mapping[str, gpd.GeoDataFrame] | gpd.GeoDataFrame | None = None,
) -> Any:
    """Return a folium.Map of the bundled layers, for notebooks (draws onto ``m`` if given).

    ``observed``: a monitor's archive (:func:`borderkit.observed.read_archive`'s first
    value), or several by name (``{"monitor-a": series, ...}``), each drawn on the time
    slider one map at a time.

    Examples
    --------
    >>> import borderkit
    >>> m = borderkit.explore(["countries", "zones"], basemap="none")  # doctest: +SKIP
    """
    built, _ = make_map(layers=layers, date=date, basemap=basemap, tolerance_m=tolerance_m, m=m, observed=observed)
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


def _fresh_copy(m: Any) -> Any:
    """Return a copy of the map's page with what earlier renders left in it taken out.

    Rendering changes a folium page: every layer adds an ``addTo`` child (a marker a ``setIcon``
    one), every element adds
    its script, header and HTML to the page under its own name. Rendered again under new
    ids (:func:`_pin_ids`), a page displayed in Jupyter first would carry every layer and
    control twice. The copy keeps what was built (elements, and page parts added under their
    own name) and drops what renders made, so the output is the same whatever was shown before.
    """
    from branca.element import CssLink, JavascriptLink
    from folium.elements import ElementAddToElement
    from folium.map import Marker

    root = copy.deepcopy(m.get_root())

    def strip(element: Any) -> None:
        children = getattr(element, "_children", {})
        for key in [k for k, c in children.items() if isinstance(c, (ElementAddToElement, Marker.SetIcon))]:
            del children[key]
        for child in list(children.values()):
            strip(child)

    strip(root)
    for child in list(root._children.values()):  # the order a render gives, so ids are pinned the same
        if isinstance(child, _map_class()):
            _controls_last(child)
    for part in (getattr(root, name, None) for name in ("header", "html", "script")):
        if part is None:
            continue
        made = [
            k
            for k, c in part._children.items()
            if k != c.get_name() and (_RENDERED_KEY.search(k) or isinstance(c, (JavascriptLink, CssLink)))
        ]  # scripts and styles a render filed (asset links come back with it, in their order)
        for key in made:
            del part._children[key]
    return root


#: The key a render files an element's script/header/HTML under: the element's name (``kind_<hex id>``),
#: sometimes with a suffix (folium's ``geo_json_tooltip_<id>tablestyle``).
_RENDERED_KEY = re.compile(r"_[0-9a-f]{8}(?:[0-9a-f]{24})?[a-z_]*$")


def inline_assets(text: str) -> str:
    """Return a rendered page with every remote JS/CSS asset replaced by its vendored copy.

    Raises a UsageError naming the asset when one has no vendored copy.
    """
    text = _SCRIPT_RE.sub(
        lambda mt: "<script>" + _vendored(mt.group(1)).replace("</script", "<\\/script") + "</script>", text
    )
    return _LINK_RE.sub(
        lambda mt: "<style>" + _vendored(mt.group(1)).replace("</style", "<\\/style") + "</style>", text
    )


def to_html(m: Any, *, offline: bool = False) -> str:
    """Render a map to HTML with pinned element ids; with ``offline``, inline every JS/CSS asset.

    The map itself is not changed: a copy is rendered (see :func:`_fresh_copy`), so the
    output is the same after the map was displayed, saved or rendered before.
    """
    root = _fresh_copy(m)
    _pin_ids(root, [0])
    text = root.render()
    return inline_assets(text) if offline else text
