"""Read and write geodata files: the only module that touches the file system for layers."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = [
    "atomic_path",
    "atomic_write",
    "sha256_file",
    "read_geojson",
    "to_feature_collection",
    "write_geojson",
    "parse_features",
    "features_to_frame",
    "read_user_geodata",
    "write_geotiff",
]


def _final_mode(path: Path) -> int:
    """Mode for a file we are about to (re)place: the old file's, else 0o666 less the umask."""
    if path.exists():
        return path.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[str]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    A crash or an exception leaves any existing ``path`` untouched and no partial file; the
    new file gets ordinary permissions (mkstemp's are owner-only).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent or ".")
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, _final_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary file beside ``path`` and move it into place only on success."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fobj:
        yield fobj


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fobj:
        for block in iter(lambda: fobj.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    """Turn numpy/pandas scalars into JSON values; NaN and NA become null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def to_feature_collection(gdf: gpd.GeoDataFrame) -> dict:
    """Return a GeoJSON FeatureCollection dict (EPSG:4326) with JSON-safe properties."""
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    geom_col = gdf.geometry.name
    props = gdf.drop(columns=[geom_col])
    geometries = gdf.geometry.to_numpy()
    features = []
    for (_, row), geom in zip(props.iterrows(), geometries, strict=True):
        features.append(
            {
                "type": "Feature",
                "properties": {str(k): _jsonable(v) for k, v in row.items()},
                "geometry": None if geom is None or geom.is_empty else geom.__geo_interface__,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write_geojson(gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, indent: int | None = None) -> None:
    """Write a GeoDataFrame as a deterministic GeoJSON FeatureCollection, atomically."""
    text = json.dumps(to_feature_collection(gdf), ensure_ascii=False, indent=indent)
    with atomic_write(path, "w", encoding="utf-8") as fobj:
        fobj.write(text)
        fobj.write("\n")


def read_geojson(path: str | os.PathLike) -> gpd.GeoDataFrame:
    """Read a GeoJSON FeatureCollection into a GeoDataFrame in EPSG:4326.

    Properties keep their JSON types (dates stay ISO strings), unlike GDAL's GeoJSON
    driver, which turns date-like strings into datetimes.
    """
    with open(path, encoding="utf-8") as fobj:
        data = json.load(fobj)
    features = data["features"] if data.get("type") == "FeatureCollection" else [data]
    columns = list(dict.fromkeys(k for f in features for k in (f.get("properties") or {})))
    gdf = gpd.GeoDataFrame.from_features(features, crs=4326, columns=[*columns, "geometry"])
    return gdf


def parse_features(text: str) -> list[dict]:
    """Return the features in GeoJSON text, whatever form it comes in.

    Accepted: a FeatureCollection, a Feature, a bare geometry, or a sequence of them,
    one per line (LF) or each after an RS (0x1E) character.

    This is the one parser for GeoJSON text input; every command uses it.
    """
    from borderkit.errors import InputError

    text = text.strip()
    if not text:
        return []
    chunks = text.split("\x1e") if "\x1e" in text else None
    try:
        docs = [json.loads(text)] if chunks is None else [json.loads(c) for c in chunks if c.strip()]
    except json.JSONDecodeError:
        try:  # newline-delimited sequence
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise InputError(
                f"The input is not GeoJSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. "
                "Give a FeatureCollection, or one Feature per line (or after an RS character)."
            ) from None
    features: list[dict] = []
    for doc in docs:
        kind = doc.get("type") if isinstance(doc, dict) else None
        if kind == "FeatureCollection":
            features.extend(doc.get("features") or [])
        elif kind == "Feature":
            features.append(doc)
        elif kind in (
            "Polygon",
            "MultiPolygon",
            "Point",
            "MultiPoint",
            "LineString",
            "MultiLineString",
            "GeometryCollection",
        ):
            features.append({"type": "Feature", "properties": {}, "geometry": doc})
        else:
            raise InputError(
                f"The input has a JSON value of type {kind!r}, which is not GeoJSON. "
                "Allowed: FeatureCollection, Feature or a geometry."
            )
    return features


def features_to_frame(features: list[dict]) -> gpd.GeoDataFrame:
    """Build a GeoDataFrame (no CRS set; GeoJSON means lon/lat) from parsed features."""
    columns = list(dict.fromkeys(k for f in features for k in (f.get("properties") or {})))
    return gpd.GeoDataFrame.from_features(features, columns=[*columns, "geometry"])


def read_user_geodata(source: str, *, layer: str | None = None, stdin_text: str | None = None) -> gpd.GeoDataFrame:
    """Read a user's file (GeoJSON, GeoPackage, Shapefile, GeoParquet, FlatGeobuf) or ``-``.

    Raises :class:`~borderkit.errors.InputError` with the reason when the file is
    missing, unreadable, not geodata, or a multi-layer file given without ``layer``.
    """
    import pyogrio

    from borderkit.errors import InputError

    if source == "-":
        return features_to_frame(parse_features(stdin_text or ""))
    path = Path(source)
    if not path.exists():
        raise InputError(
            f"No such file: {source!r}. Give a path to a GeoJSON, GeoPackage, "
            "Shapefile or GeoParquet file, a layer name, or - for stdin."
        )
    if path.is_dir() and not list(path.glob("*.shp")):
        raise InputError(f"{source!r} is a folder, not a geodata file. Give a file path.")
    if not os.access(path, os.R_OK):
        raise InputError(f"{source!r} cannot be read (permission denied). Check its permissions.")
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        try:
            return gpd.read_parquet(path)
        except Exception as exc:
            raise InputError(f"{source!r} is not GeoParquet that geopandas can read: {exc}.") from None
    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:
        raise InputError(
            f"{source!r} is not a geodata file GDAL can open ({str(exc).splitlines()[0]}). "
            "Allowed: GeoJSON, GeoPackage, Shapefile, GeoParquet, FlatGeobuf."
        ) from None
    if layer is None and len(names) > 1:
        raise InputError(f"{source!r} has {len(names)} layers: {', '.join(names)}. Pick one with --layer.")
    if layer is not None and layer not in names:
        raise InputError(f"{source!r} has no layer {layer!r}. Its layers: {', '.join(names)}.")
    try:
        return gpd.read_file(path, layer=layer)
    except Exception as exc:
        raise InputError(f"{source!r} could not be read: {str(exc).splitlines()[0]}.") from None


def write_geotiff(
    path: str | os.PathLike,
    array: np.ndarray,
    *,
    transform: Any,
    crs: Any,
    nodata: float,
    dtype: str = "float32",
    tags: dict | None = None,
) -> None:
    """Write one band as a deflate-compressed GeoTIFF with its CRS and nodata, atomically.

    ``transform`` is an affine.Affine; ``crs`` anything with ``to_wkt()``. rasterio is
    imported here, not at module import.
    """
    try:
        import rasterio
    except ImportError as exc:  # pragma: no cover - rasterio is a runtime dependency
        from borderkit.errors import UsageError

        raise UsageError("Writing rasters needs rasterio: pip install rasterio.") from exc
    profile = {
        "driver": "GTiff",
        "height": array.shape[0],
        "width": array.shape[1],
        "count": 1,
        "dtype": dtype,
        "crs": crs.to_wkt(),
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
    }
    with atomic_path(path, suffix=".tif") as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(array.astype(dtype), 1)
        if tags:
            dst.update_tags(**tags)
