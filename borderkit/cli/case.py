"""``borderkit case``: make a new case folder, and check one."""

from __future__ import annotations

import click

from borderkit.errors import UsageError

__all__ = ["case_cmd"]


@click.group("case")
def case_cmd() -> None:
    """Make and check case folders (a dispute's data, described by case.toml).

    \b
    Examples:
      borderkit case init my-case --subject a.geojson --counterpart b.geojson --codes AAA BBB
      borderkit case check my-case
      borderkit --case my-case area countries
    """


@case_cmd.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=str))
@click.option(
    "--subject",
    "subject",
    required=True,
    metavar="FILE",
    help="Polygon(s) of the party whose territory the figures measure (any format borderkit reads).",
)
@click.option(
    "--counterpart",
    "counterpart",
    required=True,
    metavar="FILE",
    help="Polygon(s) of the other party; the shared boundary becomes the case's line.",
)
@click.option(
    "--codes",
    nargs=2,
    required=True,
    metavar="SUBJECT COUNTERPART",
    help="The parties' ISO 3166 alpha-3 codes, e.g. ARM AZE.",
)
@click.option("--name", "name", default=None, help="The case's name (default: the folder's name).")  # fmt: skip
def init_cmd(folder: str, subject: str, counterpart: str, codes: tuple[str, str], name: str | None) -> None:
    """Make a new case FOLDER from two neighbours' polygons.

    Writes case.toml (with comments saying what each setting means), the layers
    (countries, the line, the subject's territory), layers.json, sources.json, and the
    headers of src/components.csv and figures.csv. Edit case.toml to name the parties and
    add places, sectors and figures; then run 'borderkit case check FOLDER'.
    """
    from pathlib import Path

    from borderkit.casefolder import scaffold, write_case
    from borderkit.cli.helpers import info
    from borderkit.io import read_user_geodata
    from borderkit.validate import check_crs

    for code in codes:
        if len(code) != 3 or not code.isalpha() or not code.isupper():
            raise UsageError(f"--codes: {code!r} is not an ISO 3166 alpha-3 code (three capital letters, e.g. ARM).")
    frames = []
    for option, path in (("--subject", subject), ("--counterpart", counterpart)):
        gdf, notes = check_crs(read_user_geodata(path), path)
        for note in notes:
            info(f"note: {note}")
        if not set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}:
            raise UsageError(f"{option} {path!r} holds {', '.join(sorted(set(gdf.geom_type)))}; give polygons.")
        frames.append(gdf.to_crs(4326))
    source = f"{Path(subject).name} and {Path(counterpart).name}"
    files = scaffold(frames[0], frames[1], name=name or Path(folder).name, subject_code=codes[0],
                     counterpart_code=codes[1], source=source)  # fmt: skip
    where = write_case(folder, files, source=source)
    info(f"wrote the case folder {where}; check it with 'borderkit case check {folder}'")


@case_cmd.command("check")
@click.argument("folder", type=click.Path(path_type=str))
def check_cmd(folder: str) -> None:
    """Check a case FOLDER: its manifest, layers, and tables, naming each problem's file and row.

    Exits 0 when the case is sound, 1 when it has problems (each printed).
    """
    from borderkit.casefolder import check

    problems = check(folder)
    if problems:
        for line in problems:
            click.echo(f"problem: {line}", err=True)
        raise click.ClickException(f"{len(problems)} problem(s) in the case folder {folder!r}.")
    click.echo(f"{folder}: the case is sound.")
