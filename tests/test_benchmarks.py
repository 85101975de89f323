"""Smoke-run the benchmarks so they keep working; no timing is asserted here."""

from benchmarks import run


def test_benchmark_script_runs_quick(capsys):
    assert run.main(["--quick", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "bundled polygon layers" in out and "vertices/s" in out


def test_montecarlo_benchmark_runs_quick(capsys):
    from benchmarks import montecarlo

    args = ["--samples", "2", "--naive-samples", "1", "--parallel", "26", "--sweep", "--repeat", "1"]
    assert montecarlo.main(args) == 0  # 26 calibrated samples: two chunks, so 2 processes each get one
    out = capsys.readouterr().out
    assert "speed-up" in out and "| 26 |" in out


def test_maps_benchmark_runs_without_browser(capsys):
    from benchmarks import maps

    assert maps.main(["--no-browser"]) == 0
    assert "default map:" in capsys.readouterr().out


def test_viewshed_benchmark_runs_small(capsys, tmp_path):
    import re
    import shutil

    from benchmarks import viewshed

    if shutil.which("gdal_viewshed") is None:
        import pytest

        pytest.fail("gdal_viewshed (Debian gdal-bin) is required; .ci/run installs it")
    # every part at 200 x 200 cells: the default surface and cumulative sizes are 16M-64M cells (minutes)
    args = ["--sizes", "200", "--surface-sizes", "200", "--only", "viewshed", "surface", "compile", "--repeat", "1"]
    assert viewshed.main(args) == 0
    out = capsys.readouterr().out
    assert "100.000% cells agree" in out and "numba: first call" in out
    assert len(re.findall(r"max diff [01] grey level", out)) == 1  # hillshade within 1 grey level of gdaldem
    (slope,) = re.findall(r"max diff ([0-9.]+)°", out)
    assert float(slope) < 0.01
    # the cumulative part with 5 observers instead of main's 100 (one gdal_viewshed process each, twice)
    row = viewshed.bench_cumulative(tmp_path, 200, 5, 5000.0, 1)
    assert "5 observers" in row and "100.000% cell counts agree" in row
