"""The isolation walk's sample requests for the learning network (tests/test_isolation.py).
The network's space belongs to no city, but one is only let in through the city one signs
in to: city B's session on city A's address is no one's. Each form's sample is one that
changes something for A's own administrator (who holds every permission, the
coordinator's too); the open data addresses no city and is public."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.isolation import Case

N = "/{city}/network"
API = "/api/v1/network"
MADE: dict[str, int] = {}
BAD = {"csrf": True}


def network_world(world: Any) -> None:
    """A's published practice and a draft, a group with a discussion and an answer, an event
    that has begun, a partnership of A and B with a project and a milestone, a circle and
    an open contest; A's administrator has a profile, is in the group and is a juror."""
    from civitas.cities.service import enter_city, get_city_by_slug
    from civitas.core.db import session_scope, utcnow
    from civitas.network import community, contests, practices
    from civitas.network.models import (
        Circle,
        Contest,
        Discussion,
        Event,
        Group,
        Juror,
        Membership,
        Milestone,
        Partner,
        Partnership,
        Post,
        Profile,
        Project,
    )

    with session_scope() as db:
        a = get_city_by_slug(db, world.slug)
        b = get_city_by_slug(db, "musterstadt" if world.slug != "musterstadt" else "trujillo")
        enter_city(db, a)
        data = practices.PracticeIn.model_validate(
            {
                "topic": "waste",
                "title": {"es": "Rutas de reciclaje"},
                "problem": {"es": "Rutas largas."},
                "action": {"es": "Rutas planificadas."},
            }
        )
        published = practices.create_practice(db, a, data=data, actor="test")
        practices.submit(db, a, published.id, actor="test")
        practices.review(db, published.id, publish=True, note="", actor="test")
        draft = practices.create_practice(db, a, data=data, actor="test")
        me = Profile(city_id=a.id, username=world.users["administrator"], full_name="Admin A")
        db.add(me)
        db.flush()
        group = Group(topic="waste", name={"es": "Residuos"})
        db.add(group)
        db.flush()
        db.add(Membership(group_id=group.id, profile_id=me.id, role="moderator"))
        talk = Discussion(group_id=group.id, profile_id=me.id, title="¿Rutas?", body="¿Cómo?")
        db.add(talk)
        db.flush()
        post = Post(discussion_id=talk.id, profile_id=me.id, body="Así.")
        db.add(post)
        now = utcnow()
        event = Event(
            group_id=group.id,
            title="Encuentro",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
            timezone=a.timezone,
            mode="online",
            created_by=me.id,
        )
        db.add(event)
        ship = Partnership(name="A–B", created_by="test")
        db.add(ship)
        db.flush()
        db.add(Partner(partnership_id=ship.id, city_id=a.id, name=a.name, country="PE"))
        db.add(Partner(partnership_id=ship.id, city_id=b.id, name=b.name, country="DE"))
        project = Project(
            partnership_id=ship.id,
            title="Proyecto",
            starts_on="2026-01-01",
            ends_on="2027-12-31",
            created_by="test",
        )
        db.add(project)
        db.flush()
        milestone = Milestone(project_id=project.id, title="Inicio", due_on="2026-06-30")
        db.add(milestone)
        circle = Circle(name="Círculo", kpis=["csat_pct"], created_by="test")
        db.add(circle)
        contest = Contest(
            title="Premio",
            categories=[{"code": "waste", "name": "Residuos"}],
            criteria=[{"code": "impact", "name": "Impacto", "weight": 1, "max": 10}],
            closes_on=(now + timedelta(days=30)).date().isoformat(),
            created_by="test",
        )
        db.add(contest)
        db.flush()
        db.add(Juror(contest_id=contest.id, profile_id=me.id))
        db.flush()
        MADE.update(
            practice=published.id,
            draft=draft.id,
            group=group.id,
            discussion=talk.id,
            post=post.id,
            event=event.id,
            partnership=ship.id,
            project=project.id,
            milestone=milestone.id,
            circle=circle.id,
            contest=contest.id,
            profile=me.id,
        )
        del community, contests


def _ids(*names: str) -> Any:
    return lambda w: {f"{n}_id": MADE.get(n, 1) for n in names}


def _page(params: Any = None) -> Case:
    return Case(200, auth="cookie", params=params or (lambda w: {}), setup=network_world)


def _form(status: int, data: dict[str, Any] | None = None, params: Any = None) -> Case:
    return Case(
        status,
        auth="cookie",
        extra=BAD,
        params=params or (lambda w: {}),
        request=lambda w: {"data": dict(data or {})},
        setup=network_world,
    )


PRACTICE = _ids("practice")
DRAFT = lambda w: {"practice_id": MADE.get("draft", 1)}  # noqa: E731

