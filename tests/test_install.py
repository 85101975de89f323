"""The wheel must give a working borderkit outside the checkout, with its data inside.

The wheel goes into a fresh virtual environment with pip, alone (``--no-deps``); its
dependencies come from this test environment's site-packages, named in a ``.pth`` file
that comes after the fresh environment's own site-packages. A ``.pth`` line adds its
folder and nothing else (the folder's own ``.pth`` files, such as the editable install of
this checkout, are not run), so ``import borderkit`` can only find the wheel's copy.
Installing the dependencies themselves (numpy, GDAL, PROJ, numba...: about a gigabyte)
took two minutes of the test suite and tested pip, not the wheel; that the wheel declares
every dependency, at versions this environment satisfies, is checked instead.
"""

import os
import subprocess
import sys
import sysconfig
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
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps", str(wheel)]
    subprocess.run(pip, check=True)
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BORDERKIT_GEODATA")}

    def run(*args):
        return subprocess.run(args, cwd=workdir, env=env, capture_output=True, text=True, check=True)

    where = run(str(py), "-c", "import borderkit.registry as r; print(r.__file__, r.data_dir())").stdout.split()
    assert all(w.startswith(site) for w in where) and not any(str(ROOT) in w for w in where), where
    unmet = run(str(py), "-c", UNMET).stdout.strip()
    assert unmet == "[]", f"the wheel's dependencies this environment does not satisfy: {unmet}"
    layers = run(str(env_dir / "bin" / "borderkit"), "layers").stdout
    assert "soviet_line" in layers and "communities" in layers
    areas = run(str(env_dir / "bin" / "borderkit"), "area", "countries").stdout
    assert "29,714.7" in areas
    check = run(str(env_dir / "bin" / "borderkit"), "layers", "check").stdout
    assert "differ" not in check
    run(str(env_dir / "bin" / "borderkit"), "map", "--offline", "--samples", "0", "-o", "m.html")
    assert (workdir / "m.html").stat().st_size > 100_000  # vendored assets and estimates ship in the wheel


# The wheel's own requirements (importlib.metadata finds its dist-info first) that the
# environment lacks or has at a version outside the declared range; extras are skipped.
UNMET = """
from importlib.metadata import PackageNotFoundError, requires, version
from packaging.requirements import Requirement
unmet = []
for text in requires("borderkit") or []:
    req = Requirement(text)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        if not req.specifier.contains(version(req.name), prereleases=True):
            unmet.append(text)
    except PackageNotFoundError:
        unmet.append(text)
print(unmet)
"""
