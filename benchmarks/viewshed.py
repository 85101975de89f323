"""Viewshed benchmark: borderkit.terrain.viewshed against GDAL's gdal_viewshed, same DEM and observer.

Both read the DEM from the same GeoTIFF and write a result GeoTIFF; the timings cover the
whole command for GDAL and read + compute + write for borderkit.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from borderkit.terrain import read_dem, viewshed, write_raster  # noqa: E402
from tests.dems import cell_lonlat, fractal, gdal_viewshed, write_dem  # noqa: E402


def run(n: int, repeat: int) -> tuple[float, float, float]:
    """Return (borderkit s, gdal s, agreement) for an n x n fractal DEM, observer in the middle."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_dem(Path(tmp) / "dem.tif", fractal(n, seed=7))
        r = c = n // 2
        x, y = 500_000 + (c + 0.25) * 30, 4_400_000 - (r + 0.25) * 30
        gdal_out, ours_out = Path(tmp) / "gdal.tif", Path(tmp) / "ours.tif"
        cmd = gdal_viewshed(path, x, y, gdal_out)
        t_gdal, t_ours = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            t_gdal.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            dem = read_dem(path)
            result = viewshed(dem, [cell_lonlat(r, c)])
            write_raster(str(ours_out), result.visible, dem, nodata=255, dtype="uint8")
            t_ours.append(time.perf_counter() - t0)
        import rasterio

        with rasterio.open(gdal_out) as a, rasterio.open(ours_out) as b:
            agree = float(np.mean(a.read(1) == b.read(1)))
    return min(t_ours), min(t_gdal), agree


def main(argv: list[str] | None = None) -> int:
    """Print the time ratio at 1M and 16M cells."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000], help="DEM side lengths in cells")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if shutil.which("gdal_viewshed") is None:
        print("gdal_viewshed not found: install Debian's gdal-bin", file=sys.stderr)
        return 1
    for n in args.sizes:
        ours, gdal, agree = run(n, args.repeat)
        print(
            f"viewshed {n}x{n} ({n * n / 1e6:.0f}M cells): borderkit {ours:.2f} s | gdal_viewshed {gdal:.2f} s | "
            f"ratio {ours / gdal:.2f}x | cells agreeing {100 * agree:.3f}%"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
