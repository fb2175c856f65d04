"""The isolation walk's sample requests for online applications: one per route, valid
with the city's own credentials (tests/test_isolation.py). City A gets the form of
registering an address (free, so the office can decide at once) and one sent
application with a document; the resident's own pages answer a staff cookie as they
answer a stranger (a redirect to sign in)."""

from __future__ import annotations

from typing import Any

from tests.isolation import Case

MADE: dict[str, int] = {}
SMALL_FORM = "questions:\n  - id: a\n    type: text\n    label: {en: A}\n"
CODE = "residence-registration"


def applications_world(world: Any, *, decided: bool = False) -> None:
    """City A's form, and an application sent as case MADE["number"] with MADE["document"]."""
    from civitas.applications import applying, handling
    from civitas.cities.service import get_city_by_slug
    from civitas.core.config import get_settings
    from civitas.core.db import session_scope
    from tests.applications.helpers import account, filled_draft, with_form

    with_form(world.slug, fee_minor=0)
    account_id = account(world.slug, "applicant@example.org")
    media = get_settings().media_root
    with session_scope() as db:
        city = get_city_by_slug(db, world.slug)
        opened = filled_draft(db, city, account_id, lang="en", address="Jr. Francisco Pizarro 3")
        document = applying.documents_of(db, city, opened.application.id)[0]
        applying.submit(db, city, opened, lang="en")
        case = applying.case_of(db, city, opened.application)
        assert case is not None
        MADE.update(number=case.number, document=document.id, application=opened.application.id)
        if decided:
            handling.decide(
                db,
                city,
                number=case.number,
                approve=True,
                reasons="",
                actor="Iso",
                media_root=media,
            )


def _number(w: Any) -> dict[str, Any]:
    return {"number": MADE["number"]}


def _app(w: Any) -> dict[str, Any]:
    return {"application_id": MADE.get("application", 1)}


