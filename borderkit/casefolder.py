"""Case folders: make a new one from two neighbours' polygons, and check one, naming each problem's file.

The edge beside :mod:`borderkit.case` (which only reads manifests): it writes a folder and
reads a case's layers and tables through the registry to check them, so it sits above
both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from borderkit.case import MANIFEST, Case, chosen, read_case, use_case
from borderkit.errors import UsageError

__all__ = ["TEMPLATE", "scaffold", "write_case", "check"]


# ----------------------------------------------------------------------------- a new case
TEMPLATE = """\
# borderkit case manifest: what the code must not assume about a dispute.
# Paths are relative to this folder. Check the folder with 'borderkit case check {folder}'.

[case]
name = {name}
title = {title}

# The parties, with ISO 3166 alpha-3 codes. Exactly one is the 'subject': the party whose
# territory the figures measure. 'color' is its colour on maps.
[[parties]]
code = {subject_code}
name = {subject_name}
role = "subject"
color = "#0072B2"

[[parties]]
code = {counterpart_code}
name = {counterpart_name}
role = "counterpart"
color = "#E69F00"

# The layer with the subject's territory as each baseline rendering bounds it: one row per
# rendering, its 'baseline' column naming the line layer. 'regions' (optional): a layer of
# the subject's first-level regions, for breakdowns by region; 'communities' (optional): a
# layer of its second-level units, for 'borderkit zones --breakdown community'.
[territory]
layer = "territory"
# regions = "provinces"
# communities = "communities"

# The baseline renderings of the line (line layers in layers.json), the default first.
# 'datum' (optional): the CRS of historical maps the line was drawn on, e.g. "EPSG:4284".
# 'labels': each baseline's words in map legends.
[baselines]
default = "line"
layers = ["line"]
labels = {{ line = "The line between the two territories" }}

# Input outside this box (west, south, east, north; degrees) is suspect.
[study_area]
bbox = {bbox}

# Map defaults: centre (lat, lon), zoom, and ids of places (a 'places' layer) labelled
# without a click.
[map]
center = {center}
zoom = 7
labels = []

# Where the case's tables live (these are the defaults). Add the files as you need them:
# src/components.csv and figures.csv for 'borderkit reconcile' (headers written below),
# src/sectors.csv and a 'sectors' layer for modelled zones.
[files]
layers = "layers.json"
sources = "sources.json"
components = "src/components.csv"
sectors = "src/sectors.csv"
figures = "figures.csv"

# Archives of a monitor's dated control polygons (optional), by name: a folder, a glob or
# one file with a date column. A component whose covers cell reads 'observed-net:NAME'
# (or observed-gained / observed-held) is measured from the archive between its start and
# end dates, so a monitor's published figures enter 'borderkit reconcile'.
[observed]
# monitor-a = "observed/monitor-a"
"""


def _toml_string(text: str) -> str:
    """Return ``text`` as a TOML basic string (JSON's escaping is valid TOML for these)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def scaffold(
    subject: Any,
    counterpart: Any,
    *,
    name: str,
    subject_code: str,
    counterpart_code: str,
    source: str,
) -> dict[str, Any]:
    """Return the files of a new case built from two neighbours' polygons (pure: nothing is written).

    The line is their shared boundary; the subject's polygon is its territory. Returns a
    mapping of relative path -> text or GeoDataFrame, for :func:`write_case`.

    Parameters
    ----------
    subject, counterpart
        GeoDataFrames (lon/lat) of each party's territory; each is dissolved to one polygon.
    name, subject_code, counterpart_code
        The case's name and the parties' ISO 3166 alpha-3 codes.
    source
        Where the polygons come from, recorded as the layers' source.
    """
    import geopandas as gpd
    import shapely

    from borderkit.reconcile import COMPONENT_COLUMNS, FIGURE_COLUMNS

    mine = shapely.union_all(subject.geometry.to_numpy())
    theirs = shapely.union_all(counterpart.geometry.to_numpy())
    line = shapely.line_merge(shapely.intersection(mine.boundary, theirs.boundary))
    if line.is_empty or line.length == 0:
        raise UsageError(
            "The two territories share no boundary, so there is no line between them. Give two neighbours' "
            "polygons that touch (their common edge becomes the case's line)."
        )
    common = {"kind": "", "claimant": "", "holder": "", "date": "", "end_date": "", "source": "user",
              "method": f"from {source}", "confidence": "as given"}  # fmt: skip
    countries = gpd.GeoDataFrame(
        [
            {
                **common,
                "id": f"country-{c.lower()}",
                "name": c,
                "kind": "country",
                "claimant": c,
                "holder": c,
                "country": c,
            }
            for c in (subject_code, counterpart_code)
        ],  # fmt: skip
        geometry=[mine, theirs],
        crs=4326,
    )
    border = gpd.GeoDataFrame(
        [{**common, "id": "line-1", "name": f"{subject_code}-{counterpart_code} line", "kind": "line"}],
        geometry=[line],
        crs=4326,
    )
    territory = gpd.GeoDataFrame(
        [{**common, "id": "territory-line", "name": subject_code, "kind": "territory", "baseline": "line",
          "claimant": subject_code, "holder": subject_code}],
        geometry=[mine],
        crs=4326,
    )  # fmt: skip
    west, south, east, north = shapely.union_all([mine, theirs]).bounds
    pad = 1.0
    bbox = [round(max(west - pad, -180), 3), round(max(south - pad, -90), 3), round(min(east + pad, 180), 3),
            round(min(north + pad, 90), 3)]  # fmt: skip
    centroid = mine.centroid
    manifest = TEMPLATE.format(
        folder="DIR",
        name=_toml_string(name),
        title=_toml_string(f"{subject_code}–{counterpart_code}"),
        subject_code=_toml_string(subject_code),
        subject_name=_toml_string(subject_code),
        counterpart_code=_toml_string(counterpart_code),
        counterpart_name=_toml_string(counterpart_code),
        bbox=bbox,
        center=[round(centroid.y, 4), round(centroid.x, 4)],
    )
    return {
        MANIFEST: manifest,
        "layers/countries.geojson": countries,
        "layers/line.geojson": border,
        "layers/territory.geojson": territory,
        "src/components.csv": ",".join(COMPONENT_COLUMNS + ("part_of",)) + "\n",
        "figures.csv": ",".join(FIGURE_COLUMNS) + "\n",
    }


