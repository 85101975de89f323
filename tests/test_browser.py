"""Load generated maps in real headless Chromium with the network blocked."""

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
XSS = '<img src=x onerror="window.__bk_xss=1">'

pytestmark = pytest.mark.browser


def chromium():
    """Start headless Chromium with the network blocked; the caller quits it."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Debian chromium and chromium-driver are required (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
        # block the network: every host resolves nowhere and every request goes to a dead proxy
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def _load(browser, path):
    browser.get_log("browser")  # forget the previous page's messages
    browser.get(path.as_uri())
    browser.execute_script("return 1")  # wait for the load event to finish
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


@pytest.fixture(scope="module")
def offline_map(tmp_path_factory):
    from click.testing import CliRunner

    from borderkit.cli.main import main

    folder = tmp_path_factory.mktemp("map")
    user = folder / "hostile.geojson"
    user.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": XSS, "note": XSS},
                        "geometry": {"type": "Point", "coordinates": [46.2, 39.6]},
                    }
                ],
            }
        )
    )
    out = folder / "map.html"
    result = CliRunner().invoke(
        main, ["map", "-o", str(out), "--offline", "--basemap", "none", "--samples", "5", "--add", str(user)]
    )
    assert result.exit_code == 0, result.output
    return out


def test_map_loads_without_console_errors_and_has_its_parts(browser, offline_map, tmp_path):
    errors = _load(browser, offline_map)
    assert errors == []
    state = browser.execute_script("""
        return {
          leaflet: typeof L !== 'undefined',
          paths: document.querySelectorAll('path.leaflet-interactive').length,
          layers: Array.from(document.querySelectorAll('.leaflet-control-layers-overlays span'))
                       .map(e => e.textContent.trim()),
          timeline: document.querySelectorAll('.leaflet-timeline-control').length,
          legend: document.querySelectorAll('.bk-legend').length,
          summary: (document.getElementById('bk-summary') || {}).textContent || '',
          search: document.querySelectorAll('.leaflet-control-search').length,
          measure: document.querySelectorAll('.leaflet-control-measure').length,
          fullscreen: document.querySelectorAll('.leaflet-control-zoom-fullscreen').length,
          minimap: document.querySelectorAll('.leaflet-control-minimap').length,
        };""")
    assert state["leaflet"] and state["paths"] > 20
    for label in (
        "Countries (de jure)",
        "Soviet-era line (WOF 2024)",
        "Soviet-era line (OSM 2017)",
        "Reported events",
        "Places named in the reports",
        "Claimed lines",
        "Place names",
    ):
        assert label in state["layers"]
    assert any(layer.startswith("Land taken since") for layer in state["layers"])
    assert state["timeline"] == 1 and state["legend"] == 1
    assert "Land held, on" in state["summary"] and "Published figures" in state["summary"]
    assert state["search"] == state["measure"] == state["fullscreen"] == state["minimap"] == 1
    shot = tmp_path / "map.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_xss_payload_in_a_user_layer_does_not_execute(browser, offline_map):
    _load(browser, offline_map)
    # open every popup and tooltip, which is where property values are inserted into the page
    shown = browser.execute_script("""
        var n = 0;
        Object.values(window).forEach(function (v) {
          if (v && v instanceof L.Map) {
            v.eachLayer(function (layer) {
              if (layer.getPopup && layer.getPopup()) { try { layer.openPopup(); n++; } catch (e) {} }
              if (layer.getTooltip && layer.getTooltip()) { try { layer.openTooltip(); n++; } catch (e) {} }
            });
          }
        });
        return n;""")
    assert shown > 0
    browser.execute_script("return new Promise(r => setTimeout(r, 300))")
    assert browser.execute_script("return window.__bk_xss === undefined")
    assert (
        XSS in browser.execute_script("return document.body.innerText")
        or browser.execute_script("return document.body.innerHTML").count("&lt;img src=x") >= 1
    )


def test_the_xss_check_would_catch_unescaped_properties(browser, tmp_path, monkeypatch):
    """Control: with escaping switched off, the same payload does run, so the check above can fail."""
    import geopandas as gpd
    import shapely

    import borderkit.render as render

    monkeypatch.setattr(
        render, "escape_properties", lambda gdf, fields: gdf.astype({f: str for f in fields if f in gdf})
    )
    gdf = gpd.GeoDataFrame({"name": [XSS], "source": ["x"]}, geometry=[shapely.Point(46.2, 39.6)], crs=4326)
    m = render.explore_layers(gdf, name="hostile")
    path = tmp_path / "unsafe.html"
    path.write_text(render.to_html(m, offline=True))
    _load(browser, path)
    browser.execute_script("""
        Object.values(window).forEach(function (v) {
          if (v && v instanceof L.Map) { v.eachLayer(function (l) { if (l.getPopup && l.getPopup()) l.openPopup(); }); }
        });""")
    browser.execute_script("return new Promise(r => setTimeout(r, 300))")
    assert browser.execute_script("return window.__bk_xss") == 1


# ---------------------------------------------------------------- the default map, at the slider's start, middle, end
#: Where the screenshots go: docs/img when BORDERKIT_SCREENSHOTS=1 (to refresh the ones the docs show),
#: else a scratch folder, so that a test run never rewrites files of the checkout.
IMG = (
    Path(__file__).resolve().parent.parent / "docs" / "img"
    if os.environ.get("BORDERKIT_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "borderkit-screenshots"
)

STATE_JS = """
var slider = Object.values(window).find(v => v && L.TimelineSliderControl && v instanceof L.TimelineSliderControl);
var where = arguments[0];
if (where !== null) {
  var t = where === 'start' ? slider.start : where === 'end' ? slider.end : (slider.start + slider.end) / 2;
  slider.setTime(t);
}
var zones = 0, colours = {}, rings = 0;
slider.timelines.forEach(function (tl) {
  tl.getLayers().forEach(function (l) {
    var p = l.feature.properties;
    if (p.extent !== undefined) { if (l._path && l._path.isConnected) zones++; return; }
    if (p.type !== undefined && l._path && l._path.isConnected) {
      colours[p.type] = l.options.fillColor; if (l.options.dashArray) rings++;
    }
  });
});
var panel = document.getElementById('bk-summary');
var visible = Array.from(document.querySelectorAll('.bk-label')).filter(function (e) {
  var r = e.getBoundingClientRect();
  return e.style.visibility !== 'hidden' && r.width > 0 && r.right > 0 && r.left < innerWidth && r.top < innerHeight;
}).map(e => e.textContent);
var shownState = Array.from(panel.querySelectorAll('.bk-state')).filter(s => !s.hidden);
return {
  time: new Date(slider.time).toISOString().slice(0, 10),
  output: (document.querySelector('.leaflet-timeline-control output') || {}).textContent || '',
  zones: zones, colours: colours, rings: rings,
  now: panel.querySelector('.bk-now').textContent,
  states: shownState.length, stateFrom: shownState.length ? shownState[0].dataset.from : null,
  figures: Array.from(panel.querySelectorAll('li[data-date]')).filter(li => !li.hidden).map(li => li.dataset.date),
  labels: visible,
};"""


@pytest.fixture(scope="module")
def default_map(tmp_path_factory):
    """The default ``borderkit map`` (offline) and the frames it was drawn from."""
    from click.testing import CliRunner

    from borderkit.cli.main import main
    from borderkit.mapdata import map_frames

    out = tmp_path_factory.mktemp("default") / "map.html"
    result = CliRunner().invoke(main, ["map", "-o", str(out), "--offline", "--samples", "0"])
    assert result.exit_code == 0, result.output
    return out, map_frames(samples=0)


def _expected_zones(frames, day: str) -> int:
    from borderkit.zones import active

    z = frames["zones"]
    return int((active(z.assign(end_date=z["end"]), day) & ~z.geometry.is_empty).sum())  # an empty zone draws no path


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_default_map_follows_the_slider(browser, default_map, where):
    from borderkit.render import EVENT_COLOURS

    path, (frames, _, summary) = default_map
    browser.set_window_size(1400, 900)
    assert _load(browser, path) == []
    first = browser.execute_script(STATE_JS, None)
    assert first["time"] == summary["date"] and first["now"] == summary["date"]  # starts on the latest state
    state = browser.execute_script(STATE_JS, where)
    browser.execute_script("return new Promise(r => setTimeout(r, 300))")
    day = state["time"]
    # the zones drawn are those in force on the slider's date (count of drawn zone paths)
    assert state["zones"] == _expected_zones(frames, day)
    if where == "end":
        assert state["zones"] > 0
    # events keep their type colours; area-named events are dashed rings
    assert state["colours"] and all(EVENT_COLOURS[k] == v for k, v in state["colours"].items())
    assert len(set(state["colours"].values())) > 1 or where == "start"
    # the summary shows the slider's date, the account in force on it, and only figures published by then
    assert state["now"] == day and state["output"] in ("", day)
    assert state["states"] == 1 and state["stateFrom"] <= day
    assert all(d <= day for d in state["figures"])
    assert len(state["figures"]) == sum(f["date"] <= day for f in summary["figures"])
    # labels show without a click
    assert len(state["labels"]) >= 3
    assert _severe(browser) == []
    IMG.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(IMG / f"map-{where}.png"))


OBSERVED_JS = """
var slider = Object.values(window).find(v => v && L.TimelineSliderControl && v instanceof L.TimelineSliderControl);
var where = arguments[0];
slider.setTime(where === 'start' ? slider.start : where === 'end' ? slider.end : (slider.start + slider.end) / 2);
var shown = [];
slider.timelines.forEach(function (tl) {
  tl.getLayers().forEach(function (l) {
    var p = l.feature.properties;
    if (p.start !== undefined && p.extent === undefined && p.type === undefined && l._path && l._path.isConnected)
      shown.push(p.date);
  });
});
return {time: new Date(slider.time).toISOString().slice(0, 10), shown: shown};"""

#: A monitor's maps of the ground held: dated, no end dates (each holds until the next).
ARCHIVE_DATES = ("2021-06-01", "2022-01-01", "2023-06-01", "2024-06-01")


@pytest.fixture(scope="module")
def observed_map(tmp_path_factory):
    """The default map with a monitor's archive over the subject's east: four maps of a growing strip."""
    import geopandas as gpd
    import shapely
    from click.testing import CliRunner

    import borderkit
    from borderkit.cli.main import main

    folder = tmp_path_factory.mktemp("observed")
    land = borderkit.load("countries").set_index("id").geometry["armenia"]
    west, south, east, north = land.bounds
    for i, day in enumerate(ARCHIVE_DATES):
        ground = shapely.intersection(land, shapely.box(east - 0.05 * (i + 1) * (east - west), south, east, north))
        gpd.GeoDataFrame(geometry=[ground], crs=4326).to_file(folder / f"held-{day}.geojson")  # date in the name
    out = folder / "map.html"
    result = CliRunner().invoke(main, ["map", "-o", str(out), "--offline", "--samples", "0", "--observed", str(folder)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_an_observed_series_is_drawn_one_map_at_a_time(browser, observed_map, where):
    """A series without end dates shows, on each slider date, the latest map dated on or before it, and only it."""
    browser.set_window_size(1400, 900)
    assert _load(browser, observed_map) == []
    state = browser.execute_script(OBSERVED_JS, where)
    browser.execute_script("return new Promise(r => setTimeout(r, 300))")
    before = [d for d in ARCHIVE_DATES if d <= state["time"]]
    assert state["shown"] == ([max(before)] if before else []), state
    legend = browser.execute_script("return document.querySelector('.bk-legend').textContent")
    assert f"Ground held on the maps of {observed_map.parent.name} " in legend and "/tmp" not in legend
    if where != "start":
        assert state["shown"], state  # the middle and the end fall after the first map
    assert _severe(browser) == []
    IMG.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(IMG / f"map-observed-{where}.png"))


def _severe(browser):
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def _rect(browser, selector):
    return browser.execute_script(
        "var e = document.querySelector(arguments[0]); if (!e) return null;"
        "var r = e.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom};",
        selector,
    )


def _overlap(a, b) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


@pytest.mark.parametrize("width", [420, 1920])
def test_layout_from_phone_to_wide_screen(browser, default_map, width):
    path, _ = default_map
    browser.set_window_size(width, 900)
    assert _load(browser, path) == []
    browser.execute_script("return new Promise(r => setTimeout(r, 300))")
    slider, attribution = _rect(browser, ".leaflet-timeline-control"), _rect(browser, ".leaflet-control-attribution")
    assert not _overlap(slider, attribution)  # the attribution never covers the slider
    expanded = browser.execute_script(
        "var c = document.querySelector('.leaflet-control-layers');"
        "c.dispatchEvent(new MouseEvent('mouseout', {bubbles: true}));"  # the pointer may sit on it
        "c.dispatchEvent(new MouseEvent('mouseleave'));"
        "return c.classList.contains('leaflet-control-layers-expanded')"
    )
    assert not expanded  # the layer control is a button (an expanded control stays open)
    inner = browser.execute_script("return [innerWidth, innerHeight]")
    area = inner[0] * inner[1]
    covered = sum(
        (r["r"] - r["l"]) * (r["b"] - r["t"])
        for r in (_rect(browser, s) for s in (".bk-summary", ".bk-legend", ".leaflet-timeline-control"))
        if r
    )
    assert covered < 0.45 * area  # panels leave most of the map visible
    for selector in (".bk-summary", ".bk-legend", ".leaflet-timeline-control"):
        r = _rect(browser, selector)
        assert r["l"] >= 0 and r["r"] <= inner[0] + 1, selector  # nothing off the screen
    if width == 420:  # folded, the headline still gives the leading total and its interval
        lead = browser.execute_script(
            "var e = document.querySelector('.bk-lead'); return [e.textContent, getComputedStyle(e).display];"
        )
        assert lead[1] != "none" and " km² (" in lead[0] and "taken since" in lead[0], lead
        search = _rect(browser, ".leaflet-control-search")
        assert not _overlap(_rect(browser, ".bk-summary"), search)  # the search box stays clear of it
        browser.save_screenshot(str(IMG / "map-420px.png"))
    browser.set_window_size(1400, 900)


def _inline_and_load(browser, m, path, *, save):
    from borderkit.render import inline_assets

    if save:
        m.save(str(path))
        path.write_text(inline_assets(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        from borderkit.render import to_html

        path.write_text(to_html(m, offline=True), encoding="utf-8")
    return _load(browser, path)


COUNT_JS = """
return {
  layers: Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
              .map(e => e.textContent.trim()),
  minimaps: document.querySelectorAll('.leaflet-control-minimap').length,
  searches: document.querySelectorAll('.leaflet-control-search').length,
  attribution: Array.from(document.querySelectorAll('.leaflet-control-attribution'))
                 .filter(e => !e.closest('.leaflet-control-minimap') && e.textContent.includes('borderkit')).length,
  control: document.querySelectorAll('.leaflet-control-layers:not(.leaflet-timeline-control)').length,
};"""


def test_explore_then_extend_with_geopandas_and_folium(browser, tmp_path):
    import folium
    import geopandas as gpd
    import shapely

    import borderkit

    m = borderkit.explore(["countries", "soviet_line", "zones", "events", "places"], basemap="none")
    gdf = gpd.GeoDataFrame({"name": ["mine"]}, geometry=[shapely.box(45.5, 39.5, 45.7, 39.7)], crs=4326)
    gdf.explore(m=m, name="My polygons")
    folium.GeoJson(gdf.__geo_interface__, name="Folium layer").add_to(m)
    assert _inline_and_load(browser, m, tmp_path / "extended.html", save=False) == []
    seen = browser.execute_script(COUNT_JS)
    assert "My polygons" in seen["layers"] and "Folium layer" in seen["layers"]
    assert seen["control"] == seen["attribution"] == 1


@pytest.mark.parametrize("save", [True, False], ids=["folium-save", "to_html"])
def test_display_then_save_has_no_duplicates(browser, tmp_path, save):
    import borderkit

    m = borderkit.explore(["countries", "soviet_line", "zones", "events", "places"], basemap="none")
    fresh = tmp_path / "fresh.html"
    assert _inline_and_load(browser, m, fresh, save=save) == []
    once = browser.execute_script(COUNT_JS)
    m._repr_html_()  # what Jupyter does to show it
    assert _inline_and_load(browser, m, tmp_path / "shown.html", save=save) == []
    after = browser.execute_script(COUNT_JS)
    assert after == once and once["minimaps"] == once["searches"] == 1
    assert len(once["layers"]) == len(set(once["layers"]))


def test_print_map_screenshot(tmp_path):
    """The print map, kept in docs/img for the closing note (looked at, not measured)."""
    from borderkit.render import make_map
    from borderkit.staticmap import static_map

    _, report = make_map(samples=0)
    IMG.mkdir(parents=True, exist_ok=True)
    static_map(report, str(IMG / "print-map.png"))
    assert (IMG / "print-map.png").stat().st_size > 100_000
