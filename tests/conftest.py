import pytest
from click.testing import CliRunner

import borderkit
from borderkit.cli.main import main


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
