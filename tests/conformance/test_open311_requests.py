"""Open311 GeoReport v2 requests, clause by clause (open311.github.io, GeoReport_v2).

Each test names the section it checks: "POST Service Request", "GET service_request_id from
a token", "GET Service Requests", "GET Service Request", "Errors", "Definitions" and
"Internationalization and Encoding".
"""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import delete, func, select

from civitas.cases.models import ServiceRequest
from civitas.cases.schemas import Status
from civitas.cases.service import add_note, change_status
from civitas.catalogue.models import Service
from civitas.catalogue.service import save_service
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from civitas.core.sequences import Counter
from civitas.core.tenancy import bind_all_cities
from tests.factories import service_data

ALL_TYPES = [
    {
        "code": "items",
        "datatype": "multivaluelist",
        "required": True,
        "order": 1,
        "description": {"en": "Items"},
        "values": [{"key": "sofa", "name": {"en": "Sofa"}}, {"key": "bed", "name": {"en": "Bed"}}],
    },
    {"code": "when", "datatype": "datetime", "order": 2, "description": {"en": "When"}},
    {"code": "size", "datatype": "number", "order": 3, "description": {"en": "Size"}},
    {"code": "pole", "datatype": "string", "order": 4, "description": {"en": "Pole"}},
    {"code": "details", "datatype": "text", "order": 5, "description": {"en": "Details"}},
]


@pytest.fixture
def world(two_cities):
    """The two cities, with no requests yet, and services of every Open311 type."""
    with session_scope() as db:
        bind_all_cities(db)
        db.execute(delete(ServiceRequest))
        db.execute(delete(Counter))
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        save_service(
            db,
            city,
            actor="test",
            data=service_data("a-bulky", "PEN", open311={"type": "batch", "attributes": ALL_TYPES}),
        )
        save_service(
            db,
            city,
            actor="test",
            data=service_data("a-box", "PEN", open311={"type": "blackbox"}, target_hours=None),
        )
    return two_cities


def post(client, world, fmt="json", **fields):
    data = {"api_key": world.a.api_key, "jurisdiction_id": "trujillo.example"}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/open311/v2/requests.{fmt}", data=data)


LIGHT = {"service_code": "a-light", "lat": "-8.11", "long": "-79.03", "attribute[fault]": "out"}


def count_requests():
    with session_scope() as db:
        bind_all_cities(db)
        return db.scalar(select(func.count(ServiceRequest.id)))


# --- POST Service Request -------------------------------------------------------------


def test_post_realtime_returns_the_id_and_no_token(client, world):
    # POST Service Request, Response: service_request_id "should not be returned if token is
    # returned" and vice versa; service_notice and account_id may be returned
    r = post(client, world, **LIGHT, account_id="acct-7")
    assert r.status_code == 200, r.text
    (answer,) = r.json()
    assert answer["service_request_id"] == "1"
    assert "token" not in answer
    assert answer["account_id"] == "acct-7"
    assert answer["service_notice"] == "Buscamos atenderlo en un plazo de 2 días."


def test_post_batch_returns_a_token_that_resolves_to_the_id(client, world):
    # GET Service List "type": batch returns a token; GET service_request_id from a token
    r = post(
        client,
        world,
        service_code="a-bulky",
        address_string="Jr. Pizarro 123",
        **{"attribute[items][]": ["sofa", "bed"]},
    )
    (answer,) = r.json()
    assert "service_request_id" not in answer
    token = answer["token"]
    t = client.get(f"/open311/v2/tokens/{token}.json?jurisdiction_id=trujillo.example")
    assert t.json() == [{"service_request_id": "1", "token": token}]
    root = ET.fromstring(
        client.get(f"/open311/v2/tokens/{token}.xml?jurisdiction_id=trujillo.example").content
    )
    assert root.tag == "service_requests"
    assert root.find("request/token").text == token


