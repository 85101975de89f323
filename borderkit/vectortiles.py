"""Large layers as client-side vector tiles inside a self-contained map.

A layer drawn as plain GeoJSON becomes one Leaflet SVG path per feature: with 100,000
polygons the page is tens of megabytes, takes many seconds to appear, and every zoom
re-projects every path. Above :data:`VECTOR_TILE_MIN_VERTICES` a layer is written
instead as a compact payload, and geojson-vt (vendored from npm) cuts it into vector tiles
in the browser: only the tiles in view are drawn, each tile one canvas with its features
painted in small batches, and a click or hover finds its feature in the tile under the
pointer. While the page is idle, the next zoom level's tiles in view are cut and painted
ahead (bitmaps, a few MB): a zoom in then only copies them.
Leaflet.VectorGrid was tried first: its slicer copies the whole layer to a web worker,
and it makes a Leaflet layer of every feature in every tile, which at 100,000 polygons
took longer to appear and to zoom than the targets allow (see BENCHMARKS.md).

The payload (:func:`build_payload`, read back by :func:`decode_payload`):

- coordinates are quantised to ``10**-precision`` degrees (default 1e-5: each axis is
  moved at most 0.5e-5°, about 0.56 m) and stored as integers, each the difference from
  the previous vertex, so most are two or three digits;
- the ring, part and geometry structure is stored as counts (shapely's ragged arrays);
- every distinct property string is stored once (``strings``); each feature holds one
  index per property key (``columns``), expanded in the browser only when a popup opens.

Property values, keys (their labels) and the layer name are untrusted. They reach the page
only as JSON data in a script that borderkit writes verbatim (never compiled as a Jinja
template, see :mod:`borderkit.safehtml`), with ``<``, ``>`` and ``&`` written as JSON escapes,
and every string is HTML text that cannot form markup: a value that is not already
:func:`~borderkit.safehtml.escape_text` output is escaped here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from borderkit.safehtml import escape_text, raw_html

__all__ = [
    "VECTOR_TILE_MIN_VERTICES",
    "PRECISION",
    "GEOJSONVT_JS",
    "vertex_count",
    "wants_vector_tiles",
    "quantise",
    "string_table",
    "encode_geometries",
    "build_payload",
    "decode_payload",
    "vector_tile_layer",
]

#: Layers with at least this many vertices are drawn as vector tiles (``vector_tiles=None``).
#: Measured with benchmarks/bench_vectortiles.py (BENCHMARKS.md): at 28,000 and 63,000 vertices
#: both ways were ready and zoomed in about the same time (the tiles' page 3-4.5x smaller), and
#: below it plain GeoJSON keeps what only per-feature Leaflet layers give (search, bounds,
#: styling per feature); at 154,000 GeoJSON zoomed 3.8x slower, and at 712,000 explore() 20x.
VECTOR_TILE_MIN_VERTICES = 50_000
#: Decimal places of a degree kept by default: 1e-5° (≤ 0.5e-5° per axis, about 0.56 m).
PRECISION = 5
#: The CDN URL folium would load; ``to_html(offline=True)`` inlines the vendored copy.
GEOJSONVT_JS = "https://cdn.jsdelivr.net/npm/geojson-vt@3.2.1/geojson-vt.js"
FORMAT = "borderkit-vt/1"

#: shapely type ids by family: the family's ragged type, and its dimension for styling.
_FAMILIES = (((0, 4), 1), ((1, 5), 2), ((3, 6), 3))
#: Leaflet's own path defaults, for what a style leaves out.
_LEAFLET_PATH = {"color": "#3388ff", "weight": 3, "opacity": 1.0, "fillOpacity": 0.2}
_HTML_UNSAFE = frozenset('<>"{}')
_GEOJSON_TYPES = {
    "POINT": "Point",
    "MULTIPOINT": "MultiPoint",
    "LINESTRING": "LineString",
    "MULTILINESTRING": "MultiLineString",
    "POLYGON": "Polygon",
    "MULTIPOLYGON": "MultiPolygon",
}


# ---------------------------------------------------------------- choosing (pure)
def vertex_count(gdf: gpd.GeoDataFrame) -> int:
    """Return the number of vertices of the frame's geometries (what drawing them costs)."""
    return int(shapely.get_num_coordinates(gdf.geometry.to_numpy()).sum())


