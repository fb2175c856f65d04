"""An application from its first page to its decision, through the domain's functions, on
both databases: prefill with its access log, answers page by page, documents, sending as a
private case, paying through the test provider's signed notification, a document asked for
(the deadline stands still), and the decision notice."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from civitas.applications import applying, billing, handling, payments, testpsp
from civitas.applications.models import Application, Payment
from civitas.cases.models import ServiceRequest
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.config import get_settings
from civitas.core.db import session_scope
from civitas.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from civitas.notifications.models import OutboxMessage
from civitas.register.models import AccessLogEntry
from civitas.residents.models import ResidentAccount
from tests.applications.helpers import answers_for_form, pdf_bytes, png_bytes, with_form
from tests.proactive.helpers import family

EMAIL = "anwohnerin@musterstadt.example"  # the register's demo family in Musterstadt


def _open(db: Any, slug: str, account_id: int, application_id: int | None = None) -> Any:
    city = get_city_by_slug(db, slug)
    enter_city(db, city)
    account = db.get(ResidentAccount, account_id)
    if application_id is None:
        return city, applying.start(db, city, account, code="residence-registration", lang="de")
    return city, applying.own(db, city, account, application_id)


@pytest.fixture
def musterstadt(two_cities: Any) -> Any:
    family(None, "musterstadt")
    with_form("musterstadt")
    from tests.applications.helpers import account

    return account("musterstadt", EMAIL)


def test_prefill_reads_only_what_the_form_asks_and_logs_it(musterstadt: int) -> None:
    with session_scope() as db:
        _, opened = _open(db, "musterstadt", musterstadt)
        answers = opened.application.answers
        assert answers["given_names"] == "Anna"
        assert answers["family_name"] == "Beispiel"
        assert answers["birth_date"] == "1990-05-01"
        assert answers["previous_address"].startswith("Marktplatz 5")
        # the household: partner and child, as items of the repeating group
        assert {p["given_names"] for p in answers["people"]} == {"Ben", "Clara"}
        assert opened.application.prefilled == answers
        application_id = opened.application.id
        person = opened.application.person_id
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        log = db.scalars(select(AccessLogEntry).where(AccessLogEntry.person_id == person)).all()
        reads = [e for e in log if e.purpose == applying.PURPOSE]
        assert len(reads) == 1
        assert reads[0].data == ["address", "contact", "household", "identity"]  # no income
        assert str(application_id) in (reads[0].detail or "")
    # resuming the draft reads nothing again
    with session_scope() as db:
        _, again = _open(db, "musterstadt", musterstadt)
        assert again.application.id == application_id
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        log = db.scalars(
            select(AccessLogEntry).where(AccessLogEntry.purpose == applying.PURPOSE)
        ).all()
        assert len(log) == 1


def test_each_page_names_its_problem_and_keeps_nothing_wrong(musterstadt: int) -> None:
    with session_scope() as db:
        city, opened = _open(db, "musterstadt", musterstadt)
        with pytest.raises(InvalidInput) as missing:
            applying.answer(db, city, opened, key="move_date", raw={"move_date": ""}, lang="en")
        assert missing.value.problems[0].location == "move_date"
        with pytest.raises(InvalidInput) as late:
            applying.answer(
                db, city, opened, key="move_date", raw={"move_date": "2099-01-01"}, lang="en"
            )
        assert late.value.problems[0].message == "The date must be on or before {date}."
        with pytest.raises(InvalidInput) as nonsense:
            applying.answer(
                db, city, opened, key="move_date", raw={"move_date": "31.02.2026"}, lang="en"
            )
        assert "real date" in nonsense.value.problems[0].message
        with pytest.raises(InvalidInput):
            applying.answer(
                db, city, opened, key="residence", raw={"residence": "palace"}, lang="en"
            )
        with pytest.raises(InvalidInput):
            applying.answer(db, city, opened, key="phone", raw={"phone": "12"}, lang="en")
        assert "move_date" not in opened.application.answers
        # a question hidden by an earlier answer is not on the way
        applying.answer(
            db, city, opened, key="others_moving", raw={"others_moving": "no"}, lang="en"
        )
        with pytest.raises(NotFound):
            applying.step_of(opened, "people")
        applying.answer(
            db, city, opened, key="others_moving", raw={"others_moving": "yes"}, lang="en"
        )
        assert applying.step_of(opened, "people").kind == "group"
        with pytest.raises(InvalidInput) as item:
            applying.save_item(
                db, city, opened, key="people", index=None, raw={"given_names": "Max"}, lang="en"
            )
        assert {p.location for p in item.value.problems} == {
            "family_name",
            "birth_date",
            "relation",
        }


def test_a_file_is_judged_by_its_content_and_size(musterstadt: int, tmp_path: Any) -> None:
    with session_scope() as db:
        city, opened = _open(db, "musterstadt", musterstadt)
        key = "landlord-confirmation"
        with pytest.raises(InvalidInput) as fake:
            applying.upload(
                db,
                city,
                opened,
                key=key,
                name="x.pdf",
                data=b"MZ\x90\x00 not a pdf",
                media_root=tmp_path,
            )
        assert fake.value.problems[0].message == "The file must be a {types} file."
        with pytest.raises(InvalidInput) as broken:
            applying.upload(
                db,
                city,
                opened,
                key=key,
                name="x.pdf",
                data=b"%PDF-1.7\n garbage",
                media_root=tmp_path,
            )
        assert "cannot be opened" in broken.value.problems[0].message
        with pytest.raises(InvalidInput) as big:
            applying.upload(
                db,
                city,
                opened,
                key=key,
                name="big.pdf",
                data=pdf_bytes() + b"\0" * (6 * 2**20),
                media_root=tmp_path,
            )
        assert big.value.problems[0].message == "The file is larger than {limit} MB."
        document = applying.upload(
            db,
            city,
            opened,
            key=key,
            name="../../etc/Bestätigung.PDF",
            data=pdf_bytes(),
            media_root=tmp_path,
        )
        assert document.name == "Bestätigung.pdf"
        assert (tmp_path / document.path).read_bytes() == pdf_bytes()
        assert document.path.startswith(f"{city.id}/applications/")


def _fill(db: Any, city: Any, opened: Any, tmp_path: Any) -> None:
    for key, raw in answers_for_form().items():
        applying.answer(db, city, opened, key=key, raw=raw, lang="de")
    applying.upload(
        db,
        city,
        opened,
        key="landlord-confirmation",
        name="a.pdf",
        data=pdf_bytes(),
        media_root=tmp_path,
    )
    applying.upload(
        db,
        city,
        opened,
        key="landlord-confirmation",
        name="b.png",
        data=png_bytes(),
        media_root=tmp_path,
    )


def test_the_whole_way_from_draft_to_decision(musterstadt: int, tmp_path: Any) -> None:
    with session_scope() as db:
        city, opened = _open(db, "musterstadt", musterstadt)
        with pytest.raises(InvalidInput) as unfinished:
            applying.submit(db, city, opened, lang="de")
        assert "declaration" in {p.location for p in unfinished.value.problems}
        _fill(db, city, opened, tmp_path)
        # a corrected prefill stays visible: the applicant changed the given names
        applying.answer(
            db, city, opened, key="given_names", raw={"given_names": "Anna Maria"}, lang="de"
        )
        sent = applying.submit(db, city, opened, lang="de")
        again = applying.submit(db, city, opened, lang="de")  # a double press files once
        assert again is sent
        application_id = sent.id
        request = db.get(ServiceRequest, sent.request_id)
        assert request.private is True
        assert request.waiting_for == "payment"
        assert request.paused_at is not None
        number = request.number
        assert "people" not in sent.answers  # hidden by "no one else moves in"
        assert sent.prefilled["given_names"] == "Anna"
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        assert (
            db.scalar(select(ServiceRequest.id).where(ServiceRequest.number == number)) is not None
        )
        assert len(db.scalars(select(Application)).all()) == 1
        receipt = db.scalars(
            select(OutboxMessage).where(
                OutboxMessage.dedupe_key == f"application:{application_id}:received"
            )
        ).one()
        assert str(number) in receipt.subject
        assert "15,50" in receipt.body or "15.50" in receipt.body

    # not paid yet: no decision
    with session_scope() as db:
        city = get_city_by_slug(db, "musterstadt")
        with pytest.raises(Conflict):
            handling.decide(
                db, city, number=number, approve=True, reasons="", actor="a", media_root=tmp_path
            )

    # paying through the test provider: redirect, the resident pays, a signed notification
    with session_scope() as db:
        city, opened = _open(db, "musterstadt", musterstadt, application_id)
        payment, redirect = billing.start_payment(db, city, opened, provider="testpsp")
        assert redirect is not None
        assert redirect.startswith(
            get_settings().public_url.rstrip("/") + f"/{city.slug}/testpsp/checkout/tp_"
        )
        session_id = payment.provider_ref
        assert session_id is not None
        testpsp.settle(db, session_id, pay=True)
        found = testpsp.get_session(db, session_id)
        body, header = payments.signed(city, testpsp.notification(found, "evt_1"))
        forged = header[:-4] + "0000"
        with pytest.raises(Unauthenticated):
            billing.receive_notification(
                db, city, provider="testpsp", headers={"x-testpsp-signature": forged}, body=body
            )
        assert (
            billing.receive_notification(
                db, city, provider="testpsp", headers={"x-testpsp-signature": header}, body=body
            )
            == "paid"
        )
        assert (
            billing.receive_notification(
                db, city, provider="testpsp", headers={"x-testpsp-signature": header}, body=body
            )
            == "duplicate"
        )
        late, late_header = payments.signed(city, testpsp.notification(found, "evt_2"))
        assert (
            billing.receive_notification(
                db,
                city,
                provider="testpsp",
                headers={"x-testpsp-signature": late_header},
                body=late,
            )
            == "already paid"
        )
        request = db.get(ServiceRequest, opened.application.request_id)
        assert request.paused_at is None
        assert opened.application.paid_at is not None

    # the office asks for a document: the deadline stands still until it comes
    with session_scope() as db:
        city = get_city_by_slug(db, "musterstadt")
        enter_city(db, city)
        request = db.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        due_before = request.expected_at
        message = handling.write_to_applicant(
            db,
            city,
            number=number,
            text="Bitte senden Sie den Mietvertrag.",
            asks_for="Mietvertrag",
            actor="caseworker",
        )
        assert request.waiting_for == "document"
        assert request.paused_at is not None
        request.paused_at -= timedelta(hours=5)  # five hours pass
        message_id = message.id
    with session_scope() as db:
        city, opened = _open(db, "musterstadt", musterstadt, application_id)
        with pytest.raises(InvalidInput):
            handling.reply(
                db, city, opened, text="", files=[], answering=message_id, media_root=tmp_path
            )
        handling.reply(
            db,
            city,
            opened,
            text="Anbei.",
            files=[("vertrag.pdf", pdf_bytes(2))],
            answering=message_id,
            media_root=tmp_path,
        )
        request = db.get(ServiceRequest, opened.application.request_id)
        assert request.paused_at is None
        assert request.expected_at is not None
        assert due_before is not None
        assert request.expected_at - due_before >= timedelta(hours=5)

    # refusing needs reasons; granting makes the notice, in the applicant's language
    with session_scope() as db:
        city = get_city_by_slug(db, "musterstadt")
        with pytest.raises(InvalidInput) as bare:
            handling.decide(
                db,
                city,
                number=number,
                approve=False,
                reasons="no",
                actor="caseworker",
                media_root=tmp_path,
            )
        assert bare.value.problems[0].location == "reasons"
        decided = handling.decide(
            db,
            city,
            number=number,
            approve=True,
            reasons="",
            actor="Erika Muster",
            media_root=tmp_path,
        )
        assert decided.status == "approved"
        notice = (tmp_path / decided.notice_path).read_bytes()
        request = db.get(ServiceRequest, decided.request_id)
        assert request.status == "resolved"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(notice)).pages)
    assert "Ihrem Antrag wird stattgegeben" in text
    assert "Widerspruch" in text
    assert "Anna Maria" in text
    with session_scope() as db:
        city = get_city_by_slug(db, "musterstadt")
        with pytest.raises(Conflict):
            handling.decide(
                db, city, number=number, approve=True, reasons="", actor="x", media_root=tmp_path
            )


def test_withdrawing_before_handling_pays_the_fee_back(musterstadt: int, tmp_path: Any) -> None:
    with session_scope() as db:
        city, opened = _open(db, "musterstadt", musterstadt)
        _fill(db, city, opened, tmp_path)
        applying.submit(db, city, opened, lang="de")
        payment, _ = billing.start_payment(db, city, opened, provider="transfer")
        assert payment.reference.startswith("RF")
        with pytest.raises(InvalidInput):
            billing.record_transfer(
                db, city, reference=payment.reference, amount_minor=1, actor="cashier"
            )
        billing.record_transfer(
            db, city, reference=payment.reference, amount_minor=1550, actor="cashier"
        )
        billing.record_transfer(
            db, city, reference=payment.reference, amount_minor=1550, actor="cashier"
        )
        handling.withdraw(db, city, opened)
        assert opened.application.status == "withdrawn"
        assert payment.status == "refund_due"
        request = db.get(ServiceRequest, opened.application.request_id)
        assert request.status == "withdrawn"
        billing.mark_refunded(db, city, payment_id=payment.id, actor="cashier")
        assert db.scalar(select(Payment.status)) == "refunded"


def test_another_resident_cannot_open_someone_elses_application(musterstadt: int) -> None:
    from tests.applications.helpers import account

    other = account("musterstadt", "someone@example.org")
    with session_scope() as db:
        _, opened = _open(db, "musterstadt", musterstadt)
        application_id = opened.application.id
    with session_scope() as db, pytest.raises(NotFound):
        _open(db, "musterstadt", other, application_id)


def test_a_notice_for_a_form_without_names_is_addressed_from_the_register(
    musterstadt: int, tmp_path: Any
) -> None:
    from civitas.applications import forms
    from civitas.catalogue.service import save_service
    from tests.factories import service_data

    with session_scope() as db:
        city = get_city_by_slug(db, "musterstadt")
        save_service(
            db,
            city,
            data=service_data("bench-permit", "EUR", channels=["office"], open311={}, fees=[]),
            actor="t",
        )
        label = "{en: I confirm, de: Ich bestätige, es: Confirmo}"
        text = f"questions:\n  - {{id: ok, type: declaration, label: {label}}}\n"
        forms.save_form(db, city, code="bench-permit", text=text, actor="t")
        forms.set_published(db, city, code="bench-permit", published=True, actor="t")
        enter_city(db, city)
        account = db.get(ResidentAccount, musterstadt)
        assert account is not None
        opened = applying.start(db, city, account, code="bench-permit", lang="de")
        applying.answer(db, city, opened, key="ok", raw={"ok": "yes"}, lang="de")
        applying.submit(db, city, opened, lang="de")
        case = applying.case_of(db, city, opened.application)
        assert case is not None
        decided = handling.decide(
            db,
            city,
            number=case.number,
            approve=True,
            reasons="",
            actor="Erika Muster",
            media_root=tmp_path,
        )
        person = decided.person_id
        notice = (tmp_path / (decided.notice_path or "")).read_bytes()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(notice)).pages)
    assert "Anna Beispiel" in text
    assert "Marktplatz 5" in text
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        reads = db.scalars(
            select(AccessLogEntry).where(
                AccessLogEntry.person_id == person,
                AccessLogEntry.purpose == "Addressing the decision notice",
            )
        ).all()
        assert [r.actor_kind for r in reads] == ["staff"]
        assert reads[0].data == ["address", "identity"]
