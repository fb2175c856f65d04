"""Recycling's open dataset: what the pickers collected per month, zone and material, with
small cells suppressed and nothing about households or pickers; a city that turned
recycling off publishes none of it."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from civitas.cities.models import City
from civitas.core.db import session_scope
from tests.recycling.helpers import programme
from tests.recycling.test_routes_and_sales import filed, planned, record, route


def collected(client, engine, two_cities, n):
    prog = programme(engine)
    filed(client, two_cities, prog.day, n=n, kg="10")
    planned(engine, prog)
    done = 0
    for code in ("rosa", "juan"):
        for i, stop in enumerate(route(engine, code, prog.day)):
            record(engine, code, stop, f"od-{code}-{i}", outcome="collected", weights_kg={"pet": 3})
            done += 1
    return prog, done


def test_the_month_per_zone_and_material_with_small_cells_suppressed(client, engine, two_cities):
    _prog, done = collected(client, engine, two_cities, n=8)
    assert done == 8
    r = client.get("/trujillo/open-data/recycling.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["access-control-allow-origin"] == "*"
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows
    assert tuple(rows[0]) == ("month", "zone", "material", "kg", "pickups", "suppressed")
    assert {row["material"] for row in rows} == {"pet"}
    shown = [row for row in rows if row["suppressed"] == "False"]
    hidden = [row for row in rows if row["suppressed"] == "True"]
    for row in shown:
        assert int(row["pickups"]) >= 5
        assert float(row["kg"]) == 3.0 * int(row["pickups"])
    for row in hidden:
        assert (row["kg"], row["pickups"]) == ("", "")
    assert sum(int(row["pickups"]) for row in shown) <= done
    assert shown, rows  # eight pickups in at most two zones: one cell has five or more
    # nothing about who: no household's contact or name, no picker
    for secret in ("@example.org", "Rosa", "rosa", "Juan", "juan"):
        assert secret not in r.text
    data = client.get("/trujillo/open-data/recycling.json").json()
    assert data["unit"] == "kg"
    assert len(data["figures"]) == len(rows)
    # listed on the open-data page and in the DCAT-AP catalogue
    assert "recycling.csv" in client.get("/trujillo/open-data?lang=en").text
    assert "/trujillo/open-data/recycling" in client.get("/trujillo/open-data/catalog.jsonld").text


def test_a_city_without_recycling_publishes_none_of_it(client, engine, two_cities):
    collected(client, engine, two_cities, n=6)
    with session_scope(engine) as db:
        db.scalars(select(City).where(City.slug == "trujillo")).one().disabled_domains = [
            "recycling"
        ]
    assert client.get("/trujillo/open-data/recycling.csv").status_code == 404
    assert "recycling.csv" not in client.get("/trujillo/open-data?lang=en").text
    assert "open-data/recycling" not in client.get("/trujillo/open-data/catalog.jsonld").text
    assert client.get("/trujillo/open-data/requests.csv").status_code == 200


def test_the_citys_maps_show_the_zones_and_centres_but_no_household(client, engine, two_cities):
    collected(client, engine, two_cities, n=2)
    layers = client.get("/api/v1/cities/trujillo/map/layers?lang=es").json()
    mine = [f for f in layers["features"] if f["properties"]["layer"].startswith("recycling.")]
    assert {(f["properties"]["layer"], f["properties"]["name"]) for f in mine} == {
        ("recycling.zones", "Centro"),
        ("recycling.zones", "Norte"),
        ("recycling.centres", "Asociación"),
    }
    legend = {entry["layer"]: entry["title"] for entry in layers["legend"]}
    assert legend["recycling.zones"] == "Zonas de recojo"
    assert all(f["geometry"]["type"] in ("Polygon", "Point") for f in mine)
    with session_scope(engine) as db:
        db.scalars(select(City).where(City.slug == "trujillo")).one().disabled_domains = [
            "recycling"
        ]
    layers = client.get("/api/v1/cities/trujillo/map/layers").json()
    assert not [f for f in layers["features"] if f["properties"]["layer"].startswith("recycl")]
