"""Build borderkit's curated layers in geodata/layers/ from the raw files in geodata/raw/.

Run with ``make geodata``. Every layer gets the common feature schema (DESIGN.md) and an
entry in geodata/layers.json with its hash, row count, geometry type, CRS, sources and
licence. The output is deterministic: the same raw files give the same bytes.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Collection
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.polygon import orient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from borderkit.claims import lake_cut  # noqa: E402
from borderkit.events import DATE_PRECISIONS, EVENT_TYPES, OFFSET_FROM, POSITIONS, offset_point, placement  # noqa: E402
from borderkit.io import sha256_file, write_geojson  # noqa: E402
from borderkit.lines import distance_to_line, shared_border, split_sections  # noqa: E402
from borderkit.measure import area, length  # noqa: E402
from borderkit.zones import PROFILES, SHAPES, sector_axis, sector_stretch  # noqa: E402

GEODATA = ROOT / "geodata"
RAW = GEODATA / "raw"
OUT = GEODATA / "layers"
WOF = RAW / "whosonfirst-2024" / "wof_admin_am_az_region.gpkg"

#: The date the Soviet republics' administrative line became an international border
#: (Alma-Ata Protocol, 21 December 1991); de jure features are valid from then.
DE_JURE_DATE = "1991-12-21"

SCHEMA = ["id", "name", "kind", "claimant", "holder", "date", "end_date", "source", "method", "confidence"]

LICENCES = {
    "wof-2024": ("WOF: attribution (CC-BY/CC0 per feature)", "Data from Who's On First"),
    "osm-geo-maps-2017": ("ODbL-1.0", "© OpenStreetMap contributors (ODbL)"),
    "ne-10m": ("Public domain", "Made with Natural Earth"),
    "geoboundaries-v6": ("ODbL-1.0", "geoBoundaries, from OpenStreetMap (ODbL)"),
    "border-gazetteer": ("CC-BY-4.0 (GeoNames); WOF: attribution", "GeoNames (CC-BY 4.0)"),
    "seed-000": ("facts quoted with attribution", "The Moscow Times"),
    "seed-001": ("CC BY-SA 4.0 (quotes)", "Wikipedia contributors"),
    "seed-002": ("CC BY-SA 4.0 (quotes)", "Wikipedia contributors"),
    "seed-003": ("facts quoted with attribution", "policy brief (seed 003)"),
    "seed-004": ("facts quoted with attribution", "BM news"),
    "asbarez-2021-05-25": ("facts quoted with attribution", "Asbarez"),
    "armmod-2021-11-16": ("facts quoted with attribution", "Armenian MoD via regionpress.am"),
    "gagrule-2022-03-15": ("facts quoted with attribution", "gagrule.net"),
    "turan-2022-09-16": ("facts quoted with attribution", "Turan"),
    "azatutyun-2023-04-03": ("facts quoted with attribution", "Azatutyun / Armenian Mirror-Spectator"),
    "caucasianknot-2021-05-12": ("facts quoted with attribution", "Caucasian Knot"),
    "orbeli-2021-05-27": ("facts quoted with attribution", "Orbeli Center"),
    "zartonk-2021-05-17": ("facts quoted with attribution", "Zartonk Media / Sputnik Armenia"),
    "elbakyan-2022-09": ("facts quoted with attribution", "armenews.com / News.am"),
    "tatoyan-2024-03-04": ("facts quoted with attribution", "Tatoyan Foundation / Aravot"),
}

# Enclaves/exclaves: (id, name, de jure claimant, de facto holder, gazetteer targets inside it)
ENCLAVES = [
    ("artsvashen", "Artsvashen", "ARM", "AZE", ["Artsvashen (AM exclave)"]),
    ("karki", "Karki (Tigranashen)", "AZE", "ARM", ["Karki / Tigranashen (AZ exclave)"]),
    ("yukhari-askipara", "Yukhari Askipara", "AZE", "ARM", ["Yukhari Askipara (AZ exclave)"]),
    (
        "barkhudarly-sofulu",
        "Barkhudarly and Sofulu",
        "AZE",
        "ARM",
        ["Barkhudarly (AZ exclave)", "Sofulu (AZ exclave, Qazax)"],
    ),
]


def slug(text: str) -> str:
    """Return a lowercase ASCII slug for ids."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def schema(gdf: gpd.GeoDataFrame, **defaults) -> gpd.GeoDataFrame:
    """Fill the common schema columns (from defaults where missing) and order them first."""
    gdf = gdf.copy()
    for col in SCHEMA:
        if col not in gdf:
            gdf[col] = defaults.get(col)
    rest = [c for c in gdf.columns if c not in SCHEMA and c != "geometry"]
    out = gpd.GeoDataFrame(gdf[[*SCHEMA, *rest, "geometry"]], geometry="geometry", crs=4326)
    return out.reset_index(drop=True)


def parts(geom) -> list:
    return list(shapely.get_parts(geom))


def gazetteer() -> pd.DataFrame:
    return pd.read_csv(RAW / "gazetteer" / "border_gazetteer.csv", dtype=str)


def gazetteer_point(target: str) -> shapely.Point:
    row = gazetteer().set_index("target").loc[target]
    return shapely.Point(float(row["lon"]), float(row["lat"]))


