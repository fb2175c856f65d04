"""The catalogue as Open311 GeoReport v2 sees it: the service list and service definitions."""

from __future__ import annotations

from typing import Any

from civitas.catalogue.models import Service
from civitas.catalogue.schemas import label
from civitas.cities.models import City
from civitas.core.i18n import pick, translate


def service_entry(city: City, service: Service, lang: str) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": pick(service.name, lang, city.default_language),
        "description": pick(service.description, lang, city.default_language),
        "metadata": bool(service.attributes),
        "type": service.open311_type,
        "keywords": ",".join(service.keywords),
        "group": service.group or translate(lang, label("category", service.category)),
    }


def service_list(city: City, services: list[Service], lang: str) -> list[dict[str, Any]]:
    return [service_entry(city, s, lang) for s in services if s.is_open311]


def service_definition(city: City, service: Service, lang: str) -> dict[str, Any]:
    attributes = []
    for attr in sorted(service.attributes, key=lambda a: a["order"]):
        entry: dict[str, Any] = {
            "variable": attr.get("variable", True),
            "code": attr["code"],
            "datatype": attr["datatype"],
            "required": attr.get("required", False),
            "datatype_description": pick(
                attr.get("datatype_description"), lang, city.default_language
            )
            or None,
            "order": attr["order"],
            "description": pick(attr["description"], lang, city.default_language),
        }
        if attr.get("values"):
            entry["values"] = [
                {"key": v["key"], "name": pick(v["name"], lang, city.default_language)}
                for v in attr["values"]
            ]
        attributes.append(entry)
    return {"service_code": service.code, "attributes": attributes}