def wants_vector_tiles(gdf: gpd.GeoDataFrame, vector_tiles: bool | None = None) -> bool:
    """Whether to draw ``gdf`` as vector tiles: forced by ``vector_tiles``, else by its size.

    ``None`` chooses by :data:`VECTOR_TILE_MIN_VERTICES`; ``True``/``False`` force it on/off.
    """
    if vector_tiles is not None:
        return bool(vector_tiles)
    return vertex_count(gdf) >= VECTOR_TILE_MIN_VERTICES


# ---------------------------------------------------------------- payload (pure)
def quantise(xy: np.ndarray, precision: int = PRECISION) -> np.ndarray:
    """Return lon/lat rounded to ``10**-precision`` degrees, as int64 multiples of that step."""
    return np.round(np.asarray(xy, dtype="float64") * 10.0**precision).astype("int64")


def _html_text(value: Any) -> str:
    """Return ``value`` as HTML text: kept if it is escaped text already, else escaped.

    Text made by :func:`~borderkit.safehtml.escape_text` never holds ``< > " { }``; a value that
    does cannot be escaped text, and is escaped here, so no string can form markup in a popup.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = value if isinstance(value, str) else str(value)
    return escape_text(text) if _HTML_UNSAFE.intersection(text) else text


def string_table(columns: Mapping[str, Iterable[Any]]) -> tuple[list[str], dict[str, list[int]]]:
    """Return every distinct value once, and each column as indices into that table.

    Values become HTML text (see :func:`_html_text`); missing values become ``""``.
    """
    index: dict[str, int] = {}
    out: dict[str, list[int]] = {}
    for key, values in columns.items():
        out[key] = [index.setdefault(text, len(index)) for text in map(_html_text, values)]
    return list(index), out


def _delta(values: np.ndarray) -> list[int]:
    """Return the differences between consecutive rows (the first from zero), flattened."""
    return np.diff(values, axis=0, prepend=np.zeros_like(values[:1])).ravel().tolist()


def _explode_collections(geoms: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (geometries, rows) with collections split into their parts and rings made lines."""
    types = shapely.get_type_id(geoms)
    mixed = types == 7
    if mixed.any():
        parts, index = shapely.get_parts(geoms[mixed], return_index=True)
        geoms = np.concatenate([geoms[~mixed], parts])
        rows = np.concatenate([rows[~mixed], rows[mixed][index]])
        types = shapely.get_type_id(geoms)
    rings = types == 2
    geoms[rings] = [shapely.LineString(shapely.get_coordinates(ring)) for ring in geoms[rings]]
    return geoms, rows


def encode_geometries(geoms: Sequence[Any], precision: int = PRECISION) -> list[dict[str, Any]]:
    """Return the geometries as blocks of one family each (points, lines, polygons).

    Each block: ``type`` (the GeoJSON type of its features), ``dim`` (1, 2, 3), ``rows``
    (feature indices, delta-coded), ``coords`` (quantised x, y, delta-coded, flat) and
    ``counts`` (vertices per ring, rings per polygon, ..., innermost first). Missing and
    empty geometries are left out (nothing is drawn for them).
    """
    given = np.asarray(geoms, dtype=object)
    keep = ~(shapely.is_missing(given) | shapely.is_empty(given))
    parts, rows = _explode_collections(given[keep], np.arange(len(given))[keep])
    types = shapely.get_type_id(parts)
    blocks = []
    for ids, dim in _FAMILIES:
        sel = np.isin(types, ids)
        if not sel.any():
            continue
        kind, coords, offsets = shapely.to_ragged_array(parts[sel])
        blocks.append(
            {
                "type": _GEOJSON_TYPES[kind.name],
                "dim": dim,
                "rows": _delta(rows[sel]),
                "coords": _delta(quantise(coords, precision)),
                "counts": [np.diff(o).tolist() for o in offsets],
            }
        )
    return blocks


