"""Large user layers: borderkit's vector tiles against GeoPandas' ``GeoDataFrame.explore()``.

A layer of N Voronoi cells over the bundled case's countries (realistic small polygons with
repeated property strings) is drawn both ways in the same run, and each page is loaded in
headless Chromium with the network blocked:

- HTML size (borderkit offline, every asset inlined; explore() with CDN assets, which the
  blocked network does not load, so its page carries only Leaflet's own calls it can make:
  its size is the data's, and Leaflet is inlined from borderkit's vendored copy for it to run);
- time to ready: navigation start until the layer is drawn (explore(): the load event and
  two animation frames; vector tiles: every tile in view drawn, then two frames);
- time per zoom: one zoom in, without animation, until drawn (same criteria);
- memory: Chromium's JS heap (performance.memory) and the RSS of all its processes.

Run: ``python benchmarks/bench_vectortiles.py [--sizes 100000] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import borderkit  # noqa: E402
from borderkit.render import explore_layers, to_html  # noqa: E402
from borderkit.vectortiles import vertex_count  # noqa: E402

TYPES = ("pasture", "orchard", "village", "forest", "arable land")
NOTES = (
    "Cell drawn from a Voronoi partition of random seeds; boundaries are illustrative, not surveyed.",
    "Land use from a coarse classification; check against imagery before citing.",
    "Reported in the district register; the register's own boundary file was not available.",
)


def cells(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Return about ``n`` Voronoi cells over the case's countries, with repeated property strings."""
    area = borderkit.load("countries").to_crs(4326).union_all()
    rng = np.random.default_rng(seed)
    w, s, e, nn = area.bounds
    fill = area.area / ((e - w) * (nn - s))
    pts = shapely.points(rng.uniform(w, e, int(n / fill * 1.02)), rng.uniform(s, nn, int(n / fill * 1.02)))
    pts = pts[shapely.contains_xy(area, shapely.get_coordinates(pts)[:, 0], shapely.get_coordinates(pts)[:, 1])][:n]
    polys = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=area))
    shapely.prepare(area)
    polys = shapely.intersection(polys, area)
    polys = polys[~shapely.is_empty(polys)]
    k = len(polys)
    days = np.datetime64("2021-05-12") + rng.integers(0, 1200, k).astype("timedelta64[D]")
    return gpd.GeoDataFrame(
        {
            "name": [f"Cell {i:06d}" for i in range(k)],
            "type": rng.choice(TYPES, k),
            "date": days.astype(str),
            "confidence": rng.choice(["low", "medium", "high"], k),
            "note": rng.choice(NOTES, k),
        },
        geometry=polys,
        crs=4326,
    )


def chromium():
    """Start headless Chromium with the network blocked (as tests/test_browser.py does)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
        "--enable-precise-memory-info",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        "--disable-background-networking",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


#: Resolves when the page is drawn: every vector-tile layer's tiles in view, then two frames.
_READY_JS = """
var done = arguments[arguments.length - 1], vt = arguments[0];
function frames() { requestAnimationFrame(function () { requestAnimationFrame(function () {
  done(performance.now()); }); }); }
(function wait() {
  if (vt && document.documentElement.dataset.bkVectorTiles !== '1') { setTimeout(wait, 20); return; }
  frames();
})();
"""

#: Resolves when the page is idle: vector tiles have cut the next zoom level (see vectortiles), then
#: the browser has an idle period. A reader looks at a map before zooming; both pages get the same wait.
_IDLE_JS = """
var done = arguments[arguments.length - 1], vt = arguments[0];
(function wait() {
  if (vt && !window.bkVectorLayers[0]._bkIdle) { setTimeout(wait, 20); return; }
  requestIdleCallback(function () { done(true); });
})();
"""

#: Zoom in once without animation; resolves when drawn (tiles loaded, then two frames).
_ZOOM_JS = """
var done = arguments[arguments.length - 1], vt = arguments[0];
var map = Object.values(window).find(function (v) { return v instanceof L.Map; });
var t0 = performance.now();
function frames() { requestAnimationFrame(function () { requestAnimationFrame(function () {
  done(performance.now() - t0); }); }); }
