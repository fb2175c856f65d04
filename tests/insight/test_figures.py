"""KPIs computed in SQL from a month whose every figure is worked out by hand here, the
same on SQLite and PostgreSQL; refresh, figures entered by hand, and suppression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from civitas.cases.schemas import RequestChannel, RequestCreate, Status
from civitas.cases.service import change_status, create_request
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.core.errors import InvalidInput
from civitas.insight import figures, scorecard
from civitas.insight.models import KpiValue, SurveyInvitation, SurveyResponse
from civitas.insight.scorecard import EXAMPLE

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Trujillo (UTC-5): March is 03-01 05:00 UTC on


def _file(db, city, channel: RequestChannel, at: datetime) -> int:
    request = create_request(
        db,
        city,
        data=RequestCreate(
            service_code="a-light",
            channel=channel,
            address_string="Plaza de Armas",
            attributes={"fault": "out"},
        ),
        filed_by="test",
        now=at,
    )
    return request.number


def _move(db, city, number: int, *steps: tuple[Status, float], start: datetime) -> None:
    for status, hours in steps:
        at = start + timedelta(hours=hours)
        change_status(db, city, number=number, status=status, actor="test", now=at)


@pytest.fixture
def march(two_cities):
    """Six requests and five survey answers, every figure of March known in advance."""
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        day = timedelta(days=1)
        r1 = _file(db, city, RequestChannel.WEB, T0)
        _move(db, city, r1, (Status.IN_PROGRESS, 2), (Status.RESOLVED, 20), start=T0)
        r2 = _file(db, city, RequestChannel.WEB, T0 + day)
        _move(db, city, r2, (Status.IN_PROGRESS, 4), (Status.RESOLVED, 60), start=T0 + day)
        r3 = _file(db, city, RequestChannel.PHONE, T0 + 2 * day)  # solved on the call
        _move(db, city, r3, (Status.RESOLVED, 0.5), start=T0 + 2 * day)
        r4 = _file(db, city, RequestChannel.PHONE, T0 + 3 * day)  # still open
        _move(db, city, r4, (Status.IN_PROGRESS, 8), start=T0 + 3 * day)
        r5 = _file(db, city, RequestChannel.OPEN311, T0 + 4 * day)  # reopened once
        _move(
            db,
            city,
            r5,
            (Status.IN_PROGRESS, 6),
            (Status.RESOLVED, 10),
            (Status.IN_PROGRESS, 12),
            (Status.RESOLVED, 30),
            start=T0 + 4 * day,
        )
        _file(db, city, RequestChannel.OFFICE, datetime(2026, 2, 1, 15, tzinfo=UTC))  # aged
        answers = [(5, 1, 10), (4, 2, 9), (4, 3, 7), (2, 4, 3), (1, 5, None)]
        for i, (rating, effort, recommend) in enumerate(answers):
            invitation = SurveyInvitation(
                token_hash=f"{i:064d}",
                subject_type="request",
                subject_id=1000 + i,
                channel="web",
                language="es",
                created_at=T0,
                expires_at=T0 + 60 * day,
                responded_at=T0 + day,
            )
            db.add(invitation)
            db.flush()
            db.add(
                SurveyResponse(
                    invitation_id=invitation.id,
                    rating=rating,
                    effort=effort,
                    recommend=recommend,
                    drivers={},
                    created_at=T0 + day,
                )
            )
    return "2026-03"


def _values(month: str, dimension: str = "all") -> dict[tuple[str, str], tuple[float | None, int]]:
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        return {
            (c.kpi, c.key): (c.value, c.n)
            for c in figures.compute(db, city, month)
            if c.dimension == dimension
        }


def test_case_kpis_of_a_month_are_exact(march):
    got = _values(march)
    assert got[("volume", "")] == (5.0, 5)  # received in March; the February one is not
    assert got[("ack_median_h", "")] == (4.0, 5)  # 0.5 2 [4] 6 8, nearest rank
    assert got[("ack_p90_h", "")] == (8.0, 5)
    assert got[("close_median_h", "")] == (20.0, 4)  # 0.5 [20] 30 60
    assert got[("close_p90_h", "")] == (60.0, 4)
    assert got[("within_target_pct", "")] == (75.0, 4)  # 60 h is over the 48 h target
    assert got[("deadline_met_pct", "")] == (75.0, 4)
    assert got[("reopen_pct", "")] == (25.0, 4)
    assert got[("digital_pct", "")] == (60.0, 5)  # web, web, app of five
    assert got[("fcr_pct", "")] == (50.0, 2)  # one of two calls solved on the call
    assert got[("backlog", "")] == (2.0, 2)  # the open call and the February visit
    assert got[("backlog_aged_pct", "")] == (50.0, 2)  # only the February one is over 30 days


def test_a_month_not_ended_counts_its_backlog_as_it_stands_now(two_cities):
    """At the end of a month still to come every case filed before it would be "open longer
    than 30 days"; the month under way counts the cases open now, aged as they are now."""
    now = datetime.now(UTC)
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        _file(db, city, RequestChannel.WEB, now - timedelta(days=40))
        _file(db, city, RequestChannel.WEB, now - timedelta(hours=2))
        # the world's own request was filed just now, a young one too
        coming = figures.period(city, figures.current_month(city, now)).end + timedelta(days=3)
        cells = {
            c.kpi: (c.value, c.n)
            for c in figures.compute(db, city, coming.strftime("%Y-%m"))
            if c.dimension == "all"
        }
    assert cells["backlog"] == (3.0, 3)
    assert cells["backlog_aged_pct"] == (33.33, 3)


