"""Large layers as client-side vector tiles: the payload, the threshold, escaping, and Chromium."""

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from borderkit import vectortiles as vt
from borderkit.render import explore_layers, to_html

XSS = '<img src=x onerror="window.__bk_xss=1">'


def _frame(n=50, seed=1):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(44, 47, n), rng.uniform(38.5, 41, n)
    geoms = shapely.buffer(shapely.points(x, y), rng.uniform(0.001, 0.02, n), quad_segs=3)
    return gpd.GeoDataFrame(
        {"name": [f"cell {i}" for i in range(n)], "type": rng.choice(["a", "b"], n)}, geometry=geoms, crs=4326
    )


@pytest.mark.parametrize("precision", [3, 5, 6])
def test_quantisation_moves_each_coordinate_at_most_half_a_step(precision):
    gdf = _frame()
    back = vt.decode_payload(vt.build_payload(gdf, ["name"], precision=precision))
    before = shapely.get_coordinates(gdf.geometry.to_numpy())
    after = shapely.get_coordinates(back.geometry.to_numpy())
    err = np.abs(after - before).max()
    assert err <= 0.5 * 10.0**-precision + 1e-9
    assert err > 0.05 * 10.0**-precision  # really quantised, not passed through


def test_coordinates_are_small_deltas():
    payload = vt.build_payload(_frame(), [], precision=5)
    coords = np.asarray(payload["blocks"][0]["coords"])
    assert abs(coords[0]) > 4_000_000  # the first vertex absolute (44-47° E in 1e-5° steps) ...
    assert np.median(np.abs(coords[2:])) < 1_000  # ... the others steps along the ring, a few digits each


def test_string_table_stores_each_value_once_and_round_trips():
    values = ["Sotk", "Jermuk", "Sotk", None, float("nan"), "Sotk", 3.5]
    strings, columns = vt.string_table({"name": values, "other": ["Jermuk", "x", "x", "x", "x", "x", "x"]})
    assert sorted(strings) == sorted({"Sotk", "Jermuk", "", "3.5", "x"})  # once each, across columns
    assert [strings[i] for i in columns["name"]] == ["Sotk", "Jermuk", "Sotk", "", "", "Sotk", "3.5"]
    assert columns["other"][0] == columns["name"][1]  # a value shared by two keys is one entry


def test_payload_counts_and_mixed_geometries_round_trip():
    hole = shapely.Polygon([(0, 0), (0, 2), (2, 2), (2, 0)], [[(0.5, 0.5), (1, 0.5), (1, 1)]])
    geoms = [
        hole,
        shapely.MultiPolygon([shapely.box(3, 0, 4, 1), shapely.box(5, 0, 6, 1)]),
        shapely.LineString([(0, 3), (1, 4), (2, 3)]),
        shapely.Point(7, 7),
        None,
        shapely.GeometryCollection([shapely.Point(8, 8), shapely.LineString([(8, 9), (9, 9)])]),
        shapely.Polygon(),
    ]
    gdf = gpd.GeoDataFrame({"name": list("abcdefg")}, geometry=geoms, crs=4326)
    payload = vt.build_payload(gdf, ["name"])
    assert payload["count"] == 7
    assert {b["type"]: b["dim"] for b in payload["blocks"]} == {"Point": 1, "LineString": 2, "MultiPolygon": 3}
    back = vt.decode_payload(payload)
    assert list(back["name"]) == list("abcdefg")
    for i in (0, 1, 2, 3, 5):
        assert shapely.hausdorff_distance(back.geometry[i], geoms[i]) < 1e-9, i
        assert abs(back.geometry[i].area - geoms[i].area) < 1e-9, i  # the hole is still a hole
    assert back.geometry[4] is None and back.geometry[6] is None  # nothing to draw
    rows = [np.cumsum(b["rows"]).tolist() for b in payload["blocks"]]
    assert sorted(r for block in rows for r in block) == [0, 1, 2, 3, 5, 5]  # the collection in two families


def test_threshold_small_layer_stays_geojson_large_becomes_vector_tiles(monkeypatch):
    gdf = _frame(40)
    small = to_html(explore_layers(gdf, name="cells"), offline=False)
    assert "geojsonvt(" not in small and "geojson-vt" not in small and "cell 7" in small
    monkeypatch.setattr(vt, "VECTOR_TILE_MIN_VERTICES", vt.vertex_count(gdf))  # the same layer, now at the threshold
    large = to_html(explore_layers(gdf, name="cells"), offline=False)
    assert "geojsonvt(" in large and "geojson-vt@3.2.1" in large and '"cell 7"' in large
    assert '"type": "Feature"' not in large  # no GeoJSON copy of the features beside the tiles
    forced_off = to_html(explore_layers(gdf, name="cells", vector_tiles=False), offline=False)
    assert "geojsonvt(" not in forced_off
    monkeypatch.setattr(vt, "VECTOR_TILE_MIN_VERTICES", vt.vertex_count(gdf) + 1)
    assert "geojsonvt(" not in to_html(explore_layers(gdf, name="cells"), offline=False)
    assert "geojsonvt(" in to_html(explore_layers(gdf, name="cells", vector_tiles=True), offline=False)


def test_vector_tiles_are_inlined_offline_and_a_small_layer_does_not_carry_them():
    page = to_html(explore_layers(_frame(5), name="cells", vector_tiles=True), offline=True)
    assert "/* geojson-vt@3.2.1 (ISC) */" in page and "cdn.jsdelivr" not in page
    page = to_html(explore_layers(_frame(5), name="cells"), offline=True)
    assert "geojson-vt" not in page


