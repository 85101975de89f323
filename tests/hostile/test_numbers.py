"""Hostile input, class 4: no silent wrong numbers.

Every number checked here is compared with independent arithmetic: pyproj.Geod called
directly (on rings this file densifies itself), the analytic area of a polar cap on the
WGS84 ellipsoid, Mercator's formula, a plane's own equation. Never with borderkit's own
functions. Inputs are small and everything runs in-process.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine

GEOD = pyproj.Geod(ellps="WGS84")
A_WGS84, F_WGS84 = 6378137.0, 1 / 298.257223563
MEAN_RADIUS = 6_371_008.7714
SPHERE = pyproj.Geod(a=MEAN_RADIUS, b=MEAN_RADIUS)
METHODS = ("geodesic", "equal-area", "utm", "web-mercator", "spherical")


# ---------------------------------------------------------------- independent arithmetic
def cap_km2(lat: float) -> float:
    """Area poleward of latitude ``lat`` on the WGS84 ellipsoid (authalic-latitude formula)."""
    e2 = F_WGS84 * (2 - F_WGS84)
    e = math.sqrt(e2)

    def q(phi):
        s = math.sin(phi)
        return (1 - e2) * (s / (1 - e2 * s * s) - math.log((1 - e * s) / (1 + e * s)) / (2 * e))

    return math.pi * A_WGS84**2 * (q(math.pi / 2) - q(math.radians(abs(lat)))) / 1e6


def sphere_cap_km2(lat: float, radius: float = MEAN_RADIUS) -> float:
    """Area poleward of ``lat`` on a sphere: 2πR²(1 - sin φ)."""
    return 2 * math.pi * radius**2 * (1 - math.sin(math.radians(abs(lat)))) / 1e6


def dense_ring(coords, step: float = 0.001, *, parallels_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Vertices every ``step``° along a lon/lat ring whose edges run straight in lon/lat.

    Longitudes are unwrapped (an edge of more than 180° crosses ±180°), so the ring is
    continuous; the closing vertex is dropped (Geod closes rings itself). With
    ``parallels_only``, only edges along a parallel are densified: the vertices a GIS
    would project for a planar (UTM) area, with the parallels drawn as parallels.
    """
    lon = np.array([c[0] for c in coords], float)
    lat = np.array([c[1] for c in coords], float)
    d = np.diff(lon)
    d = np.where(np.abs(d) > 180, d - 360 * np.sign(d), d)
    lon = np.r_[lon[0], lon[0] + np.cumsum(d)]
    out_lon, out_lat = [], []
    for i in range(len(lon) - 1):
        n = max(1, int(math.ceil(max(abs(lon[i + 1] - lon[i]), abs(lat[i + 1] - lat[i])) / step)))
        if parallels_only and lat[i + 1] != lat[i]:
            n = 1
        t = np.arange(n) / n
        out_lon.append(lon[i] + t * (lon[i + 1] - lon[i]))
        out_lat.append(lat[i] + t * (lat[i + 1] - lat[i]))
    return np.concatenate(out_lon), np.concatenate(out_lat)


def geod_km2(lon, lat, geod=GEOD) -> float:
    return abs(geod.polygon_area_perimeter(lon, lat)[0]) / 1e6


def geod_perimeter_km(lon, lat) -> float:
    return GEOD.polygon_area_perimeter(lon, lat)[1] / 1e3


def shoelace(x, y) -> float:
    x, y = np.asarray(x) - np.mean(x), np.asarray(y) - np.mean(y)
    return abs(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def mercator_km2(lon, lat) -> float:
    """Planar area in spherical Mercator (EPSG:3857's formula, R = 6378137 m)."""
    x = A_WGS84 * np.radians(lon)
    y = A_WGS84 * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))
    return shoelace(x, y) / 1e6


def projected_km2(lon, lat, crs: str) -> float:
    x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    return shoelace(x, y) / 1e6


# ---------------------------------------------------------------- helpers
def feature(geometry: dict, properties: dict | None = None) -> dict:
    return {"type": "Feature", "properties": properties or {}, "geometry": geometry}


def write_fc(path, features, crs: str | None = None):
    doc = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc))
    return path


def polygon(*rings) -> dict:
    return {"type": "Polygon", "coordinates": [[list(c) for c in ring] for ring in rings]}


def measure(hostile, path, *extra, exit=0, says=()):
    out = hostile("area", path, "--format", "json", "--precision", "-1", *extra, exit=exit, says=says, inputs=[path])
    return json.loads(out.stdout), out


