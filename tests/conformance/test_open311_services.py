"""Open311 GeoReport v2: discovery, service list and service definition (the parts issue 2
delivers; requests follow in issue 3). Clauses cite the GeoReport v2 specification."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from civitas.cities.service import create_city
from civitas.core.db import session_scope
from tests.factories import CITY_A


def _xml(response):
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def test_discovery_json_and_xml(client, two_cities):
    # Service Discovery: changeset, contact, key_service, endpoints[specification, url, ...]
    body = client.get("/open311/v2/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "https://civitas.test/open311/v2/"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = _xml(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.find("endpoints/endpoint/formats")]
    assert formats == ["text/xml", "application/json"]


def test_get_service_list_json(client, two_cities):
    # GET Service List: service_code, service_name, description, metadata, type, keywords, group
    r = client.get("/open311/v2/services.json", params={"jurisdiction_id": "trujillo.example"})
    assert r.status_code == 200
    (service,) = r.json()
    assert service == {
        "service_code": "a-light",
        "service_name": "Servicio a-light",
        "description": "Descripción.",
        "metadata": True,
        "type": "realtime",
        "keywords": "light,lamp",
        "group": "Vías y alumbrado",
    }


def test_get_service_list_xml(client, two_cities):
    root = _xml(client.get("/open311/v2/services.xml?jurisdiction_id=musterstadt.example&lang=en"))
    assert root.tag == "services"
    service = root.find("service")
    assert service.findtext("service_code") == "b-light"
    assert service.findtext("metadata") == "true"
    assert service.findtext("group") == "Streets and lighting"


def test_unpublished_and_non_open311_services_are_not_listed(client, two_cities):
    codes = [
        s["service_code"]
        for s in client.get("/open311/v2/services.json?jurisdiction_id=trujillo.example").json()
    ]
    assert "a-draft" not in codes


def test_service_definition_json(client, two_cities):
    # GET Service Definition: service_code, attributes[variable, code, datatype, required,
    # datatype_description, order, description, values[key, name]]
    r = client.get("/open311/v2/services/a-light.json?jurisdiction_id=trujillo.example&lang=en")
    assert r.json() == {
        "service_code": "a-light",
        "attributes": [
            {
                "variable": True,
                "code": "fault",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": None,
                "order": 1,
                "description": "What is wrong?",
                "values": [{"key": "out", "name": "Out"}],
            }
        ],
    }


def test_service_definition_xml(client, two_cities):
    root = _xml(client.get("/open311/v2/services/a-light.xml?jurisdiction_id=trujillo.example"))
    assert root.tag == "service_definition"
    attribute = root.find("attributes/attribute")
    assert attribute.findtext("code") == "fault"
    assert attribute.findtext("description") == "¿Qué pasa?"
    assert attribute.find("values/value").findtext("key") == "out"


def test_jurisdiction_id_is_required_when_several_cities_are_served(client, two_cities):
    r = client.get("/open311/v2/services.json")
    assert r.status_code == 400
    assert r.json()[0]["code"] == 400
    assert "jurisdiction_id" in r.json()[0]["description"]
    root = _xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "errors"
    assert root.find("error").findtext("code") == "400"


def test_unknown_jurisdiction_is_404(client, two_cities):
    r = client.get("/open311/v2/services.json?jurisdiction_id=atlantis.example")
    assert r.status_code == 404
    assert r.json() == [
        {"code": 404, "description": "No city has the jurisdiction_id 'atlantis.example'."}
    ]


def test_empty_jurisdiction_is_like_an_absent_one(client, two_cities):
    assert client.get("/open311/v2/services.json?jurisdiction_id=").status_code == 400


def test_jurisdiction_id_is_optional_when_one_city_is_served(client, engine):
    with session_scope() as db:
        create_city(db, CITY_A)
    r = client.get("/open311/v2/services.json")
    assert r.status_code == 200
    assert r.json() == []


def test_unknown_service_code_is_404(client, two_cities):
    r = client.get("/open311/v2/services/nope.json?jurisdiction_id=trujillo.example")
    assert r.status_code == 404
    assert r.json()[0]["code"] == 404
