"""Places: the address register (imported whole or not at all), the geocoder on it
(accent-blind, abbreviations written out, typos forgiven), Open311's address_id and
address_string resolved through it, and the city's own base map served by Civitas."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import get_settings
from civitas.core.db import session_scope
from civitas.core.errors import InvalidInput
from civitas.places import basemap, service
from civitas.places.models import Address
from civitas.places.normalize import split_query, street_key
from tests.factories import bearer, session_cookie

A_POINT = {"lat": "-8.1111", "long": "-79.0285"}  # next to "a-0-1" of the test register


def city(db, slug="trujillo"):
    return db.scalar(select(City).where(City.slug == slug))


def test_folding_is_accent_and_case_blind_and_writes_abbreviations_out():
    assert street_key("Jr. Simón Bolívar") == street_key("JIRON SIMON BOLIVAR")
    assert street_key("Av. España") == "avenida espana"
    assert street_key("Hauptstr.") == street_key("Hauptstraße") == "hauptstrasse"
    assert street_key("Karl-Liebknecht-Str.") == street_key("Karl-Liebknecht-Straße")
    assert split_query("Av. España 12 a, Trujillo") == ("avenida espana trujillo", "12a")
    assert split_query("Hauptstraße") == ("hauptstrasse", None)


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("jr francisco pizarro 3", "Jr. Francisco Pizarro 3"),
        ("JIRON FRANCISCO PIZARRO 3", "Jr. Francisco Pizarro 3"),
        ("Av Espana 4", "Av. España 4"),
        ("avenida españa 4", "Av. España 4"),
        ("Jr. Simon Bolivr 5", "Jr. Simón Bolívar 5"),  # a typo
        ("pizarro 7", "Jr. Francisco Pizarro 7"),
    ],
)
def test_search_forgives_accents_abbreviations_and_typos(engine, two_cities, typed, found):
    with session_scope(engine) as db:
        best = service.search(db, city(db), typed)[0]
    assert best.label.startswith(found)
    assert best.exact
    assert best.ref is not None


def test_a_number_the_street_lacks_offers_the_nearest_marked_not_exact(engine, two_cities):
    with session_scope(engine) as db:
        best = service.search(db, city(db), "Jr. Francisco Pizarro 40")[0]
    assert (best.number, best.exact) == ("10", False)


def test_german_street_words(engine, two_cities):
    with session_scope(engine) as db:
        m = city(db, "musterstadt")
        assert service.search(db, m, "Hauptstr. 2")[0].label.startswith("Hauptstraße 2")
        assert service.search(db, m, "karl liebknecht str 6")[0].label.startswith(
            "Karl-Liebknecht-Straße 6"
        )
        assert service.resolve(db, m, "Schillerstrasse 9").label.startswith("Schillerstraße 9")


def test_one_city_never_finds_anothers_addresses(engine, two_cities):
    with session_scope(engine) as db:
        assert service.search(db, city(db), "Hauptstraße 2") == []


def test_nearest_address_and_none_far_away(client, two_cities):
    r = client.get("/api/v1/cities/trujillo/addresses/nearest", params=A_POINT)
    assert r.status_code == 200
    body = r.json()
    assert body["address"]["address_id"] == "a-0-1"
    assert body["distance_m"] < 30
    far = client.get(
        "/api/v1/cities/trujillo/addresses/nearest", params={"lat": "-8.15", "long": "-79.0"}
    )
    assert far.json() == {"address": None, "distance_m": None}
    other = client.get("/api/v1/cities/musterstadt/addresses/a-0-1")
    assert other.status_code == 404


def _import(client, world, body: bytes, name="r.csv"):
    cookies = session_cookie(client, "trujillo", world.a.users["administrator"])
    client.cookies.update(cookies)
    page = client.get("/trujillo/staff/places")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    return client.post(
        "/trujillo/staff/places/addresses",
        data={"csrf": csrf},
        files={"file": (name, body, "text/csv")},
        follow_redirects=False,
    )


def test_an_import_with_one_bad_row_changes_nothing_and_names_line_and_field(
    engine, client, two_cities
):
    body = (
        b"street,number,postcode,district,lat,lon\n"
        b"Jr. Nuevo,1,13001,Centro,-8.1110,-79.0280\n"
        b"Jr. Nuevo,,13001,Centro,-8.1111,-79.0281\n"
        b"Jr. Nuevo,3,13001,Centro,52.0,-79.0282\n"
    )
    r = _import(client, two_cities, body)
    assert r.status_code == 400
    assert "line 3: number" in r.text
    assert "line 4: lat" in r.text
    with session_scope(engine) as db:
        c = enter_city(db, city(db))
        kept = select(func.count(Address.id)).where(Address.tenant_id == c.id)
        assert db.scalar(kept) == 30  # the old register, whole
        assert not any(p.street == "Jr. Nuevo" for p in service.search(db, c, "Jr. Nuevo 1"))


def test_an_import_replaces_the_register_and_the_search_knows_at_once(engine, client, two_cities):
    body = (
        b"id,addr:street,addr:housenumber,addr:postcode,addr:suburb,latitude,longitude\n"
        b"n1,Jr. Nuevo,1,13001,Centro,-8.1110,-79.0280\n"
        b"n2,Jr. Nuevo,2,13001,Centro,-8.1111,-79.0281\n"
    )
    r = _import(client, two_cities, body)
    assert r.status_code == 303, r.text
    found = client.get("/api/v1/cities/trujillo/addresses", params={"q": "jiron nuevo 2"}).json()
    assert found["addresses"][0]["address_id"] == "n2"
    assert client.get("/api/v1/cities/trujillo/addresses/a-0-1").status_code == 404


def test_geojson_points_are_read(engine, two_cities):
    doc = (
        b'{"type":"FeatureCollection","features":[{"type":"Feature","id":"g1",'
        b'"geometry":{"type":"Point","coordinates":[-79.028,-8.111]},'
        b'"properties":{"addr:street":"Calle Uno","addr:housenumber":"5"}}]}'
    )
    with session_scope(engine) as db:
        result = service.import_addresses(db, city(db), content=doc, filename="a.geojson")
        assert result.count == 1
        assert service.by_ref(db, city(db), "g1").label == "Calle Uno 5"


def test_a_file_that_is_no_register_is_refused_whole(engine, two_cities):
    with session_scope(engine) as db, pytest.raises(InvalidInput):
        service.import_addresses(db, city(db), content=b"\xff\xfe", filename="x.csv")


def _open311(client, world, **fields):
    data = {
        "api_key": world.a.api_key,
        "jurisdiction_id": "trujillo.example",
        "service_code": "a-light",
        "attribute[fault]": "out",
        **fields,
    }
    return client.post("/open311/v2/requests.json", data=data)


def _stored(client, world, number):
    """The case as staff see it (the public Open311 view may blur the place)."""
    headers = bearer(client, "trujillo", world.a.users["case_worker"])
    r = client.get(f"/api/v1/cities/trujillo/requests/{number}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_open311_address_id_gives_the_registers_point(client, two_cities):
    r = _open311(client, two_cities, address_id="a-1-3")
    assert r.status_code == 200, r.text
    shown = _stored(client, two_cities, r.json()[0]["service_request_id"])
    assert shown["address_id"] == "a-1-3"
    assert shown["address"].startswith("Av. España 3")
    assert shown["lat"] == pytest.approx(-8.1116 + 0.001, abs=1e-5)


def test_open311_address_string_the_register_is_sure_of_gets_its_point(client, two_cities):
    r = _open311(client, two_cities, address_string="jr simon bolivar 7")
    assert r.status_code == 200, r.text
    shown = _stored(client, two_cities, r.json()[0]["service_request_id"])
    assert shown["address_id"] == "a-2-7"
    assert shown["long"] == pytest.approx(-79.0287 + 0.00018 * 7, abs=1e-5)


def test_an_address_far_from_the_point_is_refused_naming_the_field(client, two_cities):
    r = _open311(client, two_cities, address_id="a-0-1", lat="-8.13", long="-79.03")
    assert r.status_code == 400
    said = r.json()[0]["description"]  # in the city's language
    assert said.startswith("address_id: Jr. Francisco Pizarro 1")
    assert " 2107 m " in said
    unknown = _open311(client, two_cities, address_id="b-0-1")  # the other city's
    assert unknown.status_code == 400
    assert "address_id" in unknown.json()[0]["description"]


def _tiny_pmtiles(c: City) -> bytes:
    lines = [
        (
            "Test",
            [(c.center_lat, c.center_lon - 0.002), (c.center_lat, c.center_lon + 0.002)],
            False,
        )
    ]
    bounds = (
        c.center_lat - 0.003,
        c.center_lon - 0.003,
        c.center_lat + 0.003,
        c.center_lon + 0.003,
    )
    tiles = basemap.render_tiles(lines, None, zooms=range(14, 16), bounds=bounds)
    return basemap.write_pmtiles(
        tiles, bounds=bounds, center=(c.center_lat, c.center_lon), attribution="Test map"
    )


def test_the_citys_pmtiles_are_served_by_civitas(engine, client, two_cities):
    with session_scope(engine) as db:
        c = city(db)
        content = _tiny_pmtiles(c)
        basemap.store_pmtiles(db, c, get_settings(), content=content)
        config = service.map_config(db, c, get_settings())
    assert config.kind == "pmtiles"
    assert config.attribution == "Test map"
    x, y = basemap._world(c.center_lat, c.center_lon, 15)
    r = client.get(f"/trujillo/map/tiles/15/{int(x // 256)}/{int(y // 256)}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(r.content)).size == (256, 256)
    assert client.get("/trujillo/map/tiles/15/0/0").status_code == 204
    # the other city has no base map of its own: nothing of Trujillo's
    assert (
        client.get(f"/musterstadt/map/tiles/15/{int(x // 256)}/{int(y // 256)}").status_code == 204
    )


def test_a_file_that_is_not_pmtiles_or_misses_the_city_is_refused(engine, two_cities):
    with session_scope(engine) as db:
        c = city(db)
        with pytest.raises(InvalidInput) as bad:
            basemap.store_pmtiles(db, c, get_settings(), content=b"x" * 200)
        assert bad.value.problems[0].location == "pmtiles"
        m = city(db, "musterstadt")
        with pytest.raises(InvalidInput) as elsewhere:
            basemap.store_pmtiles(db, m, get_settings(), content=_tiny_pmtiles(c))
        assert "misses" in elsewhere.value.problems[0].message


def test_a_tile_server_must_be_https_with_zxy(engine, two_cities):
    with session_scope(engine) as db:
        c = city(db)
        for url in ("http://tiles.example/{z}/{x}/{y}.png", "https://tiles.example/tile.png"):
            with pytest.raises(InvalidInput) as bad:
                basemap.set_tile_server(db, c, url=url, attribution=None)
            assert bad.value.problems[0].location == "url"


def test_pages_load_map_images_only_from_this_host_unless_the_city_set_a_server(
    engine, client, two_cities
):
    page = client.get("/trujillo/report/a-light/where")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "img-src 'self' data:;" in csp
    assert 'data-basemap="drawn"' in page.text
    with session_scope(engine) as db:
        basemap.set_tile_server(
            db, city(db), url="https://tiles.trujillo.example/{z}/{x}/{y}.png", attribution="X"
        )
    page = client.get("/trujillo/report/a-light/where")
    assert (
        "img-src 'self' data: https://tiles.trujillo.example;"
        in page.headers["content-security-policy"]
    )
    other = client.get("/musterstadt/report/b-light/where")
    assert "tiles.trujillo.example" not in other.headers["content-security-policy"]


def test_the_drawn_map_has_the_registers_streets(client, two_cities):
    layers = client.get("/api/v1/cities/trujillo/map/layers").json()
    names = {
        f["properties"]["name"]
        for f in layers["features"]
        if f["properties"]["layer"] == "places.streets"
    }
    assert names == {"Jr. Francisco Pizarro", "Av. España", "Jr. Simón Bolívar"}
    near = client.get(
        "/api/v1/cities/trujillo/map/addresses", params={"bbox": "-8.12,-79.04,-8.10,-79.02"}
    ).json()
    assert len(near["features"]) == 30
    bad = client.get("/api/v1/cities/trujillo/map/addresses", params={"bbox": "1,2,3"})
    assert bad.status_code == 400
    assert bad.json()["error"]["problems"][0]["location"] == "bbox"


def test_a_refused_base_map_names_its_bounds_in_the_readers_number_format(
    engine, client, two_cities
):
    """The message's decimals follow the reader: 51,33 in German, -8.1 in Peru."""
    with session_scope(engine) as db:
        trujillo_map = _tiny_pmtiles(city(db))
    client.cookies.update(
        session_cookie(client, "musterstadt", two_cities.b.users["administrator"])
    )
    page = client.get("/musterstadt/staff/places?lang=de")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    r = client.post(
        "/musterstadt/staff/places/basemap?lang=de",
        data={"csrf": csrf, "kind": "pmtiles"},
        files={"pmtiles": ("t.pmtiles", trujillo_map, "application/octet-stream")},
        follow_redirects=False,
    )
    assert r.status_code == 400
    # Trujillo's map, 0.003° around its centre (-8.1116, -79.0287), in German numbers
    assert "Die Karte deckt -8,115…-8,109, -79,032…-79,026 ab" in r.text
