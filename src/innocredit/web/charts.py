"""Charts rendered on the server as inline SVG (no JavaScript, no CDN): bars, horizontal bars, radar."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#65a30d", "#db2777")


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v)}"


def _text_width(text: str, font_px: float = 11.0) -> float:
    """The width of a label in SVG units, estimated: a CJK character is one em, anything else about 0.6 em."""
    return sum(font_px if ord(ch) >= 0x2E80 else 0.6 * font_px for ch in text)


def hbar_chart(items: Sequence[tuple[str, float]], title: str = "", unit: str = "", width: int = 480,
               max_value: float | None = None, heading: bool = True) -> Markup:
    """Horizontal bars, one per (label, value); scales to its container (viewBox). ``heading=False`` keeps the
    title in <title> only (a dashboard card already shows it as its heading)."""
    if not heading:
        svg = str(hbar_chart(items, "", unit, width, max_value))
        return Markup(svg.replace("<title></title>", f"<title>{escape(title)}</title>", 1))
    row_h, pad = 24, 8
    labels = [str(label)[:32] for label, _ in items]
    # the label column is as wide as the longest label (within bounds); the bars take the rest
    label_w = min(max((_text_width(x) for x in labels), default=0.0) + 14, width * 0.55)
    label_w = max(label_w, 40.0)
    height = pad * 2 + row_h * max(len(items), 1) + (20 if title else 0)
    top = pad + (20 if title else 0)
    vmax = max_value if max_value else max((v for _, v in items), default=0) or 1.0
    bar_w = width - label_w - 70
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    if title:
        parts.append(f'<text x="{pad}" y="{pad + 12}" class="chart-title">{escape(title)}</text>')
    if not items:
        parts.append(f'<text x="{pad}" y="{top + 16}" class="chart-label">—</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = max(0.0, bar_w * (value / vmax)) if vmax else 0.0
        parts.append(f'<text x="{label_w - 6:.1f}" y="{y + 16}" text-anchor="end" class="chart-label">'
                     f"{escape(labels[i])}</text>")
        parts.append(f'<rect x="{label_w:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                     f'fill="{PALETTE[i % len(PALETTE)]}" rx="2"><title>{escape(str(label))}: {_fmt(value)}'
                     f"{escape(unit)}</title></rect>")
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 16}" class="chart-value">{_fmt(value)}{escape(unit)}'
                     "</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(items: Sequence[tuple[str, float]], title: str = "", unit: str = "", width: int = 480,
              height: int = 220) -> Markup:
    """Vertical bars (e.g. a histogram of days to credit)."""
    pad_l, pad_b, pad_t = 36, 36, 28 if title else 10
    n = max(len(items), 1)
    vmax = max((v for _, v in items), default=0) or 1.0
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    slot = plot_w / n
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    if title:
        parts.append(f'<text x="8" y="18" class="chart-title">{escape(title)}</text>')
    parts.append(f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 8}" y2="{pad_t + plot_h}" class="axis"/>')
    parts.append(f'<text x="{pad_l - 4}" y="{pad_t + 10}" text-anchor="end" class="chart-value">{_fmt(vmax)}</text>')
    for i, (label, value) in enumerate(items):
        h = plot_h * (value / vmax)
        x = pad_l + i * slot + slot * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{pad_t + plot_h - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                     f'fill="{PALETTE[0]}"><title>{escape(str(label))}: {_fmt(value)}{escape(unit)}</title></rect>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{pad_t + plot_h + 14}" text-anchor="middle" '
                     f'class="chart-label">{escape(str(label))[:10]}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def radar_chart(axes: Sequence[tuple[str, float]], title: str = "", size: int = 320,
                reference: float | None = None) -> Markup:
    """A radar of shares in [0, 1] (e.g. each indicator group's points over its maximum)."""
    n = len(axes)
    cx = cy = size / 2
    r = size / 2 - 60
    if n < 3:
        items = [(a, v * 100) for a, v in axes]
        return hbar_chart(items, title, "%", max_value=100)

    def point(i: int, frac: float) -> tuple[float, float]:
        ang = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * frac * math.cos(ang), cy + r * frac * math.sin(ang)

    labels = [f"{str(label)[:28]} {value * 100:.0f}%" for label, value in axes]
    # widen the drawing to the left and right so that no label runs past the edge of the picture
    pad = 4.0
    for i, text in enumerate(labels):
        lx, _ = point(i, 1.18)
        width = _text_width(text)
        if abs(lx - cx) < 10:
            pad = max(pad, width / 2 - lx, lx + width / 2 - size)
        else:
            pad = max(pad, width - lx if lx < cx else lx + width - size)
    pad = math.ceil(pad + 4)
    # and keep only the height the drawing uses (a triangle leaves the lower part of the square empty)
    label_ys = [point(i, 1.18)[1] for i in range(n)]
    top = math.floor(max(0.0, min(label_ys) - 14))
    bottom = math.ceil(min(float(size), max(max(label_ys) + 12, cy + r + 4)))
    parts = [f'<svg class="chart radar" role="img" viewBox="{-pad} {top} {size + 2 * pad} {bottom - top}" '
             'xmlns="http://www.w3.org/2000/svg">', f"<title>{escape(title)}</title>"]

    for ring in (0.25, 0.5, 0.75, 1.0):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        parts.append(f'<polygon points="{pts}" class="grid"/>')
    if reference is not None:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, reference) for i in range(n)))
        parts.append(f'<polygon points="{pts}" class="reference"/>')
    for i in range(n):
        x, y = point(i, 1.0)
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" class="grid"/>')
        lx, ly = point(i, 1.18)
        anchor = "middle" if abs(lx - cx) < 10 else ("start" if lx > cx else "end")
        parts.append(f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{anchor}" class="chart-label">'
                     f"{escape(labels[i])}</text>")
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, max(0.0, min(1.0, v))) for i, (_, v) in enumerate(axes)))
    parts.append(f'<polygon points="{pts}" class="area"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(items: Sequence[tuple[str, float | None]], title: str = "", unit: str = "", width: int = 480,
               height: int = 200, target: float | None = None, target_label: str = "",
               max_value: float | None = None) -> Markup:
    """A monthly trend: one point per (month, value), a gap where the value is missing, and a dashed target line
    (e.g. the coverage target or the service level). The title is the card's heading, kept in <title> only."""
    pad_l, pad_r, pad_t, pad_b = 44, 12, 12, 30
    values = [v for _, v in items if v is not None]
    vmax = max_value or max([*values, target or 0.0, 0.0]) * 1.1 or 1.0
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    n = max(len(items), 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return pad_l + plot_w * (i + 0.5) / n, pad_t + plot_h * (1 - v / vmax)

    parts = [f'<svg class="chart line" role="img" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
             f'data-points="{len(values)}">', f"<title>{escape(title)}</title>",
             f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - pad_r}" y2="{pad_t + plot_h}" class="axis"/>',
             f'<text x="{pad_l - 4}" y="{pad_t + 10}" text-anchor="end" class="chart-value">{_fmt(vmax)}{escape(unit)}'
             "</text>"]
    if target is not None:
        ty = pad_t + plot_h * (1 - target / vmax)
        parts.append(f'<line x1="{pad_l}" y1="{ty:.1f}" x2="{width - pad_r}" y2="{ty:.1f}" class="target" '
                     'stroke="#dc2626" stroke-dasharray="5 4"/>')
        parts.append(f'<text x="{width - pad_r}" y="{ty - 4:.1f}" text-anchor="end" class="chart-value target-label">'
                     f"{escape(target_label)} {_fmt(target)}{escape(unit)}</text>")
    path: list[str] = []
    for i, (label, v) in enumerate(items):
        x = pad_l + plot_w * (i + 0.5) / n
        if i % max(1, n // 6) == 0 or i == n - 1:
            parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" class="chart-label">'
                         f"{escape(str(label))}</text>")
        if v is None:
            path.append("")
            continue
        px, py = xy(i, v)
        path.append(f"{px:.1f},{py:.1f}")
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{PALETTE[0]}" class="point">'
                     f"<title>{escape(str(label))}: {_fmt(v)}{escape(unit)}</title></circle>")
    for segment in " ".join(p or "|" for p in path).split("|"):
        if segment.strip().count(",") >= 2:
            parts.append(f'<polyline points="{segment.strip()}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def link_hbar_chart(items: Sequence[tuple[str, float, str]], title: str = "", unit: str = "", width: int = 480,
                    max_value: float | None = None) -> Markup:
    """Horizontal bars whose labels link to the list behind each number: items are (label, value, href)."""
    svg = str(hbar_chart([(label, value) for label, value, _ in items], "", unit, width, max_value))
    svg = svg.replace("<title></title>", f"<title>{escape(title)}</title>", 1)
    for label, _, href in items:
        text = f">{escape(str(label)[:32])}</text>"
        svg = svg.replace(text, f'><a href="{escape(href)}">{escape(str(label)[:32])}</a></text>', 1)
    return Markup(svg)
