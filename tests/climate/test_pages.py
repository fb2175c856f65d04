"""The inventory over HTTP: the public report in the city's language with its sources,
the PDF, CSV and JSON downloads, the CLI; the staff's forms with each refusal beside its
field; and Civitas's own figures taken into the year."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from tests.factories import form_token, session_cookie


def _inventory() -> None:
    from civitas.cities.service import get_city_by_slug
    from civitas.climate import inventory
    from civitas.core.db import session_scope

    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        inventory.open_inventory(db, city, 2025)
        inventory.add_activity(
            db,
            city,
            year=2025,
            gpc_ref="I.2.2",
            label="Street lighting",
            quantity=9_500_000,
            unit="kWh",
            factor="grid-pe",
            source="Invoices (test)",
            service="streetlight",
        )
        inventory.set_notation(
            db, city, year=2025, gpc_ref="I.7.1", key="NO", explanation="No mines"
        )
        inventory.set_deposit(
            db, city, year=2020, kind="food", tonnes=100_000, source="Weighbridge (test)"
        )


def test_the_public_report_and_its_downloads(client, two_cities):
    _inventory()
    page = client.get("/trujillo/climate/2025?lang=es")
    assert page.status_code == 200
    assert "Inventario de gases de efecto invernadero 2025" in page.text
    assert "Invoices (test)" in page.text  # each line's data source
    assert "IPCC 2006" in page.text  # and its factor's
    assert "No ocurre" in page.text  # a notation key in words
    assert (
        client.get("/trujillo/climate", follow_redirects=False)
        .headers["location"]
        .startswith("/trujillo/climate/2025")
    )
    assert client.get("/trujillo/climate/2019").status_code == 404
    pdf = client.get("/trujillo/climate/2025.pdf?lang=es")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert 'filename="trujillo-ghg-inventory-2025.pdf"' in pdf.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(client.get("/trujillo/climate/2025.csv").text)))
    lighting = next(r for r in rows if r["gpc_ref"] == "I.2.2")
    assert float(lighting["co2e_t"]) == 1900.0
    assert "grid-pe" in lighting["factors"]
    assert next(r for r in rows if r["gpc_ref"] == "I.7.1")["notation_key"] == "NO"
    body = client.get("/trujillo/climate/2025.json?gwp=AR6").json()
    assert body["gwp"]["set"] == "AR6"
    assert body["services_co2e_t"] == {"streetlight": 1900.0}
    landfill = next(r for r in body["rows"] if r["gpc_ref"] == "III.1.1")
    assert landfill["ch4_t"] > 0  # first-order decay of 2020's food waste
    assert client.get("/trujillo/climate/2025.xls").status_code == 404
    assert client.get("/musterstadt/climate/2025").status_code == 404  # the other city's


def test_staff_forms(client, engine, two_cities):
    from civitas.climate.models import ActivityLine

    _inventory()
    assert client.get("/trujillo/staff/climate", follow_redirects=False).status_code in (303, 401)
    client.cookies.update(session_cookie(client, "trujillo", "a-caseworker"))
    assert client.get("/trujillo/staff/climate").status_code == 403
    client.cookies.update(session_cookie(client, "trujillo", "a-manager"))
    assert client.get("/trujillo/staff/climate?year=2025&lang=es").status_code == 200
    csrf = form_token(client, "/trujillo/staff/climate?lang=en")
    wrong = client.post(
        "/trujillo/staff/climate/lines?lang=en",
        data={
            "csrf": csrf,
            "year": "2025",
            "gpc_ref": "II.1.1",
            "label": "Fleet",
            "quantity": "100",
            "unit": "kWh",
            "factor": "diesel-mobile",
            "source": "",
        },
    )
    assert wrong.status_code == 400
    assert "The factor diesel-mobile is per L: give the quantity in L." in wrong.text
    assert "Say where the figure comes from" in wrong.text
    added = client.post(
        "/trujillo/staff/climate/lines?lang=en",
        data={
            "csrf": csrf,
            "year": "2025",
            "gpc_ref": "II.1.1",
            "label": "Fleet",
            "quantity": "100",
            "unit": "L",
            "factor": "diesel-mobile",
            "source": "Fuel cards",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ActivityLine)).scalar_one() == 2
    bad_csv = client.post(
        "/trujillo/staff/climate/import?lang=en",
        data={"csrf": csrf, "year": "2025"},
        files={
            "file": (
                "fleet.csv",
                b"year,gpc_ref,label,quantity,unit,factor,source\n2025,II.1.1,X,1,L,diesel-mobile,\n",
                "text/csv",
            )
        },
    )
    assert bad_csv.status_code == 400
    assert "fleet.csv:2:source" in bad_csv.text
    factor = client.post(
        "/trujillo/staff/climate/factors?lang=en",
        data={
            "csrf": csrf,
            "code": "grid-pe",
            "label": "Grid 2025",
            "unit": "kWh",
            "co2": "0.18",
            "source": "",
            "valid_from": "2025-01-01",
        },
    )
    assert factor.status_code == 400
    assert "Give the factor&#39;s source" in factor.text
    plan = client.post(
        "/trujillo/staff/climate/plan?lang=en",
        data={
            "csrf": csrf,
            "base_year": "2025",
            "target_year": "2030",
            "reduction_pct": "30",
            "basis": "BASIC",
        },
        follow_redirects=False,
    )
    assert plan.status_code == 303
    assert "The target path" in client.get("/trujillo/climate/2025?lang=en").text


def test_civitas_own_figures_become_lines(engine, two_cities):
    from civitas.cities.service import get_city_by_slug
    from civitas.climate import inventory
    from civitas.core.db import session_scope

    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        inventory.open_inventory(db, city, 2025)
        from civitas.insight.models import KpiValue

        for month, km in (("2025-01", 1000.0), ("2025-02", 1500.0)):
            db.add(
                KpiValue(
                    tenant_id=city.id,
                    kpi="transit_vehicle_km",
                    period=month,
                    dimension="all",
                    key="",
                    value=km,
                    n=10,
                    source="computed",
                )
            )
        db.add(
            KpiValue(
                tenant_id=city.id,
                kpi="recycling_route_km",
                period="2025-02",
                dimension="all",
                key="",
                value=80.0,
                n=3,
                source="computed",
            )
        )
        db.add(
            KpiValue(
                tenant_id=city.id,
                kpi="recycling_degradable_kg",
                period="2024-06",
                dimension="all",
                key="",
                value=50_000.0,
                n=30,
                source="computed",
            )
        )
        db.flush()
        assert inventory.derive(db, city, 2025) == 2
        assert inventory.derive(db, city, 2025) == 2  # again: replaced, not doubled
        found = inventory.report(db, city, 2025)
    buses = next(line for line in found.row("II.1.1").lines if line.factor.code == "diesel-bus-km")
    assert buses.quantity == 2500.0
    assert "vehicle-km of the public transport network" in buses.source
    pickers = next(
        line for line in found.row("II.1.1").lines if line.factor.code == "motocarguero-km"
    )
    assert pickers.quantity == 80.0
    assert found.memo["avoided_ch4_t"] > 0  # 2024's paper would rot in 2025