def nakhchivan_point() -> shapely.Point:
    macro = gpd.read_file(WOF, layer="polygons_macroregion")
    nak = macro[macro["name"].str.startswith("Naxçıvan")].geometry.iloc[0]
    return nak.representative_point()


#: How far (degrees, ~3 km) a gazetteer point may lie outside a coarse source's polygon
#: and still identify it: Natural Earth's exclaves miss their villages by 0.2-1.6 km.
MATCH_DEG = 0.03


def near(p, pts) -> bool:
    """Whether polygon ``p`` holds one of ``pts``, or is a small part within MATCH_DEG of one."""
    if any(p.contains(pt) for pt in pts):
        return True
    return area(p)[0] < 1000 and any(p.distance(pt) < MATCH_DEG for pt in pts)


def label_parts(geom, labels: dict[str, list[shapely.Point]], default: str) -> gpd.GeoDataFrame:
    """Name each polygon part of ``geom`` by the label whose points it holds (see near)."""
    rows = []
    for p in parts(geom):
        name = next((k for k, pts in labels.items() if near(p, pts)), default)
        rows.append({"part": name, "geometry": p})
    return gpd.GeoDataFrame(rows, crs=4326).dissolve("part", sort=False).reset_index()


# ---------------------------------------------------------------- renderings of the countries
def renderings() -> dict[str, dict]:
    """Return, per source, the Armenia and Azerbaijan (multi)polygons, repaired where invalid."""
    wof = gpd.read_file(WOF, layer="polygons_country").set_index("country")
    osm = gpd.read_file(RAW / "osm-geo-maps-2017" / "countries_maritime_10m_caucasus.geojson").set_index("A3")
    ne = gpd.read_file(RAW / "natural-earth-10m" / "ne_countries_10m_caucasus.geojson").set_index("name")
    out = {
        "wof2024": {
            "arm": wof.geometry["AM"],
            "aze": wof.geometry["AZ"],
            "source": "wof-2024",
            "method": "Who's On First country polygons (2024-03-05 snapshot)",
            "repaired": False,
        },
        "osm2017": {
            "arm": osm.geometry["ARM"],
            "aze": osm.geometry["AZE"],
            "source": "osm-geo-maps-2017",
            "method": "OpenStreetMap 2017 political (maritime) country polygons, geo-maps 10 m",
            "repaired": False,
        },
        "ne10m": {
            "arm": ne.geometry["Armenia"],
            "aze": ne.geometry["Azerbaijan"],
            "source": "ne-10m",
            "method": "Natural Earth 1:10m country polygons",
            "repaired": False,
        },
    }
    for r in out.values():
        for k in ("arm", "aze"):
            if not r[k].is_valid:
                # 'linework' turns the nested exclave shells of the OSM polygons into holes
                r[k] = shapely.make_valid(r[k], method="linework")
                r["repaired"] = True
        if r["repaired"]:
            r["method"] += " (repaired with shapely.make_valid, method 'linework')"
    return out


def part_labels() -> dict[str, list[shapely.Point]]:
    labels = {e[1]: [gazetteer_point(t) for t in e[4]] for e in ENCLAVES}
    labels["Nakhchivan"] = [nakhchivan_point()]
    return labels


# ---------------------------------------------------------------- layers
def build_countries(r: dict) -> gpd.GeoDataFrame:
    az = label_parts(r["aze"], {"Nakhchivan": [nakhchivan_point()]}, "main")
    rows = [
        {
            "id": "armenia",
            "name": "Armenia",
            "iso3": "ARM",
            "part": "whole",
            "claimant": "ARM",
            "holder": None,
            "geometry": r["arm"],
        },
        {
            "id": "azerbaijan",
            "name": "Azerbaijan (without Nakhchivan)",
            "iso3": "AZE",
            "part": "main",
            "claimant": "AZE",
            "holder": None,
            "geometry": az.set_index("part").geometry["main"],
        },
        {
            "id": "nakhchivan",
            "name": "Nakhchivan Autonomous Republic",
            "iso3": "AZE",
            "part": "Nakhchivan",
            "claimant": "AZE",
            "holder": None,
            "geometry": az.set_index("part").geometry["Nakhchivan"],
        },
    ]
    gdf = gpd.GeoDataFrame(rows, crs=4326)
    gdf["note"] = "de jure territory, including exclaves; see the enclaves layer for who holds them"
    gdf["area_km2"] = area(gdf).round(3)
    return schema(gdf, kind="boundary", date=DE_JURE_DATE, source="wof-2024", confidence="high", method=r["method"])


def section_labels(r: dict) -> gpd.GeoDataFrame:
    """Polygons that name each section of the line: marz x (mainland | Nakhchivan | exclave)."""
    regions = gpd.read_file(WOF, layer="polygons_region")
    marz = regions[regions["country"] == "AM"][["name", "geometry"]]
    labels = part_labels()
    az = label_parts(r["aze"], {k: v for k, v in labels.items() if k != "Artsvashen"}, "mainland")
    am = label_parts(r["arm"], {"Artsvashen": labels["Artsvashen"]}, "mainland")
    # exclave perimeters first: they win ties against the marz around them
    rows = [
        {"section": f"{a['part']} exclave perimeter", "geometry": a.geometry.boundary.buffer(1e-5)}
        for _, a in pd.concat([am, az]).iterrows()
        if a["part"] not in ("mainland", "Nakhchivan")
    ]
    for _, m in marz.iterrows():
        for _, a in az[az["part"].isin(["mainland", "Nakhchivan"])].iterrows():
            inter = m.geometry.buffer(0.02).intersection(a.geometry.buffer(0.02))
            if not inter.is_empty:
                name = m["name"] if a["part"] == "mainland" else f"{m['name']}–Nakhchivan"
                rows.append({"section": name, "geometry": inter})
    return gpd.GeoDataFrame(rows, crs=4326)


