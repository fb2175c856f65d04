"""The network's home, a participant's profile, and good practices: search across
cities, write the city's own (in the language chosen, with evidence windows on its
published KPIs, documents and photos), submit it, the coordinator's review, adoption by
another city."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile

from civitas.catalogue.service import list_services
from civitas.cities.models import City
from civitas.core.config import get_settings
from civitas.core.errors import NotFound, PermissionDenied
from civitas.core.i18n import LANGUAGE_NAMES, N_, locale_for, translate
from civitas.core.kpis import catalogue
from civitas.core.validation import checked
from civitas.insight.charts import fmt
from civitas.insight.scorecard import published_kpis
from civitas.network import circles, community, contests, evidence, partnerships, practices
from civitas.network.models import Evidence, Practice
from civitas.network.permissions import NetworkPermission as P
from civitas.network.web.common import Actor, act, base, cities, reader, text, values, view
from civitas.web.deps import CurrentCity, DbSession, OptionalPrincipal, RowId
from civitas.web.files import download
from civitas.web.routers import Router

router = Router(include_in_schema=False)

TEXTS = ("title", "problem", "action", "resources", "steps")
EVIDENCE_ROWS = 3
WINDOW_FIELDS = ("baseline_from", "baseline_to", "after_from", "after_to")


def helpers(lang: str, city: City) -> dict[str, Any]:
    """Figures, months and names as the reader's language writes them."""
    locale = locale_for(lang, city.country)
    known = catalogue()

    def month(value: str | None) -> str:
        if not value:
            return "–"
        return format_date(date(int(value[:4]), int(value[5:7]), 1), "MMM y", locale=locale)

    def figure(value: float | None, kpi: str) -> str:
        unit = known[kpi].unit if kpi in known else ""
        return fmt(value, unit, locale, city.currency)

    def change(value: float | None, kpi: str) -> str:
        """A difference: in percentage points for a percentage, else in the KPI's unit;
        with its sign."""
        if value is None:
            return "–"
        sign = "+" if value > 0 else ("−" if value < 0 else "±")
        unit = known[kpi].unit if kpi in known else ""
        if unit == "percent":
            points = format_decimal(round(abs(value), 1), locale=locale)
            return sign + translate(lang, N_("{points} points"), points=points)
        return sign + fmt(abs(value), unit, locale, city.currency)

    def written_in(texts: dict[str, str]) -> str:
        """The language's name when a text is not written in the reader's language."""
        if texts.get(lang):
            return ""
        shown = next((c for c in (city.default_language, "en", "es", "de") if texts.get(c)), "")
        return LANGUAGE_NAMES.get(shown, "")

    def day(value: str | None) -> str:
        """A day (YYYY-MM-DD) as the reader's language writes it."""
        if not value:
            return "–"
        try:
            return format_date(date.fromisoformat(value), "medium", locale=locale)
        except ValueError:
            return value

    def amount(value: float | None, currency: str) -> str:
        return "–" if value is None else format_currency(value, currency, locale=locale)

    return {
        "month": month,
        "day": day,
        "amount": amount,
        "figure": figure,
        "change": change,
        "written_in": written_in,
        "kpi_title": lambda code: known[code].title(lang) if code in known else code,
        "topics": {k: translate(lang, v) for k, v in practices.TOPICS.items()},
        "verdicts": {k: translate(lang, v) for k, v in evidence.VERDICTS.items()},
    }


# -- home and profile -----------------------------------------------------------------


