"""Satisfaction surveys: invited once when a request is closed, answered once through a
token link, free text screened for personal data; "was this page helpful?"."""

from __future__ import annotations

import re

from sqlalchemy import select

from civitas.cases.schemas import RequestChannel, RequestCreate, Status
from civitas.cases.service import change_status, create_request
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.core.tenancy import bind_all_cities
from civitas.insight.models import PageFeedback, SurveyInvitation, SurveyResponse
from civitas.insight.privacy import screen
from civitas.notifications.models import OutboxMessage
from tests.factories import form_token


def _file(db, city, email: str | None, channel=RequestChannel.PHONE, token: bool = False):
    return create_request(
        db,
        city,
        data=RequestCreate(
            service_code="a-light",
            channel=channel,
            address_string="Plaza de Armas",
            attributes={"fault": "out"},
            email=email,
            language="es",
        ),
        filed_by="test",
        token=token,
    )


def _file_and_close(email: str | None = "rosa@example.org", status: Status = Status.RESOLVED):
    with session_scope() as db:
        number = _file(db, get_city_by_slug(db, "trujillo"), email).number
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        change_status(db, city, number=number, status=Status.IN_PROGRESS, actor="test")
        change_status(db, city, number=number, status=status, actor="test", note="Listo.")
    return number


def _survey_link() -> str:
    with session_scope() as db:
        bind_all_cities(db)
        mail = db.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like("survey:%"))
        ).one()
    found = re.search(r"https://civitas\.test(/trujillo/survey/\S+)", mail.body)
    assert found, mail.body
    return found.group(1)


def test_closing_a_request_invites_its_reporter_once(client, two_cities):
    number = _file_and_close()
    link = _survey_link()
    assert "?lang=es" in link
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        change_status(db, city, number=number, status=Status.IN_PROGRESS, actor="t", note="x")
        change_status(db, city, number=number, status=Status.RESOLVED, actor="t", note="y")
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        assert len(db.scalars(select(SurveyInvitation)).all()) == 1
    page = client.get(link)
    assert page.status_code == 200
    assert page.text.count('name="rating"') == 5  # the 1-5 scale


def test_a_rejected_request_is_not_rated(two_cities):
    _file_and_close(status=Status.REJECTED)
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        assert db.scalars(select(SurveyInvitation)).all() == []


def test_a_survey_is_answered_once_and_its_text_screened(client, two_cities):
    _file_and_close()
    link = _survey_link().replace("lang=es", "lang=en")
    csrf = form_token(client, link)
    r = client.post(link, data={"csrf": csrf, "effort": "2"})
    assert r.status_code == 400
    assert "Choose how satisfied you are, from 1 to 5." in r.text
    r = client.post(link, data={"csrf": csrf, "rating": "9"})
    assert r.status_code == 400
    answer = {
        "csrf": csrf,
        "rating": "4",
        "effort": "2",
        "recommend": "9",
        "driver-courtesy": "5",
        "comment": "Ana at the desk (ana@muni.pe, +51 944 123 456) was great; "
        "refund to PE62 0011 0123 4567 8901 2345 please.",
        "age_band": "30-44",
        "accessibility_needs": "no",
    }
    r = client.post(link, data=answer)
    assert r.status_code == 200
    assert "Thank you" in r.text
    again = client.post(link, data=answer)
    assert again.status_code == 409
    assert "answered already" in again.text
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        (response,) = db.scalars(select(SurveyResponse)).all()
        assert (response.rating, response.effort, response.recommend) == (4, 2, 9)
        assert response.drivers == {"courtesy": 5}
        assert response.accessibility_needs is False
        assert response.comment is not None
        assert "ana@muni.pe" in response.comment
        screened = response.comment_screened or ""
        assert "ana@muni.pe" not in screened
        assert "944" not in screened
        assert "PE62" not in screened
        assert "[e-mail]" in screened
        assert "[phone]" in screened
        assert "[IBAN]" in screened


def test_an_unknown_survey_link_is_refused(client, two_cities):
    assert client.get("/trujillo/survey/cvs_not-a-token").status_code == 404


