"""The day's plan, a picker's stops (offline resends included), drop-outs, sales traced to
pickups and the pickers' income."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civitas.cases.models import RequestNote, ServiceRequest
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from civitas.core.errors import Conflict, InvalidInput, PermissionDenied
from civitas.recycling import planning, service
from civitas.recycling.models import Allocation, CollectedWeight, Pickup, Sale
from civitas.recycling.schemas import SaleCreate, SaleLineIn, StopRecord
from tests.recycling.helpers import pickup_form, programme

URL = "/open311/v2/requests.json"
SPOTS = [
    (-8.100, -79.020),
    (-8.105, -79.025),
    (-8.110, -79.030),
    (-8.115, -79.035),
    (-8.120, -79.040),
    (-8.102, -79.038),
    (-8.118, -79.015),
    (-8.108, -79.012),
]


def filed(client, world, day, n=8, kg="20"):
    for i in range(n):
        lat, lon = SPOTS[i % len(SPOTS)]
        r = client.post(
            URL,
            data=pickup_form(
                world,
                day,
                lat=str(lat),
                long=str(lon),
                email=f"h{i}@example.org",
                **{
                    "attribute[weight_kg]": kg,
                    "attribute[time_window]": ("morning", "midday", "afternoon")[i % 3],
                },
            ),
        )
        assert r.status_code == 200, r.text


def planned(engine, prog, **kwargs):
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        run = planning.make_plan(db, city, day=prog.day, actor="test", now=prog.now, **kwargs)
        return run.version, run.stats


def test_the_plan_serves_everyone_within_windows_and_capacity(client, engine, two_cities):
    prog = programme(engine)
    filed(client, two_cities, prog.day)
    version, stats = planned(engine, prog)
    assert version == 1
    assert stats["assigned"] == 8
    assert stats["unassigned"] == []
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        pickups = service.pickups_of_day(db, city, day=prog.day)
        names = {p.id: p.code for p in service.pickers(db, city)}
        assert {names.get(p.picker_id or 0) for p in pickups} <= {"rosa", "juan"}  # ana: unverified
        for p in pickups:
            assert p.status == "planned"
            assert p.eta_start is not None
            assert p.window_start <= p.eta_start <= p.window_end
        for picker in service.pickers(db, city):
            load = sum(p.estimated_g for p in pickups if p.picker_id == picker.id)
            assert load <= picker.capacity_kg * 1000 or picker.code in ("rosa", "juan")
            route = [p.sequence or 0 for p in pickups if p.picker_id == picker.id]
            assert sorted(route) == list(range(1, len(route) + 1))
        # each resident is told the arrival window, in a public note
        notes = db.scalars(select(RequestNote).where(RequestNote.public.is_(True))).all()
        assert sum("Your pickup is planned" in n.text or "recojo" in n.text for n in notes) == 8
        statuses = db.scalars(
            select(ServiceRequest.status).join(Pickup, Pickup.request_id == ServiceRequest.id)
        )
        assert set(statuses) == {"in_progress"}
    again, _ = planned(engine, prog)
    assert again == 2  # a new version; the first stays


def test_more_than_the_vehicles_carry_is_left_unplanned_and_reported(client, engine, two_cities):
    prog = programme(engine)
    filed(client, two_cities, prog.day, n=8, kg="250")  # 2 000 kg for 2 x 150 kg (+ unloading)
    _, stats = planned(engine, prog)
    assert stats["unassigned"], stats
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        states = {p.status for p in service.pickups_of_day(db, city, day=prog.day)}
        assert "unplanned" in states


def record(engine, picker_code, pickup_id, key, **data):
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        picker = service.get_picker(db, city, code=picker_code)
        pickup = service.record_stop(
            db, city, picker=picker, data=StopRecord(pickup_id=pickup_id, client_key=key, **data)
        )
        return pickup.status


def route(engine, code, day):
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        picker = service.get_picker(db, city, code=code)
        return [p.id for p in service.route_of(db, city, picker=picker, day=day)]


def test_a_stop_is_recorded_once_even_when_the_phone_sends_it_twice(client, engine, two_cities):
    prog = programme(engine)
    filed(client, two_cities, prog.day, n=4)
    planned(engine, prog)
    stops = route(engine, "rosa", prog.day) or route(engine, "juan", prog.day)
    owner = "rosa" if route(engine, "rosa", prog.day) else "juan"
    other = "juan" if owner == "rosa" else "rosa"
    weights = {"paper": 7.5, "pet": 3.25}
    assert (
        record(engine, owner, stops[0], "k-0001-abcd", outcome="collected", weights_kg=weights)
        == "collected"
    )
    # the offline queue sends it again: nothing new
    assert (
        record(engine, owner, stops[0], "k-0001-abcd", outcome="collected", weights_kg=weights)
        == "collected"
    )
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        grams = db.scalars(select(CollectedWeight.weight_g)).all()
        assert sorted(grams) == [3250, 7500]
        request = db.scalar(
            select(ServiceRequest)
            .join(Pickup, Pickup.request_id == ServiceRequest.id)
            .where(Pickup.id == stops[0])
        )
        assert request.status == "resolved"
    with pytest.raises(Conflict):
        record(engine, owner, stops[0], "k-0002-abcd", outcome="not_found")
    with pytest.raises(PermissionDenied):
        record(engine, other, stops[1], "k-0003-abcd", outcome="not_found")
    with pytest.raises(PermissionDenied):
        record(engine, "ana", stops[1], "k-0004-abcd", outcome="not_found")


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"paper": -2}, "A weight cannot be negative."),
        ({"paper": 900}, "more than your vehicle carries"),
        ({"gold": 1}, "There is no material 'gold'."),
        ({}, "Enter the weight of at least one material"),
    ],
)
def test_bad_weights_are_refused_and_nothing_is_kept(client, engine, two_cities, weights, message):
    prog = programme(engine)
    filed(client, two_cities, prog.day, n=2)
    planned(engine, prog)
    owner = "rosa" if route(engine, "rosa", prog.day) else "juan"
    stop = route(engine, owner, prog.day)[0]
    with pytest.raises(InvalidInput) as refused:
        record(engine, owner, stop, "k-bad-0001", outcome="collected", weights_kg=weights)
    assert any(message in p.message.format(**p.params) for p in refused.value.problems)
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        assert db.scalar(select(func.count()).select_from(CollectedWeight)) == 0
        assert db.get(Pickup, stop).status == "planned"


def test_a_picker_who_drops_out_hands_on_what_is_left(client, engine, two_cities):
    prog = programme(engine)
    filed(client, two_cities, prog.day, n=6, kg="10")
    planned(engine, prog)
    rosa, juan = route(engine, "rosa", prog.day), route(engine, "juan", prog.day)
    leaving, staying = ("rosa", "juan") if rosa else ("juan", "rosa")
    stops = rosa or juan
    record(engine, leaving, stops[0], "k-done-0001", outcome="collected", weights_kg={"pet": 4})
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        picker = service.get_picker(db, city, code=leaving)
        run = planning.drop_out(
            db,
            city,
            picker=picker,
            day=prog.day,
            reason="ill",
            actor="test",
            now=prog.now + timedelta(hours=15),
            time_limit=1,
        )
        assert run.version == 2
        assert run.stats["assigned"] == 5
        assert picker.id not in run.pickers
    assert route(engine, leaving, prog.day) == [stops[0]]  # the collected stop stays theirs
    assert set(stops[1:]) <= set(route(engine, staying, prog.day))
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        leaver = service.get_picker(db, city, code=leaving)
        with pytest.raises(Conflict):
            planning.drop_out(
                db, city, picker=leaver, day=prog.day, reason="again", actor="test", now=prog.now
            )


def collect_everything(client, engine, two_cities, prog):
    filed(client, two_cities, prog.day, n=4, kg="10")
    planned(engine, prog)
    for code in ("rosa", "juan"):
        for i, stop in enumerate(route(engine, code, prog.day)):
            record(
                engine,
                code,
                stop,
                f"k-{code}-{i:04d}",
                outcome="collected",
                weights_kg={"pet": 5, "paper": 2},
            )


def sell(engine, **data):
    with session_scope(engine) as db:
        sale = service.record_sale(
            db, get_city_by_slug(db, "trujillo"), actor="test", data=SaleCreate(**data)
        )
        return sale.id, sale.total_minor


def test_a_sale_is_traced_to_its_pickups_and_paid_to_their_pickers(client, engine, two_cities):
    prog = programme(engine)
    collect_everything(client, engine, two_cities, prog)
    sale_id, total = sell(
        engine,
        buyer="reciplast",
        association="asoc",
        lines=[SaleLineIn(material="pet", weight_kg=12)],
        client_key="sale-0001-x",
    )
    assert total == 12 * 130  # the buyer's published price
    again = sell(
        engine,
        buyer="reciplast",
        association="asoc",
        lines=[SaleLineIn(material="pet", weight_kg=12)],
        client_key="sale-0001-x",
    )
    assert again == (sale_id, total)  # the same form sent twice
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        trace = service.trace(db, city, sale_id=sale_id)
        assert sum(t["weight_g"] for t in trace) == 12_000
        assert sum(t["amount_minor"] for t in trace) == total
        assert all(t["material"] == "pet" for t in trace)
        assert db.scalar(select(func.count()).select_from(Sale)) == 1
        earned = [
            service.income(db, city, picker=p, on=prog.day + timedelta(days=40)).month_minor
            for p in service.pickers(db, city)
        ]
        assert sum(earned) == 0  # the sale was made now, not in that month
        now_month = [
            service.income(db, city, picker=p, on=utcnow().date()).month_minor
            for p in service.pickers(db, city)
        ]
        assert sum(now_month) == total


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "buyer": "reciplast",
                "picker": "rosa",
                "lines": [SaleLineIn(material="pet", weight_kg=500)],
            },
            "were collected and not yet sold",
        ),
        (
            {
                "buyer": "reciplast",
                "picker": "ana",
                "lines": [SaleLineIn(material="pet", weight_kg=1)],
            },
            "is not a verified picker",
        ),
        (
            {
                "buyer": "reciplast",
                "picker": "rosa",
                "lines": [SaleLineIn(material="glass", weight_kg=1)],
            },
            "publishes no price for glass",
        ),
        (
            {
                "buyer": "reciplast",
                "picker": "rosa",
                "lines": [SaleLineIn(material="pet", weight_kg=-3)],
            },
            "A weight must be more than 0",
        ),
        (
            {
                "buyer": "nobody",
                "picker": "rosa",
                "lines": [SaleLineIn(material="pet", weight_kg=1)],
            },
            "There is no buyer 'nobody'.",
        ),
        (
            {
                "buyer": "reciplast",
                "picker": "rosa",
                "association": "asoc",
                "lines": [SaleLineIn(material="pet", weight_kg=1)],
            },
            "Say who sells",
        ),
    ],
)
def test_bad_sales_are_refused_whole(client, engine, two_cities, data, message):
    prog = programme(engine)
    collect_everything(client, engine, two_cities, prog)
    with pytest.raises(InvalidInput) as refused:
        sell(engine, client_key="sale-bad-01", **data)
    assert any(message in p.message.format(**p.params) for p in refused.value.problems)
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        assert db.scalar(select(func.count()).select_from(Sale)) == 0
        assert db.scalar(select(func.count()).select_from(Allocation)) == 0
        assert db.scalar(select(func.sum(CollectedWeight.sold_g))) == 0


def test_the_figures_of_a_month_come_from_weights_sales_and_dated_factors(
    client, engine, two_cities
):
    from civitas.core.kpis import Period
    from civitas.recycling import kpis

    prog = programme(engine)
    collect_everything(client, engine, two_cities, prog)  # 4 pickups: 5 kg PET, 2 kg paper
    sell(
        engine,
        buyer="reciplast",
        picker="rosa" if route(engine, "rosa", prog.day) else "juan",
        lines=[SaleLineIn(material="pet", weight_kg=5)],
        client_key="sale-fig-01",
    )
    with session_scope(engine) as db:
        city = get_city_by_slug(db, "trujillo")
        pickups = service.pickups_of_day(db, city, day=prog.day)
        assert {p.status for p in pickups} == {"collected"}
    month = utcnow().strftime("%Y-%m")  # the stops were recorded now
    with engine.connect() as conn:
        cells = {c.kpi: c for c in kpis.compute(conn, two_cities.a.id, Period.of(month, "UTC"))}
    assert cells["recycling_kg"].value == 28.0
    assert cells["recycling_households"].value == 4
    # 20 kg PET x 1.2 + 8 kg paper x 3.9 (the factors of data/factors.yaml)
    assert cells["recycling_co2e_kg"].value == round(20 * 1.2 + 8 * 3.9, 1)
    assert cells["recycling_income_median"].value == 6.5  # 5 kg x S/ 1.30, one seller
    assert cells["recycling_income_gini"].value == 0.0
    assert cells["recycling_degradable_kg"].value == 8.0  # the paper; PET does not rot
    # the routes: each day's latest plan in the month, in kilometres
    from civitas.recycling.models import PlanRun

    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        latest: dict = {}
        for run in db.scalars(select(PlanRun).order_by(PlanRun.version)):
            if run.day.strftime("%Y-%m") == month:
                latest[run.day] = run.stats["distance_m"]
    if latest:
        assert cells["recycling_route_km"].value == round(sum(latest.values()) / 1000, 1)
        assert (cells["recycling_route_km"].value or 0) > 0
    else:
        assert "recycling_route_km" not in cells
    with engine.connect() as conn:  # the other city has no programme: no figures at all
        assert list(kpis.compute(conn, two_cities.b.id, Period.of(month, "UTC"))) == []
