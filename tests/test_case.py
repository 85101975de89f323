"""Cases: a second dispute made with 'case init' from two real neighbours, run through the commands.

The second case is built from the bundled layers' own polygons of two neighbours, so the
test knows its truth independently: areas against pyproj.Geod, the line against shapely's
shared boundary. A manifest error must name the file and the setting.
"""

import json

import pyproj
import pytest
import shapely

import borderkit
from borderkit.case import current, read_case, use_case

GEOD = pyproj.Geod(ellps="WGS84")


def geod_km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(shapely.geometry.polygon.orient(geom) if geom.geom_type == "Polygon"
                                            else geom)[0]) / 1e6  # fmt: skip


@pytest.fixture
def neighbours(tmp_path):
    """Write two neighbours' polygons (from the bundled countries layer) as the user's files."""
    countries = borderkit.load("countries").set_index("id")
    paths = []
    for fid in ("armenia", "azerbaijan"):
        path = tmp_path / f"{fid}.geojson"
        countries.loc[[fid], ["geometry"]].to_file(path)
        paths.append(path)
    return paths


@pytest.fixture
def new_case(cli, neighbours, tmp_path):
    folder = tmp_path / "second-case"
    result = cli("case", "init", folder, "--subject", neighbours[0], "--counterpart", neighbours[1],
                 "--codes", "AAA", "BBB")  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder


def test_init_writes_a_case_that_checks_sound(cli, new_case):
    result = cli("case", "check", new_case)
    assert result.exit_code == 0, result.output
    case = read_case(new_case)
    assert (case.subject.code, case.counterpart.code, case.default_baseline) == ("AAA", "BBB", "line")
    west, south, east, north = case.study_area
    assert west < 45 < east and south < 40 < north  # the box holds both territories


def test_the_new_case_line_is_the_shared_boundary(new_case):
    countries = borderkit.load("countries").set_index("id").geometry
    expected = shapely.intersection(countries["armenia"].boundary, countries["azerbaijan"].boundary)
    use_case(new_case)
    try:
        line = shapely.union_all(borderkit.load("line").geometry.to_numpy())
    finally:
        use_case(None)
    assert line.length == pytest.approx(expected.length, rel=1e-9)
    assert shapely.hausdorff_distance(line, expected) < 1e-9


def test_area_runs_on_the_selected_case_and_matches_geod(cli, new_case):
    result = cli("--case", new_case, "area", "countries", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r["area_km2"] for r in json.loads(result.stdout)}
    countries = borderkit.load("countries").set_index("id").geometry
    assert rows["country-aaa"] == pytest.approx(geod_km2(countries["armenia"]), rel=1e-9)
    # the command's case does not outlive it: the bundled case is active again
    assert current().name == "armenia-azerbaijan"


def test_environment_variable_selects_a_case(new_case, monkeypatch):
    monkeypatch.setenv("BORDERKIT_CASE", str(new_case))
    assert current().subject.code == "AAA"
    assert set(borderkit.layers()) == {"countries", "line", "territory"}


def test_a_command_that_needs_missing_data_says_which_file(cli, new_case):
    result = cli("--case", new_case, "reconcile", "--samples", "0")
    assert result.exit_code == 1
    assert "figures.csv" in result.output and "has only its header" in result.output


