"""The back office's figures: the dashboard, the balanced scorecard (with its editor and
the figures entered by hand), the learning network's comparison, CSV of every table and
the monthly PDF report."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from civitas.accounts.service import Principal
from civitas.cases.permissions import CasesPermission
from civitas.cities.models import City
from civitas.core.errors import CivitasError, InvalidInput
from civitas.core.i18n import N_, locale_for, pick, translate
from civitas.insight import figures as figs
from civitas.insight import scorecard
from civitas.insight import service as insight_service
from civitas.insight.charts import fmt
from civitas.insight.dashboard import Grid, channel_name, dashboard, network_view, scorecard_page
from civitas.insight.permissions import InsightPermission
from civitas.insight.web import monthly_pdf as report
from civitas.web.actions import form_action
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, staff_page
from civitas.web.forms import problem_list
from civitas.web.routers import Router
from civitas.web.spreadsheet import people_csv
from civitas.web.templating import page

router = Router(include_in_schema=False)
READ = InsightPermission.INSIGHT_FIGURES_READ
WRITE = InsightPermission.INSIGHT_SCORECARD_WRITE
NETWORK = InsightPermission.INSIGHT_NETWORK_READ
DIMENSIONS = ("all", "service", "department", "channel")


def _month(city: City, month: str | None, *, latest: bool = False) -> str:
    """The month asked for; without one, the last complete month (what the pages show
    first), or this month for what is entered or refreshed (``latest``)."""
    if not month:
        return figs.current_month(city) if latest else figs.last_complete_month(city)
    return figs.period(city, month).month


UNIT_LABELS = {
    "count": N_("number"),
    "percent": N_("percent"),
    "minutes": N_("minutes"),
    "hours": N_("hours"),
    "days": N_("days"),
    "score": N_("score"),
    "money": N_("amount"),
}
DIMENSION_LABELS = {
    "all": N_("whole city"),
    "service": N_("service"),
    "department": N_("department"),
    "channel": N_("channel"),
}


def _unit(lang: str, unit: str, city: City) -> str:
    label = translate(lang, UNIT_LABELS[unit]) if unit in UNIT_LABELS else unit
    return f"{label} ({city.currency})" if unit == "money" else label


def _key_label(lang: str, dimension: str, key: str) -> str:
    return channel_name(lang, key) if dimension == "channel" else key


@router.get("/{city}/staff/insight", response_class=HTMLResponse, response_model=None)
def insight(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    month: str | None = None,
    dimension: str = "all",
) -> Response:
    if isinstance(go := staff_page(city, principal, READ), Response):
        return go
    lang = request.state.lang
    chosen = _month(city, month)
    board = dashboard(
        db, city, chosen, lang, dimension=dimension if dimension in DIMENSIONS else "all"
    )
    return page(
        request,
        "insight/dashboard.html",
        {
            "board": board,
            "grid": Grid.of(board.breakdown),
            "fmt": figures_in(lang, city),
            "key_label": lambda key: _key_label(lang, board.dimension, key),
            "dimensions": DIMENSIONS,
            "can_write": principal is not None and principal.can(WRITE),
            "done": request.query_params.get("done"),
            "open_month": figs.current_month(city),
        },
    )


@router.get("/{city}/staff/insight/figures.csv", response_model=None)
def insight_csv(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    month: str | None = None,
    dimension: str = "all",
) -> Response:
    if isinstance(go := staff_page(city, principal, READ), Response):
        return go
    chosen = _month(city, month)
    dimension = dimension if dimension in DIMENSIONS else "all"
    lang = request.state.lang
    t = functools.partial(translate, lang)
    rows = [
        [
            chosen,
            f.kpi.code,
            f.kpi.title(lang),
            t(DIMENSION_LABELS.get(f.dimension, f.dimension)),
            _key_label(lang, f.dimension, f.key),
            f.value,
            f.n,
            _unit(lang, f.kpi.unit, city),
        ]
        for f in figs.figures(db, city, chosen, dimension=dimension)
    ]
    return people_csv(
        f"{city.slug}-kpis-{chosen}-{dimension}.csv",
        [
            t("Month"),
            t("Code"),
            t("Indicator"),
            t("Breakdown"),
            t("Part"),
            t("Value"),
            t("Cases counted"),
            t("Unit"),
        ],
        rows,
        locale=locale_for(lang, city.country),
    )


@router.post("/{city}/staff/insight/refresh", response_model=None)
def refresh(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    month: Annotated[str, Form(max_length=7)] = "",
) -> Response:
    lang = request.state.lang

    def change(who: Principal) -> str:
        chosen = _month(city, month or None, latest=True)
        insight_service.refresh_figures(db, city, [chosen], actor=who.label)
        return chosen

    def refused(_who: Principal, exc: CivitasError) -> Response:
        raise exc  # a month that is no month: the error page names it

    return form_action(
        request,
        city,
        db,
        principal,
        permission=WRITE,
        csrf=csrf,
        change=change,
        done=lambda chosen: f"/{city.slug}/staff/insight?month={chosen}&done=refreshed&lang={lang}",
        refused=refused,
    )


@router.get("/{city}/staff/scorecard", response_class=HTMLResponse, response_model=None)
def scorecard_view(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    month: str | None = None,
) -> Response:
    if isinstance(go := staff_page(city, principal, READ), Response):
        return go
    return _scorecard(request, db, city, _month(city, month))


def _scorecard(
    request: Request,
    db: DbSession,
    city: City,
    month: str,
    *,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang = request.state.lang
    perspectives, charts = scorecard_page(db, city, month, lang)
    principal = request.state.principal
    return page(
        request,
        "insight/scorecard.html",
        {
            "month": month,
            "open_month": figs.current_month(city),
            "perspectives": perspectives,
            "charts": {c.id: c for c in charts},
            "fmt": figures_in(lang, city),
            "labels": {k: translate(lang, v) for k, v in scorecard.LIGHT_LABELS.items()},
            "manual": scorecard.manual_kpis(db, city),
            "can_write": principal.can(WRITE),
            "problems": problems or {},
            "done": request.query_params.get("done"),
        },
        status,
    )


@router.get("/{city}/staff/scorecard.csv", response_model=None)
def scorecard_csv(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    month: str | None = None,
) -> Response:
    if isinstance(go := staff_page(city, principal, READ), Response):
        return go
    chosen = _month(city, month)
    lang = request.state.lang
    t = functools.partial(translate, lang)
    rows = []
    for o in scorecard.view(db, city, chosen):
        perspective = t(scorecard.PERSPECTIVES[o.perspective])
        for m in o.measures:
            for p in m.history:
                rows.append(
                    [
                        p.month,
                        perspective,
                        pick(o.title, lang) or o.code,
                        m.kpi.code,
                        m.kpi.title(lang),
                        p.value,
                        p.target,
                        t(scorecard.LIGHT_LABELS[p.light]),
                    ]
                )
    return people_csv(
        f"{city.slug}-scorecard-{chosen}.csv",
        [
            t("Month"),
            t("Perspective"),
            t("Objective"),
            t("Code"),
            t("Indicator"),
            t("Value"),
            t("Target"),
            t("Status"),
        ],
        rows,
        locale=locale_for(lang, city.country),
    )


@router.post("/{city}/staff/scorecard/figures", response_model=None)
def enter_figure(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    kpi: Annotated[str, Form(max_length=40)] = "",
    month: Annotated[str, Form(max_length=7)] = "",
    value: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    lang = request.state.lang
    chosen = _month(city, month or None, latest=True)

    def change(who: Principal) -> None:
        try:
            number = float(value.replace(",", ".").strip())
        except ValueError:
            raise InvalidInput(
                "Enter the figure as a number, e.g. 1250 or 12.5 (you entered '{value}').",
                value=value,
            ) from None
        insight_service.record_figure(
            db, city, kpi=kpi, month=chosen, value=number, actor=who.label
        )

    def refused(_who: Principal, exc: CivitasError) -> Response:
        message = exc.text(lang)
        return _scorecard(
            request, db, city, chosen, problems={f"figure-{kpi}": message}, status=422
        )

    return form_action(
        request,
        city,
        db,
        principal,
        permission=WRITE,
        csrf=csrf,
        change=change,
        done=lambda _: f"/{city.slug}/staff/scorecard?month={chosen}&done=entered&lang={lang}",
        refused=refused,
    )


@router.get("/{city}/staff/scorecard/edit", response_class=HTMLResponse, response_model=None)
def edit_scorecard(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, WRITE), Response):
        return go
    current = scorecard.current_version(db, city)
    text = current.source if current else scorecard.EXAMPLE
    return _editor(request, db, city, text)


def _editor(
    request: Request,
    db: DbSession,
    city: City,
    text: str,
    *,
    problems: list[dict[str, str]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    from civitas.core import audit
    from civitas.core.kpis import catalogue

    lang = request.state.lang
    current = scorecard.current_version(db, city)
    return page(
        request,
        "insight/scorecard_edit.html",
        {
            "text": text,
            "version": current.version if current else 0,
            "problems": problems or [],
            "kpis": [(k.code, k.title(lang), k.better) for k in catalogue(city).values()],
            "history": audit.list_entries(db, entity_type="scorecard", oldest_first=False),
            "saved": request.query_params.get("saved"),
        },
        status,
    )


@router.post("/{city}/staff/scorecard/edit", response_class=HTMLResponse, response_model=None)
def save_scorecard(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    text: Annotated[str, Form(max_length=50000)] = "",
) -> Response:
    lang = request.state.lang
    return form_action(
        request,
        city,
        db,
        principal,
        permission=WRITE,
        csrf=csrf,
        change=lambda who: insight_service.save_scorecard(db, city, text=text, actor=who.label),
        done=lambda row: f"/{city.slug}/staff/scorecard/edit?saved={row.version}&lang={lang}",
        refused=lambda _who, exc: _editor(
            request, db, city, text, problems=problem_list(lang, exc), status=422
        ),
    )


@router.get("/{city}/staff/network", response_class=HTMLResponse, response_model=None)
def network(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, NETWORK), Response):
        return go
    lang = request.state.lang
    data, charts = network_view(db, lang, locale_for(lang, city.country))
    return page(
        request,
        "insight/network.html",
        {"data": data, "charts": charts, "fmt": figures_in(lang, city)},
    )


@router.get("/{city}/staff/network.csv", response_model=None)
def network_csv(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(go := staff_page(city, principal, NETWORK), Response):
        return go
    lang = request.state.lang
    t = functools.partial(translate, lang)
    data, _ = network_view(db, lang)
    rows = [
        [month, name, kpi.code, kpi.title(lang), value, t("yes") if hidden else t("no")]
        for kpi in data.kpis
        for slug, name in data.cities
        for month in data.months
        if (found := data.values.get((kpi.code, slug, month))) is not None
        for value, hidden in [found]
    ]
    return people_csv(
        "network-kpis.csv",
        [
            t("Month"),
            t("City"),
            t("Code"),
            t("Indicator"),
            t("Value"),
            t("Withheld (too few cases)"),
        ],
        rows,
        locale=locale_for(lang, city.country),
    )


@router.get("/{city}/staff/insight/report.pdf", response_model=None)
def report_pdf(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    month: str | None = None,
) -> Response:
    if isinstance(go := staff_page(city, principal, READ), Response):
        return go
    chosen = _month(city, month)
    pdf = report.monthly_pdf(db, city, chosen, request.state.lang)
    return Response(
        pdf,
        media_type="application/pdf",
        # downloaded under its own name (a browser's viewer would call it "report")
        headers={"content-disposition": f'attachment; filename="{city.slug}-report-{chosen}.pdf"'},
    )


@router.get("/{city}/staff/feedback", response_class=HTMLResponse, response_model=None)
def feedback(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    """What residents wrote in the survey: as written for the department that handled
    the case, screened for personal data for everyone else."""
    if isinstance(go := staff_page(city, principal, CasesPermission.CASES_REQUEST_READ), Response):
        return go
    from civitas.accounts.models import User
    from civitas.insight.service import comments

    user = db.get(User, go.user_id) if go.user_id else None
    found = comments(db, city, department_id=user.department_id if user else None)
    return page(request, "insight/feedback.html", {"comments": found})


def figures_in(lang: str, city: City) -> Callable[..., str]:
    """``fmt`` for the templates, in the reader's locale."""
    return functools.partial(fmt, locale=locale_for(lang, city.country), currency=city.currency)
