import json

import borderkit


def test_layers_lists_every_layer_with_licence(cli):
    result = cli("layers")
    assert result.exit_code == 0
    for name, layer in borderkit.layers().items():
        line = next(line for line in result.output.splitlines() if line.startswith(name + " "))
        assert layer["kind"] in line and str(layer["nrows"]) in line
    assert "OpenStreetMap" in result.output


def test_layers_show_writes_feature_collection(cli, tmp_path):
    out = tmp_path / "enclaves.geojson"
    result = cli("layers", "show", "enclaves", "-o", out)
    assert result.exit_code == 0
    data = json.loads(out.read_text())
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 4
    assert {f["properties"]["id"] for f in data["features"]} >= {"enclave-artsvashen"}


def test_layers_show_to_stdout(cli):
    result = cli("layers", "show", "lakes")
    assert json.loads(result.output)["features"][0]["properties"]["kind"] == "lake"


def test_unknown_layer_exits_2_with_close_names(cli):
    result = cli("layers", "show", "enclave")
    assert result.exit_code == 2
    assert "No layer named 'enclave'" in result.output
    assert "Did you mean: enclaves" in result.output
    assert "Traceback" not in result.output


def test_layers_check_passes(cli):
    result = cli("layers", "check")
    assert result.exit_code == 0
    assert result.output.count(" ok") == len(borderkit.layers())


def test_layers_sources(cli):
    result = cli("layers", "sources")
    assert "wof-2024" in result.output and "seed-002" in result.output
