"""The inventory: GWP sets, the default factors against their published constants,
first-order decay against a hand computation, the GPC totals (BASIC, BASIC+, the grid
counted once), notation keys and missing rows, and every refusal named by its field."""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml

from civitas.climate import fod, gpc
from civitas.climate.gwp import SETS, co2e_t
from civitas.climate.inventory import DEFAULTS
from civitas.core.errors import InvalidInput


def test_gwp_sets():
    assert co2e_t(SETS["AR5"], 1, 1, 1) == 1 + 28 + 265
    assert co2e_t(SETS["AR6"], 1, 1, 1) == pytest.approx(1 + 27.0 + 273)
    assert co2e_t(SETS["AR4"], 0, 2, 0) == 50
    assert co2e_t(SETS["AR6"], 0, 1, 0, fossil_ch4=True) == pytest.approx(29.8)


@pytest.mark.parametrize(
    ("code", "per_tj", "energy_tj"),
    [
        # kg of each gas per TJ (IPCC 2006 Vol. 2) and TJ per unit (NCV × density)
        ("diesel-mobile", (74_100, 3.9, 3.9), 0.84 * 43.0e-6),
        ("gasoline-mobile", (69_300, 33, 3.2), 0.74 * 44.3e-6),
        ("lpg-stationary", (63_100, 5, 0.1), 47.3e-6),
        ("natural-gas-stationary", (56_100, 5, 0.1), 0.75 * 48.0e-6),
    ],
)
def test_default_fuel_factors_follow_from_the_ipcc_constants(code, per_tj, energy_tj):
    factors = {f["code"]: f for f in yaml.safe_load(DEFAULTS.read_text())["factors"]}
    found = factors[code]
    for gas, value in zip(("co2", "ch4", "n2o"), per_tj, strict=True):
        assert found[gas] == pytest.approx(value * energy_tj, rel=1e-4), gas
    assert "IPCC 2006" in found["source"]


def test_every_default_factor_has_a_source_a_date_and_a_known_unit():
    from civitas.climate.inventory import UNITS, builtin_factors

    for factor in builtin_factors():
        assert factor.source.strip()
        assert factor.valid_from.year >= 2000
        assert factor.unit in UNITS


def test_first_order_decay_against_a_hand_computation():
    site = fod.Site("tropical_dry", mcf=1.0, ox=0.0)
    # 1000 t paper in 2020: DDOCm = 1000·0.40·0.5·1.0 = 200 t C; k = 0.045
    series = fod.ch4_series({2020: {"paper": 1000}}, range(2020, 2023), site)
    assert series[2020] == 0.0  # decay starts the year after
    decayed_2021 = 200 * (1 - math.exp(-0.045))
    assert series[2021] == pytest.approx(decayed_2021 * 0.5 * 16 / 12, abs=1e-9)
    left = 200 - decayed_2021
    assert series[2022] == pytest.approx(left * (1 - math.exp(-0.045)) * 0.5 * 16 / 12, abs=1e-9)
    # oxidation in the cover and recovered gas
    covered = fod.ch4_series(
        {2020: {"paper": 1000}}, range(2021, 2022), fod.Site("tropical_dry", 1.0, 0.1), {2021: 1.0}
    )
    assert covered[2021] == pytest.approx((decayed_2021 * 0.5 * 16 / 12 - 1.0) * 0.9, abs=1e-9)
    # over all the years it tends to the committed emissions
    long = fod.ch4_series({2020: {"paper": 1000}}, range(2020, 2600), site)
    assert sum(long.values()) == pytest.approx(fod.committed_ch4({"paper": 1000}, site), rel=1e-6)
    assert fod.ch4_series({2020: {"plastics": 1000}}, range(2021, 2022), site)[2021] == 0.0


def test_the_gpc_table():
    assert len({r.ref for r in gpc.ROWS}) == len(gpc.ROWS)
    assert gpc.BY_REF["I.1.2"].scope == 2
    assert gpc.in_basis(gpc.BY_REF["III.1.2"], "BASIC")  # waste treated outside: BASIC, scope 3
    assert not gpc.in_basis(gpc.BY_REF["II.1.3"], "BASIC")
    assert gpc.in_basis(gpc.BY_REF["II.1.3"], "BASIC+")
    assert not gpc.in_basis(gpc.BY_REF["I.4.4"], "BASIC+")  # counted where it is used
    assert {r.ref for r in gpc.ROWS if r.scope == 2} == gpc.GRID_ROWS


