"""Check user geodata before it is measured or drawn, and say exactly what is wrong.

Each check takes a GeoDataFrame and returns a (possibly reprojected or repaired)
GeoDataFrame plus notes for the user, or raises a :class:`~borderkit.errors.InputError`
whose message says what was received, what is allowed and what to do.
"""

from __future__ import annotations

from collections import Counter

import geopandas as gpd
import numpy as np
import shapely

from borderkit.errors import CRSError, EmptyInputError, GeometryError
from borderkit.measure import area

__all__ = [
    "STUDY_AREA",
    "check_not_empty",
    "check_crs",
    "check_axis_order",
    "check_areal",
    "check_valid",
    "feature_label",
    "validate_polygons",
]

#: Lon/lat box of the bundled case (Armenia, Azerbaijan and their neighbours' edges).
STUDY_AREA = (43.0, 38.3, 51.0, 42.0)


def feature_label(gdf: gpd.GeoDataFrame, i: int) -> str:
    """Name the i-th feature for a message: its id and/or name, and its position."""
    row = gdf.iloc[i]
    parts = [f"#{i + 1}"]
    for col in ("id", "name"):
        if col in gdf.columns and row[col] is not None and str(row[col]) not in ("", "nan"):
            parts.append(f"{col}={row[col]!r}")
    return " ".join(parts)


def check_not_empty(gdf: gpd.GeoDataFrame, what: str) -> None:
    """Raise :class:`EmptyInputError` when there is no feature with a geometry."""
    if len(gdf) == 0 or gdf.geometry.isna().all() or gdf.geometry.is_empty.all():
        raise EmptyInputError(
            f"{what} holds no features with geometry ({len(gdf)} rows). Check that you passed the right file or layer."
        )