def test_unknown_token_is_404(client, world):
    # GET service_request_id from a token, Possible Errors: 404 token not found
    r = client.get("/open311/v2/tokens/nope.json?jurisdiction_id=trujillo.example")
    assert r.status_code == 404
    assert r.json()[0]["code"] == 404


def test_unknown_request_number_is_404(client, world):
    post(client, world, **LIGHT)
    r = client.get("/open311/v2/requests/777.json?jurisdiction_id=trujillo.example&lang=en")
    assert r.status_code == 404
    assert r.json()[0] == {"code": 404, "description": "No service request 777 in this city."}


def test_post_blackbox_returns_neither_id_nor_token(client, world):
    # "blackbox: No service request ID will be returned after the service request is submitted"
    r = post(client, world, service_code="a-box", address_id="ADDR-1")
    (answer,) = r.json()
    assert "service_request_id" not in answer
    assert "token" not in answer


def test_xml_post_answer(client, world):
    # Format Support: XML with the declaration; POST response <service_requests><request>
    r = post(client, world, fmt="xml", **LIGHT)
    assert r.headers["content-type"] == "text/xml; charset=utf-8"
    assert r.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text == "1"


@pytest.mark.parametrize("key", [None, "", "cvk_wrong"])
def test_api_key_is_required(client, world, key):
    # POST Service Request: "Requires API Key: Yes"; Errors: "403 - Missing or Invalid API Key"
    r = post(client, world, api_key=key, **LIGHT)
    assert r.status_code == 403
    assert r.json()[0]["code"] == 403
    assert count_requests() == 0


def test_another_citys_key_is_refused(client, world):
    r = post(client, world, api_key=world.b.api_key, **LIGHT)
    assert r.status_code == 403


def test_jurisdiction_rules_apply_to_post(client, world):
    # POST Service Request, Possible Errors: 404 jurisdiction not found, 400 not provided
    assert post(client, world, jurisdiction_id="atlantis.example", **LIGHT).status_code == 404
    assert post(client, world, jurisdiction_id="", **LIGHT).status_code == 400


def test_service_code_missing_is_400_unknown_is_404(client, world):
    # POST Service Request, Possible Errors: "404 - service_code ... was not found",
    # "400 - service_code ... was not provided"
    r = post(client, world, lat="-8.11", long="-79.03")
    assert r.status_code == 400
    assert r.json()[0]["description"].startswith("service_code:")
    assert post(client, world, service_code="nope", address_id="x").status_code == 404
    # a service that is not offered over Open311 is not found there either
    assert post(client, world, service_code="a-draft", address_id="x").status_code == 404


def test_a_location_is_required(client, world):
    # POST Service Request, Required Arguments: "A full location parameter must be submitted"
    r = post(client, world, service_code="a-light", **{"attribute[fault]": "out"})
    assert r.status_code == 400
    assert r.json()[0]["description"].startswith("location:")


def test_lat_needs_long(client, world):
    # Optional Arguments, lat: "lat & long both need to be sent"
    r = post(client, world, service_code="a-light", lat="-8.11", **{"attribute[fault]": "out"})
    assert r.status_code == 400
    assert r.json()[0]["description"].startswith("long:")


@pytest.mark.parametrize(
    ("lat", "long", "field"),
    [("52.5", "13.4", "lat"), ("north", "-79.03", "lat"), ("-8.11", "999", "long")],
)
def test_bad_or_foreign_coordinates_are_refused(client, world, lat, long, field):
    r = post(
        client, world, service_code="a-light", lat=lat, long=long, **{"attribute[fault]": "out"}
    )
    assert r.status_code == 400
    assert any(e["description"].startswith(f"{field}:") for e in r.json())
    assert count_requests() == 0