LAYER_KINDS = {"countries": "boundary", "line": "line", "territory": "boundary"}


def write_case(folder: str | os.PathLike[str], files: Mapping[str, Any], *, source: str) -> Path:
    """Write a new case folder all at once: built beside it, then renamed into place.

    Refuses a folder that exists and is not empty, so no one's data is overwritten.
    """
    import json
    import shutil
    import tempfile

    from borderkit.io import sha256_file, write_geojson

    target = Path(folder).expanduser()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{str(target)!r} exists and is not an empty folder. Give a new folder for the case.")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        entries = []
        for rel, content in files.items():
            path = work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
                continue
            write_geojson(content, path)
            layer = Path(rel).stem
            entries.append(
                {"name": layer, "filename": rel, "kind": LAYER_KINDS.get(layer, "boundary"),
                 "description": f"{layer} (from {source})", "geometry_type": sorted(set(content.geom_type)),
                 "nrows": len(content), "ncols": int(content.shape[1]), "crs": "EPSG:4326",
                 "hash": sha256_file(path), "sources": ["user"], "license": "as given by the user",
                 "attribution": source}
            )  # fmt: skip
        (work / "layers.json").write_text(json.dumps({"version": 1, "layers": entries}, indent=1) + "\n")
        user = {"key": "user", "title": source, "publisher": "the case's author", "date": "", "url": "",
                "file": source, "licence": "as given by the user", "attribution": source}  # fmt: skip
        (work / "sources.json").write_text(json.dumps([user], indent=1) + "\n")
        if target.exists():
            target.rmdir()
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def check(folder: str | os.PathLike[str]) -> list[str]:
    """Return every problem found in a case folder, each naming the file (and row) it is in; [] when sound."""
    problems: list[str] = []
    try:
        case = read_case(folder, origin="the case folder")
    except UsageError as exc:
        return [str(exc)]
    previous = chosen()
    try:
        use_case(case.folder)
        problems += _check_layers(case)
        problems += _check_archives(case)
        problems += _check_tables(case)
    finally:
        use_case(previous)
    return problems


def _check_layers(case: Case) -> list[str]:
    from borderkit.errors import BorderkitError
    from borderkit.registry import layers, verify

    try:
        known = layers()
    except (BorderkitError, ValueError, KeyError) as exc:
        return [f"{case.path('layers')}: {exc}"]
    problems = []
    for name in known:
        try:
            problems += [f"{case.path('layers')}: layer {name!r}: {p}" for p in verify(name)]
        except (BorderkitError, OSError, ValueError) as exc:
            problems.append(f"{case.path('layers')}: layer {name!r}: {exc}")
    manifest = case.folder / MANIFEST
    named = (case.regions_layer, case.communities_layer)
    for layer in (*case.baselines, case.territory_layer, *(x for x in named if x)):
        if layer not in known:
            problems.append(f"{manifest}: names layer {layer!r}, which layers.json does not list.")
    for line in case.baselines:
        if line in known and known[line]["kind"] != "line":
            problems.append(f"{manifest}: baseline {line!r} is a {known[line]['kind']} layer, not a line layer.")
    if case.territory_layer in known and not problems:
        problems += _check_territory(case)
    return problems


def _check_archives(case: Case) -> list[str]:
    """Check that each archive the manifest names ([observed]) has maps to read."""
    from borderkit.errors import BorderkitError
    from borderkit.observed import archive_files

    problems = []
    for name in case.observed:
        try:
            if not archive_files(case.observed_source(name)):
                raise BorderkitError("no map files there")
        except BorderkitError as exc:
            problems.append(f"{case.folder / MANIFEST} [observed] {name}: {exc}")
    return problems


def _check_territory(case: Case) -> list[str]:
    from borderkit.registry import load

    territory = load(case.territory_layer)
    if "baseline" not in territory.columns:
        return [f"layer {case.territory_layer!r}: no 'baseline' column (one row per baseline rendering)."]
    missing = [b for b in case.baselines if b not in set(territory["baseline"])]
    return [f"layer {case.territory_layer!r}: no row for baseline {b!r}." for b in missing]


def _check_tables(case: Case) -> list[str]:
    from borderkit.errors import BorderkitError
    from borderkit.registry import components, figures

    problems = []
    import pandas as pd

    for key, read in (("components", components), ("figures", figures)):
        path = case.path(key)
        if not path.is_file() or pd.read_csv(path, dtype=str, nrows=1).empty:
            continue  # optional, or not filled in yet: the command that needs it says so
        try:
            table = read()
            if key == "components":  # the layers covered exist; archives: names, periods, ground
                from borderkit.archives import measure_components
                from borderkit.reconcile import check_covers

                check_covers(table)
                measure_components(table, where=str(path))
        except BorderkitError as exc:
            problems.append(f"{case.path(key)}: {exc}" if str(path) not in str(exc) else str(exc))
            break  # figures are checked against the components: one message is enough
    return problems
