"""Vendor the JavaScript/CSS that borderkit's maps use, from pinned npm packages.

Run with ``make vendor`` (needs npm and the npm registry). Writes borderkit/_vendor/:
one file per asset, CSS with its images inlined as data: URIs, each package's licence,
and assets.json mapping every CDN URL folium would use to the vendored file. The result
is committed; nothing is fetched when a map is made.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "borderkit" / "_vendor"

# (package, version, licence file in the package, [(CDN URL folium uses, file in the package)])
ASSETS = [
    (
        "leaflet",
        "1.9.3",
        "LICENSE",
        [
            ("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js", "dist/leaflet.js"),
            ("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css", "dist/leaflet.css"),
        ],
    ),
    (
        "leaflet.timeline",
        "1.6.0",
        "LICENSE",
        [
            (
                "https://cdn.jsdelivr.net/npm/leaflet.timeline@1.6.0/dist/leaflet.timeline.min.js",
                "dist/leaflet.timeline.js",
            ),
        ],
    ),
    (
        "moment",
        "2.18.1",
        "LICENSE",
        [
            ("https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.18.1/moment.min.js", "min/moment.min.js"),
        ],
    ),
    (
        "leaflet-measure",
        "2.1.7",
        "LICENSE",
        [
            (
                "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js",
                "dist/leaflet-measure.js",
            ),
            (
                "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css",
                "dist/leaflet-measure.css",
            ),
        ],
    ),
    (
        "leaflet.fullscreen",
        "3.0.0",
        "LICENSE",
        [
            (
                "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js",
                "Control.FullScreen.js",
            ),
            ("https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css", "Control.FullScreen.css"),
        ],
    ),
    (
        "leaflet-minimap",
        "3.6.1",
        "LICENSE.txt",
        [
            (
                "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.js",
                "dist/Control.MiniMap.min.js",
            ),
            (
                "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.css",
                "dist/Control.MiniMap.min.css",
            ),
        ],
    ),
    (
        "leaflet-search",
        "2.9.7",
        "license.txt",
        [
            (
                "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js",
                "dist/leaflet-search.min.js",
            ),
            (
                "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.css",
                "dist/leaflet-search.min.css",
            ),
        ],
    ),
    # large user layers as client-side vector tiles (borderkit.vectortiles): geojson-vt cuts them
    (
        "geojson-vt",
        "3.2.1",
        "LICENSE",
        [("https://cdn.jsdelivr.net/npm/geojson-vt@3.2.1/geojson-vt.js", "geojson-vt.js")],
    ),
]

URL_RE = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


def inline_css_urls(css: str, base: Path) -> str:
    """Replace relative url(...) references in CSS with data: URIs of the packaged files."""

    def repl(match: re.Match) -> str:
        ref = match.group(1)
        if ref.startswith(("data:", "http:", "https:", "#")):
            return match.group(0)
        path = (base / ref.split("?")[0].split("#")[0]).resolve()
        if not path.is_file():
            return match.group(0)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f"url(data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()})"

    return URL_RE.sub(repl, css)


def main() -> int:
    """Fetch every package with npm pack and write the vendored files and manifest."""
    VENDOR.mkdir(parents=True, exist_ok=True)
    (VENDOR / "licenses").mkdir(exist_ok=True)
    manifest = {}
    with tempfile.TemporaryDirectory() as tmp:
        for package, version, licence, files in ASSETS:
            out = (
                subprocess.run(
                    ["npm", "pack", f"{package}@{version}", "--silent"],
                    cwd=tmp,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            dest = Path(tmp) / package
            with tarfile.open(Path(tmp) / out) as tar:
                tar.extractall(dest, filter="data")
            pkg = dest / "package"
            meta = json.loads((pkg / "package.json").read_text())
            (VENDOR / "licenses" / f"{package}.txt").write_text((pkg / licence).read_text())
            for url, rel in files:
                name = f"{package}--{Path(rel).name}"
                data = (pkg / rel).read_text(encoding="utf-8")
                if rel.endswith(".css"):
                    data = inline_css_urls(data, (pkg / rel).parent)
                (VENDOR / name).write_text(data, encoding="utf-8")
                manifest[url] = {
                    "file": name,
                    "package": package,
                    "version": version,
                    "license": meta.get("license"),
                    "license_file": f"licenses/{package}.txt",
                }
                print(f"vendored {package}@{version} {rel}", file=sys.stderr)
    (VENDOR / "assets.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
