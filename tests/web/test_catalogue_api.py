"""The catalogue over the staff JSON API: permissions, validation, audit, import, export."""

from __future__ import annotations

import yaml

from tests.factories import bearer

BODY = {
    "code": "tree",
    "name": {"es": "Poda", "en": "Tree pruning"},
    "description": {"es": "Poda de árboles.", "en": "Pruning of trees."},
    "category": "environment",
    "channels": ["phone", "office"],
    "department": "roads",
    "fees": [{"amount_minor": 2500, "currency": "PEN"}],
    "target_hours": 72,
}


def test_public_list_hides_unpublished_services(client, two_cities):
    codes = [s["code"] for s in client.get("/api/v1/cities/trujillo/services").json()]
    assert codes == ["a-light"]
    assert client.get("/api/v1/cities/trujillo/services/a-draft").status_code == 404


def test_staff_see_unpublished_services_on_request(client, two_cities):
    headers = bearer(client, "trujillo", "a-caseworker")
    r = client.get("/api/v1/cities/trujillo/services?include_unpublished=true", headers=headers)
    assert sorted(s["code"] for s in r.json()) == ["a-draft", "a-light"]
    anonymous = client.get("/api/v1/cities/trujillo/services?include_unpublished=true")
    assert anonymous.status_code == 403


def test_put_creates_then_replaces_and_audits(client, two_cities):
    headers = bearer(client, "trujillo", "a-manager")
    created = client.put("/api/v1/cities/trujillo/services/tree", json=BODY, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["fees"] == [{"label": {}, "amount_minor": 2500, "currency": "PEN"}]
    changed = client.put(
        "/api/v1/cities/trujillo/services/tree", json={**BODY, "target_hours": 24}, headers=headers
    )
    assert changed.status_code == 200
    assert changed.json()["target_hours"] == 24
    admin = bearer(client, "trujillo", "a-administrator")
    audit = client.get("/api/v1/cities/trujillo/audit?entity_type=service", headers=admin).json()
    mine = [e for e in audit if e["entity_id"] == "tree"]
    assert [e["action"] for e in mine] == ["service.updated", "service.created"]
    assert mine[0]["changes"] == {"target_hours": 24}
    assert mine[0]["actor"] == "user:a-manager"


def test_roles_without_write_permission_are_refused(client, two_cities):
    for username in ("a-caseworker", "a-agent", "a-fieldworker"):
        r = client.put(
            "/api/v1/cities/trujillo/services/tree",
            json=BODY,
            headers=bearer(client, "trujillo", username),
        )
        assert r.status_code == 403, username
        assert "catalogue:service:write" in r.json()["error"]["message"]
    assert client.put("/api/v1/cities/trujillo/services/tree", json=BODY).status_code == 401


def test_invalid_service_gets_field_level_messages_in_the_readers_language(client, two_cities):
    headers = {**bearer(client, "musterstadt", "b-manager"), "Accept-Language": "de-DE,de;q=0.9"}
    bad = {**BODY, "category": "moon", "fees": [{"amount_minor": "ten", "currency": "EUR"}]}
    bad.pop("name")
    r = client.put("/api/v1/cities/musterstadt/services/tree", json=bad, headers=headers)
    assert r.status_code == 422
    problems = {p["location"]: p["message"] for p in r.json()["error"]["problems"]}
    assert problems["name"] == "Dieses Feld ist erforderlich."
    assert problems["fees[0].amount_minor"] == "Geben Sie eine ganze Zahl an."
    assert problems["category"].startswith("Wählen Sie eines von:")


def test_errors_follow_the_citys_languages(client, two_cities):
    headers = {**bearer(client, "trujillo", "a-manager"), "Accept-Language": "de"}
    r = client.put(
        "/api/v1/cities/trujillo/services/tree", json={**BODY, "code": "x"}, headers=headers
    )
    # German is not one of Trujillo's languages, so its default (Spanish) is used
    assert r.status_code == 400
    assert (
        r.json()["error"]["message"]
        == "El código del cuerpo (x) difiere del código de la dirección (tree)."
    )


def test_fee_in_a_foreign_currency_is_refused(client, two_cities):
    headers = bearer(client, "trujillo", "a-manager")
    body = {**BODY, "fees": [{"amount_minor": 100, "currency": "EUR"}]}
    r = client.put("/api/v1/cities/trujillo/services/tree", json=body, headers=headers)
    assert r.status_code == 400
    assert r.json()["error"]["problems"][0]["location"] == "service.fees[0].currency"


def test_malformed_json_is_a_clear_422(client, two_cities):
    headers = {**bearer(client, "trujillo", "a-manager"), "content-type": "application/json"}
    r = client.put("/api/v1/cities/trujillo/services/tree", content=b"{not json", headers=headers)
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["message"].startswith("El cuerpo no es JSON válido")


def test_oversized_body_is_refused_before_reading(client, two_cities, monkeypatch):
    headers = bearer(client, "trujillo", "a-manager")
    r = client.put(
        "/api/v1/cities/trujillo/services/tree",
        content=b"x" * (2 * 1024 * 1024 + 1),
        headers={**headers, "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"


def test_delete_service(client, two_cities):
    headers = bearer(client, "trujillo", "a-administrator")
    r = client.delete("/api/v1/cities/trujillo/services/a-draft", headers=headers)
    assert r.status_code == 204
    r = client.get("/api/v1/cities/trujillo/services/a-draft", headers=headers)
    assert r.status_code == 404
    r = client.delete("/api/v1/cities/trujillo/services/a-draft", headers=headers)
    assert r.status_code == 404


def test_a_service_with_requests_is_unpublished_not_deleted(client, two_cities):
    headers = bearer(client, "trujillo", "a-administrator")
    r = client.delete("/api/v1/cities/trujillo/services/a-light?lang=en", headers=headers)
    assert r.status_code == 409
    assert "unpublish it instead" in r.json()["error"]["message"]
    assert client.get("/api/v1/cities/trujillo/services/a-light").status_code == 200


def test_import_endpoint_is_all_or_nothing(client, two_cities):
    headers = {**bearer(client, "trujillo", "a-administrator"), "content-type": "text/plain"}
    bad = "services:\n  - code: q\n    category: roads\n"
    r = client.post(
        "/api/v1/cities/trujillo/services/import?format=yaml", content=bad, headers=headers
    )
    assert r.status_code == 400
    locations = [p["location"] for p in r.json()["error"]["problems"]]
    assert "line 2: services[0].name" in locations
    good = yaml.safe_dump({"services": [{**BODY, "code": "q"}]})
    r = client.post(
        "/api/v1/cities/trujillo/services/import?format=yaml", content=good, headers=headers
    )
    assert r.status_code == 200
    assert r.json()["created"] == 1


def test_export_formats(client, two_cities):
    r = client.get("/api/v1/cities/trujillo/services/export?format=open311&lang=en")
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()[0]["service_name"] == "Service a-light"
    r = client.get("/api/v1/cities/trujillo/services/export?format=yaml")
    assert yaml.safe_load(r.text)["services"][0]["code"] == "a-light"
    r = client.get("/api/v1/cities/trujillo/services/export?format=cpsv-ap")
    assert r.headers["content-type"].startswith("application/ld+json")
    assert client.get("/api/v1/cities/trujillo/services/export?format=pdf").status_code == 422


def test_unknown_city_is_a_json_404(client, two_cities):
    r = client.get("/api/v1/cities/atlantis/services")
    assert r.status_code == 404
    assert r.json()["error"] == {
        "code": "not_found",
        "message": "No city 'atlantis' is served here.",
    }
