import os

import pytest
from click.testing import CliRunner

import borderkit
from borderkit.cli.main import main

# Tables fit $COLUMNS or a terminal (borderkit.report.terminal_columns): the tests run as a pipe would,
# whatever the shell or CI sets, and the tests about widths set COLUMNS themselves.
os.environ.pop("COLUMNS", None)


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def cli(runner):
    """Invoke the borderkit CLI; returns click's Result."""

    def invoke(*args, input=None):
        return runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def registry():
    return borderkit.layers()
