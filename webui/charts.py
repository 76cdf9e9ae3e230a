"""The trend chart: the share of each year's reports that match, as SVG geometry for a template."""

from __future__ import annotations

from indexer.analytics import year_label


def _axis_max(top: float) -> float:
    for m in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0):
        if top <= m + 1e-9:
            return m
    return 1.0


def _pct(share: float) -> str:
    pct = share * 100
    return f"{pct:.0f}%" if pct >= 10 or pct == 0 else f"{pct:.1f}%"


def trend_chart(trend: list[dict], link, *, width: int = 560, height: int = 200) -> dict | None:
    """Geometry of a bar chart of the trend (drawn by the ``trend_chart`` macro).

    ``link(year)`` gives the URL of the year's results. None when there are no years.
    """
    if not trend:
        return None
    left, right, top, bottom = 56, 12, 22, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = _axis_max(max(t["share"] for t in trend))
    band = plot_w / len(trend)
    bar_w = min(44.0, band * 0.62)
    base = top + plot_h
    bars = []
    for i, t in enumerate(trend):
        h = plot_h * min(t["share"], ymax) / ymax
        x = left + band * i + (band - bar_w) / 2
        bars.append(
            {
                "year": t["year"],
                "x": round(x, 1),
                "y": round(base - h, 1),
                "w": round(bar_w, 1),
                "h": round(h, 1),
                "cx": round(x + bar_w / 2, 1),
                "band_x": round(left + band * i, 1),
                "band_w": round(band, 1),
                "label": _pct(t["share"]),
                "title": (
                    f"{year_label(t['year'])}：已收录 {t['reports']} 份报告，"
                    f"其中 {t['matching']} 份提及（{t['share']:.1%}）"
                ),
                "url": link(t["year"]),
                "empty": t["matching"] == 0,
            }
        )
    ticks = [{"y": round(base - plot_h * f, 1), "label": _pct(ymax * f)} for f in (0.0, 0.5, 1.0)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "base": base,
        "mid_y": round(top + plot_h / 2, 1),
        "ticks": ticks,
        "bars": bars,
        "summary": "；".join(b["title"] for b in bars),
    }