def test_was_this_page_helpful(client, two_cities):
    page = "/trujillo/services/a-light?lang=en"
    assert "Was this page helpful?" in client.get(page).text
    csrf = form_token(client, page)
    r = client.post(
        "/trujillo/services/a-light/feedback",
        data={"csrf": csrf, "helpful": "no"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "thanks=1" in r.headers["location"]
    assert "Thank you for your feedback." in client.get(r.headers["location"]).text
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        (vote,) = db.scalars(select(PageFeedback)).all()
        assert (vote.page, vote.helpful) == ("services/a-light", False)


def test_screening_finds_each_kind_and_register_names():
    text, found = screen(
        "Call Rosa Quispe on 044 123456 or rosa.q@mail.pe, IBAN DE89 3704 0044 0532 0130 00.",
        names=["Rosa", "Quispe"],
    )
    assert text == "Call [name] [name] on [phone] or [e-mail], IBAN [IBAN]."
    assert found == {"name", "phone", "email", "iban"}
    untouched, nothing = screen("The street light at the corner works again, thanks!")
    assert nothing == set()
    assert untouched == "The street light at the corner works again, thanks!"


def test_the_reporter_finds_the_survey_on_the_status_page_too(client, two_cities):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        request = _file(db, city, "rosa@example.org", RequestChannel.WEB, token=True)
        number, token = request.number, request.token
        change_status(db, city, number=number, status=Status.RESOLVED, actor="test")
    mailed = _survey_link().split("?")[0]
    private = client.get(f"/trujillo/requests/{number}?token={token}&lang=en")
    assert "Rate this service" in private.text
    assert f'href="{mailed}?lang=en"' in private.text  # the same link as in the mail
    public = client.get(f"/trujillo/requests/{number}?lang=en")
    assert "Rate this service" not in public.text  # only the reporter is asked
    csrf = form_token(client, mailed)
    assert client.post(mailed, data={"csrf": csrf, "rating": "5"}).status_code == 200
    answered = client.get(f"/trujillo/requests/{number}?token={token}&lang=en")
    assert "Rate this service" not in answered.text  # answered: no more invitation


def test_a_delivered_benefit_invites_with_its_notice_and_on_my_offers(client, engine, two_cities):
    from civitas.proactive.models import Decision
    from tests.proactive.helpers import family, resident, with_rules

    with_rules(engine, "musterstadt")
    family(engine)
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "musterstadt"))
        grant = db.scalars(select(Decision).where(Decision.status == "granted")).first()
        assert grant is not None
        notice = db.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"decision:{grant.id}")
        )
        invitation = db.scalar(
            select(SurveyInvitation).where(
                SurveyInvitation.subject_type == "decision",
                SurveyInvitation.subject_id == grant.id,
            )
        )
    assert invitation is not None
    assert invitation.channel == "proactive"
    found = re.search(r"https://civitas\.test(/musterstadt/survey/\S+)", notice.body)
    assert found, notice.body
    assert client.get(found.group(1)).status_code == 200
    resident(client, "musterstadt", "anwohnerin@musterstadt.example")
    offers = client.get("/musterstadt/account/offers?lang=en")
    assert found.group(1).split("?")[0] in offers.text


def test_only_the_department_reads_the_comment_as_written(client, two_cities):
    from civitas.accounts.models import User
    from civitas.cases.models import ServiceRequest
    from tests.factories import session_cookie

    _file_and_close()
    link = _survey_link()
    comment = "Ana (ana@muni.pe) fixed it the same day."
    client.post(link, data={"csrf": form_token(client, link), "rating": "5", "comment": comment})
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        department = db.scalars(select(ServiceRequest.department_id)).first()
        worker = db.scalar(select(User).where(User.username == "a-caseworker"))
        worker.department_id = department
    client.cookies.update(session_cookie(client, "trujillo", "a-caseworker"))
    own = client.get("/trujillo/staff/feedback?lang=en")
    assert "ana@muni.pe" in own.text
    client.cookies.clear()
    client.cookies.update(session_cookie(client, "trujillo", "a-manager"))
    other = client.get("/trujillo/staff/feedback?lang=en")
    assert "ana@muni.pe" not in other.text
    assert "[e-mail]" in other.text
    assert "screened" in other.text
