import json

import numpy as np
import pyproj
import pytest
import shapely

import borderkit
from borderkit.errors import DataIntegrityError, UnknownLayerError
from borderkit.measure import area
from borderkit.registry import SCHEMA, Layer, data_dir, verify

LAYER_NAMES = list(borderkit.layers())


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_manifest_matches_file(name):
    assert verify(name) == []


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_layer_schema_crs_and_validity(name):
    gdf = borderkit.load(name)
    assert gdf.crs.to_epsg() == 4326
    assert [c for c in SCHEMA if c not in gdf.columns] == []
    assert gdf.is_valid.all(), gdf.loc[~gdf.is_valid, "id"].tolist()
    assert gdf["id"].is_unique
    assert set(gdf["confidence"].dropna()) <= {"high", "medium", "low"}


def test_ids_unique_across_layers():
    ids = [i for name in LAYER_NAMES for i in borderkit.load(name)["id"]]
    assert len(ids) == len(set(ids))


def test_every_feature_source_resolves():
    keys = set(borderkit.sources()["key"])
    for name in LAYER_NAMES:
        assert set(borderkit.load(name)["source"]) <= keys, name
        assert set(borderkit.layers()[name]["sources"]) <= keys, name


def test_every_layer_has_licence_and_attribution(registry):
    for layer in registry.values():
        assert layer["license"] and layer["attribution"]


def test_countries_valid_and_disjoint():
    c = borderkit.load("countries")
    geoms = c.geometry.to_numpy()
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            overlap = shapely.intersection(geoms[i], geoms[j])
            assert area(overlap)[0] < 1e-6, (c.id[i], c.id[j])
    assert set(c["id"]) >= {"armenia", "azerbaijan", "nakhchivan"}


def test_armenia_area_within_half_percent_of_official():
    c = borderkit.load("countries").set_index("id")
    km2 = area(c.loc[["armenia"]])[0]
    assert abs(km2 - 29_743) / 29_743 < 0.005, km2


def test_enclave_spread_across_sources_is_reported_and_small():
    e = borderkit.load("enclaves").set_index("id")
    assert set(e.index) == {
        "enclave-artsvashen",
        "enclave-karki",
        "enclave-yukhari-askipara",
        "enclave-barkhudarly-sofulu",
    }
    cols = [c for c in e.columns if c.startswith("area_km2_") and c != "area_km2_spread"]
    values = e[cols].astype(float)
    spread = (values.max(axis=1) - values.min(axis=1)).round(3)
    np.testing.assert_allclose(spread, e["area_km2_spread"].astype(float), atol=1e-3)
    assert (e["area_km2_spread"] < 10).all(), e["area_km2_spread"]
    # Artsvashen ~40 km2 (data README): every source within a few km2 of that
    assert values.loc["enclave-artsvashen"].between(33, 42).all()
    assert e.loc["enclave-artsvashen", "holder"] == "AZE" and e.loc["enclave-artsvashen", "claimant"] == "ARM"
    assert (e.drop("enclave-artsvashen")["holder"] == "ARM").all()


def test_places_lie_in_their_country_except_marked():
    places = borderkit.load("places")
    c = borderkit.load("countries")
    arm = c.loc[c.id == "armenia"].geometry.iloc[0]
    aze = shapely.union_all(c.loc[c.iso3 == "AZE"].geometry.to_numpy())
    checked = 0
    for _, p in places.iterrows():
        if p["status"] in ("exclave", "ambiguous", "disputed"):
            continue
        poly = arm if p["country"] == "ARM" else aze
        assert poly.buffer(0.005).contains(p.geometry), (p["id"], p["country"])
        checked += 1
    assert checked >= 25
    # the gazetteer's known ambiguities are recorded, not guessed away
    assert (places["name"] == "Vorotan").sum() == 2
    karmrakar = places[places["name"].str.startswith("Karmrakar")]
    assert len(karmrakar) == 1 and "Shirak" in karmrakar["note"].iloc[0]


def test_soviet_line_sections_and_lengths():
    line = borderkit.load("soviet_line")
    sections = set(line["section"])
    assert {
        "Tavush",
        "Gegharkunik",
        "Vayots Dzor",
        "Syunik",
        "Syunik–Nakhchivan",
        "Ararat–Nakhchivan",
        "Artsvashen exclave perimeter",
    } <= sections
    # the stored lengths against GeographicLib directly (not the function that made them)
    geod = pyproj.Geod(ellps="WGS84")
    direct = [geod.geometry_length(g) / 1000 for g in line.geometry]
    np.testing.assert_allclose(line["length_km"], direct, rtol=0, atol=5e-4)  # stored to the metre
    assert 950 < line["length_km"].sum() < 1050  # the border is about 1,000 km long


@pytest.mark.parametrize("rendering", ["soviet_line_osm2017", "soviet_line_ne10m"])
def test_alternative_renderings_follow_the_same_line(rendering):
    ref = shapely.union_all(borderkit.load("soviet_line").geometry.to_numpy())
    alt = borderkit.load(rendering)
    assert borderkit.layers()[rendering]["rendering_of"] == "soviet_line"
    # every alternative vertex lies within 5 km of the reference line; they are the same border
    pts = shapely.points(shapely.get_coordinates(alt.geometry.to_numpy()))
    assert shapely.distance(ref, pts).max() < 0.05


def test_lakes_include_sev_lake_and_sevan():
    lakes = borderkit.load("lakes").set_index("id")
    sev = lakes.loc["sev-lake"].geometry
    assert sev.contains(shapely.Point(46.2323, 39.6015))
    assert 1.9 < area(sev)[0] < 2.1
    assert 1200 < area(lakes.loc["lake-sevan"].geometry)[0] < 1300


def test_query_name_is_lenient_and_unknown_names_list_close_ones(registry):
    assert registry.query_name("Soviet-Line")["name"] == "soviet_line"
    with pytest.raises(UnknownLayerError, match="Did you mean: soviet_line"):
        registry.query_name("soviet lin")


def test_layer_requires_keys():
    with pytest.raises(DataIntegrityError, match="lacks filename"):
        Layer(name="x", kind="line")


def test_tampered_layer_is_detected(tmp_path, monkeypatch):
    src = data_dir()
    (tmp_path / "layers").mkdir()
    for f in ("case.toml", "layers.json", "sources.json"):
        (tmp_path / f).write_text((src / f).read_text())
    text = (src / "layers" / "lakes.geojson").read_text()
    (tmp_path / "layers" / "lakes.geojson").write_text(text.replace("Lake Sevan", "Lake Sevan!"))
    monkeypatch.setenv("BORDERKIT_GEODATA", str(tmp_path))
    assert verify("lakes") == ["sha256 differs"]
    manifest = json.loads((tmp_path / "layers.json").read_text())
    manifest["layers"] = [e | {"nrows": 99} if e["name"] == "lakes" else e for e in manifest["layers"]]
    (tmp_path / "layers.json").write_text(json.dumps(manifest))
    from borderkit.registry import _manifest

    _manifest.cache_clear()
    try:
        with pytest.raises(DataIntegrityError, match="2 rows \\(manifest: 99\\)"):
            borderkit.load("lakes")
    finally:
        _manifest.cache_clear()
