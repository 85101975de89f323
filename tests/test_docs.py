"""The docs site builds offline with no warning, and its links resolve (what `make docs` runs)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def check_links():
    spec = importlib.util.spec_from_file_location("check_links", ROOT / "scripts" / "check_links.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    done = subprocess.run(build, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_site_builds_strict_and_every_internal_link_resolves(site, check_links, capsys):
    assert check_links.main(["--site", str(site)]) == 0, capsys.readouterr().out
    assert "all resolve" in capsys.readouterr().out


def test_api_reference_is_built_from_the_docstrings(site):
    page = (site / "api" / "measure.html").read_text()
    # the numpydoc Parameters section of measure.area, parsed into a list with its names
    assert 'id="borderkit.measure.area"' in page
    assert "Parameters" in page and "<code>method</code>" in page
    # Sphinx roles in the docstrings become links, not literal ':func:' text
    render = (site / "api" / "render.html").read_text()
    assert ":func:" not in render
    assert 'href="#borderkit.render.build_map"' in render


def _page(folder: Path, name: str, body: str) -> None:
    (folder / name).write_text(f"<html><head></head><body>{body}</body></html>")


def test_link_check_finds_broken_links_and_network_loads(tmp_path, check_links, capsys):
    _page(tmp_path, "index.html", '<h1 id="top">x</h1><a href="b.html#there">ok</a><a href="#top">ok</a>')
    _page(tmp_path, "b.html", '<h2 id="there">b</h2><a href="https://example.org/">listed</a>')
    args = ["--site", str(tmp_path), "--markdown"]
    assert check_links.main(args) == 0
    assert "https://example.org/  (b.html)" in capsys.readouterr().out

    _page(tmp_path, "c.html", '<a href="b.html#gone">x</a><a href="nowhere.html">x</a><a href="../up.html">x</a>')
    _page(tmp_path, "d.html", '<script src="https://cdn.example.org/x.js"></script>')
    assert check_links.main(args) == 1
    out = capsys.readouterr().out
    assert "c.html: no anchor #gone in b.html" in out
    assert "c.html: no such file: nowhere.html" in out
    assert "c.html: points outside" in out
    assert "d.html: <script> loads https://cdn.example.org/x.js from the network" in out


def test_link_check_reads_markdown_anchors_with_github_slugs(tmp_path, check_links, capsys):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.md").write_text("# B\n\n## 3. Reconciling the figures: one account\n")
    good = "[s](docs/b.md#3-reconciling-the-figures-one-account)"
    (tmp_path / "README.md").write_text(f"# R\n\n{good} `[not a link](x.md)`\n")
    args = ["--no-site", "--repo", str(tmp_path), "--markdown", str(tmp_path / "README.md"), str(tmp_path / "docs")]
    assert check_links.main(args) == 0, capsys.readouterr().out
    (tmp_path / "README.md").write_text("# R\n\n[s](docs/b.md#reconciling-the-figures)\n")
    assert check_links.main(args) == 1
    assert "no anchor #reconciling-the-figures in docs/b.md" in capsys.readouterr().out