@router.get("/{city}/network", response_model=None)
def home(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    lang = request.state.lang
    return view(
        request,
        "network/home.html",
        who,
        {
            "recent": practices.search(db)[:5],
            "all_kpis": catalogue(),
            "cities": cities(db),
            "groups": community.groups(db, who.profile),
            "events": community.events(db, upcoming=True)[:5],
            "partnerships": partnerships.partnerships(db),
            "contests": contests.contests(db)[:5],
            "contest_states": {k: translate(lang, v) for k, v in contests.STATUSES.items()},
            "circles": circles.circles(db),
            "waiting": practices.waiting_review(db) if who.coordinator else [],
            **helpers(lang, city),
        },
    )


def _profile_page(
    request: Request, who: Actor, problems: dict[str, str] | None = None, status: int = 200
) -> Response:
    lang = request.state.lang
    return view(
        request,
        "network/profile.html",
        who,
        {
            "digests": {k: translate(lang, v) for k, v in community.DIGESTS.items()},
            "problems": problems or {},
        },
        status,
    )


@router.get("/{city}/network/profile", response_model=None)
def profile(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    return _profile_page(request, who)


@router.post("/{city}/network/profile", response_model=None)
async def save_profile(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        community.update_profile(
            db,
            who.profile,
            organisation=text(form, "organisation", 200),
            expertise=text(form, "expertise", 4000),
            digest=text(form, "digest", 10),
        )
        return f"{base(city)}/profile?done=saved"

    return await act(
        request,
        db,
        city,
        principal,
        change=change,
        back=f"{base(city)}/profile",
        again=lambda who, form, problems: _profile_page(request, who, problems, 422),
    )


# -- practices ------------------------------------------------------------------------


@router.get("/{city}/network/practices", response_model=None)
def search(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    lang = request.state.lang
    q = request.query_params
    asked = {
        "q": q.get("q", "")[:200],
        "topic": q.get("topic", "") if q.get("topic") in practices.TOPICS else "",
        "kpi": q.get("kpi", "") if q.get("kpi") in catalogue() else "",
        "verdict": q.get("verdict", "") if q.get("verdict") in evidence.VERDICTS else "",
    }
    found = practices.search(
        db, text=asked["q"], topic=asked["topic"], kpi=asked["kpi"], verdict=asked["verdict"]
    )
    effects: dict[int, list[Evidence]] = {}
    for row in db.scalars(
        select(Evidence).where(Evidence.practice_id.in_([p.id for p in found] or [0]))
    ):
        if row.city_id == next((p.city_id for p in found if p.id == row.practice_id), None):
            effects.setdefault(row.practice_id, []).append(row)
    used = sorted(
        {e.kpi for e in db.scalars(select(Evidence)) if e.kpi in catalogue()},
        key=lambda c: catalogue()[c].title(lang),
    )
    return view(
        request,
        "network/practices.html",
        who,
        {
            "found": found,
            "effects": effects,
            "asked": asked,
            "kpis": used,
            "cities": cities(db),
            "mine": practices.mine(db, city) if who.can(P.PRACTICE_WRITE) else [],
            "waiting": practices.waiting_review(db) if who.coordinator else [],
            "statuses": _statuses(lang),
            **helpers(lang, city),
        },
    )


def _statuses(lang: str) -> dict[str, str]:
    return {
        "draft": translate(lang, N_("draft")),
        "submitted": translate(lang, N_("waiting for review")),
        "published": translate(lang, N_("published")),
    }


def _form_page(
    request: Request,
    db: Any,
    city: City,
    who: Actor,
    *,
    practice: Practice | None,
    written_in: str,
    given: dict[str, str] | None = None,
    services: list[str] | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = request.state.lang
    if given is None:
        given = {"language": written_in}
        if practice is not None:
            given |= {"topic": practice.topic, "contact": practice.contact}
            for name in TEXTS:
                given[name] = getattr(practice, name).get(written_in, "")
            for i, row in enumerate(
                e for e in practices.evidence_of(db, practice) if e.city_id == city.id
            ):
                given[f"evidence[{i}].kpi"] = row.kpi
                for f in WINDOW_FIELDS:
                    given[f"evidence[{i}].{f}"] = getattr(row, f)
    chosen = services if services is not None else (practice.services if practice else [])
    return view(
        request,
        "network/practice_form.html",
        who,
        {
            "practice": practice,
            "values": given,
            "chosen": chosen,
            "problems": problems or {},
            "services": list_services(db, city),
            "published": published_kpis(db, city),
            "rows": range(EVIDENCE_ROWS),
            "languages": [(c, LANGUAGE_NAMES[c]) for c in practices.LANGUAGES],
            **helpers(lang, city),
        },
        status,
    )


def _data(form: FormData, practice: Practice | None) -> tuple[practices.PracticeIn, str]:
    """The practice as the form wrote it, in its language (the others kept); refused with
    each problem at its field when it is not one."""
    written_in = text(form, "language", 5)
    if written_in not in practices.LANGUAGES:
        written_in = "es"
    texts: dict[str, dict[str, str]] = {}
    for name in TEXTS:
        kept = dict(getattr(practice, name)) if practice is not None else {}
        value = text(form, name, 8001)
        if value:
            kept[written_in] = value
        else:
            kept.pop(written_in, None)
        texts[name] = kept
    rows = []
    for i in range(EVIDENCE_ROWS):
        kpi = text(form, f"evidence[{i}].kpi", 40)
        if kpi:
            rows.append(
                {"kpi": kpi} | {f: text(form, f"evidence[{i}].{f}", 7) for f in WINDOW_FIELDS}
            )
    services = [v for v in form.getlist("services") if isinstance(v, str)][:20]
    data = checked(
        practices.PracticeIn,
        {
            "topic": text(form, "topic", 30),
            **texts,
            "contact": text(form, "contact", 300),
            "services": services,
            "evidence": rows,
        },
        N_("The practice cannot be saved."),
    )
    return data, written_in


def _field(location: str, filled: list[int]) -> str:
    """A problem's location as the form's field: title.es → title; the k-th evidence given
    is the form's row ``filled[k]`` (rows left blank are skipped)."""
    head = location.partition(".")[0]
    if head in TEXTS:
        return head
    found = re.match(r"^evidence\[(\d+)\](.*)$", location)
    if found and int(found[1]) < len(filled):
        return f"evidence[{filled[int(found[1])]}]{found[2]}"
    return location


@router.get("/{city}/network/practices/new", response_model=None)
def new_practice(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    if isinstance(who := reader(db, city, principal, P.PRACTICE_WRITE), Response):
        return who
    return _form_page(request, db, city, who, practice=None, written_in=request.state.lang)


def filled(form: FormData) -> list[int]:
    return [i for i in range(EVIDENCE_ROWS) if text(form, f"evidence[{i}].kpi", 40)]


def _again(request: Request, db: Any, city: City, practice_id: int | None) -> Any:
    def again(who: Actor, form: FormData, problems: dict[str, str]) -> Response:
        practice = None if practice_id is None else practices.get_practice(db, practice_id)
        return _form_page(
            request,
            db,
            city,
            who,
            practice=practice,
            written_in=text(form, "language", 5),
            given=values(form),
            services=[v for v in form.getlist("services") if isinstance(v, str)],
            problems={_field(k, filled(form)): v for k, v in problems.items()},
            status=422,
        )

    return again


@router.post("/{city}/network/practices", response_model=None)
async def create(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        data, _ = _data(form, None)
        practice = practices.create_practice(db, city, data=data, actor=who.label)
        return f"{base(city)}/practices/{practice.id}?done=created"

    return await act(
        request,
        db,
        city,
        principal,
        change=change,
        back=f"{base(city)}/practices/new",
        again=_again(request, db, city, None),
        permission=P.PRACTICE_WRITE,
    )


def _visible(db: Any, practice: Practice, city: City, who: Actor) -> None:
    """A draft is its city's; a submitted one also the coordinator's."""
    if practice.status == "published" or practice.city_id == city.id:
        return
    if practice.status == "submitted" and who.coordinator:
        return
    raise NotFound(N_("There is no practice {id}."), id=practice.id)


@router.get("/{city}/network/practices/{practice_id}", response_model=None)
def show(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    practice_id: RowId,
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    practice = practices.get_practice(db, practice_id)
    _visible(db, practice, city, who)
    lang = request.state.lang
    rows = practices.evidence_of(db, practice)
    taken = practices.adoptions(db, practice)
    already = any(a.city_id == city.id for a in taken)
    return view(
        request,
        "network/practice.html",
        who,
        {
            "p": practice,
            "own": practice.city_id == city.id,
            "owner_evidence": [e for e in rows if e.city_id == practice.city_id],
            "adoptions": [(a, [e for e in rows if e.city_id == a.city_id]) for a in taken],
            "already": already,
            "files": practices.attachments(db, practice),
            "cities": cities(db),
            "statuses": _statuses(lang),
            "published": published_kpis(db, city),
            "written": [LANGUAGE_NAMES[c] for c in practices.LANGUAGES if practice.title.get(c)],
            "in_lang": bool(practice.title.get(lang)),
            "other_languages": [(c, LANGUAGE_NAMES[c]) for c in practices.LANGUAGES if c != lang],
            "rows": range(EVIDENCE_ROWS),
            "max_mb": practices.MAX_ATTACHMENT_BYTES // 2**20,
            **helpers(lang, city),
        },
    )


@router.get("/{city}/network/practices/{practice_id}/edit", response_model=None)
def edit(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    practice_id: RowId,
) -> Response:
    if isinstance(who := reader(db, city, principal, P.PRACTICE_WRITE), Response):
        return who
    practice = practices.get_practice(db, practice_id)
    if practice.city_id != city.id:
        raise PermissionDenied(N_("Only the practice's own city can change it."))
    written_in = request.query_params.get("in", "")
    if written_in not in practices.LANGUAGES:
        written_in = request.state.lang
    return _form_page(request, db, city, who, practice=practice, written_in=written_in)


@router.post("/{city}/network/practices/{practice_id}/edit", response_model=None)
async def save(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    practice_id: RowId,
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        data, _ = _data(form, practices.get_practice(db, practice_id))
        practices.update_practice(db, city, practice_id, data=data, actor=who.label)
        return f"{base(city)}/practices/{practice_id}?done=saved"

    return await act(
        request,
        db,
        city,
        principal,
        change=change,
        back=f"{base(city)}/practices/{practice_id}",
        again=_again(request, db, city, practice_id),
        permission=P.PRACTICE_WRITE,
    )


def _on_practice(
    request: Request,
    db: Any,
    city: City,
    principal: Any,
    practice_id: int,
    change: Any,
    permission: str = P.PRACTICE_WRITE,
) -> Awaitable[Response]:
    """A form on a practice's page: a refusal goes back to the page with its problem."""
    back = f"{base(city)}/practices/{practice_id}"
    return act(request, db, city, principal, change=change, back=back, permission=permission)


@router.post("/{city}/network/practices/{practice_id}/submit", response_model=None)
async def submit(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    practice_id: RowId,
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        practices.submit(db, city, practice_id, actor=who.label)
        return f"{base(city)}/practices/{practice_id}?done=submitted"

    return await _on_practice(request, db, city, principal, practice_id, change)


@router.post("/{city}/network/practices/{practice_id}/review", response_model=None)
async def review(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    practice_id: RowId,
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        publish = text(form, "decision", 10) == "publish"
        practices.review(
            db, practice_id, publish=publish, note=text(form, "note", 4000), actor=who.label
        )
        return f"{base(city)}/practices/{practice_id}?done={'published' if publish else 'returned'}"

    return await _on_practice(request, db, city, principal, practice_id, change, P.MODERATE)


@router.post("/{city}/network/practices/{practice_id}/adopt", response_model=None)
async def adopt(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    practice_id: RowId,
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        items = []
        for i in range(EVIDENCE_ROWS):
            kpi = text(form, f"evidence[{i}].kpi", 40)
            if kpi:
                items.append(
                    practices.EvidenceIn.model_construct(
                        kpi=kpi,
                        baseline_from=text(form, f"evidence[{i}].baseline_from", 7),
                        baseline_to=text(form, f"evidence[{i}].baseline_to", 7),
                        after_from=text(form, f"evidence[{i}].after_from", 7),
                        after_to=text(form, f"evidence[{i}].after_to", 7),
                    )
                )
        practices.adopt(
            db,
            city,
            practice_id,
            started=text(form, "started", 7),
            items=items,
            note=text(form, "note", 4000),
            actor=who.label,
        )
        return f"{base(city)}/practices/{practice_id}?done=adopted#adoptions"

    return await _on_practice(request, db, city, principal, practice_id, change)


@router.post("/{city}/network/practices/{practice_id}/files", response_model=None)
async def upload(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    practice_id: RowId,
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        found = form.get("file")
        if not isinstance(found, UploadFile):
            from civitas.network.community import refuse

            raise refuse("file", N_("Choose a file."))
        data = found.file.read(practices.MAX_ATTACHMENT_BYTES + 1)
        practices.attach(
            db,
            city,
            practice_id,
            data=data,
            name=found.filename or "document",
            media_root=get_settings().media_root,
            actor=who.label,
        )
        return f"{base(city)}/practices/{practice_id}?done=attached#files"

    return await _on_practice(request, db, city, principal, practice_id, change)


@router.post("/{city}/network/practices/{practice_id}/files/{file_id}/delete", response_model=None)
async def delete_file(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    practice_id: RowId,
    file_id: RowId,
) -> Response:
    def change(who: Actor, form: FormData) -> str:
        practices.detach(db, city, practice_id, file_id)
        return f"{base(city)}/practices/{practice_id}?done=deleted#files"

    return await _on_practice(request, db, city, principal, practice_id, change)


@router.get("/{city}/network/practices/{practice_id}/files/{file_id}", response_model=None)
def file(
    request: Request,
    city: CurrentCity,
    db: DbSession,
    principal: OptionalPrincipal,
    practice_id: RowId,
    file_id: RowId,
) -> Response:
    if isinstance(who := reader(db, city, principal), Response):
        return who
    practice = practices.get_practice(db, practice_id)
    _visible(db, practice, city, who)
    from civitas.core.uploads import CONTENT_TYPES
    from civitas.network.models import Attachment

    found = db.get(Attachment, file_id)
    if found is None or found.practice_id != practice.id:
        raise NotFound(N_("There is no document {id}."), id=file_id)
    return download(get_settings().media_root, found.path, found.name, CONTENT_TYPES[found.kind])
