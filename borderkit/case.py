"""Cases: a dispute is a folder of data described by a manifest; the code names no place.

A case folder holds ``case.toml`` (the manifest), ``layers.json`` (the layer registry),
``sources.json``, the layers themselves, and optionally ``src/components.csv``,
``src/sectors.csv`` and ``figures.csv``. The manifest says what the code must not assume:
the parties and which one's territory the figures measure, the baseline renderings of
the line and the default one, the datum of a historical line, the study-area box used to
sanity-check input, and the map's defaults.

The active case is, in order: the one given to :func:`use_case` (or ``--case PATH`` on
the command line), the ``BORDERKIT_CASE`` environment variable, ``BORDERKIT_GEODATA``
(its older name), then the bundled case. This module only reads and checks manifests;
:mod:`borderkit.registry` loads the case's layers and tables.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from borderkit.errors import DataIntegrityError, UsageError

__all__ = [
    "MANIFEST",
    "Party",
    "Case",
    "read_case",
    "current",
    "chosen",
    "use_case",
    "bundled_folder",
    "scaffold",
    "write_case",
    "check",
]

#: The manifest's file name inside a case folder.
MANIFEST = "case.toml"
ROLES = ("subject", "counterpart", "other")

_chosen: Path | None = None


@dataclasses.dataclass(frozen=True)
class Party:
    """A party to the dispute: ISO 3166 alpha-3 ``code``, its ``name``, its ``role`` and map colour."""

    code: str
    name: str
    role: str
    color: str = "#777777"


@dataclasses.dataclass(frozen=True)
class Case:
    """A case as its manifest describes it.

    Attributes
    ----------
    folder
        The case folder (paths in the manifest are relative to it).
    name, title
        A short id and a title for maps and outputs.
    parties
        Every party, with role ``subject`` (whose territory the figures measure),
        ``counterpart`` or ``other``.
    territory_layer
        The layer with the subject's territory as each baseline rendering bounds it (one
        row per rendering, a ``baseline`` column naming it).
    regions_layer
        The subject's first-level regions (for breakdowns), or None.
    baselines
        Baseline line layers, the default first.
    datum
        CRS of the historical maps the line was drawn on (e.g. ``EPSG:4284``), or None.
    study_area
        ``(west, south, east, north)`` in degrees: input outside it is suspect.
    center, zoom, labels
        Map defaults: centre (lat, lon), zoom, and ids of places labelled without a click.
    """

    folder: Path
    name: str
    title: str
    parties: tuple[Party, ...]
    territory_layer: str
    regions_layer: str | None
    baselines: tuple[str, ...]
    datum: str | None
    study_area: tuple[float, float, float, float]
    center: tuple[float, float]
    zoom: int
    labels: tuple[str, ...] = ()
    files: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def subject(self) -> Party:
        """Return the party whose territory the figures measure."""
        return next(p for p in self.parties if p.role == "subject")

    @property
    def counterpart(self) -> Party | None:
        """Return the other main party, if the manifest names one."""
        return next((p for p in self.parties if p.role == "counterpart"), None)

    @property
    def default_baseline(self) -> str:
        """Return the default baseline layer (the first listed)."""
        return self.baselines[0]

    @property
    def colors(self) -> dict[str, str]:
        """Return each party's map colour, by ISO code."""
        return {p.code: p.color for p in self.parties}

    def path(self, key: str) -> Path:
        """Return the path of a case file: ``layers``, ``sources``, ``components``, ``figures`` or ``sectors``."""
        return self.folder / self.files.get(key, DEFAULT_FILES[key])


DEFAULT_FILES = {
    "layers": "layers.json",
    "sources": "sources.json",
    "components": "src/components.csv",
    "sectors": "src/sectors.csv",
    "figures": "figures.csv",
}


def bundled_folder() -> Path:
    """Return the bundled case's folder: ``borderkit/_geodata`` in a wheel, ``geodata/`` in a checkout."""
    here = Path(__file__).resolve().parent
    for folder in (here / "_geodata", here.parent / "geodata"):
        if (folder / MANIFEST).is_file():
            return folder
    raise DataIntegrityError(
        f"borderkit's bundled case was not found (looked in {here / '_geodata'} and {here.parent / 'geodata'}). "
        "Reinstall borderkit, or select a case with --case PATH or BORDERKIT_CASE."
    )


def use_case(path: str | os.PathLike[str] | None) -> Case:
    """Make the case in ``path`` the active one for this process (None: back to the default); return it.

    Examples
    --------
    >>> import borderkit
    >>> borderkit.use_case(None).subject.code
    'ARM'
    """
    global _chosen
    if path is None:
        _chosen = None
        _clear_caches()
        return current()
    case = read_case(path)
    _chosen = case.folder
    _clear_caches()
    return case


def _clear_caches() -> None:
    """Forget what was loaded from the previous case (the registry caches manifests and layers)."""
    import sys

    registry = sys.modules.get("borderkit.registry")
    if registry is not None:
        registry.clear_cache()


def chosen() -> Path | None:
    """Return the folder :func:`use_case` chose, or None when the default order applies."""
    return _chosen


def current() -> Case:
    """Return the active case (see the module docstring for the order)."""
    if _chosen is not None:
        return read_case(_chosen)
    for var in ("BORDERKIT_CASE", "BORDERKIT_GEODATA"):
        value = os.environ.get(var)
        if value:
            return read_case(value, origin=var)
    return read_case(bundled_folder())


