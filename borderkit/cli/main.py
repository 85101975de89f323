"""The ``borderkit`` command group: verbosity, version, and one place that maps errors."""

from __future__ import annotations

import logging
import sys

import click

from borderkit import __version__
from borderkit.cli.area import area
from borderkit.cli.case import case_cmd
from borderkit.cli.cite import cite
from borderkit.cli.claims import claims, crossings_cmd
from borderkit.cli.events import events
from borderkit.cli.layers import layers
from borderkit.cli.map import map_cmd
from borderkit.cli.observed import observed_cmd
from borderkit.cli.reconcile import reconcile_cmd
from borderkit.cli.terrain import terrain
from borderkit.cli.zones import timeline_cmd, zones_cmd
from borderkit.errors import BorderkitError, UsageError

__all__ = ["main"]


def _os_error_message(exc: OSError) -> str:
    """Say which file the system refused and why, with the next step (no traceback)."""
    what = f" {exc.filename!r}" if exc.filename else ""
    reason = exc.strerror or str(exc)
    return (
        f"the system refused an operation on{what or ' a file'}: {reason} (errno {exc.errno}). "
        "Check the path, its permissions and the free space, then run the command again."
    )


class BorderkitGroup(click.Group):
    """A click group that turns library errors into clear messages and exit codes.

    Usage errors exit 2, runtime errors exit 1, and no traceback is shown unless ``-v``
    was given twice.
    """

    def make_context(self, info_name, args, parent=None, **extra):  # noqa: D102
        # Keep the arguments as given: every output records the command that made it.
        argv = list(args)
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta["borderkit.argv"] = argv
        return ctx

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from None
        except BorderkitError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except MemoryError:
            raise click.ClickException(
                "ran out of memory. Make the job smaller (fewer --samples, a smaller DEM window or "
                "area, a larger --spacing) or run it on a machine with more memory."
            ) from None
        except OSError as exc:
            raise click.ClickException(_os_error_message(exc)) from None
        except Exception as exc:
            if ctx.obj and ctx.obj.get("verbosity", 0) >= 2:
                raise
            raise click.ClickException(
                f"internal error: {type(exc).__name__}: {exc}. This is a bug in borderkit; "
                "re-run with -vv for the traceback and report it."
            ) from None


@click.group(cls=BorderkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", "verbose", count=True, help="More log output (repeat for debug).")
@click.option("-q", "--quiet", "quiet", count=True, help="Less log output.")
@click.option(
    "--case",
    "case",
    default=None,
    metavar="PATH",
    help="Case folder to work on (default: BORDERKIT_CASE, else the bundled case).",
)
@click.version_option(__version__, prog_name="borderkit")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: int, case: str | None) -> None:
    """Map and measure a contested border (the bundled case, or your own with --case PATH).

    Every figure borderkit prints says how it was computed.
    """
    verbosity = verbose - quiet
    logging.basicConfig(stream=sys.stderr, level=max(10, 30 - 10 * verbosity))
    ctx.obj = {"verbosity": verbosity}
    if case is not None:
        from borderkit import case as cases

        previous = cases.chosen()
        cases.use_case(case)
        ctx.call_on_close(lambda: cases.use_case(previous))  # a library caller's case outlives the command


main.add_command(layers)
main.add_command(area)
main.add_command(events)
main.add_command(zones_cmd)
main.add_command(timeline_cmd)
main.add_command(observed_cmd)
main.add_command(claims)
main.add_command(crossings_cmd)
main.add_command(reconcile_cmd)
main.add_command(map_cmd)
main.add_command(terrain)
main.add_command(cite)
main.add_command(case_cmd)
