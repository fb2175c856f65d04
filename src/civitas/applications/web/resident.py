"""The resident's pages: a service's start page, one question a page, "check your answers",
the confirmation, and "My applications" (status, payment, messages with the office, a
document asked for, the decision notice, withdrawing). Everything below the start page
needs a signed-in resident account: the draft is kept with it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from civitas.applications import applying, billing, handling, summary
from civitas.applications.answers import file_spec, steps
from civitas.applications.applying import Opened
from civitas.applications.payments import offered, settings_of
from civitas.cases.schemas import STATUS_LABELS, Status
from civitas.cities.models import City
from civitas.core.errors import CivitasError, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_, locale_for, pick
from civitas.core.uploads import TYPE_NAMES
from civitas.residents import service as residents
from civitas.residents.models import ResidentAccount
from civitas.web import plugins
from civitas.web.deps import AppSettings, CurrentCity, DbSession, RowId
from civitas.web.files import download
from civitas.web.forms import problem_list, problems_by_field
from civitas.web.jobs import kick_outbox
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)

STATE_LABELS = {
    "draft": N_("Not sent yet"),
    "submitted": N_("Sent"),
    "withdrawn": N_("Withdrawn"),
    "approved": N_("Granted"),
    "refused": N_("Refused"),
}
MAX_FILE_READ = 21 * 1024 * 1024


def _account(request: Request, db: Any, city: City) -> ResidentAccount | None:
    return residents.signed_in(db, city, raw=request.cookies.get(residents.COOKIE))


def _go(path: str, request: Request) -> RedirectResponse:
    """A redirect to a page of ours in the reader's language (a fragment stays last)."""
    where, hash_, fragment = path.partition("#")
    joiner = "&" if "?" in where else "?"
    target = f"{where}{joiner}lang={request.state.lang}{hash_}{fragment}"
    return RedirectResponse(target, status_code=303)


def _base(city: City, application_id: int) -> str:
    return f"/{city.slug}/account/applications/{application_id}"


def _locale(request: Request, city: City) -> str:
    return locale_for(request.state.lang, city.country)


def _signed_in(request: Request, db: Any, city: City) -> ResidentAccount | Response:
    account = _account(request, db, city)
    if account is None:
        return _go(f"/{city.slug}/account", request)
    return account


def _opened(request: Request, db: Any, city: City, application_id: int) -> Opened | Response:
    account = _signed_in(request, db, city)
    if isinstance(account, Response):
        return account
    return applying.own(db, city, account, application_id)


# -- the start page --------------------------------------------------------------------------


@router.get("/{city}/apply/{code}", response_class=HTMLResponse, response_model=None)
def start_page(request: Request, city: CurrentCity, db: DbSession, code: str) -> Response:
    from civitas.applications import forms

    service, _, version = forms.published(db, city, code)
    form = forms.definition(version)
    documents = [
        pick(applying.document_name(service, d.code, d.name), request.state.lang)
        for d in form.documents
    ]
    return page(
        request,
        "applications/start.html",
        {
            "service": service,
            "form": form,
            "fee": applying.fee_of(service, form, city.currency),
            "documents": documents,
            "account": _account(request, db, city),
        },
    )


@router.post("/{city}/apply/{code}", response_model=None)
async def start(request: Request, city: CurrentCity, db: DbSession, code: str) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))

    def work() -> Response:
        account = _signed_in(request, db, city)
        if isinstance(account, Response):
            return account
        opened = applying.start(db, city, account, code=code, lang=request.state.lang)
        db.commit()
        return _go(_next_page(db, city, opened), request)

    return await run_in_threadpool(work)


def _next_page(db: Any, city: City, opened: Opened, after: str | None = None) -> str:
    """The first page still to answer (after ``after``, when going on), else the check."""
    base = _base(city, opened.application.id)
    answers = opened.application.answers
    counts = applying.file_counts(db, city, opened.application.id)
    found = steps(opened.form, answers)
    keys = [s.key for s in found]
    start_at = keys.index(after) + 1 if after in keys else 0
    if after is not None:
        return f"{base}/q/{keys[start_at]}" if start_at < len(keys) else f"{base}/check"
    for step in found[start_at:]:
        if step.kind == "document":
            if counts.get(step.key, 0) == 0 and file_spec(step)[3]:
                return f"{base}/q/{step.key}"
        elif step.key not in answers and (step.question is None or step.question.required):
            return f"{base}/q/{step.key}"
    return f"{base}/check"


