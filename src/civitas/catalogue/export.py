"""The catalogue as YAML: the same shape the importer reads, so export → import round-trips."""

from __future__ import annotations

from typing import Any

import yaml

from civitas.catalogue.models import Service
from civitas.catalogue.service import service_to_schema
from civitas.cities.models import Department
from civitas.cities.schemas import DepartmentRead


def to_document(departments: list[Department], services: list[Service]) -> dict[str, Any]:
    return {
        "departments": [
            {
                k: v
                for k, v in DepartmentRead.model_validate(d).model_dump(mode="json").items()
                if v is not None
            }
            for d in departments
        ],
        "services": [
            service_to_schema(s).model_dump(mode="json", exclude_defaults=True) for s in services
        ],
    }


def to_yaml(departments: list[Department], services: list[Service]) -> str:
    return yaml.safe_dump(
        to_document(departments, services), allow_unicode=True, sort_keys=False, width=100
    )
