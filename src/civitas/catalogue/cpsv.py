"""Export a city's catalogue as EU CPSV-AP 3.2 JSON-LD.

The document is self-contained: its ``@context`` declares prefixes inline (no remote
context to fetch), and every object a SHACL ``sh:class`` constraint points at carries its
class, so the export validates against the official ``cpsv-ap-SHACL.ttl``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import time
from typing import Any

from babel.numbers import get_currency_precision

from civitas.catalogue.models import Service
from civitas.catalogue.schemas import Channel, LifeSituation, label
from civitas.cities.models import City, Department
from civitas.core.i18n import N_, translate

CONTEXT = {
    "cpsv": "http://purl.org/vocab/cpsv#",
    "cv": "http://data.europa.eu/m8g/",
    "dct": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "eli": "http://data.europa.eu/eli/ontology#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "locn": "http://www.w3.org/ns/locn#",
    "org": "http://www.w3.org/ns/org#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "time": "http://www.w3.org/2006/time#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
EU_CURRENCY = "http://publications.europa.eu/resource/authority/currency/"
LANGUAGE_CODES = {"es": "SPA", "de": "DEU", "en": "ENG"}
DAY_NAMES = {"mo": "Mo", "tu": "Tu", "we": "We", "th": "Th", "fr": "Fr", "sa": "Sa", "su": "Su"}


def _texts(texts: dict[str, str]) -> list[dict[str, str]]:
    return [{"@language": lang, "@value": value} for lang, value in sorted(texts.items())]


def _labels(msgid: str, languages: Iterable[str]) -> list[dict[str, str]]:
    return [{"@language": lang, "@value": translate(lang, msgid)} for lang in languages]


def duration(hours: int) -> str:
    """ISO 8601 duration: whole days as ``P5D``, otherwise hours as ``PT36H``."""
    return f"P{hours // 24}D" if hours % 24 == 0 else f"PT{hours}H"


def _hours_text(rule: dict[str, Any]) -> str:
    days = ",".join(DAY_NAMES[d] for d in rule["days"])
    opens = time.fromisoformat(rule["opens"]).strftime("%H:%M")
    closes = time.fromisoformat(rule["closes"]).strftime("%H:%M")
    return f"{days} {opens}-{closes}"


class _Builder:
    def __init__(
        self, city: City, base_url: str, shown: Mapping[str, list[str]] | None = None
    ) -> None:
        self.shown = shown
        self.city = city
        self.langs = list(city.languages)
        self.city_iri = f"{base_url.rstrip('/')}/cities/{city.slug}"
        self.vocab = f"{base_url.rstrip('/')}/vocab"
        self.nodes: dict[str, dict[str, Any]] = {}

    def add(self, node: dict[str, Any]) -> dict[str, str]:
        self.nodes.setdefault(node["@id"], node)
        return {"@id": node["@id"]}

    def concept(self, scheme: str, key: str, label_msgid: str) -> dict[str, str]:
        return self.add(
            {
                "@id": f"{self.vocab}/{scheme}/{key}",
                "@type": "skos:Concept",
                "skos:prefLabel": _labels(label_msgid, self.langs),
                "skos:inScheme": {"@id": f"{self.vocab}/{scheme}"},
                "skos:notation": key,
            }
        )

    def location(self) -> dict[str, str]:
        c = self.city
        return self.add(
            {
                "@id": f"{self.city_iri}#location",
                "@type": "dct:Location",
                "locn:geographicName": c.name,
                "dcat:bbox": {
                    "@value": f"POLYGON(({c.min_lon} {c.min_lat},{c.max_lon} {c.min_lat},"
                    f"{c.max_lon} {c.max_lat},{c.min_lon} {c.max_lat},{c.min_lon} {c.min_lat}))",
                    "@type": "http://www.opengis.net/ont/geosparql#wktLiteral",
                },
                "dcat:centroid": {
                    "@value": f"POINT({c.center_lon} {c.center_lat})",
                    "@type": "http://www.opengis.net/ont/geosparql#wktLiteral",
                },
            }
        )

    def city_org(self) -> dict[str, str]:
        return self.add(
            {
                "@id": f"{self.city_iri}#organisation",
                "@type": ["cv:PublicOrganisation", "org:Organization"],
                "skos:prefLabel": {
                    "@language": self.city.default_language,
                    "@value": self.city.name,
                },
                "dct:identifier": self.city.jurisdiction_id,
                "dct:spatial": self.location(),
            }
        )

    def department(self, dept: Department) -> dict[str, str]:
        node: dict[str, Any] = {
            "@id": f"{self.city_iri}/departments/{dept.code}",
            "@type": ["cv:PublicOrganisation", "org:Organization"],
            "skos:prefLabel": _texts(dept.name),
            "dct:identifier": dept.code,
            "dct:spatial": self.location(),
            "org:subOrganizationOf": self.city_org(),
        }
        return self.add(node)

    def contact_point(self, service: Service, iri: str) -> dict[str, str] | None:
        dept = service.department
        if not (dept.email or dept.phone or service.opening_hours):
            return None
        node: dict[str, Any] = {"@id": f"{iri}#contact", "@type": "cv:ContactPoint"}
        if dept.email:
            node["cv:email"] = dept.email
        if dept.phone:
            node["cv:telephone"] = dept.phone
        if service.opening_hours:
            node["cv:openingHours"] = [
                self.opening_hours(iri, i, r) for i, r in enumerate(service.opening_hours)
            ]
        return self.add(node)

    def opening_hours(self, iri: str, index: int, rule: dict[str, Any]) -> dict[str, str]:
        return self.add(
            {
                "@id": f"{iri}#hours-{index}",
                "@type": "time:TemporalEntity",
                "dct:description": {"@language": "en", "@value": _hours_text(rule)},
            }
        )

    def service(self, service: Service) -> None:
        iri = f"{self.city_iri}/services/{service.code}"
        owner = self.department(service.department)
        node: dict[str, Any] = {
            "@id": iri,
            "@type": "cpsv:PublicService",
            "dct:identifier": service.code,
            "dct:title": _texts(service.name),
            "dct:description": _texts(service.description),
            "cv:hasCompetentAuthority": owner,
            "cv:thematicArea": self.concept(
                "category", service.category, label("category", service.category)
            ),
            "dct:language": [
                self.add(
                    {"@id": EU_LANGUAGE + LANGUAGE_CODES[lang], "@type": "dct:LinguisticSystem"}
                )
                for lang in self.langs
            ],
            "dct:spatial": self.location(),
        }
        if service.life_situation:
            key = LifeSituation(service.life_situation).value
            node["cv:isGroupedBy"] = self.add(
                {
                    "@id": f"{self.vocab}/life-event/{key}",
                    "@type": ["cv:LifeEvent", "cv:Event"],
                    "dct:identifier": key,
                    "dct:title": _labels(label("life_situation", key), self.langs),
                }
            )
        claimed = service.channels if self.shown is None else self.shown.get(service.code, [])
        node["cv:hasChannel"] = [self.channel(service, iri, owner, ch) for ch in claimed]
        if service.fees:
            node["cv:hasCost"] = [
                self.cost(iri, i, fee, owner) for i, fee in enumerate(service.fees)
            ]
        if service.eligibility:
            node["cv:holdsRequirement"] = [
                self.add(
                    {
                        "@id": f"{iri}#requirement-eligibility",
                        "@type": "cv:Requirement",
                        "dct:identifier": "eligibility",
                        "dct:title": _labels(N_("Who can use it"), self.langs),
                        "dct:description": _texts(service.eligibility),
                    }
                )
            ]
        if service.documents:
            node["cpsv:hasInput"] = [
                self.add(
                    {
                        "@id": f"{iri}#document-{doc['code']}",
                        "@type": "cv:Evidence",
                        "dct:identifier": doc["code"],
                        "dct:title": _texts(doc["name"]),
                        **(
                            {"dct:description": _texts(doc["description"])}
                            if doc.get("description")
                            else {}
                        ),
                    }
                )
                for doc in service.documents
            ]
        if service.legal_basis:
            node["cv:hasLegalResource"] = [
                self.add(
                    {
                        "@id": ref["url"],
                        "@type": "eli:LegalResource",
                        "dct:title": _texts(ref["title"]),
                    }
                )
                for ref in service.legal_basis
            ]
        if service.target_hours:
            node["cv:processingTime"] = {
                "@value": duration(service.target_hours),
                "@type": "xsd:duration",
            }
        if service.keywords:
            node["dcat:keyword"] = [
                {"@language": self.city.default_language, "@value": kw} for kw in service.keywords
            ]
        contact = self.contact_point(service, iri)
        if contact:
            node["cv:contactPoint"] = contact
        self.add(node)

    def channel(
        self, service: Service, iri: str, owner: dict[str, str], name: str
    ) -> dict[str, str]:
        node: dict[str, Any] = {
            "@id": f"{iri}#channel-{name}",
            "@type": "cv:Channel",
            "dct:identifier": f"{service.code}-{name}",
            "dct:type": self.concept("channel", Channel(name).value, label("channel", name)),
            "cv:ownedBy": owner,
        }
        if name == Channel.OFFICE and service.opening_hours:
            node["cv:openingHours"] = [
                self.opening_hours(iri, i, r) for i, r in enumerate(service.opening_hours)
            ]
        return self.add(node)

    def cost(
        self, iri: str, index: int, fee: dict[str, Any], owner: dict[str, str]
    ) -> dict[str, str]:
        digits = get_currency_precision(fee["currency"])
        node: dict[str, Any] = {
            "@id": f"{iri}#cost-{index}",
            "@type": "cv:Cost",
            "dct:identifier": f"{iri.rsplit('/', 1)[-1]}-cost-{index}",
            "cv:hasValue": {"@value": str(fee["amount_minor"] / 10**digits), "@type": "xsd:double"},
            "cv:currency": self.add(
                {"@id": EU_CURRENCY + fee["currency"], "@type": "skos:Concept"}
            ),
            "cv:isDefinedBy": owner,
        }
        if fee.get("label"):
            node["dct:description"] = _texts(fee["label"])
        return self.add(node)


def export_cpsv(
    city: City,
    services: Iterable[Service],
    *,
    base_url: str,
    shown: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The catalogue as CPSV-AP JSON-LD; ``shown`` (service code → channels) keeps to the
    channels that work today (``catalogue.service.shown_channels``)."""
    builder = _Builder(city, base_url, shown)
    builder.city_org()
    for service in services:
        builder.service(service)
    return {"@context": CONTEXT, "@graph": list(builder.nodes.values())}
