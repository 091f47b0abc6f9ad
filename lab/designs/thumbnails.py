"""A small SVG picture of a topology for the gallery, drawn on the server from node positions:
no external service, no script, and every piece of text escaped."""
from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from lab.sim import REGISTRY

WIDTH, HEIGHT, PAD = 320, 180, 14
BOX_W, BOX_H = 56, 22
COLORS = {"edge": "#dbeafe", "compute": "#dcfce7", "data": "#fef3c7", "messaging": "#ede9fe", "external": "#fce7f3"}


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def thumbnail_svg(topology: dict[str, Any]) -> str:
    nodes = [n for n in topology.get("nodes") or [] if isinstance(n, dict)][:200]
    points = {}
    for node in nodes:
        position = node.get("position")
        if not isinstance(position, dict):
            position = {}
        points[str(node.get("id"))] = (_number(position.get("x")), _number(position.get("y")))
    if points:
        xs, ys = [p[0] for p in points.values()], [p[1] for p in points.values()]
        span_x, span_y = max(xs) - min(xs) or 1.0, max(ys) - min(ys) or 1.0
        scale = min((WIDTH - 2 * PAD - BOX_W) / span_x, (HEIGHT - 2 * PAD - BOX_H) / span_y, 1.0)
        # Centred: a design laid out in one row sits in the middle, not along the top edge.
        left = (WIDTH - BOX_W - (max(xs) - min(xs)) * scale) / 2
        top = (HEIGHT - BOX_H - (max(ys) - min(ys)) * scale) / 2
        place = {k: (left + (x - min(xs)) * scale, top + (y - min(ys)) * scale) for k, (x, y) in points.items()}
    else:
        place = {}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" role="img"><rect width="100%" height="100%" fill="#f8fafc"/>']
    for edge in (topology.get("edges") or [])[:1000]:
        if not isinstance(edge, dict):
            continue
        a, b = place.get(str(edge.get("from"))), place.get(str(edge.get("to")))
        if a and b:
            parts.append(f'<line x1="{a[0] + BOX_W / 2:.1f}" y1="{a[1] + BOX_H / 2:.1f}" x2="{b[0] + BOX_W / 2:.1f}" '
                         f'y2="{b[1] + BOX_H / 2:.1f}" stroke="#94a3b8" stroke-width="1.2"/>')
    for node in nodes:
        x, y = place[str(node.get("id"))]
        kind_name = node.get("kind")
        kind = REGISTRY.get(kind_name) if isinstance(kind_name, str) else None
        fill = COLORS.get(kind.group if kind else "", "#e2e8f0")
        label = str(node.get("label") or node.get("id") or "")[:12]
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="{fill}" '
                     f'stroke="#475569" stroke-width="0.8"/><text x="{x + BOX_W / 2:.1f}" y="{y + 14:.1f}" '
                     f'font-size="8" text-anchor="middle" font-family="sans-serif">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
