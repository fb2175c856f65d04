"""Import a catalogue from YAML or CSV: validate everything first, write nothing on any error,
and report every problem with its line (and path) so the file can be fixed in one pass."""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from civitas.catalogue.schemas import ServiceIn
from civitas.catalogue.service import apply_import, check_service, department_ids
from civitas.cities.models import City
from civitas.cities.schemas import DepartmentCreate
from civitas.core.documents import (
    Parsed,
    line_for,
    located,
    model_of,
    parse_yaml,
)
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_, NP_

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class CatalogueFile(BaseModel):
    """The YAML document: optional departments, then services."""

    model_config = ConfigDict(extra="forbid")

    departments: list[DepartmentCreate] = Field(default_factory=list)
    services: list[ServiceIn] = Field(default_factory=list)


CSV_COLUMNS = (
    "code",
    "name_es",
    "name_de",
    "name_en",
    "description_es",
    "description_de",
    "description_en",
    "category",
    "life_situation",
    "channels",
    "department",
    "fee_amount_minor",
    "fee_currency",
    "target_hours",
    "open311_type",
    "keywords",
    "group",
    "published",
    "legal_basis_url",
    "legal_basis_title",
)


def _i18n(row: dict[str, str], prefix: str) -> dict[str, str]:
    return {
        lang: row[f"{prefix}_{lang}"] for lang in ("es", "de", "en") if row.get(f"{prefix}_{lang}")
    }


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def parse_csv(text: str) -> Parsed:
    """One service per row (UTF-8, comma-separated, header row). Lists use ';'.
    Attributes, several fees and documents need YAML."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _parse_rows(reader)
    except csv.Error as exc:
        raise InvalidInput(
            "The CSV cannot be read at line {line}: {detail}.",
            line=reader.line_num,
            detail=str(exc),
        ) from None


def _parse_rows(reader: csv.DictReader[str]) -> Parsed:
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in CSV_COLUMNS]
    missing = [c for c in ("code", "category", "channels", "department") if c not in header]
    if unknown or missing:
        problems = [Problem("line 1", "Unknown column '{column}'.", {"column": c}) for c in unknown]
        problems += [
            Problem("line 1", "Missing column '{column}'.", {"column": c}) for c in missing
        ]
        raise InvalidInput("The CSV header is wrong.", problems=problems)
    services: list[dict[str, Any]] = []
    lines: dict[tuple[str | int, ...], int] = {}
    for index, row in enumerate(reader):
        lines[("services", index)] = reader.line_num
        item: dict[str, Any] = {
            "code": row.get("code", ""),
            "name": _i18n(row, "name"),
            "description": _i18n(row, "description"),
            "category": row.get("category", ""),
            "life_situation": row.get("life_situation") or None,
            "channels": _split(row.get("channels")),
            "department": row.get("department", ""),
            "target_hours": row.get("target_hours") or None,
            "open311": {
                "type": row.get("open311_type") or "realtime",
                "keywords": _split(row.get("keywords")),
                "group": row.get("group") or None,
            },
            "published": (row.get("published") or "true").strip().lower() in ("true", "yes", "1"),
        }
        if row.get("fee_amount_minor"):
            item["fees"] = [
                {"amount_minor": row["fee_amount_minor"], "currency": row.get("fee_currency", "")}
            ]
        if row.get("legal_basis_url"):
            title = row.get("legal_basis_title") or row["legal_basis_url"]
            item["legal_basis"] = [{"title": {"en": title}, "url": row["legal_basis_url"]}]
        services.append(item)
    return Parsed(data={"services": services}, lines=lines)


def validate(db: Session, city: City, parsed: Parsed) -> CatalogueFile:
    """Every problem of the file at once, or the validated catalogue."""
    problems: list[Problem] = []
    catalogue = model_of(
        parsed,
        CatalogueFile,
        NP_(
            "The catalogue has {count} problem; nothing was imported.",
            "The catalogue has {count} problems; nothing was imported.",
        ),
    )
    known = department_ids(db, city)
    known.update({d.code: 0 for d in catalogue.departments})
    problems += _duplicates(parsed, "departments", [d.code for d in catalogue.departments])
    problems += _duplicates(parsed, "services", [s.code for s in catalogue.services])
    for i, service in enumerate(catalogue.services):
        for p in check_service(city, service, known, f"services[{i}]"):
            line = line_for(parsed.lines, ("services", i))
            problems.append(
                Problem(f"line {line}: {p.location}" if line else p.location, p.message, p.params)
            )
    if problems:
        raise InvalidInput(
            NP_(
                "The catalogue has {count} problem; nothing was imported.",
                "The catalogue has {count} problems; nothing was imported.",
            ),
            problems=problems,
            count=len(problems),
        )
    return catalogue


def _duplicates(parsed: Parsed, kind: str, codes: list[str]) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for i, code in enumerate(codes):
        if code in first:
            problems.append(
                located(
                    parsed,
                    (kind, i, "code"),
                    N_("The code '{code}' is used twice (also at entry {first})."),
                    code=code,
                    first=first[code],
                )
            )
        first.setdefault(code, i)
    return problems


def parse(text: str, fmt: str) -> Parsed:
    if fmt == "yaml":
        return parse_yaml(text, expected="Expected a mapping with 'departments' and 'services'.")
    if fmt == "csv":
        return parse_csv(text)
    raise InvalidInput("Unknown import format '{fmt}'; use yaml or csv.", fmt=fmt)


def import_catalogue(db: Session, city: City, *, text: str, fmt: str, actor: str) -> dict[str, int]:
    """Validate the whole file, then write it in the caller's single transaction."""
    if len(text.encode()) > MAX_IMPORT_BYTES:
        raise InvalidInput("The file is larger than {limit} MB.", limit=MAX_IMPORT_BYTES // 2**20)
    catalogue = validate(db, city, parse(text, fmt))
    return apply_import(
        db, city, departments=catalogue.departments, services=catalogue.services, actor=actor
    )