def build_payload(
    gdf: gpd.GeoDataFrame,
    fields: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    precision: int = PRECISION,
) -> dict[str, Any]:
    """Return the compact payload of a lon/lat frame: quantised geometry and a string table.

    ``fields`` are the property keys shown in popups (the first also as the tooltip) and
    ``labels`` their words (default: the keys); both, like the values, become HTML text.
    """
    if not 0 <= precision <= 9:
        raise ValueError(f"precision must be 0 to 9 decimal places of a degree, not {precision}")
    strings, columns = string_table({f: gdf[f].tolist() for f in fields})
    return {
        "format": FORMAT,
        "precision": precision,
        "count": len(gdf),
        "keys": [_html_text(f) for f in fields],
        "labels": [_html_text(x) for x in (labels if labels is not None else fields)],
        "strings": strings,
        "columns": [columns[f] for f in fields],
        "blocks": encode_geometries(gdf.geometry.to_numpy(), precision),
    }


def _nest(items: list, counts: Sequence[int]) -> list:
    out, at = [], 0
    for n in counts:
        out.append(items[at : at + n])
        at += n
    return out


def decode_payload(payload: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Return the frame a payload describes (what the page's script rebuilds), in EPSG:4326.

    The reference reader of the format: property values are the stored HTML text.
    """
    step = 10.0 ** -payload["precision"]
    geoms: list[Any] = [None] * payload["count"]
    for block in payload["blocks"]:
        xy = (np.cumsum(np.asarray(block["coords"], dtype="int64").reshape(-1, 2), axis=0) * step).tolist()
        items: list = xy
        for counts in block["counts"]:
            items = _nest(items, counts)
        for row, coords in zip(np.cumsum(block["rows"]).tolist(), items, strict=True):
            shape = shapely.geometry.shape({"type": block["type"], "coordinates": coords})
            geoms[row] = shape if geoms[row] is None else shapely.union(geoms[row], shape)
    props = {
        k: [payload["strings"][i] for i in col] for k, col in zip(payload["keys"], payload["columns"], strict=True)
    }
    return gpd.GeoDataFrame(props, geometry=geoms, crs="EPSG:4326")


# ---------------------------------------------------------------- the page (folium glue)
#: The page's script: a constant; the data arrive as one JSON argument (``__ARGS__``).
_SCRIPT = """
(function (map, group, args) {
  var p = args.payload, step = Math.pow(10, -p.precision), features = [], EXTENT = 4096, CROWDED = 500;
  p.blocks.forEach(function (b) {  // the payload back to GeoJSON: running sums, then counts nest
    var items = [], x = 0, y = 0, c = b.coords, row = 0;
    for (var k = 0; k < c.length; k += 2) {
      x += c[k]; y += c[k + 1]; items.push([x * step, y * step]);
    }
    b.counts.forEach(function (counts) {
      var out = [], at = 0;
      for (var j = 0; j < counts.length; j++) { out.push(items.slice(at, at + counts[j])); at += counts[j]; }
      items = out;
    });
    for (var j = 0; j < items.length; j++) {
      row += b.rows[j];
      features.push({type: 'Feature', properties: {i: row}, geometry: {type: b.type, coordinates: items[j]}});
    }
  });
  var index = geojsonvt({type: 'FeatureCollection', features: features},
                        {maxZoom: args.maxZoom, indexMaxZoom: 5, tolerance: 3, extent: EXTENT, buffer: 64});
  features = null;
  var s = args.style, ps = args.pointStyle;

  function trace(ctx, geom, k, close) {
    for (var r = 0; r < geom.length; r++) {
      var ring = geom[r];
      ctx.moveTo(ring[0][0] * k, ring[0][1] * k);
      for (var j = 1; j < ring.length; j++) ctx.lineTo(ring[j][0] * k, ring[j][1] * k);
      if (close) ctx.closePath();
    }
  }
  function paint(ctx, st, width, fill) {
    if (fill) { ctx.globalAlpha = st.fillOpacity; ctx.fill(); }
    if (width > 0) { ctx.globalAlpha = st.opacity; ctx.stroke(); }
  }
  function pen(ctx, st, ratio, crowded) {
    // where a tile holds hundreds of features, each is a few pixels wide: a hairline outline looks the
    // same there, and canvas strokes it several times faster than a wider line
    var width = (crowded ? Math.min(st.weight, 1) : st.weight) * ratio;
    ctx.fillStyle = st.fillColor || st.color; ctx.strokeStyle = st.color; ctx.lineWidth = width;
    ctx.setLineDash(st.dashArray ? String(st.dashArray).split(/[ ,]+/).map(function (d) { return d * ratio; }) : []);
    return width;
  }
  function crowdedAt(z) {  // features per tile over the layer's extent at zoom z: one answer per zoom
    var b = args.bounds, a = map.project([b[3], b[0]], z), c = map.project([b[1], b[2]], z);
    return p.count / Math.max(1, (c.x - a.x) * (c.y - a.y) / 65536) > CROWDED;
  }
  function draw(canvas, tile, ratio, z) {
    // features go in small batches: one path of thousands of subpaths is far slower to fill in
    // canvas than many small ones, and a path per feature costs a call per feature
    var ctx = canvas.getContext('2d'), k = canvas.width / EXTENT, feats = tile.features;
    var crowded = crowdedAt(z), BATCH = 20;
    ctx.lineJoin = 'round'; ctx.lineCap = 'round';
    [3, 2, 1].forEach(function (type) {
      var st = type === 1 ? ps : s, width = pen(ctx, st, ratio, crowded), r = st.radius * ratio, n = 0;
      ctx.beginPath();
      for (var i = 0; i < feats.length; i++) {
        var f = feats[i];
        if (f.type !== type) continue;
        if (type === 1) {
          f.geometry.forEach(function (pt) {
            ctx.moveTo(pt[0] * k + r, pt[1] * k); ctx.arc(pt[0] * k, pt[1] * k, r, 0, 2 * Math.PI);
          });
        } else {
          trace(ctx, f.geometry, k, type === 3);
        }
        if (++n % BATCH === 0) { paint(ctx, st, width, type !== 2); ctx.beginPath(); }
      }
      if (n % BATCH) paint(ctx, st, width, type !== 2);
    });
  }

  function inside(pt, rings) {  // even-odd over every ring: holes excluded
    var hit = false;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var a = ring[i], b = ring[j];
        var crosses = (a[1] > pt[1]) !== (b[1] > pt[1]);
        if (crosses && pt[0] < (b[0] - a[0]) * (pt[1] - a[1]) / (b[1] - a[1]) + a[0]) hit = !hit;
      }
    });
    return hit;
  }
  function near(pt, line, tol) {
    for (var i = 1; i < line.length; i++) {
      var a = line[i - 1], b = line[i], dx = b[0] - a[0], dy = b[1] - a[1], len = dx * dx + dy * dy;
      var t = len ? Math.max(0, Math.min(1, ((pt[0] - a[0]) * dx + (pt[1] - a[1]) * dy) / len)) : 0;
      var ex = a[0] + t * dx - pt[0], ey = a[1] + t * dy - pt[1];
      if (ex * ex + ey * ey <= tol * tol) return true;
    }
    return false;
  }
  function featureAt(latlng) {  // the topmost feature under a point, from the tile it falls in
    var z = Math.min(Math.round(map.getZoom()), args.maxZoom), px = map.project(latlng, z).divideBy(256);
    var tx = Math.floor(px.x), ty = Math.floor(px.y), tile = index.getTile(z, tx, ty);
    if (!tile) return null;
    var pt = [(px.x - tx) * EXTENT, (px.y - ty) * EXTENT], unit = EXTENT / 256;
    for (var n = tile.features.length - 1; n >= 0; n--) {
      var f = tile.features[n];
      if (f.type === 3 && inside(pt, f.geometry)) return f.tags.i;
      var lineTol = (s.weight / 2 + 3) * unit, dotTol = (ps.radius + 2) * unit;
      if (f.type === 2 && f.geometry.some(function (l) { return near(pt, l, lineTol); })) return f.tags.i;
      if (f.type === 1 && near(pt, f.geometry.concat(f.geometry.slice(-1)), dotTol)) return f.tags.i;
    }
    return null;
  }
  function value(row, k) { return p.strings[p.columns[k][row]]; }
  function table(row) {
    var html = '';
    for (var k = 0; k < p.keys.length; k++) {
      var v = value(row, k);
      if (v !== '') html += '<tr><th>' + p.labels[k] + '</th><td>' + v + '</td></tr>';
    }
    return html ? '<table>' + html + '</table>' : '';
  }
  function byOthers(e) {  // a click or move on another layer's own shape is that layer's
    var t = e.originalEvent && e.originalEvent.target;
    return t && t.classList && t.classList.contains('leaflet-interactive');
  }
  var tip = L.tooltip({sticky: true, direction: 'top'}), pending = null;
  var Tiles = L.GridLayer.extend({
    createTile: function (coords, done) {
      var canvas = L.DomUtil.create('canvas', 'bk-vt-tile'), size = this.getTileSize();
      var ratio = window.devicePixelRatio || 1, key = coords.z + '/' + coords.x + '/' + coords.y;
      canvas.width = size.x * ratio; canvas.height = size.y * ratio;
      if (ahead[key]) { canvas.getContext('2d').drawImage(ahead[key], 0, 0); delete ahead[key]; } else {
        var tile = index.getTile(coords.z, coords.x, coords.y);
        if (tile) draw(canvas, tile, ratio, coords.z);
      }
      // drawn already: ready as soon as Leaflet has filed the tile (not a frame later, its default)
      Promise.resolve().then(function () { done(null, canvas); });
      return canvas;
    },
    onAdd: function (m) {
      L.GridLayer.prototype.onAdd.call(this, m);
      m.on('click', this._click, this).on('mousemove', this._move, this);
    },
    onRemove: function (m) {
      m.off('click', this._click, this).off('mousemove', this._move, this); tip.remove();
      L.GridLayer.prototype.onRemove.call(this, m);
    },
    _click: function (e) {
      if (byOthers(e)) return;
      var row = featureAt(e.latlng), html = row === null ? '' : table(row);
      if (html) L.popup({maxWidth: 420}).setLatLng(e.latlng).setContent(html).openOn(map);
    },
    _move: function (e) {
      if (pending || !p.keys.length) return;
      pending = L.Util.requestAnimFrame(function () {
        pending = null;
        var row = byOthers(e) ? null : featureAt(e.latlng), v = row === null ? '' : value(row, 0);
        map.getContainer().style.cursor = row === null ? '' : 'pointer';
        if (v === '') { tip.remove(); return; }
        tip.setLatLng(e.latlng).setContent('<b>' + p.labels[0] + '</b> ' + v);
        if (!map.hasLayer(tip)) tip.addTo(map);
      });
    }
  });
  var layer = new Tiles({maxNativeZoom: args.maxZoom, updateWhenZooming: false, className: 'bk-vector-tiles'});
  var ahead = {};  // the next zoom level's tiles, painted while idle (see precut)
  var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 50); };
  function precut(deadline) {
    // cut and paint the next zoom level's tiles in view while the page is idle: zooming in then
    // only copies bitmaps (painting is most of a zoom's time: the canvas rasterises in the next frame)
    var z = Math.round(map.getZoom()) + 1, b = map.getPixelBounds(), f = Math.pow(2, z - map.getZoom()) / 256;
    var queue = [], n = Math.pow(2, z);
    if (z > args.maxZoom) return;
    for (var x = Math.floor(b.min.x * f); x <= Math.floor(b.max.x * f); x++) {
      for (var y = Math.max(0, Math.floor(b.min.y * f)); y <= Math.min(n - 1, Math.floor(b.max.y * f)); y++) {
        queue.push([z, ((x % n) + n) % n, y]);
      }
    }
    Object.keys(ahead).forEach(function (k) { ahead[k].close(); delete ahead[k]; });
    layer._bkIdle = false;
    (function step(deadline) {
      while (queue.length && (!deadline || !deadline.timeRemaining || deadline.timeRemaining() > 1)) {
        var t = queue.pop(), tile = index.getTile(t[0], t[1], t[2]);
        if (tile && window.OffscreenCanvas) {  // painted ahead too: a zoom in then only copies bitmaps
          var ratio = window.devicePixelRatio || 1, c = new OffscreenCanvas(256 * ratio, 256 * ratio);
          draw(c, tile, ratio, t[0]);
          ahead[t.join('/')] = c.transferToImageBitmap();
        }
      }
      if (queue.length) { idle(step); } else { layer._bkIdle = true; }
    })(deadline);
  }
  layer.on('load', function () {  // every tile in view drawn: the hook the tests and benchmark wait on
    var root = document.documentElement;
    if (!layer._bkDrawn) root.dataset.bkVectorTiles = String(Number(root.dataset.bkVectorTiles || 0) + 1);
    layer._bkDrawn = true;
    idle(precut);
  });
  (window.bkVectorLayers = window.bkVectorLayers || []).push(layer);
  group.addLayer(layer);
})(__MAP__, __GROUP__, __ARGS__);
"""


def _js_data(value: Any) -> str:
    """Return JSON that is safe inside a <script>: ``<``, ``>``, ``&`` and ``'`` as JSON escapes."""
    from jinja2.utils import htmlsafe_json_dumps

    return str(htmlsafe_json_dumps(value, separators=(",", ":")))


