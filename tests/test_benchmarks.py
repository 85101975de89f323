"""Smoke-run the benchmarks so they keep working; no timing is asserted here."""

from benchmarks import run


def test_benchmark_script_runs_quick(capsys):
    assert run.main(["--quick", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "bundled polygon layers" in out and "vertices/s" in out


def test_montecarlo_benchmark_runs_quick(capsys):
    from benchmarks import montecarlo

    assert montecarlo.main(["--samples", "2", "--naive-samples", "1"]) == 0
    assert "speed-up" in capsys.readouterr().out


def test_maps_benchmark_runs_without_browser(capsys):
    from benchmarks import maps

    assert maps.main(["--no-browser"]) == 0
    assert "default map:" in capsys.readouterr().out


def test_viewshed_benchmark_runs_small(capsys):
    import shutil

    from benchmarks import viewshed

    if shutil.which("gdal_viewshed") is None:
        import pytest

        pytest.fail("gdal_viewshed (Debian gdal-bin) is required; .ci/run installs it")
    assert viewshed.main(["--sizes", "200", "--repeat", "1"]) == 0
    assert "100.000% cells agree" in capsys.readouterr().out
