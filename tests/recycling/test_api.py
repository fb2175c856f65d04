"""The recycling JSON API: a picker's route and stops (a retry counts once, a bad weight is
refused with its field), plans, public prices, and sales a buyer may record and read only
for itself."""

from __future__ import annotations

from sqlalchemy import func, select

from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope
from civitas.recycling.models import CollectedWeight, Picker, Pickup, Sale
from civitas.tasks import execute_job
from tests.factories import bearer
from tests.recycling.helpers import file_pickups, programme
from tests.recycling.test_pages import link_accounts

API = "/api/v1/cities/trujillo/recycling"


def planned(client, engine):
    prog = programme(engine)
    link_accounts(engine)
    file_pickups(engine, prog.day)
    staff = bearer(client, "trujillo", "a-manager")
    r = client.post(f"{API}/plans", json={"day": prog.day.isoformat()}, headers=staff)
    assert r.status_code == 202, r.text
    assert r.headers["location"] == r.json()["links"]["self"]
    assert execute_job(r.json()["id"]) == "done"  # what the worker does
    job = client.get(r.headers["location"], headers=staff).json()
    assert job["status"] == "done", job
    assert job["result"]["version"] == 1
    assert job["result"]["stats"]["assigned"] == 4
    return prog, staff


def test_a_picker_app_reads_the_route_and_records_stops_once(client, engine, two_cities):
    prog, staff = planned(client, engine)
    day = prog.day.isoformat()
    assert client.get(f"{API}/plans/{day}", headers=staff).json()["version"] == 1
    assert client.get(f"{API}/plans/2031-01-01", headers=staff).status_code == 404
    phone = bearer(client, "trujillo", "a-wastepicker")
    route = client.get(f"{API}/route", params={"day": day}, headers=phone)
    assert route.status_code == 200, route.text
    body = route.json()
    assert body["picker"] == "rosa"
    sequences = [s["sequence"] for s in body["stops"]]
    assert sequences == sorted(sequences)
    assert body["stops"], "Rosa has stops"
    stop = body["stops"][0]["pickup_id"]
    bad = client.post(
        f"{API}/stops",
        json={
            "pickup_id": stop,
            "outcome": "collected",
            "weights_kg": {"pet": -1},
            "client_key": "app-key-0001",
        },
        headers=phone,
    )
    assert bad.status_code == 400
    assert [p["location"] for p in bad.json()["error"]["problems"]] == ["weights_kg[pet]"]
    record = {
        "pickup_id": stop,
        "outcome": "collected",
        "weights_kg": {"pet": 3, "paper": 1.5},
        "client_key": "app-key-0001",
    }
    first = client.post(f"{API}/stops", json=record, headers=phone)
    again = client.post(f"{API}/stops", json=record, headers=phone)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["weighed_kg"] == {"pet": 3.0, "paper": 1.5}
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        assert db.scalar(select(func.count()).select_from(CollectedWeight)) == 2
    # the manager's token is not a picker's
    assert client.get(f"{API}/route", headers=staff).status_code == 403


def test_prices_are_public_and_a_buyer_buys_for_itself_only(client, engine, two_cities):
    prog, _ = planned(client, engine)
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        rosa = db.scalars(select(Picker).where(Picker.code == "rosa")).one()
        rosa_stop = db.scalar(select(Pickup.id).where(Pickup.picker_id == rosa.id))
    phone = bearer(client, "trujillo", "a-wastepicker")
    client.post(
        f"{API}/stops",
        json={
            "pickup_id": rosa_stop,
            "outcome": "collected",
            "weights_kg": {"pet": 6},
            "client_key": "app-key-0100",
        },
        headers=phone,
    )
    prices = client.get(f"{API}/prices", params={"on": prog.day.isoformat()})
    assert prices.status_code == 200
    listed = {(p["buyer"], p["material"]): p["price_minor_per_kg"] for p in prices.json()}
    assert listed == {("reciplast", "pet"): 130, ("papelera", "paper"): 45}
    desk = bearer(client, "trujillo", "a-recyclingbuyer")
    sale = {
        "buyer": "papelera",
        "picker": "rosa",
        "lines": [{"material": "pet", "weight_kg": 4}],
        "client_key": "api-sale-0001",
    }
    r = client.post(f"{API}/sales", json=sale, headers=desk)
    assert r.status_code == 403
    assert "reciplast" in r.json()["error"]["message"]
    r = client.post(f"{API}/sales", json=sale | {"buyer": "reciplast"}, headers=desk)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total_minor"] == 4 * 130
    assert [(t["picker"], t["weight_kg"]) for t in body["trace"]] == [("rosa", 4.0)]
    assert client.get(f"{API}/sales/{body['id']}", headers=desk).json() == body
    # a purchase of another buyer is not there for this one
    staff = bearer(client, "trujillo", "a-manager")
    other = client.post(
        f"{API}/sales",
        json=sale
        | {
            "lines": [{"material": "pet", "weight_kg": 1, "price_minor_per_kg": 100}],
            "client_key": "api-sale-0002",
        },
        headers=staff,
    )
    assert other.status_code == 200, other.text
    assert client.get(f"{API}/sales/{other.json()['id']}", headers=desk).status_code == 404
    with session_scope(engine) as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        assert db.scalar(select(func.count()).select_from(Sale)) == 2
