import datetime as dt
import json
from pathlib import Path

import pytest

import borderkit
from borderkit.errors import UsageError
from borderkit.events import EVENT_TYPES, parse_date, select_events

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="module")
def events():
    return borderkit.load("events")


def test_at_least_30_dated_located_events(events):
    assert len(events) >= 30
    assert events.geometry.notna().all() and (events.geom_type == "Point").all()
    assert all(isinstance(parse_date(d), dt.date) for d in events["date"])
    assert set(events["type"]) <= set(EVENT_TYPES)
    assert set(events["confidence"]) <= {"high", "medium", "low"}


def test_sources_resolve_to_registry_and_seed_files(events):
    sources = borderkit.sources().set_index("key")
    for key in set(events["source"]):
        assert key in sources.index
        assert sources.loc[key, "file"].startswith("seeds/")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds not present beside the checkout")
def test_every_quote_is_in_its_seed(events):
    sources = borderkit.sources().set_index("key")

    def norm(text):
        return " ".join(text.replace("–", "-").replace("’", "'").split())

    for _, ev in events.iterrows():
        seed = norm((SEEDS.parent / sources.loc[ev["source"], "file"]).read_text())
        for piece in ev["quote"].split(" ... "):
            assert norm(piece.replace("[Sev] ", "")) in seed.replace("[Sev] ", ""), (ev["id"], piece[:60])


def test_places_resolve_and_links_are_mutual(events):
    place_ids = set(borderkit.load("places")["id"])
    for ref in events["place"].dropna():
        assert ref in place_ids or ref.startswith(("wof:", "line:")), ref
    by_id = events.set_index("id")
    for eid, links in by_id["linked_to"].dropna().items():
        for other in links.split(";"):
            assert eid in (by_id.loc[other, "linked_to"] or "").split(";"), (eid, other)


def test_conflicting_accounts_of_27_may_2021_are_both_kept(events):
    may27 = events[events["date"] == "2021-05-27"]
    assert set(may27["reported_by"]) >= {"Azerbaijani Ministry of Defence", "Russian media (Aviapro)"}
    assert may27["linked_to"].notna().all()


def test_named_incidents_are_recorded(events):
    text = " ".join(events["id"])
    for key in [
        "sev-lake",
        "khoznavar",
        "yeraskh",
        "karmrakar",
        "shurnukh",
        "vorotan",
        "kut",
        "2021-11-16",
        "norabak",
        "2022-01-11-verin-shorzha",
        "2022-09-13-goris",
        "2022-09-13-jermuk",
        "tegh",
        "sotk",
        "nerkin-hand",
        "handover",
    ]:
        assert key in text, key
    assert (events["type"] == "handover").sum() == 4


def test_reported_positions_in_armenia_are_near_the_line(events):
    # positions/incursions with a stated depth lie within a few km of the line, as reported
    stated = events[events["distance_km"].notna() & events["in_armenia"]]
    assert len(stated) >= 3
    assert (stated["distance_to_line_km"] <= stated["distance_km"].astype(float) + 1).all()


def test_select_events_filters(events):
    may = select_events(events, start="2021-05-01", end="2021-05-31")
    assert len(may) >= 10 and may["date"].between("2021-05-01", "2021-05-31").all()
    blockades = select_events(events, types=("checkpoint/blockade",))
    assert set(blockades["type"]) == {"checkpoint/blockade"}
    with pytest.raises(UsageError, match="not a date"):
        select_events(events, start="May 2021")
    with pytest.raises(UsageError, match="Allowed: incursion"):
        select_events(events, types=("invasion",))


def test_cli_events(cli, tmp_path):
    result = cli("events", "--from", "2022-09-01", "--to", "2022-09-30")
    assert result.exit_code == 0
    assert "Vardenis" in result.output and "as reported" in result.output
    out = tmp_path / "ev.geojson"
    assert cli("events", "--type", "handover", "--format", "geojson", "-o", out).exit_code == 0
    assert len(json.loads(out.read_text())["features"]) == 4
    records = json.loads(cli("events", "--type", "strike", "--format", "json").stdout)
    assert records and all(r["type"] == "strike" and r["quote"] for r in records)
    bad = cli("events", "--from", "12/05/2021")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