@pytest.mark.parametrize(
    "location",
    [
        {"address_string": "Av. España 1020, Trujillo"},
        {"address_id": "a-0-1"},  # an address of the city's register
        {"lat": "-8.11", "long": "-79.03", "address_string": "Av. España 1020"},
    ],
)
def test_each_location_form_is_accepted(client, world, location):
    # lat & long, address_string or address_id; the spec's own example sends lat, long and
    # address_string together
    r = post(client, world, service_code="a-light", **location, **{"attribute[fault]": "out"})
    assert r.status_code == 200, r.text


def test_required_attribute(client, world):
    # POST Service Request, attribute: required when the service definition marks it required
    r = post(client, world, service_code="a-light", lat="-8.11", long="-79.03")
    assert r.status_code == 400
    assert r.json() == [
        {"code": 400, "description": "attribute[fault]: Este atributo es obligatorio."}
    ]


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"attribute[items][]": ["sofa", "piano"]}, "attribute[items]"),
        ({"attribute[items][]": ["sofa"], "attribute[size]": "big"}, "attribute[size]"),
        (
            {"attribute[items][]": ["sofa"], "attribute[when]": "2026-12-01T09:00:00"},
            "attribute[when]",
        ),
        (
            {"attribute[items][]": ["sofa"], "attribute[pole]": "12\\n13".replace("\\n", "\n")},
            "attribute[pole]",
        ),
        ({"attribute[items][]": ["sofa"], "attribute[colour]": "red"}, "attribute[colour]"),
    ],
)
def test_attribute_datatypes_and_value_lists(client, world, fields, where):
    # GET Service Definition, datatype: string (no line breaks), number, datetime (ISO 8601),
    # text, singlevaluelist, multivaluelist (attribute[code][]=v1&attribute[code][]=v2)
    r = post(client, world, service_code="a-bulky", address_id="a-0-1", **fields)
    assert r.status_code == 400
    assert any(e["description"].startswith(where + ":") for e in r.json()), r.json()


def test_attribute_values_are_stored_typed(client, world):
    r = post(
        client,
        world,
        service_code="a-bulky",
        address_id="a-0-1",
        **{
            "attribute[items][]": ["sofa", "bed"],
            "attribute[when]": "2026-12-01T09:00:00-05:00",
            "attribute[size]": "2.5",
            "attribute[pole]": "P-12",
            "attribute[details]": "line 1\nline 2",
        },
    )
    assert r.status_code == 200, r.text
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        stored = db.scalar(select(ServiceRequest)).attributes
    assert stored == {
        "items": ["sofa", "bed"],
        "when": "2026-12-01T09:00:00-05:00",
        "size": 2.5,
        "pole": "P-12",
        "details": "line 1\nline 2",
    }


def test_description_limits_and_no_html(client, world):
    # POST Service Request, description: "not html or code ... limited to 4,000 characters"
    r = post(client, world, **LIGHT, description="x" * 4001)
    assert r.status_code == 400
    assert r.json()[0]["description"].startswith("description:")
    r = post(client, world, **LIGHT, description="<script>alert(1)</script>")
    assert r.status_code == 400
    assert post(client, world, **LIGHT, description="Line 1\nLine 2 – 5 < 6").status_code == 200


def test_every_problem_is_reported_at_once_and_nothing_is_stored(client, world):
    r = post(
        client,
        world,
        service_code="a-light",
        lat="52.5",
        long="13.4",
        **{"attribute[fault]": "broken"},
        email="not-an-address",
        description="<b>hi</b>",
    )
    assert r.status_code == 400
    fields = sorted(e["description"].split(":")[0] for e in r.json())
    assert fields == ["attribute[fault]", "description", "email", "lat"]
    assert count_requests() == 0


def test_empty_optional_arguments_are_like_absent_ones(client, world):
    # Definitions, Optional Arguments: "the response should be the same whether a parameter
    # is passed and is empty or is not passed at all"
    r = post(
        client, world, **LIGHT, email="", phone="", description="", media_url="", address_id=""
    )
    assert r.status_code == 200, r.text


