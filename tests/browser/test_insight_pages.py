"""The figures in a browser: the dashboard's and the scorecard's Vega-Lite charts render
under the Content-Security-Policy (no eval), every page passes axe-core, and the network
view compares the two cities."""

from __future__ import annotations

from playwright.sync_api import expect

from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from civitas.insight import scorecard
from civitas.insight.models import KpiValue
from civitas.insight.network import publish
from tests.insight.test_scorecard import CARD

MONTHS = ["2026-03", "2026-04", "2026-05"]


def _figures() -> None:
    for slug, base in (("trujillo", 70.0), ("musterstadt", 76.0)):
        with session_scope() as db:
            city = get_city_by_slug(db, slug)
            scorecard.save(db, city, text=CARD, actor="test")
            for i, month in enumerate(MONTHS):
                for kpi, value in (("csat_pct", base + 5 * i), ("volume", 100.0 + i)):
                    db.add(
                        KpiValue(period=month, kpi=kpi, dimension="all", key="", value=value, n=40)
                    )
                db.add(
                    KpiValue(
                        period=month, kpi="volume", dimension="channel", key="web", value=60, n=60
                    )
                )
            db.flush()
            publish(db, city, MONTHS)


def test_dashboard_scorecard_and_network_render_their_charts(pages, two_cities):
    _figures()
    page = pages.staff("a-manager")
    page.goto("/trujillo/staff/insight?month=2026-05&lang=en")
    expect(page.locator(".vega[data-rendered]")).to_have_count(4)
    assert page.locator(".vega svg").count() == 4  # drawn by vega-embed, not an error
    assert page.locator("[data-error]").count() == 0
    pages.check(page, "dashboard")
    page.get_by_role("link", name="by channel").click()
    page.wait_for_url("**dimension=channel**")
    assert "Web form" in page.locator("table.figures").last.inner_text()
    pages.check(page, "dashboard-by-channel")

    page.goto("/trujillo/staff/scorecard?month=2026-05&lang=en")
    row = page.locator("table.scorecard tr", has_text="Satisfaction, CSAT (%)")
    assert "80%" in row.inner_text()  # English writes the sign close
    assert row.locator(".light--green").count() == 1  # 80 against a target of 80
    assert row.locator(".trend--better").count() == 1
    page.get_by_text("Trend charts: Satisfied residents").click()
    expect(page.locator("#m-satisfied-csat_pct[data-rendered]")).to_have_count(1)
    pages.check(page, "scorecard")

    page.goto("/trujillo/staff/network?lang=en")
    table = page.locator("table.figures").first.inner_text()
    assert "Musterstadt" in table
    assert "Trujillo" in table
    expect(page.locator(".vega[data-rendered]")).to_have_count(2)
    pages.check(page, "network")


def test_the_scorecard_editor_and_open_data_are_accessible(pages, two_cities):
    page = pages.staff("a-administrator")
    page.goto("/trujillo/staff/scorecard/edit?lang=en")
    page.get_by_label("The scorecard (YAML)").fill(CARD.replace("csat_pct, target", "csat, target"))
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-summary")).to_be_focused()
    assert "line 12" in page.locator("#error-summary").inner_text()
    pages.check(page, "scorecard-edit-error")
    resident = pages.new()
    resident.goto("/trujillo/open-data?lang=es")
    assert resident.locator("h1").inner_text() == "Datos abiertos"
    pages.check(resident, "open-data")
