"""The modelled area under a scenario: which baseline, scope, date, method and unit.

A :class:`Scenario` names every choice that changes a figure. :class:`AreaModel` holds
the data (sectors, baseline renderings, the subject's regions, exclaves) and turns a
scenario and a date into the number a publisher would have printed. Pure: no I/O; zones
are cached. The case (:mod:`borderkit.case`) supplies the data through
:func:`borderkit.registry.area_model`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod

from borderkit.claims import territory_under_claim
from borderkit.errors import UsageError
from borderkit.measure import UNITS, area
from borderkit.zones import _transformer, active, breakdown, primary, zones

__all__ = ["Scenario", "AreaModel", "datum_offset", "MI2_PER_KM2"]

#: km² in one square mile (used for the unit mix-up hypotheses).
MI2_PER_KM2 = UNITS["mi2"] / UNITS["km2"]


@dataclasses.dataclass(frozen=True)
class Scenario:
    """Every choice that turns the zones into a published number; the defaults are borderkit's."""

    baseline: str | None = None  # None: the model's default baseline (the case's)
    time_scope: str = "cumulative"  # or "episode": only the latest episode up to the date
    space_scope: str = "all"  # or a region (province) name
    exclaves: bool = False  # add the subject's exclaves the counterpart holds
    method: str = "geodesic"
    unit_mixup: str = "none"  # "mi2-read-as-km2" | "km2-read-as-mi2"
    depth_scale: float = 1.0

    def changes(self) -> dict:
        """Return the fields that differ from the default scenario."""
        default = Scenario()
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }


def datum_offset(lon: float, lat: float, datum: str | None) -> tuple[float, float, float]:
    """Return (dlon, dlat, metres) that ``datum`` -> WGS84 moves a point, computed with pyproj.

    Historical maps use their own datum (the manifest's ``datum``, e.g. ``EPSG:4284``).
    Coordinates read off them but taken as WGS84 are misplaced by this vector (about
    105 m for the bundled case). ``datum=None``: no offset.
    """
    if datum is None:
        return 0.0, 0.0, 0.0
    x, y = _transformer(datum, 4326).transform(lon, lat)
    _, _, dist = Geod(ellps="WGS84").inv(lon, lat, x, y)
    return x - lon, y - lat, float(dist)


