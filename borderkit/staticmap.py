"""Print maps with matplotlib: the web map's layers, labels and headline on one page (PNG, SVG, PDF).

A print map has to stand on its own: the account and the published figures it rests on,
labels for the places the reports name, a legend in plain words, a scale bar, a
graticule, a locator inset and the sources. It draws what :func:`borderkit.render.build_map`
drew (the same frames, legend entries, labels and headline, kept in the
:class:`~borderkit.render.MapReport`), so print and web say the same.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from borderkit.errors import UsageError

if TYPE_CHECKING:  # matplotlib is the optional `plot` extra: imported where it draws
    from matplotlib.artist import Artist
    from matplotlib.transforms import Bbox
    from matplotlib.typing import LineStyleType

__all__ = ["DPI", "FORMATS", "static_map", "draw_static_map", "graticule_step"]

#: Print resolution (dots per inch) of raster output; vector formats keep their vectors.
DPI = 300
FORMATS = ("png", "svg", "pdf")
_PAGE_IN = (11.0, 8.5)  # landscape letter: the map on the left, the headline on the right


def _plain(text: object) -> str:
    """Return text that matplotlib draws as it is: a ``$`` would start mathtext (and can fail to parse)."""
    return str(text).replace("$", r"\$")


def _short(text: object, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def graticule_step(span_deg: float) -> float:
    """Return a graticule spacing (degrees) giving about 3 to 6 lines across ``span_deg``."""
    for step in (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0):
        if span_deg / step <= 6:
            return step
    return 20.0


def _matplotlib():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib_scalebar.scalebar import ScaleBar
    except ImportError as exc:  # pragma: no cover
        raise UsageError("Print maps need matplotlib and matplotlib-scalebar: pip install 'borderkit[plot]'.") from exc
    return plt, ScaleBar


# ---------------------------------------------------------------- layers
def _draw_layers(ax, frames: Mapping[str, gpd.GeoDataFrame], hidden: Iterable[str]) -> list[str]:
    """Draw each frame as the web map styles it; return the names drawn (the legend's layers)."""
    from matplotlib.colors import to_rgba

    from borderkit.render import AREA_NAMED_STYLE, EVENT_COLOURS, PALETTE, _party_codes, _style, party_colour

    hidden = set(hidden)
    drawn = []
    for name, gdf in frames.items():
        if not len(gdf) or name in hidden:
            continue
        drawn.append(name)
        if name == "countries":
            for iso in sorted(set(gdf["claimant"].dropna())):
                part = gdf[gdf["claimant"] == iso]
                part.plot(ax=ax, facecolor=to_rgba(party_colour(iso), _style("countries", {})["fillOpacity"]),
                          edgecolor=party_colour(iso), lw=0.6, zorder=1)  # fmt: skip
        elif name in ("zones", "enclaves"):
            colour = PALETTE["zone"] if name == "zones" else party_colour(_party_codes()[-1])
            gdf.plot(ax=ax, facecolor=colour, alpha=0.15, edgecolor="none", zorder=3)
            gdf.plot(ax=ax, facecolor="none", edgecolor=colour, hatch="////", lw=1.2, zorder=3,
                     linestyle="--" if name == "zones" else "-")  # fmt: skip
        elif name == "places":
            gdf.plot(ax=ax, color=PALETTE["place"], markersize=6, zorder=5)
        elif name == "events":
            named = gdf["position"].eq("area-named") if "position" in gdf else np.zeros(len(gdf), bool)
            for kind, colour in EVENT_COLOURS.items():
                dots, rings = gdf[(gdf["type"] == kind) & ~named], gdf[(gdf["type"] == kind) & named]
                if len(dots):
                    dots.plot(ax=ax, color=colour, markersize=22, edgecolor="#333", lw=0.4, zorder=6)
                if len(rings):
                    size = 4 * AREA_NAMED_STYLE["radius"] ** 2
                    rings.plot(
                        ax=ax, facecolor="none", edgecolor=colour, markersize=size, lw=1.3, linestyle="--", zorder=6
                    )
        elif name.startswith("user:"):
            gdf.plot(ax=ax, color=PALETTE["user"], alpha=0.5, zorder=4)
        else:
            style = _style(name, {})
            dash = (0, tuple(float(v) for v in style["dashArray"].split())) if style.get("dashArray") else "-"
            if "fillOpacity" in style and not gdf.geom_type.str.contains("Line").all():
                gdf.plot(ax=ax, color=style.get("fillColor", style["color"]), alpha=style["fillOpacity"], zorder=2)
            else:
                gdf.plot(ax=ax, color=style["color"], lw=min(style.get("weight", 1.5), 2.2), linestyle=dash, zorder=4)
    return drawn


def _labels(ax, labels: gpd.GeoDataFrame | None) -> None:
    """Label places by rank; a label overlapping a higher-ranked one is left out."""
    if labels is None or not len(labels):
        return
    import matplotlib.patheffects as pe

    renderer = ax.figure.canvas.get_renderer()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    kept: list[Bbox] = []
    for _, row in labels.sort_values("rank").iterrows():
        p = row.geometry
        if not (x0 <= p.x <= x1 and y0 <= p.y <= y1):
            continue
        text = ax.annotate(
            _plain(row["name"]), (p.x, p.y), xytext=(4, 3), textcoords="offset points", fontsize=7.5,
            fontweight="bold", color="#222", zorder=8, path_effects=[pe.withStroke(linewidth=2.5, foreground="white")],
        )  # fmt: skip
        box = text.get_window_extent(renderer).expanded(1.05, 1.1)
        if any(box.overlaps(k) for k in kept):
            text.remove()
        else:
            kept.append(box)


def _graticule(ax) -> None:
    """Draw a graticule with its labels on the frame, in place of degree axes."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    step = graticule_step(max(x1 - x0, y1 - y0))
    for lon in np.arange(math.ceil(x0 / step) * step, x1, step):
        ax.axvline(lon, color="#999", lw=0.3, zorder=0.5)
        ax.annotate(f"{lon:g}°E", (lon, y0), xytext=(2, 2), textcoords="offset points", fontsize=6, color="#666")
    for lat in np.arange(math.ceil(y0 / step) * step, y1, step):
        ax.axhline(lat, color="#999", lw=0.3, zorder=0.5)
        ax.annotate(f"{lat:g}°N", (x0, lat), xytext=(2, 2), textcoords="offset points", fontsize=6, color="#666")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def _locator(fig, ax, frames: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Add a locator inset: the countries' outlines and the main map's extent as a red box."""
    countries = frames.get("countries")
    if countries is None or not len(countries):
        return
    inset = ax.inset_axes([0.0, 0.0, 0.26, 0.26])
    countries.plot(ax=inset, color="#ddd", edgecolor="#666", lw=0.4)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    inset.add_patch(
        __import__("matplotlib.patches").patches.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="red", lw=1)
    )
    w, s, e, n = countries.total_bounds
    pad = 0.3
    inset.set_xlim(min(w, x0) - pad, max(e, x1) + pad)
    inset.set_ylim(min(s, y0) - pad, max(n, y1) + pad)
    inset.set_aspect(1 / math.cos(math.radians((s + n) / 2)))
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.set_facecolor("white")
    for side in inset.spines.values():
        side.set_color("#666")