# a 0.1° box near Goris and one overlapping it
BOX = [(46.30, 39.50), (46.40, 39.50), (46.40, 39.60), (46.30, 39.60), (46.30, 39.50)]
BOX2 = [(46.35, 39.55), (46.45, 39.55), (46.45, 39.65), (46.35, 39.65), (46.35, 39.55)]
# polar caps as a lon/lat polygon must draw them: with the pole as an edge
CAP_BOX = [(-180, 80), (180, 80), (180, 90), (-180, 90), (-180, 80)]
CAP_90 = [(-180, 80), (-90, 80), (0, 80), (90, 80), (180, 80), (180, 90), (-180, 90), (-180, 80)]
CAP_SOUTH = [(-180, -70), (-180, -90), (180, -90), (180, -70), (-180, -70)]
# a 2° x 1° box across the antimeridian, written the way GeoJSON tools write it
AM_BOX = [(179, 10), (-179, 10), (-179, 11), (179, 11), (179, 10)]


# ---------------------------------------------------------------- every float option refuses NaN and infinity
@pytest.fixture(scope="module")
def dem_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("dem") / "small.tif"
    transform = Affine(30.0, 0, 500_000.0, 0, -30.0, 4_400_000.0)
    with rasterio.open(
        path, "w", driver="GTiff", height=8, width=8, count=1, dtype="float32", crs="EPSG:32638", transform=transform
    ) as dst:
        dst.write(np.full((8, 8), 1000, "float32"), 1)
    return path


# (command before the option, option, what follows)
FLOAT_OPTIONS = [
    (("area", "countries"), "--shift", ()),
    (("terrain", "hillshade", "--dem", "{dem}", "-o", "{out}"), "--azimuth", ()),
    (("terrain", "hillshade", "--dem", "{dem}", "-o", "{out}"), "--altitude", ()),
    (("terrain", "profile", "--dem", "{dem}"), "--spacing", ()),
    (("terrain", "viewshed", "--dem", "{dem}", "--observer", "45,39.7", "-o", "{out}"), "--observer-height", ()),
    (("terrain", "viewshed", "--dem", "{dem}", "--observer", "45,39.7", "-o", "{out}"), "--target-height", ()),
    (("terrain", "viewshed", "--dem", "{dem}", "--observer", "45,39.7", "-o", "{out}"), "--max-distance", ()),
    (
        ("terrain", "viewshed", "--dem", "{dem}", "--observer", "45,39.7", "-o", "{out}"),
        "--curvature-coefficient",
        (),
    ),
    (("map", "-o", "{out}"), "--tolerance", ()),
]
NON_FINITE = ["nan", "inf", "-inf", "NaN", "1e999"]


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize(
    "before, option, after", FLOAT_OPTIONS, ids=[f"{b[0]}-{b[1] if len(b) > 1 else ''}{o}" for b, o, _ in FLOAT_OPTIONS]
)
def test_every_float_option_refuses_non_finite(hostile, dem_file, tmp_path, before, option, after, value):
    out = tmp_path / "out.tif"
    args = [a.format(dem=dem_file, out=out) for a in before]
    hostile(*args, option, value, *after, exit=2, says=[option, "finite"], inputs=[dem_file])
    assert not out.exists()


@pytest.mark.parametrize("value", ["nan,39.5", "46,inf", "-inf,0", "1e999,1", "NaN,NaN", "46", "46,39,1", "200,0"])
def test_observer_position_must_be_finite_degrees(hostile, dem_file, tmp_path, value):
    out = tmp_path / "vs.tif"
    hostile(
        "terrain", "viewshed", "--dem", dem_file, "--observer", value, "-o", out,
        exit=2, says=["--observer", value], inputs=[dem_file],
    )  # fmt: skip
    assert not out.exists()


@pytest.mark.parametrize(
    "args",
    [("zones", "--date", "nan"), ("events", "--from", "inf"), ("events", "--to", "-inf"), ("zones", "--date", "1e999")],
    ids=["zones-nan", "events-from-inf", "events-to-minus-inf", "zones-1e999"],
)
def test_date_options_refuse_numbers_that_are_not_dates(hostile, args):
    hostile(*args, exit=2, says=[args[-2], "is not a date", "YYYY-MM-DD"])


def test_negative_seed_is_refused_before_any_work(hostile):
    hostile("reconcile", "--seed", "-1", exit=2, says=["--seed", "x>=0"])


