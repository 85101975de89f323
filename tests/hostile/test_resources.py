"""Hostile input, class 5: resources with limits.

A job is estimated (memory, cells, samples) before it starts and refused, with a message
that names the limit and the option that changes it, when it would not fit. The limit is
``--max-memory``, else ``BORDERKIT_MAX_MEMORY``, else half the physical RAM; the tests
pass it explicitly so they do not depend on the machine.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import rasterio
from affine import Affine

from borderkit.errors import UsageError


def write_dem(path, n: int, *, transform, crs: str, value: float = 100.0):
    with rasterio.open(
        path, "w", driver="GTiff", height=n, width=n, count=1, dtype="float32", crs=crs, transform=transform
    ) as dst:
        dst.write(np.full((n, n), value, "float32"), 1)
    return path


@pytest.fixture
def polar_dem(tmp_path):
    """The reviewer's case: a 1.6 MB lon/lat DEM reaching 89.9° N (it once took 14.6 GB and 257 s)."""
    return write_dem(tmp_path / "polar.tif", 640, transform=Affine(0.01, 0, 0.0, 0, -0.01, 89.9), crs="EPSG:4326")


@pytest.fixture
def utm_dem(tmp_path):
    """A 400 x 400 DEM in UTM 38N (about 2.6 MB of work at 16 bytes a cell)."""
    return write_dem(
        tmp_path / "utm.tif", 400, transform=Affine(30.0, 0, 500_000.0, 0, -30.0, 4_400_000.0), crs="EPSG:32638"
    )


def terrain_args(command: str, dem, out) -> list:
    extra = {
        "hillshade": ["-o", out],
        "slope": ["-o", out],
        "viewshed": ["--observer", "45.05,39.7", "-o", out],
        "surface-area": ["enclaves"],
    }[command]
    return ["terrain", command, "--dem", dem, *extra]


# ---------------------------------------------------------------- lon/lat DEMs near the pole
@pytest.mark.parametrize("command", ["hillshade", "slope", "viewshed"])
def test_polar_lonlat_dem_is_refused_at_once(hostile, polar_dem, tmp_path, command):
    out = tmp_path / "out.tif"
    start = time.perf_counter()
    hostile(
        *terrain_args(command, polar_dem, out), exit=1, says=["85", "gdalwarp -t_srs EPSG:3413"], inputs=[polar_dem]
    )
    assert time.perf_counter() - start < 10
    assert not out.exists()


def test_lonlat_dem_below_the_limit_is_estimated_and_refused_over_budget(hostile, tmp_path):
    dem = write_dem(tmp_path / "north.tif", 320, transform=Affine(0.01, 0, 0.0, 0, -0.01, 84.9), crs="EPSG:4326")
    out = tmp_path / "shade.tif"
    hostile(
        "terrain", "hillshade", "--dem", dem, "-o", out, "--max-memory", "8M",
        exit=2, says=["metric cells", "--max-memory", "8.0 MiB", "gdal_translate"], inputs=[dem],
    )  # fmt: skip
    assert not out.exists()


def test_lonlat_dem_below_the_limit_works_within_budget(hostile, tmp_path):
    dem = write_dem(tmp_path / "north.tif", 64, transform=Affine(0.01, 0, 0.0, 0, -0.01, 84.9), crs="EPSG:4326")
    out = tmp_path / "shade.tif"
    hostile("terrain", "hillshade", "--dem", dem, "-o", out, "--max-memory", "1G", exit=0, says=["wrote"], inputs=[dem])
    assert out.exists()


# ---------------------------------------------------------------- DEM windows over the memory limit
@pytest.mark.parametrize("command", ["hillshade", "slope", "viewshed"])
def test_dem_over_max_memory_is_refused_before_reading(hostile, utm_dem, tmp_path, command):
    out = tmp_path / "out.tif"
    hostile(
        *terrain_args(command, utm_dem, out), "--max-memory", "2M",
        exit=2, says=["400 x 400 cells", "limit of 2.0 MiB", "--max-memory", "BORDERKIT_MAX_MEMORY"], inputs=[utm_dem],
    )  # fmt: skip
    assert not out.exists()


def test_environment_limit_applies_and_is_named(hostile, utm_dem, tmp_path, monkeypatch):
    # 400 x 400 cells at 16 bytes a cell: 2.4 MiB, above a 1 MiB limit
    monkeypatch.setenv("BORDERKIT_MAX_MEMORY", "1M")
    out = tmp_path / "out.tif"
    hostile("terrain", "slope", "--dem", utm_dem, "-o", out, exit=2, says=["BORDERKIT_MAX_MEMORY=1M"], inputs=[utm_dem])


