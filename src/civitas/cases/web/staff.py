"""The back office in the browser: the queue of cases and the case page with its actions
(assign, change status with a public note, internal note, merge a duplicate, reopen).

Thin: every action is a form posted to a route that calls the same service function as
the staff JSON API, then redirects back (post/redirect/get)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from civitas.accounts.models import User
from civitas.accounts.service import Principal, actor_names, list_users
from civitas.cases import open311 as cases311
from civitas.cases import service as cases
from civitas.cases.models import ServiceRequest
from civitas.cases.permissions import CasesPermission
from civitas.cases.schemas import CHANNEL_LABELS, STATUS_LABELS, TRANSITIONS, Status
from civitas.catalogue import service as catalogue
from civitas.cities.models import City
from civitas.cities.service import list_departments
from civitas.core import audit
from civitas.core.config import get_settings
from civitas.core.errors import CivitasError, Conflict, InvalidInput, Problem
from civitas.core.i18n import N_, NP_, pick, translate
from civitas.core.permissions import Role
from civitas.places import service as places
from civitas.web import microcache, plugins
from civitas.web.actions import form_action
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, RowId, staff_page
from civitas.web.forms import attribute_answers, problems_by_field
from civitas.web.idempotent import FORM_KEY
from civitas.web.jobs import kick_outbox
from civitas.web.media import photo_path
from civitas.web.routers import Router
from civitas.web.templating import page as render

router = Router(include_in_schema=False)
PAGE_SIZE = 25


def _labels(lang: str) -> dict[str, str]:
    return {s.value: translate(lang, label) for s, label in STATUS_LABELS.items()}


def _channels(lang: str) -> dict[str, str]:
    return {c.value: translate(lang, label) for c, label in CHANNEL_LABELS.items()}


def _page_url(request: Request, number: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return "?" + urlencode([*params, ("page", str(number))])


SORTED_COLUMNS = ("number", "status", "due", "received")


def _sorted_url(request: Request, key: str) -> str:
    """This page of the queue with the same filters, sorted by ``key``, from page 1."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "sort")]
    if not any(k == "status" for k, _ in params):
        params.append(("status", "open"))  # keep what the first view showed
    return "?" + urlencode([*params, ("sort", key)])


def _sorting(request: Request, sort: str) -> dict[str, dict[str, str | None]]:
    """Each sortable column's link (the sorted one turns round) and its aria-sort."""
    column, descending = cases.sort_of(sort) or ("received", True)
    out: dict[str, dict[str, str | None]] = {}
    for key in SORTED_COLUMNS:
        if key == column:
            aria = "descending" if descending else "ascending"
            turned = key if sort.startswith("-") else f"-{key}"
            out[key] = {"url": _sorted_url(request, turned), "aria": aria}
        else:
            out[key] = {"url": _sorted_url(request, key), "aria": None}
    return out