# --- GET Service Requests / GET Service Request -------------------------------------------


def _file(client, world, n, **extra):
    """n different reports (identical ones within a minute would count as one retry)."""
    for i in range(n):
        fields = {**LIGHT, "description": f"Report {i}", **extra}
        assert post(client, world, **fields).status_code == 200


def _age(number, days):
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        request = db.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
        request.requested_at = utcnow() - timedelta(days=days)


def test_get_request_fields_in_spec_order_without_reporter_data(client, world):
    # GET Service Request, Response fields; datetimes in w3 format with offset
    post(
        client,
        world,
        **LIGHT,
        description="Poste 12",
        email="ana@example.org",
        first_name="Ana",
        phone="+51 44 123456",
        zipcode="13001",
    )
    r = client.get("/open311/v2/requests/1.json?jurisdiction_id=trujillo.example&lang=en")
    (entry,) = r.json()
    assert list(entry) == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    assert entry["status"] == "open"
    assert entry["service_name"] == "Service a-light"
    assert entry["agency_responsible"] == "Roads of Trujillo"
    assert entry["requested_datetime"].endswith("-05:00")  # America/Lima
    assert "ana@example.org" not in r.text
    assert "Ana" not in r.text
    assert "123456" not in r.text


def test_get_request_xml_and_unknown_id(client, world):
    post(client, world, **LIGHT)
    root = ET.fromstring(
        client.get("/open311/v2/requests/1.xml?jurisdiction_id=trujillo.example").content
    )
    request = root.find("request")
    assert request.findtext("service_code") == "a-light"
    assert request.find("media_url").text is None  # an empty element for a null
    assert (
        client.get("/open311/v2/requests/99.json?jurisdiction_id=trujillo.example").status_code
        == 404
    )
    assert (
        client.get("/open311/v2/requests/abc.json?jurisdiction_id=trujillo.example").status_code
        == 404
    )


def test_status_notes_show_the_latest_public_note_only(client, world):
    # GET Service Request, status_notes: explanation of why status was changed
    post(client, world, **LIGHT)
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        change_status(db, city, number=1, status=Status.IN_PROGRESS, actor="t", note="Crew sent.")
        add_note(db, city, number=1, text="Internal: ladder needed", public=False, actor="t")
        change_status(db, city, number=1, status=Status.RESOLVED, actor="t", note="Lamp replaced.")
    (entry,) = client.get("/open311/v2/requests/1.json?jurisdiction_id=trujillo.example").json()
    assert entry["status"] == "closed"
    assert entry["status_notes"] == "Lamp replaced."
    assert "ladder" not in str(entry)


def test_requests_default_to_the_last_90_days_newest_first(client, world):
    # GET Service Requests, start_date/end_date: "When not specified, the range defaults to
    # most recent 90 days"
    _file(client, world, 3)
    _age(1, 120)
    r = client.get("/open311/v2/requests.json?jurisdiction_id=trujillo.example")
    assert [e["service_request_id"] for e in r.json()] == ["3", "2"]


def test_date_range_filters_and_90_day_limit(client, world):
    _file(client, world, 2)
    _age(1, 40)
    start = (utcnow() - timedelta(days=50)).isoformat()
    end = (utcnow() - timedelta(days=30)).isoformat()
    r = client.get(
        "/open311/v2/requests.json",
        params={"jurisdiction_id": "trujillo.example", "start_date": start, "end_date": end},
    )
    assert [e["service_request_id"] for e in r.json()] == ["1"]
    too_long = client.get(
        "/open311/v2/requests.json",
        params={
            "jurisdiction_id": "trujillo.example",
            "start_date": "2026-01-01T00:00:00Z",
            "end_date": "2026-06-01T00:00:00Z",
        },
    )
    assert too_long.status_code == 400
    assert too_long.json()[0]["description"].startswith("end_date:")
    bad = client.get(
        "/open311/v2/requests.json",
        params={"jurisdiction_id": "trujillo.example", "start_date": "yesterday"},
    )
    assert bad.status_code == 400
    assert bad.json()[0]["description"].startswith("start_date:")
    naive = client.get(
        "/open311/v2/requests.json",
        params={"jurisdiction_id": "trujillo.example", "start_date": "2026-01-01T00:00:00"},
    )
    assert naive.status_code == 400


