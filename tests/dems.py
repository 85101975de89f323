"""DEMs the tests make: planes, walls and fractal terrain, written as GeoTIFFs with rasterio."""

import numpy as np
import rasterio
from affine import Affine

UTM38 = "EPSG:32638"
ORIGIN = (500_000.0, 4_400_000.0)  # UTM 38N, near 39.7 N 45.0 E


def fractal(n: int, *, seed: int = 0, beta: float = 3.5, relief: float = 800.0) -> np.ndarray:
    """Spectral-synthesis fractal terrain (power spectrum ~ 1/f^beta), heights 500..500+relief m."""
    rng = np.random.default_rng(seed)
    kx = np.fft.fftfreq(n)[:, None]
    ky = np.fft.fftfreq(n)[None, :]
    k = np.hypot(kx, ky)
    k[0, 0] = 1.0
    spectrum = (rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))) / k ** (beta / 2)
    spectrum[0, 0] = 0.0
    z = np.real(np.fft.ifft2(spectrum))
    return 500.0 + (z - z.min()) / (z.max() - z.min()) * relief


def write_dem(
    path, z: np.ndarray, *, cell: float = 30.0, crs: str = UTM38, origin=ORIGIN, nodata=None, bands: int = 1
) -> str:
    """Write ``z`` as a GeoTIFF with the given cell size, CRS and top-left origin."""
    transform = Affine(cell, 0, origin[0], 0, -cell, origin[1])
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=z.shape[0],
        width=z.shape[1],
        count=bands,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        for b in range(1, bands + 1):
            dst.write(z.astype("float32"), b)
    return str(path)


def cell_lonlat(row: int, col: int, *, cell: float = 30.0, origin=ORIGIN) -> tuple[float, float]:
    """Lon/lat of a cell centre of a grid written by :func:`write_dem` in UTM 38N."""
    from pyproj import Transformer

    x = origin[0] + (col + 0.5) * cell
    y = origin[1] - (row + 0.5) * cell
    return Transformer.from_crs(UTM38, 4326, always_xy=True).transform(x, y)


def gdal_viewshed(
    path,
    x: float,
    y: float,
    out,
    *,
    observer_height: float = 2.0,
    target_height: float = 0.0,
    curvature_coefficient: float = 0.85714,
    max_distance: float | None = None,
    options: tuple[str, ...] = (),
) -> list[str]:
    """The gdal_viewshed command line that matches borderkit's defaults and encoding (1/0/255).

    With ``max_distance`` GDAL writes only the window within it (see :func:`gdal_window`).
    """
    return [
        "gdal_viewshed",
        *options,
        *(["-md", str(max_distance)] if max_distance else []),
        "-q",
        "-ox",
        str(x),
        "-oy",
        str(y),
        "-oz",
        str(observer_height),
        "-tz",
        str(target_height),
        "-cc",
        str(curvature_coefficient),
        "-vv",
        "1",
        "-iv",
        "0",
        "-ov",
        "255",
        str(path),
        str(out),
    ]


def gdal_window(path) -> tuple[np.ndarray, int, int]:
    """Band 1 of a raster GDAL wrote on a window of a :func:`write_dem` grid, and the window's first row and column."""
    with rasterio.open(path) as src:
        band, t = src.read(1), src.transform
    return band, round((ORIGIN[1] - t.f) / t.a), round((t.c - ORIGIN[0]) / t.a)
