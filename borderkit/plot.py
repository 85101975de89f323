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


def timeline_chart(table: pd.DataFrame, path: str, *, title: str, option: str = "--png") -> None:
    """Write :func:`timeline_figure` to a PNG file, atomically.

    The PNG is drawn into memory and handed to :func:`borderkit.io.write_output`, the one
    writer: drawing (the slow part) happens before any file exists, and the write is
    checked, synced and atomic, or streamed to a FIFO or /dev/stdout.

    Parameters
    ----------
    table
        The timeline table (see :func:`timeline_figure`).
    path
        The PNG to write.
    title
        The chart's title.
    option
        The command-line option that named ``path``, for messages.
    """
    from io import BytesIO

    import matplotlib

    matplotlib.use("Agg")
    from borderkit.io import write_output

    fig = timeline_figure(table, title=title)
    plt = _pyplot()
    try:
        buffer = BytesIO()
        fig.savefig(buffer, format="png", dpi=120)
    finally:
        plt.close(fig)
    write_output(path, buffer.getvalue(), option=option)