@router.get("/{city}/staff/cases", response_class=HTMLResponse, response_model=None)
def queue(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    """The queue; its filters, order and page are read from the address (as a saved view
    keeps them)."""
    who = staff_page(city, principal, CasesPermission.CASES_REQUEST_READ)
    if isinstance(who, Response):
        return who
    return _queue_page(request, city, db, who)


def _queue_page(
    request: Request,
    city: City,
    db: Session,
    who: Principal,
    problems: dict[str, str] | None = None,
    code: int = 200,
) -> Response:
    asked = {k: request.query_params.get(k, "")[:200] for k in cases.QUEUE_PARAMS}
    status, department, service = asked["status"], asked["department"], asked["service"]
    channel, assignee, overdue = asked["channel"], asked["assignee"], asked["overdue"]
    q, sort = asked["q"], asked["sort"]
    page = int(asked["page"]) if asked["page"].isdigit() and len(asked["page"]) < 7 else 1
    if "status" not in request.query_params and not overdue:
        status = "open"  # the queue opens on the open cases, the nearest target time first
    if cases.sort_of(sort) is None:
        sort = "due" if status == "open" else "received"
    statuses = [Status(s) for s in status.split(",") if s in {x.value for x in Status}]
    flt = cases.CaseFilter(
        statuses=statuses or None,
        open_only=status == "open",
        department=department or None,
        assignee=assignee or None,
        service_code=service or None,
        overdue=overdue == "1",
        text=q.strip() or None,
        channel=channel or None,
        sort=sort,
        page=max(page, 1),
        page_size=PAGE_SIZE,
    )
    found, total = cases.list_cases(db, city, flt)
    counts = cases.queue_counts(db, city)
    names = cases.usernames(db, city, {r.assignee_id for r in found if r.assignee_id})
    infos = microcache.service_infos(db, city, {r.service_id for r in found})
    lang = request.state.lang
    rows = [
        {
            "number": r.number,
            "service": infos[r.service_id].name,
            "department": infos[r.service_id].department_name,
            "status": Status(r.status),
            "channel": r.channel,
            "assignee": names.get(r.assignee_id) if r.assignee_id else None,
            "address": r.address,
            "requested_at": r.requested_at,
            "expected_at": r.expected_at,
            "overdue": cases.is_overdue(r),
            "waiting": getattr(r, "waiting_for", None) is not None,  # the deadline stands
        }
        for r in found
    ]
    return render(
        request,
        "staff/queue.html",
        {
            "rows": rows,
            "total": total,
            "counts": counts,
            "filters": {
                "status": status,
                "department": department,
                "service": service,
                "channel": channel,
                "assignee": assignee,
                "overdue": overdue,
                "q": q,
                "sort": sort,
            },
            "sorting": _sorting(request, sort),
            "page_number": flt.page,
            "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            "departments": list_departments(db, city),
            "services": catalogue.list_services(db, city, include_unpublished=True),
            "users": [u for u in list_users(db, city) if u.is_active],
            "status_labels": _labels(lang),
            "channel_labels": _channels(lang),
            "prev_url": _page_url(request, flt.page - 1),
            "next_url": _page_url(request, flt.page + 1),
            "timezone": ZoneInfo(city.timezone),
            "saved_views": cases.saved_filters(db, city, user_id=who.user_id or 0),
            "view_query": request.url.query,
            "current_view": cases.kept_query(request.url.query),
            "problems": problems or {},
            "saved_view": request.query_params.get("saved_view"),
        },
        code,
    )


@router.post("/{city}/staff/cases/views", response_model=None)
def save_view(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=128)] = "",
    filter_name: Annotated[str, Form(max_length=200)] = "",
    query: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Keep the queue's present filters and order under a name, for the one who saves."""
    lang = request.state.lang

    def change(who: Principal) -> str:
        saved = cases.save_filter(db, city, user_id=who.user_id or 0, name=filter_name, query=query)
        return saved.query

    def refused(who: Principal, exc: CivitasError) -> Response:
        return _queue_page(
            request, city, db, who, problems=problems_by_field(lang, exc), code=exc.status
        )

    return form_action(
        request,
        city,
        db,
        principal,
        permission=CasesPermission.CASES_REQUEST_READ,
        csrf=csrf,
        change=change,
        done=lambda kept: f"/{city.slug}/staff/cases?{kept}&saved_view=1&lang={lang}",
        refused=refused,
    )


