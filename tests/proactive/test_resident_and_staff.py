"""The resident's side (My offers, accept with an IBAN, decline, ask for review, opt out,
who read my data) and the staff's review, in the browser's HTML."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.audit import AuditEntry
from civitas.core.db import session_scope
from civitas.notifications.models import OutboxMessage
from civitas.proactive.engine import evaluate_persons
from civitas.proactive.models import Decision, OptOut, Payment, Rule
from civitas.register.service import find_person
from tests.factories import form_token, session_cookie
from tests.proactive.helpers import family, resident, with_rules

OFFERS = "/musterstadt/account/offers"
EMAIL = "anwohnerin@musterstadt.example"


def decision_of(code: str, status: str | None = None) -> Decision:
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        stmt = select(Decision).join(Rule, Rule.id == Decision.rule_id).where(Rule.code == code)
        if status:
            stmt = stmt.where(Decision.status == status)
        # several persons can hold one rule's decision: the first by id, on every database
        found = db.scalars(stmt.order_by(Decision.id)).first()
        assert found is not None, code
        return found


def test_a_birth_and_a_move_reach_the_residents_inbox_with_reasons(engine, two_cities):
    with_rules(engine, "musterstadt")
    family(engine)
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        mails = {
            m.subject: m.body
            for m in db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == EMAIL))
        }
    grant = next(b for s, b in mails.items() if "Begrüßungsgeld" in s)
    assert "Sie müssen keinen Antrag stellen" in grant
    # a reason stays true later: no "born 0 days ago" frozen at the decision
    assert "die Frist nach der Geburt (180 Tage) war bei der Entscheidung nicht abgelaufen" in grant
    assert "300,00\xa0€" in grant
    permit = next(b for s, b in mails.items() if "Bewohnerparkausweis" in s)
    assert "Bewohnerparkzone Z1" in permit
    assert "120,00\xa0€" in permit
    assert "Lastschrift" in permit
    # the grant is paid to the parent's known account without anyone applying
    birth = decision_of("birth-grant")
    assert birth.status == "granted"
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        payment = db.scalar(select(Payment).where(Payment.decision_id == birth.id))
        assert (payment.status, payment.iban, payment.amount_minor) == (
            "ready",
            "DE89370400440532013000",
            30000,
        )


def test_my_offers_accept_with_an_iban_decline_and_ask_for_review(client, engine, two_cities):
    with_rules(engine, "musterstadt")
    family(engine)
    resident(client, "musterstadt", EMAIL)
    page = client.get(f"{OFFERS}?lang=en")
    assert page.status_code == 200
    assert "Birth grant" in page.text
    assert "For Clara Beispiel" in page.text
    assert "the period after a birth (180 days) had not passed when this was decided" in page.text
    assert "Resident parking permit" in page.text
    permit = decision_of("resident-parking-permit", "offered")
    csrf = form_token(client, f"{OFFERS}?lang=en")
    # no IBAN, then a wrong one: refused, named, nothing changes
    r = client.post(
        f"/musterstadt/account/offers/{permit.id}/accept?lang=en", data={"csrf": csrf, "iban": ""}
    )
    assert r.status_code == 400
    assert "Give your IBAN" in r.text
    r = client.post(
        f"/musterstadt/account/offers/{permit.id}/accept?lang=en",
        data={"csrf": csrf, "iban": "DE89 3704 0044 0532 0130 01"},
    )
    assert r.status_code == 400
    assert "is not a valid IBAN" in r.text
    # what was typed stays in the field, to be corrected rather than typed again
    assert 'value="DE89 3704 0044 0532 0130 01"' in r.text
    assert decision_of("resident-parking-permit", "offered").id == permit.id
    r = client.post(
        f"/musterstadt/account/offers/{permit.id}/accept?lang=en",
        data={"csrf": csrf, "iban": "de89 3704 0044 0532 0130 00"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        accepted = db.get(Decision, permit.id)
        payment = db.scalar(select(Payment).where(Payment.decision_id == permit.id))
        assert accepted.status == "accepted"
        assert (payment.direction, payment.iban, payment.status) == (
            "from_resident",
            "DE89370400440532013000",
            "ready",
        )
    # accepted: the fee is collected, no longer "once you accept"
    card = (
        client.get(f"{OFFERS}?lang=en").text.split(f'id="d{permit.id}"')[1].split("</section>")[0]
    )
    assert "collected by direct debit." in card
    assert "once you accept" not in card
    # the welcome package is declined; the birth grant is contested
    welcome = decision_of("welcome-package")
    r = client.post(
        f"/musterstadt/account/offers/{welcome.id}/decline",
        data={"csrf": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    birth = decision_of("birth-grant")
    r = client.post(
        f"/musterstadt/account/offers/{birth.id}/review",
        data={"csrf": csrf, "note": "Twins were born, not one child."},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        assert db.get(Decision, birth.id).status == "review_requested"
        assert db.get(Decision, welcome.id).status == "declined"
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        actions = set(
            db.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "decision"))
        )
        assert {"decision.accepted", "decision.declined", "decision.review_requested"} <= actions


def test_staff_review_a_contested_decision_with_a_reason(client, engine, two_cities):
    with_rules(engine, "musterstadt")
    family(engine)
    resident(client, "musterstadt", EMAIL)
    birth = decision_of("birth-grant")
    csrf = form_token(client, f"{OFFERS}?lang=en")
    client.post(
        f"/musterstadt/account/offers/{birth.id}/review",
        data={"csrf": csrf, "note": "Please check."},
    )
    client.cookies.clear()
    client.cookies.update(session_cookie(client, "musterstadt", "b-caseworker"))
    queue = client.get("/musterstadt/staff/proactive?lang=en")
    assert queue.status_code == 200
    assert "Birth grant" in queue.text
    detail = client.get(f"/musterstadt/staff/proactive/{birth.id}?lang=en")
    assert "age_days &lt;= birth_grant.claim_days" in detail.text
    assert "age in days = 0" in detail.text
    csrf = form_token(client, f"/musterstadt/staff/proactive/{birth.id}?lang=en")
    r = client.post(
        f"/musterstadt/staff/proactive/{birth.id}/review?lang=en",
        data={"csrf": csrf, "outcome": "withdraw", "reason": ""},
    )
    assert r.status_code == 400
    assert "Give the reason" in r.text
    r = client.post(
        f"/musterstadt/staff/proactive/{birth.id}/review?lang=en",
        data={
            "csrf": csrf,
            "outcome": "withdraw",
            "reason": "Registered twice by mistake; the grant goes with the twin.",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        assert db.get(Decision, birth.id).status == "withdrawn"
        assert db.scalar(select(Payment.status).where(Payment.decision_id == birth.id)) == (
            "cancelled"
        )
        reasons = list(
            db.scalars(select(AuditEntry.reason).where(AuditEntry.action == "decision.reviewed"))
        )
        assert reasons == ["Registered twice by mistake; the grant goes with the twin."]
    # an agent reads decisions but may not decide
    client.cookies.clear()
    client.cookies.update(session_cookie(client, "musterstadt", "b-agent"))
    assert client.get(f"/musterstadt/staff/proactive/{birth.id}").status_code == 200
    r = client.post(
        f"/musterstadt/staff/proactive/{birth.id}/review",
        data={"csrf": "x", "outcome": "grant", "reason": "x"},
    )
    assert r.status_code == 403


def test_opting_out_stops_the_checks_and_the_data_log_shows_every_read(client, engine, two_cities):
    with_rules(engine, "musterstadt")
    family(engine)
    resident(client, "musterstadt", EMAIL)
    csrf = form_token(client, f"{OFFERS}?lang=en")
    r = client.post(
        "/musterstadt/account/opt-out",
        data={"csrf": csrf, "rule": "senior-culture-pass", "action": "out"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        "/musterstadt/account/opt-out", data={"csrf": csrf, "rule": "*"}, follow_redirects=False
    )
    assert r.status_code == 303
    with session_scope() as db:
        city = get_city_by_slug(db, "musterstadt")
        enter_city(db, city)
        assert len(db.scalars(select(OptOut)).all()) == 4  # 2 rules x the parent and the child
        anna = find_person(db, city, "MUS-DEMO-1")
        before = len(db.scalars(select(Decision)).all())
        made = evaluate_persons(db, city, [anna.id], on=date(2027, 1, 10), trigger="periodic")
        assert made == []
        assert len(db.scalars(select(Decision)).all()) == before
    log = client.get("/musterstadt/account/data-log?lang=en")
    assert log.status_code == 200
    assert "Automatic check" in log.text
    assert "Checking what you are entitled to" in log.text
    assert len(re.findall(r"<li class=\"card\">", log.text)) >= 3
    assert "parking zone" in log.text  # what was read, in the reader's words


def test_a_resident_cannot_act_on_someone_elses_decision(client, engine, two_cities):
    with_rules(engine, "musterstadt")
    family(engine)
    resident(client, "musterstadt", "stranger@example.org")
    permit = decision_of("resident-parking-permit", "offered")
    page = client.get(f"{OFFERS}?lang=en")
    assert "The register holds no entry with your e-mail address" in page.text
    csrf = form_token(client, "/musterstadt/account?lang=en")
    r = client.post(f"/musterstadt/account/offers/{permit.id}/decline", data={"csrf": csrf})
    assert r.status_code == 404
    assert decision_of("resident-parking-permit", "offered").id == permit.id


def test_a_residents_session_of_one_city_is_worth_nothing_in_another(client, engine, two_cities):
    with_rules(engine, "musterstadt")
    family(engine)
    resident(client, "musterstadt", EMAIL)
    cookie = client.cookies.get("civitas_resident")
    client.cookies.clear()
    client.cookies.set("civitas_resident", cookie)
    own = client.get(f"{OFFERS}?lang=en", follow_redirects=False)
    assert own.status_code == 200  # the cookie itself is good
    r = client.get("/trujillo/account/offers", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/trujillo/account")