# -- a question page --------------------------------------------------------------------


def _step_page(
    request: Request,
    db: Any,
    city: City,
    opened: Opened,
    key: str,
    *,
    problems: dict[str, str] | None = None,
    given: dict[str, Any] | None = None,
    item: int | None = None,
    status: int = 200,
) -> HTMLResponse:
    step = applying.step_of(opened, key)
    application = opened.application
    found = steps(opened.form, application.answers)
    keys = [s.key for s in found]
    position = keys.index(key)
    base = _base(city, application.id)
    context: dict[str, Any] = {
        "opened": opened,
        "service": opened.service,
        "step": step,
        "base": base,
        "back": f"{base}/q/{keys[position - 1]}"
        if position
        else f"/{city.slug}/apply/{opened.service.code}",
        "step_number": position + 1,
        "step_count": len(keys) + 1,
        "problems": problems or {},
        "given": given if given is not None else application.answers,
        "prefilled": application.prefilled,
    }
    template = "applications/question.html"
    if step.kind == "group":
        template = "applications/group.html"
        items = list(application.answers.get(key) or [])
        if item is not None and not 0 <= item < len(items):
            item = None  # no such entry: the form adds one
        locale = _locale(request, city)
        assert step.question is not None
        context["items"] = [
            [
                (
                    pick(s.label, request.state.lang),
                    summary.value_text(s, it.get(s.id), request.state.lang, locale),
                )
                for s in step.question.questions
            ]
            for it in items
        ]
        context["item"] = item
        context["item_values"] = (
            given
            if given is not None
            else (items[item] if item is not None and item < len(items) else {})
        )
    elif step.kind == "document":
        template = "applications/document.html"
        types, max_bytes, most, required = file_spec(step)
        document = step.document
        context |= {
            "files": [d for d in applying.documents_of(db, city, application.id) if d.step == key],
            "types": ", ".join(TYPE_NAMES[t] for t in types),
            "accept": ",".join(
                {
                    "pdf": ".pdf,application/pdf",
                    "jpeg": ".jpg,.jpeg,image/jpeg",
                    "png": ".png,image/png",
                }[t]
                for t in types
            ),
            "max_mb": round(max_bytes / 1024 / 1024, 1),
            "most": most,
            "required": required,
            "title": pick(applying.step_title(opened.service, step), request.state.lang),
            "hint": pick(
                document.hint if document else (step.question.hint if step.question else {}),
                request.state.lang,
            ),
        }
    return page(request, template, context, status)


@router.get(
    "/{city}/account/applications/{application_id}/q/{key}",
    response_class=HTMLResponse,
    response_model=None,
)
def question_page(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    application_id: RowId,
    key: str,
    item: int | None = None,
) -> Response:
    opened = _opened(request, db, city, application_id)
    if isinstance(opened, Response):
        return opened
    if opened.application.status != applying.DRAFT:
        return _go(_base(city, application_id), request)
    return _step_page(request, db, city, opened, key, item=item)


