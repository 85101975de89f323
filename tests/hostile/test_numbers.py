"""Hostile input, class 4: no silent wrong numbers.

Every number checked here is compared with independent arithmetic: pyproj.Geod called
directly (on rings this file densifies itself), the analytic area of a polar cap on the
WGS84 ellipsoid, Mercator's formula, a plane's own equation. Never with borderkit's own
functions. Inputs are small and everything runs in-process.
"""

from __future__ import annotations

import json
import math
import warnings

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


def ring_lonlat(coords) -> tuple[np.ndarray, np.ndarray]:
    """A lon/lat ring's vertices for pyproj.Geod: longitudes unwrapped (an edge of more than
    180° crosses ±180°), the closing vertex dropped (Geod closes rings itself). Edges between
    them are geodesics, as GeographicLib, PostGIS geography and QGIS take them."""
    lon = np.array([c[0] for c in coords], float)
    lat = np.array([c[1] for c in coords], float)
    d = np.diff(lon)
    d = np.where(np.abs(d) > 180, d - 360 * np.sign(d), d)
    lon = np.r_[lon[0], lon[0] + np.cumsum(d)]
    return lon[:-1], lat[:-1]


def whole_ellipsoid_km2() -> float:
    """The WGS84 ellipsoid's surface: twice the cap poleward of the equator, 4πR_q² (R_q authalic)."""
    return 2 * cap_km2(0.0)