def test_status_and_service_code_filters_take_lists(client, world):
    # GET Service Requests, status and service_code: "can be declared multiple times, comma
    # delimited"
    _file(client, world, 2)
    post(client, world, service_code="a-box", address_id="a-0-1")
    with session_scope() as db:
        change_status(
            db, get_city_by_slug(db, "trujillo"), number=1, status=Status.REJECTED, actor="t"
        )
    q = {"jurisdiction_id": "trujillo.example"}
    closed = client.get("/open311/v2/requests.json", params={**q, "status": "closed"}).json()
    assert [e["service_request_id"] for e in closed] == ["1"]
    both = client.get("/open311/v2/requests.json", params={**q, "status": "open,closed"}).json()
    assert len(both) == 3
    boxes = client.get("/open311/v2/requests.json", params={**q, "service_code": "a-box"}).json()
    assert [e["service_code"] for e in boxes] == ["a-box"]
    many = client.get(
        "/open311/v2/requests.json", params={**q, "service_code": "a-box,a-light"}
    ).json()
    assert len(many) == 3
    wrong = client.get("/open311/v2/requests.json", params={**q, "status": "pending"})
    assert wrong.status_code == 400


def test_service_request_id_overrides_all_other_arguments(client, world):
    # GET Service Requests, service_request_id: "This overrides all other arguments."
    _file(client, world, 3)
    _age(1, 200)
    r = client.get(
        "/open311/v2/requests.json",
        params={
            "jurisdiction_id": "trujillo.example",
            "service_request_id": "1,3",
            "status": "closed",
            "service_code": "nothing",
        },
    )
    assert sorted(e["service_request_id"] for e in r.json()) == ["1", "3"]
    bad = client.get(
        "/open311/v2/requests.json",
        params={"jurisdiction_id": "trujillo.example", "service_request_id": "1,x"},
    )
    assert bad.status_code == 400


def test_at_most_1000_requests_are_returned(client, world):
    # GET Service Requests, Response Volume: "first 1000 requests returned"
    with session_scope() as db:
        enter_city(db, get_city_by_slug(db, "trujillo"))
        service = db.scalar(select(Service).where(Service.code == "a-light"))
        assert service is not None
        now = utcnow()
        db.add_all(
            ServiceRequest(
                number=n,
                service_id=service.id,
                channel="open311",
                lat=-8.11,
                long=-79.03,
                department_id=service.department_id,
                filed_by="t",
                requested_at=now - timedelta(minutes=n),
                updated_at=now,
            )
            for n in range(1, 1006)
        )
    r = client.get("/open311/v2/requests.json?jurisdiction_id=trujillo.example")
    assert len(r.json()) == 1000
    assert r.json()[0]["service_request_id"] == "1"


def test_each_city_numbers_its_own_requests(client, world):
    post(client, world, **LIGHT)
    b = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": world.b.api_key,
            "jurisdiction_id": "musterstadt.example",
            "service_code": "b-light",
            "lat": "51.34",
            "long": "12.37",
            "attribute[fault]": "out",
            "description": "Musterstadt",
        },
    )
    assert b.json()[0]["service_request_id"] == "1"
    (a_entry,) = client.get("/open311/v2/requests/1.json?jurisdiction_id=trujillo.example").json()
    assert a_entry["service_code"] == "a-light"
    assert (
        client.get("/open311/v2/requests.json?jurisdiction_id=trujillo.example").text.count(
            "Musterstadt"
        )
        == 0
    )
