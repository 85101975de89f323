"""Hostile text in maps: whatever a property, key, file name or layer name holds, nothing runs.

A generated corpus of payloads (script tags, event handlers, ``javascript:`` URLs, string
and template-literal breakouts, Jinja expressions, statements and comments, Jinja
expressions that reach ``os.mkdir``, unicode and hex escapes, a 100k-character string)
is put into every place untrusted text can enter a map (``LOCATIONS``), through the CLI
and the Python API. A few maps each carry many payloads; every one of them is opened in headless
Chromium (network blocked) with a canary recorder installed before any page script:
each payload calls ``__bk_pwned(id)`` if it ever runs. Every popup and tooltip is
opened, the search control is used and the time slider is moved to both ends; then
nothing may have fired, the console must hold no error, the payload must be shown as
literal text, and no directory may have been created. The control test switches the
escaping off and sees the canary fire, the ``{{ 7*7 }}`` render as 49 and the directory
appear: the checks can fail.

The last tests cover ``map --add``: the reported ``{#`` crash, GeoJSON on stdin, the
``--crs``/``--fix``/``--swap-xy`` its messages suggest, and a ``$`` in a name for ``--png``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from borderkit.cli.main import main
from tests.hostile.conftest import Outcome, _snapshot, check_invariants, sha256

# ---------------------------------------------------------------- the corpus
# CANARY is replaced by a call that records the payload's id; MKDIR by a directory name.
TEMPLATES = {
    "script": "<script>CANARY</script>",
    "img": "<img src=x onerror=CANARY>",
    "img_quoted": '<img src="x" onerror="CANARY">',
    "svg": "<svg onload=CANARY>",
    "svg_slash": "<svg/onload=CANARY>",
    "details": "<details open ontoggle=CANARY>",
    "iframe": '<iframe srcdoc="<script>parent.CANARY</script>"></iframe>',
    "js_link": '<a href="javascript:CANARY" class=bk-js>link</a>',
    "js_url": "javascript:CANARY",
    "end_script": "</script><script>CANARY</script>",
    "attr_dq": '"><img src=x onerror=CANARY>',
    "attr_sq": "'><img src=x onerror=CANARY>",
    "js_dq": '";CANARY;//',
    "js_sq": "';CANARY;//",
    "backtick": "`;CANARY;`",
    "template_literal": "${CANARY}",
    "jinja_markup": "{{ '<img src=x onerror=CANARY>' }}",
    "jinja_if": "{% if 1 %}<img src=x onerror=CANARY>{% endif %}",
    "jinja_comment": "{# <img src=x onerror=CANARY>",
    "jinja_math": "{{ 7*7 }}",
    "jinja_mkdir": "{{ lipsum.__globals__.os.mkdir(dict(MKDIR=1)|first) }}",
    "jinja_mkdir_quoted": "{{ lipsum.__globals__['os'].mkdir('MKDIR') }}",
    "jinja_set_mkdir": "{% set x = cycler.__init__.__globals__.os.mkdir(dict(MKDIR=1)|first) %}",
    "unicode_escape": "\\u003cscript\\u003eCANARY\\u003c/script\\u003e",
    "hex_escape": "\\x3cimg src=x onerror=CANARY\\x3e",
    "entity": "&lt;img src=x onerror=CANARY&gt;",
    "long": "A" * 100_000 + "<img src=x onerror=CANARY>",
}
# where a payload goes; each id is location * 100 + the template's index
LOCATIONS = {
    "property value (name; tooltip and popup)": 1,
    "property value (note; popup)": 2,
    "property key": 3,
    "file name (--add)": 4,
    "property value of a user layer on the time slider": 5,
    "frame key (build_map layer name)": 6,
    "explore_layers name": 7,
    "explore_layers label": 8,
    "attribution": 9,
    "summary text (date, how, estimates, samples)": 10,
    "build_map date": 11,
    "raster overlay name": 12,
    "searchable place name": 13,
    "source title (sources table)": 14,
    "feature id (frame index)": 15,
    "property value of a timeline frame (build_map)": 16,
    "start and end date of a user layer": 17,
}


@dataclass(frozen=True)
class Payload:
    """One payload placed in one location."""

    id: int
    kind: str
    text: str

    @property
    def mkdir(self) -> str:
        return f"bkpwned_{self.id}"


def corpus(location: int, *, file_name: bool = False) -> list[Payload]:
    """The payloads for one location.

    File names get a 200-character long one (the OS limit is 255 bytes), "," for ";" (the
    JavaScript breakouts work as well: pyogrio parses a path as a URI, so it cannot open a
    local file whose name holds ";" or "!") and no "//" (a path collapses it).
    """
    out = []
    for k, (kind, template) in enumerate(TEMPLATES.items()):
        pid = location * 100 + k
        if file_name:
            template = template.replace(";", ",").replace("//", "")  # a path keeps no "//"
            if kind == "long":
                template = "A" * 200 + "<img src=x onerror=CANARY>"
        text = template.replace("CANARY", f"__bk_pwned({pid})").replace("MKDIR", f"bkpwned_{pid}")
        out.append(Payload(pid, kind, text))
    return out


def count_cases() -> int:
    """Distinct payload x location combinations exercised by this module."""
    return len(TEMPLATES) * len(LOCATIONS)


def point(i: int) -> shapely.Point:
    return shapely.Point(45.0 + 0.02 * (i % 40), 39.5 + 0.02 * (i // 40))


def feature(i: int, properties: dict) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": point(i).__geo_interface__}


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def no_pwned_dirs(*folders: Path) -> list[str]:
    return sorted(str(p) for f in folders for p in Path(f).rglob("bkpwned*"))


# ---------------------------------------------------------------- building the maps
@dataclass
class Built:
    """The maps of this module and what went into them."""

    folder: Path
    cwd: Path
    cli_map: Path
    api_map: Path
    date_map: Path
    values: list[Payload]  # must show literally in popups
    names: list[Payload]  # must show literally in the layer control
    inputs: list[Path]


def _run_cli(args: list, *, inputs: list[Path], watch: list[Path], says: list[str]) -> Outcome:
    """Run the CLI in-process with the hostile-suite invariants (tests/hostile/conftest.py)."""
    hashes = {p: sha256(p) for p in inputs}
    snapshot = _snapshot(watch)
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    outcome = Outcome(result.exit_code, result.stdout, result.stderr)
    check_invariants(outcome, exit_code=0, says=says, hashes=hashes, snapshot=snapshot)
    return outcome


def _frame(payloads: list[Payload], *, at: int = 0, **columns) -> gpd.GeoDataFrame:
    """Points named ``bkq<id> <payload>`` (``bkq`` is what the search test types)."""
    data = {"name": [f"bkq{p.id} {p.text}" for p in payloads], "source": "x", **columns}
    return gpd.GeoDataFrame(data, geometry=[point(at + i) for i in range(len(payloads))], crs=4326)


def _build_api_maps(folder: Path) -> tuple[Path, Path, list[Payload], list[Payload]]:
    """The Python API: build_map with hostile frame keys, sources, summary..., then explore_layers."""
    import numpy as np

    from borderkit.registry import sources
    from borderkit.render import build_map, explore_layers, to_html

    keyed = corpus(LOCATIONS["frame key (build_map layer name)"])
    frames = {p.text: gpd.GeoDataFrame({"name": ["x"]}, geometry=[point(p.id % 100)], crs=4326) for p in keyed}
    places = corpus(LOCATIONS["searchable place name"])
    frames["places"] = _frame(places, at=100)
    titled = corpus(LOCATIONS["source title (sources table)"])
    evil_sources = pd.DataFrame({"key": [f"bkevil{p.id}" for p in titled], "title": [p.text for p in titled]})
    table = pd.concat([sources(), evil_sources.assign(publisher="pub", date=None, url=None)], ignore_index=True)
    frames["titled"] = _frame(titled, at=200).assign(
        name=[f"titled {p.id}" for p in titled], source=[f"bkevil{p.id}" for p in titled]
    )
    ids = corpus(LOCATIONS["feature id (frame index)"])
    frames["indexed"] = _frame(ids, at=300).assign(name="indexed").set_axis([p.text for p in ids])
    timeline = corpus(LOCATIONS["property value of a timeline frame (build_map)"])
    frames["timeline"] = _frame(timeline, at=400, start="2021-01-01", end="2030-01-01")
    told = corpus(LOCATIONS["summary text (date, how, estimates, samples)"])
    joined = " ".join(p.text for p in told if p.kind != "long")
    summary = {
        "date": joined,
        "how": joined,
        "estimates": [p.text for p in told],
        "samples": joined,
        "seed": joined,
        "area_km2": 1.0,
        "band": {"median_km2": 1.0, "p5_km2": 0.5, "p95_km2": 2.0},
    }
    rasters = corpus(LOCATIONS["raster overlay name"])
    image = np.zeros((2, 2, 4), "uint8")
    overlays = [{"name": p.text, "image": image, "bounds": (45, 39, 45.1, 39.1)} for p in rasters]
    attributions = [p.text for p in corpus(LOCATIONS["attribution"])]
    m, _ = build_map(
        frames, sources=table, attributions=attributions, summary=summary, overlays=overlays, tolerance_m=0
    )
    named = corpus(LOCATIONS["explore_layers name"])
    labelled = corpus(LOCATIONS["explore_layers label"])
    for i, (name_p, label_p) in enumerate(zip(named, labelled, strict=True)):
        explore_layers(_frame([name_p], at=500 + i), name=name_p.text, m=m)  # no label: the name shows
        explore_layers(_frame([label_p], at=540 + i), name="mine", label=label_p.text, m=m)
    api_map = folder / "api.html"
    api_map.write_text(to_html(m, offline=True), encoding="utf-8")

    dated = corpus(LOCATIONS["build_map date"])
    m2, _ = build_map(
        {"places": _frame(dated[:3])}, sources=sources(), attributions=[], date=" ".join(p.text for p in dated)
    )
    date_map = folder / "date.html"
    date_map.write_text(to_html(m2, offline=True), encoding="utf-8")
    values = places + titled + timeline + named + labelled
    names = keyed + rasters + named + labelled
    return api_map, date_map, values, names


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    folder = tmp_path_factory.mktemp("payloads")
    cwd = folder / "cwd"  # relative mkdir payloads would land here
    cwd.mkdir()
    values: list[Payload] = []
    names: list[Payload] = []
    name_values = corpus(LOCATIONS["property value (name; tooltip and popup)"])
    note_values = corpus(LOCATIONS["property value (note; popup)"])
    keys = corpus(LOCATIONS["property key"])
    features = [
        feature(i, {"name": f"bkq{n.id} {n.text}", "note": o.text, k.text: "value under a hostile key"})
        for i, (n, o, k) in enumerate(zip(name_values, note_values, keys, strict=True))
    ]
    user = write_geojson(folder / "values.geojson", features)
    values += name_values + note_values
    on_slider = corpus(LOCATIONS["property value of a user layer on the time slider"])
    slider = write_geojson(
        folder / "slider.geojson",
        [feature(100 + i, {"name": p.text, "start": "2021-01", "end": "2030-12-31"}) for i, p in enumerate(on_slider)],
    )
    values += on_slider
    # payloads as dates: one bad date would corrupt the slider, so this layer is drawn without it
    dates = corpus(LOCATIONS["start and end date of a user layer"])
    bad_dates = write_geojson(
        folder / "dates.geojson",
        [feature(140 + i, {"name": f"dated {p.id}", "start": p.text, "end": p.text}) for i, p in enumerate(dates)],
    )
    files = []
    for i, p in enumerate(corpus(LOCATIONS["file name (--add)"], file_name=True)):
        # a "/" in a payload makes folders: the path given to --add still holds the payload
        files.append(write_geojson(folder / "files" / f"{p.text}.geojson", [feature(200 + i, {"name": "f"})]))
        names.append(p)
    inputs = [user, slider, bad_dates, *files]
    out = folder / "cli.html"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        adds = [a for path in inputs for a in ("--add", path)]
        _run_cli(
            ["map", "-o", out, "--offline", "--samples", "0", "--layers", "places,events", *adds],
            inputs=inputs,
            watch=[folder, cwd],
            says=["wrote", "dates.geojson': not every feature has start and end dates"],
        )
        api_map, date_map, api_values, api_names = _build_api_maps(folder)
    return Built(folder, cwd, out, api_map, date_map, values + api_values, names + api_names, inputs)


# ---------------------------------------------------------------- the browser
CANARY_JS = """
window.__bk_fired = [];
window.__bk_pwned = function (id) { window.__bk_fired.push(String(id)); };
"""

EXERCISE_JS = """
var out = {popups: [], tooltips: [], opened: 0};
Object.values(window).forEach(function (map) {
  if (!(map && map instanceof L.Map)) return;
  var popups = [], tooltips = [];
  function onPopup(e) { popups.push(e.popup); }
  function onTooltip(e) { tooltips.push(e.tooltip); }
  map.on('popupopen', onPopup).on('tooltipopen', onTooltip);
  var layers = [];
  map.eachLayer(function (l) { layers.push(l); });
  layers.forEach(function (layer) {
    var at = layer.getLatLng ? layer.getLatLng()
           : (layer.getBounds && layer.getBounds().isValid() ? layer.getBounds().getCenter() : map.getCenter());
    // events propagate to the GeoJSON/timeline layer, which owns the popup and tooltip
    try { layer.fire('mouseover', {latlng: at, layer: layer}, true); } catch (e) {}
    try { layer.fire('click', {latlng: at, layer: layer}, true); } catch (e) {}
    if (layer.getPopup && layer.getPopup()) { try { layer.openPopup(at); } catch (e) {} }
    popups.splice(0).forEach(function (p) {
      out.popups.push(p.getElement().textContent); out.opened++; map.closePopup(p);
    });
    tooltips.splice(0).forEach(function (t) { out.tooltips.push(t.getElement().textContent); });
    try { layer.fire('mouseout', {latlng: at, layer: layer}, true); } catch (e) {}
  });
  map.off('popupopen', onPopup).off('tooltipopen', onTooltip);
});
document.querySelectorAll('a[href]').forEach(function (a) {
  if (/^\\s*javascript:/i.test(a.getAttribute('href'))) { out.jsLinks = (out.jsLinks || 0) + 1; a.click(); }
});
return out;
"""

SLIDER_JS = """
var end = arguments[0], moved = [];
Object.values(window).forEach(function (c) {
  if (c && L.TimelineSliderControl && c instanceof L.TimelineSliderControl) {
    c.setTime(end === 'start' ? c.start : c.end); moved.push(c.time);
  }
});
document.querySelectorAll('.leaflet-timeline-control input[type=range]').forEach(function (r) {
  r.value = end === 'start' ? r.min : r.max;
  r.dispatchEvent(new Event('input')); r.dispatchEvent(new Event('change'));
});
return moved;
"""

TEXTS_JS = """
function text(selector) {
  return Array.from(document.querySelectorAll(selector)).map(e => e.textContent).join('\\n');
}
return {
  page: document.body.innerText,
  layers: text('.leaflet-control-layers-overlays label'),
  legend: text('.bk-legend'),
  summary: text('.bk-summary'),
  attribution: text('.leaflet-control-attribution'),
};
"""


@pytest.fixture(scope="module")
def browser():
    from tests.test_browser import chromium

    driver = chromium()
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CANARY_JS})
    yield driver
    driver.quit()


def settle(browser, ms: int = 150) -> None:
    browser.execute_async_script(f"setTimeout(arguments[0], {ms});")


def severe(browser) -> list[dict]:
    """Console errors since the last call (reading the log empties it)."""
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def visit(browser, path: Path) -> dict:
    """Load a map, open every popup and tooltip, move every slider to both ends; return what was seen."""
    severe(browser)  # forget the previous page's messages
    browser.get(path.as_uri())
    seen = {"popups": [], "tooltips": [], "opened": 0, "moved": []}

    def exercise():
        got = browser.execute_script(EXERCISE_JS)
        settle(browser)
        seen["popups"] += got["popups"]
        seen["tooltips"] += got["tooltips"]
        seen["opened"] += got["opened"]

    exercise()
    for end in ("start", "end"):
        seen["moved"] += browser.execute_script(SLIDER_JS, end)
        settle(browser)
        exercise()
    return {**seen, **browser.execute_script(TEXTS_JS)}


def fired(browser) -> list[str]:
    """Ids of the payloads that ran (after letting onerror/onload handlers of anything injected run)."""
    settle(browser, 300)
    return browser.execute_script("return window.__bk_fired")


def pick(location: str, kind: str) -> Payload:
    return next(p for p in corpus(LOCATIONS[location]) if p.kind == kind)


# ---------------------------------------------------------------- tests
def test_corpus_size_and_shape():
    assert count_cases() == len(TEMPLATES) * len(LOCATIONS) == 27 * 17
    assert all("CANARY" in t or "MKDIR" in t or t == "{{ 7*7 }}" for t in TEMPLATES.values())
    assert len(pick("property key", "long").text) > 100_000
    assert len(corpus(4, file_name=True)[-1].text.encode()) < 255


def test_escape_text_is_inert_as_html_and_as_template():
    from html import unescape

    from jinja2 import Template

    from borderkit.safehtml import escape_text

    for p in corpus(0):
        out = escape_text(p.text)
        assert not set(out) & set("<>\"'{}"), p.kind  # no markup, quote or template delimiter left
        assert Template(out).render() == out  # compiling it changes nothing
        assert unescape(out) == p.text  # and the browser shows the original
    assert escape_text("a\udcffb") == "a\ufffdb"  # an undecodable file-name byte can still be written


def test_raw_html_outputs_template_syntax_verbatim():
    from borderkit.safehtml import raw_html

    text = "<b>{{ 7*7 }} {% if 1 %}x{% endif %} {# y</b>"
    assert raw_html(text).render() == text


def test_building_ran_no_jinja_payload(built):
    assert no_pwned_dirs(built.folder, built.cwd) == [] and not list(Path.cwd().glob("bkpwned*"))
    text = built.cli_map.read_text(encoding="utf-8") + built.api_map.read_text(encoding="utf-8")
    math = pick("property value (name; tooltip and popup)", "jinja_math")
    assert f"bkq{math.id} 49" not in text and f"bkq{math.id} " in text


@pytest.fixture(scope="module")
def visited(browser, built) -> dict[str, dict]:
    """Each map visited once: what was seen, which canaries fired, the console errors."""
    out = {}
    for which in ("cli_map", "api_map", "date_map"):
        seen = visit(browser, getattr(built, which))
        out[which] = {**seen, "fired": fired(browser), "severe": severe(browser)}
    return out


@pytest.mark.browser
@pytest.mark.parametrize("which", ["cli_map", "api_map", "date_map"])
def test_no_payload_runs_in_the_browser(visited, which):
    seen = visited[which]
    assert seen["fired"] == []
    assert seen["severe"] == []
    assert "__bk_pwned" in seen["page"]  # the payloads are on the page, as text
    if which != "date_map":
        assert seen["opened"] > 50 and seen["tooltips"]
        assert len(seen["moved"]) >= 2, "no time slider found"


@pytest.mark.browser
def test_search_finds_hostile_names_and_runs_none(browser, built):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    severe(browser)
    browser.get(built.api_map.as_uri())
    box = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-search input")
    box.send_keys("bkq13")
    settle(browser, 800)
    tips = [t.get_attribute("textContent") for t in browser.find_elements(By.CSS_SELECTOR, ".search-tip")]
    assert len(tips) == len(TEMPLATES)
    img = pick("searchable place name", "img")
    assert f"bkq{img.id} {img.text}" in tips
    browser.execute_script("""
        Object.values(window).forEach(function (c) {
          if (c instanceof L.Control.Search) c.on('search:locationfound', function (e) { window.__bk_found = e.text; });
        });""")
    browser.find_elements(By.CSS_SELECTOR, ".search-tip")[1].click()  # goes to that place
    settle(browser, 300)
    assert "onerror=__bk_pwned" in browser.execute_script("return window.__bk_found")
    box.clear()
    box.send_keys("bkq1319", Keys.ENTER)
    settle(browser, 800)
    assert fired(browser) == []
    assert severe(browser) == []


@pytest.mark.browser
def test_payloads_show_as_literal_text(visited, built):
    seen = [visited["cli_map"], visited["api_map"]]
    popups = "\n".join(t for s in seen for t in s["popups"])
    tooltips = "\n".join(t for s in seen for t in s["tooltips"])
    assert [p.id for p in built.values if p.text not in popups] == []
    math = pick("property value (name; tooltip and popup)", "jinja_math")
    assert f"bkq{math.id} {{{{ 7*7 }}}}" in tooltips and f"bkq{math.id} 49" not in tooltips + popups
    assert pick("property value (note; popup)", "jinja_comment").text in popups
    layers, legend = ("\n".join(s[part] for s in seen) for part in ("layers", "legend"))
    assert [p.id for p in built.names if p.text not in layers] == []
    in_legend = corpus(LOCATIONS["file name (--add)"], file_name=True)
    in_legend += corpus(LOCATIONS["frame key (build_map layer name)"])
    assert [p.id for p in in_legend if p.text not in legend] == []
    # hostile property keys never become labels or script: a user layer's own properties travel
    # as one line of text in a value, escaped with it, so the value shows as literal text
    assert "value under a hostile key" in popups
    for p in corpus(LOCATIONS["attribution"]):  # attributions are split into parts at ";"
        assert all(part.strip() in seen[1]["attribution"] for part in p.text.split(";")), p.id
    for p in corpus(LOCATIONS["summary text (date, how, estimates, samples)"]):
        assert p.text in seen[1]["summary"], p.id
    dates = " ".join(p.text for p in corpus(LOCATIONS["build_map date"]))
    assert dates in visited["date_map"]["page"]


@pytest.mark.browser
def test_control_unescaped_text_does_run(browser, tmp_path, monkeypatch):
    """Control: with escaping switched off, the same checks see the canary fire, 49 and a new directory."""
    from branca.element import Element

    import borderkit.render as render
    from borderkit.registry import sources

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(render, "escape_text", str)
    monkeypatch.setattr(render, "raw_html", Element)
    img, math, mkdir = (next(p for p in corpus(99) if p.kind == k) for k in ("img", "jinja_math", "jinja_mkdir"))
    frames = {img.text: _frame([img, math, mkdir])}
    m, _ = render.build_map(frames, sources=sources(), attributions=[], date=math.text, tolerance_m=0)
    path = tmp_path / "unsafe.html"
    path.write_text(render.to_html(m, offline=True), encoding="utf-8")
    assert no_pwned_dirs(tmp_path) == [str(tmp_path / mkdir.mkdir)]
    seen = visit(browser, path)
    assert str(img.id) in fired(browser)
    assert "State on 49" in seen["page"]
    assert f"bkq{math.id} 49" in "\n".join(seen["popups"])


def test_map_template_syntax_in_properties_no_longer_crashes(hostile, tmp_path):
    """The reported crash: ``{#`` in a property was compiled as a Jinja comment opener."""
    evil = write_geojson(tmp_path / "evil.geojson", [feature(0, {"name": "{{ 7*7 }}", "note": "{# x"})])
    out = tmp_path / "m.html"
    hostile("map", "--add", evil, "-o", out, "--samples", "0", "--offline", exit=0, says=["wrote"], inputs=[evil])
    text = out.read_text(encoding="utf-8")
    assert "&#123;&#123; 7*7 &#125;&#125;".replace("&", "\\u0026") in text


def test_map_add_reads_stdin(hostile, tmp_path):
    out = tmp_path / "m.html"
    text = json.dumps({"type": "FeatureCollection", "features": [feature(0, {"name": "from stdin <b>"})]})
    hostile("map", "--add", "-", "-o", out, "--samples", "0", "--layers", "places", exit=0, says=["wrote"], input=text)
    page = out.read_text(encoding="utf-8")
    assert "from stdin \\u0026lt;b\\u0026gt;" in page and "user layer (stdin)" in page
    hostile("map", "--add", "-", "--add", "-", "-o", out, "--samples", "0", exit=2, says=["only once"], input=text)
    hostile("map", "--add", "-", "-o", out, "--samples", "0", exit=1, says=["stdin holds no features"], input="")


@pytest.mark.parametrize(
    ("coords", "options", "exit", "says"),
    [
        ([39.6, 46.2], [], 1, ["--swap-xy"]),
        ([39.6, 46.2], ["--swap-xy"], 0, ["x and y swapped as asked"]),
        ([500000, 4400000], [], 1, ["--crs"]),
        ([500000, 4400000], ["--crs", "EPSG:32638"], 0, ["reprojected to EPSG:4326"]),
        ("bowtie", [], 1, ["--fix"]),
        ("bowtie", ["--fix"], 0, ["repaired"]),
    ],
)
def test_map_add_offers_the_options_its_messages_suggest(hostile, tmp_path, coords, options, exit, says):
    if coords == "bowtie":
        geometry = {"type": "Polygon", "coordinates": [[[45, 39], [45.1, 39.1], [45.1, 39], [45, 39.1], [45, 39]]]}
    else:
        geometry = {"type": "Point", "coordinates": coords}
    src = tmp_path / "in.geojson"
    src.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": geometry}))
    out = tmp_path / "m.html"
    args = ["map", "--add", src, *options, "-o", out, "--samples", "0", "--layers", "places"]
    hostile(*args, exit=exit, says=says, inputs=[src])
    assert out.exists() == (exit == 0)


def test_png_with_a_mathtext_file_name(hostile, tmp_path):
    """A ``$`` in a file name would start matplotlib mathtext in the PNG's legend (and fail to parse)."""
    src = write_geojson(tmp_path / "a$\\frac{$b.geojson", [feature(0, {"name": "x"})])
    out, png = tmp_path / "m.html", tmp_path / "m.png"
    hostile("map", "--add", src, "-o", out, "--png", png, "--samples", "0", "--layers", "places", exit=0, inputs=[src])
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("bad", ["{{ 7*7 }}", "{# x", "<img src=x onerror=__bk_pwned(1)>"])
def test_explore_rejects_hostile_layer_names_and_dates_plainly(bad):
    from borderkit.errors import BorderkitError
    from borderkit.render import explore

    with pytest.raises(BorderkitError):
        explore([bad], basemap="none")
    with pytest.raises(BorderkitError):
        explore(["places"], date=bad, basemap="none")