@functools.cache
def _element_class() -> type:
    """Return the folium element that writes one vector-tile layer (built once folium is imported)."""
    from branca.element import MacroElement
    from folium.elements import JSCSSMixin
    from folium.template import Template

    class VectorTileLayer(JSCSSMixin, MacroElement):
        """Writes the script that cuts the payload into vector tiles and adds them to its parent.

        The script goes into the page as :func:`~borderkit.safehtml.raw_html` (output, never
        compiled): the payload holds user text, which a folium template's output would have
        compiled again. Filed under the element's name, so a fresh render replaces it.
        """

        _template = Template("")  # no macros: render() writes the script itself
        default_js = [("geojson-vt", GEOJSONVT_JS)]

        def __init__(self, args: Mapping[str, Any]):
            super().__init__()
            self._name = "VectorTileLayer"
            self.args = dict(args)

        # branca's MacroElement.render returns None, while its base Element.render says str
        def render(self, **kwargs: Any) -> None:  # type: ignore[override]
            group: Any = self._parent  # the FeatureGroup, whose parent is the map
            names = _SCRIPT.replace("__MAP__", group._parent.get_name()).replace("__GROUP__", group.get_name())
            script = names.replace("__ARGS__", _js_data(self.args))  # last: the data are never searched
            root: Any = self.get_root()
            root.script.add_child(raw_html(script), name=self.get_name())
            super().render(**kwargs)

    return VectorTileLayer


def vector_tile_layer(
    gdf: gpd.GeoDataFrame,
    *,
    fields: Sequence[str],
    labels: Sequence[str] | None = None,
    style: Mapping[str, Any],
    point_style: Mapping[str, Any] | None = None,
    name: str = "layer",
    precision: int = PRECISION,
    max_zoom: int = 18,
) -> Any:
    """Return a folium element drawing a lon/lat frame as vector tiles; add it to a FeatureGroup.

    ``style`` is Leaflet path options for lines and polygons, ``point_style`` for points (a
    circle); popups show ``fields`` under ``labels`` and skip empty values. The group's own
    name is what the layer control shows; ``name`` only names the data layer inside the tiles.
    """
    payload = build_payload(gdf, fields, labels=labels, precision=precision)
    args = {
        "payload": payload,
        "name": _html_text(name),
        "style": {**_LEAFLET_PATH, **style},
        "pointStyle": {**_LEAFLET_PATH, "radius": 4, "fillOpacity": 0.9, "weight": 1, **(point_style or {})},
        "maxZoom": int(max_zoom),
        "bounds": [round(float(v), 6) for v in gdf.total_bounds] if len(gdf) else [0.0, 0.0, 0.0, 0.0],
    }
    return _element_class()(args)
