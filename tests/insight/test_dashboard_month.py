"""Dashboards and the scorecard open on the last complete month; a month that has not
ended says so."""

from __future__ import annotations

from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from civitas.insight import figures
from tests.factories import session_cookie


def test_the_figures_open_on_the_last_complete_month(client, two_cities):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        this, last = figures.current_month(city), figures.last_complete_month(city)
    assert last < this
    client.cookies.update(session_cookie(client, "trujillo", two_cities.a.users["manager"]))
    for path in ("/trujillo/staff/insight", "/trujillo/staff/scorecard"):
        page = client.get(f"{path}?lang=en").text
        assert f'name="month" value="{last}"' in page
        assert 'id="month-open"' not in page
        current = client.get(f"{path}?month={this}&lang=es").text
        assert "Este mes aún no ha terminado" in current
