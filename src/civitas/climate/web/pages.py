"""The inventory in the GPC's reporting layout, for everyone: totals for BASIC and
BASIC+, by sector and scope, every sub-sector with its gases or its notation key, each
line with its activity, factor and sources; the services' emissions, the methane the
city's recycling avoids, the target path and what measures would save. As a page, a PDF,
CSV and JSON."""

from __future__ import annotations

import base64
import functools
from datetime import date
from typing import Any

from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.climate import export, gpc, scenarios
from civitas.climate.gwp import SETS
from civitas.climate.inventory import report, years_of
from civitas.core.errors import NotFound
from civitas.core.i18n import N_, locale_for, pick, translate, translations
from civitas.insight.charts import Chart, _base, fmt
from civitas.web.deps import CurrentCity, DbSession
from civitas.web.routers import Router
from civitas.web.templating import page, templates, when

router = Router(include_in_schema=False)


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "en"))


def _year(db: Session, city: City, year: int) -> int:
    if year not in years_of(db, city):
        raise NotFound(N_("{city} has no inventory for {year}."), city=city.name, year=year)
    return year


@router.get("/{city}/climate", response_model=None)
def latest(request: Request, city: CurrentCity, db: DbSession) -> Response:
    years = years_of(db, city)
    if not years:
        return page(request, "climate/none.html", {})
    return RedirectResponse(
        f"/{city.slug}/climate/{years[-1]}?lang={_lang(request)}", status_code=303
    )


def context(db: Session, city: City, year: int, lang: str, gwp: str | None) -> dict[str, Any]:
    found = report(db, city, year, gwp=gwp if gwp in SETS else None)
    locale = locale_for(lang, city.country)
    number = functools.partial(fmt, locale=locale)
    names = {s.code: pick(s.name, lang, city.default_language) for s in db.query(Service)}
    sectors: list[dict[str, Any]] = []
    for code, title in gpc.SECTORS.items():
        rows = [r for r in found.rows if r.row.sector == code]
        sectors.append(
            {
                "code": code,
                "title": translate(lang, title),
                "rows": rows,
                "total": found.by_sector.get(code, 0.0),
            }
        )
    plan, path = scenarios.target_path(db, city, years_of(db, city))
    label = translate(lang, N_("t CO₂e"))
    chart = Chart(
        "climate-sectors",
        translate(lang, N_("Emissions by sector")),
        translate(
            lang,
            N_(
                "Tonnes of CO₂ equivalent per GPC sector in {year} ({gwp}), scopes 1 to 3 "
                "of the BASIC+ rows."
            ),
            year=year,
            gwp=found.gwp.code,
        ),
        {
            **_base(translate(lang, N_("Emissions by sector")), height=180),
            "data": {
                "values": [
                    {"sector": s["title"], "value": round(s["total"], 1)}
                    for s in sectors
                    if s["total"]
                ]
            },
            "mark": {"type": "bar"},
            "encoding": {
                "y": {"field": "sector", "type": "nominal", "title": None, "sort": None},
                "x": {"field": "value", "type": "quantitative", "title": label},
                "tooltip": [{"field": "sector"}, {"field": "value", "format": ",.1f"}],
            },
        },
        [translate(lang, N_("Sector")), label],
        [[s["title"], number(s["total"])] for s in sectors],
    )
    return {
        "found": found,
        "year": year,
        "years": years_of(db, city),
        "gwp_sets": list(SETS.values()),
        "sectors": sectors,
        "subsectors": {k: translate(lang, v) for k, v in gpc.SUBSECTORS.items()},
        "keys": {k: translate(lang, v) for k, v in gpc.NOTATION_KEYS.items()},
        "services": sorted(
            ((names.get(code, code), value) for code, value in found.services.items()),
            key=lambda x: -x[1],
        ),
        "scenarios": scenarios.scenarios(db, city, found),
        "plan": plan,
        "path": path,
        "under_way": year >= date.today().year,
        "chart": chart,
        "fmt": number,
        # tonnes of CH₄ and N₂O are small: three decimals, in the reader's locale
        "t3": lambda value: format_decimal(value, format="#,##0.###", locale=locale),
        # a factor's kilograms per unit, to its last published digit
        "sig": lambda value: format_decimal(value, format="#,##0.#########", locale=locale),
        "factor_label": lambda f: pick(f.label, lang, "en") if f else "",
    }


@router.get("/{city}/climate/{year}.{fmt}", response_model=None)
def download(
    request: Request, city: CurrentCity, db: DbSession, year: int, fmt: str, gwp: str = ""
) -> Response:
    _year(db, city, year)
    if fmt not in ("pdf", "csv", "json"):
        raise NotFound(N_("There is no such download: take .pdf, .csv or .json."))
    found = report(db, city, year, gwp=gwp if gwp in SETS else None)
    name = f"{city.slug}-ghg-inventory-{year}"
    if fmt == "csv":
        return Response(
            export.as_text_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "json":
        return Response(export.as_json(found), media_type="application/json")
    import weasyprint

    lang = _lang(request)
    gettext = translations(lang).gettext

    def t(msgid: str, **params: object) -> str:
        text = gettext(msgid)
        return text.format(**params) if params else text

    locale = locale_for(lang, city.country)

    def tn(singular: str, plural: str, count: int, **params: object) -> str:
        text = translations(lang).ngettext(singular, plural, count)
        return text.format(count=format_decimal(count, locale=locale), **params)

    html = templates.env.get_template("climate/report_pdf.html").render(
        _=t,
        _n=tn,
        when=lambda moment, kind="datetime": when(moment, kind, locale, city),
        number=lambda value: format_decimal(value, locale=locale),
        lang=lang,
        city=city,
        pdf=True,
        svg=lambda chart: (
            "data:image/svg+xml;base64," + base64.b64encode(chart.svg().encode()).decode()
        ),
        **context(db, city, year, lang, gwp),
    )
    pdf = bytes(weasyprint.HTML(string=html, base_url=".").write_pdf())
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{name}.pdf"'},
    )


@router.get("/{city}/climate/{year}", response_model=None)
def year_page(
    request: Request, city: CurrentCity, db: DbSession, year: int, gwp: str = ""
) -> Response:
    _year(db, city, year)
    return page(
        request,
        "climate/report.html",
        {**context(db, city, year, _lang(request), gwp), "gwp_param": gwp if gwp in SETS else ""},
    )
