import datetime as dt
import html
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import borderkit
import borderkit.render as render
from borderkit.mapdata import latest_date, map_frames, map_labels, state_on
from borderkit.registry import sources
from borderkit.render import build_map, escape_properties, explore, explore_layers, simplify_coverage, to_html

XSS = '<img src=x onerror="window.__bk_xss=1">'


@pytest.fixture(scope="module")
def frames():
    return map_frames(samples=0)


@pytest.fixture(scope="module")
def made():
    """The default map and its report, built once (the account behind it takes ~2 s): the tests only read them."""
    return render.make_map(samples=0)


def _html(frames, *, offline=True, **kwargs):
    f, attributions, summary = frames
    m, report = build_map(f, sources=sources(), attributions=attributions, summary=summary, **kwargs)
    return to_html(m, offline=offline), report


def test_two_builds_are_byte_identical(frames):
    a, _ = _html(frames)
    b, _ = _html(frames)
    assert a == b


def test_offline_has_no_remote_scripts_or_styles(frames):
    text, _ = _html(frames)
    import re

    assert not re.search(r'<script[^>]+src="https?://', text)
    assert not re.search(r'<link[^>]+href="https?://', text)
    assert "leaflet@1.9.3 (BSD-2-Clause)" in text


def test_layers_attribution_legend_and_summary_in_html(frames):
    text, report = _html(frames)
    for label in (
        "Soviet-era line (WOF 2024)",
        "Modelled zones (illustrative, calibrated)",
        "Reported events",
        "Legend",
    ):
        assert label in text
    assert "OpenStreetMap contributors (ODbL)" in text and "Who" in text
    assert "Data: Who" in text and "Data: Data from" not in text  # one 'Data:' before the credits
    assert "Land held, on" in text and "not surveyed lines" in text
    assert "Modelled area" not in text  # no uncalibrated total
    assert "timelineSliderControl" in text
    assert report.simplification and abs(report.simplification[0]["change_pct"]) < 0.01


def test_property_values_are_escaped():
    gdf = gpd.GeoDataFrame(
        {"name": [XSS], "source": ["x"], "area_km2": [1.5]}, geometry=[shapely.Point(45, 40)], crs=4326
    )
    out = escape_properties(gdf, ["name", "area_km2"])
    assert out["name"][0] == html.escape(XSS) and "<img" not in out["name"][0]
    assert out["area_km2"][0] == "1.500"


def test_coverage_simplification_keeps_shared_edges():
    countries = borderkit.load("countries").set_index("id")
    simplified, change = simplify_coverage(countries, 500)
    arm, aze = simplified.geometry["armenia"], simplified.geometry["azerbaijan"]
    assert borderkit.area(shapely.intersection(arm, aze))[0] < 1e-6  # no overlap

    # the shared border is still shared edge for edge: where the outlines are within 1 m they coincide
    def shared(a, b):
        exact = borderkit.length(shapely.intersection(a.boundary, b.boundary))[0]
        near = borderkit.length(shapely.intersection(a.boundary, b.buffer(1e-5)))[0]
        return exact, near

    exact, near = shared(arm, aze)
    assert exact == pytest.approx(near, rel=0.005) and exact > 700
    # simplifying each polygon on its own (the naive way) breaks the shared edge
    alone = shapely.simplify(countries.geometry.to_numpy(), 500 / 111_000)
    exact_alone, near_alone = shared(alone[0], alone[1])
    assert near_alone - exact_alone > 10  # km of border where the two outlines no longer coincide
    assert (
        shapely.get_num_coordinates(simplified.geometry).sum() < shapely.get_num_coordinates(countries.geometry).sum()
    )
    assert abs(change["change_pct"]) < 0.5