def test_negative_seed_is_refused_by_the_map_monte_carlo(hostile, tmp_path):
    out = tmp_path / "map.html"
    hostile("map", "--seed", "-1", "--samples", "2", "-o", out, exit=2, says=["--seed", ">= 0"])
    assert not out.exists()


# ---------------------------------------------------------------- the CRS the numbers are in
def test_utm_metres_in_geojson_without_crs_are_refused(hostile, tmp_path):
    x, y = 500_000.0, 4_400_000.0
    path = write_fc(tmp_path / "utm.geojson", [feature(polygon([(x, y), (x + 1e4, y), (x + 1e4, y + 1e4), (x, y)]))])
    hostile("area", path, exit=1, says=["--crs", "not degrees", "EPSG:4326"], inputs=[path])


def test_utm_metres_with_their_crs_give_the_geodesic_area(hostile, tmp_path):
    x, y = 500_000.0, 4_400_000.0
    square = [(x, y), (x + 1e4, y), (x + 1e4, y + 1e4), (x, y + 1e4), (x, y)]
    path = write_fc(tmp_path / "utm.geojson", [feature(polygon(square))])
    records, _ = measure(hostile, path, "--crs", "EPSG:32638")
    lon, lat = pyproj.Transformer.from_crs(32638, 4326, always_xy=True).transform(*zip(*square[:-1], strict=True))
    assert records[0]["area_km2"] == pytest.approx(geod_km2(lon, lat), rel=1e-9)


def test_projected_crs_declared_over_degrees_is_refused(hostile, tmp_path):
    path = write_fc(tmp_path / "deg.geojson", [feature(polygon(BOX))], crs="urn:ogc:def:crs:EPSG::32638")
    hostile("area", path, exit=1, says=["EPSG:32638", "--crs EPSG:4326", "lon/lat degrees"], inputs=[path])


def test_projected_crs_over_degrees_measures_right_once_corrected(hostile, tmp_path):
    path = write_fc(tmp_path / "deg.geojson", [feature(polygon(BOX))], crs="urn:ogc:def:crs:EPSG::32638")
    records, _ = measure(hostile, path, "--crs", "EPSG:4326")
    assert records[0]["area_km2"] == pytest.approx(geod_km2(*zip(*BOX[:-1], strict=True)), rel=1e-9)


def test_stdin_utm_metres_are_refused_the_same_way(hostile):
    ring = [(500_000, 4_400_000), (510_000, 4_400_000), (510_000, 4_410_000), (500_000, 4_400_000)]
    text = json.dumps(feature(polygon(ring)))
    hostile("area", "-", input=text, exit=1, says=["--crs", "not lon/lat"])


def test_latitudes_beyond_90_under_a_geographic_crs_say_swapped(hostile, tmp_path):
    swapped = [(lat, lon) for lon, lat in BOX]  # (39.5, 46.3): y > 90 is impossible only when swapped...
    swapped = [(y, 100 + x) for x, y in swapped]  # ...so push "latitudes" beyond 90
    path = write_fc(tmp_path / "swapped.geojson", [feature(polygon(swapped))])
    hostile("area", path, exit=1, says=["--swap-xy"], inputs=[path])


def test_crossings_refuses_utm_metre_lines_in_geojson(hostile, tmp_path):
    line = {"type": "LineString", "coordinates": [[500_000, 4_400_000], [510_000, 4_410_000]]}
    path = write_fc(tmp_path / "road.geojson", [feature(line, {"id": "r"})])
    hostile("crossings", path, exit=1, says=["--crs", "not degrees"], inputs=[path])


# ---------------------------------------------------------------- GeometryCollections count once
def _gc(*geoms) -> dict:
    return {"type": "GeometryCollection", "geometries": list(geoms)}


def _reference(method: str, coords) -> float:
    lon, lat = (np.array(v) for v in zip(*coords[:-1], strict=True))
    if method == "geodesic":
        return geod_km2(lon, lat)
    if method == "spherical":
        return geod_km2(lon, lat, SPHERE)
    if method == "equal-area":
        return geod_km2(lon, lat)  # equal-area agrees with the ellipsoid to < 0.01%
    if method == "utm":
        return projected_km2(lon, lat, "EPSG:32638")  # 46.35° E is in zone 38
    return mercator_km2(lon, lat)