@pytest.mark.parametrize(
    "argv, layer",
    [
        (["zones"], "sectors"),
        (["timeline"], "sectors"),
        (["claims"], "claims"),
        (["events"], "events"),
        (["crossings"], "roads"),
    ],
)
def test_a_command_that_needs_a_missing_layer_names_it(cli, new_case, argv, layer):
    """Each says which layer to add and where to list it, with exit 1 and no traceback."""
    result = cli("--case", new_case, *argv)
    assert result.exit_code == 1, result.output
    assert f"has no '{layer}' layer" in result.output and "layers.json" in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize(
    "edit, says",
    [
        (lambda t: t.replace('role = "subject"', 'role = "victim"'), "role 'victim' is not one of"),
        (lambda t: t.replace('code = "AAA"', 'code = "aa"'), "code 'aa' is not an ISO 3166 alpha-3 code"),
        (lambda t: t.replace('role = "subject"', 'role = "other"'), "exactly one party has role 'subject'"),
        (lambda t: t.replace('default = "line"', 'default = "coast"'), "'default' 'coast' must be one of"),
        (lambda t: t.replace("bbox = [", "bbox = [200, "), "bbox"),
        (lambda t: t.replace('layer = "territory"', 'layer = "nowhere"'), "names layer 'nowhere'"),
        (lambda t: t + "\n[[[", "not valid TOML"),
        (lambda t: t.replace("[observed]\n", '[observed]\nmonitor = "maps"\n'), "[observed] monitor: No such file"),
        (lambda t: t.replace("[observed]\n", '[observed]\n"Bad Name" = "maps"\n'), "lower-case name"),
        (lambda t: t.replace("# communities = ", "communities = "), "names layer 'communities'"),
    ],
)
def test_check_names_the_file_and_the_setting(cli, new_case, edit, says):
    manifest = new_case / "case.toml"
    manifest.write_text(edit(manifest.read_text()))
    result = cli("case", "check", new_case)
    assert result.exit_code == 1
    assert "case.toml" in result.output and says in result.output
    assert "Traceback" not in result.output


def test_check_finds_a_tampered_layer(cli, new_case):
    path = new_case / "layers" / "line.geojson"
    path.write_text(path.read_text().replace("line-1", "line-X"))
    result = cli("case", "check", new_case)
    assert result.exit_code == 1 and "layer 'line': sha256 differs" in result.output


def test_init_refuses_a_folder_with_data_and_leaves_nothing_behind(cli, neighbours, tmp_path):
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    result = cli("case", "init", folder, "--subject", neighbours[0], "--counterpart", neighbours[1],
                 "--codes", "AAA", "BBB")  # fmt: skip
    assert result.exit_code == 2 and "not an empty folder" in result.output
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["taken", *(p.name for p in neighbours)])


def test_init_refuses_territories_that_do_not_touch(cli, tmp_path):
    countries = borderkit.load("countries").set_index("id")
    a, b = tmp_path / "a.geojson", tmp_path / "b.geojson"
    countries.loc[["armenia"], ["geometry"]].to_file(a)
    far = countries.loc[["armenia"], ["geometry"]].translate(xoff=20)
    far.to_frame("geometry").set_geometry("geometry").to_file(b)
    result = cli("case", "init", tmp_path / "c", "--subject", a, "--counterpart", b, "--codes", "AAA", "BBB")
    assert result.exit_code == 2 and "share no boundary" in result.output


def test_a_bad_case_option_is_a_usage_error(cli, tmp_path):
    result = cli("--case", tmp_path, "layers")
    assert result.exit_code == 2 and "has no case.toml" in result.output


def test_a_new_case_lists_its_sources_and_credits_only_its_own_data(cli, new_case):
    """The credit line and the sources table come from the case, not from the bundled data."""
    listing = cli("--case", new_case, "layers")
    assert listing.exit_code == 0 and "armenia.geojson and azerbaijan.geojson" in listing.output
    assert "Who's On First" not in listing.output
    sources = cli("--case", new_case, "layers", "sources")
    assert sources.exit_code == 0, sources.output
    assert "as given by the user" in sources.output


