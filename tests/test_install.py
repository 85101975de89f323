"""The wheel must give a working borderkit outside the checkout, with its data inside."""

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = wheels.glob("borderkit-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BORDERKIT_GEODATA")}

    def run(*args):
        return subprocess.run(args, cwd=workdir, env=env, capture_output=True, text=True, check=True)

    where = run(str(py), "-c", "import borderkit.registry as r; print(r.data_dir())").stdout.strip()
    assert "site-packages" in where and str(ROOT) not in where
    layers = run(str(env_dir / "bin" / "borderkit"), "layers").stdout
    assert "soviet_line" in layers and "communities" in layers
    areas = run(str(env_dir / "bin" / "borderkit"), "area", "countries").stdout
    assert "29,714.7" in areas
    check = run(str(env_dir / "bin" / "borderkit"), "layers", "check").stdout
    assert "differ" not in check
    run(str(env_dir / "bin" / "borderkit"), "map", "--offline", "--samples", "0", "-o", "m.html")
    assert (workdir / "m.html").stat().st_size > 100_000  # vendored assets and estimates ship in the wheel
