"""Each demo city gets a published form for every service its catalogue offers online
(demo/forms/<code>.yaml, or <code>.<country>.yaml where the country differs), the ways
to pay, and applications in every state: a draft, one waiting for its fee, one paid and
in handling, one waiting for a document the office asked for, one granted and one refused
with their notices, and one withdrawn."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.applications import applying, billing, forms, handling, testpsp
from civitas.applications.answers import steps
from civitas.applications.definition import FormDefinition, Question, relative_date
from civitas.applications.models import Application, PaymentSettings
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import Settings
from civitas.core.db import utcnow
from civitas.residents.models import ResidentAccount

ACTOR = "system:demo"
FORMS = Path(__file__).resolve().parent / "demo" / "forms"
PAYEE = {
    "PE": ("Municipalidad Provincial de Trujillo", "CCI 002-570-001234567890-12", "BCP"),
    "DE": ("Stadtkasse Musterstadt", "DE02 1203 0000 0000 2020 51", "Sparkasse Musterstadt"),
}
# answers the filler gives to questions it knows by id (patterns must hold)
KNOWN = {
    "PE": {
        "given_names": "Rosa",
        "family_name": "Huamán Díaz",
        "plate": "T1A-234",
        "chip": "604000000123456",
        "card_number": "20240517",
        "cci": "00257000123456789012",
        "company_number": "20481234567",
        "phone": "+51944123456",
        "business_name": "Bodega Santa Rosa",
        "birth_place": "Trujillo",
        "dog_name": "Firulais",
        "breed": "Perro sin pelo del Perú",
        "school": "Universidad Nacional de Trujillo",
        "organiser": "Asociación Cultural Moche",
        "event": "Feria del libro del barrio",
        "group_name": "Colegio San Juan",
        "architect": "Arq. Rosa Díaz",
        "items": "Cien años de soledad",
    },
    "DE": {
        "given_names": "Jonas",
        "family_name": "Weber",
        "plate": "M-AB 1234",
        "chip": "276098106543210",
        "card_number": "20240517",
        "company_number": "HRB 12345",
        "phone": "+4915123456789",
        "business_name": "Café am Markt",
        "birth_place": "Musterstadt",
        "dog_name": "Bello",
        "breed": "Labrador",
        "school": "Universität Musterstadt",
        "organiser": "Kulturverein Nord",
        "event": "Stadtteilfest",
        "group_name": "Grundschule am Park",
        "architect": "Dipl.-Ing. Petra Bau",
        "items": "Die Blechtrommel",
    },
}


def form_text(code: str, country: str) -> str | None:
    for name in (f"{code}.{country}.yaml", f"{code}.yaml"):
        path = FORMS / name
        if path.exists():
            return path.read_text(encoding="utf-8")
    return None


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 160), (220, 220, 220)).save(out, "PNG")
    return out.getvalue()


def _value(q: Question, city: City, email: str, today: date, yes: frozenset[str]) -> Any:
    known = KNOWN.get(city.country, KNOWN["DE"])
    if q.id in known and q.type in ("text", "phone"):
        return known[q.id]
    if q.type == "text":
        return "Demo" if not q.multiline else known["items"]
    if q.type == "number":
        low = q.min if isinstance(q.min, int | float) else 1
        return int(low) if q.integer or float(low).is_integer() else low
    if q.type == "date":
        first = relative_date(q.min, today) if q.min is not None else None
        last = relative_date(q.max, today) if q.max is not None else None
        chosen = today
        if first is not None and first > today:
            chosen = first + timedelta(days=1)
        elif last is not None and last < today:
            chosen = last - timedelta(days=365)
        return chosen.isoformat()
    if q.type == "choice":
        return q.options[0].value
    if q.type == "multichoice":
        return [q.options[0].value]
    if q.type == "address":
        return {
            "text": "Plaza de Armas 1, Trujillo"
            if city.country == "PE"
            else "Marktplatz 1, 04109 Musterstadt",
            "address_id": None,
        }
    if q.type == "iban":
        return "DE89370400440532013000"
    if q.type == "email":
        return email
    if q.type == "phone":
        return known["phone"]
    if q.type == "yesno":
        return q.id in yes
    if q.type == "declaration":
        return True
    return None


def fill(
    db: Session,
    city: City,
    opened: applying.Opened,
    *,
    yes: frozenset[str] = frozenset(),
    media_root: Path,
) -> None:
    """Answer every question the applicant is asked (prefilled ones stay), upload the
    documents asked for."""
    application = opened.application
    form: FormDefinition = opened.form
    today = applying.today(city)
    answers = dict(application.answers)
    for _ in range(3):  # conditions open new questions as answers come in
        for step in steps(form, answers):
            q = step.question
            if step.kind == "question" and q is not None and q.id not in answers:
                value = _value(q, city, application.email, today, yes)
                if value is not None:
                    answers[q.id] = value
            elif step.kind == "group" and q is not None and q.id not in answers and q.required:
                answers[q.id] = [
                    {s.id: _value(s, city, application.email, today, yes) for s in q.questions}
                ]
    application.answers = answers
    for step in steps(form, answers):
        if step.kind != "document":
            continue
        types = (
            step.document.types if step.document else (step.question.types if step.question else [])
        )
        if step.document is not None and not step.document.required:
            continue
        data, name = (_pdf(), "document.pdf") if "pdf" in types else (_png(), "photo.png")
        applying.upload(db, city, opened, key=step.key, name=name, data=data, media_root=media_root)


@dataclass
class Made:
    forms: int = 0
    applications: int = 0


def _apply(
    db: Session,
    city: City,
    account: ResidentAccount,
    code: str,
    settings: Settings,
    *,
    lang: str,
    yes: frozenset[str] = frozenset(),
    send: bool = True,
) -> applying.Opened:
    opened = applying.start(db, city, account, code=code, lang=lang)
    fill(db, city, opened, yes=yes, media_root=settings.media_root)
    if send:
        applying.submit(db, city, opened, lang=lang)
    db.flush()
    return opened


def _pay_online(db: Session, city: City, opened: applying.Opened) -> None:
    payment, _ = billing.start_payment(db, city, opened, provider="testpsp")
    assert payment.provider_ref is not None
    testpsp.settle(db, payment.provider_ref, pay=True)
    billing.check_payment(db, city, opened.application, payment.id)


def _number(db: Session, city: City, opened: applying.Opened) -> int:
    case = applying.case_of(db, city, opened.application)
    assert case is not None
    return case.number


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    """The demo hook (after the catalogue, the register and the demo family's account)."""
    enter_city(db, city)
    made = Made()
    for service in db.scalars(
        select(Service).where(Service.published.is_(True)).order_by(Service.code)
    ):
        if "online" not in service.channels or service.is_open311:
            continue
        text = form_text(service.code, city.country)
        if text is None:
            continue
        forms.save_form(db, city, code=service.code, text=text, actor=ACTOR)
        forms.set_published(db, city, code=service.code, published=True, actor=ACTOR)
        made.forms += 1
    if db.scalar(select(PaymentSettings.id)) is None:
        payee, account_no, bank = PAYEE.get(city.country, PAYEE["DE"])
        db.add(
            PaymentSettings(
                providers=["testpsp", "transfer"], payee=payee, account=account_no, bank=bank
            )
        )
    db.flush()
    if db.scalar(select(Application.id)) is None:
        made.applications = _applications(db, city, settings)
    return [
        f"  applications:    {made.forms} forms, {made.applications} applications "
        f"({settings.public_url}/{city.slug}/account/applications)"
    ]


def _applications(db: Session, city: City, settings: Settings) -> int:
    from civitas.proactive.demo import FAMILY

    family = FAMILY.get(city.slug)
    lang = city.default_language
    email = family.email if family else f"resident@{city.slug}.example"
    account = db.scalar(select(ResidentAccount).where(ResidentAccount.email == email))
    if account is None:
        account = ResidentAccount(email=email, language=lang, verified_at=utcnow())
        db.add(account)
        db.flush()
    offered = forms.published_codes(db, city)
    count = 0

    def have(*codes: str) -> bool:
        return all(c in offered for c in codes)

    worker = "Case Worker"
    if have("residence-registration"):  # a draft, prefilled, half answered
        opened = applying.start(db, city, account, code="residence-registration", lang=lang)
        applying.answer(db, city, opened, key="residence", raw={"residence": "main"}, lang=lang)
        count += 1
    if have("residence-certificate"):  # paid online and granted: the notice is there
        opened = _apply(db, city, account, "residence-certificate", settings, lang=lang)
        _pay_online(db, city, opened)
        handling.decide(
            db,
            city,
            number=_number(db, city, opened),
            approve=True,
            reasons="",
            actor=worker,
            media_root=settings.media_root,
        )
        count += 1
    if have("resident-parking"):  # sent; the fee by transfer is still to come
        opened = _apply(db, city, account, "resident-parking", settings, lang=lang)
        billing.start_payment(db, city, opened, provider="transfer")
        count += 1
    if have("dog-registration"):  # paid; the office asked for the insurance
        opened = _apply(db, city, account, "dog-registration", settings, lang=lang)
        _pay_online(db, city, opened)
        asks = {
            "es": "Póliza del seguro de responsabilidad civil",
            "de": "Nachweis der Hundehaftpflicht",
            "en": "Proof of liability insurance",
        }
        text = {
            "es": "Para registrar a su perro necesitamos la póliza de su seguro. "
            "Súbala aquí, por favor.",
            "de": "Für die Anmeldung brauchen wir noch den Nachweis der Hundehaftpflicht. "
            "Bitte laden Sie ihn hier hoch.",
            "en": "To register your dog we need proof of your liability insurance. "
            "Please upload it here.",
        }
        handling.write_to_applicant(
            db,
            city,
            number=_number(db, city, opened),
            text=text.get(lang, text["en"]),
            asks_for=asks.get(lang, asks["en"]),
            actor=worker,
        )
        count += 1
    if have("event-venue"):  # refused, with reasons
        opened = _apply(db, city, account, "event-venue", settings, lang=lang)
        _pay_online(db, city, opened)
        reasons = {
            "es": "El local ya está reservado para esa fecha por un evento municipal. "
            "Puede solicitar otra fecha.",
            "de": "Der Saal ist an diesem Tag bereits für eine städtische Veranstaltung "
            "belegt. Sie können einen anderen Termin beantragen.",
            "en": "The venue is already booked for a city event on that day. "
            "You can apply for another date.",
        }
        handling.decide(
            db,
            city,
            number=_number(db, city, opened),
            approve=False,
            reasons=reasons.get(lang, reasons["en"]),
            actor=worker,
            media_root=settings.media_root,
        )
        count += 1
    if have("course-enrolment"):  # withdrawn before handling
        opened = _apply(db, city, account, "course-enrolment", settings, lang=lang)
        handling.withdraw(db, city, opened)
        count += 1
    # the office's queue: applications of other residents, paid, waiting to be decided
    for i, code in enumerate(
        c for c in ("birth-certificate", "business-licence", "library-card") if c in offered
    ):
        other_email = (
            f"vecino{i + 1}@{city.slug}.example"
            if city.country == "PE"
            else f"buerger{i + 1}@{city.slug}.example"
        )
        other = db.scalar(select(ResidentAccount).where(ResidentAccount.email == other_email))
        if other is None:
            other = ResidentAccount(email=other_email, language=lang, verified_at=utcnow())
            db.add(other)
            db.flush()
        opened = _apply(db, city, other, code, settings, lang=lang)
        if opened.application.fee_minor:
            _pay_online(db, city, opened)
        count += 1
    return count