def test_the_new_case_measures_an_observed_archive_and_draws_a_map(cli, new_case, tmp_path):
    """Every command a bare case can run: an observed archive against Geod, and a map in the case's colours."""
    import geopandas as gpd

    territory = shapely.union_all(borderkit.load("countries").set_index("id").loc[["armenia"]].geometry.to_numpy())
    west, south, east, north = territory.bounds
    archive = tmp_path / "archive"
    archive.mkdir()
    held = {}
    for day, reach in (("2024-01-01", 0.2), ("2024-02-01", 0.35), ("2024-03-01", 0.25)):
        box = shapely.box(east - reach * (east - west), south, east, north)
        held[day] = shapely.intersection(territory, box)
        gpd.GeoDataFrame({"date": [day]}, geometry=[held[day]], crs=4326).to_file(archive / f"{day}.geojson")
    result = cli("--case", new_case, "timeline", "--observed", archive, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["date"]: r["area_km2"] for r in json.loads(result.stdout)}
    for day, geom in held.items():
        assert rows[day] == pytest.approx(geod_km2(geom), rel=1e-3)
    out = tmp_path / "case-map.html"
    drawn = cli("--case", new_case, "map", "-o", out)
    assert drawn.exit_code == 0, drawn.output
    page = out.read_text()
    assert "AAA (de jure territory)" in page and '<meta name="borderkit:case" content="second-case">' in page
    cited = cli("--case", new_case, "cite", out)  # a map is cited from its own meta tags
    assert cited.exit_code == 0, cited.output
    assert "Case: second-case." in cited.output and "Made with: borderkit" in cited.output  # argv: pytest's here


def _monitor_archives(folder, territory):
    """Write two monitors' archives of the same advance (they draw the front differently); return what each holds."""
    import geopandas as gpd

    west, south, east, north = territory.bounds
    reach = {"a": {"2024-01-01": 0.10, "2024-02-01": 0.20, "2024-03-01": 0.26, "2024-04-01": 0.27},
             "b": {"2024-01-01": 0.10, "2024-02-01": 0.24, "2024-03-01": 0.26, "2024-04-01": 0.27}}  # fmt: skip
    held = {}
    for monitor, days in reach.items():
        (folder / monitor).mkdir(parents=True)
        for day, share in days.items():
            ground = shapely.intersection(territory, shapely.box(east - share * (east - west), south, east, north))
            held[monitor, day] = ground
            frame = gpd.GeoDataFrame({"date": [day]}, geometry=[ground], crs=4326)
            frame.to_file(folder / monitor / f"{day.replace('-', '')}.geojson")
    return held


def _gained_km2(held, monitor, start, end) -> float:
    """Ground held at the end and not at the start, measured with pyproj.Geod (independent of borderkit)."""
    return geod_km2(shapely.difference(held[monitor, end], held[monitor, start]))


FIGURE_HEADER = ("id,value,value_high,unit,qualifier,scope,date,date_precision,who,components,precision,repeats,"
                 "supersedes,source,address,quote,evidence,note,against")  # fmt: skip