if (vt) { window.bkVectorLayers[0].once('load', frames); } else { map.once('zoomend', frames); }
map.setZoom(map.getZoom() + 1, {animate: false});
"""


def _rss_mb(driver) -> float:
    """Return the resident memory of the browser and every process it started, in MB."""
    import psutil

    root = psutil.Process(driver.service.process.pid)
    procs = [root, *root.children(recursive=True)]
    return sum(p.memory_info().rss for p in procs if p.is_running()) / 1e6


def measure(path: Path, *, vt: bool, zooms: int = 3) -> dict:
    """Load ``path`` in a fresh Chromium; return ready (s), zoom (ms, median), heap and RSS (MB)."""
    driver = chromium()
    try:
        driver.set_script_timeout(600)
        driver.get(path.as_uri())
        ready = driver.execute_async_script(_READY_JS, vt) / 1000
        times = []
        for _ in range(zooms):
            driver.execute_async_script(_IDLE_JS, vt)
            times.append(driver.execute_async_script(_ZOOM_JS, vt))
        zoom = sorted(times)[zooms // 2]
        heap = driver.execute_script("return performance.memory.usedJSHeapSize") / 1e6
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        return {"ready": ready, "zoom": zoom, "heap": heap, "rss": _rss_mb(driver), "errors": severe}
    finally:
        driver.quit()


def build_ours(gdf: gpd.GeoDataFrame, vector_tiles: bool | None = None) -> str:
    """Return borderkit's map of the layer alone (offline: one self-contained file)."""
    return to_html(explore_layers(gdf, name="cells", vector_tiles=vector_tiles), offline=True)


def build_peer(gdf: gpd.GeoDataFrame) -> str:
    """Return GeoPandas' explore() of the same layer, its page as folium renders it (CDN assets)."""
    return gdf.explore(tiles=None).get_root().render()


def inline_known(text: str) -> str:
    """Inline the assets borderkit vendors (Leaflet) and drop the others (jQuery, Bootstrap...).

    The browser's network is blocked, so explore()'s page could not load them either; what it
    needs to draw (Leaflet) is inlined, as borderkit's offline page inlines it.
    """
    from borderkit.errors import UsageError
    from borderkit.render import _LINK_RE, _SCRIPT_RE, _vendored

    def sub(tag: str):
        def repl(mt):
            try:
                return f"<{tag}>" + _vendored(mt.group(1)) + f"</{tag}>"
            except UsageError:
                return ""

        return repl

    return _LINK_RE.sub(sub("style"), _SCRIPT_RE.sub(sub("script"), text))


def _best(fn, repeat: int) -> dict:
    runs = [fn() for _ in range(repeat)]
    best = min(runs, key=lambda r: r["ready"])
    best["errors"] = [e for r in runs for e in r["errors"]]
    return best


def main(argv: list[str] | None = None) -> int:
    """Print size, ready, zoom and memory for each size, ours beside explore(), with ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000", help="comma-separated polygon counts")
    parser.add_argument("--repeat", type=int, default=2, help="page loads per variant (the fastest is kept)")
    parser.add_argument("--no-browser", action="store_true", help="sizes and build times only")
    parser.add_argument("--geojson", action="store_true", help="also borderkit forced to plain GeoJSON")
    args = parser.parse_args(argv)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for n in (int(s) for s in args.sizes.split(",")):
        gdf = cells(n)
        print(f"\n{len(gdf):,} polygons, {vertex_count(gdf):,} vertices")
        pages = {}
        t0 = time.perf_counter()
        pages["vector tiles"] = build_ours(gdf, vector_tiles=True)
        builds = {"vector tiles": time.perf_counter() - t0}
        if args.geojson:
            t0 = time.perf_counter()
            pages["borderkit GeoJSON"] = build_ours(gdf, vector_tiles=False)
            builds["borderkit GeoJSON"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        pages["explore()"] = inline_known(build_peer(gdf))
        builds["explore()"] = time.perf_counter() - t0
        results = {}
        with tempfile.TemporaryDirectory() as tmp:
            for label, text in pages.items():
                path = Path(tmp) / f"{label.replace(' ', '_').strip('()')}.html"
                path.write_text(text, encoding="utf-8")
                row = {"size": len(text.encode()) / 1e6, "build": builds[label]}
                if not args.no_browser:
                    row |= _best(lambda p=path, v=label == "vector tiles": measure(p, vt=v), args.repeat)
                results[label] = row
        for label, r in results.items():
            line = f"  {label:18s} HTML {r['size']:7.2f} MB  build {r['build']:6.2f} s"
            if "ready" in r:
                line += (
                    f"  ready {r['ready']:6.2f} s  zoom {r['zoom']:8.1f} ms  JS heap {r['heap']:7.1f} MB"
                    f"  RSS {r['rss']:7.1f} MB  console errors {len(r['errors'])}"
                )
            print(line)
        ours, peer = results["vector tiles"], results["explore()"]
        ratios = f"  ratios explore()/vector tiles: size {peer['size'] / ours['size']:.1f}x"
        if "ready" in ours:
            ratios += (
                f", ready {peer['ready'] / ours['ready']:.1f}x, zoom {peer['zoom'] / ours['zoom']:.1f}x, "
                f"JS heap {peer['heap'] / ours['heap']:.1f}x, RSS {peer['rss'] / ours['rss']:.1f}x"
            )
        print(ratios)
    return 0


if __name__ == "__main__":
    sys.exit(main())
