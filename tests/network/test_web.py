"""The network's pages as its people use them: a case worker of Trujillo shares a practice
with its measured effect, a bad period is refused at its field, the coordinator publishes
it, Musterstadt marks it adopted; a discussion gets an accepted answer; an outside expert
sees the network and nothing of the city; the open data conforms to DCAT-AP and names no
person."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph
from sqlalchemy import select

from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from civitas.network import community
from civitas.network.models import Adoption, Practice
from tests.factories import form_token, session_cookie
from tests.network.test_practices import AFTER, BEFORE, _figures

SHAPES = (
    Path(__file__).resolve().parents[1]
    / "conformance"
    / "standards"
    / "dcat-ap-3.0.0"
    / "dcat-ap-SHACL.jsonld"
)


def sign_in(client, slug, username):
    client.follow_redirects = False
    client.cookies.clear()
    client.cookies.update(session_cookie(client, slug, username))


def post(client, page, action, data):
    token = form_token(client, page)
    return client.post(action, data={**data, "csrf": token})


PRACTICE = {
    "language": "es",
    "topic": "citizen_service",
    "title": "Resolver en la primera llamada",
    "problem": "Los vecinos llamaban varias veces.",
    "action": "La central resuelve con el catálogo a la mano.",
    "contact": "central@trujillo.example",
    "services": "a-light",
    "evidence[0].kpi": "csat_pct",
    "evidence[0].baseline_from": "2026-01",
    "evidence[0].baseline_to": "2026-03",
    "evidence[0].after_from": "2026-05",
    "evidence[0].after_to": "2026-06",
}


def _share(client, world, **changes):
    sign_in(client, "trujillo", world.a.users["case_worker"])
    return post(
        client,
        "/trujillo/network/practices/new?lang=es",
        "/trujillo/network/practices?lang=es",
        PRACTICE | changes,
    )


def test_share_review_publish_and_adopt(client, two_cities):
    _figures("trujillo", {**BEFORE, **AFTER})
    # a period that overlaps is refused at its field, in Spanish, and nothing is stored
    refused = _share(client, two_cities, **{"evidence[0].after_from": "2026-02"})
    assert refused.status_code == 422
    assert "se superponen" in refused.text
    assert 'id="evidence-0.after_from-error"' in refused.text
    with session_scope() as db:
        assert db.scalars(select(Practice)).all() == []
    created = _share(client, two_cities)
    assert created.status_code == 303
    page = created.headers["location"]
    found = re.search(r"/practices/(\d+)", page)
    assert found is not None
    practice_id = int(found[1])
    shown = client.get(page)
    assert "mejoró" in shown.text  # the verdict, in the reader's language
    assert "150 casos" in shown.text  # the baseline's cases
    assert "borrador" in shown.text
    # submitted, it waits for the coordinator; the city can no longer change it
    here = f"/trujillo/network/practices/{practice_id}?lang=es"
    assert (
        post(client, here, f"/trujillo/network/practices/{practice_id}/submit", {}).status_code
        == 303
    )
    sign_in(client, "trujillo", two_cities.a.users["network_coordinator"])
    home = client.get("/trujillo/network?lang=es")
    assert "Resolver en la primera llamada" in home.text  # waiting for review
    reviewed = post(
        client, here, f"/trujillo/network/practices/{practice_id}/review", {"decision": "publish"}
    )
    assert reviewed.status_code == 303
    # Musterstadt's manager finds it, in the language it was written in, and adopts it
    sign_in(client, "musterstadt", two_cities.b.users["manager"])
    found = client.get("/musterstadt/network/practices?lang=de&verdict=improved")
    assert "Resolver en la primera llamada" in found.text
    there = f"/musterstadt/network/practices/{practice_id}?lang=de"
    assert "Geschrieben in: Español" in client.get(there).text
    adopted = post(
        client, there, f"/musterstadt/network/practices/{practice_id}/adopt", {"started": "2026-04"}
    )
    assert adopted.status_code == 303
    assert "?problem=" not in adopted.headers["location"]
    with session_scope() as db:
        city = get_city_by_slug(db, "musterstadt")
        assert (
            db.scalar(select(Adoption.city_id).where(Adoption.practice_id == practice_id))
            == city.id
        )
    shown = client.get(there)
    assert "Musterstadt" in shown.text.split('id="adoptions"')[1]
    # a second adoption is refused with a clear message
    again = post(
        client, there, f"/musterstadt/network/practices/{practice_id}/adopt", {"started": "2026-04"}
    )
    assert "?problem=" in again.headers["location"]


def test_a_discussion_gets_an_accepted_answer(client, two_cities):
    with session_scope() as db:
        group = community.create_group(db, topic="waste", name={"es": "Residuos"}, description={})
        group_id = group.id
    sign_in(client, "musterstadt", two_cities.b.users["case_worker"])
    page = f"/musterstadt/network/groups/{group_id}?lang=de"
    # writing needs membership
    refused = post(
        client,
        page,
        f"/musterstadt/network/groups/{group_id}/discussions",
        {"title": "x", "body": "y"},
    )
    assert refused.status_code == 422
    assert "Treten Sie der Gruppe bei" in refused.text
    post(client, page, f"/musterstadt/network/groups/{group_id}/join", {})
    asked = post(
        client,
        page,
        f"/musterstadt/network/groups/{group_id}/discussions",
        {"title": "Wie plant ihr Routen?", "body": "Mit welchem Werkzeug?"},
    )
    talk = asked.headers["location"].split("?")[0]
    sign_in(client, "trujillo", two_cities.a.users["case_worker"])
    other = talk.replace("/musterstadt/", "/trujillo/") + "?lang=es"
    post(
        client,
        f"/trujillo/network/groups/{group_id}?lang=es",
        f"/trujillo/network/groups/{group_id}/join",
        {},
    )
    answered = post(client, other, other.split("?")[0] + "/answers", {"body": "Con OR-Tools."})
    post_id = int(answered.headers["location"].split("#answer-")[1])
    # only the one who asked (or a moderator) marks the accepted answer
    not_mine = post(client, other, other.split("?")[0] + "/accept", {"post": str(post_id)})
    assert "?problem=" in not_mine.headers["location"]
    sign_in(client, "musterstadt", two_cities.b.users["case_worker"])
    accepted = post(client, talk + "?lang=de", talk + "/accept", {"post": str(post_id)})
    assert "done=accepted" in accepted.headers["location"]
    shown = client.get(talk + "?lang=de")
    assert "Akzeptierte Antwort" in shown.text
    assert "Case Worker of Trujillo" in shown.text  # under their own name and city


def test_an_outside_expert_sees_the_network_and_nothing_of_the_city(client, two_cities):
    sign_in(client, "trujillo", two_cities.a.users["network_expert"])
    assert client.get("/trujillo/network?lang=en").status_code == 200
    assert client.get("/trujillo/staff/cases?lang=en").status_code == 403
    assert client.get("/trujillo/staff/insight?lang=en").status_code == 403
    assert client.get("/trujillo/network/practices/new?lang=en").status_code == 403
    home = client.get("/trujillo/staff?lang=en")
    assert "/trujillo/network" in home.text
    # known by the organisation they give, not as the city whose user list holds them
    assert "(outside participant)" in client.get("/trujillo/network?lang=en").text
    saved = post(
        client,
        "/trujillo/network/profile?lang=en",
        "/trujillo/network/profile?lang=en",
        {"organisation": "Connective Cities", "expertise": "Waste", "digest": "weekly"},
    )
    assert saved.status_code == 303
    assert (
        "You take part as Network Expert of Trujillo (Connective Cities)"
        in client.get("/trujillo/network?lang=en").text
    )


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="json-ld")


def test_the_open_data_conforms_and_names_no_one(client, two_cities, shapes):
    _figures("trujillo", {**BEFORE, **AFTER})
    _share(client, two_cities)
    _share(client, two_cities, title="Borrador secreto")
    with session_scope() as db:
        first = db.scalars(select(Practice).order_by(Practice.id)).first()
        from civitas.network import practices

        city = get_city_by_slug(db, "trujillo")
        practices.submit(db, city, first.id, actor="test")
    with session_scope() as db:
        practices.review(db, first.id, publish=True, note="", actor="test")
    client.cookies.clear()
    catalogue = client.get("/api/v1/network/catalog.jsonld")
    assert catalogue.status_code == 200
    data = Graph().parse(data=catalogue.text, format="json-ld")
    ok, _, report = validate(data, shacl_graph=shapes, inference="none", allow_warnings=False)
    assert ok, report
    listed = client.get("/api/v1/network/practices.jsonld")
    assert "Resolver en la primera llamada" in listed.text
    assert "Borrador secreto" not in listed.text  # a draft is no one's business
    assert "improved" in listed.text
    assert "Case Worker" not in listed.text  # who wrote it stays inside
    feed = ET.fromstring(client.get("/api/v1/network/feed.atom").content)
    titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert "Resolver en la primera llamada" in titles


def test_an_oversized_attachment_is_refused_with_a_clear_message(client, two_cities):
    _figures("trujillo", {**BEFORE, **AFTER})
    page = _share(client, two_cities).headers["location"]
    practice_id = int(page.split("/practices/")[1].split("?")[0])
    token = form_token(client, page)
    big = b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)
    refused = client.post(
        f"/trujillo/network/practices/{practice_id}/files?lang=es",
        data={"csrf": token},
        files={"file": ("informe.pdf", big, "application/pdf")},
    )
    assert refused.status_code == 303
    shown = client.get(refused.headers["location"])
    assert "10 MB" in shown.text.split("error-summary")[1]
    with session_scope() as db:
        from civitas.network.models import Attachment

        assert db.scalars(select(Attachment)).all() == []
