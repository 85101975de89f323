"""Compiled (numba) inner loops of :mod:`borderkit.terrain`: the viewshed scan and the 3x3 surface kernels.

Why numba: the viewshed is a scan in which every cell depends on cells one step nearer
the observer, so numpy can vectorise at best one row or column per Python step (a
16M-cell DEM took ~8,000 steps and whole-array float64 temporaries). Compiled, the scan
is one pass in GDAL's order with two line buffers. The hillshade and slope kernels read
each 3x3 window once and write straight into the output, with no temporary arrays.

Every function is compiled on its first call and cached on disk (``cache=True``): the
first call on a machine costs a few seconds of compilation, later processes load the
compiled code in well under a second.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["viewshed_add", "encode_visible", "hillshade_rows", "slope_rows"]


@njit(cache=True)
def _line(k: int, za: float, zo: float) -> float:
    """Return the height of the sight line at k steps along an axis or diagonal, through za at k - 1 steps."""
    if k == 1:
        return za
    return (za - zo) / (k - 1) + za


@njit(cache=True)
def _edge(i: int, j: int, za: float, zb: float, zo: float) -> float:
    """Return the height of the sight line at (i, j) steps (i <= j) through the edge between za and zb."""
    if i == j:
        return _line(i, za, zo)
    return ((za - zo) * i + (zb - zo) * (j - i)) / (j - 1) + zo


@njit(cache=True)
def _ground(z, row: int, col: int, dx: int, dy: int, cw: float, ch: float, adj: float, max_d2: float):
    """Return the curvature-lowered ground of a cell and whether it is within range (GDAL's AdjustHeightInRange)."""
    x = cw * dx
    y = ch * dy
    r2 = x * x + y * y
    return np.float64(z[row, col]) - adj * r2, r2 <= max_d2


@njit(cache=True)
def _settle(g: float, line: float, target: float, z_row, count, in_range, row: int, col: int, x: int) -> None:
    """Decide one cell (GDAL's SetVisibility) and store the horizon it hands on: max(ground, sight line).

    A no-data cell (NaN) is neither counted nor in range, and hands on the sight line.
    """
    if g != g:
        z_row[x] = line
        return
    in_range[row, col] = True
    if g + target >= line:
        count[row, col] += 1
    z_row[x] = g if g > line else line


@njit(cache=True)
def _observer_row(z, r, c, c0, c1, zo, target, cw, ch, adj, max_d2, count, in_range, first) -> None:
    """Scan the observer's own row: along the row each cell looks past the previous one."""
    x = c - c0
    first[x] = z[r, c]
    in_range[r, c] = True
    count[r, c] += 1
    for step in (-1, 1):
        for k in range(1, c1 - c0):
            col = c + step * k
            if col < c0 or col >= c1:
                break
            g, ok = _ground(z, r, col, k, 0, cw, ch, adj, max_d2)
            if k == 1:  # the observer's neighbours are always seen (as in GDAL); a gap hands on the observer's ground
                first[x + step] = g if g == g else first[x]
                if ok and g == g:
                    in_range[r, col] = True
                    count[r, col] += 1
                continue
            if not ok:
                break
            _settle(g, _line(k, first[x + step * (k - 1)], zo), target, first, count, in_range, r, col, x + step * k)


@njit(cache=True)
def _scan_rows(z, r, c, r_end, direction, c0, c1, zo, target, cw, ch, adj, max_d2, count, in_range, first, last, this):
    """Scan the rows above (direction -1) or below (+1) the observer, outward, each from the row before it."""
    x = c - c0
    width = c1 - c0
    last[:width] = first[:width]
    row = r + direction
    while row != r_end:
        dy = abs(row - r)
        g, ok = _ground(z, row, c, 0, dy, cw, ch, adj, max_d2)
        if not ok:  # the column under the observer is the nearest cell of the row: all of it is out of range
            return
        _settle(g, _line(dy, last[x], zo), target, this, count, in_range, row, c, x)
        for step in (-1, 1):
            for dx in range(1, width):
                col = c + step * dx
                if col < c0 or col >= c1:
                    break
                g, ok = _ground(z, row, col, dx, dy, cw, ch, adj, max_d2)
                if not ok:
                    break
                near = x + step * (dx - 1)  # the column one step nearer the observer
                if dx >= dy:
                    line = _edge(dy, dx, last[near], this[near], zo)
                else:
                    line = _edge(dx, dy, last[near], last[near + step], zo)
                _settle(g, line, target, this, count, in_range, row, col, near + step)
        last, this = this, last
        row += direction


@njit(cache=True)
def viewshed_add(z, r, c, window, zo, target, cw, ch, adj, max_d2, count, in_range, first, last, this) -> None:
    """Add one observer's viewshed to ``count`` and ``in_range``, scanning only its ``window``.

    The single-scan method of Wang, Robinson & White (2000), "edge" variant, in GDAL's
    order and arithmetic (float64 heights, the same interpolations), so the result is
    GDAL's cell for cell. ``z`` is the DEM (float32, NaN no data), ``(r, c)`` the observer
    cell, ``window`` (row0, row1, col0, col1) the cells within ``max_d2`` (squared metres;
    inf for no limit), ``zo`` the observer's eye height, ``adj`` the curvature factor
    (coefficient / (2 R)); ``first``, ``last``, ``this`` are float64 line buffers at least
    as wide as the window, reused across observers.
    """
    r0, r1, c0, c1 = window
    _observer_row(z, r, c, c0, c1, zo, target, cw, ch, adj, max_d2, count, in_range, first)
    _scan_rows(z, r, c, r0 - 1, -1, c0, c1, zo, target, cw, ch, adj, max_d2, count, in_range, first, last, this)
    _scan_rows(z, r, c, r1, 1, c0, c1, zo, target, cw, ch, adj, max_d2, count, in_range, first, last, this)


@njit(cache=True)
def _horn(z, i: int, j: int) -> tuple[float, float]:
    """Return Horn's 3x3 sums at cell (i, j): (west - east, south - north) before dividing by 8 x cell size."""
    a, b, c = np.float64(z[i - 1, j - 1]), np.float64(z[i - 1, j]), np.float64(z[i - 1, j + 1])
    d, f = np.float64(z[i, j - 1]), np.float64(z[i, j + 1])
    g, h, k = np.float64(z[i + 1, j - 1]), np.float64(z[i + 1, j]), np.float64(z[i + 1, j + 1])
    return (a + d + d + g) - (c + f + f + k), (g + h + h + k) - (a + b + b + c)


@njit(cache=True)
def _store(out, i: int, j: int, v: float, as_bytes: bool) -> None:
    """Store v as it is, or as gdaldem writes bytes: rounded half up, 0 for no data (NaN)."""
    if as_bytes:
        out[i, j] = 0 if v != v else int(v + 0.5)
    else:
        out[i, j] = v


@njit(cache=True)
def hillshade_rows(z, out, cw: float, ch: float, as_bytes: bool, azimuth_deg: float, altitude_deg: float) -> None:
    """Write the hillshade of the inner cells of ``z`` into ``out`` (shape of ``z`` less a 1-cell border), as gdaldem.

    gdaldem's formula (Horn gradient, z factor 1): 1 + 254 cos(angle to the sun), 1 in
    full shadow, NaN where any of the 9 cells is no data (or bytes, see :func:`_store`).
    """
    alt = math.radians(altitude_deg)
    az = math.radians(azimuth_deg)
    sin_alt = math.sin(alt)
    cos_alt = math.cos(alt)
    # x = (west - east) / (8 cw) is -dz/dx; y = (south - north) / (8 ch) is -dz/dy (north up)
    fx = 1.0 / (8.0 * cw)
    fy = 1.0 / (8.0 * ch)
    sin_az = math.sin(az) * cos_alt
    cos_az = math.cos(az) * cos_alt
    for i in range(1, z.shape[0] - 1):
        for j in range(1, z.shape[1] - 1):
            sx, sy = _horn(z, i, j)
            x = sx * fx
            y = -sy * fy  # gdaldem divides by the negative north-south resolution
            cang = (sin_alt - (y * cos_az - x * sin_az)) / math.sqrt(1.0 + x * x + y * y)
            _store(out, i - 1, j - 1, 1.0 + 254.0 * cang if cang > 0.0 else (1.0 if cang == cang else np.nan), as_bytes)


@njit(cache=True)
def slope_rows(z, out, cw: float, ch: float, as_bytes: bool) -> None:
    """Write the slope in degrees (Horn) of the inner cells of ``z`` into ``out``, NaN near no data, as gdaldem."""
    fx = 1.0 / (8.0 * cw)
    fy = 1.0 / (8.0 * ch)
    for i in range(1, z.shape[0] - 1):
        for j in range(1, z.shape[1] - 1):
            sx, sy = _horn(z, i, j)
            x = sx * fx
            y = sy * fy
            _store(out, i - 1, j - 1, math.degrees(math.atan(math.sqrt(x * x + y * y))), as_bytes)


@njit(cache=True)
def encode_visible(count, in_range, out) -> None:
    """Write the viewshed GeoTIFF's bytes: 1 seen, 0 not seen, 255 out of range (no temporary arrays)."""
    for i in range(count.shape[0]):
        for j in range(count.shape[1]):
            out[i, j] = (1 if count[i, j] > 0 else 0) if in_range[i, j] else 255
