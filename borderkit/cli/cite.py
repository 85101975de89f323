"""``borderkit cite``: how to cite a figure: version, case, command, method and sources."""

from __future__ import annotations

import click

__all__ = ["cite", "citation_lines"]

#: Authors and title as in CITATION.cff (the repository's; the wheel does not ship it).
AUTHORS = "The borderkit developers"
TITLE = "borderkit: a toolkit for mapping and measuring contested borders"


def _field(row: dict, key: str) -> str:
    """Return a source field as text: empty for a missing value (None, or NaN from the table)."""
    value = row.get(key)
    return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()


def _source_line(row: dict) -> str:
    parts = [_field(row, k) for k in ("title", "publisher", "date")]
    url = _field(row, "url")
    text = ". ".join(p for p in parts if p) or row["key"]
    return f"  [{row['key']}] {text}" + (f". {url}" if url else " (no address recorded)")


def citation_lines(record: dict, registry_rows: list[dict]) -> list[str]:
    """Return the lines of a citation for one output's provenance ``record``.

    Parameters
    ----------
    record
        Provenance (:func:`borderkit.io.provenance` or :func:`borderkit.io.read_provenance`):
        version, case, and where known command, created, method and sources.
    registry_rows
        The case's sources registry as dicts (key, title, publisher, date, url).

    Returns
    -------
    list of str
        "Cite as" first, then the command, method and sources; keys missing from the
        registry are listed as such rather than dropped.
    """
    from borderkit.report import plain_text

    version = plain_text(str(record.get("version", "?")))
    year = str(record.get("created", ""))[:4]
    lines = [
        f"Cite as: {AUTHORS}{f' ({year})' if year else ''}. {TITLE}, version {version}. "
        f"Case: {plain_text(str(record.get('case', '?')))}.",
    ]
    if record.get("command"):
        lines.append(f"Made with: {plain_text(str(record['command']))}")
    if record.get("created"):
        lines.append(f"On: {plain_text(str(record['created']))} (UTC)")
    if record.get("method"):
        lines.append(f"Method: {plain_text(str(record['method']))}")
    keys = list(record.get("sources") or [])
    if keys:
        rows = {r["key"]: r for r in registry_rows}
        lines.append("Sources:")
        missing = {"title": "not in this case's sources"}
        lines += [plain_text(_source_line(rows.get(k, {"key": k, **missing}))) for k in keys]
    return lines


@click.command("cite", short_help="How to cite a figure: version, case, command, method, sources.")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def cite(file: str | None) -> None:
    """Print how to cite a borderkit figure.

    With FILE (a GeoJSON, GeoPackage, FlatGeobuf or GeoParquet file, or an HTML map borderkit wrote), the
    citation is read from the file: the version and case that made it, the command line,
    the time, the method and the sources. Without FILE, it cites this borderkit and its
    case, and lists every source the case rests on. CSV, JSON tables and GeoJSON
    sequences carry no provenance: cite the command that wrote them.

    \b
    $ borderkit zones --format geojson -o zones.geojson
    $ borderkit cite zones.geojson
    $ borderkit cite
    """
    from borderkit.errors import InputError
    from borderkit.io import provenance, read_provenance
    from borderkit.registry import sources

    registry = sources().to_dict(orient="records")
    if file is None:
        record = provenance(sources=[r["key"] for r in registry])
        record.pop("command")
        record.pop("created")
        lines = citation_lines(record, registry)
        lines.insert(1, "Add the command that made the figure; files borderkit writes carry it: borderkit cite FILE.")
    else:
        stored = read_provenance(file)
        if stored is None:
            raise InputError(
                f"{file!r} carries no borderkit provenance. borderkit stores it in the GeoJSON, GeoPackage, "
                "FlatGeobuf and GeoParquet files it writes (not in CSV, JSON tables or GeoJSON sequences). "
                "Cite the command that made the file, or write it again with -o NAME.geojson/.gpkg."
            )
        lines = citation_lines(stored, registry)
    click.echo("\n".join(lines))