# ---------------------------------------------------------------- the page
Line = tuple[str, dict]
#: Where the side panel's columns start (figure fractions): the account spans both, the figures flow through them.
_COLUMNS = (0.6, 0.8)


def _headline_text(summary: Mapping) -> tuple[list[Line], list[list[Line]]]:
    """Return the headline: the account on the date as (text, style) lines, and each figure to that date as lines."""
    from borderkit.mapdata import state_on

    if not summary:
        return [], []
    on = str(summary["date"])
    state = state_on(summary, on)
    lines: list[Line] = [(f"The account on {on}", {"fontsize": 10, "fontweight": "bold"})]
    lines.append(("km² (interval), fitted to every published figure at once", {"fontsize": 6.5, "color": "#555"}))
    for row in [*state["totals"], *state["others"]]:
        value = f"{row['area_km2']:.1f} km² ({row['low_km2']:.1f}–{row['high_km2']:.1f})"
        lines.append((_short(row.get("name") or row.get("label"), 80), {"fontsize": 7, "fontweight": "bold"}))
        lines.append((f"    {value}", {"fontsize": 7}))
        parts = row.get("components", [])
        for part in parts if len(parts) > 1 else []:
            lines.append(
                (
                    f"    {_short(part['label'], 62)}: {part['area_km2']:.1f} "
                    f"({part['low_km2']:.1f}–{part['high_km2']:.1f})",
                    {"fontsize": 6, "color": "#333"},
                )
            )
    if summary.get("how"):
        for chunk in textwrap.wrap(summary["how"], 95):
            lines.append((chunk, {"fontsize": 5.8, "color": "#555"}))
    figures = [f for f in summary.get("figures", []) if str(f["date"]) <= on and f.get("status_key") != "repeats"]
    lines.append(
        (f"Published figures to {on} (repeats left out): scope, status", {"fontsize": 8, "fontweight": "bold"})
    )
    blocks = [
        [
            (f"{f['said']}, {f['date']}", {"fontsize": 6, "fontweight": "bold"}),
            (f"  {_short(f['who'], 40)}", {"fontsize": 5.6, "color": "#222"}),
            *(
                (f"  {chunk}", {"fontsize": 5.6, "color": "#444"})
                for chunk in _wrap_short(f"{f['status']}; covers {f['covers']}", 44, 3)
            ),
        ]  # fmt: skip
        for f in reversed(figures)
    ]
    return lines, blocks


