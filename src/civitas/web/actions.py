"""One way for a back-office form to change something.

Every staff form that writes does the same steps: check the reader may (else the sign-in
page or 403), check the form token, answer a second press of a create form as the first
was, run the change, and either roll back and show the form again with what was wrong
(the status of the refusal) or commit and go on (303). :func:`form_action` is those
steps; a page gives it the permission, the change and the two ways to answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from civitas.accounts.service import Principal
from civitas.core.errors import CivitasError
from civitas.web.deps import staff_page
from civitas.web.idempotent import commit_form, replay_form
from civitas.web.templating import require_csrf

T = TypeVar("T")
W = TypeVar("W")


def with_lang(path: str, lang: str) -> str:
    """``path`` with the reader's language in its query (before any ``#fragment``)."""
    path, hash_, fragment = path.partition("#")
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}lang={lang}{hash_}{fragment}"


def go(request: Request, path: str) -> RedirectResponse:
    """303 to ``path`` in the reader's language: where a form sends its reader on."""
    return RedirectResponse(with_lang(path, request.state.lang), status_code=303)


def form_action(
    request: Request,
    city: Any,
    db: Session,
    principal: Principal | None,
    *,
    permission: str,
    csrf: str,
    change: Callable[[Principal], T],
    done: Callable[[T], str],
    refused: Callable[[Principal, CivitasError], Response],
    key: str | None = None,
    after: Callable[[], None] | None = None,
) -> Response:
    """Run a staff form's ``change`` once, in the request's transaction.

    ``done(result)`` is where to go after the commit (a path); ``refused(who, error)``
    answers a refused change, after the rollback (the form again, with the problems, and
    the error's status). ``key`` is a create form's own key: a second press replays the
    first answer. ``after`` runs once the change is committed (wake the mail worker)."""
    return gated_action(
        request,
        db,
        gate=lambda: staff_page(city, principal, permission),
        actor=lambda who: who.label,
        csrf=csrf,
        change=change,
        done=done,
        refused=refused,
        key=key,
        after=after,
    )


def gated_action(
    request: Request,
    db: Session,
    *,
    gate: Callable[[], W | Response],
    actor: Callable[[W], str],
    csrf: str,
    change: Callable[[W], T],
    done: Callable[[T], str],
    refused: Callable[[W, CivitasError], Response],
    key: str | None = None,
    after: Callable[[], None] | None = None,
) -> Response:
    """:func:`form_action` for a form whose reader is not a member of staff as such: the
    ``gate`` answers who it is (a picker, a buyer …) or where to send them instead, and
    ``actor`` names them for the audit and for a replayed answer."""
    who = gate()
    if isinstance(who, Response):
        return who
    require_csrf(request, csrf)
    if (earlier := replay_form(db, actor=actor(who), key=key)) is not None:
        return earlier
    try:
        result = change(who)
    except CivitasError as exc:
        db.rollback()
        return refused(who, exc)
    answer = commit_form(db, actor=actor(who), key=key, answer=done(result))
    if after is not None:
        after()
    return answer
