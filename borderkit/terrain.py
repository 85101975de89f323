"""Terrain from any DEM the user brings: windowed reads, hillshade, slope, profiles, 3D area, viewsheds.

rasterio and numba are imported lazily; the computations are functions over a
:class:`DEM` (float32 elevations on a metric grid, with its transform and CRS). The
viewshed follows the single-scan method of Wang, Robinson & White (2000), "Generating
viewsheds without using sightlines", in its "edge" variant, in GDAL's order and
arithmetic (cell for cell the same as ``gdal_viewshed``, tested); hillshade and slope
are gdaldem's formulas (tested against ``gdaldem``). The inner loops are compiled with
numba (:mod:`borderkit._terrain_jit`): the first call on a machine compiles them (10-15 s),
later processes load them from numba's on-disk cache (under a second).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from borderkit.errors import InputError, UsageError

__all__ = [
    "DEM",
    "CURVATURE_COEFFICIENT",
    "read_dem",
    "to_lonlat_grid",
    "hillshade",
    "slope",
    "profile",
    "surface_area",
    "surface_ratio",
    "viewshed",
    "Viewshed",
    "line_visibility",
    "write_raster",
    "curvature_drop",
    "MAX_GEOGRAPHIC_LAT",
    "BYTES_PER_CELL",
    "PLAUSIBLE_ELEVATION_M",
]

#: GDAL's default curvature coefficient: 1 - the refraction coefficient 1/7.
CURVATURE_COEFFICIENT = 0.85714


@dataclass
class DEM:
    """Elevations (metres, NaN where no data) on a north-up metric grid."""

    z: np.ndarray
    transform: Any  # affine.Affine
    crs: CRS
    source_crs: CRS | None = None  # the file's CRS when it was reprojected to ``crs``
    notes: tuple[str, ...] = ()  # what was done to the file on reading (e.g. warped north-up)

    @property
    def cellsize(self) -> tuple[float, float]:
        """Cell width and height in metres."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in the grid's CRS."""
        rows, cols = self.z.shape
        x0, y0 = self.transform.c, self.transform.f
        return x0, y0 + rows * self.transform.e, x0 + cols * self.transform.a, y0

    def surface_ratios(self, geoms: Any) -> np.ndarray:
        """Return, per lon/lat polygon, the DEM's surface area over its planimetric area (1 for an empty one).

        What :func:`borderkit.measure.area` multiplies the geodesic area by for ``method="surface"``.
        """
        geoms = np.asarray(list(geoms), dtype=object)
        return np.array(
            [surface_ratio(self, g) if g is not None and not g.is_empty and g.area > 0 else 1.0 for g in geoms]
        )

    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        """Return the grid's bounds in lon/lat."""
        tr = Transformer.from_crs(self.crs, 4326, always_xy=True)
        w, s, e, n = self.bounds
        xs, ys = tr.transform([w, w, e, e], [s, n, s, n])
        return min(xs), min(ys), max(xs), max(ys)

    def rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional (row, col) of grid-CRS coordinates, cell centres at integers."""
        col = (np.asarray(x) - self.transform.c) / self.transform.a - 0.5
        row = (np.asarray(y) - self.transform.f) / self.transform.e - 0.5
        return row, col


# ---------------------------------------------------------------- reading (I/O, rasterio)
def _rasterio():
    try:
        import rasterio
        import rasterio.warp
        import rasterio.windows
    except ImportError as exc:  # pragma: no cover - rasterio is a runtime dependency
        raise UsageError("Terrain needs rasterio: pip install rasterio.") from exc
    return rasterio


def _fmt(b: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:.4f}" for v in b) + ")"


#: Geographic (lon/lat) DEMs are refused beyond this latitude: a degree of longitude shrinks
#: to nothing at the pole, so the local metric grid they are resampled to would need ever
#: finer cells (11x more than the DEM has at 85°, unbounded at 90°), and the top row is one point.
MAX_GEOGRAPHIC_LAT = 85.0
#: Elevations outside this range (metres) are no data: below the deepest ocean trench (-10,935 m)
#: and above Everest (8,849 m) with a margin. An untagged nodata value (ArcGIS writes
#: -3.4028235e38, others -32768 or -9999... the last is plausible and cannot be caught) would
#: otherwise be read as an elevation: a surface 6e37 times its area, a profile at -3.4e38 m.
PLAUSIBLE_ELEVATION_M = (-12_000.0, 9_000.0)
#: Peak memory per grid cell of the heaviest terrain job, the estimate made before any DEM
#: is read: the float32 elevations (4 bytes) plus a slope's float32 output and the copy
#: written out with its compressed bytes (9), with room for the no-data masks (measured with
#: tracemalloc: slope 13, viewshed 11, hillshade 6).
BYTES_PER_CELL = 16


def read_dem(
    path: str,
    *,
    band: int | None = None,
    bounds: Sequence[float] | None = None,
    pad_m: float = 0.0,
    max_cells: int | None = None,
    clip: bool = False,
    max_bytes: int | None = None,
) -> DEM:
    """Read a single-band DEM (any CRS), only the window around ``bounds`` (lon/lat), onto a metric grid.

    Raises :class:`InputError` for a file that is not a raster, a DEM that does not cover
    ``bounds`` (both bounds are printed; with ``clip``, only one that misses them
    entirely), a lon/lat DEM reaching beyond :data:`MAX_GEOGRAPHIC_LAT`, and
    :class:`UsageError` for a multi-band file without ``band`` or a window whose
    estimated memory exceeds the limit (``max_bytes``, see
    :func:`borderkit.validate.memory_limit`). With ``max_cells``, a larger window is read
    decimated, so memory stays bounded. A rotated or flipped DEM is warped north-up first
    (bilinear), and the returned DEM's ``notes`` say so.
    """
    rasterio = _rasterio()
    from rasterio.errors import RasterioIOError

    try:
        # GeoTIFF only: a VRT or WMS description named .tif would make GDAL read other
        # files or fetch from the network on the user's behalf
        src = rasterio.open(path, driver="GTiff")
    except RasterioIOError as exc:
        raise InputError(
            f"{path!r} is not a GeoTIFF GDAL can read ({str(exc).splitlines()[0]}). "
            "Give a DEM GeoTIFF (e.g. SRTM or Copernicus GLO-30); convert other formats with gdal_translate."
        ) from None
    with src:
        band = _check_band(src, band, path)
        if src.crs is None:
            raise InputError(f"{path!r} has no CRS; borderkit cannot place it. Assign one with gdal_edit.py -a_srs.")
        crs = CRS.from_user_input(src.crs.to_wkt())
        ds, notes = _north_up(src, path)
        with contextlib.ExitStack() as stack:
            if ds is not src:
                stack.enter_context(ds)
            window = _window(ds, crs, bounds, pad_m, clip, path)
            height, width = (window.height, window.width) if window is not None else (ds.height, ds.width)
            factor = max(1.0, math.sqrt(height * width / max_cells)) if max_cells else 1.0
            shape = (max(1, int(height / factor)), max(1, int(width / factor)))
            transform = _window_transform(ds.transform, window, (height, width), shape)
            metric = None if crs.is_projected else _metric_grid(crs, transform, shape, path)
            cells = max(shape[0] * shape[1], metric[2] * metric[3] if metric else 0)
            from borderkit.validate import check_memory

            check_memory(
                cells * BYTES_PER_CELL,
                f"Reading {path!r} ({shape[1]:,} x {shape[0]:,} cells"
                + (f", resampled to {metric[2]:,} x {metric[3]:,} metric cells" if metric else "")
                + ")",
                change="Clip the DEM to the area of interest (gdal_translate -projwin) or use a coarser one",
                max_bytes=max_bytes,
            )
            z = _read_band(ds, band, window, shape)
            dtype = ds.dtypes[band - 1]
    z, dropped = _implausible_to_nodata(z, path, dtype)
    notes += dropped
    if not np.isfinite(z).any():  # every figure from it would be NaN or a blank raster
        raise InputError(
            f"{path!r} has no data in the area read ({shape[1]:,} x {shape[0]:,} cells, every one no-data"
            + (" or outside any elevation on Earth" if dropped else "")
            + "). Check the DEM's nodata value (gdalinfo) or use a DEM with elevations there."
        )
    dem = DEM(z, transform, crs, notes=tuple(notes))
    return dem if metric is None else _to_metric(dem, metric)


def _read_band(ds: Any, band: int, window: Any, shape: tuple[int, int]) -> np.ndarray:
    """Read one band as float32 with NaN for no data, holding one array of the window's size.

    float32 keeps every DEM's elevations exactly (they are stored as integers or float32)
    at half the memory of float64; the computations upcast where they need to. No masked
    array: the nodata value, or the dataset's mask where it has one, is turned into NaN
    in place.
    """
    from rasterio.enums import MaskFlags

    z = ds.read(band, window=window, out_shape=shape, out_dtype="float32")
    flags = ds.mask_flag_enums[band - 1]
    nodata = ds.nodatavals[band - 1]
    if MaskFlags.nodata in flags and nodata is not None and not math.isnan(nodata):
        z[z == np.float32(nodata)] = np.nan
    elif MaskFlags.all_valid not in flags and MaskFlags.nodata not in flags:  # an internal mask or alpha band
        z[ds.read_masks(band, window=window, out_shape=shape) == 0] = np.nan
    return z


def _implausible_to_nodata(z: np.ndarray, path: str, dtype: str) -> tuple[np.ndarray, list[str]]:
    """Turn infinities and elevations outside :data:`PLAUSIBLE_ELEVATION_M` into NaN (in place), with a note.

    The note names each such value (the most frequent three) and how many cells hold it, and
    how to tag it as nodata so that GDAL and every other tool skip it too.
    """
    lo, hi = PLAUSIBLE_ELEVATION_M
    if lo <= np.nanmin(z, initial=np.inf) and np.nanmax(z, initial=-np.inf) <= hi:
        return z, []  # the common case, checked without any temporary array
    with np.errstate(invalid="ignore"):
        bad = np.isinf(z) | (z < lo) | (z > hi)
    values, counts = np.unique(z[bad], return_counts=True)
    top = np.argsort(-counts, kind="stable")[:3]

    def shown(v: float) -> str:
        return str(np.float32(v)) if dtype == "float32" and np.isfinite(v) else repr(float(v))

    listed = ", ".join(f"{counts[i]:,} cell{'' if counts[i] == 1 else 's'} of {shown(values[i])}" for i in top)
    if len(values) > 3:
        listed += f" and {int(counts.sum() - counts[top].sum()):,} more cells of {len(values) - 3} other values"
    tag = (
        f" Tag it with gdal_edit.py -a_nodata {shown(values[top[0]])} {path} if it is the DEM's nodata."
        if (np.isfinite(values[top[0]]))
        else ""
    )
    note = (
        f"{path!r}: {listed} lie outside any elevation on Earth ({lo:,.0f} to {hi:,.0f} m) or are not finite; "
        f"they were read as no data (an untagged nodata value?).{tag}"
    )
    z[bad] = np.nan
    return z, [note]


def _check_band(src: Any, band: int | None, path: str) -> int:
    if src.count > 1 and band is None:
        raise UsageError(f"{path!r} has {src.count} bands; say which is the elevation with --band N (1..{src.count}).")
    band = band or 1
    if not 1 <= band <= src.count:
        raise UsageError(f"--band {band} is out of range: {path!r} has {src.count} band(s).")
    return band


def _north_up(src: Any, path: str) -> tuple[Any, list[str]]:
    """Return the dataset to read (a north-up warped view of a rotated DEM) and a note.

    Every computation here takes rows to run south and columns east with square-ish
    cells; a rotated or sheared geotransform would put the observer in the wrong cell and
    give the wrong cell size, so such a DEM is warped north-up in its own CRS (GDAL picks
    the grid, at about the DEM's resolution).
    """
    t = src.transform
    if t.b == 0 and t.d == 0 and t.a > 0 and t.e < 0:
        return src, []
    if t.a * t.e - t.b * t.d == 0:
        raise InputError(f"{path!r} has a degenerate geotransform {tuple(t)[:6]}; fix it with gdal_edit.py -a_ullr.")
    from affine import Affine
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    # a north-up grid over the rotated footprint, with cells of the same area as the DEM's own
    res = math.sqrt(abs(t.a * t.e - t.b * t.d))
    corners = [t * c for c in ((0, 0), (src.width, 0), (0, src.height), (src.width, src.height))]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    width, height = math.ceil((max(xs) - min(xs)) / res), math.ceil((max(ys) - min(ys)) / res)
    vrt = WarpedVRT(
        src,
        crs=src.crs,
        transform=Affine(res, 0, min(xs), 0, -res, max(ys)),
        width=width,
        height=height,
        resampling=Resampling.bilinear,
        dtype="float32",
        nodata=np.nan,
        src_nodata=src.nodata,
    )
    angle = math.degrees(math.atan2(t.d, t.a))
    note = (
        f"{path!r} is not north-up (geotransform rotated {angle:.2f}° or flipped); it was warped north-up "
        f"(bilinear, cell {abs(vrt.transform.a):g} x {abs(vrt.transform.e):g}) before use."
    )
    return vrt, [note]


def _window(ds: Any, crs: CRS, bounds: Sequence[float] | None, pad_m: float, clip: bool, path: str):
    """Return the window of ``ds`` around lon/lat ``bounds`` (None: the whole DEM), or raise."""
    import rasterio.windows

    if bounds is None:
        return None
    to_src = Transformer.from_crs(4326, crs, always_xy=True)
    w, s, e, n = bounds
    xs, ys = to_src.transform([w, w, e, e], [s, n, s, n])
    pad = pad_m if crs.is_projected else pad_m / 111_000.0
    want = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
    have = ds.bounds
    if clip:
        want = (max(want[0], have.left), max(want[1], have.bottom), min(want[2], have.right), min(want[3], have.top))
    outside = want[0] < have.left or want[2] > have.right or want[1] < have.bottom or want[3] > have.top
    if outside or want[0] >= want[2] or want[1] >= want[3]:
        to_ll = Transformer.from_crs(crs, 4326, always_xy=True)
        hx, hy = to_ll.transform([have.left, have.right], [have.bottom, have.top])
        raise InputError(
            f"The DEM {path!r} does not cover the area of interest: DEM bounds (lon/lat) "
            f"{_fmt((hx[0], hy[0], hx[1], hy[1]))}, area {_fmt(bounds)}"
            + (f" plus {pad_m:g} m" if pad_m else "")
            + ". Use a DEM that covers it."
        )
    # whole cells covering the area: an area inside one cell (a coarse DEM) is that one cell, not a
    # window of width 0, which GDAL then cannot build a geotransform from
    win = rasterio.windows.from_bounds(*want, transform=ds.transform)
    col0 = max(0, math.floor(win.col_off + 1e-6))
    row0 = max(0, math.floor(win.row_off + 1e-6))
    col1 = min(ds.width, math.ceil(win.col_off + win.width - 1e-6))
    row1 = min(ds.height, math.ceil(win.row_off + win.height - 1e-6))
    return rasterio.windows.Window(col0, row0, max(1, col1 - col0), max(1, row1 - row0))


def _window_transform(t: Any, window: Any, size: tuple[int, int], shape: tuple[int, int]) -> Any:
    """Return the transform of ``window`` of a grid with transform ``t``, scaled when read decimated."""
    from affine import Affine

    col_off, row_off = (window.col_off, window.row_off) if window is not None else (0, 0)
    sx, sy = size[1] / shape[1], size[0] / shape[0]
    return Affine(
        t.a * sx, t.b, t.c + col_off * t.a + row_off * t.b, t.d, t.e * sy, t.f + col_off * t.d + row_off * t.e
    )


def _metric_grid(crs: CRS, transform: Any, shape: tuple[int, int], path: str) -> tuple:
    """Return (metric CRS, transform, width, height) of the local grid a lon/lat DEM is resampled to.

    Refuses DEMs reaching beyond :data:`MAX_GEOGRAPHIC_LAT`: near the pole the grid
    explodes (a 1.6 MB DEM once asked for 14.6 GB).
    """
    _rasterio()
    from rasterio.warp import calculate_default_transform

    rows, cols = shape
    w, n = transform.c, transform.f
    e, s = w + cols * transform.a, n + rows * transform.e
    if max(abs(s), abs(n)) > MAX_GEOGRAPHIC_LAT:
        raise InputError(
            f"{path!r} is a longitude/latitude DEM reaching latitude {max(abs(s), abs(n)):.3f}°; lon/lat DEMs are "
            f"supported up to {MAX_GEOGRAPHIC_LAT:g}° only, because the metric grid they are resampled to explodes "
            "near the pole. Reproject it to a polar projection first, e.g. gdalwarp -t_srs EPSG:3413 (Arctic) or "
            "EPSG:3031 (Antarctic) in.tif out.tif, and pass that."
        )
    lon, lat = (w + e) / 2, (s + n) / 2
    metric = CRS.from_proj4(f"+proj=aeqd +lat_0={lat:.6f} +lon_0={lon:.6f} +datum=WGS84 +units=m")
    res = abs(transform.a) * 111_320.0 * math.cos(math.radians(lat))
    dst, width, height = calculate_default_transform(
        crs.to_wkt(), metric.to_wkt(), cols, rows, w, s, e, n, resolution=res
    )
    return metric, dst, width, height


def _to_metric(dem: DEM, grid: tuple) -> DEM:
    """Reproject a geographic DEM to its local azimuthal equidistant grid (:func:`_metric_grid`)."""
    _rasterio()
    from rasterio.warp import Resampling, reproject

    metric, transform, width, height = grid
    out = np.full((height, width), np.nan, dtype="float32")
    reproject(
        dem.z,
        out,
        src_transform=dem.transform,
        src_crs=dem.crs.to_wkt(),
        dst_transform=transform,
        dst_crs=metric.to_wkt(),
        resampling=Resampling.bilinear,
        src_nodata=np.nan,
        dst_nodata=np.nan,
    )
    return DEM(out, transform, metric, source_crs=dem.crs, notes=dem.notes)


def to_lonlat_grid(array: np.ndarray, dem: DEM, *, nodata: float = np.nan) -> tuple[np.ndarray, tuple]:
    """Resample a raster on the DEM's grid to a lon/lat grid; return it and (west, south, east, north).

    For map overlays, which Leaflet places by lon/lat bounds.
    """
    _rasterio()
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    rows, cols = array.shape
    w, s, e, n = dem.bounds
    transform, width, height = calculate_default_transform(dem.crs.to_wkt(), "EPSG:4326", cols, rows, w, s, e, n)
    out = np.full((height, width), nodata, dtype="float64")
    reproject(
        array.astype("float64"),
        out,
        src_transform=dem.transform,
        src_crs=dem.crs.to_wkt(),
        dst_transform=transform,
        dst_crs="EPSG:4326",
        resampling=Resampling.nearest,
        src_nodata=nodata,
        dst_nodata=nodata,
    )
    west, north = transform.c, transform.f
    return out, (west, north + height * transform.e, west + width * transform.a, north)


def write_raster(
    path: str, array: np.ndarray, dem: DEM, *, nodata: float, dtype: str = "float32", tags: dict | None = None
) -> None:
    """Write one band on the DEM's grid as a GeoTIFF with CRS and nodata, atomically."""
    from borderkit.io import write_geotiff

    write_geotiff(path, array, transform=dem.transform, crs=dem.crs, nodata=nodata, dtype=dtype, tags=tags)


# ---------------------------------------------------------------- surface analysis (pure)
#: Rows per block of the hillshade and slope kernels: small enough that a block's float64
#: halo copy stays in cache, large enough that the per-block overhead vanishes.
BLOCK_ROWS = 256


def _jit():
    """Import the compiled kernels (numba) on first use, with an install hint."""
    try:
        from borderkit import _terrain_jit
    except ImportError as exc:  # pragma: no cover - numba is a runtime dependency
        raise UsageError("Terrain needs numba: pip install numba.") from exc
    return _terrain_jit


def _by_blocks(dem: DEM, kernel: Any, as_bytes: bool, *args: float) -> np.ndarray:
    """Run a 3x3 kernel over the DEM in blocks of rows with a 1-cell halo; no data on the border.

    The result (float32 with NaN, or uint8 with 0 for ``as_bytes``) is written block by
    block: no whole-array temporaries, so the peak is the DEM plus the output (5 to 8
    bytes per cell) whatever the DEM's size.
    """
    rows, cols = dem.z.shape
    out = np.zeros((rows, cols), dtype="uint8") if as_bytes else np.full((rows, cols), np.nan, dtype="float32")
    if rows < 3 or cols < 3:
        return out
    cw, ch = dem.cellsize
    for r0 in range(1, rows - 1, BLOCK_ROWS):
        r1 = min(r0 + BLOCK_ROWS, rows - 1)
        kernel(dem.z[r0 - 1 : r1 + 1], out[r0:r1, 1:-1], cw, ch, as_bytes, *args)
    return out


def slope(dem: DEM) -> np.ndarray:
    """Return the slope in degrees (Horn 1981), float32, NaN on the border and next to no data.

    The same values as ``gdaldem slope`` (tested against it).
    """
    return _by_blocks(dem, _jit().slope_rows, False)


def hillshade(dem: DEM, *, azimuth: float = 315.0, altitude: float = 45.0, as_bytes: bool = False) -> np.ndarray:
    """Return the hillshade as ``gdaldem hillshade`` computes it: 1..255, no data on the border and next to no data.

    Light comes from ``azimuth`` degrees clockwise from north, ``altitude`` degrees above
    the horizon; 1 is full shadow. float32 with NaN for no data, or with ``as_bytes``
    gdaldem's own bytes (rounded, 0 for no data) at a quarter of the memory.
    """
    return _by_blocks(dem, _jit().hillshade_rows, as_bytes, float(azimuth), float(altitude))


def _bilinear(dem: DEM, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    row, col = dem.rowcol(x, y)
    r0, c0 = np.floor(row).astype(int), np.floor(col).astype(int)
    rows, cols = dem.z.shape
    ok = (r0 >= 0) & (c0 >= 0) & (r0 + 1 < rows) & (c0 + 1 < cols)
    out = np.full(row.shape, np.nan)
    r0, c0, fr, fc = r0[ok], c0[ok], (row - np.floor(row))[ok], (col - np.floor(col))[ok]
    z = dem.z
    out[ok] = (
        z[r0, c0] * (1 - fr) * (1 - fc)
        + z[r0, c0 + 1] * (1 - fr) * fc
        + z[r0 + 1, c0] * fr * (1 - fc)
        + z[r0 + 1, c0 + 1] * fr * fc
    )
    return out


#: Memory per profile sample (its point object, coordinates, and the table row).
BYTES_PER_SAMPLE = 256


def profile(
    dem: DEM, line: shapely.Geometry, *, spacing_m: float = 100.0, max_bytes: int | None = None
) -> pd.DataFrame:
    """Sample elevations every ``spacing_m`` along a lon/lat line: distance, elevation, lon, lat.

    The number of samples is checked against the memory limit before any is made (a
    1 mm spacing along a 100 km road would be 10⁸ samples).
    """
    if not (math.isfinite(spacing_m) and spacing_m > 0):
        raise UsageError(f"spacing must be a finite number of metres > 0, got {spacing_m}.")
    fwd = Transformer.from_crs(4326, dem.crs, always_xy=True)
    back = Transformer.from_crs(dem.crs, 4326, always_xy=True)
    parts = [p for p in shapely.get_parts(shapely.line_merge(line)) if p.geom_type == "LineString"]
    if not parts:
        raise UsageError("A profile needs a line; the input has none.")
    local = shapely.transform(
        max(parts, key=lambda p: p.length), lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1]))
    )
    from borderkit.validate import check_memory

    count = local.length / spacing_m + 2
    check_memory(
        count * BYTES_PER_SAMPLE,
        f"A profile every {spacing_m:g} m along {local.length:,.0f} m ({count:,.0f} samples)",
        change="Use a larger --spacing",
        max_bytes=max_bytes,
    )
    dist = np.append(np.arange(0.0, local.length, spacing_m), local.length)
    pts = shapely.get_coordinates(shapely.line_interpolate_point(local, dist))
    lon, lat = back.transform(pts[:, 0], pts[:, 1])
    elevation = _bilinear(dem, pts[:, 0], pts[:, 1])
    if not np.isfinite(elevation).any():
        rows, cols = dem.z.shape
        raise InputError(
            f"The DEM gives no elevation anywhere along the line ({len(dist):,} samples): a profile interpolates "
            f"between the centres of DEM cells, and the part of the DEM read here is {cols:,} x {rows:,} cells of "
            f"{dem.cellsize[0]:,.0f} x {dem.cellsize[1]:,.0f} m (metric grid), with no two cell centres or no data "
            "either side of the line. Use a DEM with elevations along the line and cells much smaller than it."
        )
    return pd.DataFrame({"distance_m": dist, "elevation_m": elevation, "lon": lon, "lat": lat})