def laea_km2(lon, lat, lon0: float, lat0: float) -> float:
    """Shoelace area of the vertices in a LAEA centred on (lon0, lat0) (pyproj does the projection)."""
    return projected_km2(lon, lat, f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")


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
@pytest.mark.parametrize("ring, lat", [(CAP_BOX, 80), (CAP_SOUTH, -70)], ids=["box", "south"])
@pytest.mark.parametrize("method", ["geodesic", "equal-area", "spherical"])
def test_polar_cap_matches_the_analytic_cap(hostile, tmp_path, ring, lat, method):
    # an edge from -180° to +180° is the whole parallel: the only way round a pole in lon/lat
    path = write_fc(tmp_path / "cap.geojson", [feature(polygon(ring))])
    records, _ = measure(hostile, path, "--method", method)
    expected = sphere_cap_km2(lat) if method == "spherical" else cap_km2(lat)
    assert records[0]["area_km2"] == pytest.approx(expected, rel=2e-6)


@pytest.mark.parametrize("method", ["geodesic", "equal-area", "spherical"])
def test_cap_with_vertices_90_degrees_apart_has_geodesic_edges(hostile, tmp_path, method):
    # every ordinary edge is a geodesic (as in GeographicLib, PostGIS geography, QGIS): the four
    # edges along 80° N cut poleward, so the polygon is the geodesic square round the pole
    path = write_fc(tmp_path / "cap.geojson", [feature(polygon(CAP_90))])
    records, out = measure(hostile, path, "--method", method)
    lon, lat = [-180, -90, 0, 90], [80] * 4
    expected = {
        "geodesic": geod_km2(lon, lat),
        "spherical": geod_km2(lon, lat, SPHERE),
        "equal-area": laea_km2(lon, lat, 0, 90),  # straight chords in the polar projection
    }[method]
    assert records[0]["area_km2"] == pytest.approx(expected, rel=1e-9)
    assert expected < 0.66 * cap_km2(80)  # a square inscribed in the cap: 2/π of it
    assert "geodesic" in out.stderr and "parallel" in out.stderr  # the note says how to follow the parallel


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
    lon, lat = ring_lonlat(AM_BOX)  # 179 -> 181: the short way across ±180°
    if method == "geodesic":
        return geod_km2(lon, lat)
    if method == "spherical":
        return geod_km2(lon, lat, SPHERE)
    if method == "equal-area":
        return laea_km2(lon, lat, 180, 10.5)
    if method == "utm":  # the box is centred on 180°: zone 1
        return projected_km2(lon, lat, "EPSG:32601")
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
    halves = geod_km2(*ring_lonlat(west)) + geod_km2(*ring_lonlat(east))  # two 1° geodesics, not one of 2°
    for method, rel in (("geodesic", 1e-9), ("equal-area", 1e-4)):
        records, _ = measure(hostile, path, "--method", method)
        assert records[0]["area_km2"] == pytest.approx(halves, rel=rel)


@pytest.mark.parametrize("method", ["geodesic", "equal-area", "spherical"])
def test_shift_band_across_the_antimeridian_is_the_outline_moved(hostile, tmp_path, method):
    path = write_fc(tmp_path / "am.geojson", [feature(polygon(AM_BOX))])
    records, _ = measure(hostile, path, "--method", method, "--shift", "100")
    r = records[0]
    strip = geod_perimeter_km(*ring_lonlat(AM_BOX)) * 0.1  # perimeter x 100 m, in km²
    area = _am_reference(method)
    assert r["area_km2_low"] < r["area_km2"] < r["area_km2_high"]
    assert r["area_km2_high"] - area == pytest.approx(strip + 0.04, rel=0.005)  # + 4d² at the corners
    assert area - r["area_km2_low"] == pytest.approx(strip - 0.04, rel=0.005)


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


# ---------------------------------------------------------------- the whole world, and more than a hemisphere
WORLD = [(-180, -90), (180, -90), (180, 90), (-180, 90), (-180, -90)]
HOLE_BOX = [(45.5, 40.0), (45.5, 40.1), (45.6, 40.1), (45.6, 40.0), (45.5, 40.0)]


def test_whole_world_is_the_whole_ellipsoid_and_a_mask_is_it_minus_the_hole(hostile, tmp_path):
    path = write_fc(
        tmp_path / "mask.geojson",
        [feature(polygon(WORLD, HOLE_BOX), {"id": "world-minus-box"}), feature(polygon(WORLD), {"id": "world"})],
    )
    records, _ = measure(hostile, path)
    whole = whole_ellipsoid_km2()
    assert whole == pytest.approx(510_065_621.724, abs=0.001)  # GeographicLib's documented WGS84 surface
    hole = geod_km2(*ring_lonlat(HOLE_BOX))
    assert records[1]["area_km2"] == pytest.approx(whole, rel=1e-12)
    assert whole - records[0]["area_km2"] == pytest.approx(hole, rel=1e-6)  # 94.748 km², not -94.748


def test_whole_world_on_the_sphere(hostile, tmp_path):
    path = write_fc(tmp_path / "world.geojson", [feature(polygon(WORLD, HOLE_BOX)), feature(polygon(WORLD))])
    records, _ = measure(hostile, path, "--method", "spherical")
    sphere = 4 * math.pi * MEAN_RADIUS**2 / 1e6
    assert records[1]["area_km2"] == pytest.approx(sphere, rel=1e-12)
    assert sphere - records[0]["area_km2"] == pytest.approx(geod_km2(*ring_lonlat(HOLE_BOX), SPHERE), rel=1e-6)


def test_whole_world_through_the_api():
    import shapely

    import borderkit

    assert borderkit.area(shapely.box(-180, -90, 180, 90))[0] == pytest.approx(whole_ellipsoid_km2(), rel=1e-12)


@pytest.mark.parametrize(
    "method, says",
    [
        ("equal-area", ["equal-area", "hemisphere", "--method geodesic"]),
        ("utm", ["utm", "latitude", "--method geodesic"]),
        ("web-mercator", ["web-mercator", "latitude", "--method geodesic"]),
    ],
)
def test_whole_world_is_refused_by_the_planar_methods(hostile, tmp_path, method, says):
    path = write_fc(tmp_path / "world.geojson", [feature(polygon(WORLD, HOLE_BOX))])
    hostile("area", path, "--method", method, exit=2, says=says, inputs=[path])


def test_whole_world_shift_band_is_refused(hostile, tmp_path):
    path = write_fc(tmp_path / "world.geojson", [feature(polygon(WORLD))])
    hostile(
        "area", path, "--shift", "100", exit=2, says=["--shift 100", "hemisphere", "without --shift"], inputs=[path]
    )


def test_bands_and_hemispheres_follow_their_full_parallels(hostile, tmp_path):
    boxes = [(-180, 0, 180, 90), (-180, -90, 180, 0), (-180, -60, 180, 60)]
    path = write_fc(
        tmp_path / "bands.geojson",
        [feature(polygon([(w, s), (e, s), (e, n), (w, n), (w, s)])) for w, s, e, n in boxes],
    )
    records, _ = measure(hostile, path)
    half = cap_km2(0.0)
    # the full parallels are followed by geodesic chords every 0.1°: within 5e-7 of each cap
    assert [r["area_km2"] for r in records] == pytest.approx([half, half, 2 * half - 2 * cap_km2(60)], rel=1e-7)


def test_box_with_edges_spanning_180_degrees_has_geodesic_edges_over_the_poles(hostile, tmp_path):
    # (-90, -60) to (90, -60) is a geodesic over the south pole; the four edges are the great
    # circle of the ±90° meridians, which bounds a hemisphere. The note says how to follow parallels.
    ring = [(-90, -60), (90, -60), (90, 60), (-90, 60), (-90, -60)]
    path = write_fc(tmp_path / "big.geojson", [feature(polygon(ring), {"id": "big"})])
    records, out = measure(hostile, path)
    assert records[0]["area_km2"] == pytest.approx(cap_km2(0.0), rel=1e-9)
    assert "along a parallel" in out.stderr and "segmentize" in out.stderr


# ---------------------------------------------------------------- continuity: a 0.2 mm move is a tiny change
def test_area_does_not_jump_when_a_vertex_moves_0_2_mm(hostile, tmp_path):
    feats = [
        feature(polygon([(-120, 49), (-100, lat2), (-100, 60), (-120, 60), (-120, 49)]), {"id": f"lat2={lat2!r}"})
        for lat2 in (49.0, 49.000000002)
    ]
    path = write_fc(tmp_path / "par.geojson", feats)
    records, out = measure(hostile, path, "--no-axis-check")
    for rec, lat2 in zip(records, (49.0, 49.000000002), strict=True):
        assert rec["area_km2"] == pytest.approx(geod_km2([-120, -100, -100, -120], [49, lat2, 60, 60]), rel=1e-9)
    # the move (2e-9° = 0.22 mm) times half the 1,460 km edge: about 1.6e-4 km², nothing like 47,000
    assert abs(records[0]["area_km2"] - records[1]["area_km2"]) < 1e-3
    assert "along a parallel" in out.stderr


# ---------------------------------------------------------------- --shift: each feature in its own projection
def offset_quad_km2(corners, d: float, lon0: float, lat0: float) -> float:
    """Move each edge of a convex counter-clockwise lon/lat quadrilateral ``d`` metres outward
    (inward when negative) in a LAEA centred on (lon0, lat0), meet the moved edges at mitred
    corners, take the corners back to lon/lat (pyproj) and measure them with Geod."""
    laea = f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m"
    fwd = pyproj.Transformer.from_crs(4326, laea, always_xy=True)
    back = pyproj.Transformer.from_crs(laea, 4326, always_xy=True)
    pts = np.column_stack(fwd.transform(*zip(*corners, strict=True)))
    n = len(pts)
    lines = []
    for i in range(n):
        p, q = pts[i], pts[(i + 1) % n]
        t = (q - p) / np.hypot(*(q - p))
        lines.append((p + d * np.array([t[1], -t[0]]), t))  # right of a CCW edge is outside
    moved = []
    for i in range(n):  # corner i joins the moved edges i-1 and i
        (p1, t1), (p2, t2) = lines[i - 1], lines[i]
        s, _ = np.linalg.solve(np.column_stack([t1, -t2]), p2 - p1)
        moved.append(p1 + s * t1)
    lon, lat = back.transform(*np.array(moved).T)
    return geod_km2(lon, lat)


def _box(w, s, e, n):
    return [(w, s), (e, s), (e, n), (w, n), (w, s)]


FAR_BOXES = [(45.5, 40.0, 45.6, 40.1), (-120.0, 40.0, -119.9, 40.1), (170.0, -40.0, 170.1, -39.9)]


def test_shift_band_of_a_feature_does_not_depend_on_the_other_rows(hostile, tmp_path):
    one = write_fc(tmp_path / "one.geojson", [feature(polygon(_box(*FAR_BOXES[0])))])
    far = write_fc(tmp_path / "far.geojson", [feature(polygon(_box(*b))) for b in FAR_BOXES])
    alone, _ = measure(hostile, one, "--shift", "1000", "--no-axis-check")
    together, _ = measure(hostile, far, "--shift", "1000", "--no-axis-check")
    for key in ("area_km2", "area_km2_low", "area_km2_high"):
        assert together[0][key] == pytest.approx(alone[0][key], rel=1e-12)  # was 54.2-143.4 with the others
    for rec, (w, s, e, n) in zip(together, FAR_BOXES, strict=True):
        corners = _box(w, s, e, n)[:-1]
        lon0, lat0 = (w + e) / 2, (s + n) / 2
        assert rec["area_km2_low"] == pytest.approx(offset_quad_km2(corners, -1000, lon0, lat0), rel=1e-7)
        assert rec["area_km2_high"] == pytest.approx(offset_quad_km2(corners, 1000, lon0, lat0), rel=1e-7)
    # and the attacker's sanity arithmetic: a box of area A and perimeter P, mitred, is A ± P·d + 4d²
    a = geod_km2(*ring_lonlat(_box(*FAR_BOXES[0])))
    p = geod_perimeter_km(*ring_lonlat(_box(*FAR_BOXES[0])))
    assert alone[0]["area_km2_low"] == pytest.approx(a - p * 1.0 + 4.0, rel=1e-3)  # 59.5 km²
    assert alone[0]["area_km2_high"] == pytest.approx(a + p * 1.0 + 4.0, rel=1e-3)  # 138.0 km²


def test_equal_area_of_a_feature_does_not_depend_on_the_other_rows(hostile, tmp_path):
    far = write_fc(tmp_path / "far.geojson", [feature(polygon(_box(*b))) for b in FAR_BOXES])
    records, _ = measure(hostile, far, "--method", "equal-area", "--no-axis-check")
    for rec, (w, s, e, n) in zip(records, FAR_BOXES, strict=True):
        lon, lat = ring_lonlat(_box(w, s, e, n))
        assert rec["area_km2"] == pytest.approx(laea_km2(lon, lat, (w + e) / 2, (s + n) / 2), rel=1e-9)


# ---------------------------------------------------------------- UTM far outside its zone
def test_utm_over_many_zones_is_refused(hostile, tmp_path):
    path = write_fc(
        tmp_path / "wide.geojson",
        [feature(polygon(_box(45, 40, 45.1, 40.1))), feature(polygon(_box(105, 40, 105.1, 40.1)))],
    )
    hostile(
        "area",
        path,
        "--method",
        "utm",
        "--no-axis-check",
        exit=2,
        says=["UTM zone", "--method geodesic"],
        inputs=[path],
    )


def test_utm_across_a_zone_boundary_uses_the_zone_of_the_centre(hostile, tmp_path):
    ring = _box(47.9, 40.0, 48.1, 40.1)  # centre 48.0° E: zone 39 (48-54° E)
    path = write_fc(tmp_path / "edge.geojson", [feature(polygon(ring))])
    records, _ = measure(hostile, path, "--method", "utm")
    assert records[0]["area_km2"] == pytest.approx(projected_km2(*ring_lonlat(ring), "EPSG:32639"), rel=1e-9)


# ---------------------------------------------------------------- --crs: a projected CRS over degrees, other bodies
def test_projected_crs_given_over_degrees_is_refused_naming_the_size(hostile, tmp_path):
    path = write_fc(tmp_path / "zone.geojson", [feature(polygon(HOLE_BOX))])
    hostile(
        "area", path, "--crs", "EPSG:32638",
        exit=2, says=["EPSG:32638", "10 cm", "--crs EPSG:4326", "--no-axis-check"], inputs=[path],
    )  # fmt: skip


def test_projected_crs_over_degrees_is_measured_as_asked_with_no_axis_check(hostile, tmp_path):
    path = write_fc(tmp_path / "zone.geojson", [feature(polygon(HOLE_BOX))])
    records, _ = measure(hostile, path, "--crs", "EPSG:32638", "--no-axis-check")
    lon, lat = pyproj.Transformer.from_crs(32638, 4326, always_xy=True).transform(*ring_lonlat(HOLE_BOX))
    assert records[0]["area_km2"] == pytest.approx(geod_km2(lon, lat), rel=1e-6)  # 0.01 m²: tiny, as asked


@pytest.mark.parametrize("crs", ["+proj=longlat +R=1 +no_defs", "+proj=longlat +a=1", "IAU_2015:30100"])
def test_crs_of_another_body_is_refused(hostile, tmp_path, crs):
    path = write_fc(tmp_path / "zone.geojson", [feature(polygon(HOLE_BOX))])
    hostile("area", path, "--crs", crs, exit=2, says=["--crs", "not the Earth", "EPSG:4326"], inputs=[path])


# ---------------------------------------------------------------- NaN and infinite coordinates
def _nan_polygon(value=float("nan")):
    import shapely

    with warnings.catch_warnings():  # shapely warns building it; borderkit must not
        warnings.simplefilter("ignore", RuntimeWarning)
        return shapely.Polygon([(45.5, 40), (value, 40), (45.6, 40.1), (45.5, 40.1)])


def _nan_files(tmp_path):
    import geopandas as gpd
    import shapely

    bad = _nan_polygon()
    gdf = gpd.GeoDataFrame({"id": ["bad", "good"]}, geometry=[bad, shapely.box(45.7, 40, 45.8, 40.1)], crs=4326)
    gpkg = tmp_path / "nan.gpkg"
    gdf.to_file(gpkg)
    inf = gdf.copy()
    inf.geometry = [_nan_polygon(float("inf")), gdf.geometry[1]]
    parquet = tmp_path / "inf.parquet"
    inf.to_parquet(parquet)
    return gpkg, parquet


def test_nan_or_inf_vertex_names_its_feature_only(hostile, tmp_path):
    for path in _nan_files(tmp_path):
        out = hostile("area", path, exit=1, says=["not finite", "#1 id='bad'", "vertex 2"], inputs=[path])
        assert "good" not in out.output and "pole" not in out.output


def test_nan_vertex_through_the_api_spoils_only_its_own_feature():
    import shapely

    import borderkit
    from borderkit.errors import GeometryError

    bad = _nan_polygon()
    with pytest.raises(GeometryError, match=r"1 feature\(s\) \(#1\)"):
        borderkit.area([bad, shapely.box(45.7, 40, 45.8, 40.1)])


@pytest.mark.xfail(reason="io.py (not measure/validate) reports a NaN first vertex as 'ring is not closed'")
def test_nan_first_vertex_is_named_as_nan(hostile, tmp_path):
    import struct

    import geopandas as gpd
    import shapely

    path = tmp_path / "first.gpkg"
    gpd.GeoDataFrame({"id": ["bad"]}, geometry=[shapely.box(45.5, 40, 45.6, 40.1)], crs=4326).to_file(path)
    path.write_bytes(path.read_bytes().replace(struct.pack("<d", 45.6), struct.pack("<d", float("nan"))))
    hostile("area", path, exit=1, says=["not finite", "id='bad'"], inputs=[path])


# ---------------------------------------------------------------- DEMs: untagged nodata, infinities, one cell
ZONE = [(45.5, 40.0), (45.6, 40.0), (45.6, 40.1), (45.5, 40.1), (45.5, 40.0)]
ROAD = [(45.45, 40.05), (45.75, 39.9)]


def _dem(path, z, cell=0.001):
    with rasterio.open(
        path, "w", driver="GTiff", height=z.shape[0], width=z.shape[1], count=1, dtype="float32",
        crs="EPSG:4326", transform=Affine(cell, 0, 45.4, 0, -cell, 40.2),
    ) as dst:  # fmt: skip
        dst.write(z.astype("float32"), 1)
    return path


def _zone_and_road(tmp_path):
    zone = write_fc(tmp_path / "zone.geojson", [feature(polygon(ZONE), {"id": "z1"})])
    road = write_fc(tmp_path / "road.geojson", [feature(_line(ROAD), {"id": "r1"})])
    return zone, road


def test_untagged_arcgis_nodata_is_not_an_elevation(hostile_process, tmp_path):
    z = np.full((400, 400), 1000.0)
    z[140:160, :] = -3.4028235e38  # ArcGIS's float32 nodata, with no nodata tag
    dem = _dem(tmp_path / "arc.tif", z)
    zone, road = _zone_and_road(tmp_path)
    out = hostile_process(
        "terrain", "surface-area", "--dem", dem, zone, "--format", "json",
        exit=0, says=["-3.4028235e+38", "no data", "gdal_edit.py -a_nodata"], inputs=[dem, zone],
    )  # fmt: skip
    rec = json.loads(out.stdout)[0]
    flat = geod_km2(*ring_lonlat(ZONE))
    assert rec["ratio"] == pytest.approx(1.0, abs=1e-9)  # a flat DEM: the surface is the plane (was 6e37)
    assert rec["surface_km2"] == pytest.approx(flat, rel=1e-9)
    assert "RuntimeWarning" not in out.stderr
    out = hostile_process(
        "terrain", "profile", "--dem", dem, road, "--format", "json",
        exit=0, says=["-3.4028235e+38"], inputs=[dem, road],
    )  # fmt: skip
    heights = [r["elevation_m"] for r in json.loads(out.stdout)]
    assert all(h is None or h == pytest.approx(1000.0, abs=1e-3) for h in heights)  # was -3.4e38 m
    assert any(h is None for h in heights) and any(h is not None for h in heights)
    assert "RuntimeWarning" not in out.stderr


def test_infinite_dem_cells_are_no_data_with_a_note(hostile_process, tmp_path):
    z = np.full((400, 400), 1000.0)
    z[140:160, :] = np.inf
    z[100:110, :] = -np.inf
    dem = _dem(tmp_path / "inf.tif", z)
    zone, _ = _zone_and_road(tmp_path)
    out = hostile_process(
        "terrain", "surface-area", "--dem", dem, zone, "--format", "json",
        exit=0, says=["cells of inf", "no data"], inputs=[dem, zone],
    )  # fmt: skip
    assert json.loads(out.stdout)[0]["surface_km2"] == pytest.approx(geod_km2(*ring_lonlat(ZONE)), rel=1e-9)
    assert "RuntimeWarning" not in out.stderr


def test_dem_with_only_implausible_values_is_refused(hostile, tmp_path):
    dem = _dem(tmp_path / "all.tif", np.full((400, 400), -3.4028235e38))
    zone, _ = _zone_and_road(tmp_path)
    hostile(
        "terrain", "surface-area", "--dem", dem, zone,
        exit=1, says=["no data", "outside any elevation on Earth"], inputs=[dem, zone],
    )  # fmt: skip


def test_one_cell_dem_larger_than_the_area_says_so(hostile, tmp_path):
    dem = _dem(tmp_path / "one.tif", np.array([[5.0]]), cell=0.4)
    zone, road = _zone_and_road(tmp_path)
    hostile("terrain", "profile", "--dem", dem, road, exit=1, says=["no elevation", "cells of"], inputs=[dem, road])
    hostile(
        "terrain", "surface-area", "--dem", dem, zone, exit=1, says=["covers no complete DEM cell"], inputs=[dem, zone]
    )
