"""Open data: the catalogue document conforms to DCAT-AP 3.0.0 (pySHACL against the
official shapes, pinned beside this file with their SOURCE.md), every distribution it
lists answers at its stable URL with its media type, and the files say nothing about a
person."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Namespace, URIRef

from civitas.cases.publicity import GRID_DEGREES, cell
from civitas.cases.schemas import RequestChannel, RequestCreate, Status
from civitas.cases.service import change_status, create_request
from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from civitas.insight.service import refresh_figures

SHAPES = Path(__file__).resolve().parent / "standards" / "dcat-ap-3.0.0" / "dcat-ap-SHACL.jsonld"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    if not SHAPES.exists():
        pytest.fail(f"the official DCAT-AP shapes are missing at {SHAPES}")
    return Graph().parse(SHAPES, format="json-ld")


@pytest.fixture
def published(two_cities):
    """Six requests with a secret in every personal field, and the month's figures."""
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        for i in range(6):
            request = create_request(
                db,
                city,
                data=RequestCreate(
                    service_code="a-light",
                    channel=RequestChannel.WEB,
                    lat=-8.1116 + i * 0.0001,
                    long=-79.0288,
                    address_string=f"Jirón Secreto {i}",
                    description="Call me at +51 944 111 222, secret-description",
                    attributes={"fault": "out"},
                    email=f"secret{i}@example.org",
                    first_name="Secreta",
                    last_name="Persona",
                ),
                filed_by="test",
            )
            if i % 2:
                change_status(db, city, number=request.number, status=Status.RESOLVED, actor="test")
        from civitas.insight.figures import current_month

        refresh_figures(db, city, [current_month(city)], actor="test")


def test_the_catalogue_conforms_to_dcat_ap(client, published, shapes):
    response = client.get("/trujillo/open-data/catalog.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    data = Graph().parse(data=response.text, format="json-ld")
    ok, _, report = validate(data, shacl_graph=shapes, inference="none", allow_warnings=False)
    assert ok, report
    catalogs = list(data.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1
    datasets = set(data.objects(catalogs[0], DCAT.dataset))
    # requests, KPIs and the catalogue (insight's), what the pickers collected (recycling's)
    # the mobility observatory (transit's) and the air-quality data (air's); all but the
    # first three are empty here: no date
    assert len(datasets) == 7  # requests, KPIs, services, recycling, transit, air (2)
    for ds in datasets:
        if str(ds).endswith(
            ("/recycling", "/transit-observatory", "/air-quality-hourly", "/air-quality-daily")
        ):
            assert (ds, DCT.modified, None) not in data
            continue
        assert (ds, DCT.modified, None) in data  # each holds something: each has a date
        titles = {getattr(t, "language", None) for t in data.objects(ds, DCT.title)}
        assert {"en", "es"} <= titles
    licences = set(data.objects(None, DCT.license))
    assert licences == {URIRef("https://creativecommons.org/licenses/by/4.0/")}
    turtle = client.get("/trujillo/open-data/catalog.ttl")
    assert len(Graph().parse(data=turtle.text, format="turtle")) == len(data)


def test_a_catalogue_missing_a_title_is_caught_by_the_shapes(client, published, shapes):
    """The check can fail: without its title the catalogue does not conform."""
    document = client.get("/trujillo/open-data/catalog.jsonld").json()
    del document["dct:title"]
    data = Graph().parse(data=json.dumps(document), format="json-ld")
    ok, _, report = validate(data, shacl_graph=shapes, inference="none")
    assert not ok
    assert "title" in str(report)


def test_every_distribution_answers_at_its_url(client, published):
    data = Graph().parse(
        data=client.get("/trujillo/open-data/catalog.jsonld").text, format="json-ld"
    )
    distributions = list(data.subjects(RDF.type, DCAT.Distribution))
    assert len(distributions) == 16  # requests 3, KPIs 3, services 2, recycling 2, transit 2, air 4
    for dist in distributions:
        url = str(next(data.objects(dist, DCAT.downloadURL)))
        media = str(next(data.objects(dist, DCAT.mediaType))).rsplit("media-types/", 1)[1]
        answer = client.get(url.replace("https://civitas.test", ""))
        assert answer.status_code == 200, url
        assert answer.headers["content-type"].split(";")[0] == media, url
        assert answer.headers["access-control-allow-origin"] == "*"
    page = client.get("/trujillo/open-data?lang=es")
    assert page.status_code == 200
    assert "Datos abiertos" in page.text
    assert client.get("/trujillo/open-data/secrets.csv").status_code == 404


def test_published_requests_say_nothing_about_a_person(client, published):
    files = {
        fmt: client.get(f"/trujillo/open-data/requests.{fmt}").text
        for fmt in ("csv", "geojson", "jsonld")
    }
    for fmt, text in files.items():
        for secret in ("secret", "Secreta", "Persona", "944", "Jirón", "-8.1116"):
            assert secret not in text, (fmt, secret)
    rows = list(csv.DictReader(io.StringIO(files["csv"])))
    assert len(rows) >= 6
    mine = [r for r in rows if r["service_code"] == "a-light" and r["cell_lat"]]
    assert len(mine) == 6
    # six points a few metres apart fall in one cell, published as its centre
    assert {(r["cell_lat"], r["cell_lon"]) for r in mine} == {
        tuple(str(v) for v in cell(-8.1116, -79.0288))
    }
    centre = float(mine[0]["cell_lat"])
    assert abs((centre / GRID_DEGREES) % 1 - 0.5) < 1e-6
    assert all(len(r["requested_on"]) == 10 for r in mine)  # the day, not the time
    features = json.loads(files["geojson"])["features"]
    assert {f["geometry"]["type"] for f in features if f["geometry"]} == {"Point"}


def test_published_kpis_suppress_small_cells(client, published):
    rows = list(csv.DictReader(io.StringIO(client.get("/trujillo/open-data/kpis.csv").text)))
    assert rows
    for row in rows:
        if row["suppressed"] == "True":
            assert row["value"] == ""
            assert row["n"] == ""
        else:
            assert int(row["n"]) >= 5
    volume = next(r for r in rows if r["kpi"] == "volume" and r["dimension"] == "all")
    assert float(volume["value"]) >= 6
    closed = next(r for r in rows if r["kpi"] == "close_median_h" and r["dimension"] == "all")
    assert closed["suppressed"] == "True"  # three closed requests only
