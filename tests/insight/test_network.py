"""The learning network: cities opt in to publish chosen KPIs (suppressed under five
cases); the coordinator sees those figures of every city and nothing else."""

from __future__ import annotations

from sqlalchemy import select

from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from civitas.core.tenancy import bind_all_cities
from civitas.insight import scorecard
from civitas.insight.models import KpiValue, NetworkFigure
from civitas.insight.network import comparison, publish
from civitas.web.spreadsheet import read_people_csv
from tests.factories import bearer, session_cookie
from tests.insight.test_scorecard import CARD


def _publish(slug: str, chosen: str, values: dict[str, tuple[float, int]]) -> None:
    with session_scope() as db:
        city = get_city_by_slug(db, slug)
        scorecard.save(
            db, city, text=CARD.replace("publish: [volume, csat_pct]", chosen), actor="test"
        )
        for kpi, (value, n) in values.items():
            db.add(KpiValue(period="2026-05", kpi=kpi, dimension="all", key="", value=value, n=n))
        db.flush()
        publish(db, city, ["2026-05"])


def _network() -> None:
    _publish(
        "trujillo",
        "publish: [volume, csat_pct, nps]",
        {"volume": (240.0, 240), "csat_pct": (81.0, 60), "nps": (30.0, 3), "backlog": (9.0, 9)},
    )
    _publish(
        "musterstadt",
        "publish: [volume]",
        {"volume": (180.0, 180), "csat_pct": (77.0, 50)},
    )


def test_only_chosen_figures_are_published_and_small_cells_are_suppressed(two_cities):
    _network()
    with session_scope() as db:
        data = comparison(db)
    assert [name for _, name in data.cities] == ["Musterstadt", "Trujillo"]
    assert data.values[("volume", "trujillo", "2026-05")] == (240.0, False)
    assert data.values[("volume", "musterstadt", "2026-05")] == (180.0, False)
    assert data.values[("csat_pct", "trujillo", "2026-05")] == (81.0, False)
    assert ("csat_pct", "musterstadt", "2026-05") not in data.values  # not chosen
    assert ("backlog", "trujillo", "2026-05") not in data.values  # not chosen
    assert data.values[("nps", "trujillo", "2026-05")] == (None, True)  # three answers only


def test_a_city_withdraws_a_figure_by_leaving_it_out(two_cities):
    _network()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        scorecard.save(
            db,
            city,
            text=CARD.replace("publish: [volume, csat_pct]", "publish: [volume]"),
            actor="test",
        )
        publish(db, city, ["2026-05"])
    with session_scope() as db:
        bind_all_cities(db)
        left = set(db.scalars(select(NetworkFigure.kpi).where(NetworkFigure.city_id == city.id)))
    assert left == {"volume"}


def test_the_coordinator_sees_the_network_and_nothing_else(client, two_cities):
    _network()
    client.cookies.update(session_cookie(client, "trujillo", "a-networkcoordinator"))
    page = client.get("/trujillo/staff/network?lang=en")
    assert page.status_code == 200
    assert "Musterstadt" in page.text
    assert "Trujillo" in page.text
    assert "suppressed" in page.text  # the NPS of three answers
    exported = client.get("/trujillo/staff/network.csv?lang=en")
    rows = read_people_csv(exported.text)
    assert {(r["City"], r["Code"], r["Value"], r["Withheld (too few cases)"]) for r in rows} == {
        ("Trujillo", "volume", "240", "no"),
        ("Trujillo", "csat_pct", "81", "no"),
        ("Trujillo", "nps", "", "yes"),
        ("Musterstadt", "volume", "180", "no"),
    }
    for path in (
        "/trujillo/staff/insight",
        "/trujillo/staff/scorecard",
        "/trujillo/staff/insight/report.pdf",
        "/trujillo/staff/cases",
        "/trujillo/staff/proactive",
        "/trujillo/staff/users",
    ):
        assert client.get(path).status_code == 403, path
    client.cookies.clear()
    token = bearer(client, "trujillo", "a-networkcoordinator")
    api = client.get("/api/v1/cities/trujillo/requests", headers=token)
    assert api.status_code == 403
    client.cookies.update(session_cookie(client, "trujillo", "a-networkcoordinator"))
    home = client.get("/trujillo/staff")  # the back office offers what the role may open
    assert home.status_code == 200
    assert "/trujillo/staff/network" in home.text
    assert "/trujillo/staff/cases" not in home.text


def test_a_manager_compares_too_but_a_case_worker_does_not(client, two_cities):
    _network()
    client.cookies.update(session_cookie(client, "trujillo", "a-manager"))
    assert client.get("/trujillo/staff/network").status_code == 200
    client.cookies.clear()
    client.cookies.update(session_cookie(client, "trujillo", "a-caseworker"))
    assert client.get("/trujillo/staff/network").status_code == 403
