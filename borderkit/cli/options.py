"""Options shared by commands.

==================  =========================================================
``output_opt``      ``-o/--output FILE``: write there (atomically), not stdout
``layer_opt``       ``--layer NAME``: the layer of a multi-layer file
``crs_opt``         ``--crs CRS``: the input's CRS when the file has none/wrong
``fix_opt``         ``--fix``: repair invalid geometries with make_valid
``swap_xy_opt``     ``--swap-xy``: swap x/y of an input given as lat/lon
``axis_check_opt``  ``--axis-check/--no-axis-check``
``precision_opt``   ``--precision N``: decimals in output (-1 = no rounding)
==================  =========================================================
"""

from __future__ import annotations

import click

__all__ = ["output_opt", "layer_opt", "crs_opt", "fix_opt", "swap_xy_opt", "axis_check_opt", "precision_opt"]

output_opt = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to FILE (atomically) instead of stdout.",
)
layer_opt = click.option("--layer", default=None, help="Layer of a multi-layer file (GeoPackage).")
crs_opt = click.option("--crs", default=None, help="CRS of the input when it has none or a wrong one, e.g. EPSG:32638.")
fix_opt = click.option(
    "--fix", is_flag=True, help="Repair invalid geometries with make_valid and report the area change."
)
swap_xy_opt = click.option("--swap-xy", is_flag=True, help="Swap x and y of an input written as (lat, lon).")
axis_check_opt = click.option(
    "--axis-check/--no-axis-check",
    default=True,
    show_default=True,
    help="Stop when the input looks like lat/lon swapped.",
)
precision_opt = click.option(
    "--precision",
    type=click.IntRange(-1, 15),
    default=3,
    show_default=True,
    help="Decimal places in tables (-1: no rounding).",
)
