"""Load generated maps in real headless Chromium with the network blocked."""

import json
import shutil
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
        "Modelled zones (hypotheses)",
        "Reported events",
        "Places",
        "Claimed lines (Sev Lake)",
    ):
        assert label in state["layers"]
    assert state["timeline"] == 1 and state["legend"] == 1
    assert "Modelled area on" in state["summary"] and "Monte Carlo" in state["summary"]
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
