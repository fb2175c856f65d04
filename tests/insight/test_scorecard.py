"""The balanced scorecard: checked with line-numbered problems, saved in versions valid
from a month, lights and trends per month, its pages, CSV and the monthly PDF."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.core.errors import InvalidInput
from civitas.core.kpis import catalogue
from civitas.insight import figures, scorecard
from civitas.insight.models import KpiValue, ScorecardVersion
from civitas.web.spreadsheet import people_csv, read_people_csv
from tests.factories import form_token, session_cookie
from tests.test_cli import civitas

CARD = """\
valid_from: "2026-01"
manual_kpis:
  - code: fleet_co2_t
    name: {en: CO₂ of the fleet (t)}
    unit: tonnes
    better: down
objectives:
  - code: satisfied
    perspective: residents
    title: {en: Satisfied residents}
    measures:
      - {kpi: csat_pct, target: 80, amber: 70}
  - code: climate
    perspective: climate
    title: {en: Protect the climate}
    measures:
      - {kpi: fleet_co2_t, target: 40, amber: 48}
publish: [volume, csat_pct]
"""


def _sign_in(client, username: str) -> None:
    client.cookies.clear()
    client.cookies.update(session_cookie(client, "trujillo", username))


def _store(db, city, month: str, kpi: str, value: float, n: int = 50) -> None:
    db.add(KpiValue(period=month, kpi=kpi, dimension="all", key="", value=value, n=n))


def test_problems_are_named_with_their_line(two_cities):
    broken = CARD.replace(
        "kpi: csat_pct, target: 80, amber: 70", "kpi: csat, target: 80, amber: 90"
    )
    broken = broken.replace("target: 40, amber: 48", "target: 40, amber: 30")
    broken = broken.replace("publish: [volume, csat_pct]", "publish: [volume, nothing]")
    with pytest.raises(InvalidInput) as refused:
        scorecard.check(broken)
    where = [(p.location, p.message) for p in refused.value.problems]
    assert where[0][0] == "line 12: objectives[0].measures[0].kpi"
    assert "There is no KPI" in where[0][1]
    assert where[1][0] == "line 17: objectives[1].measures[0].amber"
    assert "Less is better" in where[1][1]
    assert where[2][0].startswith("line 18: publish")
    assert refused.value.params["count"] == 3
    with pytest.raises(InvalidInput) as shape:
        scorecard.check(CARD.replace("perspective: climate", "perspective: weather"))
    assert shape.value.problems[0].location.startswith("line 14: objectives[1].perspective")
    with pytest.raises(InvalidInput) as volume:  # no better direction: no target
        scorecard.check(CARD.replace("kpi: csat_pct,", "kpi: volume,"))
    assert "no better direction" in volume.value.problems[0].message


def test_lights_trends_and_each_month_judged_by_the_targets_it_had(two_cities):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        scorecard.save(db, city, text=CARD, actor="test")
        # from May the target is 90: April stays judged by 80
        scorecard.save(
            db,
            city,
            text=CARD.replace('"2026-01"', '"2026-05"').replace("target: 80", "target: 90"),
            actor="test",
        )
        for month, value in (("2026-03", 65.0), ("2026-04", 82.0), ("2026-05", 85.0)):
            _store(db, city, month, "csat_pct", value)
        _store(db, city, "2026-05", "fleet_co2_t", 39.0, n=1)
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        view = scorecard.view(db, city, "2026-05", months=3)
    csat = view[0].measures[0]
    assert [(p.month, p.light, p.target) for p in csat.history] == [
        ("2026-03", "red", 80.0),
        ("2026-04", "green", 80.0),
        ("2026-05", "amber", 90.0),
    ]
    assert (csat.value, csat.light, csat.trend, csat.previous) == (85.0, "amber", "better", 82.0)
    co2 = view[1].measures[0]
    assert (co2.value, co2.light, co2.kpi.title("en")) == (39.0, "green", "CO₂ of the fleet (t)")
    assert [p.light for p in co2.history] == ["none", "none", "green"]


def test_saving_the_same_text_again_makes_no_new_version(two_cities):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        first = scorecard.save(db, city, text=CARD, actor="test").version
        again = scorecard.save(db, city, text=CARD, actor="test").version
        assert first == again == 1
        enter_city(db, city)
        assert len(db.scalars(select(ScorecardVersion)).all()) == 1


def test_the_editor_refuses_with_the_line_and_saves_a_version(client, two_cities):
    _sign_in(client, "a-administrator")
    page = client.get("/trujillo/staff/scorecard/edit?lang=en")
    assert page.status_code == 200
    assert "valid_from" in page.text  # an example to start from
    token = form_token(client, "/trujillo/staff/scorecard/edit?lang=en")
    bad = client.post(
        "/trujillo/staff/scorecard/edit?lang=en",
        data={"csrf": token, "text": CARD.replace("csat_pct, target", "csat, target")},
    )
    assert bad.status_code == 422
    assert "line 12: objectives[0].measures[0].kpi" in bad.text
    good = client.post(
        "/trujillo/staff/scorecard/edit?lang=en",
        data={"csrf": token, "text": CARD},
        follow_redirects=False,
    )
    assert good.status_code == 303
    assert "saved=1" in good.headers["location"]
    _sign_in(client, "a-manager")
    refused = client.get("/trujillo/staff/scorecard/edit?lang=en")
    assert refused.status_code == 403  # managers read the scorecard; administrators write it


def test_figures_by_hand_through_the_page(client, two_cities):
    with session_scope() as db:
        scorecard.save(db, get_city_by_slug(db, "trujillo"), text=CARD, actor="test")
    _sign_in(client, "a-administrator")
    path = "/trujillo/staff/scorecard?month=2026-05&lang=en"
    token = form_token(client, path)
    wrong = client.post(
        "/trujillo/staff/scorecard/figures?lang=en",
        data={"csrf": token, "kpi": "fleet_co2_t", "month": "2026-05", "value": "lots"},
    )
    assert wrong.status_code == 422
    assert "Enter the figure as a number" in wrong.text
    ok = client.post(
        "/trujillo/staff/scorecard/figures?lang=en",
        data={"csrf": token, "kpi": "fleet_co2_t", "month": "2026-05", "value": "39,5"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        shown = {f.kpi.code: f.value for f in figures.figures(db, city, "2026-05")}
    assert shown["fleet_co2_t"] == 39.5
    page = client.get(path)
    assert "CO₂ of the fleet (t)" in page.text
    assert "on target" in page.text


def test_dashboard_csv_and_pdf(client, two_cities):
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        scorecard.save(db, city, text=CARD, actor="test")
        _store(db, city, "2026-05", "csat_pct", 85.0)
        _store(db, city, "2026-05", "volume", 120.0)
    _sign_in(client, "a-manager")
    page = client.get("/trujillo/staff/insight?month=2026-05&lang=en")
    assert page.status_code == 200
    assert "Satisfaction, CSAT (%)" in page.text
    assert "data-vega-spec" in page.text  # the chart, and its table and summary beside it
    assert "The figures as a table" in page.text
    exported = client.get("/trujillo/staff/insight/figures.csv?month=2026-05&lang=en")
    rows = read_people_csv(exported.text)
    assert {(r["Code"], r["Value"], r["Unit"]) for r in rows} == {
        ("csat_pct", "85", "percent"),
        ("volume", "120", "number"),
    }
    card = client.get("/trujillo/staff/scorecard.csv?month=2026-05&lang=es")
    assert card.text.startswith("\ufeffMes,")  # Peru writes 85.5: the comma separates
    lines = read_people_csv(card.text)
    assert {"Mes": "2026-05", "Código": "csat_pct", "Estado": "en la meta"}.items() <= next(
        r for r in lines if r["Código"] == "csat_pct" and r["Mes"] == "2026-05"
    ).items()
    pdf = client.get("/trujillo/staff/insight/report.pdf?month=2026-05&lang=es")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert pdf.content.rstrip().endswith(b"%%EOF")
    # downloaded under its name, not opened as "report.pdf"
    assert (
        pdf.headers["content-disposition"] == 'attachment; filename="trujillo-report-2026-05.pdf"'
    )


def test_a_csv_for_people_follows_the_readers_locale():
    """German spreadsheets read 26,6 as a number only with a semicolon between cells."""
    made = people_csv(
        "x.csv",
        ["Monat", "Wert", "Anteil"],
        [["2026-05", 62006, 26.6], ["2026-06", None, 1.25]],
        locale="de_DE",
    )
    assert made.body.decode().splitlines() == [
        "\ufeffMonat;Wert;Anteil",
        "2026-05;62006;26,6",
        "2026-06;;1,25",
    ]
    assert read_people_csv(made.body.decode())[0] == {
        "Monat": "2026-05",
        "Wert": "62006",
        "Anteil": "26,6",
    }


def test_the_report_html_carries_each_charts_text_alternative(two_cities):
    from civitas.insight.web.monthly_pdf import monthly_html

    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        scorecard.save(db, city, text=CARD, actor="test")
        _store(db, city, "2026-05", "csat_pct", 85.0)
        html = monthly_html(db, city, "2026-05", "es")
    assert "Informe mensual" in html
    assert "Satisfacción, CSAT (%) en 12 meses; 85% en 2026-05." in html  # as Peru writes it
    assert html.count("data:image/svg+xml;base64,") == 4
    import weasyprint

    laid_out = weasyprint.HTML(string=html).render()
    assert len(laid_out.pages) >= 2  # figures and scorecard, then the four charts


def test_cli_prints_the_kpis_as_csv_and_json(two_cities):
    import json
    from datetime import datetime
    from zoneinfo import ZoneInfo

    # the world's one request is filed now: this month, in the city's time zone
    month = datetime.now(ZoneInfo("America/Lima")).strftime("%Y-%m")
    out = civitas("insight", "kpis", "--city", "trujillo", "--period", month, "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["period"] == month
    codes = {k["kpi"] for k in data["kpis"]}
    assert codes <= set(catalogue())
    assert "volume" in codes
    as_csv = civitas("insight", "kpis", "--city", "trujillo", "--period", month)
    assert as_csv.stdout.splitlines()[0] == "period,kpi,dimension,key,value,n,unit"
    wrong = civitas("insight", "kpis", "--city", "trujillo", "--period", "11/2026")
    assert wrong.returncode == 1
    assert "is not a month" in wrong.stderr


def test_cli_loads_a_scorecard_and_refuses_a_broken_one(two_cities, tmp_path):
    good = tmp_path / "card.yaml"
    good.write_text(CARD, encoding="utf-8")
    saved = civitas("insight", "load-scorecard", str(good), "--city", "trujillo")
    assert saved.returncode == 0, saved.stderr
    assert "scorecard saved as version 1" in saved.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(CARD.replace("csat_pct, target", "csat, target"), encoding="utf-8")
    refused = civitas("insight", "load-scorecard", str(broken), "--city", "trujillo")
    assert refused.returncode == 1
    assert "line 12: objectives[0].measures[0].kpi" in refused.stderr
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        assert scorecard.published_kpis(db, city) == ["volume", "csat_pct"]


def test_figures_are_written_as_the_readers_locale_writes_them():
    from civitas.insight.charts import fmt

    assert fmt(26.64, "percent", "de_DE") == "26,6\u00a0%"
    assert fmt(62006, "", "de_DE") == "62.006"
    assert fmt(26.64, "percent", "en") == "26.6%"
    assert fmt(62006, "", "en") == "62,006"
    assert fmt(3.25, "", "es_PE") == "3.2"  # Peru writes a decimal point
    # money with the city's currency where the page knows it
    assert fmt(15484, "money", "es_PE", "PEN") == "S/\u00a015,484.00"
    assert fmt(46.5, "money", "de_DE", "EUR") == "46,50\u00a0€"
    assert fmt(46.5, "money", "de_DE") == "46,5"
    assert fmt(None) == "–"