@pytest.mark.parametrize("method", METHODS)
def test_geometry_collection_of_the_same_polygon_twice_counts_it_once(hostile, tmp_path, method):
    path = write_fc(tmp_path / "gc.geojson", [feature(_gc(polygon(BOX), polygon(BOX)))])
    records, out = measure(hostile, path, "--method", method)
    rel = 1e-4 if method == "equal-area" else 1e-9
    assert records[0]["area_km2"] == pytest.approx(_reference(method, BOX), rel=rel)
    assert "counted once" in out.stderr


def test_geometry_collection_with_overlapping_parts_measures_their_union(hostile, tmp_path):
    path = write_fc(
        tmp_path / "gc.geojson", [feature(_gc(polygon(BOX), polygon(BOX2), {"type": "Point", "coordinates": [46, 39]}))]
    )
    records, _ = measure(hostile, path)
    # the union outline, written out by hand: BOX with BOX2's north-east corner added
    union = [(46.30, 39.50), (46.40, 39.50), (46.40, 39.55), (46.45, 39.55), (46.45, 39.65), (46.35, 39.65),
             (46.35, 39.60), (46.30, 39.60), (46.30, 39.50)]  # fmt: skip
    assert records[0]["area_km2"] == pytest.approx(_reference("geodesic", union), rel=1e-9)


def test_geometry_collection_of_disjoint_parts_is_their_sum(hostile, tmp_path):
    far = [(x + 1, y) for x, y in BOX]
    path = write_fc(tmp_path / "gc.geojson", [feature(_gc(polygon(BOX), polygon(far)))])
    records, out = measure(hostile, path)
    assert records[0]["area_km2"] == pytest.approx(_reference("geodesic", BOX) + _reference("geodesic", far), rel=1e-9)
    assert "counted once" not in out.stderr


# ---------------------------------------------------------------- polar caps
@pytest.mark.parametrize("ring, lat", [(CAP_BOX, 80), (CAP_90, 80), (CAP_SOUTH, -70)], ids=["box", "90deg", "south"])
@pytest.mark.parametrize("method", ["geodesic", "equal-area", "spherical"])
def test_polar_cap_matches_the_analytic_cap(hostile, tmp_path, ring, lat, method):
    path = write_fc(tmp_path / "cap.geojson", [feature(polygon(ring))])
    records, _ = measure(hostile, path, "--method", method)
    expected = sphere_cap_km2(lat) if method == "spherical" else cap_km2(lat)
    assert records[0]["area_km2"] == pytest.approx(expected, rel=2e-6)


@pytest.mark.parametrize("method", ["utm", "web-mercator"])
def test_polar_cap_refused_where_the_projection_is_undefined(hostile, tmp_path, method):
    path = write_fc(tmp_path / "cap.geojson", [feature(polygon(CAP_BOX))])
    hostile("area", path, "--method", method, exit=2, says=[method, "latitude", "--method geodesic"], inputs=[path])


def test_ring_round_a_pole_without_the_pole_is_refused_with_the_way_to_write_it(hostile, tmp_path):
    ring = [(lon, 80.0) for lon in range(-180, 180, 10)] + [(-180, 80.0)]
    path = write_fc(tmp_path / "ring.geojson", [feature(polygon(ring))])
    hostile("area", path, "--fix", exit=1, says=["round a pole", "[180, 90]"], inputs=[path])


@pytest.mark.parametrize("method", ["geodesic", "equal-area"])
def test_polar_cap_shift_band_brackets_the_analytic_caps(hostile, tmp_path, method):
    path = write_fc(tmp_path / "cap.geojson", [feature(polygon(CAP_BOX))])
    records, _ = measure(hostile, path, "--method", method, "--shift", "1000")
    r = records[0]
    # 1000 m along the meridian at 80° N, with the meridional radius of curvature M(φ)
    e2 = F_WGS84 * (2 - F_WGS84)
    phi = math.radians(80)
    m = A_WGS84 * (1 - e2) / (1 - e2 * math.sin(phi) ** 2) ** 1.5
    dlat = math.degrees(1000 / m)
    assert r["area_km2_low"] < r["area_km2"] < r["area_km2_high"]
    assert r["area_km2_low"] == pytest.approx(cap_km2(80 + dlat), rel=1e-4)
    assert r["area_km2_high"] == pytest.approx(cap_km2(80 - dlat), rel=1e-4)


