"""Online applications over HTTP, as a resident's browser, the office and a payment
provider use them: every page of the flow, errors named by field in the reader's
language, a double press, the provider's signed notifications (a forged one, a replay,
an unknown payment), the office's decision and its notice, who may see what, the JSON
Schema of a form version, and a service that must not claim "online" without a route."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from civitas.applications import payments, testpsp
from civitas.applications.models import Application, Payment, PaymentNotification
from civitas.cases.models import ServiceRequest
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.config import get_settings
from civitas.core.db import session_scope, utcnow
from civitas.residents.models import ResidentAccount
from tests.applications.helpers import account, filled_draft, pdf_bytes, png_bytes, with_form
from tests.factories import PASSWORD, bearer, form_token, password_hash, session_cookie
from tests.proactive.helpers import family

CITY = "musterstadt"
EMAIL = "anwohnerin@musterstadt.example"
CODE = "residence-registration"


def _sign_in(client: Any, email: str) -> None:
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        enter_city(db, city)
        found = db.scalar(select(ResidentAccount).where(ResidentAccount.email == email))
        if found is None:
            db.add(
                ResidentAccount(
                    email=email, password_hash=password_hash(), language="de", verified_at=utcnow()
                )
            )
        else:
            found.password_hash = password_hash()
            found.verified_at = found.verified_at or utcnow()
    csrf = form_token(client, f"/{CITY}/account?lang=de")
    r = client.post(
        f"/{CITY}/account/signin",
        data={"csrf": csrf, "email": email, "password": PASSWORD, "next": f"/{CITY}/apply/{CODE}"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(f"/{CITY}/apply/{CODE}")  # back where they were


@pytest.fixture
def world(two_cities: Any) -> Any:
    family(None, CITY)
    with_form(CITY)
    return two_cities


def _post(client: Any, path: str, data: dict[str, Any], files: Any = None) -> Any:
    csrf = form_token(client, f"/{CITY}/account?lang=de")  # bound to the visitor, not the page
    return client.post(path, data={"csrf": csrf, **data}, files=files, follow_redirects=False)


def _start(client: Any) -> str:
    r = _post(client, f"/{CITY}/apply/{CODE}?lang=de", {})
    assert r.status_code == 303, r.text
    match = re.match(rf"/{CITY}/account/applications/(\d+)/", r.headers["location"])
    assert match, r.headers["location"]
    return f"/{CITY}/account/applications/{match.group(1)}"


def test_a_resident_applies_pays_and_gets_the_decision(world: Any, client: Any) -> None:
    start = client.get(f"/{CITY}/apply/{CODE}?lang=de")
    assert start.status_code == 200
    assert "15,50" in start.text  # the fee before starting, in the city's locale
    assert "Zum Beantragen anmelden" in start.text  # sign in first
    _sign_in(client, EMAIL)
    base = _start(client)
    # the first question not answered by the register: the new address
    page = client.get(f"{base}/q/new_address?lang=de")
    assert page.status_code == 200
    assert 'data-address-search="/api/v1/cities/musterstadt/addresses"' in page.text
    wrong = _post(client, f"{base}/q/new_address?lang=de", {"new_address": "Nirgendwo 99"})
    assert wrong.status_code == 400
    assert "keine solche Anschrift" in wrong.text  # named in the reader's language
    assert 'id="error-summary"' in wrong.text
    for key, data in (
        ("new_address", {"new_address": "Hauptstraße 3"}),
        ("move_date", {"move_date": utcnow().date().isoformat()}),
        ("residence", {"residence": "main"}),
        ("others_moving", {"others_moving": "yes"}),
    ):
        r = _post(client, f"{base}/q/{key}?lang=de", data)
        assert r.status_code == 303, (key, r.text)
    # the household from the register, as items of the group; one more added, one removed
    group = client.get(f"{base}/q/people?lang=de")
    assert "Ben" in group.text
    assert "Clara" in group.text
    assert "Aus dem Melderegister" in group.text
    bad = _post(
        client,
        f"{base}/q/people?lang=de",
        {"action": "add", "given_names": "Max", "birth_date": "2099-01-01"},
    )
    assert bad.status_code == 400
    assert 'href="#family_name"' in bad.text
    r = _post(client, f"{base}/q/people?lang=de", {"action": "remove", "index": "1"})
    assert r.status_code == 303
    r = _post(
        client,
        f"{base}/q/people?lang=de",
        {
            "action": "add",
            "given_names": "Max",
            "family_name": "Muster",
            "birth_date": "2001-02-03",
            "relation": "other",
        },
    )
    assert r.status_code == 303
    unfinished = _post(client, f"{base}/q/people?lang=de", {"action": "continue"})
    assert unfinished.status_code == 400  # the register does not know how Ben is related
    assert "Eintrag 1" in unfinished.text
    r = _post(
        client,
        f"{base}/q/people?lang=de",
        {
            "action": "save",
            "index": "0",
            "given_names": "Ben",
            "family_name": "Beispiel",
            "birth_date": "1988-02-14",
            "relation": "partner",
        },
    )
    assert r.status_code == 303
    r = _post(client, f"{base}/q/people?lang=de", {"action": "continue"})
    assert r.status_code == 303
    r = _post(client, f"{base}/q/declaration?lang=de", {"declaration": "yes"})
    assert r.status_code == 303
    # the document: wrong type, then a real PDF and a PNG
    exe = _post(
        client,
        f"{base}/q/landlord-confirmation?lang=de",
        {"action": "upload"},
        files={"file": ("x.pdf", b"MZ\x90\x00", "application/pdf")},
    )
    assert exe.status_code == 400
    assert "PDF, JPEG, PNG" in exe.text
    for name, content in (("bestaetigung.pdf", pdf_bytes()), ("seite2.png", png_bytes())):
        r = _post(
            client,
            f"{base}/q/landlord-confirmation?lang=de",
            {"action": "upload"},
            files={"file": (name, content, "application/octet-stream")},
        )
        assert r.status_code == 303, r.text
    r = _post(client, f"{base}/q/landlord-confirmation?lang=de", {"action": "continue"})
    assert r.headers["location"].startswith(f"{base}/check")
    check = client.get(f"{base}/check?lang=de")
    assert "Max" in check.text
    assert "Clara" not in check.text
    assert "bestaetigung.pdf" in check.text
    # sent twice (a double press): one case
    first = _post(client, f"{base}/check?lang=de", {})
    csrf = form_token(client, f"{base}?lang=de")
    again = client.post(f"{base}/check?lang=de", data={"csrf": csrf}, follow_redirects=False)
    assert first.status_code == 303, re.findall(r"<li><a href=[^>]*>([^<]*)<", first.text)
    assert again.status_code == 303, again.text
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, CITY))
        assert (
            db.scalar(select(func.count(ServiceRequest.id)).where(ServiceRequest.private.is_(True)))
            == 1
        )
        number = db.scalar(select(ServiceRequest.number).where(ServiceRequest.private.is_(True)))
    sent = client.get(f"{base}?sent=1&lang=de")
    assert "Antrag gesendet" in sent.text
    assert str(number) in sent.text
    # nothing of it in public
    assert client.get(f"/{CITY}/requests/{number}").status_code == 404
    assert client.get(f"/api/v1/cities/{CITY}/open311/requests/{number}.json").status_code in (404,)

    # pay with the test provider: its page, then back; its notification comes too
    r = _post(client, f"{base}/pay?lang=de", {"provider": "testpsp"})
    assert r.status_code == 303
    checkout = urlsplit(r.headers["location"]).path
    assert checkout.startswith(f"/{CITY}/testpsp/checkout/tp_")
    psp_page = client.get(checkout + "?lang=de")
    assert "kein echtes Geld" in psp_page.text
    session_id = checkout.rsplit("/", 1)[1]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', psp_page.text).group(1)
    back = client.post(checkout, data={"csrf": csrf, "action": "pay"}, follow_redirects=False)
    assert back.status_code == 303
    with session_scope() as db:
        found = testpsp.get_session(db, session_id)
        city = get_city_by_slug(db, CITY)
        body, header = payments.signed(city, testpsp.notification(found, "evt_web"))
    url = f"/api/v1/cities/{CITY}/payments/testpsp/notifications"
    forged = client.post(
        url, content=body, headers={"x-testpsp-signature": header.replace("v1=", "v1=0")}
    )
    assert forged.status_code == 401
    ok = client.post(
        url,
        content=body,
        headers={"x-testpsp-signature": header, "content-type": "application/json"},
    )
    assert ok.status_code == 200
    assert ok.json() == {"result": "paid"}
    replay = client.post(
        url,
        content=body,
        headers={"x-testpsp-signature": header, "content-type": "application/json"},
    )
    assert replay.json() == {"result": "duplicate"}
    unknown_body, unknown_header = payments.signed(
        city, {**testpsp.notification(found, "evt_other"), "payment_id": "tp_nobody"}
    )
    unknown = client.post(
        url, content=unknown_body, headers={"x-testpsp-signature": unknown_header}
    )
    assert unknown.status_code == 404
    other_city = client.post(
        "/api/v1/cities/trujillo/payments/testpsp/notifications",
        content=body,
        headers={"x-testpsp-signature": header},
    )
    assert other_city.status_code == 401  # signed with Musterstadt's secret
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, CITY))
        assert db.scalar(select(func.count(PaymentNotification.id))) == 1
        assert db.scalar(select(Payment.status)) == "paid"
    returned = urlsplit(back.headers["location"])
    paid_page = client.get(f"{returned.path}?{returned.query}")
    assert paid_page.status_code == 200  # the status query finds it paid
    assert "bezahlt am" in paid_page.text

    # the office asks for a document; the resident uploads it on the page
    staff = session_cookie(client, CITY, "b-caseworker")
    client.cookies.update(staff)
    page = client.get(f"/{CITY}/staff/cases/{number}?lang=de")
    assert "Online-Antrag" in page.text
    assert "Max" in page.text
    ask = _post(
        client,
        f"/{CITY}/staff/applications/{number}/message?lang=de",
        {"text": "Bitte den Mietvertrag.", "asks_for": "Mietvertrag"},
    )
    assert ask.status_code == 303, ask.text
    client.cookies.clear()
    _sign_in(client, EMAIL)
    detail = client.get(f"{base}?lang=de")
    assert "Das Amt braucht ein Dokument von Ihnen" in detail.text
    message_id = re.search(r'name="answering" value="(\d+)"', detail.text).group(1)
    r = _post(
        client,
        f"{base}/reply?lang=de",
        {"answering": message_id, "text": ""},
        files={"file": ("vertrag.pdf", pdf_bytes(), "application/pdf")},
    )
    assert r.status_code == 303, r.text

    # the office decides; the notice is the applicant's, in German
    client.cookies.clear()
    client.cookies.update(staff)
    refuse = _post(
        client,
        f"/{CITY}/staff/applications/{number}/decide?lang=de",
        {"outcome": "refuse", "reasons": ""},
    )
    assert refuse.status_code == 400
    assert "Begründen Sie die Ablehnung" in refuse.text
    grant = _post(
        client,
        f"/{CITY}/staff/applications/{number}/decide?lang=de",
        {"outcome": "approve", "reasons": ""},
    )
    assert grant.status_code == 303, grant.text
    client.cookies.clear()
    _sign_in(client, EMAIL)
    notice = client.get(f"{base}/notice.pdf")
    assert notice.status_code == 200
    assert notice.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(notice.content)).pages)
    assert "Ihrem Antrag wird stattgegeben" in text
    assert "Widerspruch" in text
    # another resident sees none of it
    client.cookies.clear()
    _sign_in(client, "someone-else@example.org")
    assert client.get(f"{base}?lang=de").status_code == 404
    assert client.get(f"{base}/notice.pdf").status_code == 404


def test_the_json_schema_of_a_version_describes_the_answers(world: Any, client: Any) -> None:
    r = client.get(f"/api/v1/cities/{CITY}/forms")
    assert [f["service_code"] for f in r.json()] == [CODE]
    schema = client.get(
        r.json()[0]["schema_url"].removeprefix(get_settings().public_url.rstrip("/"))
    ).json()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    file = {"name": "a.pdf", "content_type": "application/pdf", "size": 10, "sha256": "0" * 64}
    good = {
        "given_names": "Anna",
        "family_name": "Beispiel",
        "birth_date": "1990-05-01",
        "new_address": {"text": "Hauptstraße 3", "address_id": "b-0-3"},
        "move_date": utcnow().date().isoformat(),
        "previous_address": "Marktplatz 5",
        "residence": "main",
        "others_moving": False,
        "declaration": True,
        "landlord-confirmation": [file],
    }
    assert list(validator.iter_errors(good)) == []
    # a group is needed exactly when others move in; an option must be one of the form's
    assert list(validator.iter_errors({**good, "others_moving": True}))
    assert list(validator.iter_errors({**good, "people": [{"given_names": "X"}]}))
    assert list(validator.iter_errors({**good, "residence": "palace"}))
    assert list(validator.iter_errors({**good, "declaration": False}))
    assert (
        schema["properties"]["residence"]["x-civitas-options"]["main"]["de"] == "Ja, Hauptwohnung"
    )
    assert (
        client.get(f"/api/v1/cities/{CITY}/forms/{CODE}/versions/9/schema.json").status_code == 404
    )


def test_a_service_claims_online_only_with_a_route(world: Any, client: Any) -> None:
    from tests.factories import bearer

    headers = bearer(client, CITY, "b-administrator")
    body = {
        "code": "dog-registration",
        "name": {"de": "Hundesteuer", "en": "Dog licence"},
        "description": {"de": "Anmeldung eines Hundes.", "en": "Register a dog."},
        "category": "citizens_office",
        "channels": ["online", "office"],
        "department": "roads",
    }
    refused = client.put(
        f"/api/v1/cities/{CITY}/services/dog-registration?lang=en", json=body, headers=headers
    )
    assert refused.status_code == 400, refused.text
    assert any(p["location"] == "channels" for p in refused.json()["error"]["problems"])
    # the registration form is published: that service may say online; the page offers it
    ok = client.put(
        f"/api/v1/cities/{CITY}/services/{CODE}?lang=en",
        json={**body, "code": CODE, "channels": ["online", "office", "chatbot", "phone"]},
        headers=headers,
    )
    assert ok.status_code == 200, ok.text
    page = client.get(f"/{CITY}/services/{CODE}?lang=en")
    assert f'href="/{CITY}/apply/{CODE}?lang=en"' in page.text
    shown = page.text.split("How to use it")[1].split("</dd>")[0]
    assert "Online" in shown
    assert "Chatbot" in shown  # the city runs the assistant, which answers for it
    assert "By phone" not in shown  # the department has no number to show


def test_staff_without_the_permission_see_no_application(
    world: Any, client: Any, tmp_path: Any
) -> None:
    from civitas.applications import applying

    account_id = account(CITY, "x@example.org")
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        enter_city(db, city)
        opened = filled_draft(db, city, account_id)
        applying.submit(db, city, opened, lang="de")
        number = applying.case_of(db, city, opened.application).number
        assert db.scalar(select(Application.status)) == "submitted"
    client.cookies.update(session_cookie(client, CITY, "b-fieldworker"))
    page = client.get(f"/{CITY}/staff/applications/{number}/decide?lang=en")
    assert page.status_code == 403
    assert client.get(f"/{CITY}/staff/applications/{number}/documents/1").status_code == 403


def test_nonsense_in_a_page_is_a_clear_answer_never_a_500(world: Any, client: Any) -> None:
    _sign_in(client, EMAIL)
    base = _start(client)
    assert (
        _post(client, f"{base}/q/others_moving?lang=de", {"others_moving": "yes"}).status_code
        == 303
    )
    for action, field in (("remove", "index"), ("save", "index")):
        for value in ("²", "99999999999999999999", "-1", "x"):
            r = _post(client, f"{base}/q/people?lang=de", {"action": action, field: value})
            assert r.status_code in (400, 404), (action, value, r.status_code)
    for value in ("²", "99999999999999999999"):
        r = _post(
            client,
            f"{base}/q/landlord-confirmation?lang=de",
            {"action": "remove", "document": value},
        )
        assert r.status_code == 404, (value, r.status_code)
    assert client.get(f"{base}/q/people?item=-5&lang=de").status_code == 200
    assert client.get(f"{base}/q/nothing?lang=de").status_code == 404
    assert client.get(f"/{CITY}/account/applications/2147483647?lang=de").status_code == 404


def test_the_office_sees_what_the_applicant_corrected(world: Any, client: Any) -> None:
    from civitas.applications import applying

    account_id = account(CITY, EMAIL)
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        enter_city(db, city)
        opened = filled_draft(db, city, account_id)
        assert opened.application.prefilled["given_names"] == "Anna"  # from the register
        assert opened.application.answers["given_names"] == "Ana"  # corrected
        applying.submit(db, city, opened, lang="de")
        case = applying.case_of(db, city, opened.application)
        assert case is not None
        number = case.number
    client.cookies.update(session_cookie(client, CITY, "b-caseworker"))
    page = client.get(f"/{CITY}/staff/cases/{number}?lang=de").text
    assert page.count("Vom Antragsteller berichtigt") >= 2  # names (and what else was changed)
    assert "Laut Register: Anna" in page
    assert "Laut Register: Beispiel" in page
    # the office's systems read it as the version's JSON Schema describes it
    api = client.get(
        f"/api/v1/cities/{CITY}/applications/{number}", headers=bearer(client, CITY, "b-caseworker")
    ).json()
    assert api["answers"]["given_names"] == "Ana"
    assert api["prefilled"]["given_names"] == "Anna"
    assert api["documents"]["landlord-confirmation"][0]["content_type"] == "application/pdf"


def test_the_test_provider_notifies_over_http_late_and_twice(world: Any, live_server: str) -> None:
    """The worker's task posts the signed notification to the city's address; the second
    delivery of the same event changes nothing."""
    from civitas.applications import applying, billing
    from civitas.applications.tasks import testpsp_notify

    account_id = account(CITY, EMAIL)
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        enter_city(db, city)
        opened = filled_draft(db, city, account_id)
        applying.submit(db, city, opened, lang="de")
        payment, _ = billing.start_payment(db, city, opened, provider="testpsp", site=live_server)
        session_id = payment.provider_ref
        assert session_id is not None
        found = testpsp.get_session(db, session_id)
        found.notify_url = f"{live_server}/api/v1/cities/{CITY}/payments/testpsp/notifications"
        testpsp.settle(db, session_id, pay=True)
    assert testpsp_notify.call_local(session_id, "evt_http") == 200
    assert testpsp_notify.call_local(session_id, "evt_http") == 200  # the duplicate
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, CITY))
        assert db.scalar(select(Payment.status)) == "paid"
        assert db.scalar(select(func.count(PaymentNotification.id))) == 1
        assert db.scalar(select(ServiceRequest.paused_at)) is None


def test_a_case_waiting_for_the_applicant_is_not_overdue(world: Any, client: Any) -> None:
    from datetime import timedelta

    from civitas.applications import applying
    from civitas.cases.service import queue_counts

    account_id = account(CITY, "late@example.org")
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        enter_city(db, city)
        opened = filled_draft(db, city, account_id)
        applying.submit(db, city, opened, lang="de")  # the fee is due: the case waits
        case = applying.case_of(db, city, opened.application)
        assert case is not None
        assert case.expected_at is not None
        case.expected_at -= timedelta(days=10)  # its deadline would be long past
        number = case.number
    with session_scope() as db:
        city = get_city_by_slug(db, CITY)
        assert queue_counts(db, city)["overdue"] == 0
    client.cookies.update(session_cookie(client, CITY, "b-caseworker"))
    queue = client.get(f"/{CITY}/staff/cases?lang=de").text
    row = queue.split(f"/staff/cases/{number}?")[1].split("</tr>")[0]
    assert "Wartet auf die Bürgerin oder den Bürger" in row
    assert "Überfällig" not in row
    overdue = client.get(f"/{CITY}/staff/cases?overdue=1&lang=de").text
    assert f"/staff/cases/{number}?" not in overdue