def test_a_monitors_figures_enter_the_account_and_a_mismatch_is_explained(cli, new_case):
    """'N km² taken in January' is a figure on a component measured from an archive.

    Figures that miss it are outliers, explained by another monitor's maps and other dates.
    """
    territory = shapely.union_all(borderkit.load("countries").set_index("id").loc[["armenia"]].geometry.to_numpy())
    held = _monitor_archives(new_case / "observed", territory)
    manifest = new_case / "case.toml"
    archives = '[observed]\nmonitor-a = "observed/a"\nmonitor-b = "observed/b"\n'
    manifest.write_text(manifest.read_text().replace("[observed]\n", archives))
    (new_case / "src").mkdir(exist_ok=True)
    (new_case / "src" / "components.csv").write_text(
        "id,label,claimant,holder,kind,start,end,covers,prior_low_km2,prior_high_km2,prior_basis,part_of\n"
        "jan-2024,Land taken in January 2024,AAA,BBB,episode,2024-01-01,,"
        "observed-net:monitor-a@2024-01-01/2024-02-01,0.1,,Measured from monitor A's archive,\n"
    )
    jan_a = _gained_km2(held, "a", "2024-01-01", "2024-02-01")
    jan_b = _gained_km2(held, "b", "2024-01-01", "2024-02-01")
    feb_a = _gained_km2(held, "a", "2024-02-01", "2024-03-01")
    rows = [
        f"monitor-jan,{jan_a:.0f},,km2,about,,2024-02-02,,Monitor A,jan-2024,,,,a,https://example.org/a,"
        f'"About {jan_a:.0f} square kilometres were taken in January.",,,',
        f"rival-jan,{jan_b:.0f},,km2,about,,2024-02-03,,Monitor B,jan-2024,,,,b,https://example.org/b,"
        f'"Our maps show {jan_b:.0f} square kilometres taken in January.",,,',
        f"late-jan,{feb_a:.0f},,km2,about,,2024-03-02,,A newspaper,jan-2024,,,,c,https://example.org/c,"
        f'"{feb_a:.0f} square kilometres were taken in January, the monitor says.",,,',
        # a second source repeating the rival's number: agreeing figures must not move a measurement
        f"echo-jan,{jan_b:.0f},,km2,about,,2024-02-04,,A wire service,jan-2024,,,,d,https://example.org/d,"
        f'"{jan_b:.0f} square kilometres were taken in January.",,,',
    ]
    (new_case / "figures.csv").write_text("\n".join([FIGURE_HEADER, *rows]) + "\n")
    checked = cli("case", "check", new_case)
    assert checked.exit_code == 0, checked.output
    result = cli("--case", new_case, "reconcile", "--format", "json", "--null", "20", "--resamples", "20")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (component,) = doc["components"]
    assert component["area_km2"] == pytest.approx(jan_a, rel=1e-3)  # the measurement binds: no figure moves it
    assert component["high_km2"] == pytest.approx(component["low_km2"], rel=1e-6)
    figures = {f["id"]: f for f in doc["figures"]}
    assert figures["monitor-jan"]["status"] == "fits"
    assert figures["echo-jan"]["status"] == "outlier"
    for fid, mechanism, value, words in (("rival-jan", "rendering", jan_b, "monitor-b"),
                                         ("late-jan", "other-dates", feb_a, "the period after")):  # fmt: skip
        assert figures[fid]["status"] == "outlier", figures[fid]
        found = {e["mechanism"]: e for e in figures[fid]["explanations"]}
        assert mechanism in found, figures[fid]["explanations"]
        assert found[mechanism]["value_km2"] == pytest.approx(value, rel=1e-3) and words in found[mechanism]["detail"]


def test_a_component_naming_an_unknown_archive_names_its_row(cli, new_case):
    (new_case / "src").mkdir(exist_ok=True)
    (new_case / "src" / "components.csv").write_text(
        "id,label,claimant,holder,kind,start,end,covers,prior_low_km2,prior_high_km2,prior_basis,part_of\n"
        "jan-2024,Land taken in January 2024,AAA,BBB,episode,2024-01-01,,observed-net:nobody,0.1,,x,\n"
    )
    (new_case / "figures.csv").write_text(
        FIGURE_HEADER + '\nf,5,,km2,about,,2024-02-02,,A,jan-2024,,,,a,https://example.org,"5 square km",,,\n'
    )
    result = cli("--case", new_case, "reconcile", "--samples", "0")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "row 2 (jan-2024)" in result.output and "'nobody'" in result.output and "[observed]" in result.output


COMPONENTS_HEADER = "id,label,claimant,holder,kind,start,end,covers,prior_low_km2,prior_high_km2,prior_basis,part_of\n"


def _archive_case(new_case, covers: str):
    territory = shapely.union_all(borderkit.load("countries").set_index("id").loc[["armenia"]].geometry.to_numpy())
    held = _monitor_archives(new_case / "observed", territory)
    manifest = new_case / "case.toml"
    manifest.write_text(manifest.read_text().replace("[observed]\n", '[observed]\nmonitor-a = "observed/a"\n'))
    (new_case / "src").mkdir(exist_ok=True)
    (new_case / "src" / "components.csv").write_text(
        COMPONENTS_HEADER + f"feb-2024,Land taken in February 2024,AAA,BBB,episode,2024-02-01,,{covers},,,measured,\n"
    )
    (new_case / "figures.csv").write_text(
        FIGURE_HEADER + '\nf,500,,km2,about,,2024-03-05,,A,feb-2024,,,,a,https://example.org,"500 square km",,,\n'
    )
    return held


