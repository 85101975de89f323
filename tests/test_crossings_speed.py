"""Crossings, the linear-cost version: the same stretches as one plain difference per line.

The reference below is the straightforward computation (``shapely.difference`` of each
line with the whole Armenia, ``line_merge``, pyproj's ``Geod.geometry_length``), on real
bundled lines: the other renderings of the line (they cross the soviet_line's Armenia
back and forth), the bundled road and the outlines of the 913 communities (most wholly
inside Armenia, some along its edge).
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

import borderkit
from borderkit.claims import crossings
from borderkit.registry import baseline

GEOD = Geod(ellps="WGS84")


def reference(lines: gpd.GeoDataFrame, armenia) -> list[tuple]:
    """Return (row, id, name, stretch, length km, line length km) per stretch, one line at a time."""
    out = []
    for pos, (geom, lid, name) in enumerate(zip(lines.geometry, lines["id"], lines["name"], strict=True)):
        outside = shapely.difference(geom, armenia)
        for part in shapely.get_parts(shapely.line_merge(outside)):
            if part.geom_type == "LineString" and part.length > 0:
                whole = GEOD.geometry_length(geom) / 1000
                out.append((pos + 1, lid, name, part, GEOD.geometry_length(part) / 1000, whole))
    return out


@pytest.fixture(scope="module")
def real_lines() -> gpd.GeoDataFrame:
    frames = [borderkit.load(n)[["id", "name", "geometry"]] for n in ("soviet_line_osm2017", "soviet_line_ne10m")]
    frames.append(borderkit.load("roads")[["id", "name", "geometry"]])
    communities = borderkit.load("communities")
    frames.append(communities[["id", "name"]].set_geometry(communities.boundary))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=4326)


def assert_same(found: gpd.GeoDataFrame, expected: list[tuple]) -> None:
    assert len(found) == len(expected)
    assert found["line"].tolist() == [e[0] for e in expected]
    assert found["line_id"].tolist() == [e[1] for e in expected]
    assert found["line_name"].tolist() == [e[2] for e in expected]
    np.testing.assert_allclose(found["length_km"], [e[4] for e in expected], rtol=1e-9)
    np.testing.assert_allclose(found["line_length_km"], [e[5] for e in expected], rtol=1e-9)
    gaps = shapely.hausdorff_distance(found.geometry.to_numpy(), np.array([e[3] for e in expected], dtype=object))
    assert gaps.max() < 1e-9  # degrees: the same stretches, to rounding


def test_crossings_match_one_difference_per_line_on_real_lines(real_lines):
    _, armenia = baseline("soviet_line")
    expected = reference(real_lines, armenia)
    found = crossings(real_lines, armenia)
    # the data exercise every path: lines wholly inside, crossing, and wholly outside
    rows = {e[0] for e in expected}
    assert len(rows) < len(real_lines) and len(expected) > len(rows)
    assert_same(found, expected)


def test_crossings_with_repeated_and_missing_ids_keep_each_rows_own_length(real_lines):
    _, armenia = baseline("soviet_line_ne10m")
    lines = real_lines.iloc[:40].copy()
    lines["id"] = ["same"] * 20 + [None] * 20  # repeated and missing ids
    lines = pd.concat([lines, lines.iloc[:5]], ignore_index=True)  # repeated rows too
    lines = gpd.GeoDataFrame(lines, geometry="geometry", crs=4326)
    expected = reference(lines, armenia)
    found = crossings(lines, armenia)
    assert len({e[5] for e in expected if e[1] == "same"}) > 1  # rows sharing an id differ in length
    assert_same(found, expected)


def test_crossings_of_lines_all_inside_or_empty():
    _, armenia = baseline("soviet_line")
    inside = shapely.LineString([(44.5, 40.2), (44.6, 40.25)])  # Yerevan
    lines = gpd.GeoDataFrame(
        {"id": ["in", "empty"], "name": ["a", "b"]}, geometry=[inside, shapely.LineString()], crs=4326
    )
    found = crossings(lines, armenia)
    assert len(found) == 0 and list(found.columns) == [
        "line",
        "line_id",
        "line_name",
        "geometry",
        "length_km",
        "line_length_km",
    ]


def test_crossings_benchmark_runs_small(capsys):
    from benchmarks import crossings as bench

    assert bench.main(["--sizes", "30", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "30 roads" in out and "time ratio" in out and "memory ratio" in out