def test_hostile_values_keys_and_names_stay_text():
    gdf = _frame(3)
    gdf["name"] = [XSS, "{{ 7*7 }}", "</script><script>window.__bk_xss=1</script>"]
    page = to_html(explore_layers(gdf, name=XSS, label=XSS, vector_tiles=True), offline=False)
    assert "<img" not in page and "</script><script>window" not in page
    assert "{{ 7*7 }}" not in page  # not compiled by Jinja, not left for it either
    data = json.loads(re.search(r"\}\)\((\w+), (\w+), (\{.*\})\);\n", page).group(3))
    strings = data["payload"]["strings"]
    assert "&lt;img src=x onerror=&quot;window.__bk_xss=1&quot;&gt;" in strings
    assert "&#123;&#123; 7*7 &#125;&#125;" in strings
    # keys and labels given straight to the payload are escaped too
    payload = vt.build_payload(gdf.assign(**{XSS: 1}), [XSS], labels=["<b>x</b>"])
    assert payload["keys"] == [vt.escape_text(XSS)] and payload["labels"] == ["&lt;b&gt;x&lt;/b&gt;"]


@pytest.mark.browser
def test_twenty_thousand_polygons_draw_click_and_stay_text_in_chromium(tmp_path):
    import folium
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from benchmarks.bench_vectortiles import cells
    from tests.test_browser import chromium

    gdf = cells(20_000)
    assert vt.vertex_count(gdf) >= vt.VECTOR_TILE_MIN_VERTICES  # drawn as vector tiles without being forced
    m = explore_layers(gdf, name="cells", label=XSS)
    folium.LayerControl().add_to(m)
    path = tmp_path / "vt.html"
    path.write_text(to_html(m, offline=True), encoding="utf-8")
    browser = chromium()
    try:
        browser.set_script_timeout(60)
        browser.get(path.as_uri())
        browser.execute_async_script(
            "var done = arguments[0]; (function w() { if (document.documentElement.dataset.bkVectorTiles === '1')"
            " done(); else setTimeout(w, 50); })();"
        )
        drawn = browser.execute_script(
            "var n = 0; document.querySelectorAll('canvas.bk-vt-tile').forEach(function (c) {"
            " var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " for (var i = 3; i < d.length; i += 4) if (d[i]) n++; }); return n;"
        )
        assert drawn > 50_000  # painted pixels across the tiles, not blank canvases
        browser.execute_async_script(  # idle: the next level is cut and painted ahead, then zoom in
            "var done = arguments[0], l = window.bkVectorLayers[0];"
            " (function w() { if (!l._bkIdle) { setTimeout(w, 50); return; }"
            " var m = Object.values(window).find(function (v) { return v instanceof L.Map; });"
            " l.once('load', function () { done(); }); m.setZoom(m.getZoom() + 1, {animate: false}); })();"
        )
        zoomed = browser.execute_script(
            "var l = window.bkVectorLayers[0], z = l._map.getZoom(), n = 0, tiles = 0;"
            " Object.values(l._tiles).forEach(function (t) { if (t.coords.z !== z) return; tiles++;"
            " var d = t.el.getContext('2d').getImageData(0, 0, t.el.width, t.el.height).data;"
            " for (var i = 3; i < d.length; i += 4) if (d[i]) n++; }); return [tiles, n];"
        )
        assert zoomed[0] > 4 and zoomed[1] > 50_000  # the tiles painted ahead are copied, not blank
        center = browser.execute_script(
            "var m = Object.values(window).find(function (v) { return v instanceof L.Map; });"
            " var c = m.getCenter(); return [c.lng, c.lat];"
        )
        hit = gdf[gdf.contains(shapely.Point(center))]
        assert len(hit) == 1
        point = hit.geometry.iloc[0].representative_point()
        xy = browser.execute_script(
            "var m = Object.values(window).find(function (v) { return v instanceof L.Map; });"
            " var p = m.latLngToContainerPoint([arguments[1], arguments[0]]); var s = m.getSize();"
            " return [p.x - s.x / 2, p.y - s.y / 2];",
            point.x,
            point.y,
        )
        container = browser.find_element(By.CSS_SELECTOR, ".leaflet-container")
        ActionChains(browser).move_to_element_with_offset(container, int(xy[0]), int(xy[1])).click().perform()
        popup = browser.find_element(By.CSS_SELECTOR, ".leaflet-popup-content").get_attribute("textContent")
        assert hit["name"].iloc[0] in popup and "Type" in popup and "nan" not in popup
        control = browser.execute_script(
            "return document.querySelector('.leaflet-control-layers-overlays').textContent"
        )
        assert XSS in control  # the layer is listed, its hostile name shown as text
        assert browser.execute_script("return window.__bk_xss") is None
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        browser.quit()


def test_benchmark_runs_small_without_browser(capsys):
    from benchmarks import bench_vectortiles

    assert bench_vectortiles.main(["--sizes", "300", "--no-browser"]) == 0
    out = capsys.readouterr().out
    assert "vector tiles" in out and "explore()" in out and "ratios explore()/vector tiles: size" in out


@pytest.mark.parametrize("flag, tiled", [("--vector-tiles", True), ("--no-vector-tiles", False), (None, False)])
def test_map_command_forces_vector_tiles_on_or_off_for_added_layers(cli, tmp_path, flag, tiled):
    """A small --add layer is tiled only when asked; the case's own layers are never forced."""
    path = tmp_path / "cells.geojson"
    _frame(30).to_file(path)
    out = tmp_path / "map.html"
    result = cli("map", "-o", out, "--samples", "0", "--add", path, *([flag] if flag else []))
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert ("geojsonvt(" in page) is tiled
    assert page.count("geojsonvt(") <= 1  # one tiled layer at most: the user's
    assert ("drawn as vector tiles" in result.output) is tiled  # the user is told, and what it changes
