"""Static charts with matplotlib (imported lazily; an edge module, no computation)."""

from __future__ import annotations

import pandas as pd

from borderkit.errors import UsageError

__all__ = ["timeline_figure", "timeline_chart"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a test dependency
        raise UsageError("Charts need matplotlib: pip install 'borderkit[plot]'.") from exc
    return plt


def timeline_figure(table: pd.DataFrame, *, title: str):
    """Return a matplotlib Figure: cumulative area by province as a stacked step chart."""
    plt = _pyplot()
    cols = [c for c in table.columns if c.startswith("area_km2_")]
    dates = pd.to_datetime(table["date"])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.stackplot(dates, *[table[c] for c in cols], labels=[c.removeprefix("area_km2_") for c in cols], step="post")
    ax.step(dates, table["area_km2"], where="post", color="black", lw=1, label="total")
    ax.set_ylabel("modelled area, km² (geodesic)")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.text(0.01, 0.01, "borderkit; data: Who's On First, seed reports. Zones are modelled hypotheses.", fontsize=7)
    return fig


def timeline_chart(table: pd.DataFrame, path: str, *, title: str) -> None:
    """Write :func:`timeline_figure` to a PNG file, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    from borderkit.io import atomic_write

    fig = timeline_figure(table, title=title)
    plt = _pyplot()
    with atomic_write(path, "wb") as fobj:
        fig.savefig(fobj, format="png", dpi=120)
    plt.close(fig)
