"""Map benchmarks: HTML size and build time of the default map, and Chromium's time to 'map ready'.

Peers in the same run: GeoPandas' own ``GeoDataFrame.explore()`` of the same layers (build
time), and a bare Leaflet page with no data (time to ready in the same browser).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import borderkit  # noqa: E402
from borderkit.mapdata import default_layers, map_frames  # noqa: E402
from borderkit.registry import sources  # noqa: E402
from borderkit.render import build_map, new_map, to_html  # noqa: E402


def build_default(offline: bool = True) -> str:
    frames, attributions, summary = map_frames(samples=50)
    m, _ = build_map(frames, sources=sources(), attributions=attributions, summary=summary)
    return to_html(m, offline=offline)


def build_peer() -> str:
    """GeoPandas explore() of the same layers, one after the other on one map."""
    m = None
    for name in (n for n in default_layers(borderkit.layers()) if n != "zones"):  # zones are modelled, not a file layer
        m = borderkit.load(name).explore(m=m, tiles=None)
    return m.get_root().render()


def time_to_ready(path: Path) -> float:
    """Seconds from navigation start until Leaflet has drawn the map, in headless Chromium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        "--disable-background-networking",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        t0 = time.perf_counter()
        driver.get(path.as_uri())
        driver.execute_script("return document.querySelector('.leaflet-container') !== null")
        return time.perf_counter() - t0
    finally:
        driver.quit()


def main(argv: list[str] | None = None) -> int:
    """Print size, build time and time-to-ready, each with its peer and ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    text = build_default()
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    peer = build_peer()
    t_peer = time.perf_counter() - t0
    print(
        f"default map: {len(text.encode()) / 1e6:.2f} MB offline (target <= 3 MB); build {t_build:.2f} s | "
        f"GeoPandas explore() of the same layers {t_peer:.2f} s, {len(peer.encode()) / 1e6:.2f} MB (CDN assets) | "
        f"build time ratio {t_build / t_peer:.2f}x"
    )
    if not args.no_browser:
        with tempfile.TemporaryDirectory() as tmp:
            ours, bare = Path(tmp) / "map.html", Path(tmp) / "bare.html"
            ours.write_text(text)
            bare.write_text(to_html(new_map(), offline=True))
            t_ours = min(time_to_ready(ours) for _ in range(3))
            t_bare = min(time_to_ready(bare) for _ in range(3))
        print(
            f"Chromium to map ready: {t_ours:.2f} s | bare Leaflet page {t_bare:.2f} s | ratio {t_ours / t_bare:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
