"""Charts as Vega-Lite specifications: the browser renders them with the locally served
vega-embed, the monthly report renders the same specs to SVG on the server (vl-convert).
Every chart carries its text alternative: a one-sentence summary and its data as a table.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from babel.numbers import format_currency, format_decimal, format_percent

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
PALETTE = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#a16207", "#be123c", "#0f766e"]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    summary: str  # the text alternative, read before the chart
    spec: dict[str, Any]
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)

    @property
    def spec_json(self) -> str:
        return orjson.dumps(self.spec).decode()

    def svg(self) -> str:
        return render_svg(self.spec_json)


@functools.lru_cache(maxsize=256)
def render_svg(spec_json: str) -> str:
    """The chart as SVG, rendered on the server (cached: a month's charts do not change
    between two requests)."""
    import vl_convert

    return str(vl_convert.vegalite_to_svg(orjson.loads(spec_json)))


def _base(title: str, width: int = 560, height: int = 220) -> dict[str, Any]:
    """The common frame; the title is in the spec's description (the page and the report
    show it above the chart, with the text alternative)."""
    return {
        "description": title,
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": width,
        "height": height,
        "config": {
            # the figure's summary and data table are the text alternative: the marks and
            # axes stay out of the accessibility tree instead of being read one by one
            "aria": False,
            "font": FONT,
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 11, "titleFontSize": 11},
            "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom"},
            "view": {"stroke": None},
        },
    }


def fmt(value: float | None, unit: str = "", locale: str = "en", currency: str = "") -> str:
    """A figure as the reader's locale writes it (26,6 % and 62.006 in German; 26.6% in
    English): whole from 100 on, else one decimal; a percentage with the locale's sign;
    money with the city's currency where it is known (S/ 15,484.00; 46,50 €)."""
    if value is None:
        return "–"
    if unit == "money" and currency:
        return format_currency(value, currency, locale=locale)
    whole = abs(value) >= 100 or float(value).is_integer()
    text = format_decimal(value, format="#,##0" if whole else "#,##0.0", locale=locale)
    return text + _percent_sign(locale) if unit == "percent" else text


@functools.cache
def _percent_sign(locale: str) -> str:
    """The locale's percent sign with its spacing: "%" in English, a no-break space and
    "%" in German and Spanish (so the sign never wraps away from its number)."""
    return format_percent(0, locale=locale).lstrip("0")


def trend(
    chart_id: str,
    title: str,
    *,
    locale: str = "en",
    points: Sequence[tuple[str, float | None, float | None]],  # month, value, target
    value_label: str,
    target_label: str,
    unit: str,
    summary: str,
) -> Chart:
    """A KPI over months as a line, with its target as a dashed line."""
    values = [
        {"month": m, "series": value_label, "value": v} for m, v, _ in points if v is not None
    ] + [{"month": m, "series": target_label, "value": t} for m, _, t in points if t is not None]
    spec = _base(title)
    spec["data"] = {"values": values}
    spec["mark"] = {"type": "line", "point": True}
    spec["encoding"] = {
        "x": {"field": "month", "type": "ordinal", "title": None, "axis": {"labelAngle": -40}},
        "y": {"field": "value", "type": "quantitative", "title": value_label},
        "color": {"field": "series", "type": "nominal", "title": None},
        "strokeDash": {
            "field": "series",
            "type": "nominal",
            "scale": {"domain": [value_label, target_label], "range": [[1, 0], [5, 4]]},
            "legend": None,
        },
        "tooltip": [
            {"field": "month", "type": "ordinal"},
            {"field": "series", "type": "nominal"},
            {"field": "value", "type": "quantitative", "format": ",.1f"},
        ],
    }
    rows = [[m, fmt(v, unit, locale), fmt(t, unit, locale)] for m, v, t in points]
    return Chart(chart_id, title, summary, spec, ["", value_label, target_label], rows)


def stacked(
    chart_id: str,
    title: str,
    *,
    locale: str = "en",
    values: Sequence[tuple[str, str, float]],  # month, series, value
    value_label: str,
    series_label: str,
    summary: str,
) -> Chart:
    """Values per month stacked by series (e.g. requests by channel)."""
    spec = _base(title)
    spec["data"] = {"values": [{"month": m, "series": s, "value": v} for m, s, v in values]}
    spec["mark"] = {"type": "bar"}
    spec["encoding"] = {
        "x": {"field": "month", "type": "ordinal", "title": None, "axis": {"labelAngle": -40}},
        "y": {"field": "value", "type": "quantitative", "title": value_label, "stack": True},
        "color": {"field": "series", "type": "nominal", "title": series_label},
        "tooltip": [
            {"field": "month", "type": "ordinal"},
            {"field": "series", "type": "nominal", "title": series_label},
            {"field": "value", "type": "quantitative", "title": value_label},
        ],
    }
    months = sorted({m for m, _, _ in values})
    series = sorted({s for _, s, _ in values})
    table = {(m, s): v for m, s, v in values}
    rows = [[m, *(fmt(table.get((m, s)), locale=locale) for s in series)] for m in months]
    return Chart(chart_id, title, summary, spec, ["", *series], rows)


def lines(
    chart_id: str,
    title: str,
    *,
    locale: str = "en",
    values: Sequence[tuple[str, str, float | None]],  # month, series, value
    value_label: str,
    series_label: str,
    unit: str,
    summary: str,
) -> Chart:
    """One line per series over months (e.g. one city each)."""
    spec = _base(title)
    spec["data"] = {
        "values": [{"month": m, "series": s, "value": v} for m, s, v in values if v is not None]
    }
    spec["mark"] = {"type": "line", "point": True}
    spec["encoding"] = {
        "x": {"field": "month", "type": "ordinal", "title": None, "axis": {"labelAngle": -40}},
        "y": {"field": "value", "type": "quantitative", "title": value_label},
        "color": {"field": "series", "type": "nominal", "title": series_label},
        "tooltip": [
            {"field": "month", "type": "ordinal"},
            {"field": "series", "type": "nominal", "title": series_label},
            {"field": "value", "type": "quantitative", "format": ",.1f", "title": value_label},
        ],
    }
    months = sorted({m for m, _, _ in values})
    series = sorted({s for _, s, _ in values})
    table = {(m, s): v for m, s, v in values}
    rows = [[m, *(fmt(table.get((m, s)), unit, locale) for s in series)] for m in months]
    return Chart(chart_id, title, summary, spec, ["", *series], rows)
