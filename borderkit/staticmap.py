"""Static maps with matplotlib for print: the same layers, legend, scale bar, north arrow, attribution, date."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import geopandas as gpd
import shapely
from pyproj import Geod

from borderkit.errors import UsageError

__all__ = ["static_map"]


def _plain(text: object) -> str:
    """Return text that matplotlib draws as it is: a ``$`` would start mathtext (and can fail to parse)."""
    return str(text).replace("$", r"\$")


def _scale_bar(ax, lon: float, lat: float, km: float) -> None:
    """Draw a ``km``-long scale bar starting at (lon, lat), its length computed geodesically."""
    end_lon, _, _ = Geod(ellps="WGS84").fwd(lon, lat, 90, km * 1000)
    ax.plot([lon, end_lon], [lat, lat], color="black", lw=3, solid_capstyle="butt")
    ax.text((lon + end_lon) / 2, lat, f"{km:g} km", ha="center", va="bottom", fontsize=8)


def static_map(
    frames: Mapping[str, gpd.GeoDataFrame],
    path: str,
    *,
    date: str,
    attributions: Iterable[str],
    title: str = "Armenia–Azerbaijan border: layers and modelled zones",
) -> None:
    """Draw the map layers to a PNG, atomically."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
    except ImportError as exc:  # pragma: no cover
        raise UsageError("--png needs matplotlib: pip install 'borderkit[plot]'.") from exc
    from borderkit.io import atomic_write
    from borderkit.render import AREA_NAMED_LABEL, EVENT_COLOURS, PALETTE

    fig, ax = plt.subplots(figsize=(9, 10))
    handles = []
    focus = [frames[n] for n in ("soviet_line", "zones", "events") if n in frames and len(frames[n])]
    xmin, ymin, xmax, ymax = shapely.total_bounds([f.geometry.union_all() for f in focus or frames.values()])
    pad = 0.15
    for name, gdf in frames.items():
        if not len(gdf):
            continue
        if name == "countries":
            for iso, colour in (("ARM", PALETTE["ARM"]), ("AZE", PALETTE["AZE"])):
                gdf[gdf["claimant"] == iso].plot(ax=ax, color=colour, alpha=0.12, edgecolor=colour, lw=0.6)
                handles.append(Patch(facecolor=colour, alpha=0.3, label=f"{iso} (de jure)"))
        elif name == "lakes":
            gdf.plot(ax=ax, color=PALETTE["lake"], alpha=0.7)
        elif name == "enclaves":
            gdf.plot(ax=ax, facecolor="none", edgecolor=PALETTE["AZE"], hatch="////", lw=0.8)
            handles.append(Patch(facecolor="none", edgecolor=PALETTE["AZE"], hatch="////", label="enclaves/exclaves"))
        elif name == "zones":
            gdf.plot(ax=ax, facecolor="none", edgecolor=PALETTE["zone"], hatch="\\\\\\\\", lw=0.8)
            handles.append(
                Patch(
                    facecolor="none", edgecolor=PALETTE["zone"], hatch="\\\\\\\\", label="modelled zones (hypotheses)"
                )
            )
        elif name.startswith("soviet_line"):
            style = {
                "soviet_line": ("black", "-", 1.6),
                "soviet_line_osm2017": (PALETTE["alt1"], "--", 1.0),
                "soviet_line_ne10m": (PALETTE["alt2"], ":", 1.0),
            }[name]
            gdf.plot(ax=ax, color=style[0], ls=style[1], lw=style[2])
            handles.append(Line2D([], [], color=style[0], ls=style[1], label=name.replace("_", " ")))
        elif name == "claims":
            gdf.plot(ax=ax, color=PALETTE["claim"], ls="--", lw=1.2)
            handles.append(Line2D([], [], color=PALETTE["claim"], ls="--", label="claimed lines"))
        elif name == "roads":
            gdf.plot(ax=ax, color=PALETTE["road"], ls=":", lw=1.5)
            handles.append(Line2D([], [], color=PALETTE["road"], ls=":", label="road (approximate)"))
        elif name == "places":
            gdf.plot(ax=ax, color=PALETTE["place"], markersize=6)
        elif name == "events":
            # an area-named event marks the area its report names, not a position: a hollow dashed ring
            named = (gdf["position"] if "position" in gdf else gdf["type"].map(lambda _: None)) == "area-named"
            for kind, colour in EVENT_COLOURS.items():
                sub = gdf[(gdf["type"] == kind) & ~named]
                ring = gdf[(gdf["type"] == kind) & named]
                if len(sub):
                    sub.plot(ax=ax, color=colour, markersize=22, edgecolor="#333", lw=0.4)
                if len(ring):
                    ring.plot(ax=ax, facecolor="none", edgecolor=colour, markersize=60, lw=1.3, linestyle="--")
                if len(sub) or len(ring):
                    handles.append(Line2D([], [], marker="o", ls="", color=colour, markeredgecolor="#333", label=kind))
            if named.any():
                handles.append(
                    Line2D(
                        [],
                        [],
                        marker="o",
                        ls="",
                        markerfacecolor="none",
                        markeredgecolor="#333",
                        markersize=8,
                        label=AREA_NAMED_LABEL.lower(),
                    )
                )
        else:
            gdf.plot(ax=ax, color=PALETTE["user"], alpha=0.5)
            short = name if len(name) <= 80 else name[:79] + "…"  # a path can be 4 096 characters long
            handles.append(Patch(color=PALETTE["user"], alpha=0.5, label=_plain(short)))
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect(1 / math.cos(math.radians((ymin + ymax) / 2)))  # equal distances at the map's latitude
    _scale_bar(ax, xmin - pad + 0.1, ymin - pad + 0.08, 20)
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.88),
        xycoords="axes fraction",
        ha="center",
        fontsize=12,
        arrowprops={"arrowstyle": "-|>", "color": "black"},
    )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, framealpha=0.9)
    ax.set_title(_plain(f"{title}\nstate on {date}"), fontsize=11)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    text = "Data: " + "; ".join(dict.fromkeys(p.strip() for t in attributions for p in t.split(";") if p.strip()))
    fig.text(0.01, 0.005, _plain(text) + ". Zones are modelled hypotheses, not surveyed lines.", fontsize=6, wrap=True)
    with atomic_write(path, "wb", option="--png") as fobj:
        fig.savefig(fobj, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)