def test_explore_returns_a_map_and_draws_onto_an_existing_one():
    folium = pytest.importorskip("folium")
    m = explore(["countries", "soviet_line"], basemap="none")
    assert isinstance(m, folium.Map)
    m2 = folium.Map()
    assert explore(["lakes"], m=m2, basemap="none") is m2
    rendered = m2.get_root().render()
    assert "Lakes" in rendered


def test_cli_map_writes_refuses_foreign_files_and_png(cli, tmp_path):
    out = tmp_path / "map.html"
    result = cli("map", "-o", out, "--offline", "--samples", "0", "--png", tmp_path / "map.png")
    assert result.exit_code == 0, result.output
    assert out.read_text().count('content="borderkit map"') == 1
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
    assert "simplified countries as a coverage" in result.stderr
    again = cli("map", "-o", out, "--samples", "0")  # our own previous output: replaced
    assert again.exit_code == 0
    foreign = tmp_path / "notes.html"
    foreign.write_text("<html>my notes</html>")
    refused = cli("map", "-o", foreign, "--samples", "0")
    assert refused.exit_code == 2 and "--overwrite" in refused.output
    assert foreign.read_text() == "<html>my notes</html>"
    assert cli("map", "-o", foreign, "--samples", "0", "--overwrite").exit_code == 0


def test_cli_map_bad_inputs(cli, tmp_path):
    bad_date = cli("map", "-o", tmp_path / "m.html", "--date", "2022/12/31", "--samples", "0")
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output
    bad_layer = cli("map", "-o", tmp_path / "m.html", "--layers", "countrys", "--samples", "0")
    assert bad_layer.exit_code == 2 and "Did you mean: countries" in bad_layer.output
    (tmp_path / "bad.geojson").write_text("not json")
    bad_add = cli("map", "-o", tmp_path / "m.html", "--add", tmp_path / "bad.geojson", "--samples", "0")
    assert bad_add.exit_code == 1 and "is not GeoJSON, GeoPackage" in bad_add.output
    assert not (tmp_path / "m.html").exists()


def test_user_layer_is_validated_and_escaped(cli, tmp_path):
    path = tmp_path / "mine.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": XSS},
                        "geometry": {"type": "Point", "coordinates": [46.0, 39.7]},
                    }
                ],
            }
        )
    )
    out = tmp_path / "m.html"
    assert cli("map", "-o", out, "--add", path, "--offline", "--samples", "0").exit_code == 0
    text = out.read_text()
    assert XSS not in text
    assert html.escape(XSS).replace("&", "\\u0026") in text  # escaped, then JSON-encoded by folium


def test_zone_and_event_dates_suit_the_time_slider_and_bad_dates_are_noted(frames):
    f, _, _ = frames
    for name in ("zones", "events"):
        assert pd.to_datetime(f[name]["end"], format="ISO8601").notna().all(), name
    bad = gpd.GeoDataFrame(
        {"name": ["a", "b"], "start": ["soon", "2021-05-12"], "end": "2022-01-01"},
        geometry=[shapely.Point(45, 40), shapely.Point(45.1, 40)],
        crs=4326,
    )
    m, report = build_map({"mine": bad}, sources=sources(), attributions=[], tolerance_m=0)
    assert report.notes == [
        "layer 'mine': not every feature has start and end dates (YYYY-MM-DD), so it is drawn without the time slider."
    ]
    assert "timelineSliderControl" not in to_html(m)


def test_explore_layers_onto_a_built_map_stays_in_the_layer_control():
    folium = pytest.importorskip("folium")
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(45, 40)], crs=4326)
    m, _ = build_map({"places": gdf}, sources=sources(), attributions=[], tolerance_m=0)
    explore_layers(gdf, name="mine", m=m, label="My layer")
    kinds = [type(child) for child in m._children.values()]
    # the control lists the layers defined before it in the page's script
    assert kinds.index(folium.LayerControl) > max(i for i, k in enumerate(kinds) if k is folium.FeatureGroup)
    assert '"My layer"' in to_html(m)