# ---------------------------------------------------------------- the antimeridian
def _am_reference(method: str) -> float:
    lon, lat = dense_ring(AM_BOX)
    if method == "geodesic":
        return geod_km2(lon, lat)
    if method == "spherical":
        return geod_km2(lon, lat, SPHERE)
    if method == "equal-area":
        return geod_km2(lon, lat)
    if method == "utm":  # the box is centred on 180°: zone 1; its meridian edges are straight chords
        return projected_km2(*dense_ring(AM_BOX, parallels_only=True), "EPSG:32601")
    return mercator_km2(lon, lat)


@pytest.mark.parametrize("method", METHODS)
def test_box_across_the_antimeridian(hostile, tmp_path, method):
    path = write_fc(tmp_path / "am.geojson", [feature(polygon(AM_BOX))])
    records, out = measure(hostile, path, "--method", method)
    rel = 1e-4 if method == "equal-area" else 1e-6
    assert records[0]["area_km2"] == pytest.approx(_am_reference(method), rel=rel)
    assert "antimeridian" in out.stderr


def test_box_split_at_the_antimeridian_as_rfc7946_asks(hostile, tmp_path):
    west = [(179, 10), (180, 10), (180, 11), (179, 11), (179, 10)]
    east = [(-180, 10), (-179, 10), (-179, 11), (-180, 11), (-180, 10)]
    path = write_fc(
        tmp_path / "split.geojson",
        [
            feature(
                {"type": "MultiPolygon", "coordinates": [polygon(west)["coordinates"], polygon(east)["coordinates"]]}
            )
        ],
    )
    for method, rel in (("geodesic", 1e-6), ("equal-area", 1e-4)):
        records, _ = measure(hostile, path, "--method", method)
        assert records[0]["area_km2"] == pytest.approx(_am_reference("geodesic"), rel=rel)


@pytest.mark.parametrize("method", ["geodesic", "equal-area", "spherical"])
def test_shift_band_across_the_antimeridian_is_the_outline_moved(hostile, tmp_path, method):
    path = write_fc(tmp_path / "am.geojson", [feature(polygon(AM_BOX))])
    records, _ = measure(hostile, path, "--method", method, "--shift", "100")
    r = records[0]
    lon, lat = dense_ring(AM_BOX)
    strip = geod_perimeter_km(lon, lat) * 0.1  # perimeter x 100 m, in km²
    area = _am_reference(method)
    assert r["area_km2_low"] < r["area_km2"] < r["area_km2_high"]
    assert r["area_km2_high"] - area == pytest.approx(strip, rel=0.01)
    assert area - r["area_km2_low"] == pytest.approx(strip, rel=0.01)


# ---------------------------------------------------------------- rotated DEMs
def write_rotated_plane(path, *, angle=30.0, n=120, cell=30.0):
    """A plane z = 1000 + 0.1 dx + 0.05 dy (metres, UTM 38N) on a grid rotated by ``angle``°."""
    x0, y0 = 500_000.0, 4_400_000.0
    transform = Affine.translation(x0, y0) * Affine.rotation(angle) * Affine.scale(cell, -cell)
    rows, cols = np.mgrid[0:n, 0:n]
    x, y = transform * (cols + 0.5, rows + 0.5)
    z = 1000 + 0.1 * (x - x0) + 0.05 * (y - y0)
    with rasterio.open(
        path, "w", driver="GTiff", height=n, width=n, count=1, dtype="float32", crs="EPSG:32638", transform=transform
    ) as dst:
        dst.write(z.astype("float32"), 1)
    return path, (x0, y0), transform


def plane(x, y, origin):
    return 1000 + 0.1 * (np.asarray(x) - origin[0]) + 0.05 * (np.asarray(y) - origin[1])


def test_rotated_dem_profile_samples_the_right_cells(hostile, tmp_path):
    dem, origin, transform = write_rotated_plane(tmp_path / "rot.tif")
    a, b = transform * (30, 60), transform * (90, 60)  # a line across the rotated grid's middle
    to_ll = pyproj.Transformer.from_crs(32638, 4326, always_xy=True)
    line = {"type": "LineString", "coordinates": [list(to_ll.transform(*a)), list(to_ll.transform(*b))]}
    path = write_fc(tmp_path / "line.geojson", [feature(line, {"id": "l"})])
    out = hostile(
        "terrain", "profile", "--dem", dem, path, "--spacing", "100", "--format", "json",
        exit=0, says=["not north-up"], inputs=[dem, path],
    )  # fmt: skip
    rows = json.loads(out.stdout)
    x, y = pyproj.Transformer.from_crs(4326, 32638, always_xy=True).transform(
        [r["lon"] for r in rows], [r["lat"] for r in rows]
    )
    np.testing.assert_allclose([r["elevation_m"] for r in rows], plane(x, y, origin), atol=0.05)


