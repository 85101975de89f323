"""Run the CLI as ``python -m borderkit``."""

from borderkit.cli.main import main

main(prog_name="borderkit")
