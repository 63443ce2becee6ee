"""Charts in SVG: transaction volumes by code per day (stacked bars with a legend)."""

from __future__ import annotations

import colorsys
import datetime as dt

from lxml import etree

__all__ = ["PALETTE", "code_colors", "nice_step", "volume_chart"]

#: Colours given to transaction codes in sorted code order (repeats after the last).
PALETTE = ("#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457", "#4e342e", "#f9a825",
           "#283593", "#558b2f", "#d84315", "#37474f", "#7b1fa2", "#0277bd", "#9e9d24", "#5d4037")


def code_colors(codes: list[str]) -> dict[str, str]:
    """A colour per code, in sorted code order (the same codes always get the same colours):
    the palette, and past it hues spread by the golden angle, so no two codes share one."""
    out = {}
    for i, c in enumerate(sorted(codes)):
        if i < len(PALETTE):
            out[c] = PALETTE[i]
        else:
            r, g, b = colorsys.hls_to_rgb((i * 0.381966) % 1.0, 0.42 + 0.12 * (i % 3) / 2, 0.65)
            out[c] = f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
    return out


def _days(volumes: dict[tuple[str, str], int]) -> list[str]:
    days = sorted({d for d, _ in volumes})
    try:
        first, last = dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1])
    except (IndexError, ValueError):
        return days
    return [(first + dt.timedelta(n)).isoformat() for n in range((last - first).days + 1)]


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: object) -> etree._Element:
    el = etree.SubElement(parent, tag, {k.rstrip("_").replace("_", "-"): str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def volume_chart(volumes: dict[tuple[str, str], int], title: str = "Transactions per day by code") -> etree._Element:
    """Stacked bars: one bar per calendar day (days without traffic included), one colour per code.

    Args:
        volumes: (day ``YYYY-MM-DD``, code) -> count.
        title: the chart's accessible title.
    """
    days = _days(volumes)
    codes = sorted({c for _, c in volumes})
    colors = code_colors(codes)
    totals = {d: sum(n for (dd, _), n in volumes.items() if dd == d) for d in days}
    step = nice_step(max(totals.values(), default=0) / 4)
    peak = step * max(1, -(-max(totals.values(), default=0) // step))  # the axis ends on a tick
    left, top, plot_h = 56, 20, 240
    bar_w = max(4, min(28, 900 // max(1, len(days))))
    plot_w = bar_w * len(days)
    legend_x = left + plot_w + 24
    labels = {c: f"{c} ({sum(n for (_, cc), n in volumes.items() if cc == c):,})" for c in codes}
    # the legend is as wide as its longest label and as tall as its codes: nothing is clipped
    width = legend_x + 16 + 7 * max((len(t) for t in labels.values()), default=0) + 8
    height = max(top + plot_h + 70, top + 16 * len(codes) + 20)
    svg = etree.Element("svg", {"width": str(width), "height": str(height), "viewBox": f"0 0 {width} {height}",
                                "role": "img", "class": "chart", "font-family": "sans-serif", "font-size": "11"})
    _el(svg, "title", title)
    _el(svg, "rect", x=0, y=0, width=width, height=height, fill="#ffffff")
    base = top + plot_h
    for k in range(peak // step + 1):
        value = step * k
        y = base - plot_h * value / peak
        _el(svg, "line", x1=left, y1=f"{y:.1f}", x2=left + plot_w, y2=f"{y:.1f}", stroke="#eceff1")
        _el(svg, "text", f"{value:,}", x=left - 6, y=f"{y + 4:.1f}", text_anchor="end", fill="#546e7a")
    label_step = max(1, -(-44 // bar_w), len(days) // 10)
    for i, day in enumerate(days):
        x = left + i * bar_w
        y = float(base)
        for code in codes:
            n = volumes.get((day, code), 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            rect = _el(svg, "rect", x=x + 1, y=f"{y:.2f}", width=bar_w - 2, height=f"{h:.2f}", fill=colors[code])
            _el(rect, "title", f"{day} {code}: {n:,}")
        if i % label_step == 0:
            _el(svg, "text", day[5:], x=x + bar_w / 2, y=base + 14, text_anchor="middle", fill="#546e7a")
    _el(svg, "line", x1=left, y1=base, x2=left + plot_w, y2=base, stroke="#607d8b")
    _el(svg, "text", "day (MM-DD)", x=left + plot_w / 2, y=base + 32, text_anchor="middle", fill="#37474f")
    for j, code in enumerate(codes):
        y = top + 16 * j
        _el(svg, "rect", x=legend_x, y=y, width=10, height=10, fill=colors[code])
        _el(svg, "text", labels[code], x=legend_x + 16, y=y + 9, fill="#263238")
    return svg


def nice_step(rough: float) -> int:
    """The tick step for about ``rough`` per tick: 1, 2 or 5 times a power of ten (at least 1)."""
    if rough <= 1:
        return 1
    power = 10 ** (len(str(int(rough))) - 1)
    for m in (1, 2, 5, 10):
        if m * power >= rough:
            return m * power
    return 10 * power