def test_projected_frames_are_drawn_in_lonlat_and_unknown_ones_refused():
    import geopandas as gpd
    import shapely

    from borderkit.errors import UsageError
    from borderkit.render import explore_layers

    box = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(45.5, 40.0, 45.6, 40.1)], crs=4326)
    html = explore_layers(box.to_crs(32638), name="utm").get_root().render()
    assert "551215" not in html and "45.5" in html  # metres never written as degrees
    with pytest.raises(UsageError, match="no CRS"):
        explore_layers(box.to_crs(32638).set_crs(None, allow_override=True), name="bare")


def test_offline_switch_is_honoured(frames):
    online, _ = _html(frames, offline=False)
    offline, _ = _html(frames)
    assert 'src="https://' in online and 'src="https://' not in offline


def test_default_date_is_the_latest_dated_feature(frames):
    f, _, summary = frames
    dates = [
        d
        for name in ("events", "zones")
        for col in ("date", "end_date")
        for d in f[name][col]
        if isinstance(d, str) and d
    ]
    assert max(dates) == latest_date(f["events"], f["zones"])
    assert summary["date"] == max([*dates, *(r["date"] for r in summary["figures"])])  # the headline's figures too
    # open-ended zones and events end on that date (the slider's last day), not months after it
    assert set(f["zones"].loc[f["zones"]["end_date"].isna(), "end"]) == {summary["date"]}
    assert set(f["events"]["end"]) == {summary["date"]}


def test_headline_is_the_account_read_from_reconcile(frames):
    from borderkit.reconcile import reconcile

    _, _, summary = frames
    account = reconcile(null=0, renderings=False)
    last = max(account.totals, key=lambda t: t.date)
    state = state_on(summary, summary["date"])
    shown = {round(t["area_km2"], 6): (t["low_km2"], t["high_km2"]) for t in state["totals"]}
    assert round(last.area_km2, 6) in shown
    assert shown[round(last.area_km2, 6)] == pytest.approx((last.low_km2, last.high_km2))
    # before the first total, no total is shown; on each total's date, that total is
    first = min(t.date for t in account.totals)
    assert state_on(summary, (first - dt.timedelta(days=1)).isoformat())["totals"] == []
    on_first = state_on(summary, first.isoformat())["totals"]
    assert [t["area_km2"] for t in on_first] == [t.area_km2 for t in account.totals if t.date == first]
    # every figure is listed with its scope (components) and status
    assert {f["id"] for f in summary["figures"]} == {f.id for f in account.figures}
    for f in account.figures:
        row = next(r for r in summary["figures"] if r["id"] == f.id)
        assert row["covers"] == " + ".join(f.components) and row["status_key"] == f.status


def test_zones_say_what_they_are_calibrated_to(frames):
    from borderkit.calibrate import account_zones

    f, _, _ = frames
    targets = {c.component: c.target_km2 for c in account_zones().components}
    for comp, extent in zip(f["zones"]["component"], f["zones"]["extent"], strict=True):
        if comp in targets and extent.startswith("illustrative"):
            assert extent == f"illustrative extent, calibrated to {targets[comp]:.1f} km² (account, {comp})"
    assert any(e.startswith("illustrative extent, calibrated to") for e in f["zones"]["extent"])


def test_labels_are_the_places_the_events_name():
    places, events = borderkit.load("places"), borderkit.load("events")
    labels = map_labels(places, events, first=["place-jermuk"])
    assert labels["name"].iloc[0] == "Jermuk" and list(labels["rank"]) == list(range(len(labels)))
    named = set(places.loc[places["id"].isin(events["place"]), "name"])
    assert set(labels["name"]) == named | {"Jermuk"}
    counts = events["place"].value_counts()
    rest = labels.iloc[1:]
    assert [-counts.get(i, 0) for i in rest["id"]] == sorted(-counts.get(i, 0) for i in rest["id"])