def _city(db):
    from civitas.cities.service import get_city_by_slug

    return get_city_by_slug(db, "trujillo")


def test_an_inventory_with_its_totals_and_traces(engine, two_cities):
    from civitas.climate import inventory
    from civitas.core.db import session_scope

    with session_scope() as db:
        city = _city(db)
        inventory.open_inventory(db, city, 2025)
        inventory.add_activity(
            db,
            city,
            year=2025,
            gpc_ref="I.1.2",
            label="Homes",
            quantity=1_000_000,
            unit="kWh",
            factor="grid-pe",
            source="Utility (test)",
        )
        inventory.add_activity(
            db,
            city,
            year=2025,
            gpc_ref="II.1.1",
            label="Diesel",
            quantity=10_000,
            unit="L",
            factor="diesel-mobile",
            source="Fuel sales (test)",
            service="pothole",
        )
        inventory.add_activity(
            db,
            city,
            year=2025,
            gpc_ref="II.1.3",
            label="Flights out",
            quantity=5_000,
            unit="L",
            factor="diesel-mobile",
            source="Airport (test)",
        )
        inventory.add_activity(
            db,
            city,
            year=2025,
            gpc_ref="I.4.4",
            label="Plant for the grid",
            quantity=1_000,
            unit="m3",
            factor="natural-gas-stationary",
            source="Plant (test)",
        )
        inventory.set_notation(
            db, city, year=2025, gpc_ref="I.7.1", key="NO", explanation="No mines"
        )
        found = inventory.report(db, city, 2025)
        ar6 = inventory.report(db, city, 2025, gwp="AR6")
    homes = 1_000_000 * 0.2 / 1000
    diesel = 10_000 * (2.67649 + 0.00014087 * 28 + 0.00014087 * 265) / 1000
    flights = 5_000 * (2.67649 + 0.00014087 * 28 + 0.00014087 * 265) / 1000
    assert found.row("I.1.2").co2e_t == pytest.approx(homes)
    assert found.totals["BASIC"] == pytest.approx(homes + diesel)
    assert found.totals["BASIC+"] == pytest.approx(homes + diesel + flights)
    assert found.row("I.4.4").co2e_t > 0  # reported, in no total
    assert found.by_scope[2] == pytest.approx(homes)
    assert found.services == {"pothole": pytest.approx(diesel)}
    assert found.row("I.7.1").notation == ("NO", "No mines")
    assert "I.7.1" not in found.missing
    assert "I.1.1" in found.missing
    line = found.row("II.1.1").lines[0]
    assert (line.factor.code, line.source) == ("diesel-mobile", "Fuel sales (test)")
    assert "IPCC 2006" in line.factor.source
    # another GWP set changes CO2e from the same gases, never the gases
    assert ar6.row("II.1.1").co2_t == found.row("II.1.1").co2_t
    assert ar6.row("II.1.1").co2e_t != found.row("II.1.1").co2e_t
    assert ar6.gwp.code == "AR6"