def test_breakdowns_by_channel_and_service(march):
    by_channel = _values(march, "channel")
    assert by_channel[("volume", "web")] == (2.0, 2)
    assert by_channel[("volume", "phone")] == (2.0, 2)
    assert by_channel[("volume", "open311")] == (1.0, 1)
    assert by_channel[("fcr_pct", "phone")] == (50.0, 2)
    assert ("digital_pct", "web") not in by_channel  # a channel's digital share says nothing
    by_service = _values(march, "service")
    assert by_service[("volume", "a-light")] == (5.0, 5)


def test_satisfaction_kpis(march):
    got = _values(march)
    assert got[("responses", "")] == (5.0, 5)
    assert got[("csat_pct", "")] == (60.0, 5)  # 5, 4, 4 of five
    assert got[("rating_mean", "")] == (3.2, 5)
    assert got[("net_easy", "")] == (0.0, 5)  # two easy, two difficult
    assert got[("nps", "")] == (25.0, 4)  # 10, 9 promote; 3 detracts; one did not answer
    assert got[("response_rate_pct", "")] == (100.0, 5)


def test_refresh_replaces_the_month_and_keeps_figures_entered_by_hand(march):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        scorecard.save(db, city, text=EXAMPLE, actor="test")
        figures.record_manual(db, city, kpi="fleet_co2_t", month=march, value=41.5, actor="t")
        first = figures.refresh(db, city, [march], actor="test")
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        again = figures.refresh(db, city, [march], actor="test")
        rows = db.scalars(select(KpiValue).where(KpiValue.period == march)).all()
        assert first == again == len([r for r in rows if r.source == "computed"])
        manual = [r for r in rows if r.source == "manual"]
        assert [(r.kpi, r.value) for r in manual] == [("fleet_co2_t", 41.5)]
        shown = {f.kpi.code: f.value for f in figures.figures(db, city, march)}
        assert shown["csat_pct"] == 60.0
        assert shown["fleet_co2_t"] == 41.5


def test_published_figures_suppress_cells_under_five(march):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        figures.refresh(db, city, [march], actor="test")
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        inside = {f.kpi.code: f for f in figures.figures(db, city, march)}
        public = {f.kpi.code: f for f in figures.figures(db, city, march, published=True)}
    assert inside["close_median_h"].value == 20.0
    assert inside["close_median_h"].n == 4
    assert public["close_median_h"].value is None
    assert public["close_median_h"].suppressed
    assert public["volume"].value == 5.0
    assert not public["volume"].suppressed


def test_a_figure_by_hand_must_be_on_the_scorecard_and_a_month_must_be_a_month(two_cities):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        enter_city(db, city)
        with pytest.raises(InvalidInput) as unknown:
            figures.record_manual(db, city, kpi="fleet_co2_t", month="2026-03", value=1, actor="t")
        assert "manual_kpis" in unknown.value.message
        with pytest.raises(InvalidInput) as month:
            figures.refresh(db, city, ["2026-13"], actor="test")
        assert month.value.params["month"] == "2026-13"
