"""Communities of practice: joining is idempotent, writing needs membership, an accepted
answer is marked by the one who asked or a moderator, events refuse bad times and full
rooms, minutes come after the start and link only published practices; the digest
gathers what others wrote in one's groups and goes out once a day or week by choice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from civitas.accounts.service import Principal
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from civitas.core.errors import Conflict, InvalidInput, PermissionDenied
from civitas.network import community
from civitas.network.models import Profile
from civitas.network.permissions import NetworkPermission as P
from civitas.network.tasks import send_digests
from civitas.notifications.models import OutboxMessage


def principal(city_id: int, username: str, *permissions: str) -> Principal:
    return Principal(
        city_id=city_id,
        user_id=1,
        label=f"user:{username}",
        permissions=frozenset({P.TAKE_PART, *permissions}),
    )


def _people(db, world):
    a = get_city_by_slug(db, "trujillo")
    enter_city(db, a)
    asker = community.me(db, a, principal(a.id, world.a.users["case_worker"]))
    helper = community.me(db, a, principal(a.id, world.a.users["manager"]))
    asker.email, helper.email = "asker@example.org", "helper@example.org"
    return a, asker, helper


def test_membership_discussion_and_the_accepted_answer(two_cities):
    with session_scope() as db:
        a, asker, helper = _people(db, two_cities)
        group = community.create_group(db, topic="waste", name={"es": "Residuos"}, description={})
        with pytest.raises(InvalidInput):  # one group a topic
            community.create_group(db, topic="waste", name={"es": "Otra"}, description={})
        with pytest.raises(PermissionDenied):
            community.start_discussion(db, group, asker, title="¿Rutas?", body="¿Cómo?")
        community.join(db, group, asker)
        community.join(db, group, asker)  # a second press changes nothing
        assert len(community.members(db, group)) == 1
        with pytest.raises(InvalidInput) as empty:
            community.start_discussion(db, group, asker, title=" ", body="x")
        assert empty.value.problems[0].location == "title"
        talk = community.start_discussion(db, group, asker, title="¿Rutas?", body="¿Cómo?")
        community.join(db, group, helper)
        answer = community.answer(db, talk, helper, body="Con un planificador.")
        other = community.start_discussion(db, group, asker, title="Otra", body="x")
        # the helper may not mark their own answer; an answer of another discussion is refused
        with pytest.raises(PermissionDenied):
            community.accept(db, talk, answer.id, helper, principal(a.id, "helper"))
        with pytest.raises(InvalidInput):
            community.accept(db, other, answer.id, asker, principal(a.id, "asker"))
        community.accept(db, talk, answer.id, asker, principal(a.id, "asker"))
        assert talk.accepted_post_id == answer.id
        # a moderator may, too (and take the mark back)
        community.set_role(db, group, helper.id, "moderator")
        community.accept(db, talk, None, helper, principal(a.id, "helper"))
        assert talk.accepted_post_id is None


def test_events_refuse_bad_times_and_full_rooms(two_cities):
    with session_scope() as db:
        a, asker, helper = _people(db, two_cities)
        group = community.create_group(
            db, topic="mobility", name={"es": "Movilidad"}, description={}
        )
        community.join(db, group, helper)
        community.set_role(db, group, helper.id, "moderator")
        now = utcnow()

        def event(**changes):
            data = {
                "title": "Encuentro",
                "starts_at": now + timedelta(days=3),
                "ends_at": now + timedelta(days=3, hours=2),
                "timezone": a.timezone,
                "mode": "online",
                "place": "",
                "agenda": "",
                "capacity": 1,
            } | changes
            return community.create_event(
                db, group, helper, principal(a.id, "helper"), community.EventIn(**data)
            )

        with pytest.raises(PermissionDenied):  # a member who does not moderate
            community.create_event(
                db,
                group,
                asker,
                principal(a.id, "asker"),
                community.EventIn(
                    "x", now, now + timedelta(hours=1), a.timezone, "online", "", "", None
                ),
            )
        with pytest.raises(InvalidInput) as refused:
            event(ends_at=now + timedelta(days=2), mode="hybrid")
        assert {p.location for p in refused.value.problems} == {"ends_at", "mode"}
        with pytest.raises(InvalidInput):
            event(starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=4))
        planned = event()
        community.register(db, planned, helper)
        community.register(db, planned, helper)  # idempotent
        with pytest.raises(Conflict):  # one place, taken
            community.register(db, planned, asker)
        with pytest.raises(InvalidInput):  # minutes before it began
            community.record_minutes(
                db,
                planned,
                helper,
                principal(a.id, "helper"),
                minutes="x",
                practices=[],
                projects=[],
            )
        planned.starts_at = now - timedelta(hours=1)
        with pytest.raises(InvalidInput):  # only published practices are outcomes
            community.record_minutes(
                db,
                planned,
                helper,
                principal(a.id, "helper"),
                minutes="x",
                practices=[999],
                projects=[],
            )
        community.record_minutes(
            db,
            planned,
            helper,
            principal(a.id, "helper"),
            minutes="Acuerdos",
            practices=[],
            projects=[],
        )
        assert planned.minutes == "Acuerdos"


def test_the_digest_goes_out_by_choice_with_what_others_wrote(two_cities):
    with session_scope() as db:
        _, asker, helper = _people(db, two_cities)
        group = community.create_group(db, topic="climate", name={"es": "Clima"}, description={})
        community.join(db, group, asker)
        community.join(db, group, helper)
        asker.digest, helper.digest = "daily", "weekly"
        earlier = utcnow() - timedelta(days=8)
        asker.created_at = helper.created_at = earlier
        community.start_discussion(db, group, asker, title="Inventario de GEI", body="¿Alcance 3?")
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        assert send_digests(db, city, utcnow()) == 1  # the helper: the asker wrote it themself
        mails = db.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("network-digest:"))
        ).all()
        assert [m.recipient for m in mails] == ["helper@example.org"]
        assert "Inventario de GEI" in mails[0].body
        assert "/trujillo/network/discussions/" in mails[0].body
        assert mails[0].subject.startswith("Red de aprendizaje: 1 novedad")
        # not again the same week, whatever happens
        assert send_digests(db, city, utcnow()) == 0
        helper = db.scalar(select(Profile).where(Profile.email == "helper@example.org"))
        assert helper.last_digest_at is not None
        # "none" asks for nothing
        assert (
            community.digest_due(
                Profile(digest="none", email="x@example.org", created_at=earlier), utcnow()
            )
            is None
        )