class AreaModel:
    """Sectors + baseline renderings -> the figure a scenario would publish on a date.

    Parameters
    ----------
    sectors
        The sectors layer.
    baselines
        Baseline name -> (line, the subject's territory it bounds), lon/lat; the first is
        the default (the one a :class:`Scenario` without a baseline uses).
    provinces
        The subject's region polygons, with a ``name`` column (for space scopes).
    exclaves
        Polygons of the subject's exclaves the counterpart holds.
    claims
        Claim baseline name -> (the feature the claim divides, the subject's share of it):
        each becomes a baseline with the default line and the territory as the claim draws it.
    datum
        CRS of the historical maps the line was drawn on (the manifest's ``datum``): adds a
        ``datum-shift`` baseline moved by its offset. None: no datum shift.
    """

    def __init__(
        self,
        sectors: gpd.GeoDataFrame,
        baselines: Mapping[str, tuple],
        provinces: gpd.GeoDataFrame,
        exclaves: gpd.GeoDataFrame,
        claims: Mapping[str, tuple[shapely.Geometry, float]] | None = None,
        *,
        datum: str | None = None,
    ):
        self.sectors = sectors
        self.provinces = provinces
        self.exclaves = exclaves
        self._baselines = dict(baselines)
        centre = shapely.MultiPoint(np.c_[sectors["anchor_a_lon"], sectors["anchor_a_lat"]]).centroid
        self.datum = datum_offset(centre.x, centre.y, datum)
        self.default_baseline = next(iter(self._baselines))
        line, territory = self._baselines[self.default_baseline]
        dlon, dlat, _ = self.datum
        if datum is not None:
            self._baselines["datum-shift"] = (
                shapely.affinity.translate(line, dlon, dlat),
                shapely.affinity.translate(territory, dlon, dlat),
            )
        for name, (feature, share) in (claims or {}).items():
            self._baselines[name] = (line, territory_under_claim(territory, feature, share))

    @property
    def baseline_names(self) -> list[str]:
        """Return every baseline a scenario may name (renderings, datum shift, claims)."""
        return list(self._baselines)

    def zones(self, baseline: str | None = None, depth_scale: float = 1.0) -> gpd.GeoDataFrame:
        """Return the raw zones of every sector on a baseline (the prior), depths scaled by ``depth_scale``.

        Raw: each sector's primary parameter set as stated, a nominal 1 km where its source
        states no depth or width (:data:`borderkit.zones.RAW_NOTE`). Maps and timelines draw
        the zones calibrated to the account instead (:mod:`borderkit.calibrate`).
        ``baseline=None`` is the default baseline.
        """
        return self._zones(baseline or self.default_baseline, depth_scale)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - the model is long-lived and its inputs immutable
    def _zones(self, baseline: str, depth_scale: float) -> gpd.GeoDataFrame:
        if baseline not in self._baselines:
            raise UsageError(f"Unknown baseline {baseline!r}. Allowed: {', '.join(self._baselines)}.")
        line, territory = self._baselines[baseline]
        sectors = self.sectors.assign(depth_km=self.sectors["depth_km"].astype(float) * depth_scale)
        return zones(sectors, line, territory, baseline_name=baseline)

    def in_force(self, scenario: Scenario, on: str) -> gpd.GeoDataFrame:
        """Return the zones a scenario counts on a date (time scope applied: ``episode`` keeps the latest component)."""
        z = self.zones(scenario.baseline, scenario.depth_scale)
        z = z[active(z, on)]
        if scenario.time_scope == "episode" and len(z):
            starts = z.groupby("component")["date"].min()
            z = z[z["component"].map(starts) == starts.max()]  # every part of the latest episode
        elif scenario.time_scope != "cumulative":
            raise UsageError(f"Unknown time scope {scenario.time_scope!r}. Allowed: cumulative, episode.")
        return z

    def footprint(self, scenario: Scenario, on: str) -> shapely.Geometry:
        """Return the geometry a scenario measures on a date (zones, space scope, exclaves)."""
        # method and unit do not change the geometry: share one cached footprint between them
        return self._footprint(dataclasses.replace(scenario, method="geodesic", unit_mixup="none"), on)

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - see zones()
    def _footprint(self, scenario: Scenario, on: str) -> shapely.Geometry:
        # many dates see the same zones in force: they share one union
        return self._footprint_of(scenario, tuple(self.in_force(scenario, on).index))

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - see zones()
    def _footprint_of(self, scenario: Scenario, rows: tuple[int, ...]) -> shapely.Geometry:
        """Return the footprint of the zones at these rows of the scenario's zones frame."""
        z = self.zones(scenario.baseline, scenario.depth_scale).loc[list(rows)]
        union = shapely.union_all(z.geometry.to_numpy()) if len(z) else shapely.Polygon()
        if scenario.space_scope != "all":
            names = set(self.provinces["name"])
            if scenario.space_scope not in names:
                raise UsageError(
                    f"Unknown space scope {scenario.space_scope!r}. Allowed: all, {', '.join(sorted(names))}."
                )
            union = self._province_part(union, scenario.space_scope)
        if scenario.exclaves:
            union = shapely.union(union, shapely.union_all(self.exclaves.geometry.to_numpy()))
        return union

    def _province_part(self, union: shapely.Geometry, province: str) -> shapely.Geometry:
        """Return the part of ``union`` in a province, gaps between province polygons going to the nearest."""
        if union.is_empty:
            return union
        polys = self.provinces.set_index("name").geometry
        own = shapely.intersection(union, polys[province])
        rest = shapely.difference(union, shapely.union_all(self.provinces.geometry.to_numpy()))
        parts = [g for g in shapely.get_parts(rest) if g.geom_type == "Polygon"]
        if parts:
            tree = shapely.STRtree(self.provinces.geometry.to_numpy())
            nearest = tree.query_nearest(shapely.point_on_surface(parts), all_matches=False)[1]
            mine = [p for p, n in zip(parts, nearest, strict=True) if self.provinces["name"].iloc[n] == province]
            own = shapely.union_all([own, *mine])
        return own

    def value(self, scenario: Scenario, on: str, *, dem=None) -> float:
        """Return the number (in the unit it would be published as 'km²') a scenario gives on a date."""
        km2 = float(area(self.footprint(scenario, on), method=scenario.method, dem=dem)[0])
        if scenario.unit_mixup == "none":
            return km2
        if scenario.unit_mixup == "mi2-read-as-km2":  # an area in mi² printed as km²
            return km2 / MI2_PER_KM2
        if scenario.unit_mixup == "km2-read-as-mi2":  # km² taken for mi² and converted again
            return km2 * MI2_PER_KM2
        raise UsageError(
            f"Unknown unit mix-up {scenario.unit_mixup!r}. Allowed: none, mi2-read-as-km2, km2-read-as-mi2."
        )

    def affected_length_km(self, on: str, scenario: Scenario | None = None) -> float:
        """Return the length of baseline covered by the sectors a scenario counts on a date."""
        z = self.in_force(scenario or Scenario(), on)
        lengths = primary(self.sectors).set_index("sector")["stretch_km"].astype(float).fillna(0.0)
        return float(lengths.loc[z["sector"]].sum()) if len(z) else 0.0

    def province_breakdown(self, on: str, scenario: Scenario | None = None):
        """Return the footprint's area by province (see :func:`borderkit.zones.breakdown`)."""
        return breakdown(self.footprint(scenario or Scenario(), on), self.provinces, fill_gaps=True)