def read_case(path: str | os.PathLike[str], *, origin: str = "--case") -> Case:
    """Read and check a case folder's manifest; raise :class:`UsageError` naming the problem and the file."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise UsageError(
            f"{origin} {str(path)!r} is not a folder. Give a case folder with a {MANIFEST} "
            "(make one with 'borderkit case init DIR')."
        )
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise UsageError(
            f"{origin} {str(path)!r} has no {MANIFEST}. A case folder starts with one: "
            f"'borderkit case init {path}' writes it."
        )
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{manifest}: not valid TOML ({exc}). Fix the file, or compare with 'borderkit case init'."
        ) from None
    return _case(folder.resolve(), data, manifest)


def _need(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in table:
        raise UsageError(f"{where}: '{key}' is missing. See the comments 'borderkit case init' writes.")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise UsageError(f"{where}: '{key}' is {value!r}; it must be a {names}.")
    return value


def _numbers(value: Sequence[Any], n: int, key: str, where: str) -> tuple[float, ...]:
    if len(value) != n or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value):
        raise UsageError(f"{where}: '{key}' is {value!r}; it must be {n} numbers.")
    return tuple(float(x) for x in value)


def _parties(data: Mapping[str, Any], where: str) -> tuple[Party, ...]:
    rows = _need(data, "parties", list, where)
    parties = []
    for i, row in enumerate(rows, 1):
        at = f"{where} [[parties]] #{i}"
        if not isinstance(row, dict):
            raise UsageError(f"{at}: must be a table with code, name and role.")
        code = _need(row, "code", str, at)
        if len(code) != 3 or not code.isalpha() or not code.isupper():
            raise UsageError(f"{at}: code {code!r} is not an ISO 3166 alpha-3 code (three capital letters, e.g. ARM).")
        role = _need(row, "role", str, at)
        if role not in ROLES:
            raise UsageError(f"{at}: role {role!r} is not one of {', '.join(ROLES)}.")
        parties.append(Party(code, _need(row, "name", str, at), role, str(row.get("color", "#777777"))))
    if [p.role for p in parties].count("subject") != 1:
        raise UsageError(f"{where}: exactly one party has role 'subject' (whose territory the figures measure).")
    if len({p.code for p in parties}) != len(parties):
        raise UsageError(f"{where}: a party code is used twice.")
    return tuple(parties)


def _case(folder: Path, data: Mapping[str, Any], manifest: Path) -> Case:
    where = str(manifest)
    head = _need(data, "case", dict, where)
    territory = _need(data, "territory", dict, where)
    lines = _need(data, "baselines", dict, where)
    mapping = data.get("map", {})
    layers = _need(lines, "layers", list, f"{where} [baselines]")
    default = str(lines.get("default", layers[0] if layers else ""))
    if not layers or default not in layers:
        raise UsageError(f"{where} [baselines]: 'default' {default!r} must be one of 'layers' ({layers}).")
    center = _numbers(mapping.get("center", [0, 0]), 2, "center", f"{where} [map]")
    box = _numbers(_need(data, "study_area", dict, where).get("bbox", []), 4, "bbox", f"{where} [study_area]")
    if not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
        raise UsageError(f"{where} [study_area]: bbox {list(box)} must be [west, south, east, north] in degrees.")
    files = {k: str(v) for k, v in data.get("files", {}).items()}
    unknown = set(files) - set(DEFAULT_FILES)
    if unknown:
        raise UsageError(
            f"{where} [files]: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(DEFAULT_FILES)}."
        )
    return Case(
        folder=folder,
        name=_need(head, "name", str, f"{where} [case]"),
        title=str(head.get("title", head["name"])),
        parties=_parties(data, where),
        territory_layer=_need(territory, "layer", str, f"{where} [territory]"),
        regions_layer=territory.get("regions"),
        baselines=(default, *(x for x in layers if x != default)),
        datum=lines.get("datum"),
        study_area=box,  # type: ignore[arg-type]
        center=center,  # type: ignore[arg-type]
        zoom=int(mapping.get("zoom", 8)),
        labels=tuple(str(x) for x in mapping.get("labels", [])),
        files=files,
    )


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
# the subject's first-level regions, for breakdowns by region.
[territory]
layer = "territory"

# The baseline renderings of the line (line layers in layers.json), the default first.
# 'datum' (optional): the CRS of historical maps the line was drawn on, e.g. "EPSG:4284".
[baselines]
default = "line"
layers = ["line"]

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
                "file": source, "license": "as given by the user", "attribution": source}  # fmt: skip
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
    previous = _chosen
    try:
        use_case(case.folder)
        problems += _check_layers(case)
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
    for layer in (*case.baselines, case.territory_layer, *([case.regions_layer] if case.regions_layer else [])):
        if layer not in known:
            problems.append(f"{manifest}: names layer {layer!r}, which layers.json does not list.")
    for line in case.baselines:
        if line in known and known[line]["kind"] != "line":
            problems.append(f"{manifest}: baseline {line!r} is a {known[line]['kind']} layer, not a line layer.")
    if case.territory_layer in known and not problems:
        problems += _check_territory(case)
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
            read()
        except BorderkitError as exc:
            problems.append(f"{case.path(key)}: {exc}")
            break  # figures are checked against the components: one message is enough
    return problems
