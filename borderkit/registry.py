"""The registry of a case's layers and tables: list, load and verify them.

The layer manifest (``layers.json`` in the active case's folder, see :mod:`borderkit.case`)
is the only place layer names live. The bundled case is read from the repository's
``geodata/`` folder in a checkout and from ``borderkit/_geodata`` in a wheel; ``--case``,
``BORDERKIT_CASE`` or :func:`borderkit.use_case` select another.
"""

from __future__ import annotations

import difflib
import functools
import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from borderkit.errors import BorderkitError, DataIntegrityError, UnknownLayerError

if TYPE_CHECKING:
    import shapely

    from borderkit.model import AreaModel

__all__ = [
    "SCHEMA",
    "Bunch",
    "Layer",
    "area_model",
    "baseline",
    "baselines",
    "claims",
    "components",
    "clear_cache",
    "data_dir",
    "estimates",
    "feature",
    "figures",
    "layers",
    "load",
    "require",
    "sources",
    "verify",
]

#: Columns every curated layer has (DESIGN.md, "Common feature schema").
SCHEMA = ("id", "name", "kind", "claimant", "holder", "date", "end_date", "source", "method", "confidence")


def data_dir() -> Path:
    """Return the active case's folder (:func:`borderkit.case.current`): it holds ``layers.json``."""
    from borderkit.case import current

    folder = current().folder
    if not (folder / "layers.json").is_file():
        raise DataIntegrityError(
            f"The case folder {str(folder)!r} has no layers.json. Add the layer registry "
            "('borderkit case init' writes one), or select another case with --case PATH."
        )
    return folder


def clear_cache() -> None:
    """Forget cached manifests and layers (after the active case changes)."""
    _manifest.cache_clear()
    _read.cache_clear()


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class Bunch(dict[str, Any]):
    """A dict with attribute access, name queries and an HTML repr (as in xyzservices)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError as exc:
            raise AttributeError(key) from exc

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.keys()]

    def flatten(self) -> dict[str, Layer]:
        """Return the layers as a plain ``{name: Layer}`` dict."""
        return dict(self)

    def filter(self, *, kind: str | None = None, keyword: str | None = None) -> Bunch:
        """Return the layers of a ``kind`` and/or whose name or description has ``keyword``."""

        def keep(layer: Layer) -> bool:
            text = f"{layer['name']} {layer['description']}".lower()
            return (kind is None or layer["kind"] == kind) and (keyword is None or keyword.lower() in text)

        return Bunch({k: v for k, v in self.items() if keep(v)})

    def query_name(self, name: str) -> Layer:
        """Return a layer by name, ignoring case and punctuation; list close names if absent."""
        wanted = _normalise(name)
        layer: Layer  # a Bunch of layers (query_name is meant for layers())
        for key, layer in self.items():
            if _normalise(key) == wanted:
                return layer
        close = difflib.get_close_matches(name, list(self), n=3, cutoff=0.4)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownLayerError(
            f"No layer named {name!r}.{hint} Available layers: {', '.join(self)}. Run 'borderkit layers' to list them."
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(v['kind'])}</td><td>{v['nrows']}</td>"
            f"<td>{html.escape(v['description'])}</td><td>{html.escape(v['license'])}</td></tr>"
            for k, v in self.items()
        )
        return (
            "<table><thead><tr><th>name</th><th>kind</th><th>rows</th><th>description</th>"
            f"<th>licence</th></tr></thead><tbody>{rows}</tbody></table>"
        )


class Layer(Bunch):
    """One manifest entry; checks on creation that every required key is present."""

    REQUIRED = (
        "name",
        "filename",
        "kind",
        "description",
        "geometry_type",
        "nrows",
        "ncols",
        "crs",
        "hash",
        "sources",
        "license",
        "attribution",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        missing = [k for k in self.REQUIRED if k not in self]
        if missing:
            raise DataIntegrityError(
                f"Manifest entry {self.get('name', '?')!r} lacks {', '.join(missing)}. Rebuild it with 'make geodata'."
            )

    @property
    def path(self) -> Path:
        """Path of the layer's file."""
        return data_dir() / str(self["filename"])

    def load(self) -> gpd.GeoDataFrame:
        """Load this layer (see :func:`load`)."""
        return load(self["name"])


