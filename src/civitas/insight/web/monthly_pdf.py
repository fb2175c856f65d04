"""The monthly report of a city as PDF: key figures, the scorecard with its lights, and
the same Vega-Lite charts as the dashboard, rendered to SVG on the server (vl-convert)
and laid out by WeasyPrint. Every chart keeps its text alternative in the PDF."""

from __future__ import annotations

import base64
import functools
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.db import utcnow
from civitas.core.i18n import locale_for, pick, translations
from civitas.insight import scorecard
from civitas.insight.charts import Chart, fmt
from civitas.insight.dashboard import dashboard, scorecard_page
from civitas.web.templating import templates


def monthly_html(db: Session, city: City, month: str, lang: str) -> str:
    board = dashboard(db, city, month, lang)
    perspectives, _measure_charts = scorecard_page(db, city, month, lang)
    gettext = translations(lang).gettext
    locale = locale_for(lang, city.country)

    def t(msgid: str, **params: object) -> str:
        text = gettext(msgid)
        return text.format(**params) if params else text

    def svg(chart: Chart) -> str:
        data = chart.svg().encode()
        return "data:image/svg+xml;base64," + base64.b64encode(data).decode()

    return templates.env.get_template("insight/report.html").render(
        _=t,
        lang=lang,
        city=city,
        month=month,
        board=board,
        perspectives=perspectives,
        labels={k: t(v) for k, v in scorecard.LIGHT_LABELS.items()},
        charts=board.charts,
        svg=svg,
        fmt=functools.partial(fmt, locale=locale, currency=city.currency),
        number=lambda value: format_decimal(value, locale=locale),
        pick=lambda texts: pick(texts, lang, city.default_language),
        made=format_datetime(
            utcnow(),
            "medium",
            tzinfo=ZoneInfo(city.timezone),
            locale=locale_for(lang, city.country),
        ),
    )


def monthly_pdf(db: Session, city: City, month: str, lang: str) -> bytes:
    import weasyprint

    html = monthly_html(db, city, month, lang)
    return bytes(weasyprint.HTML(string=html, base_url=".").write_pdf())