@router.post("/{city}/staff/cases/views/{view_id}/delete", response_model=None)
def delete_view(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    view_id: RowId,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Delete one of one's own saved views."""
    lang = request.state.lang
    return form_action(
        request,
        city,
        db,
        principal,
        permission=CasesPermission.CASES_REQUEST_READ,
        csrf=csrf,
        change=lambda who: cases.delete_filter(
            db, city, user_id=who.user_id or 0, filter_id=view_id
        ),
        done=lambda _n: f"/{city.slug}/staff/cases?lang={lang}",
        refused=lambda who, exc: _queue_page(
            request, city, db, who, problems=problems_by_field(lang, exc), code=exc.status
        ),
    )


# what happened to a case, in words (the audit log keeps the codes)
ACTIONS = {
    "request.created": N_("Filed"),
    "request.status_changed": N_("Status changed"),
    "request.assigned": N_("Assigned"),
    "request.note_added": N_("Note added"),
    "request.photos_added": N_("Photos added"),
    "request.merged": N_("Merged into another case"),
    "request.duplicate_received": N_("A duplicate was merged into this case"),
    "request.escalated": N_("Escalated: past its target time"),
}


def _case_context(
    request: Request, db: Session, city: City, found: ServiceRequest, principal: Principal
) -> dict[str, Any]:
    notes = cases.notes_of(db, city, number=found.number, public_only=False)
    history = audit.list_entries(
        db, entity_type="service_request", entity_id=str(found.number), oldest_first=True
    )
    photos = cases.photos_of(db, city, [found.id]).get(found.id, [])
    assignee = db.get(User, found.assignee_id) if found.assignee_id else None
    original = db.get(ServiceRequest, found.duplicate_of_id) if found.duplicate_of_id else None
    status = Status(found.status)
    return {
        "case": found,
        "service": found.service,
        "department": found.department,
        "status": status,
        "next_statuses": sorted(TRANSITIONS[status], key=lambda s: list(Status).index(s)),
        "notes": notes,
        "photos": [photo_path(city.slug, found, m) for m in photos],
        "assignee": assignee,
        "original": original,
        "overdue": cases.is_overdue(found),
        "duplicates": cases.duplicate_candidates(db, city, number=found.number),
        "history": history,
        "actors": actor_names(
            db, city, {e.actor for e in history} | {n.author for n in notes}, request.state.lang
        ),
        "action_labels": {k: translate(request.state.lang, v) for k, v in ACTIONS.items()},
        "users": [
            u
            for u in list_users(db, city)
            if u.is_active
            and {Role.CASE_WORKER.value, Role.MANAGER.value, Role.FIELD_WORKER.value} & set(u.roles)
        ],
        "can_handle": principal.can(CasesPermission.CASES_REQUEST_HANDLE),
        "status_labels": _labels(request.state.lang),
        "channel_labels": _channels(request.state.lang),
        "timezone": ZoneInfo(city.timezone),
        # what other domains add to a case (an application's answers, documents, decision)
        "panels": plugins.panels(
            "case.staff.main", request, city, db=db, case=found, principal=principal
        ),
        **_case_map(request, db, city, found),
    }


def _case_map(request: Request, db: Session, city: City, found: ServiceRequest) -> dict[str, Any]:
    """The case on a map with the open cases around it (any service, within 300 m)."""
    if found.lat is None or found.long is None:
        return {}
    lang = request.state.lang
    near = cases.nearby_open(
        db,
        city,
        service_id=None,
        lat=found.lat,
        lon=found.long,
        radius_m=300,
        limit=30,
        besides=found.id,
    )

    labels = _labels(lang)

    def point(r: ServiceRequest, own: bool) -> dict[str, Any]:
        return {
            "n": r.number,
            "lat": r.lat,
            "long": r.long,
            "own": own,
            "label": f"{pick(r.service.name, lang)} · {labels[r.status]}",
            "url": f"/{city.slug}/staff/cases/{r.number}?lang={lang}",
        }

    return {
        "map_points": [point(found, True), *(point(r, False) for r in near)],
        "basemap": places.map_config(db, city, get_settings()),
    }


@router.get("/{city}/staff/cases/{number}", response_class=HTMLResponse, response_model=None)
def case_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    number: RowId,
    done: str = "",
) -> Response:
    who = staff_page(city, principal, CasesPermission.CASES_REQUEST_READ)
    if isinstance(who, Response):
        return who
    found = cases.get_request(db, city, number=number)
    context = _case_context(request, db, city, found, who)
    context["done"] = done
    return render(request, "staff/case.html", context)


def _act(
    request: Request,
    city: City,
    db: Session,
    principal: Principal | None,
    number: int,
    csrf: str,
    action: str,
    work: Any,
    key: str | None = None,
) -> Response:
    """A change to a case from its page: done, then back to the case; refused, the case
    again with the reason (web.actions.form_action). With a form key (a form that adds
    something), a second press is answered as the first was."""

    def refused(who: Principal, exc: CivitasError) -> Response:
        found = cases.get_request(db, city, number=number)
        context = _case_context(request, db, city, found, who)
        context["error"] = exc.text(request.state.lang)
        context["problems_list"] = [
            translate(request.state.lang, p.message, **p.params) for p in exc.problems
        ]
        return render(request, "staff/case.html", context, exc.status)

    return form_action(
        request,
        city,
        db,
        principal,
        permission=CasesPermission.CASES_REQUEST_HANDLE,
        csrf=csrf,
        change=work,
        done=lambda _: f"/{city.slug}/staff/cases/{number}?lang={request.state.lang}&done={action}",
        refused=refused,
        key=key,
        after=kick_outbox,
    )