def _whole(value: Any) -> int:
    """A form's number field as a row index or id; anything else is -1 (matches nothing)."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return -1
    return number if 0 <= number < 2**31 else -1


def _problems(request: Request, exc: CivitasError) -> dict[str, str]:
    return problems_by_field(request.state.lang, exc)


@router.post("/{city}/account/applications/{application_id}/q/{key}", response_model=None)
async def question_answer(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    application_id: RowId,
    key: str,
) -> Response:
    form = await request.form()
    text: dict[str, Any] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            if name in text:  # a multiple choice sends its name once per option
                text[name] = [
                    *(text[name] if isinstance(text[name], list) else [text[name]]),
                    value,
                ]
            else:
                text[name] = value
    require_csrf(request, str(text.get("csrf", "")))
    uploads = [
        (v.filename or "document", await v.read(MAX_FILE_READ))
        for n, v in form.multi_items()
        if n == "file" and isinstance(v, UploadFile) and v.filename
    ]

    def work() -> Response:
        opened = _opened(request, db, city, application_id)
        if isinstance(opened, Response):
            return opened
        if opened.application.status != applying.DRAFT:
            return _go(_base(city, application_id), request)
        step = applying.step_of(opened, key)
        lang = request.state.lang
        action = str(text.get("action", "continue"))
        try:
            if step.kind == "question":
                applying.answer(db, city, opened, key=key, raw=text, lang=lang)
            elif step.kind == "group":
                if action == "remove":
                    applying.remove_item(db, city, opened, key=key, index=_whole(text.get("index")))
                    db.commit()
                    return _go(f"{_base(city, application_id)}/q/{key}", request)
                if action in ("add", "save"):
                    index = _whole(text.get("index")) if action == "save" else None
                    applying.save_item(db, city, opened, key=key, index=index, raw=text, lang=lang)
                    db.commit()
                    return _go(f"{_base(city, application_id)}/q/{key}", request)
                _group_complete(db, city, opened, key, lang)
            else:
                if action == "remove":
                    applying.remove_document(
                        db, city, opened, document_id=_whole(text.get("document"))
                    )
                    db.commit()
                    return _go(f"{_base(city, application_id)}/q/{key}", request)
                for name, data in uploads:
                    applying.upload(
                        db,
                        city,
                        opened,
                        key=key,
                        name=name,
                        data=data,
                        media_root=settings.media_root,
                    )
                if action == "upload":
                    db.commit()
                    return _go(f"{_base(city, application_id)}/q/{key}", request)
                _document_complete(db, city, opened, key)
        except InvalidInput as exc:
            db.rollback()
            opened = applying.own(db, city, _account(request, db, city), application_id)  # type: ignore[arg-type]
            item = _whole(text.get("index")) if "index" in text else None
            item = item if item is not None and item >= 0 else None
            given = text if step.kind != "document" else None
            return _step_page(
                request,
                db,
                city,
                opened,
                key,
                problems=_problems(request, exc),
                given=given,
                item=item,
                status=400,
            )
        db.commit()
        if text.get("return") == "check":
            return _go(f"{_base(city, application_id)}/check", request)
        return _go(_next_page(db, city, opened, after=key), request)

    return await run_in_threadpool(work)


def _group_complete(db: Any, city: City, opened: Opened, key: str, lang: str) -> None:
    """Going on from a group: enough items, and each answered whole (an item the register
    filled may lack what it does not know, e.g. the relation)."""
    from civitas.applications.answers import read_item

    step = applying.step_of(opened, key)
    q = step.question
    assert q is not None
    items = opened.application.answers.get(key) or []
    low = q.min_items if q.min_items is not None else (1 if q.required else 0)
    if len(items) < low:
        raise InvalidInput(
            "The answer has {count} problem.",
            count=1,
            problems=[Problem(key, N_("Add at least {count}."), {"count": low})],
        )
    unfinished = [
        str(i + 1)
        for i, item in enumerate(items)
        if read_item(
            q,
            item,
            opened.application.answers,
            today=applying.today(city),
            country=city.country,
            lang=lang,
        )[1]
    ]
    if unfinished:
        raise InvalidInput(
            "The answer has {count} problem.",
            count=1,
            problems=[
                Problem(
                    key,
                    N_("Complete entry {numbers}: choose Change and answer every question."),
                    {"numbers": ", ".join(unfinished)},
                )
            ],
        )


def _document_complete(db: Any, city: City, opened: Opened, key: str) -> None:
    step = applying.step_of(opened, key)
    required = file_spec(step)[3]
    if required and applying.file_counts(db, city, opened.application.id).get(key, 0) == 0:
        raise InvalidInput(
            "The answer has {count} problem.",
            count=1,
            problems=[Problem(key, N_("Upload the file."))],
        )


# -- check and send ------------------------------------------------------------------------


def _check_page(
    request: Request,
    db: Any,
    city: City,
    opened: Opened,
    *,
    problems: list[dict[str, str]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    application = opened.application
    lang = request.state.lang
    rows = summary.rows(opened.form, application.answers, lang=lang, locale=_locale(request, city))
    files = applying.documents_of(db, city, application.id)
    documents = [
        {
            "key": s.key,
            "title": pick(applying.step_title(opened.service, s), lang),
            "files": [f for f in files if f.step == s.key],
        }
        for s in steps(opened.form, application.answers)
        if s.kind == "document"
    ]
    return page(
        request,
        "applications/check.html",
        {
            "opened": opened,
            "service": opened.service,
            "base": _base(city, application.id),
            "rows": rows,
            "documents": documents,
            "problems": problems or [],
            "fee": application.fee_minor,
        },
        status,
    )


@router.get(
    "/{city}/account/applications/{application_id}/check",
    response_class=HTMLResponse,
    response_model=None,
)
def check_page(
    request: Request, city: CurrentCity, db: DbSession, application_id: RowId
) -> Response:
    opened = _opened(request, db, city, application_id)
    if isinstance(opened, Response):
        return opened
    if opened.application.status != applying.DRAFT:
        return _go(_base(city, application_id), request)
    _, found = applying.remaining(db, city, opened, lang=request.state.lang)
    listed = problem_list(request.state.lang, InvalidInput("", problems=found)) if found else []
    return _check_page(request, db, city, opened, problems=listed)


@router.post("/{city}/account/applications/{application_id}/check", response_model=None)
async def send(
    request: Request, city: CurrentCity, db: DbSession, application_id: RowId
) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))

    def work() -> Response:
        opened = _opened(request, db, city, application_id)
        if isinstance(opened, Response):
            return opened
        try:
            applying.submit(db, city, opened, lang=request.state.lang)
        except InvalidInput as exc:
            db.rollback()
            opened = applying.own(db, city, _account(request, db, city), application_id)  # type: ignore[arg-type]
            listed = problem_list(request.state.lang, exc)
            return _check_page(request, db, city, opened, problems=listed, status=400)
        db.commit()
        kick_outbox()
        return _go(f"{_base(city, application_id)}?sent=1", request)

    return await run_in_threadpool(work)


# -- my applications --------------------------------------------------------------------


@router.get("/{city}/account/applications", response_class=HTMLResponse, response_model=None)
def my_applications(request: Request, city: CurrentCity, db: DbSession) -> Response:
    account = _signed_in(request, db, city)
    if isinstance(account, Response):
        return account
    from civitas.web import microcache

    found = applying.mine(db, city, account)
    infos = microcache.service_infos(db, city, {a.service_id for a in found})
    rows = []
    for application in found:
        request_ = applying.case_of(db, city, application)
        rows.append(
            {
                "id": application.id,
                "service": infos[application.service_id].name,
                "state": STATE_LABELS.get(application.status, application.status),
                "number": request_.number if request_ else None,
                "due": billing.due(application),
                "updated_at": application.updated_at,
            }
        )
    return page(request, "applications/list.html", {"rows": rows, "account": account})


@router.get(
    "/{city}/account/applications/{application_id}",
    response_class=HTMLResponse,
    response_model=None,
)
def application_page(
    request: Request, city: CurrentCity, db: DbSession, application_id: RowId
) -> Response:
    opened = _opened(request, db, city, application_id)
    if isinstance(opened, Response):
        return opened
    application = opened.application
    if application.status == applying.DRAFT:
        return _go(_next_page(db, city, opened), request)
    return _detail_page(request, db, city, opened)


def _detail_page(
    request: Request,
    db: Any,
    city: City,
    opened: Opened,
    *,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    application = opened.application
    lang = request.state.lang
    case = applying.case_of(db, city, application)
    payments = billing.payments_of(db, city, application.id)
    transfer = next((p for p in payments if p.provider == "transfer" and p.status == "open"), None)
    messages = handling.messages_of(db, city, application.id)
    files = applying.documents_of(db, city, application.id)
    return page(
        request,
        "applications/detail.html",
        {
            "opened": opened,
            "application": application,
            "service": opened.service,
            "base": _base(city, application.id),
            "case": case,
            "case_status": STATUS_LABELS[Status(case.status)] if case else None,
            "state": STATE_LABELS.get(application.status, application.status),
            "due": billing.due(application),
            "providers": offered(db, city),
            "transfer": transfer,
            "pay_to": settings_of(db, city),
            "payments": payments,
            "messages": messages,
            "asked": [m for m in messages if m.asks_for and m.answered_at is None],
            "files": files,
            # what other domains add (an appointment at the office, when it is needed)
            "panels": plugins.panels(
                "application.resident",
                request,
                city,
                db=db,
                application=application,
                service=opened.service,
                in_person=opened.form.in_person,
            ),
            "rows": summary.rows(
                opened.form, application.answers, lang=lang, locale=_locale(request, city)
            ),
            "withdrawable": application.status == applying.SUBMITTED
            and case is not None
            and case.status in handling.UNHANDLED,
            "sent": request.query_params.get("sent") == "1",
            "paid": request.query_params.get("paid"),
            "problems": problems or {},
        },
        status,
    )


def _on_own(
    request: Request,
    db: Any,
    city: City,
    application_id: int,
    change: Any,
    done: Any,
) -> Response:
    """A resident's change to their own application: refused, the application's page again
    with the problem; done, committed and on (``done(result)`` is where to)."""
    opened = _opened(request, db, city, application_id)
    if isinstance(opened, Response):
        return opened
    try:
        result = change(opened)
    except CivitasError as exc:
        db.rollback()
        opened = applying.own(db, city, _account(request, db, city), application_id)  # type: ignore[arg-type]
        return _detail_page(
            request, db, city, opened, problems=_problems(request, exc), status=exc.status
        )
    db.commit()
    kick_outbox()
    where = done(result)
    if where.startswith("http"):
        return RedirectResponse(where, status_code=303)
    return _go(where, request)


@router.post("/{city}/account/applications/{application_id}/pay", response_model=None)
async def pay(
    request: Request, city: CurrentCity, db: DbSession, application_id: RowId
) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    provider = str(form.get("provider", ""))
    return await run_in_threadpool(
        _on_own,
        request,
        db,
        city,
        application_id,
        lambda opened: billing.start_payment(
            db, city, opened, provider=provider, site=str(request.base_url)
        )[1],
        lambda redirect: redirect or f"{_base(city, application_id)}#pay",
    )


@router.get("/{city}/account/applications/{application_id}/paid", response_model=None)
def paid(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    application_id: RowId,
    payment: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> Response:
    """Back from the provider's page: ask it where the payment stands."""
    opened = _opened(request, db, city, application_id)
    if isinstance(opened, Response):
        return opened
    found = billing.check_payment(db, city, opened.application, payment)
    db.commit()
    kick_outbox()
    return _go(f"{_base(city, application_id)}?paid={found.status}", request)