def build_line(key: str, r: dict) -> gpd.GeoDataFrame:
    line = shared_border(r["arm"], r["aze"])
    sections = split_sections(line, section_labels(r))
    sections["id"] = [f"soviet-line-{key}-{slug(s)}" for s in sections["section"]]
    sections["name"] = sections["section"] + " section"
    sections["rendering"] = key
    sections["length_km"] = length(sections).round(3)
    method = f"shared edge of {r['method']}; sections by nearest Armenian marz (WOF) and Azerbaijani part"
    return schema(sections, kind="line", date=DE_JURE_DATE, source=r["source"], method=method, confidence="medium")


def enclave_parts(r: dict) -> dict[str, shapely.Geometry]:
    """Return each enclave's polygon in one rendering (absent when the rendering lacks it)."""
    found = {}
    for eid, _name, claimant, _holder, targets in ENCLAVES:
        geom = r["arm"] if claimant == "ARM" else r["aze"]
        pts = [gazetteer_point(t) for t in targets]
        hit = [p for p in parts(geom) if near(p, pts) and area(p)[0] < 1000]
        if hit:
            found[eid] = shapely.union_all(hit)
    return found


def geoboundaries_enclaves() -> dict[str, shapely.Geometry]:
    gb = gpd.read_file(RAW / "geoboundaries-v6" / "geoBoundaries-AZE-ADM1.geojson")
    found = {}
    for eid, _name, claimant, _holder, targets in ENCLAVES:
        pts = [gazetteer_point(t) for t in targets]
        for geom in gb.geometry:
            for p in parts(geom):
                if claimant == "AZE" and any(p.contains(pt) for pt in pts) and area(p)[0] < 1000:
                    found[eid] = p
                for hole in p.interiors:  # Artsvashen is a hole in contiguous Azerbaijan
                    hp = shapely.Polygon(hole)
                    if claimant == "ARM" and any(hp.contains(pt) for pt in pts):
                        found[eid] = hp
    return found


def build_enclaves(rend: dict[str, dict]) -> gpd.GeoDataFrame:
    per_source = {k: enclave_parts(r) for k, r in rend.items()}
    per_source["geoboundaries"] = geoboundaries_enclaves()
    rows = []
    for eid, name, claimant, holder, targets in ENCLAVES:
        geometry = per_source["wof2024"][eid]
        row = {"id": f"enclave-{eid}", "name": name, "claimant": claimant, "holder": holder, "geometry": geometry}
        areas = {}
        for src, found in per_source.items():
            value = round(float(area(found[eid])[0]), 3) if eid in found else None
            row[f"area_km2_{src}"] = value
            if value is not None:
                areas[src] = value
        row["area_km2_spread"] = round(max(areas.values()) - min(areas.values()), 3)
        row["sources_with_area"] = ";".join(areas)
        row["places"] = ";".join(targets)
        if eid == "barkhudarly-sofulu":
            row["note"] = (
                "WOF and OSM/geoBoundaries draw Barkhudarly and Sofulu as one polygon; "
                "Natural Earth has Barkhudarly only. Both gazetteer points fall in it."
            )
        else:
            row["note"] = "" if len(areas) == 4 else f"absent from: {', '.join(sorted(set(per_source) - set(areas)))}"
        rows.append(row)
    gdf = gpd.GeoDataFrame(rows, crs=4326)
    gdf["area_km2"] = gdf["area_km2_wof2024"]
    method = (
        "Who's On First exclave polygon; areas per source are geodesic (WGS84) areas of the "
        "matching polygon in each rendering, matched by the gazetteer point(s) it contains"
    )
    return schema(gdf, kind="enclave", date=DE_JURE_DATE, source="wof-2024", method=method, confidence="medium")


def build_lakes() -> gpd.GeoDataFrame:
    lakes = gpd.read_file(RAW / "osm-geo-maps-2017" / "lakes_10m_region.gpkg")
    named = {
        "sev-lake": ("Sev Lake (Sev Lich / Qaragol)", shapely.Point(46.2323, 39.6015), "disputed"),
        "lake-sevan": ("Lake Sevan", shapely.Point(45.3564, 40.3838), "ARM"),
    }
    rows = []
    for lid, (name, pt, claimant) in named.items():
        hit = lakes[lakes.contains(pt)].iloc[0]
        rows.append(
            {
                "id": lid,
                "name": name,
                "claimant": None if claimant == "disputed" else claimant,
                "status": claimant if claimant == "disputed" else "",
                "geometry": hit.geometry,
            }
        )
    gdf = gpd.GeoDataFrame(rows, crs=4326)
    gdf["area_km2"] = area(gdf).round(3)
    gdf["note"] = ["the Soviet-era line crosses it; claims differ on how (see seeds 002, 003)", ""]
    return schema(
        gdf,
        kind="lake",
        date=None,
        source="osm-geo-maps-2017",
        confidence="high",
        method="OpenStreetMap lake polygon (geo-maps earth-lakes-10m 0.6.0)",
    )


