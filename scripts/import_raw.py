"""Copy the raw open data borderkit is built from into geodata/raw/, unchanged.

The raw files come from ``../shared/data`` (or the folder given as the first argument).
They are committed, so a clone can rebuild ``geodata/`` without ``../shared``. Only the
files the build needs are copied, each with its licence text where the source has one.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "geodata" / "raw"

FILES = [
    "README.md",
    "whosonfirst-2024/wof_admin_am_az_region.gpkg",
    "whosonfirst-2024/LICENSE_wof.md",
    "osm-geo-maps-2017/countries_maritime_10m_caucasus.geojson",
    "osm-geo-maps-2017/lakes_10m_region.gpkg",
    "natural-earth-10m/ne_countries_10m_caucasus.geojson",
    "geoboundaries-v6/geoBoundaries-AZE-ADM1.geojson",
    "gazetteer/border_gazetteer.csv",
]


def main(argv: list[str]) -> int:
    """Copy FILES from the shared data folder into geodata/raw/."""
    src = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "data"
    if not src.is_dir():
        print(
            f"import_raw: no source folder at {src}. geodata/raw/ is already committed; "
            "pass the shared data folder as an argument to refresh it.",
            file=sys.stderr,
        )
        return 0 if RAW.is_dir() else 1
    for rel in FILES:
        dest = RAW / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, dest)
        print(f"copied {rel}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