def _wrap_short(text: str, width: int, most: int) -> list[str]:
    """Wrap text to ``width`` characters in at most ``most`` lines, the last cut short with an ellipsis."""
    chunks = textwrap.wrap(text, width)
    return chunks if len(chunks) <= most else [*chunks[: most - 1], _short(" ".join(chunks[most - 1 :]), width)]


def _side_panel(fig, headline: tuple[list[Line], list[list[Line]]], *, top: float, bottom: float) -> None:
    """Write the headline down the right of the page between ``top`` and ``bottom`` (figure fractions).

    The account spans the panel; the figures flow down two columns below it, each figure
    kept whole. Figures that still do not fit are left out, with a line saying how many.
    """
    lines, blocks = headline
    height = fig.get_figheight() * 72

    def step(style: dict, leading: float = 1.25) -> float:
        return float(style.get("fontsize", 7)) * leading / height

    y = top
    for text, style in lines:
        fig.text(_COLUMNS[0], y, _plain(text), va="top", ha="left", **style)
        y -= step(style)
    floor = bottom + 8 / height
    column, top_of_figures = 0, y
    for i, block in enumerate(blocks):
        need = sum(step(style, 1.15) for _, style in block) + 1.5 / height
        if y - need < floor and column + 1 < len(_COLUMNS):
            column, y = column + 1, top_of_figures
        if y - need < floor:
            fig.text(_COLUMNS[0], bottom + 7 / height, f"… {len(blocks) - i} more figures: see 'borderkit reconcile'",
                     va="top", fontsize=6)  # fmt: skip
            return
        for text, style in block:
            fig.text(_COLUMNS[column], y, _plain(text), va="top", ha="left", **style)
            y -= step(style, 1.15)  # set tight: the figures are the panel's longest list
        y -= 1.5 / height


def _legend(ax, names: list[str], report) -> None:
    """Draw the legend with the web map's entries (:func:`borderkit.render.legend_entries`)."""
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Patch

    from borderkit.render import legend_entries

    handles: list[Artist] = []
    for e in legend_entries([n for n in names if not n.startswith("user:")], report.layer_labels, report.parties):
        dash: LineStyleType = (0, tuple(float(v) for v in e.dash.split())) if e.dash else "-"
        if e.symbol == "line":
            handles.append(Line2D([], [], color=e.colour, lw=min(e.width, 2.2), linestyle=dash, label=e.label))
        elif e.symbol == "ring":  # drawn dashed, as on the map (a marker's outline cannot be dashed)
            handles.append(Circle((0, 0), 1, facecolor="none", edgecolor=e.colour, label=e.label))
        elif e.symbol == "dot":
            handles.append(Line2D([], [], marker="o", ls="", markerfacecolor=e.fill, markeredgecolor=e.colour,
                                  markersize=6, label=e.label))  # fmt: skip
        elif e.symbol == "hatch":  # a faint fill under the hatching, as the map draws it
            handles.append(Patch(facecolor=to_rgba(e.fill, 0.15), edgecolor=e.colour, hatch="////",
                                 linestyle="--" if e.dash else "-", label=e.label))  # fmt: skip
        else:  # the layer's own fill opacity, as drawn (the outline solid)
            handles.append(Patch(facecolor=to_rgba(e.fill, e.opacity), edgecolor=e.colour, label=e.label))
    for name in [n for n in names if n.startswith("user:")]:
        short = name.split(":", 2)[-1]
        handles.append(Patch(color="#009E73", alpha=0.5, label=_plain(_short(short, 60))))
    for handle in handles:  # long keys wrap, so the second column stays on the page
        handle.set_label(textwrap.fill(str(handle.get_label()), 30))
    ax.figure.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.595, 0.05), ncol=2, fontsize=6,
                     frameon=False, title="Legend", title_fontsize=7, alignment="left",
                     handler_map={Circle: _dashed_ring()})  # fmt: skip


