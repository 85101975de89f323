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
    path, x: float, y: float, out, *, observer_height: float = 2.0, curvature_coefficient: float = 0.85714
) -> list[str]:
    """The gdal_viewshed command line that matches borderkit's defaults and encoding (1/0/255)."""
    return [
        "gdal_viewshed",
        "-q",
        "-ox",
        str(x),
        "-oy",
        str(y),
        "-oz",
        str(observer_height),
        "-tz",
        "0",
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
