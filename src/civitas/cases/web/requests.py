"""A resident files a request in the browser, one question per page, then checks the
answers before sending (the GOV.UK "question pages" and "check answers" patterns); and
follows it on its status page.

Every page works without JavaScript; the map only helps to pick the point."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from feedgen.feed import FeedGenerator
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from civitas.cases import drafts, publicity
from civitas.cases import service as cases
from civitas.cases.models import ReportDraft, ServiceRequest
from civitas.cases.schemas import OPEN_STATUSES, STATUS_LABELS, Status
from civitas.catalogue import service as catalogue
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.core.config import Settings, get_settings
from civitas.core.db import row_number, utcnow
from civitas.core.errors import InvalidInput, NotFound
from civitas.core.i18n import N_, pick, translate
from civitas.insight.service import open_survey
from civitas.places import service as places
from civitas.residents import service as residents
from civitas.web import microcache, plugins
from civitas.web.deps import AppSettings, CurrentCity, DbSession, RowId
from civitas.web.forms import attribute_answers, problems_by_field
from civitas.web.jobs import kick_outbox
from civitas.web.media import clean_uploads, photo_path, read_uploads
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf
from civitas.web.templating import page as page_

router = Router(include_in_schema=False)
DRAFT_COOKIE = "civitas_draft"


def _base(city: City, code: str) -> str:
    return f"/{city.slug}/report/{code}"


def _draft(request: Request, db: Session, city: City, code: str) -> ReportDraft | None:
    return drafts.get_draft(db, city, draft_id=request.cookies.get(DRAFT_COOKIE), code=code)


def _problems(request: Request, exc: InvalidInput) -> dict[str, str]:
    def field(where: str) -> str:
        return "media" if where.startswith("media") else where  # every photo is one field

    return problems_by_field(request.state.lang, exc, field=field)


def _go(url: str, request: Request, draft: ReportDraft | None = None) -> Response:
    lang = request.state.lang
    response = RedirectResponse(f"{url}?lang={lang}", status_code=303)
    if draft is not None:
        response.set_cookie(
            DRAFT_COOKIE,
            draft.id,
            max_age=int(drafts.LIFETIME.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


def _step_page(
    request: Request,
    city: City,
    service: Service,
    draft: ReportDraft | None,
    step: str,
    settings: Settings,
    problems: dict[str, str] | None = None,
    given: dict[str, Any] | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    answers = dict(draft.answers) if draft else {}
    if given:
        answers.update(given)
    number = drafts.STEPS.index(step) + 1
    return page(
        request,
        f"requests/{step}.html",
        {
            "service": service,
            "answers": answers,
            "photos": draft.photos if draft else [],
            "problems": problems or {},
            "base": _base(city, service.code),
            "step_number": number,
            "step_count": len(drafts.STEPS),
            **(extra or {}),
        },
        status,
    )


@router.get("/{city}/report/{code}", response_class=HTMLResponse, response_model=None)
def start(request: Request, city: CurrentCity, db: DbSession, code: str) -> Response:
    drafts.reportable(db, city, code)
    step = drafts.missing_step(_draft(request, db, city, code)) or "check"
    return _go(f"{_base(city, code)}/{step}", request)


@router.get("/{city}/report/{code}/where", response_class=HTMLResponse)
def where_form(
    request: Request, city: CurrentCity, db: DbSession, settings: AppSettings, code: str
) -> HTMLResponse:
    service = drafts.reportable(db, city, code)
    # coming from a place (the map of requests around an address): the place is given
    area = _area(db, city, request.query_params)
    given = (
        {"address": area.label, "address_id": area.address_id, "lat": area.lat, "long": area.long}
        if area
        else None
    )
    # a link from elsewhere (a bus stop's page) may name the place and fill in questions
    place = str(request.query_params.get("place", "") or "").strip()[:200]
    if given is not None and place and area is not None and area.address_id is None:
        given["address"] = place
    prefill = urlencode(drafts.prefill_of(service, request.query_params))
    return _step_page(
        request,
        city,
        service,
        _draft(request, db, city, code),
        "where",
        settings,
        given=given,
        extra={"basemap": places.map_config(db, city, settings), "prefill": prefill},
    )


@dataclass(frozen=True)
class Area:
    """A place and a distance around it: where a resident looks for requests."""

    lat: float
    long: float
    radius_m: int
    label: str
    address_id: str | None

    def query(self) -> str:
        """The area in an address (for links and the feed)."""
        if self.address_id:
            return urlencode({"address_id": self.address_id, "radius": self.radius_m})
        return urlencode({"lat": self.lat, "long": self.long, "radius": self.radius_m})


RADII = (250, 500, 1000, 2000)  # at most cases.alerts.MAX_RADIUS_M


def _area(db: Session, city: City, params: Any) -> Area | None:
    """The area a page or feed is asked about: an address of the register (by id, or the
    best match of a typed text) or a point, with a radius of 250 m to 2 km."""
    raw = str(params.get("radius", "") or "")
    radius = int(raw) if raw.isdigit() and int(raw) in RADII else 500
    if ref := params.get("address_id"):
        place = places.by_ref(db, city, str(ref)[:100])
    elif text := str(params.get("q", "") or "").strip()[:200]:
        found = places.search(db, city, text, limit=1)
        place = found[0] if found else None
    else:
        place = None
    if place is not None:
        return Area(place.lat, place.lon, radius, place.label, place.ref)
    try:
        lat, long = float(params.get("lat", "")), float(params.get("long", ""))
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(long)) or not city.contains(lat, long):
        return None
    return Area(round(lat, 6), round(long, 6), radius, f"{lat:.5f}, {long:.5f}", None)


@router.post("/{city}/report/{code}/where", response_model=None)
def where_answer(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    code: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    address: Annotated[str, Form(max_length=600)] = "",
    lat: Annotated[str, Form(max_length=40)] = "",
    long: Annotated[str, Form(max_length=40)] = "",
    address_id: Annotated[str, Form(max_length=100)] = "",
    prefill: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    require_csrf(request, csrf)
    service = drafts.reportable(db, city, code)
    draft = _draft(request, db, city, code)
    try:
        draft = drafts.save_where(
            db, city, service, draft, address=address, lat=lat, long=long, address_id=address_id
        )
        draft = drafts.prefill(db, city, service, draft, parse_qs(prefill))
    except InvalidInput as exc:
        given = {"address": address, "lat": lat, "long": long, "address_id": address_id}
        return _step_page(
            request,
            city,
            service,
            draft,
            "where",
            settings,
            _problems(request, exc),
            given,
            400,
            extra={"basemap": places.map_config(db, city, settings), "prefill": prefill},
        )
    db.commit()
    return _go(f"{_base(city, code)}/details", request, draft)


def _nearby(
    request: Request, db: Session, city: City, service: Service, draft: ReportDraft
) -> list[dict[str, Any]]:
    lat, lon = draft.answers.get("lat"), draft.answers.get("long")
    if lat is None or lon is None:
        return []
    found = cases.nearby_open(db, city, service_id=service.id, lat=lat, lon=lon)
    lang = request.state.lang
    return [
        {
            "number": r.number,
            "status": translate(lang, STATUS_LABELS[Status(r.status)]),
            "address": r.address,
            "description": (r.description or "")[:140],
        }
        for r in found
    ]


@router.get("/{city}/report/{code}/details", response_class=HTMLResponse, response_model=None)
def details_form(
    request: Request, city: CurrentCity, db: DbSession, settings: AppSettings, code: str
) -> Response:
    service = drafts.reportable(db, city, code)
    draft = _draft(request, db, city, code)
    if draft is None:
        return _go(f"{_base(city, code)}/where", request)
    return _step_page(
        request,
        city,
        service,
        draft,
        "details",
        settings,
        extra={"nearby": _nearby(request, db, city, service, draft)},
    )


@router.post("/{city}/report/{code}/details", response_model=None)
async def details_answer(
    request: Request, city: CurrentCity, db: DbSession, settings: AppSettings, code: str
) -> Response:
    form = await request.form()
    text = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    require_csrf(request, text.get("csrf", ""))
    chosen = [
        (n, v)
        for n, v in form.multi_items()
        if n == "media" and isinstance(v, UploadFile) and v.filename
    ]
    raw_uploads = await read_uploads(chosen, settings)

    def work() -> Response:
        service = drafts.reportable(db, city, code)
        draft = _draft(request, db, city, code)
        if draft is None:
            return _go(f"{_base(city, code)}/where", request)
        if remove := text.get("remove_photo"):
            drafts.remove_photo(db, city, draft, sha256=remove)
            db.commit()
            return _go(f"{_base(city, code)}/details", request, draft)
        attributes = attribute_answers(city, service, form)
        description = text.get("description", "")
        try:
            images, upload_problems = clean_uploads(raw_uploads, settings), []
        except InvalidInput as exc:
            images, upload_problems = [], exc.problems
        try:
            drafts.save_details(
                db,
                city,
                service,
                draft,
                description=description,
                attributes=attributes,
                photos=images,
                media_root=settings.media_root,
                earlier_problems=upload_problems,
            )
        except InvalidInput as exc:
            db.rollback()
            draft = _draft(request, db, city, code)
            return _step_page(
                request,
                city,
                service,
                draft,
                "details",
                settings,
                _problems(request, exc),
                {"description": description, "attributes": attributes},
                400,
                extra={"nearby": _nearby(request, db, city, service, draft) if draft else []},
            )
        db.commit()
        if text.get("add_photo"):
            return _go(f"{_base(city, code)}/details", request, draft)
        return _go(f"{_base(city, code)}/contact", request, draft)

    return await run_in_threadpool(work)


@router.get("/{city}/report/{code}/contact", response_class=HTMLResponse, response_model=None)
def contact_form(
    request: Request, city: CurrentCity, db: DbSession, settings: AppSettings, code: str
) -> Response:
    service = drafts.reportable(db, city, code)
    draft = _draft(request, db, city, code)
    if draft is None:
        return _go(f"{_base(city, code)}/where", request)
    # a signed-in resident's address is offered, so that the request shows in "my requests"
    account = residents.signed_in(db, city, raw=request.cookies.get("civitas_resident"))
    given = {"email": account.email} if account and not draft.answers.get("email") else None
    return _step_page(request, city, service, draft, "contact", settings, given=given)


@router.post("/{city}/report/{code}/contact", response_model=None)
def contact_answer(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    code: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    first_name: Annotated[str, Form(max_length=200)] = "",
    last_name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=300)] = "",
    phone: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    require_csrf(request, csrf)
    service = drafts.reportable(db, city, code)
    draft = _draft(request, db, city, code)
    if draft is None:
        return _go(f"{_base(city, code)}/where", request)
    given = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}
    try:
        drafts.save_contact(db, city, service, draft, **given)
    except InvalidInput as exc:
        return _step_page(
            request, city, service, draft, "contact", settings, _problems(request, exc), given, 400
        )
    db.commit()
    return _go(f"{_base(city, code)}/check", request, draft)


@router.get("/{city}/report/{code}/check", response_class=HTMLResponse, response_model=None)
def check_page(
    request: Request, city: CurrentCity, db: DbSession, settings: AppSettings, code: str
) -> Response:
    service = drafts.reportable(db, city, code)
    draft = _draft(request, db, city, code)
    missing = drafts.missing_step(draft)
    if missing:
        return _go(f"{_base(city, code)}/{missing}", request)
    return _step_page(request, city, service, draft, "check", settings)


@router.post("/{city}/report/{code}/check", response_model=None)
def send(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    code: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    require_csrf(request, csrf)
    service = drafts.reportable(db, city, code)
    draft_id = request.cookies.get(DRAFT_COOKIE)
    draft = _draft(request, db, city, code)
    # no draft to send: it may have been sent by another press (committed just now), then
    # this press answers with that one's confirmation. Asking in this order, not "sent
    # already?" first, leaves no moment in which the draft is neither open nor sent.
    if draft is None and (sent := drafts.filed_from(db, city, draft_id=draft_id, code=code)):
        return _sent(request, city, sent)
    missing = drafts.missing_step(draft)
    if draft is None or missing:
        return _go(f"{_base(city, code)}/{missing or 'where'}", request)
    try:
        created = drafts.submit(db, city, draft, language=request.state.lang)
    except InvalidInput as exc:
        db.rollback()
        return _step_page(
            request, city, service, draft, "check", settings, _problems(request, exc), status=400
        )
    except drafts.AlreadyFiled:
        db.rollback()
        sent = drafts.filed_from(db, city, draft_id=draft_id, code=code)
        if sent is None:  # sent, then the request was removed: start again
            return _go(f"{_base(city, code)}/where", request)
        return _sent(request, city, sent)
    db.commit()
    kick_outbox()
    return _sent(request, city, created)


def _sent(request: Request, city: City, created: ServiceRequest) -> Response:
    response = _go(f"/{city.slug}/requests/{created.number}", request)
    # the draft cookie stays: pressed again (or sent again after "back"), the sent draft
    # answers with this confirmation; a new report starts a new draft
    response.headers["location"] += f"&token={created.token}&sent=1"
    return response


@router.get("/{city}/requests/{number}", response_class=HTMLResponse)
def status_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    number: RowId,
    sent: str = "",
    token: str = "",
) -> HTMLResponse:
    """What anyone may see of a request (as the Open311 API shows it): never who filed it."""
    found = cases.get_request(db, city, number=number)
    reporter = bool(token) and token == found.token  # the private link: the reporter
    if found.private and not reporter:  # an application: its applicant's page shows it
        raise NotFound("No service request {number} in this city.", number=number)
    notes = cases.public_notes(db, city, [found.id]).get(found.id, [])
    photos = cases.photos_of(db, city, [found.id]).get(found.id, [])
    status = Status(found.status)
    survey = open_survey(db, city, "request", found.id) if reporter else None
    # anyone else sees the place, text and photos only as far as the service allows
    rule = publicity.EXACT if reporter else found.service.public_location
    exact = rule == publicity.EXACT
    return page(
        request,
        "requests/status.html",
        {
            "request_": found,
            "service": found.service,
            "status_label": STATUS_LABELS[status],
            "status_labels": {s.value: label for s, label in STATUS_LABELS.items()},
            "is_open": status in OPEN_STATUSES,
            "notes": notes,
            "place": publicity.public_place(rule, found),
            "photos": [photo_path(city.slug, found, m) for m in photos] if exact else [],
            "sent": sent == "1" and bool(token) and token == found.token,
            "token": token if token and token == found.token else "",
            "timezone": ZoneInfo(city.timezone),
            "survey": survey,
            # what other domains add to the facts (a recycling pickup's day and weight)
            "panels": plugins.panels(
                "request.status.facts",
                request,
                city,
                db=db,
                request_id=found.id,
                is_open=status in OPEN_STATUSES,
            )
            if exact
            else [],
        },
    )


@router.get("/{city}/track", response_class=HTMLResponse, response_model=None)
def track(request: Request, city: CurrentCity, db: DbSession, ref: str = "") -> Response:
    """Find a request by its number or by the private token of its link."""
    ref = ref.strip().lstrip("#")
    if not ref:
        return page(request, "requests/track.html", {"ref": "", "problems": {}})
    try:
        if ref.isascii() and ref.isdigit():
            found = cases.get_request(db, city, number=row_number(ref) or 0)
        else:
            found = cases.get_request_by_token(db, city, token=ref)
    except NotFound:
        message = translate(request.state.lang, "No request has this number or code.")
        return page(request, "requests/track.html", {"ref": ref, "problems": {"ref": message}}, 404)
    return _go(f"/{city.slug}/requests/{found.number}", request)


@router.get("/{city}/requests", response_class=HTMLResponse)
def public_requests(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    service: str = "",
    status: str = "",
    page: int = 1,
) -> HTMLResponse:
    """Requests of the last 90 days on a map and in a list, as Open311 shows them (never
    who filed them)."""
    return _requests_page(request, city, db, settings, service, status, page)


def _requests_page(
    request: Request,
    city: City,
    db: Session,
    settings: Settings,
    service: str = "",
    status: str = "",
    page: int = 1,
    *,
    area: Area | None = None,
    problems: dict[str, str] | None = None,
    given_email: str = "",
) -> HTMLResponse:
    page = max(1, min(page, 10_000))
    area = area or _area(db, city, request.query_params)
    if not status:
        status = "open"  # what is still open (around a place: before reporting it again)
    query = cases.RequestQuery(
        service_codes=[service] if service else None,
        statuses=[status] if status in ("open", "closed") else None,
        near=cases.Near(area.lat, area.long, area.radius_m) if area else None,
        public=True,
        page=page,
        page_size=20,
    )
    found = cases.query_requests(db, city, query)
    infos = microcache.service_infos(db, city, {r.service_id for r in found})
    lang = request.state.lang
    rows = []
    for r in found:
        place = publicity.public_place(infos[r.service_id].public_location, r)
        rows.append(
            {
                "number": r.number,
                "service": infos[r.service_id].name,
                "status": translate(lang, STATUS_LABELS[Status(r.status)]),
                "open": Status(r.status) in OPEN_STATUSES,
                "address": place.address,
                "lat": place.lat,
                "long": place.long,
                "requested_at": r.requested_at,
            }
        )
    return page_(
        request,
        "requests/list.html",
        {
            "rows": rows,
            "services": [s for s in catalogue.list_services(db, city) if s.is_open311],
            "filters": {"service": service, "status": status},
            "page_number": page,
            "more": len(found) == query.page_size,
            "basemap": places.map_config(db, city, settings),
            "area": area,
            "radii": RADII,
            "asked": request.query_params.get("q", ""),
            "problems": problems or {},
            "given_email": given_email,
            "alert_asked": request.query_params.get("alert") == "asked",
        },
        400 if problems else 200,
    )


@router.get("/{city}/requests.atom", response_class=Response)
def requests_feed(request: Request, city: CurrentCity, db: DbSession) -> Response:
    """New requests (of the last 90 days, as they are shown in public) as an Atom feed: the
    whole city, or an area (``address_id`` or ``lat``/``long``, and ``radius``) to follow
    what is reported around one's street in any feed reader."""
    lang = request.state.lang
    area = _area(db, city, request.query_params)
    query = cases.RequestQuery(
        near=cases.Near(area.lat, area.long, area.radius_m) if area else None,
        public=True,
        page=1,
        page_size=50,
    )
    found = cases.query_requests(db, city, query)
    infos = microcache.service_infos(db, city, {r.service_id for r in found})
    base = get_settings().public_url.rstrip("/")
    feed = FeedGenerator()
    here = f"{base}/{city.slug}/requests" + (f"?{area.query()}" if area else "")
    feed.id(here)
    title = (
        translate(lang, N_("Requests near {place} · {city}"), place=area.label, city=city.name)
        if area
        else translate(lang, N_("Requests in {city}"), city=city.name)
    )
    feed.title(title)
    feed.link(href=here, rel="alternate")
    feed.link(href=str(request.url), rel="self")
    feed.language(lang)
    feed.updated(max((r.updated_at for r in found), default=utcnow()))
    for r in reversed(found):  # feedgen puts the last added first
        place = publicity.public_place(infos[r.service_id].public_location, r)
        entry = feed.add_entry()
        link = f"{base}/{city.slug}/requests/{r.number}?lang={lang}"
        entry.id(link)
        entry.link(href=link)
        status = translate(lang, STATUS_LABELS[Status(r.status)])
        entry.title(f"#{r.number} {pick(infos[r.service_id].name, lang)} · {status}")
        entry.updated(r.updated_at)
        entry.published(r.requested_at)
        entry.summary(" · ".join(x for x in (place.address, place.description) if x) or status)
    return Response(feed.atom_str(pretty=True), media_type="application/atom+xml; charset=utf-8")