@router.post("/{city}/staff/cases/{number}/assign", response_model=None)
def assign(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    number: RowId,
    csrf: Annotated[str, Form(max_length=128)] = "",
    username: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    def work(who: Principal) -> None:
        cases.assign(db, city, number=number, username=username or None, actor=who.label)

    return _act(request, city, db, principal, number, csrf, "assigned", work)


@router.post("/{city}/staff/cases/{number}/status", response_model=None)
def change_status(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    number: RowId,
    csrf: Annotated[str, Form(max_length=128)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    def work(who: Principal) -> None:
        try:
            target = Status(status)
        except ValueError:
            raise InvalidInput("Choose the new status.") from None
        cases.change_status(
            db, city, number=number, status=target, actor=who.label, note=note.strip()
        )

    return _act(request, city, db, principal, number, csrf, "status", work)


@router.post("/{city}/staff/cases/{number}/note", response_model=None)
def add_note(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    number: RowId,
    csrf: Annotated[str, Form(max_length=128)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
    public: Annotated[str, Form(max_length=5)] = "",
    form_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    def work(who: Principal) -> None:
        cases.add_note(db, city, number=number, text=text, public=public == "1", actor=who.label)

    return _act(request, city, db, principal, number, csrf, "note", work, form_key)


@router.post("/{city}/staff/cases/{number}/merge", response_model=None)
def merge(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    number: RowId,
    csrf: Annotated[str, Form(max_length=128)] = "",
    into: Annotated[int, Form()] = 0,
) -> Response:
    def work(who: Principal) -> None:
        cases.merge(db, city, number=number, into=into, actor=who.label)

    return _act(request, city, db, principal, number, csrf, "merged", work)


# --- the hotline screen: an agent on a call -------------------------------------------


@router.get("/{city}/staff/hotline", response_class=HTMLResponse, response_model=None)
def hotline(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    q: str = "",
    number: str = "",
    filed: str = "",
) -> Response:
    """Search the catalogue while talking, read a request's status back, start filing."""
    who = staff_page(city, principal, CasesPermission.CASES_REQUEST_FILE)
    if isinstance(who, Response):
        return who
    lang = request.state.lang
    found = catalogue.search_services(db, city, q[:200]) if q.strip() else []
    looked_up: dict[str, Any] | None = None
    if number.strip():
        try:
            case = cases.get_request(db, city, number=int(number.strip().lstrip("#")))
        except (ValueError, CivitasError):
            looked_up = {"missing": True}
        else:
            notes = cases.notes_of(db, city, number=case.number, public_only=True)
            looked_up = {
                "case": case,
                "status": _labels(lang)[case.status],
                "notes": notes[-3:],
                "service": case.service,
            }
    return render(
        request,
        "staff/hotline.html",
        {
            "q": q,
            "number": number,
            "found": found,
            "looked_up": looked_up,
            "filed": filed,
            "timezone": ZoneInfo(city.timezone),
            # what other domains put before the agent (residents waiting in the chat)
            "panels": plugins.panels("hotline.top", request, city, db=db, principal=who),
        },
    )


@router.get("/{city}/staff/hotline/{code}", response_class=HTMLResponse, response_model=None)
def hotline_form(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, code: str
) -> Response:
    who = staff_page(city, principal, CasesPermission.CASES_REQUEST_FILE)
    if isinstance(who, Response):
        return who
    found = catalogue.get_service(db, city, code=code)
    return render(
        request,
        "staff/hotline_file.html",
        {"service": found, "answers": {}, "problems": {}, "channel": "phone"},
    )


@router.post("/{city}/staff/hotline/{code}", response_model=None)
async def hotline_file(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal, code: str
) -> Response:
    """File the caller's (or walk-in's) request, as the API does for staff channels."""
    form = await request.form()

    def work() -> Response:
        text = {k: v.strip() for k, v in form.multi_items() if isinstance(v, str)}
        lang = request.state.lang
        channel = text.get("channel", "phone")

        def change(who: Principal) -> int:
            found = catalogue.get_service(db, city, code=code)
            raw = {
                "service_code": code,
                "channel": channel if channel in ("phone", "office", "email") else "phone",
                "description": text.get("description") or None,
                "address_string": text.get("address") or None,
                "address_id": text.get("address_id") or None,
                "attributes": attribute_answers(city, found, form),
                "first_name": text.get("first_name") or None,
                "last_name": text.get("last_name") or None,
                "email": text.get("email") or None,
                "phone": text.get("phone") or None,
                "language": lang,
            }
            data, problems = cases311.validate_post(raw)
            if data is None:
                raise InvalidInput(
                    NP_(
                        "The request has {count} problem; nothing was stored.",
                        "The request has {count} problems; nothing was stored.",
                    ),
                    problems=problems,
                    count=len(problems),
                )
            if text.get("new_anyway") != "yes":
                _refuse_if_reported(db, city, found.id, data)
            created = cases.create_request(
                db, city, data=data, filed_by=who.label, earlier_problems=problems
            )
            if text.get("solved") == "yes":  # first-contact resolution, counted as such
                cases.change_status(
                    db,
                    city,
                    number=created.number,
                    status=Status.RESOLVED,
                    actor=who.label,
                    note=text.get("solution") or "",
                )
            return created.number

        def refused(_who: Principal, exc: CivitasError) -> Response:
            found = catalogue.get_service(db, city, code=code)
            shown = _hotline_problems(lang, exc, found)
            nearby = exc.nearby if isinstance(exc, AlreadyReported) else []
            return render(
                request,
                "staff/hotline_file.html",
                {
                    "service": found,
                    "answers": text,
                    "problems": shown,
                    "channel": channel,
                    "nearby": nearby,
                },
                exc.status,
            )

        # a second press (same form key) is answered with the request the first one filed
        return form_action(
            request,
            city,
            db,
            principal,
            permission=CasesPermission.CASES_REQUEST_FILE,
            csrf=text.get("csrf", ""),
            change=change,
            done=lambda number: (
                f"/{city.slug}/staff/hotline?lang={lang}&filed={number}&number={number}"
            ),
            refused=refused,
            key=text.get(FORM_KEY),
            after=kick_outbox,
        )

    return await run_in_threadpool(work)


def _place_field(where: str) -> str:
    """The hotline form asks for the place as one address field."""
    return "address_string" if where in ("location", "lat", "long", "address_id") else where


class AlreadyReported(Conflict):
    """Open requests of the same service near the caller's place: the agent sees them
    before filing one more (and can still file, ticking "a new request anyway")."""

    def __init__(self, nearby: list[ServiceRequest]) -> None:
        super().__init__(
            "Requests of this kind are already open nearby.",
            problems=[
                Problem(
                    "new_anyway",
                    N_(
                        "Requests of this kind are already open nearby: check them with the "
                        "caller, or tick 'File a new request anyway'."
                    ),
                )
            ],
        )
        self.nearby = nearby


def _refuse_if_reported(db: Session, city: City, service_id: int, data: Any) -> None:
    lat, long = data.lat, data.long
    if lat is None and (data.address_id or data.address_string):
        settled = places.settle(
            db, city, address=data.address_string, address_id=data.address_id, lat=None, long=None
        )
        lat, long = settled.lat, settled.long
    if lat is not None and long is not None:
        found = cases.nearby_open(db, city, service_id=service_id, lat=lat, lon=long)
        if found:
            raise AlreadyReported(found)


def _hotline_problems(lang: str, exc: CivitasError, service: Any) -> dict[str, str]:
    """The problems in the agent's words: the place as one field (not the API's lat, long,
    address_string and address_id), and each question's problem under its question."""
    questions = {a["code"]: pick(a.get("description") or {}, lang) for a in service.attributes}

    def reword(p: Problem, text: str) -> str:
        if p.location == "location":
            return translate(lang, N_("Enter the address or the place the caller describes."))
        question = questions.get(p.location.removeprefix("attribute[").removesuffix("]"))
        return f"{question}: {text}" if p.location.startswith("attribute[") and question else text

    return problems_by_field(lang, exc, field=_place_field, reword=reword)