ROUTES: dict[tuple[str, str], Case] = {
    # the JSON API
    ("GET", "/api/v1/cities/{city}/forms"): Case(200, setup=applications_world),
    ("GET", "/api/v1/cities/{city}/forms/{code}/versions/{version}/schema.json"): Case(
        200, params=lambda w: {"code": CODE, "version": 1}, setup=applications_world
    ),
    ("GET", "/api/v1/cities/{city}/applications/{number}"): Case(
        200, params=_number, setup=applications_world
    ),
    # unsigned: refused whatever else comes with it
    ("POST", "/api/v1/cities/{city}/payments/{provider}/notifications"): Case(
        401, params=lambda w: {"provider": "testpsp"}, request=lambda w: {"json": {"event_id": "x"}}
    ),
    # the resident's pages: a staff cookie is no resident's (sign in first)
    ("GET", "/{city}/apply/{code}"): Case(
        200, auth="cookie", params=lambda w: {"code": CODE}, setup=applications_world
    ),
    ("POST", "/{city}/apply/{code}"): Case(403, auth="cookie", params=lambda w: {"code": CODE}),
    ("GET", "/{city}/account/applications"): Case(303, auth="cookie"),
    ("GET", "/{city}/account/applications/{application_id}"): Case(
        303, auth="cookie", params=_app, setup=applications_world
    ),
    ("GET", "/{city}/account/applications/{application_id}/q/{key}"): Case(
        303,
        auth="cookie",
        params=lambda w: {**_app(w), "key": "move_date"},
        setup=applications_world,
    ),
    ("POST", "/{city}/account/applications/{application_id}/q/{key}"): Case(
        403, auth="cookie", params=lambda w: {"application_id": 1, "key": "move_date"}
    ),
    ("GET", "/{city}/account/applications/{application_id}/check"): Case(
        303, auth="cookie", params=_app, setup=applications_world
    ),
    ("POST", "/{city}/account/applications/{application_id}/check"): Case(
        403, auth="cookie", params=lambda w: {"application_id": 1}
    ),
    ("POST", "/{city}/account/applications/{application_id}/pay"): Case(
        403, auth="cookie", params=lambda w: {"application_id": 1}
    ),
    ("GET", "/{city}/account/applications/{application_id}/paid"): Case(
        303,
        auth="cookie",
        params=_app,
        request=lambda w: {"params": {"payment": 1}},
        setup=applications_world,
    ),
    ("POST", "/{city}/account/applications/{application_id}/reply"): Case(
        403, auth="cookie", params=lambda w: {"application_id": 1}
    ),
    ("POST", "/{city}/account/applications/{application_id}/withdraw"): Case(
        403, auth="cookie", params=lambda w: {"application_id": 1}
    ),
    ("GET", "/{city}/account/applications/{application_id}/documents/{document_id}"): Case(
        303,
        auth="cookie",
        params=lambda w: {**_app(w), "document_id": MADE.get("document", 1)},
        setup=applications_world,
    ),
    ("GET", "/{city}/account/applications/{application_id}/notice.pdf"): Case(
        303, auth="cookie", params=_app, setup=applications_world
    ),
    # the test provider's checkout page (an unknown session is nobody's)
    ("GET", "/{city}/testpsp/checkout/{session_id}"): Case(
        404, auth="cookie", params=lambda w: {"session_id": "tp_unknown"}
    ),
    ("POST", "/{city}/testpsp/checkout/{session_id}"): Case(
        403, auth="cookie", params=lambda w: {"session_id": "tp_unknown"}
    ),
    # the office
    ("GET", "/{city}/staff/applications/{number}/message"): Case(
        200, auth="cookie", params=_number, setup=applications_world
    ),
    ("POST", "/{city}/staff/applications/{number}/message"): Case(
        303,
        auth="cookie",
        params=_number,
        request=lambda w: {"data": {"text": "Please send your lease.", "asks_for": "Lease"}},
        extra={"csrf": True},
        setup=applications_world,
    ),
    ("GET", "/{city}/staff/applications/{number}/decide"): Case(
        200, auth="cookie", params=_number, setup=applications_world
    ),
    ("POST", "/{city}/staff/applications/{number}/decide"): Case(
        303,
        auth="cookie",
        params=_number,
        request=lambda w: {"data": {"outcome": "approve", "reasons": ""}},
        extra={"csrf": True},
        setup=applications_world,
    ),
    ("GET", "/{city}/staff/applications/{number}/documents/{document_id}"): Case(
        200,
        auth="cookie",
        params=lambda w: {**_number(w), "document_id": MADE["document"]},
        setup=applications_world,
    ),
    ("GET", "/{city}/staff/applications/{number}/notice.pdf"): Case(
        200,
        auth="cookie",
        params=_number,
        setup=lambda w: applications_world(w, decided=True),
    ),
    ("GET", "/{city}/staff/forms"): Case(200, auth="cookie", setup=applications_world),
    ("GET", "/{city}/staff/forms/{code}"): Case(
        200, auth="cookie", params=lambda w: {"code": CODE}, setup=applications_world
    ),
    ("POST", "/{city}/staff/forms/{code}"): Case(
        200,
        auth="cookie",
        params=lambda w: {"code": CODE},
        request=lambda w: {"data": {"text": SMALL_FORM, "action": "check"}},
        extra={"csrf": True},
        setup=applications_world,
    ),
    ("POST", "/{city}/staff/forms/{code}/publish"): Case(
        303,
        auth="cookie",
        params=lambda w: {"code": CODE},
        request=lambda w: {"data": {"published": "0"}},
        extra={"csrf": True},
        setup=applications_world,
    ),
    ("GET", "/{city}/staff/payments"): Case(200, auth="cookie"),
    ("POST", "/{city}/staff/payments"): Case(
        400,
        auth="cookie",
        request=lambda w: {"data": {"reference": "RF00", "amount": "1"}},
        extra={"csrf": True},
    ),
    ("POST", "/{city}/staff/payments/{payment_id}/refunded"): Case(
        404, auth="cookie", params=lambda w: {"payment_id": 1}, extra={"csrf": True}
    ),
}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = {
    "/api/v1/cities/{city}/forms",
    "/api/v1/cities/{city}/forms/{code}/versions/{version}/schema.json",
    "/api/v1/cities/{city}/payments/{provider}/notifications",
    "/{city}/apply/{code}",
    "/{city}/account/applications",
    "/{city}/account/applications/{application_id}",
    "/{city}/account/applications/{application_id}/q/{key}",
    "/{city}/account/applications/{application_id}/check",
    "/{city}/account/applications/{application_id}/paid",
    "/{city}/account/applications/{application_id}/documents/{document_id}",
    "/{city}/account/applications/{application_id}/notice.pdf",
    "/{city}/testpsp/checkout/{session_id}",
}