def test_refusals_name_the_field_and_store_nothing(engine, two_cities):
    from sqlalchemy import func, select

    from civitas.climate import inventory
    from civitas.climate.models import ActivityLine, Factor
    from civitas.core.db import session_scope

    cases: list[tuple[dict[str, Any], str]] = [
        ({"source": ""}, "source"),
        ({"unit": "kWh"}, "unit"),  # the factor is per litre
        ({"factor": "no-such"}, "factor"),
        ({"gpc_ref": "IX.9"}, "gpc_ref"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        (
            {"gpc_ref": "I.1.1", "factor": "grid-pe", "unit": "kWh"},
            "gpc_ref",
        ),  # grid power is scope 2
    ]
    with session_scope() as db:
        city = _city(db)
        inventory.open_inventory(db, city, 2025)
    for change, field in cases:
        data: dict[str, Any] = {
            "year": 2025,
            "gpc_ref": "II.1.1",
            "label": "Diesel",
            "quantity": 10,
            "unit": "L",
            "factor": "diesel-mobile",
            "source": "x",
        }
        data.update(change)
        with session_scope() as db:
            with pytest.raises(InvalidInput) as refused:
                inventory.add_activity(db, _city(db), **data)
            assert field in [p.location for p in refused.value.problems], (
                change,
                refused.value.problems,
            )
    from datetime import date

    with session_scope() as db:
        with pytest.raises(InvalidInput) as no_source:
            inventory.add_factor(
                db,
                _city(db),
                code="x",
                label="X",
                unit="L",
                co2=1,
                source=" ",
                valid_from=date(2025, 1, 1),
            )
        assert [p.location for p in no_source.value.problems] == ["source"]
    with session_scope() as db:
        with pytest.raises(InvalidInput) as wrong_unit:
            inventory.add_factor(
                db,
                _city(db),
                code="diesel-mobile",
                label="X",
                unit="kWh",
                co2=1,
                source="s",
                valid_from=date(2025, 1, 1),
            )
        assert [p.location for p in wrong_unit.value.problems] == ["unit"]
    with session_scope() as db:
        city = _city(db)
        with pytest.raises(InvalidInput):
            inventory.set_notation(db, city, year=2025, gpc_ref="I.3.1", key="C", explanation="")
        with pytest.raises(InvalidInput):
            inventory.open_inventory(db, city, 2026, gwp="AR9")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ActivityLine)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(Factor)).scalar_one() == 0


CSV = (
    "year,gpc_ref,label,quantity,unit,factor,source,service,month\n"
    "2025,II.1.1,Fleet diesel,1200,L,diesel-mobile,Fuel cards,pothole,3\n"
    "2025,I.2.2,Library,300,kWh,grid-pe,Invoices,,\n"
)


def test_csv_import_whole_or_nothing(engine, two_cities):
    from sqlalchemy import func, select

    from civitas.climate import data_in
    from civitas.climate.models import ActivityLine
    from civitas.core.db import session_scope

    bad = CSV.replace("1200,L", "1200,kWh").replace("Invoices", "")
    with session_scope() as db:
        with pytest.raises(InvalidInput) as refused:
            data_in.import_csv(db, _city(db), bad, filename="fleet.csv")
        assert [p.location for p in refused.value.problems] == [
            "fleet.csv:2:unit",
            "fleet.csv:3:source",
        ]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ActivityLine)).scalar_one() == 0
    with session_scope() as db:
        with pytest.raises(InvalidInput) as columns:
            data_in.import_csv(db, _city(db), "year,label\n2025,x\n", filename="x.csv")
        assert columns.value.problems[0].location == "x.csv:1"
    with session_scope() as db:
        assert data_in.import_csv(db, _city(db), CSV, filename="fleet.csv") == 2
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ActivityLine)).scalar_one() == 2


def test_service_emissions_of_a_month_as_a_kpi(engine, two_cities):
    from civitas.climate import inventory
    from civitas.climate.kpis import compute
    from civitas.core.db import session_scope
    from civitas.core.kpis import Period

    with session_scope() as db:
        city = _city(db)
        inventory.open_inventory(db, city, 2025)
        inventory.add_activity(
            db,
            city,
            year=2025,
            gpc_ref="I.2.2",
            label="Lights",
            quantity=12_000,
            unit="kWh",
            factor="grid-pe",
            source="Invoices",
            service="streetlight",
        )
        inventory.add_activity(
            db,
            city,
            year=2025,
            gpc_ref="II.1.1",
            label="Truck",
            quantity=1_000,
            unit="L",
            factor="diesel-mobile",
            source="Cards",
            service="pothole",
            month=6,
        )
        city_id, zone = city.id, city.timezone
    with engine.connect() as conn:
        march = {(c.kpi, c.key): c for c in compute(conn, city_id, Period.of("2025-03", zone))}
        june = {(c.kpi, c.key): c for c in compute(conn, city_id, Period.of("2025-06", zone))}
        none = list(compute(conn, city_id, Period.of("2024-07", zone)))
    lights_march = 12_000 / 12 * 0.2 / 1000
    assert march[("climate_services_co2e_t", "streetlight")].value == pytest.approx(
        lights_march, abs=0.01
    )
    assert ("climate_services_co2e_t", "pothole") not in march  # June's line: not in March
    truck = 1_000 * (2.67649 + 0.00014087 * (28 + 265)) / 1000
    assert june[("climate_services_co2e_t", "pothole")].value == pytest.approx(truck, abs=0.01)
    assert none == []
