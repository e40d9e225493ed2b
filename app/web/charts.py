"""Bar charts as inline SVG, drawn on the server: readable without JavaScript, and light."""

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
BAR = 24
GAP = 8
LABEL = 230


@dataclass
class Chart:
    """An SVG figure and the text a screen reader gets instead (the table has the numbers)."""

    title: str
    svg: Markup


def bars(points: list[tuple[str, float | int | None]], title: str, *, percent: bool = False,
         horizontal: bool = False) -> Chart:
    """One bar per (label, value); a missing value draws no bar and says "n/a"."""
    values = [v for _, v in points if v is not None]
    top = 100.0 if percent else float(max(values, default=0) or 1)
    unit = "%" if percent else ""
    rows = []
    if horizontal:
        height = len(points) * (BAR + GAP) + GAP
        span = WIDTH - LABEL - 60
        for index, (label, value) in enumerate(points):
            y = GAP + index * (BAR + GAP)
            length = 0 if value is None else span * float(value) / top
            shown = "n/a" if value is None else f"{value:g}{unit}"
            rows.append(
                f'<text x="{LABEL - 6}" y="{y + BAR * 0.7:.1f}" text-anchor="end">'
                f'{escape(label)}</text>'
                f'<rect x="{LABEL}" y="{y}" width="{length:.1f}" height="{BAR}" rx="2"/>'
                f'<text x="{LABEL + length + 4:.1f}" y="{y + BAR * 0.7:.1f}">{shown}</text>')
    else:
        height = 220
        count = max(len(points), 1)
        slot = (WIDTH - 20) / count
        span = height - 50
        for index, (label, value) in enumerate(points):
            x = 10 + index * slot
            length = 0 if value is None else span * float(value) / top
            shown = "n/a" if value is None else f"{value:g}{unit}"
            bottom = height - 24
            rows.append(
                f'<rect x="{x + slot * 0.15:.1f}" y="{bottom - length:.1f}" '
                f'width="{slot * 0.7:.1f}" height="{length:.1f}" rx="2"/>'
                f'<text x="{x + slot / 2:.1f}" y="{bottom - length - 4:.1f}" '
                f'text-anchor="middle">{shown}</text>'
                f'<text x="{x + slot / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                f'{escape(label)}</text>')
    # Every label and the title are escaped above; the numbers are formatted floats.
    svg = Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet">'
        f'<title>{escape(title)}</title>{"".join(rows)}</svg>')
    return Chart(title=title, svg=svg)