def test_rotated_dem_slope_and_cell_size(hostile, tmp_path):
    dem, _, _ = write_rotated_plane(tmp_path / "rot.tif", angle=-20.0)
    out_tif = tmp_path / "slope.tif"
    out = hostile("terrain", "slope", "--dem", dem, "-o", out_tif, exit=0, says=["cell 30.0 m"], inputs=[dem])
    assert "not north-up" in out.stderr
    with rasterio.open(out_tif) as src:
        s = src.read(1, masked=True).compressed()
    assert np.median(s[s >= 0]) == pytest.approx(math.degrees(math.atan(math.hypot(0.1, 0.05))), abs=1e-3)


def test_rotated_dem_viewshed_puts_the_observer_on_its_cell(hostile, tmp_path):
    dem, origin, transform = write_rotated_plane(tmp_path / "rot.tif", angle=45.0)
    x, y = transform * (60.5, 60.5)
    lon, lat = pyproj.Transformer.from_crs(32638, 4326, always_xy=True).transform(x, y)
    out_tif = tmp_path / "vs.tif"
    hostile(
        "terrain", "viewshed", "--dem", dem, "--observer", f"{lon},{lat}", "--max-distance", "300", "-o", out_tif,
        exit=0, says=["cell 30.0 m", "not north-up"], inputs=[dem],
    )  # fmt: skip
    with rasterio.open(out_tif) as src:
        row, col = src.index(x, y)
        vis = src.read(1)
    assert vis[row, col] == 1  # the observer's own cell, found where the plane says it is


# ---------------------------------------------------------------- crossings: lengths by row, not by id
def _line(coords) -> dict:
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


# three roads near Baku, far outside Armenia: each is one stretch outside, its whole length
ROADS = [
    ([(49.0, 40.0), (49.5, 40.2)], {"id": "r", "name": "first r"}),
    ([(49.0, 40.5), (49.4, 40.55), (50.0, 40.6)], {"id": "r", "name": "second r"}),
    ([(49.2, 40.3), (49.3, 40.35)], {}),
]


def test_crossings_lengths_are_per_row_with_missing_and_repeated_ids(hostile, tmp_path):
    path = write_fc(tmp_path / "roads.geojson", [feature(_line(c), p) for c, p in ROADS])
    out = hostile("crossings", path, "--format", "json", exit=0, inputs=[path])
    rows = json.loads(out.stdout)
    assert [r["line"] for r in rows] == [1, 2, 3]
    for row, (coords, props) in zip(rows, ROADS, strict=True):
        expected = GEOD.line_length(*zip(*coords, strict=True)) / 1e3
        assert row["line_id"] == props.get("id")
        assert row["length_km"] == pytest.approx(expected, rel=1e-9)
        assert row["line_length_km"] == pytest.approx(expected, rel=1e-9)


def test_crossings_partly_inside_armenia_reports_the_whole_line_length(hostile, tmp_path):
    coords = [(45.0, 40.2), (49.0, 40.2)]  # from inside Armenia far into Azerbaijan
    path = write_fc(tmp_path / "road.geojson", [feature(_line(coords))])
    rows = json.loads(hostile("crossings", path, "--format", "json", exit=0, inputs=[path]).stdout)
    whole = GEOD.line_length(*zip(*coords, strict=True)) / 1e3
    assert rows and all(r["line_length_km"] == pytest.approx(whole, rel=1e-9) for r in rows)
    assert 0 < sum(r["length_km"] for r in rows) < whole


def test_crossings_with_a_missing_geometry_says_so(hostile, tmp_path):
    path = write_fc(
        tmp_path / "roads.geojson",
        [feature(_line(ROADS[0][0])), {"type": "Feature", "properties": {}, "geometry": None}],
    )
    hostile("crossings", path, exit=1, says=["line features", "missing"], inputs=[path])


def test_longitudes_0_to_360_are_refused_with_the_fix(hostile, tmp_path):
    ring = [(350, 10), (359, 10), (359, 11), (350, 11), (350, 10)]
    path = write_fc(tmp_path / "east.geojson", [feature(polygon(ring))])
    hostile("area", path, exit=1, says=["0-360", "subtract 360"], inputs=[path])
