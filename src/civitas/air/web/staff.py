"""The staff's side of air quality: every sensor's health (when it last spoke, its valid
hours and QC flags of the last 24 hours, its correction and calibration), the index the
residents see, new sensors, CSV imports and collocation fits."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select

from civitas.air import calibration as calibration_service
from civitas.air import corrections, indices, ingest, rollup
from civitas.air.models import Calibration, Hour, Reading
from civitas.air.permissions import AirPermission as P
from civitas.air.sensors import KIND_LABELS, add_sensor, by_code, sensors, set_scale, settings_of
from civitas.air.web.pages import FLAG_LABELS, correction_label
from civitas.cities.models import City
from civitas.core.db import utcnow
from civitas.core.errors import CivitasError, InvalidInput, Problem
from civitas.core.i18n import N_, translate
from civitas.web.actions import go
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, staff_page
from civitas.web.forms import problem_list, problems_by_field
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)
MAX_UPLOAD = 20 * 1024 * 1024


def health(db: Any, city: City, lang: str) -> list[dict[str, Any]]:
    now = utcnow()
    since = now - timedelta(hours=24)
    found = sensors(db, city)
    counts = dict(
        db.execute(
            select(Reading.sensor_id, func.count(Reading.id))
            .where(Reading.at >= since)
            .group_by(Reading.sensor_id)
        ).all()
    )
    hours: dict[int, list[Hour]] = {}
    for hour in db.scalars(select(Hour).where(Hour.hour >= since)):
        hours.setdefault(hour.sensor_id, []).append(hour)
    fits = {
        c.sensor_id: c for c in db.scalars(select(Calibration).order_by(Calibration.valid_from))
    }
    rows = []
    for sensor in found:
        mine = hours.get(sensor.id, [])
        flags = Counter(f for h in mine for f in h.flags.split(",") if f)
        last = max(
            (h.correction for h in sorted(mine, key=lambda h: h.hour) if h.correction), default=None
        )
        silent = sensor.last_seen_at is None or now - sensor.last_seen_at > timedelta(hours=2)
        rows.append(
            {
                "sensor": sensor,
                "kind": translate(lang, KIND_LABELS.get(sensor.kind, sensor.kind)),
                "readings": counts.get(sensor.id, 0),
                "valid": sum(1 for h in mine if h.valid),
                "hours": len(mine),
                "flags": [
                    (translate(lang, FLAG_LABELS.get(f, f)), n) for f, n in flags.most_common()
                ],
                "correction": correction_label(lang, last),
                "calibration": fits.get(sensor.id),
                "silent": silent,
            }
        )
    return rows


def _page(
    request: Request,
    db: Any,
    city: City,
    who: Any,
    *,
    problems: dict[str, str] | None = None,
    import_problems: list[dict[str, str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    done: str = "",
    error: tuple[str, str] = ("", ""),
) -> Response:
    lang = request.state.lang
    air = settings_of(db, city)
    found = sensors(db, city)
    return page(
        request,
        "air/staff.html",
        {
            "rows": health(db, city, lang),
            "air": air,
            "scales": [(code, translate(lang, s.title)) for code, s in indices.SCALES.items()],
            "kinds": [(k, translate(lang, KIND_LABELS[k])) for k in corrections.KINDS],
            "low_cost": [s for s in found if s.kind != "reference"],
            "references": [s for s in found if s.kind == "reference"],
            "can_manage": who.can(P.AIR_MANAGE),
            "problems": problems or {},
            "import_problems": import_problems or [],
            "values": values or {},
            "done": done,
            "error_for": error[0],  # which form the refusal answers, and its message
            "error_message": error[1],
            "today": utcnow().date(),
        },
        status=status,
    )


@router.get("/{city}/staff/air", response_model=None)
def overview(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, done: str = ""
) -> Response:
    if isinstance(who := staff_page(city, principal, P.AIR_VIEW), Response):
        return who
    return _page(request, db, city, who, done=done[:20])


async def _action(
    request: Request, db: Any, city: City, principal: Any, work: Any, field: str
) -> Response:
    if isinstance(who := staff_page(city, principal, P.AIR_MANAGE), Response):
        return who
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    values = {k: str(v)[:200] for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    try:
        done = await work(form, who)
    except CivitasError as exc:
        db.rollback()
        lang = request.state.lang
        if field == "import":
            return _page(
                request,
                db,
                city,
                who,
                import_problems=problem_list(lang, exc),
                values=values,
                status=exc.status,
            )
        return _page(
            request,
            db,
            city,
            who,
            problems=problems_by_field(lang, exc, fallback=field),
            values=values,
            status=exc.status,
            error=(field, exc.text(lang)),
        )
    db.commit()
    return go(request, f"/{city.slug}/staff/air?done={done}")


def _float(form: Any, name: str) -> float:
    """A decimal the form sent (a comma as in German and Spanish); not a number: NaN,
    which the check names with the other problems."""
    try:
        return float(str(form.get(name, "")).strip().replace(",", "."))
    except ValueError:
        return math.nan


@router.post("/{city}/staff/air/settings", response_model=None)
async def save_settings(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> str:
        set_scale(db, city, str(form.get("scale", ""))[:40])
        return "settings"

    return await _action(request, db, city, principal, work, "scale")


@router.post("/{city}/staff/air/sensors", response_model=None)
async def new_sensor(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> str:
        add_sensor(
            db,
            city,
            chip_id=str(form.get("chip_id", ""))[:80],
            kind=str(form.get("type", ""))[:20],
            lat=_float(form, "lat"),
            lon=_float(form, "lon"),
            name=str(form.get("name", ""))[:200],
            indoor=form.get("indoor") == "1",
            host=str(form.get("host", "city"))[:20],
            humidity_chip=str(form.get("humidity_chip", ""))[:80] or None,
            archive_id=str(form.get("archive_id", ""))[:80] or None,
        )
        return "sensor"

    return await _action(request, db, city, principal, work, "chip_id")


@router.post("/{city}/staff/air/import", response_model=None)
async def import_file(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> str:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput(
                N_("Choose a CSV file."), problems=[Problem("file", N_("Choose a CSV file."))]
            )
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise InvalidInput(
                N_("The file is larger than 20 MB: split it by month."),
                problems=[Problem("file", N_("Choose a smaller file."))],
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(
                N_("The file is not UTF-8 text."),
                problems=[Problem("file", N_("Save it as CSV in UTF-8."))],
            ) from None
        chip = str(form.get("sensor", "")).strip() or None
        found = ingest.import_csv(
            db, city, text, filename=(upload.filename or "file.csv")[:120], sensor_chip=chip
        )
        rollup.rollup(db, city)
        return f"import-{found.rows}"

    return await _action(request, db, city, principal, work, "import")


@router.post("/{city}/staff/air/calibrate", response_model=None)
async def calibrate(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    async def work(form: Any, who: Any) -> str:
        def day(name: str) -> date:
            try:
                return date.fromisoformat(str(form.get(name, "")))
            except ValueError:
                raise InvalidInput(
                    N_("Give the date as YYYY-MM-DD."), problems=[Problem(name, N_("Give a date."))]
                ) from None

        sensor = by_code(db, city, str(form.get("sensor", ""))[:60])
        reference = by_code(db, city, str(form.get("reference", ""))[:60])
        calibration_service.collocate(
            db, city, sensor, reference, day("from"), day("to"), by=who.label
        )
        rollup.rollup(db, city, sensor_ids=[sensor.id])
        return "calibrated"

    return await _action(request, db, city, principal, work, "sensor")