@router.post("/{city}/account/applications/{application_id}/reply", response_model=None)
async def reply(
    request: Request, city: CurrentCity, db: DbSession, settings: AppSettings, application_id: RowId
) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    uploads = [
        (v.filename or "document", await v.read(MAX_FILE_READ))
        for n, v in form.multi_items()
        if n == "file" and isinstance(v, UploadFile) and v.filename
    ]
    answering = str(form.get("answering", ""))
    text = str(form.get("text", ""))
    return await run_in_threadpool(
        _on_own,
        request,
        db,
        city,
        application_id,
        lambda opened: handling.reply(
            db,
            city,
            opened,
            text=text,
            files=uploads,
            answering=int(answering) if answering.isdigit() else None,
            media_root=settings.media_root,
        ),
        lambda _: f"{_base(city, application_id)}#messages",
    )


@router.post("/{city}/account/applications/{application_id}/withdraw", response_model=None)
async def withdraw(
    request: Request, city: CurrentCity, db: DbSession, application_id: RowId
) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    return await run_in_threadpool(
        _on_own,
        request,
        db,
        city,
        application_id,
        lambda opened: handling.withdraw(db, city, opened).status,
        lambda status: (
            f"/{city.slug}/account/applications"
            if status == applying.DRAFT
            else _base(city, application_id)
        ),
    )


@router.get(
    "/{city}/account/applications/{application_id}/documents/{document_id}", response_model=None
)
def own_document(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    application_id: RowId,
    document_id: RowId,
) -> Response:
    opened = _opened(request, db, city, application_id)
    if isinstance(opened, Response):
        return opened
    found = applying.get_document(db, city, opened.application.id, document_id)
    return download(settings.media_root, found.path, found.name, found.content_type)


@router.get("/{city}/account/applications/{application_id}/notice.pdf", response_model=None)
def own_notice(
    request: Request, city: CurrentCity, db: DbSession, settings: AppSettings, application_id: RowId
) -> Response:
    opened = _opened(request, db, city, application_id)
    if isinstance(opened, Response):
        return opened
    if not opened.application.notice_path:
        raise NotFound("No decision notice for application {id} yet.", id=application_id)
    case = applying.case_of(db, city, opened.application)
    number = case.number if case else application_id
    return download(
        settings.media_root,
        opened.application.notice_path,
        f"notice-{number}.pdf",
        "application/pdf",
    )
