"""Every command's --help renders: no literal escape codes, examples one per line."""

import os
import subprocess
import sys

import click
import pytest

from borderkit.cli.main import main


def _commands(group: click.Group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path", [(), *_commands(main)], ids=lambda p: " ".join(p) or "borderkit")
def test_help_renders(cli, path):
    result = cli(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "\\b" not in result.output  # a raw docstring shows click's no-rewrap marker literally
    for line in result.output.splitlines():
        # an example line holds one command: click re-wrapping would run several together
        assert line.count("$ borderkit") <= 1, line


def test_quiet_silences_notes_but_not_data_or_errors(cli, tmp_path):
    out = tmp_path / "a.csv"
    loud = cli("area", "countries", "--format", "csv", "-o", out)
    assert "wrote" in loud.stderr
    quiet = cli("-q", "area", "countries", "--format", "csv", "-o", out)
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert out.read_text().startswith("id,name,area_km2")
    data = cli("-q", "area", "countries", "--format", "csv")
    assert data.stdout.startswith("id,name,area_km2")
    error = cli("-q", "area", "no_such_layer")
    assert error.exit_code == 2 and "no_such_layer" in error.stderr


def test_shell_completion_script_and_answers():
    # What the README and tutorial tell users to run: click prints a bash script that calls
    # borderkit back with _BORDERKIT_COMPLETE=bash_complete, which answers with candidates.
    run = [sys.executable, "-m", "borderkit"]
    script = subprocess.run(
        run, env={**os.environ, "_BORDERKIT_COMPLETE": "bash_source"}, capture_output=True, text=True
    )
    assert script.returncode == 0, script.stderr
    assert "complete -o nosort -F _borderkit_completion borderkit" in script.stdout
    asked = {"_BORDERKIT_COMPLETE": "bash_complete", "COMP_WORDS": "borderkit area --method ", "COMP_CWORD": "3"}
    answer = subprocess.run(run, env={**os.environ, **asked}, capture_output=True, text=True)
    offered = {line.removeprefix("plain,") for line in answer.stdout.splitlines()}
    assert {"geodesic", "web-mercator", "utm"} <= offered, answer.stdout