def _dashed_ring() -> Any:
    """Return a legend handler that draws a Circle handle as a dashed ring (matplotlib is imported only here)."""
    from matplotlib.legend_handler import HandlerPatch
    from matplotlib.patches import Circle

    class DashedRing(HandlerPatch):
        def create_artists(self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans):
            radius = min(width / 2.5, height * 0.65)
            centre = (width / 2 - xdescent, height / 2 - ydescent)
            ring = Circle(centre, radius, facecolor="none", edgecolor=orig_handle.get_edgecolor(), lw=1.2,
                          linestyle=(0, (2.5, 1.5)), transform=trans)  # fmt: skip
            return [ring]

    return DashedRing()


def draw_static_map(report, *, title: str | None = None):
    """Return the matplotlib Figure of a print map of what ``report`` (:class:`~borderkit.render.MapReport`) drew."""
    plt, ScaleBar = _matplotlib()
    frames, summary = report.frames, report.summary or {}
    fig = plt.figure(figsize=_PAGE_IN)
    ax = fig.add_axes([0.01, 0.07, 0.57, 0.86])
    names = _draw_layers(ax, frames, report.hidden)
    from borderkit.case import current

    focus = [frames[n] for n in (current().default_baseline, "zones", "events") if n in frames and len(frames[n])]
    xmin, ymin, xmax, ymax = shapely.total_bounds([f.geometry.union_all() for f in focus or frames.values()])
    pad = 0.12
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    mid = math.radians((ymin + ymax) / 2)
    ax.set_aspect(1 / math.cos(mid))  # equal distances at the map's latitude
    _graticule(ax)
    # metres per x unit (a degree of longitude at the map's latitude, on the WGS84 ellipsoid)
    ax.add_artist(
        ScaleBar(
            111_320 * math.cos(mid),
            units="m",
            location="lower right",
            box_alpha=0.8,
            rotation="horizontal-only",
            font_properties={"size": 7},
        )
    )
    ax.annotate("N", xy=(0.04, 0.96), xytext=(0.04, 0.89), xycoords="axes fraction", ha="center", fontsize=10,
                arrowprops={"arrowstyle": "-|>", "color": "black"})  # fmt: skip
    _labels(ax, report.labels)
    _locator(fig, ax, frames)
    _legend(ax, names, report)
    date = summary.get("date", "")
    fig.text(0.02, 0.965, _plain(title or f"Land held across the line, {date}"), fontsize=13, fontweight="bold")
    _side_panel(fig, _headline_text(summary), top=0.93, bottom=0.25)
    parts = dict.fromkeys(p.strip() for t in report.attributions for p in str(t).split(";") if p.strip())
    sources = (
        "Sources: " + "; ".join(parts) + ". Zones are illustrative extents, not surveyed lines. Made with borderkit."
    )
    fig.text(0.02, 0.015, _plain(_short(sources, 1200)), fontsize=5.5, color="#333", wrap=True, va="bottom")
    return fig


def static_map(report, path: str, *, fmt: str | None = None, option: str = "--print", title: str | None = None) -> None:
    """Write a print map of what ``report`` drew to ``path`` (PNG at :data:`DPI`, SVG or PDF), atomically.

    ``fmt`` defaults to the extension of ``path``; ``option`` names the CLI option in messages.
    """
    from borderkit.io import atomic_write

    fmt = fmt or str(path).rsplit(".", 1)[-1].lower()
    if fmt not in FORMATS:
        raise UsageError(
            f"{option} {path!r}: print maps are {', '.join(FORMATS)}; got {fmt!r}. Use one of those extensions."
        )
    plt, _ = _matplotlib()
    # SVG text stays text (editable, searchable) rather than outlines
    with plt.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        fig = draw_static_map(report, title=title)
        try:
            with atomic_write(path, "wb", option=option) as fobj:
                fig.savefig(fobj, format=fmt, dpi=DPI, metadata=_metadata(fmt))
        finally:
            plt.close(fig)


def _metadata(fmt: str) -> dict[str, Any]:
    """Return fixed file metadata, so the same map gives the same bytes (no creation date)."""
    if fmt == "png":
        return {"Software": "borderkit"}
    if fmt == "svg":
        return {"Date": None, "Creator": "borderkit"}
    return {"CreationDate": None, "Creator": "borderkit", "Producer": "borderkit"}
