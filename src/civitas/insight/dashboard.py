"""What the dashboard, the scorecard page and the monthly report show, built once for the
browser and the PDF alike (figures, charts with their text alternatives, CSV rows)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from civitas.cases.schemas import CHANNEL_LABELS, RequestChannel
from civitas.cities.models import City
from civitas.core.i18n import N_, locale_for, translate
from civitas.core.kpis import Kpi
from civitas.insight import charts, scorecard
from civitas.insight.charts import Chart, fmt
from civitas.insight.figures import Figure, figures, months_back, series
from civitas.insight.network import Comparison, comparison


@dataclass(frozen=True)
class Grid:
    """Figures as a table: one row a KPI, one column a key (service, department …)."""

    keys: list[str]
    rows: list[tuple[Kpi, list[Figure | None]]]

    @classmethod
    def of(cls, found: Sequence[Figure]) -> Grid:
        keys = sorted({f.key for f in found})
        by: dict[str, dict[str, Figure]] = {}
        kpis: dict[str, Kpi] = {}
        for f in found:
            by.setdefault(f.kpi.code, {})[f.key] = f
            kpis[f.kpi.code] = f.kpi
        return cls(keys, [(kpis[c], [by[c].get(k) for k in keys]) for c in by])


@dataclass(frozen=True)
class Dashboard:
    month: str
    months: list[str]
    figures: list[Figure]
    breakdown: list[Figure]
    dimension: str
    charts: list[Chart]


def channel_name(lang: str, channel: str) -> str:
    try:
        return translate(lang, CHANNEL_LABELS[RequestChannel(channel)])
    except ValueError:
        return channel


def dashboard(
    db: Session, city: City, month: str, lang: str, *, dimension: str = "all"
) -> Dashboard:
    locale = locale_for(lang, city.country)
    span = months_back(city, month, 12)
    data = series(db, city, ["volume"], span, dimension="channel")
    volume = [
        (m, channel_name(lang, key), fig.value or 0.0)
        for (m, key), fig in sorted(data["volume"].items())
    ]
    total = sum(v for m, _, v in volume if m == month)
    out = [
        charts.stacked(
            "channels",
            translate(lang, N_("Requests by channel")),
            locale=locale,
            values=volume,
            value_label=translate(lang, N_("Requests")),
            series_label=translate(lang, N_("Channel")),
            summary=translate(
                lang,
                N_(
                    "Requests received per month over the last 12 months by channel; "
                    "{total} in {month}."
                ),
                total=fmt(total, locale=locale),
                month=month,
            ),
        )
    ]
    whole = series(db, city, ["csat_pct", "close_median_h", "digital_pct"], span)
    for code, title, unit in (
        ("csat_pct", N_("Satisfaction, CSAT (%)"), "percent"),
        ("close_median_h", N_("Time to close, median (hours)"), "hours"),
        ("digital_pct", N_("Digital share (%)"), "percent"),
    ):
        points = [(m, _value(whole[code].get((m, ""))), None) for m in span]
        out.append(_trend_chart(lang, code, translate(lang, title), points, month, unit, locale))
    return Dashboard(
        month=month,
        months=span,
        figures=figures(db, city, month),
        breakdown=figures(db, city, month, dimension=dimension) if dimension != "all" else [],
        dimension=dimension,
        charts=out,
    )


def _value(fig: Figure | None) -> float | None:
    return None if fig is None else fig.value


def _trend_chart(
    lang: str,
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, float | None, float | None]],
    month: str,
    unit: str = "",
    locale: str = "en",
) -> Chart:
    now = next((v for m, v, _ in points if m == month), None)
    target = next((t for m, _, t in points if m == month), None)
    if target is None:
        summary = translate(
            lang,
            N_("{title} over 12 months; {value} in {month}."),
            title=title,
            value=fmt(now, unit, locale),
            month=month,
        )
    else:
        summary = translate(
            lang,
            N_("{title} over 12 months; {value} in {month} against a target of {target}."),
            title=title,
            value=fmt(now, unit, locale),
            month=month,
            target=fmt(target, unit, locale),
        )
    return charts.trend(
        chart_id,
        title,
        points=points,
        locale=locale,
        value_label=translate(lang, N_("Value")),
        target_label=translate(lang, N_("Target")),
        unit=unit,
        summary=summary,
    )


@dataclass(frozen=True)
class Perspective:
    code: str
    title: str
    objectives: list[scorecard.ObjectiveView]


def scorecard_page(
    db: Session, city: City, month: str, lang: str
) -> tuple[list[Perspective], list[Chart]]:
    """The scorecard by perspective, and one trend chart per measure (value and target)."""
    objectives = scorecard.view(db, city, month)
    grouped = [
        Perspective(code, translate(lang, title), [o for o in objectives if o.perspective == code])
        for code, title in scorecard.PERSPECTIVES.items()
    ]
    out = []
    for o in objectives:
        for m in o.measures:
            points = [(p.month, p.value, p.target) for p in m.history]
            out.append(
                _trend_chart(
                    lang,
                    f"m-{o.code}-{m.kpi.code}",
                    m.kpi.title(lang),
                    points,
                    month,
                    m.kpi.unit,
                    locale_for(lang, city.country),
                )
            )
    return grouped, out


def network_charts(lang: str, data: Comparison, locale: str = "en") -> list[Chart]:
    out = []
    for kpi in data.kpis:
        values = [
            (month, name, data.values.get((kpi.code, slug, month), (None, False))[0])
            for slug, name in data.cities
            for month in data.months
        ]
        title = kpi.title(lang)
        out.append(
            charts.lines(
                f"n-{kpi.code}",
                title,
                locale=locale,
                values=values,
                value_label=title,
                series_label=translate(lang, N_("City")),
                unit=kpi.unit,
                summary=translate(
                    lang,
                    N_("{title} per month for each city of the network that publishes it."),
                    title=title,
                ),
            )
        )
    return out


def network_view(db: Session, lang: str, locale: str = "en") -> tuple[Comparison, list[Chart]]:
    data = comparison(db)
    return data, network_charts(lang, data, locale)
