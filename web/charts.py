"""Charts drawn on the server as SVG a screen reader can read: ``role="img"`` named by its
``<title>`` and ``<desc>``, every bar or point labelled with its value in text (colour never
carries the meaning alone), colours with at least 3:1 contrast on white (WCAG 1.4.11). The data
table beside each chart holds the same numbers. No JavaScript, no chart library, no CDN."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Series", "bar_chart", "line_chart"]

# Dark blue and dark orange: 8.6:1 and 5.2:1 on white, and told apart without colour vision by
# their legend's shapes (solid bar, hatched bar / round point, square point).
COLOURS = ("#1d4e89", "#a13f00")
_FONT = 'font-family="system-ui, sans-serif" font-size="14"'
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _fitted(label: str, most: int = 34) -> str:
    """A bar's name short enough for its room (the table beside the chart has it whole); a
    Chinese character takes two places."""
    widths = [2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label]
    if sum(widths) <= most:
        return label
    used, kept = 0, []
    for character, width in zip(label, widths, strict=True):
        if used + width > most - 1:
            break
        used += width
        kept.append(character)
    return "".join(kept) + "…"


def _frame(width: int, height: int, title: str, desc: str, body: str, fit: str) -> Markup:
    n = next(_ids)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="chart-{n}-title chart-{n}-desc" '
        f'class="chart chart-{fit}" preserveAspectRatio="xMinYMin meet">'
        f'<title id="chart-{n}-title">{escape(title)}</title>'
        f'<desc id="chart-{n}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def _legend(series: Sequence[Series], y: int, *, spacing: int, lines: bool = False) -> str:
    parts = []
    for n, one in enumerate(series):
        x = 10 + n * spacing
        if lines:
            dash = "" if n == 0 else ' stroke-dasharray="6 3"'
            shape = (
                f'<line x1="{x - 6}" y1="{y - 4}" x2="{x + 14}" y2="{y - 4}" '
                f'stroke="{COLOURS[n]}" stroke-width="3"{dash}/>'
            )
        elif n == 0:
            shape = f'<rect x="{x}" y="{y - 11}" width="14" height="14" fill="{COLOURS[0]}"/>'
        else:
            shape = f'<rect x="{x}" y="{y - 11}" width="14" height="14" fill="url(#hatch)"/>'
        parts.append(f'{shape}<text x="{x + 20}" y="{y}" {_FONT}>{escape(one.name)}</text>')
    return "".join(parts)


_HATCH = (
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{COLOURS[1]}"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>'
)


@dataclass(frozen=True)
class _Bars:
    """Where a bar chart's parts go: ``label_width`` beside the bars (wide), or 0 for the
    narrow drawing, where each name stands on its own line above its bars."""

    width: int
    label_width: int
    name_room: int  # half-width characters a name may take

    @property
    def stacked(self) -> bool:
        return self.label_width == 0


def _bars(
    labels: Sequence[str], series: Sequence[Series], unit: str, shape: _Bars
) -> tuple[int, str]:
    bar, gap = 16, 10
    left = shape.label_width or 10
    room = shape.width - left - 90
    name_line = 20 if shape.stacked else 0
    top = 30 if len(series) > 1 else 8
    group = name_line + bar * len(series) + gap
    height = top + group * len(labels) + 8
    largest = max((v or 0 for s in series for v in s.values), default=0) or 1
    body = [_HATCH]
    if len(series) > 1:
        body.append(_legend(series, 18, spacing=min(220, shape.width // 2 - 10)))
    for row, label in enumerate(labels):
        y = top + row * group
        name = escape(_fitted(label, shape.name_room))
        if shape.stacked:
            body.append(f'<text x="{left + 4}" y="{y + 14}" {_FONT}>{name}</text>')
        else:
            body.append(
                f'<text x="{left - 8}" y="{y + bar * len(series) / 2 + 5}" '
                f'text-anchor="end" {_FONT}>{name}</text>'
            )
        for n, one in enumerate(series):
            value = one.values[row]
            length = room * (value or 0) / largest
            fill = COLOURS[0] if n == 0 else "url(#hatch)"
            by = y + name_line + n * bar
            body.append(
                f'<rect x="{left}" y="{by}" width="{length:.1f}" height="{bar - 2}" '
                f'fill="{fill}"/><text x="{left + length + 6:.1f}" y="{by + bar - 4}" '
                f"{_FONT}>{escape(_number(value))}{escape(unit)}</text>"
            )
    body.append(
        f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{height - 6}" stroke="#595959"/>'
    )
    return height, "".join(body)


def bar_chart(
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
) -> Markup:
    """Horizontal bars, one group per label, one bar per series, each bar's value written at
    its end. Reads at a glance: longest bar, biggest number. Drawn twice, the page's style
    showing one: names beside the bars on a wide screen, names above them on a phone (a wide
    drawing shrunk to a phone's width would write its numbers at 6 px)."""
    drawings = []
    for fit, shape in (("wide", _Bars(780, 290, 34)), ("narrow", _Bars(360, 0, 44))):
        height, body = _bars(labels, series, unit, shape)
        drawings.append(_frame(shape.width, height, title, desc, body, fit))
    return Markup("").join(drawings)


def _line_body(labels: Sequence[str], series: Sequence[Series], width: int) -> tuple[int, str]:
    height, left, bottom, top = 260 if width > 400 else 220, 50, 40, 34
    plot_w, plot_h = width - left - 20, height - top - bottom
    largest = max((v or 0 for s in series for v in s.values), default=0) or 1
    step = plot_w / max(1, len(labels) - 1)
    body = [_legend(series, 18, lines=True, spacing=min(220, width // 2 - 10))]
    base = top + plot_h
    body.append(
        f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#595959"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#595959"/>'
        f'<text x="{left - 6}" y="{top + 5}" text-anchor="end" {_FONT}>{_number(largest)}</text>'
        f'<text x="{left - 6}" y="{base}" text-anchor="end" {_FONT}>0</text>'
    )
    if labels:
        body.append(f'<text x="{left}" y="{base + 20}" {_FONT}>{escape(labels[0])}</text>')
        body.append(
            f'<text x="{left + plot_w}" y="{base + 20}" text-anchor="end" {_FONT}>'
            f"{escape(labels[-1])}</text>"
        )
    for n, one in enumerate(series):
        points = [
            (left + i * step, base - plot_h * (v or 0) / largest) for i, v in enumerate(one.values)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        dash = "" if n == 0 else ' stroke-dasharray="6 3"'
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{COLOURS[n]}" stroke-width="2"{dash}/>'
        )
    return height, "".join(body)


def line_chart(title: str, desc: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Values over time (one point per label), the first and last label and the highest value
    written on the axes; each point's exact value is in the table beside it. Drawn wide and
    narrow, as :func:`bar_chart` is."""
    drawings = []
    for fit, width in (("wide", 720), ("narrow", 360)):
        height, body = _line_body(labels, series, width)
        drawings.append(_frame(width, height, title, desc, body, fit))
    return Markup("").join(drawings)
