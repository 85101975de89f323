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
import functools
import os
import re
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
    communities_layer
        The subject's second-level units (communities, municipalities) for
        ``--breakdown community``, or None.
    baselines
        Baseline line layers, the default first.
    datum
        CRS of the historical maps the line was drawn on (e.g. ``EPSG:4284``), or None.
    study_area
        ``(west, south, east, north)`` in degrees: input outside it is suspect.
    center, zoom, labels
        Map defaults: centre (lat, lon), zoom, and ids of places labelled without a click.
    baseline_labels
        Each baseline's words in legends ("Soviet-era line (WOF 2024)").
    observed
        Archives of a monitor's dated control polygons, by name: a folder, glob or file
        (relative to the case folder) that :func:`borderkit.observed.read_archive` reads.
        Components measured from an archive name it in their ``covers`` cell
        (``observed-net:NAME``), so published figures about observed data enter the account.
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
    baseline_labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    communities_layer: str | None = None
    observed: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def baseline_label(self, name: str) -> str:
        """Return a baseline's words for legends: the manifest's ``[baselines] labels``, else its layer name."""
        return self.baseline_labels.get(name, name)

    def party_colour(self, code: str | None, default: str = "#999999") -> str:
        """Return a party's map colour by ISO code (grey for a code the manifest does not name)."""
        return self.colors.get(code or "", default)

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

    def observed_source(self, name: str) -> str:
        """Return where an observed archive named in the manifest lives (a path or glob, absolute).

        Raises
        ------
        DataIntegrityError
            The manifest's ``[observed]`` table names no archive ``name``.
        """
        if name not in self.observed:
            listed = ", ".join(sorted(self.observed)) or "none"
            raise DataIntegrityError(
                f"{self.folder / MANIFEST} [observed] names no archive {name!r} (it names: {listed}). Add a line "
                f'{name} = "folder/or/*.geojson" there, pointing at the dated control polygons.'
            )
        return str(self.folder / self.observed[name])

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
    return _parsed(str(manifest.resolve()), manifest.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _parsed(manifest: str, mtime_ns: int) -> Case:
    """Return the case a manifest describes, parsed once per version of the file.

    Styles and labels ask for the active case per feature drawn; the key's modification
    time makes an edited manifest read again.
    """
    path = Path(manifest)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{path}: not valid TOML ({exc}). Fix the file, or compare with 'borderkit case init'."
        ) from None
    return _case(path.parent, data, path)


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
        communities_layer=territory.get("communities"),
        baselines=(default, *(x for x in layers if x != default)),
        datum=lines.get("datum"),
        study_area=box,  # type: ignore[arg-type]
        center=center,  # type: ignore[arg-type]
        zoom=int(mapping.get("zoom", 8)),
        labels=tuple(str(x) for x in mapping.get("labels", [])),
        files=files,
        baseline_labels={str(k): str(v) for k, v in lines.get("labels", {}).items()},
        observed=_archives(data.get("observed", {}), f"{where} [observed]"),
    )


def _archives(table: Any, where: str) -> dict[str, str]:
    """Return the manifest's ``[observed]`` archives (name -> path), names checked as plain slugs."""
    if not isinstance(table, Mapping):
        raise UsageError(f'{where}: must be a table of name = "path" lines, got {type(table).__name__}.')
    out = {}
    for name, path in table.items():
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", str(name)) or not isinstance(path, str) or not path:
            raise UsageError(
                f"{where}: {name!r} = {path!r} is not allowed. Give each archive a lower-case name (letters, "
                'digits, - and _) and a path: monitor-a = "observed/monitor-a".'
            )
        out[str(name)] = path
    return out
