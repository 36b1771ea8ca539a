"""The briefs' charts as PNG images, drawn by matplotlib (a bare ``Figure``: the Agg renderer, no pyplot, no display) with a CJK font."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.figure import Figure

from exportwatch.briefs.selectors import Chart

CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@cache
def _font() -> font_manager.FontProperties | None:
    """The first CJK font installed (fonts-wqy-microhei, from ``make system-deps``); None: Chinese shows as boxes."""
    for path in CJK_FONTS:
        if Path(path).exists():
            return font_manager.FontProperties(fname=path)
    return None


def chart_png(chart: Chart) -> bytes:
    """The chart drawn as a 16 × 8 cm PNG at 150 dpi."""
    font = _font()
    fig = Figure(figsize=(6.3, 3.15), dpi=150)
    ax = fig.add_subplot()
    x = list(range(len(chart.labels)))
    if chart.kind == "line":
        for name, values in chart.series.items():
            ax.plot(x, values, marker="o", markersize=3, label=name)
    else:
        width = 0.8 / max(len(chart.series), 1)
        for i, (name, values) in enumerate(chart.series.items()):
            ax.bar([v + i * width - 0.4 + width / 2 for v in x], values, width=width, label=name)
    ax.set_xticks(x)
    ax.set_xticklabels(chart.labels, fontproperties=font, fontsize=7, rotation=30 if len(x) > 6 else 0)
    ax.set_title(chart.title, fontproperties=font, fontsize=10)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(prop=font, fontsize=7)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