ROUTES: dict[tuple[str, str], Case] = {
    ("GET", N): _page(),
    ("GET", N + "/profile"): _page(),
    ("POST", N + "/profile"): _form(303, {"organisation": "Municipio", "digest": "daily"}),
    ("GET", N + "/practices"): _page(),
    ("GET", N + "/practices/new"): _page(),
    ("POST", N + "/practices"): _form(422, {"topic": "waste", "language": "es"}),
    ("GET", N + "/practices/{practice_id}"): _page(PRACTICE),
    ("GET", N + "/practices/{practice_id}/edit"): _page(DRAFT),
    ("POST", N + "/practices/{practice_id}/edit"): _form(
        303,
        {"topic": "waste", "language": "de", "title": "Routen", "problem": "P", "action": "A"},
        DRAFT,
    ),
    ("POST", N + "/practices/{practice_id}/submit"): _form(303, params=DRAFT),
    ("POST", N + "/practices/{practice_id}/review"): _form(
        303, {"decision": "return", "note": "Más datos"}, PRACTICE
    ),
    ("POST", N + "/practices/{practice_id}/adopt"): _form(303, {"started": "2026-01"}, PRACTICE),
    ("POST", N + "/practices/{practice_id}/files"): _form(303, params=PRACTICE),
    ("POST", N + "/practices/{practice_id}/files/{file_id}/delete"): _form(
        303, params=lambda w: {"practice_id": MADE.get("practice", 1), "file_id": 999}
    ),
    ("GET", N + "/practices/{practice_id}/files/{file_id}"): Case(
        404,
        auth="cookie",
        params=lambda w: {"practice_id": MADE.get("practice", 1), "file_id": 999},
        setup=network_world,
    ),
    ("GET", N + "/groups/{group_id}"): _page(_ids("group")),
    ("POST", N + "/groups"): _form(303, {"topic": "mobility", "group_name": "Movilidad"}),
    ("POST", N + "/groups/{group_id}/join"): _form(303, params=_ids("group")),
    ("POST", N + "/groups/{group_id}/leave"): _form(303, params=_ids("group")),
    ("POST", N + "/groups/{group_id}/moderators"): _form(
        303, {"profile": "0", "role": "moderator"}, _ids("group")
    ),
    ("POST", N + "/groups/{group_id}/discussions"): _form(
        303, {"title": "Pregunta", "body": "Texto"}, _ids("group")
    ),
    ("POST", N + "/groups/{group_id}/events"): _form(422, {"event_title": ""}, _ids("group")),
    ("GET", N + "/discussions/{talk_id}"): _page(lambda w: {"talk_id": MADE.get("discussion", 1)}),
    ("POST", N + "/discussions/{talk_id}/answers"): _form(
        303, {"body": "Respuesta"}, lambda w: {"talk_id": MADE.get("discussion", 1)}
    ),
    ("POST", N + "/discussions/{talk_id}/accept"): _form(
        303, {"post": "0"}, lambda w: {"talk_id": MADE.get("discussion", 1)}
    ),
    ("GET", N + "/events/{event_id}"): _page(_ids("event")),
    ("POST", N + "/events/{event_id}/register"): _form(303, params=_ids("event")),
    ("POST", N + "/events/{event_id}/unregister"): _form(303, params=_ids("event")),
    ("POST", N + "/events/{event_id}/minutes"): _form(303, {"minutes": "Acta"}, _ids("event")),
    ("GET", N + "/partnerships/new"): _page(),
    ("POST", N + "/partnerships"): _form(422, {"name": "X"}),
    ("GET", N + "/partnerships/{partnership_id}"): _page(_ids("partnership")),
    ("POST", N + "/partnerships/{partnership_id}/projects"): _form(
        422, {"title": ""}, _ids("partnership")
    ),
    ("GET", N + "/projects/{project_id}"): _page(_ids("project")),
    ("POST", N + "/projects/{project_id}/aims"): _form(
        303, {"dimension": "transparency", "aim_text": "Más datos abiertos"}, _ids("project")
    ),
    ("POST", N + "/projects/{project_id}/milestones"): _form(
        303, {"milestone_title": "Fin", "due_on": "2027-12-31"}, _ids("project")
    ),
    ("POST", N + "/projects/{project_id}/milestones/{milestone_id}/done"): _form(
        303, params=_ids("project", "milestone")
    ),
    ("POST", N + "/projects/{project_id}/missions"): _form(422, {"expert": ""}, _ids("project")),
    ("POST", N + "/projects/{project_id}/reports"): _form(
        303, {"period": "2026", "report_text": "Avances"}, _ids("project")
    ),
    ("POST", N + "/circles"): _form(303, {"circle_name": "Otro", "kpis": "volume"}),
    ("GET", N + "/circles/{circle_id}"): _page(_ids("circle")),
    ("POST", N + "/circles/{circle_id}/share"): _form(303, {"kpis": "csat_pct"}, _ids("circle")),
    ("GET", N + "/contests/new"): _page(),
    ("POST", N + "/contests"): _form(422, {"title": ""}),
    ("GET", N + "/contests/{contest_id}"): _page(_ids("contest")),
    ("POST", N + "/contests/{contest_id}/entries"): _form(
        303, {"category": "waste"}, _ids("contest")
    ),
    ("POST", N + "/contests/{contest_id}/jurors"): _form(303, {"profile": "0"}, _ids("contest")),
    ("POST", N + "/contests/{contest_id}/scores"): _form(303, {"entry": "0"}, _ids("contest")),
    ("POST", N + "/contests/{contest_id}/close"): _form(303, params=_ids("contest")),
    ("POST", N + "/contests/{contest_id}/publish"): _form(303, params=_ids("contest")),
    ("GET", API + "/catalog.jsonld"): Case(200),
    ("GET", API + "/practices.jsonld"): Case(200, setup=network_world),
    ("GET", API + "/events.jsonld"): Case(200, setup=network_world),
    ("GET", API + "/projects.jsonld"): Case(200, setup=network_world),
    ("GET", API + "/feed.atom"): Case(200, setup=network_world),
}

PUBLIC: set[str] = {
    API + "/catalog.jsonld",
    API + "/practices.jsonld",
    API + "/events.jsonld",
    API + "/projects.jsonld",
    API + "/feed.atom",
}