def check_crs(gdf: gpd.GeoDataFrame, what: str, *, crs: str | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Return the data in EPSG:4326, reprojecting or assuming lon/lat only when safe.

    ``crs`` (from ``--crs``) overrides what the file says.
    """
    notes = []
    if crs is not None:
        try:
            gdf = gdf.set_crs(crs, allow_override=True)
        except Exception as exc:  # pyproj's CRSError text is technical; keep it but guide
            raise CRSError(
                f"--crs {crs!r} is not a CRS pyproj understands ({exc}). "
                "Use an EPSG code such as EPSG:4326 or EPSG:32638."
            ) from exc
    if gdf.crs is None:
        xmin, ymin, xmax, ymax = gdf.total_bounds
        if xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90:
            notes.append(f"{what} has no CRS; its coordinates all fit lon/lat, so EPSG:4326 was assumed.")
            return gdf.set_crs(4326), notes
        if xmin >= -90 and xmax <= 90 and ymin >= -180 and ymax <= 180:
            _raise_swapped(what, (xmin, ymin, xmax, ymax), "a latitude is beyond ±90°", certain=True)
        raise CRSError(
            f"{what} has no CRS and its coordinates (x {xmin:.6g} to {xmax:.6g}, y {ymin:.6g} to "
            f"{ymax:.6g}) are not lon/lat degrees, so borderkit cannot tell where it is. "
            "Give its CRS with --crs (e.g. --crs EPSG:32638 for UTM zone 38N)."
        )
    if not gdf.crs.equals("EPSG:4326"):
        notes.append(f"{what} is in {gdf.crs.to_string()}; reprojected to EPSG:4326 (lon/lat).")
        gdf = gdf.to_crs(4326)
    return gdf, notes


def check_axis_order(
    gdf: gpd.GeoDataFrame, what: str, *, swap: bool = False, check: bool = True
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Detect latitude/longitude given in the wrong order; swap it back when ``swap``.

    Certain when a "latitude" is beyond ±90°; likely when the data lies outside the
    study area and its mirror image lies inside it.
    """
    if swap:
        swapped = gdf.copy()
        swapped.geometry = shapely.transform(gdf.geometry.to_numpy(), lambda c: c[:, ::-1])
        return swapped, [f"{what}: x and y swapped as asked (--swap-xy)."]
    if not check:
        return gdf, []
    xmin, ymin, xmax, ymax = gdf.total_bounds
    w, s, e, n = STUDY_AREA
    certain = (abs(ymin) > 90 or abs(ymax) > 90) and abs(xmin) <= 90 and abs(xmax) <= 90
    mirrored = (w <= ymin and ymax <= e and s <= xmin and xmax <= n) and not (
        xmax >= w and xmin <= e and ymax >= s and ymin <= n
    )
    if certain:
        _raise_swapped(what, (xmin, ymin, xmax, ymax), "a latitude is beyond ±90°", certain=True)
    if mirrored:
        why = f"it lies outside the study area {STUDY_AREA} (lon/lat) but would lie inside it swapped"
        _raise_swapped(what, (xmin, ymin, xmax, ymax), why, certain=False)
    return gdf, []


def _raise_swapped(what: str, bounds: tuple, why: str, *, certain: bool) -> None:
    xmin, ymin, xmax, ymax = bounds
    raise CRSError(
        f"{what} looks like it has latitude and longitude swapped: x runs {xmin:.4f} to {xmax:.4f} "
        f"and y {ymin:.4f} to {ymax:.4f}, and {why}. GeoJSON and EPSG:4326 here mean "
        "(longitude, latitude). Re-run with --swap-xy to swap them"
        + ("." if certain else ", or with --no-axis-check if the data really lies there.")
    )


def check_areal(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """Keep polygonal features; raise when there are none, naming the types found."""
    types = gdf.geom_type.fillna("missing")
    areal = types.isin(["Polygon", "MultiPolygon"]) | (
        (types == "GeometryCollection")
        & np.array([any(p.geom_type.endswith("Polygon") for p in getattr(g, "geoms", [])) for g in gdf.geometry])
    )
    if not areal.any():
        found = ", ".join(f"{n} {t}" for t, n in sorted(Counter(types).items()))
        raise GeometryError(
            f"{what} has no areal geometries to measure: found {found}. Area needs Polygon or "
            "MultiPolygon features; for lines use a length, or buffer points/lines first."
        )
    return gdf[areal]


def check_valid(gdf: gpd.GeoDataFrame, what: str, *, fix: bool = False) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Raise on invalid geometries naming each one; with ``fix``, repair and report the area change."""
    valid = gdf.is_valid.to_numpy()
    if valid.all():
        return gdf, []
    bad = np.flatnonzero(~valid)
    reasons = shapely.is_valid_reason(gdf.geometry.to_numpy()[bad])
    listed = "; ".join(f"{feature_label(gdf, i)}: {r}" for i, r in zip(bad[:5], reasons, strict=False))
    more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
    if not fix:
        raise GeometryError(
            f"{what} has {len(bad)} invalid geometr{'y' if len(bad) == 1 else 'ies'}: {listed}{more}. "
            "Fix them in your GIS, or re-run with --fix to repair them with shapely.make_valid "
            "(the change in area is reported)."
        )
    before = area(gdf.iloc[bad])
    fixed = gdf.copy()
    geoms = fixed.geometry.to_numpy().copy()
    geoms[bad] = shapely.make_valid(geoms[bad])
    fixed.geometry = geoms
    after = area(fixed.iloc[bad])
    notes = [
        f"{what}: repaired {feature_label(gdf, i)} with make_valid: {b:.6f} -> {a:.6f} km² "
        f"(change {a - b:+.6f} km², geodesic)"
        for i, b, a in zip(bad, before, after, strict=True)
    ]
    return fixed, notes


def validate_polygons(
    gdf: gpd.GeoDataFrame,
    what: str,
    *,
    crs: str | None = None,
    fix: bool = False,
    swap_xy: bool = False,
    axis_check: bool = True,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Run every check for measuring areas, in order; return the data and the notes."""
    check_not_empty(gdf, what)
    notes: list[str] = []
    if swap_xy:  # swap first: a swapped file may not even pass as lon/lat otherwise
        gdf, notes = check_axis_order(gdf, what, swap=True)
    gdf, more = check_crs(gdf, what, crs=crs)
    notes += more
    if not swap_xy:
        gdf, more = check_axis_order(gdf, what, check=axis_check)
        notes += more
    gdf = check_areal(gdf, what)
    gdf, more = check_valid(gdf, what, fix=fix)
    return gdf, notes + more