def test_option_overrides_the_environment(hostile, utm_dem, tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERKIT_MAX_MEMORY", "1M")
    out = tmp_path / "out.tif"
    hostile("terrain", "slope", "--dem", utm_dem, "-o", out, "--max-memory", "1G", exit=0, inputs=[utm_dem])
    assert out.exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e999", "1k", "lots", "0"])
def test_max_memory_must_be_a_size(hostile, utm_dem, tmp_path, value):
    hostile(
        "terrain", "slope", "--dem", utm_dem, "-o", tmp_path / "s.tif", "--max-memory", value,
        exit=2, says=["--max-memory", "memory size"], inputs=[utm_dem],
    )  # fmt: skip


@pytest.mark.parametrize("value", ["nan", "inf", "-5G", "1e999G"])
def test_environment_limit_must_be_a_size(hostile, utm_dem, tmp_path, monkeypatch, value):
    monkeypatch.setenv("BORDERKIT_MAX_MEMORY", value)
    hostile(
        "terrain", "slope", "--dem", utm_dem, "-o", tmp_path / "s.tif",
        exit=2, says=["BORDERKIT_MAX_MEMORY", "memory size"], inputs=[utm_dem],
    )  # fmt: skip


def test_profile_spacing_too_fine_for_memory_names_spacing(hostile, utm_dem, tmp_path):
    import json

    line = {"type": "LineString", "coordinates": [[45.01, 39.70], [45.12, 39.70]]}  # ~9.4 km across the DEM
    path = tmp_path / "line.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": line}))
    hostile(
        "terrain", "profile", "--dem", utm_dem, path, "--spacing", "0.001", "--max-memory", "64M",
        exit=2, says=["--spacing", "samples", "limit of 64.0 MiB"], inputs=[utm_dem, path],
    )  # fmt: skip


def test_area_surface_checks_the_dem_window_too(hostile, utm_dem, tmp_path):
    import json

    # about 10 x 9 km: 100,000 cells of the DEM, 1.6 MB at 16 bytes a cell
    box = [[45.01, 39.74], [45.13, 39.74], [45.13, 39.66], [45.01, 39.66], [45.01, 39.74]]
    path = tmp_path / "zone.geojson"
    path.write_text(
        json.dumps({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [box]}})
    )
    hostile(
        "area", path, "--method", "surface", "--dem", utm_dem, "--max-memory", "1M",
        exit=2, says=["--max-memory", "cells"], inputs=[utm_dem, path],
    )  # fmt: skip


# ---------------------------------------------------------------- Monte Carlo samples
@pytest.mark.parametrize("samples", ["1000000000", "99999999999"])
def test_reconcile_huge_samples_refused_before_any_work(hostile, samples):
    start = time.perf_counter()
    hostile(
        "reconcile", "--samples", samples, "--max-memory", "4G",
        exit=2, says=["--samples", "limit of 4.0 GiB", "BORDERKIT_MAX_MEMORY"],
    )  # fmt: skip
    assert time.perf_counter() - start < 15  # refused before explaining the estimates (~35 s)


def test_reconcile_samples_over_environment_limit(hostile, monkeypatch):
    monkeypatch.setenv("BORDERKIT_MAX_MEMORY", "1M")
    hostile("reconcile", "--samples", "100000", exit=2, says=["100,000 samples", "BORDERKIT_MAX_MEMORY=1M"])


def test_map_huge_samples_refused(hostile, tmp_path):
    out = tmp_path / "map.html"
    hostile("map", "--samples", "1000000000", "-o", out, exit=2, says=["--samples", "limit"])
    assert not out.exists()


@pytest.mark.parametrize("samples", ["-1", "nan", "1e9"])
def test_samples_must_be_a_whole_number(hostile, samples):
    hostile("reconcile", "--samples", samples, exit=2, says=["--samples"])


def test_monte_carlo_refuses_in_the_library_before_sampling():
    import borderkit
    from borderkit.montecarlo import estimate_bytes, monte_carlo

    sectors = borderkit.load("sectors")
    need = estimate_bytes(10**9, 2, len(sectors))
    assert need > 2**30
    start = time.perf_counter()
    with pytest.raises(UsageError, match="--samples"):
        monte_carlo(sectors, {}, ["2021-06-01", "2022-12-31"], samples=10**9, max_bytes=2**30)
    assert time.perf_counter() - start < 1


def test_monte_carlo_reports_progress_once_per_sample():
    import borderkit
    from borderkit.montecarlo import monte_carlo
    from borderkit.registry import baseline

    ticks = []
    result = monte_carlo(
        borderkit.load("sectors"), {"soviet_line": baseline("soviet_line")}, ["2022-12-31"],
        samples=3, seed=1, progress=ticks.append,
    )  # fmt: skip
    assert ticks == [1, 1, 1] and result.areas_km2.shape == (3, 1)
    assert len(result.draws) == 3 and (result.draws["baseline"] == "soviet_line").all()