@functools.cache
def _manifest(folder: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((folder / "layers.json").read_text(encoding="utf-8"))
    return manifest


def layers() -> Bunch:
    """Return every curated layer as a :class:`Bunch` of :class:`Layer`, keyed by name."""
    return Bunch({e["name"]: Layer(e) for e in _manifest(data_dir())["layers"]})


def sources() -> pd.DataFrame:
    """Return the sources registry: key, title, publisher, date, url, file, licence, attribution."""
    return pd.DataFrame(json.loads((data_dir() / "sources.json").read_text(encoding="utf-8")))


@functools.cache
def _read(path: Path, mtime: float) -> gpd.GeoDataFrame:
    from borderkit.io import read_geojson

    gdf = read_geojson(path)
    # JSON has no integer-with-null type: give id columns back their nullable integers
    for col in gdf.columns:
        if col.endswith("_id") and gdf[col].dtype.kind == "f":
            gdf[col] = gdf[col].astype("Int64")
    return gdf


def load(name: str) -> gpd.GeoDataFrame:
    """Return a curated layer as a GeoDataFrame in EPSG:4326 with the common schema.

    Raises
    ------
    UnknownLayerError
        ``name`` is not in the manifest; the message lists close names.
    DataIntegrityError
        The file does not match its manifest entry (rows, columns, schema).
    """
    layer = layers().query_name(name)
    path = layer.path
    gdf = _read(path, path.stat().st_mtime).copy()
    missing = [c for c in SCHEMA if c not in gdf.columns]
    if len(gdf) != layer["nrows"] or missing:
        raise DataIntegrityError(
            f"Layer {layer['name']!r} at {path} has {len(gdf)} rows (manifest: {layer['nrows']})"
            f"{' and lacks ' + ', '.join(missing) if missing else ''}. Rebuild with 'make geodata'."
        )
    return gdf


def verify(name: str) -> list[str]:
    """Return the ways a layer's file differs from its manifest entry (empty when it matches)."""
    from borderkit.io import sha256_file

    layer = layers().query_name(name)
    gdf = load(layer["name"])
    problems = []
    if sha256_file(layer.path) != layer["hash"]:
        problems.append("sha256 differs")
    if gdf.shape[1] != layer["ncols"]:
        problems.append(f"{gdf.shape[1]} columns, manifest says {layer['ncols']}")
    if sorted(set(gdf.geom_type)) != layer["geometry_type"]:
        problems.append(f"geometry types {sorted(set(gdf.geom_type))}, manifest says {layer['geometry_type']}")
    if gdf.crs is None or gdf.crs.to_string() != layer["crs"]:
        problems.append(f"CRS {gdf.crs}, manifest says {layer['crs']}")
    return problems


def baselines() -> list[str]:
    """Return the case's baseline renderings (line layers zones can be built on), the default first."""
    from borderkit.case import current

    known = layers()
    return [name for name in current().baselines if name in known]


def baseline(name: str | None = None) -> tuple[shapely.Geometry, shapely.Geometry]:
    """Return (line, territory) for a baseline rendering: the merged line and the subject's territory it bounds.

    ``name`` defaults to the case's default baseline; the territory comes from the layer
    the case's manifest names (one row per rendering, its ``baseline`` column naming it).
    """
    import shapely

    from borderkit.case import current
    from borderkit.errors import UsageError

    case = current()
    name = name or case.default_baseline
    if name not in baselines():
        raise UsageError(f"Unknown baseline {name!r}. Allowed: {', '.join(baselines())}.")
    line = shapely.union_all(load(name).geometry.to_numpy())
    territory = load(case.territory_layer).set_index("baseline").geometry
    if name not in territory.index:
        raise DataIntegrityError(
            f"Layer {case.territory_layer!r} has no row for baseline {name!r}: add the subject's territory as "
            "that rendering bounds it ('borderkit case check' lists what is missing)."
        )
    return line, territory[name]


def components() -> pd.DataFrame:
    """Return the bundled components (``src/components.csv``), validated: the quantities figures are made of."""
    from borderkit.case import current
    from borderkit.catalogue import validate_components

    path = current().path("components")
    if not path.is_file():
        raise DataIntegrityError(
            f"This case has no components file ({path}). Add one (columns: {', '.join(_component_columns())}) "
            "to fit an account of its figures; 'borderkit case init' writes an empty one."
        )
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return validate_components(table)


def _component_columns() -> tuple[str, ...]:
    from borderkit.catalogue import COMPONENT_COLUMNS

    return COMPONENT_COLUMNS


def figures() -> pd.DataFrame:
    """Return the bundled published figures (``figures.csv``), validated against the components."""
    from borderkit.case import current
    from borderkit.catalogue import validate_figures

    path = current().path("figures")
    if not path.is_file():
        raise DataIntegrityError(
            f"This case has no figures file ({path}). Add the published figures there (one row per figure; "
            "'borderkit case init' writes the header), or give your own with 'borderkit reconcile --figures FILE'."
        )
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        if table.empty:
            raise DataIntegrityError(
                f"This case has no figures yet: {str(path)!r} has only its header. Add one row per published "
                "figure (id, value, unit, qualifier, date, who, components, source, quote), or give your own file "
                "with 'borderkit reconcile --figures FILE'."
            )
        return validate_figures(table, components())
    except DataIntegrityError:
        raise
    except (ValueError, BorderkitError) as exc:  # pandas' ParserError is a ValueError
        from borderkit.case import bundled_folder, current

        bundled = current().folder.resolve() == bundled_folder().resolve()
        raise DataIntegrityError(
            f"The case's figures and components do not agree, or a file is damaged: {exc} Fix the row it names in "
            f"{str(path)!r} or in {str(current().path('components'))!r}"
            + ("; for the bundled case, reinstall borderkit or 'git checkout geodata/'." if bundled else ".")
        ) from None


def estimates() -> pd.DataFrame:
    """Return the published figures with ``value`` in km², for readers of the old estimates catalogue.

    Deprecated: use :func:`figures`, which keeps each figure's own unit and its scope.
    """
    table = figures()
    return table.assign(value=table["value_km2"], unit="km2")


def require(name: str, *, needed_by: str, add: str) -> gpd.GeoDataFrame:
    """Load a layer a command needs; if the active case has none, say which file to add.

    Parameters
    ----------
    name
        The layer's name in ``layers.json``.
    needed_by
        What needs it (``"'borderkit zones'"``), for the message.
    add
        What the layer holds and where it goes, for the message.
    """
    if name not in layers():
        from borderkit.case import current

        raise DataIntegrityError(
            f"This case ({current().folder}) has no {name!r} layer, needed by {needed_by}. Add {add}, and list it "
            f"in layers.json under the name {name!r}; 'borderkit case check' then verifies it."
        )
    return load(name)


def feature(ref: str) -> shapely.Geometry:
    """Return the geometry a ``layer:id`` reference names (a claim's ``feature``, e.g. ``lakes:my-lake``)."""
    layer, sep, fid = str(ref).partition(":")
    if not sep or not layer or not fid:
        raise DataIntegrityError(f"Feature reference {ref!r} is not 'layer:id' (e.g. 'lakes:my-lake').")
    rows = load(layer).set_index("id").geometry
    if fid not in rows.index:
        raise DataIntegrityError(f"Feature reference {ref!r}: layer {layer!r} has no feature with id {fid!r}.")
    return rows[fid]


#: Columns a claims layer needs beyond the common schema.
CLAIM_COLUMNS = ("feature", "subject_share")


def claims() -> gpd.GeoDataFrame:
    """Return the case's claims layer (empty when it has none), checked for ``feature`` and ``subject_share``.

    Each row is a claimed division of one feature: ``feature`` names it (``layer:id``)
    and ``subject_share`` is the share of it (0..1) the claim gives the subject.
    """
    if "claims" not in layers():
        return gpd.GeoDataFrame({c: [] for c in ("id", *CLAIM_COLUMNS)}, geometry=[], crs=4326)
    table = load("claims")
    missing = [c for c in CLAIM_COLUMNS if c not in table.columns]
    if missing:
        raise DataIntegrityError(
            f"The claims layer lacks column(s) {', '.join(missing)}: each claim names the feature it divides "
            "('feature', as layer:id, e.g. lakes:my-lake) and the subject's share of it ('subject_share', 0..1)."
        )
    return table


def area_model() -> AreaModel:
    """Return an :class:`~borderkit.model.AreaModel` built from the active case's layers.

    The subject's regions (the manifest's ``regions`` layer, rows whose ``country`` is the
    subject), the exclaves the counterpart holds (``enclaves`` rows claimed by the subject
    and held by the counterpart), and each claim's feature come from the case; only the
    sectors are required.
    """
    from borderkit.case import current
    from borderkit.model import AreaModel

    case = current()
    sectors = require(
        "sectors", needed_by="the occupation model (zones, timeline, reconcile)",
        add="a layer of sectors (land sources report taken) built from src/sectors.csv",
    )  # fmt: skip
    renderings = {name: baseline(name) for name in baselines()}
    empty = gpd.GeoDataFrame({"name": [], "country": []}, geometry=[], crs=4326)
    regions = load(case.regions_layer) if case.regions_layer else empty
    provinces = regions[regions["country"] == case.subject.code] if "country" in regions else empty
    enclaves = load("enclaves") if "enclaves" in layers() else empty.assign(claimant=[], holder=[])
    other = case.counterpart.code if case.counterpart else None
    held = enclaves[(enclaves["claimant"] == case.subject.code) & (enclaves["holder"] == other)]
    claim_lines = {
        f"claim:{row.id.removeprefix('claim-')}": (feature(row.feature), float(row.subject_share))
        for row in claims().itertuples()
    }
    return AreaModel(sectors, renderings, provinces, held, claim_lines, datum=case.datum)