@router.post("/{city}/alerts", response_model=None)
def ask_for_alerts(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    csrf: Annotated[str, Form(max_length=128)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    address_id: Annotated[str, Form(max_length=100)] = "",
    lat: Annotated[str, Form(max_length=40)] = "",
    long: Annotated[str, Form(max_length=40)] = "",
    radius: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """E-mail me new requests around this place: a confirmation mail goes out first."""
    require_csrf(request, csrf)
    lang = request.state.lang
    area = _area(db, city, {"address_id": address_id, "lat": lat, "long": long, "radius": radius})
    if area is None:
        raise NotFound("Choose the place first.")
    try:
        cases.subscribe_alerts(
            db,
            city,
            email=email,
            lat=area.lat,
            long=area.long,
            radius_m=area.radius_m,
            label=area.label,
            language=lang,
        )
    except InvalidInput as exc:
        db.rollback()
        return _requests_page(
            request,
            city,
            db,
            settings,
            area=area,
            problems=_problems(request, exc),
            given_email=email,
        )
    db.commit()
    kick_outbox()
    return RedirectResponse(
        f"/{city.slug}/requests?{area.query()}&alert=asked&lang={lang}#alerts", status_code=303
    )


@router.get("/{city}/alerts/{alert_id}/{key}", response_class=HTMLResponse)
def alert_page(
    request: Request, city: CurrentCity, db: DbSession, alert_id: RowId, key: str
) -> HTMLResponse:
    """An alert's own page, reached from its mails: confirm it, or stop it."""
    alert = cases.alert_by_link(db, city, alert_id, key[:128])
    return page(
        request,
        "requests/alert.html",
        {"alert": alert, "key": key, "done": request.query_params.get("done")},
    )


@router.post("/{city}/alerts/{alert_id}/{key}", response_model=None)
def alert_action(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    alert_id: RowId,
    key: str,
    csrf: Annotated[str, Form(max_length=128)] = "",
    action: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Confirm (the mailbox's owner asked for it) or stop an alert; both can be pressed
    twice to the same effect."""
    require_csrf(request, csrf)
    lang = request.state.lang
    if action == "stop":
        with contextlib.suppress(NotFound):  # stopped already: the same answer
            cases.stop_alerts(db, city, alert_id, key[:128])
        db.commit()
        return RedirectResponse(f"/{city.slug}/alerts/stopped?lang={lang}", status_code=303)
    cases.confirm_alerts(db, city, alert_id, key[:128])
    db.commit()
    return RedirectResponse(
        f"/{city.slug}/alerts/{alert_id}/{key[:128]}?done=confirmed&lang={lang}", status_code=303
    )


@router.get("/{city}/alerts/stopped", response_class=HTMLResponse)
def alert_stopped(request: Request, city: CurrentCity) -> HTMLResponse:
    return page(request, "requests/alert.html", {"alert": None, "done": "stopped"})