def test_popups_have_readable_keys_and_no_nan(frames):
    text, _ = _html(frames, offline=False)
    assert "; nan" not in text and '"nan"' not in text
    assert '"Source"' in text and '"source_title"' not in text.split("aliases")[-1][:2000]


def test_one_rendering_of_the_line_by_default_and_control_collapsed(made):
    m, _ = made
    html = to_html(m)
    assert '"collapsed": true' in html
    groups = {c.layer_name: c.show for c in m._children.values() if hasattr(c, "layer_name")}
    assert groups["Soviet-era line (WOF 2024)"] is True
    assert groups["Soviet-era line (OSM 2017)"] is False and groups["Soviet-era line (Natural Earth)"] is False


def test_to_html_is_the_same_after_the_map_was_displayed():
    m = explore(["countries", "zones", "events", "places"], basemap="none")
    before = to_html(m)
    m._repr_html_()
    to_html(m)
    assert to_html(m) == before


def test_layer_control_is_written_after_layers_added_later():
    folium = pytest.importorskip("folium")
    m = explore(["countries", "soviet_line"], basemap="none")
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(45, 40)], crs=4326)
    gdf.explore(m=m, name="mine")
    html = to_html(m)
    assert any(isinstance(c, folium.GeoJson) and c.layer_name == "mine" for c in m._children.values())
    name = re.search(r'"mine" : (\w+)', html).group(1)  # the variable the layer control lists
    assert html.index(f"var {name} =") < html.index("L.control.layers(")


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_print_map_formats(cli, tmp_path, suffix):
    out = tmp_path / f"map.{suffix}"
    result = cli("map", "-o", tmp_path / "m.html", "--samples", "0", "--print", out)
    assert result.exit_code == 0, result.output
    head = out.read_bytes()[:200]
    assert {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[suffix] in head
    if suffix == "png":
        from PIL import Image

        with Image.open(out) as image:
            assert image.info["dpi"] == pytest.approx((300, 300), abs=0.1)
    if suffix == "svg":
        text = out.read_text()
        for words in ("The account on", "Published figures", "Legend", "Sources:", "km", "°E", "°N"):
            assert words in text, words


def test_print_refuses_an_unknown_extension(cli, tmp_path):
    result = cli("map", "-o", tmp_path / "m.html", "--samples", "0", "--print", tmp_path / "map.tiff")
    assert result.exit_code == 2 and ".png, .svg, .pdf" in result.output


def test_print_map_labels_places_without_collisions(made):
    from borderkit.staticmap import draw_static_map

    _, report = made
    fig = draw_static_map(report)
    ax = fig.axes[0]
    names = set(report.labels["name"])
    texts = [t for t in ax.texts if t.get_text() in names]
    assert len(texts) >= 5
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert ax.get_xticks().size == 0 and ax.get_xlabel() == ""  # a graticule, no degree axes


def test_print_map_lists_every_figure_without_overlaps(made):
    """The print page's side panel holds every figure to the date (none cut off), and no two texts overlap."""
    from borderkit.staticmap import draw_static_map

    _, report = made
    fig = draw_static_map(report)
    on = report.summary["date"]
    figures = [f for f in report.summary["figures"] if f["date"] <= on and f.get("status_key") != "repeats"]
    texts = [t for t in fig.texts if t.get_text().strip()]
    words = [t.get_text() for t in texts]
    assert len(figures) >= 20
    for f in figures:
        assert f"{f['said']}, {f['date']}" in words, f["id"]
    assert not any("more figures" in w for w in words)
    renderer = fig.canvas.get_renderer()
    panel = [t.get_window_extent(renderer) for t in texts if t.get_position()[0] >= 0.6]
    width = fig.get_figwidth() * fig.dpi
    assert all(b.x1 <= width for b in panel)  # nothing runs off the page
    # no two panel texts overlap (shrunk by a pixel: neighbouring lines may touch)
    shrunk = [b.shrunk(0.98, 0.8) for b in panel]
    assert not any(a.overlaps(b) for i, a in enumerate(shrunk) for b in shrunk[i + 1 :])


def test_print_legend_keys_match_the_symbols(made):
    """Hatched layers have hatched keys over a faint fill; 'area named' events a dashed hollow ring, as drawn."""
    from borderkit.staticmap import draw_static_map

    _, report = made
    fig = draw_static_map(report)
    legend = fig.legends[0]
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    keys = dict(zip([t.get_text().replace("\n", " ") for t in legend.get_texts()], legend.legend_handles, strict=True))
    hatched = [h for label, h in keys.items() if "hatched" in label or "illustrative" in label]
    assert len(hatched) == 2
    assert all(h.get_hatch() == "////" and h.get_facecolor()[3] < 0.5 for h in hatched)
    ring = next(h for label, h in keys.items() if "hollow ring" in label)  # the artist the legend drew
    assert type(ring).__name__ == "Circle" and ring.get_facecolor()[3] == 0
    assert ring.get_linestyle() not in ("-", "solid")


def test_the_map_follows_the_case_files_it_was_built_from(tmp_path):
    """The account behind a map is kept per version of the case's files: a changed figures file is seen."""
    import shutil

    from borderkit.case import current, use_case

    folder = tmp_path / "case"
    shutil.copytree(current().folder, folder)
    use_case(folder)
    try:
        _, before = render.make_map(samples=0)
        path = folder / current().files["figures"]
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        table.iloc[:-1].to_csv(path, index=False)  # the last figure withdrawn
        _, after = render.make_map(samples=0)
    finally:
        use_case(None)
    dropped = table["id"].iloc[-1]
    assert dropped in {f["id"] for f in before.summary["figures"]}
    assert {f["id"] for f in after.summary["figures"]} == {f["id"] for f in before.summary["figures"]} - {dropped}


def test_a_user_layers_own_properties_show_as_escaped_text_in_its_popups(cli, tmp_path):
    """The user's columns reach the popup as one line of text (keys included), never as HTML or field names."""
    import geopandas as gpd
    import shapely

    path = tmp_path / "survey.geojson"
    hostile = '<img src=x onerror="window.__bk_xss=1">'
    gpd.GeoDataFrame(
        {"cover": [0.5, 0.7], "survey": ["team A 2023", hostile], hostile: ["v", None]},
        geometry=[shapely.Point(45, 40).buffer(0.05), shapely.Point(45.3, 40.2).buffer(0.05)],
        crs=4326,
    ).to_file(path)
    out = tmp_path / "m.html"
    assert cli("map", "-o", out, "--samples", "0", "--add", path).exit_code == 0
    page = out.read_text()
    assert "cover: 0.5 \\u00b7 survey: team A 2023" in page  # the user's own keys and values, in order
    assert hostile not in page and "onerror=\\u0026quot;" in page  # escaped, key and value alike
    assert f"Your layer: {path}" in page and "user:1:" not in page.split("<body>", 1)[1].split("<script")[0]


def test_print_area_keys_have_the_fill_of_what_is_drawn():
    """The Lakes and country keys are filled like the polygons on the page (colour and opacity), not paler or darker."""
    import numpy as np

    from borderkit.staticmap import draw_static_map

    _, report = render.make_map(samples=0)
    fig = draw_static_map(report)
    legend = fig.legends[0]
    keys = dict(zip([t.get_text().replace("\n", " ") for t in legend.get_texts()], legend.legend_handles, strict=True))
    drawn = [tuple(np.round(fc, 3)) for c in fig.axes[0].collections for fc in c.get_facecolors()[:1]]
    for label in ("Lakes", *(k for k in keys if "(de jure territory)" in k)):
        face = tuple(np.round(keys[label].get_facecolor(), 3))
        assert face in drawn, (label, face, drawn)