def build_places(countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gaz = gazetteer()
    gaz = gaz[gaz["placetype"] != "lake polygon"].copy()
    wof_pts = gpd.read_file(WOF, layer="points")
    wof_pts = wof_pts.drop_duplicates("wof_id").set_index("wof_id")
    rows = []
    for _, g in gaz.iterrows():
        wof_id = int(g["record_id"].split(":")[1]) if g["record_id"].startswith("wof:") else None
        base = re.sub(r"\s*\(.*\)$", "", g["target"]).strip()
        pid = slug(base)
        same_target = (gaz["target"] == g["target"]).sum() > 1  # one place, two gazetteer records
        same_name = gaz["target"].str.replace(r"\s*\(.*\)$", "", regex=True).eq(base).sum() > 1
        if same_target:
            pid += "-" + ("geonames" if g["record_id"].startswith("gn:") else g["placetype"])
        elif same_name:  # two different places with one name (the two Vorotans)
            pid = slug(g["target"])
        rec = wof_pts.loc[wof_id] if wof_id in wof_pts.index else None
        text = f"{g['target']} {g['note']}".lower()
        status = (
            "ambiguous"
            if same_name and not same_target
            else "exclave"
            if "exclave" in text
            else "returned-2024"
            if "returned 2024" in text
            else "ambiguous"
            if re.search(r"not |two |ambigu|other", text)
            else ""
        )
        rows.append(
            {
                "id": f"place-{pid}",
                "name": base,
                "name_hy": None if rec is None else rec.get("name_hye"),
                "name_az": None if rec is None else rec.get("name_aze"),
                "target": g["target"],
                "gazetteer_name": g["name"],
                "country_iso2": g["country"],
                "country": {"AM": "ARM", "AZ": "AZE"}.get(g["country"]),
                "placetype": g["placetype"],
                "geonames_id": None if pd.isna(g["geonameid"]) else int(g["geonameid"]),
                "record_id": g["record_id"],
                "record_source": g["source"],
                "status": status,
                "note": g["note"],
                "geometry": shapely.Point(float(g["lon"]), float(g["lat"])),
            }
        )
    gdf = gpd.GeoDataFrame(rows, crs=4326)
    gdf = gdf.replace({np.nan: None})
    return schema(
        gdf,
        kind="place",
        date=None,
        source="border-gazetteer",
        confidence="medium",
        method="gazetteer point (GeoNames / Who's On First), matched by name; see note",
    )


def build_admin(layer: str, placetype: str, countries: list[str]) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(WOF, layer=layer)
    gdf = gdf[gdf["country"].isin(countries)].copy()
    gdf = gdf.sort_values(["country", "name", "wof_id"])
    out = gpd.GeoDataFrame(
        {
            "id": [f"{placetype}-{c.lower()}-{w}" for c, w in zip(gdf["country"], gdf["wof_id"], strict=True)],
            "name": gdf["name"].to_numpy(),
            "name_hy": gdf["name_hye"].replace({"": None}).to_numpy(),
            "name_az": gdf["name_aze"].replace({"": None}).to_numpy(),
            "country": gdf["country"].map({"AM": "ARM", "AZ": "AZE"}).to_numpy(),
            "claimant": gdf["country"].map({"AM": "ARM", "AZ": "AZE"}).to_numpy(),
            "wof_id": gdf["wof_id"].astype(int).to_numpy(),
            "parent_wof_id": gdf["parent_id"].astype("Int64").to_numpy(),
            "geometry": gdf.geometry.to_numpy(),
        },
        crs=4326,
    )
    out = out.replace({np.nan: None})
    out["area_km2"] = area(out).round(3)
    return schema(
        out,
        kind="boundary",
        date=None,
        source="wof-2024",
        confidence="medium",
        method=f"Who's On First {placetype} polygons (src: quattroshapes / mesoshapes)",
    )


def resolve_location(ref: str, lon: str, lat: str, places: gpd.GeoDataFrame, line: gpd.GeoDataFrame):
    """Return (point, method, label) for an event's place reference.

    ``place-…`` is a places-layer id, ``wof:N`` a Who's On First record, ``line:SECTION``
    the middle of that section of the Soviet-era line (used when a report names only a
    province), and empty means the row's own lon/lat.
    """
    if ref.startswith("place-"):
        row = places.set_index("id").loc[ref]
        return row.geometry, f"gazetteer point of {row['name']} ({ref})", row["name"]
    if ref.startswith("wof:"):
        pts = gpd.read_file(WOF, layer="points")
        row = pts[pts["wof_id"] == int(ref[4:])].iloc[0]
        return shapely.Point(row["lon"], row["lat"]), f"Who's On First point {row['name']} ({ref})", row["name"]
    if ref.startswith("line:"):
        geom = line.set_index("section").geometry[ref[5:]]
        longest = max(shapely.get_parts(geom), key=lambda g: g.length)
        point = longest.interpolate(0.5, normalized=True)
        return point, f"middle of the {ref[5:]} section of the Soviet-era line", f"{ref[5:]} section"
    return shapely.Point(float(lon), float(lat)), "coordinates given in the source", f"{lon}, {lat}"


def source_keys() -> set[str]:
    """Return the keys of sources.json: every row's source must be one of them."""
    return {s["key"] for s in json.loads((GEODATA / "sources.json").read_text())}


def not_one_of(at: str, column: str, value: str, allowed: Collection[str]) -> list[str]:
    """Return the problem of a value outside its allowed set (naming the row and the choices), else none."""
    return [] if value in allowed else [f"{at}: {column} {value!r}; allowed: {', '.join(allowed)}"]


def _check_events(src: pd.DataFrame) -> None:
    """Refuse an events table whose rows cannot be drawn honestly; every message names the row.

    A position is ``reported`` or ``area-named`` (borderkit.events.POSITIONS). An
    area-named row must say what its report names (``named_area``: the popup's "the report
    names only …") and may not be built as a reported point (no offset); a distance offset
    needs its place and its direction; every source key, also ``position_source``, must be
    in sources.json, and a ``position_source`` needs its quote.
    """
    keys = source_keys()
    ids = set(src["id"])
    problems = []
    for i, r in src.iterrows():
        at = f"events.csv row {i + 2} ({r['id']})"
        problems += not_one_of(at, "type", r["type"], EVENT_TYPES)
        problems += not_one_of(at, "position", r["position"], POSITIONS)
        problems += not_one_of(at, "date_precision", r["date_precision"], DATE_PRECISIONS)
        if (r["position"] == "area-named") != bool(r["named_area"]):
            problems.append(f"{at}: named_area is required for area-named rows and only for them")
        if r["position"] == "area-named" and r["offset_km"]:
            problems.append(f"{at}: an area-named row has no position to offset")
        if bool(r["offset_km"]) != bool(r["offset_from"]) or (r["offset_from"] and r["offset_from"] not in OFFSET_FROM):
            problems.append(f"{at}: offset_km needs offset_from, one of {', '.join(OFFSET_FROM)}")
        if r["offset_km"] and not r["place"]:
            problems.append(f"{at}: an offset is measured from a named place; give place")
        for col in ("source", "position_source"):
            if r[col] and r[col] not in keys:
                problems.append(f"{at}: {col} {r[col]!r} is not in sources.json")
        if not r["quote"] or bool(r["position_source"]) != bool(r["position_quote"]):
            problems.append(f"{at}: give the quote, and position_quote with position_source")
        missing = [x for x in r["linked_to"].split(";") if x and x not in ids]
        if missing:
            problems.append(f"{at}: links to unknown events {missing}")
    if problems:
        raise SystemExit("\n".join(problems))


def build_events(places: gpd.GeoDataFrame, line: gpd.GeoDataFrame, countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Place each event where its report places it, and measure only what is a position.

    A reported distance ("800-900 m into our territory", "4.5 km from Jermuk") is turned
    into a point along the shortest way between the named place and the WOF line
    (:func:`borderkit.events.offset_point`). ``distance_to_line_km`` and ``in_armenia``
    are computed for reported positions only: for an area-named event they would measure
    the centre of a town the report merely names (Sisian, 14 km) as if it were a depth.
    """
    src = pd.read_csv(GEODATA / "src" / "events.csv", dtype=str, keep_default_na=False)
    _check_events(src)
    whole_line = shapely.union_all(line.geometry.to_numpy())
    located = []
    for _, r in src.iterrows():
        point, method, label = resolve_location(r["place"], r["lon"], r["lat"], places, line)
        if r["offset_km"]:
            km = float(r["offset_km"])
            point = offset_point(point, whole_line, km, r["offset_from"])
            method = (
                f"{km:g} km into the country from the Soviet-era line (WOF), from its point nearest {label} "
                f"towards it ({r['place']}), as the report gives the distance"
                if r["offset_from"] == "line"
                else f"{km:g} km from {label} ({r['place']}) towards the nearest point of the Soviet-era line (WOF), "
                "as the report gives the distance"
            )
            label = f"{km:g} km {'in from the line near' if r['offset_from'] == 'line' else 'from'} {label}"
        if r["position"] == "area-named":
            method = f"position not reported; drawn at the area the report names: {method}"
            label = f"{label} (area named, position unknown)"
        located.append((point, method, label))
    gdf = gpd.GeoDataFrame(src.drop(columns=["lon", "lat"]), geometry=[p for p, _, _ in located], crs=4326)
    gdf["method"] = [m for _, m, _ in located]
    gdf["name"] = [f"{t.capitalize()}: {label}" for t, (_, _, label) in zip(gdf["type"], located, strict=True)]
    gdf["placement"] = [
        placement(p, a, m) for p, a, (_, m, _) in zip(gdf["position"], gdf["named_area"], located, strict=True)
    ]
    for col in ("distance_km", "offset_km"):
        gdf[col] = pd.to_numeric(gdf[col]).astype(object).where(gdf[col] != "", None)
    is_position = (gdf["position"] == "reported").to_numpy()
    armenia = countries.set_index("id").geometry["armenia"]
    inside = gdf.within(armenia).to_numpy()
    depth = distance_to_line(gdf.geometry.to_numpy(), whole_line).round(3)
    gdf["in_armenia"] = [bool(x) if ok else None for x, ok in zip(inside, is_position, strict=True)]
    gdf["distance_to_line_km"] = [float(d) if ok else None for d, ok in zip(depth, is_position, strict=True)]
    gdf = gdf.replace({"": None})
    return schema(gdf, kind="event", end_date=None, claimant=None, holder=None)


#: Columns of geodata/src/sectors.csv that describe where a sector is: every parameter set of a
#: sector shares them, only the parameters (depth, width, profile), their source and weight differ.
SECTOR_SHARED = ("name", "component", "shape", "province", "anchor_a", "anchor_b", "date", "end_date")
SECTOR_NUMBERS = ("weight", "width_km", "width_min_km", "width_max_km", "depth_km", "depth_min_km", "depth_max_km")


def _sector_problems(r: pd.Series, at: str, components: set[str], keys: set[str]) -> list[str]:
    """Return what is wrong with one sectors.csv row (a sector parameter set), each naming the row."""
    found = not_one_of(at, "shape", r["shape"], SHAPES) + not_one_of(at, "profile", r["profile"], PROFILES)
    if r["component"] not in components:
        found.append(f"{at}: component {r['component']!r} is not in components.csv")
    if r["source"] not in keys:
        found.append(f"{at}: source {r['source']!r} is not in sources.json")
    if len(r["quote"]) < 20 or not r["who"] or not r["basis"]:
        found.append(f"{at}: a sector states who said it, the quote, and how the quote becomes its numbers (basis)")
    if r["shape"] == "salient" and r["anchor_b"]:
        found.append(f"{at}: a salient has one anchor, the place the push was reported towards")
    for dim in ("depth", "width"):
        lo, mid, hi = (r[f"{dim}_{k}"] for k in ("min_km", "km", "max_km"))
        if mid == "" and (lo != "" or hi != ""):
            found.append(f"{at}: {dim}_min_km/{dim}_max_km without {dim}_km")
        if mid != "" and not (float(lo or mid) <= float(mid) <= float(hi or mid)):
            found.append(f"{at}: {dim}_km {mid} is outside {dim}_min_km..{dim}_max_km")
    if r["weight"] == "" or float(r["weight"]) <= 0:
        found.append(f"{at}: weight must be > 0")
    return found


def _check_sectors(src: pd.DataFrame) -> None:
    """Refuse a sectors table that is not sourced or not consistent with components.csv.

    Every row cites who said it, its source key, the quote and our reading of it; the
    parameter sets of one sector agree on where it is; each sector belongs to exactly one
    component, and components.csv's ``covers`` names exactly the sectors of that component.
    """
    keys = source_keys()
    comps = pd.read_csv(GEODATA / "src" / "components.csv", dtype=str, keep_default_na=False)
    problems = []
    for i, r in src.iterrows():
        at = f"sectors.csv row {i + 2} ({r['sector']}, {r['parameter_set']})"
        problems += _sector_problems(r, at, set(comps["id"]), keys)
    if src.duplicated(["sector", "parameter_set"]).any():
        problems.append("sectors.csv: a (sector, parameter_set) pair is used twice")
    for sid, group in src.groupby("sector"):
        differ = [c for c in SECTOR_SHARED if group[c].nunique() > 1]
        if differ:
            problems.append(f"sectors.csv: the parameter sets of {sid} disagree on {', '.join(differ)}")
    for _, c in comps.iterrows():
        covers = {item.split(":", 1)[1] for item in c["covers"].split(";") if item.startswith("sectors:")}
        mine = set(src.loc[src["component"] == c["id"], "sector"])
        if covers != mine:
            problems.append(
                f"components.csv {c['id']}: covers sectors {sorted(covers)}, but sectors.csv gives it {sorted(mine)}"
            )
    if problems:
        raise SystemExit("\n".join(problems))


def build_sectors(places: gpd.GeoDataFrame, line: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Resolve each sector parameter set's anchors; its geometry says where the sector is.

    A ribbon's geometry is its stretch of the WOF line; a salient's is its axis, from the
    front's centre on the line to the anchor it pushes towards. One row per parameter set,
    id ``<sector>--<parameter_set>``.
    """
    src = pd.read_csv(GEODATA / "src" / "sectors.csv", dtype=str, keep_default_na=False)
    _check_sectors(src)
    pts = places.set_index("id").geometry
    for end in ("a", "b"):
        ref = src[f"anchor_{end}"]
        src[f"anchor_{end}_lon"] = [pts[r].x if r else None for r in ref]
        src[f"anchor_{end}_lat"] = [pts[r].y if r else None for r in ref]
    for col in SECTOR_NUMBERS:
        src[col] = pd.to_numeric(src[col].replace("", np.nan))
    baseline = shapely.union_all(line.geometry.to_numpy())
    geoms = [
        sector_stretch(r, baseline) if r["shape"] == "ribbon" else sector_axis(r, baseline) for _, r in src.iterrows()
    ]
    gdf = gpd.GeoDataFrame(src, geometry=geoms, crs=4326)
    gdf.insert(0, "id", gdf["sector"] + "--" + gdf["parameter_set"])
    gdf["depth_reported"] = gdf["depth_km"].notna()
    gdf["width_reported"] = gdf["width_km"].notna() | ((gdf["shape"] == "ribbon") & (gdf["anchor_b"] != ""))
    gdf["stretch_km"] = np.where(gdf["shape"] == "ribbon", length(gdf).round(3), gdf["width_km"])
    gdf["method"] = np.where(
        gdf["shape"] == "ribbon",
        "ribbon: the stretch of the WOF Soviet-era line between the anchors' nearest points",
        "salient: axis from the front's centre (the WOF line's point nearest the anchor) to the anchor",
    )
    gdf = gdf.replace({"": None, np.nan: None})
    return schema(gdf, kind="sector", claimant="ARM", holder="AZE")


def build_armenia_renderings(rend: dict[str, dict]) -> gpd.GeoDataFrame:
    rows = [
        {
            "id": f"armenia-{k}",
            "name": f"Armenia ({k})",
            "rendering": k,
            "source": r["source"],
            "method": r["method"],
            "geometry": shapely.make_valid(r["arm"]),
        }
        for k, r in rend.items()
    ]
    gdf = gpd.GeoDataFrame(rows, crs=4326)
    gdf["baseline"] = ["soviet_line" if k == "wof2024" else f"soviet_line_{k}" for k in rend]
    gdf["area_km2"] = area(gdf).round(3)
    return schema(gdf, kind="boundary", claimant="ARM", date=DE_JURE_DATE, confidence="medium")


def build_claims(built: dict[str, gpd.GeoDataFrame], countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Render each Sev Lake claim as a line: a share as an east-west cut, 'all Azerbaijani' as the shore.

    Each claim names the feature it divides in its ``feature`` column (``layer:id``, e.g.
    ``lakes:sev-lake``) and the subject's (Armenia's) share of it in ``subject_share``.
    """
    src = pd.read_csv(GEODATA / "src" / "claims.csv", dtype={"subject_share": float}, keep_default_na=False)
    armenia = countries.set_index("id").geometry["armenia"]
    geoms, methods = [], []
    for ref, share in zip(src["feature"], src["subject_share"], strict=True):
        layer, fid = ref.split(":", 1)
        lake = built[layer].set_index("id").geometry[fid]
        if share > 0:
            geoms.append(lake_cut(lake, share))
            methods.append(f"east-west line leaving {share:.1%} of the OSM lake area on the Armenian (south) side")
        else:
            geoms.append(shapely.line_merge(shapely.intersection(lake.boundary, armenia.buffer(1e-9))))
            methods.append("the lake's shore on the Armenian side of the WOF line: the whole lake in Azerbaijan")
    gdf = gpd.GeoDataFrame(src, geometry=geoms, crs=4326)
    gdf["method"] = methods
    gdf["holder"] = None
    gdf = gdf.replace({"": None})
    return schema(gdf, kind="claim", date=None)


def build_roads(places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    src = pd.read_csv(GEODATA / "src" / "roads.csv", dtype=str, keep_default_na=False)
    pts = places.set_index("id").geometry
    geoms = [shapely.LineString([pts[p] for p in w.split(";")]) for w in src["waypoints"]]
    gdf = gpd.GeoDataFrame(src, geometry=geoms, crs=4326)
    gdf["length_km"] = length(gdf).round(3)
    return schema(gdf, kind="road", date=None, claimant=None, holder=None)


# ---------------------------------------------------------------- manifest
LAYER_DOCS = {
    "countries": ("boundary", "Armenia and Azerbaijan, de jure, with Nakhchivan as its own row", ["wof-2024"]),
    "soviet_line": (
        "line",
        "The Armenia-Azerbaijan border (Soviet-era line), shared edge of the WOF "
        "country polygons, in named sections with geodesic lengths",
        ["wof-2024"],
    ),
    "soviet_line_osm2017": (
        "line",
        "Alternative rendering of the Soviet-era line from OpenStreetMap 2017 polygons (repaired), same sections",
        ["osm-geo-maps-2017"],
    ),
    "soviet_line_ne10m": (
        "line",
        "Alternative rendering of the Soviet-era line from Natural Earth 1:10m, same sections",
        ["ne-10m"],
    ),
    "enclaves": (
        "enclave",
        "Enclaves/exclaves with de jure claimant, de facto holder and their area in each source",
        ["wof-2024", "osm-geo-maps-2017", "ne-10m", "geoboundaries-v6", "border-gazetteer"],
    ),
    "lakes": ("lake", "Sev Lake (on the line) and Lake Sevan", ["osm-geo-maps-2017"]),
    "places": (
        "place",
        "Every place named in the seed reports, with GeoNames / WOF ids and ambiguities",
        ["border-gazetteer", "wof-2024"],
    ),
    "provinces": ("boundary", "Armenian marzes and Azerbaijani rayons/regions", ["wof-2024"]),
    "communities": ("boundary", "Armenian community (localadmin) polygons", ["wof-2024"]),
    "events": (
        "event",
        "Dated reported incidents (incursions, positions, strikes, clashes, checkpoints, handovers) from "
        "the seed reports and published pages, with quotes; each placed where its report places it "
        "(position 'reported') or marked 'area-named' when the report names only a town, province or "
        "area; conflicting accounts are separate, linked features",
        [
            "seed-000",
            "seed-002",
            "seed-003",
            "seed-004",
            "asbarez-2021-05-25",
            "armmod-2021-11-16",
            "gagrule-2022-03-15",
            "turan-2022-09-16",
            "azatutyun-2023-04-03",
            "border-gazetteer",
            "wof-2024",
        ],
    ),
    "sectors": (
        "sector",
        "Occupation-model sectors, one row per parameter set (geodata/src/sectors.csv): where a source "
        "reports ground taken, its shape (ribbon along a stretch, or salient of a front width and depth "
        "towards an anchor), the stated depth and width (empty: not reported), who said it, the quote and "
        "its reading, a weight, and the account component it belongs to; geometry = a ribbon's stretch "
        "of the WOF line, or a salient's axis from the line to its anchor",
        [
            "seed-000",
            "seed-002",
            "seed-003",
            "caucasianknot-2021-05-12",
            "orbeli-2021-05-27",
            "zartonk-2021-05-17",
            "turan-2022-09-16",
            "elbakyan-2022-09",
            "tatoyan-2024-03-04",
            "azatutyun-2023-04-03",
            "wof-2024",
        ],
    ),
    "claims": (
        "claim",
        "Claimed lines at Sev Lake, one per account (Soviet map per seed 003, 1975 maps per seed 002, "
        "Azerbaijan's map), with the feature each divides (layer:id) and the Armenian (subject's) share each "
        "states",
        ["seed-002", "seed-003", "osm-geo-maps-2017", "wof-2024"],
    ),
    "roads": (
        "road",
        "LOW CONFIDENCE: the Goris-Kapan road as straight segments through the villages the reports name "
        "(no surveyed road geometry is available offline); use your own road file for analysis",
        ["border-gazetteer"],
    ),
    "armenia_renderings": (
        "boundary",
        "Armenia as each baseline rendering draws it (WOF 2024, OSM 2017 repaired, Natural Earth), "
        "so zones are clipped to the polygon their baseline bounds",
        ["wof-2024", "osm-geo-maps-2017", "ne-10m"],
    ),
}


def manifest_entry(name: str, path: Path, gdf: gpd.GeoDataFrame, sources: list[str]) -> dict:
    kind, description, srcs = LAYER_DOCS[name]
    lic = [LICENCES[s] for s in srcs]
    return {
        "name": name,
        "filename": f"layers/{path.name}",
        "kind": kind,
        "description": description,
        "geometry_type": sorted(set(gdf.geom_type)),
        "nrows": int(len(gdf)),
        "ncols": int(gdf.shape[1]),
        "crs": "EPSG:4326",
        "hash": sha256_file(path),
        "sources": srcs,
        "license": "; ".join(dict.fromkeys(x[0] for x in lic)),
        "attribution": "; ".join(dict.fromkeys(x[1] for x in lic)),
        **({"rendering_of": "soviet_line"} if name.startswith("soviet_line_") else {}),
    }


def check(gdf: gpd.GeoDataFrame, name: str, known: set[str]) -> None:
    bad = gdf[~gdf.is_valid]
    if len(bad):
        raise SystemExit(f"{name}: invalid geometries: {bad['id'].tolist()}")
    if gdf["id"].duplicated().any():
        raise SystemExit(f"{name}: duplicate ids {gdf.loc[gdf['id'].duplicated(), 'id'].tolist()}")
    unknown = set(gdf["source"]) - known
    if unknown:
        raise SystemExit(f"{name}: sources not in sources.json: {unknown}")


def main() -> int:
    """Build every layer, write it, and write the manifest."""
    OUT.mkdir(parents=True, exist_ok=True)
    known_sources = source_keys()
    rend = renderings()
    countries = build_countries(rend["wof2024"])
    layers = {
        "countries": countries,
        "soviet_line": build_line("wof2024", rend["wof2024"]),
        "soviet_line_osm2017": build_line("osm2017", rend["osm2017"]),
        "soviet_line_ne10m": build_line("ne10m", rend["ne10m"]),
        "enclaves": build_enclaves(rend),
        "lakes": build_lakes(),
        "places": build_places(countries),
        "provinces": build_admin("polygons_region", "province", ["AM", "AZ"]),
        "communities": build_admin("polygons_localadmin", "community", ["AM"]),
    }
    layers["events"] = build_events(layers["places"], layers["soviet_line"], countries)
    layers["sectors"] = build_sectors(layers["places"], layers["soviet_line"])
    layers["armenia_renderings"] = build_armenia_renderings(rend)
    layers["claims"] = build_claims(layers, countries)
    layers["roads"] = build_roads(layers["places"])
    seen: set[str] = set()
    entries = []
    for name, gdf in layers.items():
        for geom_col in ("geometry",):
            gdf[geom_col] = [
                orient(g)
                if g.geom_type == "Polygon"
                else shapely.MultiPolygon([orient(p) for p in g.geoms])
                if g.geom_type == "MultiPolygon"
                else g
                for g in gdf[geom_col]
            ]
        check(gdf, name, known_sources)
        clash = seen & set(gdf["id"])
        if clash:
            raise SystemExit(f"{name}: ids used by another layer: {sorted(clash)[:5]}")
        seen |= set(gdf["id"])
        path = OUT / f"{name}.geojson"
        write_geojson(gdf, path)
        entries.append(manifest_entry(name, path, gdf, LAYER_DOCS[name][2]))
        print(f"{name:22s} {len(gdf):4d} rows  {path.stat().st_size / 1e6:6.2f} MB", file=sys.stderr)
    manifest = {"version": 1, "layers": entries}
    (GEODATA / "layers.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
