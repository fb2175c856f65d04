"""The staff's side of the inventory: open a year, enter activity lines (or import them
from CSV, or take Civitas's own figures), notation keys, the landfill's tonnage, the
city's own emission factors and the target. Every refusal is named beside its field."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.climate import data_in, fod, gpc
from civitas.climate import inventory as service
from civitas.climate.gwp import SETS
from civitas.climate.models import ActivityLine, Plan, WasteDeposit
from civitas.climate.permissions import ClimatePermission as P
from civitas.core.errors import CivitasError, InvalidInput, Problem
from civitas.core.i18n import N_, locale_for, pick, translate
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, RowId, staff_page
from civitas.web.forms import problem_list, problems_by_field
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)
MAX_UPLOAD = 5 * 1024 * 1024


def _page(
    request: Request,
    db: Any,
    city: City,
    year: int | None,
    *,
    problems: dict[str, str] | None = None,
    form: str = "",
    message: str = "",
    import_problems: list[dict[str, str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    done: str = "",
) -> Response:
    lang = request.state.lang
    years = service.years_of(db, city)
    year = year if year in years else (years[-1] if years else None)
    found = service.report(db, city, year) if year else None
    factors = service.factors_for(db, city, year or date.today().year)
    return page(
        request,
        "climate/staff.html",
        {
            "years": years,
            "year": year,
            "found": found,
            "lines": list(
                db.scalars(
                    select(ActivityLine)
                    .where(ActivityLine.year == year)
                    .order_by(ActivityLine.gpc_ref, ActivityLine.id)
                )
            )
            if year
            else [],
            "deposits": list(
                db.scalars(select(WasteDeposit).order_by(WasteDeposit.year, WasteDeposit.kind))
            ),
            "factors": sorted(factors.values(), key=lambda f: f.code),
            "factor_label": lambda f: pick(f.label, lang, "en"),
            "rows": gpc.ROWS,
            "subsectors": {k: translate(lang, v) for k, v in gpc.SUBSECTORS.items()},
            "keys": {k: translate(lang, v) for k, v in gpc.NOTATION_KEYS.items()},
            "units": service.UNITS,
            "services": [
                (s.code, pick(s.name, lang, city.default_language))
                for s in db.scalars(select(Service).order_by(Service.code))
            ],
            "gwp_sets": list(SETS.values()),
            "zones": [(z, translate(lang, fod.ZONE_LABELS[z])) for z in fod.K],
            "kinds": [(k, translate(lang, fod.WASTE_LABELS[k])) for k in (*fod.DOC, "inert")],
            "kind_labels": {k: translate(lang, v) for k, v in fod.WASTE_LABELS.items()},
            # a factor's kilograms per unit, to its last published digit
            "sig": lambda value: format_decimal(
                value, format="#,##0.#########", locale=locale_for(lang, city.country)
            ),
            "plan": db.scalar(select(Plan)),
            "problems": problems or {},
            "form": form,
            "message": message,
            "import_problems": import_problems or [],
            "values": values or {},
            "done": done,
            "this_year": date.today().year,
        },
        status=status,
    )


@router.get("/{city}/staff/climate", response_model=None)
def overview(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    year: int | None = None,
    done: str = "",
) -> Response:
    if isinstance(who := staff_page(city, principal, P.CLIMATE_MANAGE), Response):
        return who
    return _page(request, db, city, year, done=done[:20])


async def _action(
    request: Request, db: Any, city: City, principal: Any, form_name: str, field: str, work: Any
) -> Response:
    if isinstance(who := staff_page(city, principal, P.CLIMATE_MANAGE), Response):
        return who
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    values = {k: str(v)[:300] for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    year = _int(values.get("year", "")) or None
    try:
        year = await work(form, who) or year
    except CivitasError as exc:
        db.rollback()
        lang = request.state.lang
        return _page(
            request,
            db,
            city,
            year,
            problems=problems_by_field(lang, exc, fallback=field),
            form=form_name,
            message=exc.text(lang),
            import_problems=problem_list(lang, exc) if form_name == "import" else None,
            values=values,
            status=exc.status,
        )
    db.commit()
    suffix = f"&year={year}" if year else ""
    return RedirectResponse(
        f"/{city.slug}/staff/climate?lang={request.state.lang}&done={form_name}{suffix}",
        status_code=303,
    )


def _int(value: Any) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 6 else 0


def _float(value: Any) -> float:
    try:
        return float(str(value or "").strip().replace(",", "."))
    except ValueError:
        return math.nan


@router.post("/{city}/staff/climate/inventories", response_model=None)
async def open_year(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> int:
        year = _int(form.get("year"))
        found = service.open_inventory(
            db,
            city,
            year,
            gwp=str(form.get("gwp", "AR5")),
            climate_zone=str(form.get("climate_zone", "tropical_dry")),
        )
        return found.year

    return await _action(request, db, city, principal, "inventory", "year", work)


@router.post("/{city}/staff/climate/lines", response_model=None)
async def add_line(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> int:
        year = _int(form.get("year"))
        month = _int(form.get("month")) or None
        service.add_activity(
            db,
            city,
            year=year,
            gpc_ref=str(form.get("gpc_ref", "")),
            label=str(form.get("label", ""))[:200],
            quantity=_float(form.get("quantity")),
            unit=str(form.get("unit", "")),
            factor=str(form.get("factor", "")),
            source=str(form.get("source", ""))[:300],
            service=str(form.get("service", "")) or None,
            month=month,
            by=who.label,
        )
        return year

    return await _action(request, db, city, principal, "line", "label", work)


@router.post("/{city}/staff/climate/lines/{line_id}/delete", response_model=None)
async def delete_line(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, line_id: RowId
) -> Response:
    async def work(form: Any, who: Any) -> int | None:
        service.delete_line(db, city, line_id)
        return None

    return await _action(request, db, city, principal, "deleted", "label", work)


@router.post("/{city}/staff/climate/import", response_model=None)
async def import_lines(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> int | None:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput(
                N_("Choose a CSV file."), problems=[Problem("file", N_("Choose a CSV file."))]
            )
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise InvalidInput(
                N_("The file is larger than 5 MB."),
                problems=[Problem("file", N_("Choose a smaller file."))],
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(
                N_("The file is not UTF-8 text."),
                problems=[Problem("file", N_("Save it as CSV in UTF-8."))],
            ) from None
        data_in.import_csv(
            db, city, text, filename=(upload.filename or "file.csv")[:120], by=who.label
        )
        return None

    return await _action(request, db, city, principal, "import", "file", work)


@router.post("/{city}/staff/climate/derive", response_model=None)
async def derive(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> int:
        year = _int(form.get("year"))
        service.derive(db, city, year)
        return year

    return await _action(request, db, city, principal, "derive", "year", work)


@router.post("/{city}/staff/climate/notation", response_model=None)
async def notation(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> int:
        year = _int(form.get("year"))
        service.set_notation(
            db,
            city,
            year=year,
            gpc_ref=str(form.get("gpc_ref", "")),
            key=str(form.get("key", "")),
            explanation=str(form.get("explanation", ""))[:300],
        )
        return year

    return await _action(request, db, city, principal, "notation", "gpc_ref", work)


@router.post("/{city}/staff/climate/deposits", response_model=None)
async def deposit(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> int | None:
        year = _int(form.get("deposit_year"))
        if not 1950 <= year <= 2100:
            raise InvalidInput(
                N_("The tonnage was not saved."),
                problems=[Problem("deposit_year", N_("Give a year from 1950 to 2100."))],
            )
        service.set_deposit(
            db,
            city,
            year=year,
            kind=str(form.get("kind", "")),
            tonnes=_float(form.get("tonnes")),
            source=str(form.get("source", ""))[:300],
        )
        return None

    return await _action(request, db, city, principal, "deposit", "tonnes", work)


@router.post("/{city}/staff/climate/factors", response_model=None)
async def factor(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> int | None:
        try:
            valid_from = date.fromisoformat(str(form.get("valid_from", "")))
        except ValueError:
            raise InvalidInput(
                N_("The factor was not added."),
                problems=[Problem("valid_from", N_("Give the date as YYYY-MM-DD."))],
            ) from None
        service.add_factor(
            db,
            city,
            code=str(form.get("code", ""))[:60],
            label=str(form.get("label", ""))[:200],
            unit=str(form.get("unit", "")),
            co2=form.get("co2"),
            ch4=form.get("ch4"),
            n2o=form.get("n2o"),
            source=str(form.get("source", ""))[:300],
            valid_from=valid_from,
            grid=form.get("grid") == "1",
        )
        return None

    return await _action(request, db, city, principal, "factor", "code", work)


@router.post("/{city}/staff/climate/plan", response_model=None)
async def plan(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> int | None:
        service.set_plan(
            db,
            city,
            base_year=_int(form.get("base_year")),
            target_year=_int(form.get("target_year")),
            reduction_pct=_float(form.get("reduction_pct")),
            basis=str(form.get("basis", "BASIC")),
        )
        return None

    return await _action(request, db, city, principal, "plan", "base_year", work)
