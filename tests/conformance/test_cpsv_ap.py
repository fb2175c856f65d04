"""The catalogue export conforms to EU CPSV-AP 3.2.0, checked with pyshacl against the
official SHACL shapes (a pinned copy of shared/standards/cpsv-ap-3.2.0 lives beside this
file, with its SOURCE.md, so the check does not depend on where the repository sits)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Namespace, URIRef

from civitas.catalogue.cpsv import export_cpsv
from civitas.catalogue.service import list_services
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.config import get_settings
from civitas.core.db import session_scope
from civitas.demo import DEMO_CITIES, load_demo_city

STANDARDS = Path(__file__).resolve().parent / "standards" / "cpsv-ap-3.2.0"
SHAPES = STANDARDS / "cpsv-ap-SHACL.ttl"
CPSV = Namespace("http://purl.org/vocab/cpsv#")
DCT = Namespace("http://purl.org/dc/terms/")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    if not SHAPES.exists():
        pytest.fail(f"the official CPSV-AP shapes are missing at {SHAPES}")
    return Graph().parse(SHAPES)


def conforms(document: dict, shapes: Graph) -> tuple[bool, str]:
    data = Graph().parse(data=json.dumps(document), format="json-ld")
    ok, _, text = validate(data, shacl_graph=shapes, inference="none", allow_warnings=False)
    return bool(ok), str(text)


@pytest.fixture
def demo_export(engine) -> dict:
    """The whole demo catalogue of Musterstadt, exported."""
    settings = get_settings()
    with session_scope() as db:
        load_demo_city(db, settings, DEMO_CITIES[1], only=("catalogue",))
    with session_scope() as db:
        city = enter_city(db, get_city_by_slug(db, "musterstadt"))
        return export_cpsv(city, list_services(db, city), base_url=settings.public_url)


def test_demo_catalogue_conforms_to_cpsv_ap(demo_export, shapes):
    ok, report = conforms(demo_export, shapes)
    assert ok, report
    graph = Graph().parse(data=json.dumps(demo_export), format="json-ld")
    services = set(graph.subjects(RDF.type, CPSV.PublicService))
    assert len(services) == 35
    iri = URIRef("https://civitas.test/cities/musterstadt/services/residence-registration")
    titles = {(getattr(t, "language", None), str(t)) for t in graph.objects(iri, DCT.title)}
    assert ("de", "Anmeldung einer Wohnung") in titles
    assert ("es", "Registro de domicilio") in titles


def test_validator_rejects_a_service_without_identifier(demo_export, shapes):
    broken = copy.deepcopy(demo_export)
    for node in broken["@graph"]:
        if node.get("@type") == "cpsv:PublicService":
            node.pop("dct:identifier")
            break
    ok, report = conforms(broken, shapes)
    assert not ok
    assert "identifier" in report


def test_validator_rejects_an_authority_without_spatial(demo_export, shapes):
    broken = copy.deepcopy(demo_export)
    for node in broken["@graph"]:
        if isinstance(node.get("@type"), list) and "cv:PublicOrganisation" in node["@type"]:
            node.pop("dct:spatial")
    ok, _ = conforms(broken, shapes)
    assert not ok


def test_fees_documents_legal_basis_and_processing_time_are_exported(demo_export):
    nodes = {n["@id"]: n for n in demo_export["@graph"]}
    base = "https://civitas.test/cities/musterstadt/services/"
    service = nodes[base + "residence-certificate"]
    cost = nodes[service["cv:hasCost"][0]["@id"]]
    assert cost["cv:hasValue"] == {"@value": "10.0", "@type": "xsd:double"}
    assert cost["cv:currency"]["@id"].endswith("/currency/EUR")
    assert service["cv:processingTime"] == {"@value": "P2D", "@type": "xsd:duration"}
    law = nodes[service["cv:hasLegalResource"][0]["@id"]]
    assert law["@id"] == "https://www.gesetze-im-internet.de/bmg/"
    evidence = nodes[service["cpsv:hasInput"][0]["@id"]]
    assert evidence["dct:identifier"] == "id-card"
    # who can use it: a Requirement (CPSV-AP 3.2 Requirement: identifier and name required)
    requirement = nodes[service["cv:holdsRequirement"][0]["@id"]]
    assert requirement["@type"] == "cv:Requirement"
    assert requirement["dct:identifier"] == "eligibility"
    assert {"@language": "de", "@value": "Wer kann es nutzen"} in requirement["dct:title"]
    assert {"@language": "en", "@value": "People registered as living in the city."} in (
        requirement["dct:description"]
    )
    channels = [nodes[c["@id"]] for c in service["cv:hasChannel"]]
    assert {c["dct:identifier"] for c in channels} == {
        "residence-certificate-online",
        "residence-certificate-office",
    }
    office = next(c for c in channels if c["dct:identifier"].endswith("office"))
    hours = nodes[office["cv:openingHours"][0]["@id"]]
    assert hours["dct:description"]["@value"] == "Mo,Tu,We,Th,Fr 08:00-16:30"
