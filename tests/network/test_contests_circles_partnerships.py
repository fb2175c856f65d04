"""Contests (a closed contest takes no entry, a juror scores neither their own city nor a
city they declared a conflict with, scores stay in range, results are weighted and
ranked), benchmarking circles (a city shares only what the circle compares and it
publishes; withheld figures stay withheld; the best value follows the KPI's direction;
outsiders see nothing), and partnerships (members and partners elsewhere, aims measured
on a partner's published figures, only partners and the coordinator change them)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from civitas.accounts.service import Principal
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from civitas.core.errors import Conflict, InvalidInput, PermissionDenied
from civitas.insight import scorecard
from civitas.insight.models import NetworkFigure
from civitas.network import circles, contests, partnerships, practices
from civitas.network.models import Profile
from civitas.network.permissions import NetworkPermission as P
from tests.insight.test_scorecard import CARD


def _published_practice(db, city, title="Rutas"):
    data = practices.PracticeIn.model_validate(
        {"topic": "waste", "title": {"es": title}, "problem": {"es": "p"}, "action": {"es": "a"}}
    )
    found = practices.create_practice(db, city, data=data, actor="test")
    practices.submit(db, city, found.id, actor="test")
    practices.review(db, found.id, publish=True, note="", actor="test")
    return found


def _contest(db, closes_on=None):
    return contests.open_contest(
        db,
        contests.ContestIn.model_validate(
            {
                "title": "Premio de buenas prácticas",
                "categories": [{"code": "waste", "name": "Residuos"}],
                "criteria": [
                    {"code": "impact", "name": "Impacto", "weight": 3, "max": 10},
                    {"code": "replicable", "name": "Replicable", "weight": 1, "max": 5},
                ],
                "closes_on": (closes_on or date.today() + timedelta(days=10)).isoformat(),
            }
        ),
        actor="test",
    )


def test_contest_rules_and_results(two_cities):
    with session_scope() as db:
        a = get_city_by_slug(db, "trujillo")
        first = _published_practice(db, a, "Rutas")
        second = _published_practice(db, a, "Balanzas")
    with session_scope() as db:
        with pytest.raises(InvalidInput) as refused:
            contests.open_contest(
                db,
                contests.ContestIn.model_validate(
                    {
                        "title": "x",
                        "categories": [{"code": "Bad Code", "name": "x"}],
                        "criteria": [{"code": "a", "name": "a", "weight": 1}],
                        "closes_on": "2020-01-01",
                    }
                ),
                actor="test",
            )
        assert {p.location for p in refused.value.problems} == {"categories[0].code", "closes_on"}
        contest = _contest(db)
        a = get_city_by_slug(db, "trujillo")
        entry = contests.enter(db, a, contest, practice_id=first.id, category="waste", actor="t")
        entry2 = contests.enter(db, a, contest, practice_id=second.id, category="waste", actor="t")
        with pytest.raises(Conflict):
            contests.enter(db, a, contest, practice_id=first.id, category="waste", actor="t")
        b = get_city_by_slug(db, "musterstadt")
        with pytest.raises(InvalidInput):  # not B's practice
            contests.enter(db, b, contest, practice_id=first.id, category="waste", actor="t")
        own = Profile(city_id=a.id, username="a-juror", full_name="Jurado de Trujillo")
        outside = Profile(city_id=b.id, username="b-juror", full_name="Jurorin aus Musterstadt")
        conflicted = Profile(city_id=b.id, username="b-other", full_name="Befangen")
        db.add_all([own, outside, conflicted])
        db.flush()
        for profile in (own, outside):
            contests.appoint(db, contest, profile, conflicts=[], note="")
        contests.appoint(db, contest, conflicted, conflicts=[a.id], note="Berät Trujillo")
        # an outside expert whose account Trujillo keeps is not Trujillo's
        expert = Profile(city_id=a.id, username="a-expert", full_name="Experta", outside=True)
        db.add(expert)
        db.flush()
        contests.appoint(db, contest, expert, conflicts=[], note="")
        contests.close(db, contest)
        # closed: no more entries, with a clear message
        with pytest.raises(Conflict) as late:
            contests.enter(db, a, contest, practice_id=first.id, category="waste", actor="t")
        assert "closed" in late.value.text("en")
        with pytest.raises(Conflict) as mine:
            contests.score(db, contest, own, entry_id=entry.id, scores={}, comment="")
        assert "own city" in mine.value.text("en")
        with pytest.raises(Conflict):
            contests.score(db, contest, conflicted, entry_id=entry.id, scores={}, comment="")
        with pytest.raises(InvalidInput) as bad:
            contests.score(
                db,
                contest,
                outside,
                entry_id=entry.id,
                scores={"impact": "11", "replicable": "x"},
                comment="",
            )
        assert {p.location for p in bad.value.problems} == {"score[impact]", "score[replicable]"}
        contests.score(
            db,
            contest,
            outside,
            entry_id=entry.id,
            scores={"impact": "8", "replicable": "5"},
            comment="",
        )
        contests.score(
            db,
            contest,
            outside,
            entry_id=entry2.id,
            scores={"impact": "10", "replicable": "0"},
            comment="",
        )
        contests.score(  # the outside expert scores Trujillo's entry: not their city's
            db,
            contest,
            expert,
            entry_id=entry.id,
            scores={"impact": "8", "replicable": "5"},
            comment="",
        )
        ranked = contests.results(db, contest)["waste"]
        # (3·8/10 + 1·5/5)/4 = 85 against (3·10/10 + 0)/4 = 75
        assert [(r.practice.id, r.total, r.rank, r.jurors) for r in ranked] == [
            (first.id, 85.0, 1, 2),
            (second.id, 75.0, 2, 1),
        ]
        with pytest.raises(Conflict):
            contests.close(db, contest)
        contests.publish(db, contest)
        with pytest.raises(Conflict):
            contests.score(
                db,
                contest,
                outside,
                entry_id=entry.id,
                scores={"impact": "1", "replicable": "1"},
                comment="",
            )


def test_a_contest_past_its_closing_day_takes_no_entry(two_cities):
    with session_scope() as db:
        a = get_city_by_slug(db, "trujillo")
        practice = _published_practice(db, a)
        contest = _contest(db)
        contest.closes_on = (date.today() - timedelta(days=2)).isoformat()
        with pytest.raises(Conflict) as late:
            contests.enter(db, a, contest, practice_id=practice.id, category="waste", actor="t")
        assert contest.closes_on in late.value.text("en")


def _publish(db, slug, values):
    city = get_city_by_slug(db, slug)
    enter_city(db, city)
    scorecard.save(db, city, text=CARD, actor="test")  # publishes volume and csat_pct
    for month, kpi, value, suppressed in values:
        db.add(
            NetworkFigure(
                city_id=city.id, period=month, kpi=kpi, value=value, suppressed=suppressed
            )
        )
    return city


def test_a_circle_side_by_side(two_cities):
    with session_scope() as db:
        _publish(
            db,
            "trujillo",
            [("2026-05", "csat_pct", 71.0, False), ("2026-05", "volume", None, True)],
        )
    with session_scope() as db:
        _publish(
            db,
            "musterstadt",
            [("2026-05", "csat_pct", 80.0, False), ("2026-05", "volume", 900.0, False)],
        )
    with session_scope() as db:
        circle = circles.create_circle(
            db, name="Atención", kpis=["csat_pct", "volume", "nps"], actor="t"
        )
        with pytest.raises(InvalidInput):
            circles.create_circle(db, name="x", kpis=["no_such"], actor="t")
        circle_id = circle.id
    with session_scope() as db:
        a = get_city_by_slug(db, "trujillo")
        circle = circles.get_circle(db, circle_id)
        with pytest.raises(InvalidInput) as unpublished:
            circles.share(
                db, a, circle, ["nps"]
            )  # the circle compares it; Trujillo does not publish it
        assert "does not publish" in unpublished.value.text("en")
        circles.share(db, a, circle, ["csat_pct", "volume"])
    with session_scope() as db:
        b = get_city_by_slug(db, "musterstadt")
        circle = circles.get_circle(db, circle_id)
        with pytest.raises(PermissionDenied):  # not yet a member
            circles.view(db, circle, b, moderator=False)
        circles.share(db, b, circle, ["csat_pct"])  # keeps its volume to itself
        table = circles.view(db, circle, b, moderator=False)
        a = get_city_by_slug(db, "trujillo")
        rows = {r.kpi.code: r for r in table.rows}
        assert rows["csat_pct"].best == b.id  # satisfaction: higher is better
        assert (rows["csat_pct"].lowest, rows["csat_pct"].highest) == (71.0, 80.0)
        assert rows["volume"].cells[a.id].state == "withheld"  # small numbers stay withheld
        assert rows["volume"].cells[b.id].state == "not_shared"
        assert rows["volume"].best is None
        assert rows["nps"].cells[a.id].state == "not_shared"


def test_a_partnership_and_its_measured_aims(two_cities):
    with session_scope() as db:
        _publish(
            db,
            "trujillo",
            [("2026-01", "csat_pct", 60.0, False), ("2026-05", "csat_pct", 70.0, False)],
        )
    with session_scope() as db:
        with pytest.raises(InvalidInput) as bad:
            partnerships.create_partnership(
                db,
                partnerships.PartnershipIn.model_validate(
                    {
                        "name": "x",
                        "partners": [{"city": "nowhere"}, {"name": "Arequipa", "country": "Peru"}],
                    }
                ),
                actor="t",
            )
        assert {p.location for p in bad.value.problems} == {
            "partners[0].city",
            "partners[1].country",
        }
        ship = partnerships.create_partnership(
            db,
            partnerships.PartnershipIn.model_validate(
                {
                    "name": "Trujillo – Musterstadt",
                    "since": 2019,
                    "partners": [
                        {"city": "trujillo"},
                        {"city": "musterstadt"},
                        {"name": "Huanchaco", "country": "pe"},
                    ],
                }
            ),
            actor="t",
        )
        a = get_city_by_slug(db, "trujillo")
        manager = Principal(a.id, 1, "user:a-manager", frozenset({P.TAKE_PART, P.CITY_REPRESENT}))
        project = partnerships.add_project(
            db,
            ship,
            a,
            manager,
            partnerships.ProjectIn(
                title="Atención al vecino",
                starts_on=date(2026, 1, 1),
                ends_on=date(2027, 12, 31),
                budget=120000,
                currency="eur",
            ),
        )
        assert project.currency == "EUR"
        aim = partnerships.add_aim(
            db,
            project,
            a,
            manager,
            partnerships.AimIn(
                dimension="citizen_orientation",
                text="Más vecinos satisfechos",
                city="trujillo",
                kpi="csat_pct",
                baseline_month="2026-01",
                target=80,
            ),
        )
        progress = partnerships.progress(db, aim)
        assert (progress.baseline, progress.latest, progress.latest_month) == (
            60.0,
            70.0,
            "2026-05",
        )
        assert progress.share == 0.5  # half the way from 60 to 80
        with pytest.raises(InvalidInput) as unpublished:
            partnerships.add_aim(
                db,
                project,
                a,
                manager,
                partnerships.AimIn(
                    dimension="efficiency",
                    text="x",
                    city="trujillo",
                    kpi="nps",
                    baseline_month="2026-01",
                    target=1,
                ),
            )
        assert "does not publish" in unpublished.value.problems[0].message
        described = partnerships.add_aim(
            db,
            project,
            a,
            manager,
            partnerships.AimIn(dimension="transparency", text="Datos abiertos"),
        )
        assert partnerships.progress(db, described).state == "described"
        # a city that is not a partner (nor the coordinator) changes nothing
        ship2 = partnerships.create_partnership(
            db,
            partnerships.PartnershipIn.model_validate(
                {
                    "name": "Otra",
                    "partners": [{"city": "musterstadt"}, {"name": "Jena", "country": "DE"}],
                }
            ),
            actor="t",
        )
        with pytest.raises(PermissionDenied):
            partnerships.add_project(
                db,
                ship2,
                a,
                manager,
                partnerships.ProjectIn(
                    title="x", starts_on=date(2026, 1, 1), ends_on=date(2026, 2, 1)
                ),
            )
        coordinator = Principal(a.id, 2, "user:a-coordinator", frozenset({P.TAKE_PART, P.MODERATE}))
        assert partnerships.may_edit(db, ship2, a, coordinator)
        view = partnerships.project_view(db, project)
        assert [p.name for p in view.partners][-1] == "Huanchaco"
        assert utcnow()  # the clock is the app's