def _cell_surface_ratio(dem: DEM) -> np.ndarray:
    """Surface / planimetric area of each cell-centre quad, from its two triangles (Jenness-like).

    Shape (rows - 1, cols - 1): quad (i, j) has corners at cell centres (i, j) .. (i+1, j+1).
    """
    dx, dy = dem.cellsize
    z = dem.z
    z00, z01, z10, z11 = z[:-1, :-1], z[:-1, 1:], z[1:, :-1], z[1:, 1:]

    def tri(za, zb, zc):
        # triangle (0,0,za) (dx,0,zb) (0,dy,zc) and its mirror: |u x v| / 2 with u=(dx,0,zb-za), v=(0,dy,zc-za)
        cx, cy, cz = -(zb - za) * dy, -(zc - za) * dx, dx * dy
        return 0.5 * np.sqrt(cx * cx + cy * cy + cz * cz)

    surface = tri(z00, z01, z10) + tri(z11, z10, z01)
    return surface / (dx * dy)


def surface_ratio(dem: DEM, polygon: shapely.Geometry) -> float:
    """Return the mean surface/planimetric ratio of the quads whose centre lies in a lon/lat polygon."""
    ratio = _cell_surface_ratio(dem)
    rows, cols = ratio.shape
    x0, y0 = dem.transform.c, dem.transform.f
    dx, dy = dem.transform.a, dem.transform.e
    # quad centres sit on cell corners between cell centres
    xs = x0 + dx * (np.arange(cols) + 1.0)
    ys = y0 + dy * (np.arange(rows) + 1.0)
    fwd = Transformer.from_crs(4326, dem.crs, always_xy=True)
    local = shapely.transform(polygon, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
    gx, gy = np.meshgrid(xs, ys)
    inside = shapely.contains_xy(local, gx, gy) & np.isfinite(ratio)
    if not inside.any():
        raise InputError("The polygon covers no complete DEM cell; use a finer DEM or a larger polygon.")
    return float(ratio[inside].mean())


def surface_area(geoms: Iterable[shapely.Geometry], dem: Any) -> np.ndarray:
    """Return the 3D surface area (m²) of each lon/lat polygon: geodesic area x the DEM's surface ratio.

    ``dem`` is a path or a :class:`DEM`. The ratio depends on the DEM's resolution (a
    coarser DEM smooths the terrain and gives a smaller ratio): report it with the area.
    """
    from borderkit.measure import area

    geoms = np.asarray(list(geoms), dtype=object)
    if not isinstance(dem, DEM):
        bounds = shapely.total_bounds(geoms)
        dem = read_dem(str(dem), bounds=tuple(bounds), pad_m=200.0)
    return area(geoms, unit="m2") * dem.surface_ratios(geoms)


# ---------------------------------------------------------------- viewshed (pure)
def curvature_drop(
    distance_m: np.ndarray | float, *, coefficient: float = CURVATURE_COEFFICIENT, radius_m: float = 6_378_137.0
) -> np.ndarray | float:
    """Return how far the ground falls below the observer's horizontal plane at a distance.

    ``coefficient`` is GDAL's curvature coefficient, 1 - k with k the refraction
    coefficient (1/7 by default), so the drop is d² (1 - k) / (2R).
    """
    return coefficient * np.asarray(distance_m) ** 2 / (2.0 * radius_m)


@dataclass
class Viewshed:
    """Cumulative viewshed: how many observers see each cell, and which cells are in range of any."""

    count: np.ndarray  # int, observers that see the cell
    in_range: np.ndarray  # bool, within max distance of at least one observer
    dem: DEM
    observers: list[tuple[float, float]]

    @property
    def visible(self) -> np.ndarray:
        """1 visible, 0 not visible, 255 out of range (the GeoTIFF encoding)."""
        out = np.empty(self.count.shape, dtype="uint8")
        _jit().encode_visible(self.count, self.in_range, out)
        return out


def _count_dtype(observers: int) -> str:
    """Return the smallest unsigned integer that counts every observer: 1 byte per cell up to 255."""
    return next(t for t in ("uint8", "uint16", "uint32") if observers <= np.iinfo(t).max)


def _observer_cell(dem: DEM, lon: float, lat: float, fwd: Transformer) -> tuple[int, int]:
    """Return the DEM cell that holds a lon/lat observer; raise an :class:`InputError` off the DEM or on no data."""
    rows, cols = dem.z.shape
    x, y = fwd.transform(lon, lat)
    row, col = dem.rowcol(x, y)
    r, c = int(round(float(row))), int(round(float(col)))
    if not (0 <= r < rows and 0 <= c < cols) or not np.isfinite(dem.z[r, c]):
        raise InputError(
            f"Observer at ({lon:.5f}, {lat:.5f}) is outside the DEM (DEM bounds lon/lat "
            f"{_fmt(dem.lonlat_bounds())}) or on a no-data cell. Move it onto the DEM."
        )
    return r, c


def _window_around(r: int, c: int, shape: tuple[int, int], cell: tuple[float, float], reach: float) -> tuple:
    """Return (row0, row1, col0, col1): the cells within ``reach`` metres of cell (r, c), as GDAL bounds them."""
    rows, cols = shape
    if not math.isfinite(reach):
        return 0, rows, 0, cols
    dc, dr = reach / cell[0], reach / cell[1]
    return (
        max(0, math.floor(r - dr)),
        min(rows, math.ceil(r + dr) + 1),
        max(0, math.floor(c - dc)),
        min(cols, math.ceil(c + dc) + 1),
    )


def viewshed(
    dem: DEM,
    observers: Sequence[tuple[float, float]],
    *,
    observer_height: float = 2.0,
    target_height: float = 0.0,
    max_distance: float | None = None,
    curvature_coefficient: float = CURVATURE_COEFFICIENT,
) -> Viewshed:
    """Compute a (cumulative) viewshed from observers given as (lon, lat).

    Heights are metres above the DEM surface; ``max_distance`` in metres (None: the whole
    DEM); the curvature/refraction correction lowers each cell by
    :func:`curvature_drop` of its distance, as GDAL does. Each observer's scan covers only
    the window within ``max_distance`` of it and reuses the same line buffers, so 100
    observers at 5 km cost 100 small scans, not 100 passes over the DEM. Memory: the
    counts (1 byte per cell up to 255 observers) and the in-range mask (1 byte).
    """
    if observer_height < 0 or target_height < 0:
        raise UsageError("Observer and target heights are metres above the ground and must be >= 0.")
    kernels = _jit()
    rows, cols = dem.z.shape
    fwd = Transformer.from_crs(4326, dem.crs, always_xy=True)
    ellipsoid = CRS.from_user_input(dem.crs).ellipsoid
    radius = ellipsoid.semi_major_metre if ellipsoid else 6_378_137.0
    cells = [_observer_cell(dem, lon, lat, fwd) for lon, lat in observers]
    count = np.zeros((rows, cols), dtype=_count_dtype(len(observers)))
    in_range = np.zeros((rows, cols), dtype=bool)
    lines = np.empty((3, cols))  # first, last and this line of the scan, shared by every observer
    reach = math.inf if max_distance is None else float(max_distance)
    adj = curvature_coefficient / (2.0 * radius)
    for r, c in cells:
        window = _window_around(r, c, (rows, cols), dem.cellsize, reach)
        zo = float(dem.z[r, c]) + observer_height
        kernels.viewshed_add(
            dem.z,
            r,
            c,
            window,
            zo,
            float(target_height),
            *dem.cellsize,
            adj,
            reach * reach,
            count,
            in_range,
            *lines,
        )
    return Viewshed(count, in_range, dem, list(observers))


def line_visibility(result: Viewshed, line: shapely.Geometry, *, spacing_m: float = 30.0) -> tuple[float, pd.DataFrame]:
    """Return the share of a lon/lat line that is visible, and its visible stretches (lengths in m)."""
    dem = result.dem
    fwd = Transformer.from_crs(4326, dem.crs, always_xy=True)
    back = Transformer.from_crs(dem.crs, 4326, always_xy=True)
    local = shapely.transform(shapely.line_merge(line), lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
    dist = np.append(np.arange(0.0, local.length, spacing_m), local.length)
    pts = shapely.get_coordinates(shapely.line_interpolate_point(local, dist))
    row, col = dem.rowcol(pts[:, 0], pts[:, 1])
    r, c = np.round(row).astype(int), np.round(col).astype(int)
    ok = (r >= 0) & (c >= 0) & (r < dem.z.shape[0]) & (c < dem.z.shape[1])
    seen = np.zeros(len(dist), dtype=bool)
    seen[ok] = result.count[r[ok], c[ok]] > 0
    # each sample stands for the half-steps either side of it
    weights = np.gradient(dist) if len(dist) > 1 else np.array([0.0])
    share = float(weights[seen].sum() / weights.sum()) if weights.sum() else 0.0
    edges = np.flatnonzero(np.diff(np.r_[0, seen.astype(int), 0]))
    stretches = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        lon0, lat0 = back.transform(*pts[a])
        lon1, lat1 = back.transform(*pts[b - 1])
        stretches.append(
            {
                "from_m": dist[a],
                "to_m": dist[b - 1],
                "length_m": float(weights[a:b].sum()),
                "from_lon": lon0,
                "from_lat": lat0,
                "to_lon": lon1,
                "to_lat": lat1,
            }
        )
    return share, pd.DataFrame(
        stretches, columns=["from_m", "to_m", "length_m", "from_lon", "from_lat", "to_lon", "to_lat"]
    )