def test_a_month_in_covers_is_the_month_observed_every_month_counts(cli, new_case):
    """@2024-02 is February as 'borderkit observed --every month' counts it (end of January to end of February)."""
    import csv
    import io

    held = _archive_case(new_case, "observed-net:monitor-a@2024-02")
    doc = json.loads(
        cli("--case", new_case, "reconcile", "--format", "json", "--null", "10", "--resamples", "5").stdout
    )
    table = cli("observed", new_case / "observed" / "a", "--every", "month", "--format", "csv").stdout
    february = next(r for r in csv.DictReader(io.StringIO(table)) if r["period_end"] == "2024-02-29")
    assert doc["components"][0]["area_km2"] == pytest.approx(float(february["net_km2"]), rel=1e-6)
    assert float(february["net_km2"]) == pytest.approx(_gained_km2(held, "a", "2024-01-01", "2024-02-01"), rel=1e-3)


@pytest.mark.parametrize(
    "covers, says",
    [
        ("observed-nett:monitor-a@2024-02", "observed-net, observed-gained, observed-lost or observed-held"),
        ("observed-net:monitor-a@2024-03-01/2024-02-01", "Give the earlier date first: @2024-02-01/2024-03-01"),
        ("observed-net:monitor-a@2024-02-30/2024-03-01", "'2024-02-30' is not a calendar date"),
        ("observed-net:monitor-a@2024-03-01", "neither a month, a year nor two dates"),
        ("observed-net:monitor-a@2024-06", "runs from 2024-01-01 to 2024-04-01"),
        ("observed-net:monitor-z@2024-02", "does not name under [observed] (it names: monitor-a)"),
        ("observed-net:monitor-a@2024-02;line:line-1", "mixes an archive with other items"),
    ],
)
def test_a_bad_archive_cover_is_named_by_check_and_reconcile(cli, new_case, covers, says):
    _archive_case(new_case, covers)
    for argv in (("case", "check", new_case), ("--case", new_case, "reconcile", "--samples", "0")):
        result = cli(*argv)
        assert result.exit_code == 1, (argv, result.output)
        assert says in " ".join(result.output.split()), (argv, result.output)
        assert "row 2 (feb-2024)" in result.output or "row 2 (id 'feb-2024')" in result.output
        assert "Traceback" not in result.output


def test_archives_are_named_as_the_manifest_names_them_and_two_monitors_share_a_map(cli, new_case, tmp_path):
    territory = shapely.union_all(borderkit.load("countries").set_index("id").loc[["armenia"]].geometry.to_numpy())
    _monitor_archives(new_case / "observed", territory)
    manifest = new_case / "case.toml"
    archives = '[observed]\nmonitor-a = "observed/a"\nmonitor-b = "observed/b"\n'
    manifest.write_text(manifest.read_text().replace("[observed]\n", archives))
    by_name = cli("--case", new_case, "observed", "monitor-b", "--every", "month", "--format", "csv")
    by_path = cli("--case", new_case, "observed", new_case / "observed" / "b", "--every", "month", "--format", "csv")
    assert (
        by_name.exit_code == 0 and by_name.stdout == by_path.stdout and by_name.stdout.count("\n") == 5
    )  # a header and four months
    out = tmp_path / "two.html"
    drawn = cli("--case", new_case, "map", "-o", out, "--observed", "monitor-a", "--observed", "monitor-b")
    assert drawn.exit_code == 0, drawn.output
    page = out.read_text()
    for name in ("monitor-a", "monitor-b"):
        assert f"Ground held on the maps of {name} (each map until the next)" in page
