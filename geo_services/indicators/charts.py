"""Monthly trend charts as inline SVG, drawn on the server: no chart script, nothing to download."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 640
HEIGHT = 220
LEFT = 56  # room for the axis labels
BOTTOM = 28
TOP = 12
RIGHT = 8


def format_value(value: float | None, decimals: int) -> str:
    if value is None:
        return _("no data")
    return f"{value:,.{decimals}f}"


def trend_svg(
    points: Sequence[tuple[str, float | None]], *, title: str, unit: str, decimals: int
) -> SafeString:
    """A bar per month (label, value); a month without a figure has no bar and says so on hover.

    Time runs left to right in both languages, as on printed charts; the labels are in the page's
    language.
    """
    values = [value for _label, value in points if value is not None]
    top = max(values, default=0.0)
    scale_top = top if top > 0 else 1.0
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(points), 1)
    bar = max(slot * 0.7, 1.0)
    label_every = max(1, round(len(points) / 12))
    parts: list[str] = [
        format_html(
            '<line class="trend-axis" x1="{}" y1="{}" x2="{}" y2="{}"/>',
            LEFT,
            TOP + plot_height,
            WIDTH - RIGHT,
            TOP + plot_height,
        ),
        format_html(
            '<text class="trend-label" x="{}" y="{}" text-anchor="end">{}</text>',
            LEFT - 4,
            TOP + 10,
            format_value(top, decimals),
        ),
        format_html(
            '<text class="trend-label" x="{}" y="{}" text-anchor="end">0</text>', LEFT - 4, TOP + plot_height
        ),
    ]
    for index, (label, value) in enumerate(points):
        x = LEFT + index * slot + (slot - bar) / 2
        hover = f"{label}: {format_value(value, decimals)}" + (f" {unit}" if value is not None else "")
        if value is None:
            parts.append(
                format_html(
                    '<text class="trend-missing" x="{}" y="{}" text-anchor="middle"><title>{}</title>\N{EN DASH}</text>',
                    f"{x + bar / 2:.1f}",
                    TOP + plot_height - 4,
                    hover,
                )
            )
        else:
            bar_height = max(value, 0.0) / scale_top * plot_height
            parts.append(
                format_html(
                    '<rect class="trend-bar" x="{}" y="{}" width="{}" height="{}"'
                    ' data-value="{}"><title>{}</title></rect>',
                    f"{x:.1f}",
                    f"{TOP + plot_height - bar_height:.1f}",
                    f"{bar:.1f}",
                    f"{bar_height:.1f}",
                    value,
                    hover,
                )
            )
        if index % label_every == 0:
            parts.append(
                format_html(
                    '<text class="trend-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                    f"{x + bar / 2:.1f}",
                    HEIGHT - 8,
                    label,
                )
            )
    body = mark_safe("".join(parts))  # every part above is escaped by format_html  # noqa: S308
    return format_html(
        '<svg class="trend-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" direction="ltr">'
        "<title>{}</title>{}</svg>",
        WIDTH,
        HEIGHT,
        f"{title} ({unit})",
        f"{title} ({unit})",
        body,
    )
