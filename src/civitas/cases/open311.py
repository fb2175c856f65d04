"""GeoReport v2 for requests: read a POST's form fields, write requests in the spec's shape.

Spec: open311.github.io GeoReport_v2, sections "POST Service Request", "GET Service
Requests", "GET Service Request", "GET service_request_id from a token".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from civitas.cases.models import RequestNote, ServiceRequest
from civitas.cases.publicity import EXACT, public_place
from civitas.cases.schemas import RequestChannel, RequestCreate, open311_status
from civitas.cases.service import Listed, PublicListed, ServiceInfo
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.core.errors import Problem
from civitas.core.i18n import N_, pick, translate_plural
from civitas.core.validation import location, template_for

SCALAR_FIELDS = (
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
    "zipcode",
)
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


def _field_name(loc: tuple[Any, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "attributes":
        return f"attribute[{loc[1]}]"
    return location(loc)


def read_form(fields: Iterable[tuple[str, str]], *, language: str | None) -> dict[str, Any]:
    """The form of a POST Service Request as RequestCreate input. An empty optional argument
    is the same as an absent one (Definitions: "Optional Arguments")."""
    data: dict[str, Any] = {"channel": RequestChannel.OPEN311, "attributes": {}}
    attributes: dict[str, Any] = data["attributes"]
    for name, raw in fields:
        value = raw.strip()
        if match := _ATTRIBUTE.match(name):
            code, is_list = match.group(1), bool(match.group(2))
            if is_list:
                existing = attributes.setdefault(code, [])
                if isinstance(existing, list) and value != "":
                    existing.append(value)
            elif value != "":
                attributes[code] = value
        elif name in SCALAR_FIELDS and value != "":
            data.setdefault(name, value)
    if language:
        data["language"] = language
    return data


def validate_post(data: dict[str, Any]) -> tuple[RequestCreate | None, list[Problem]]:
    """Every problem of the fields themselves; and the request made of the valid fields, so
    that location and attributes can still be checked and all problems reported at once."""
    if "service_code" not in data:
        return None, [Problem("service_code", N_("This field is required."))]
    try:
        return RequestCreate.model_validate(data), []
    except ValidationError as exc:
        problems = []
        bad: set[str] = set()
        for err in exc.errors():
            template, params = template_for(err)
            problems.append(Problem(_field_name(tuple(err["loc"])), template, params))
            bad.add(str(err["loc"][0]))
    remaining = {k: v for k, v in data.items() if k not in bad}
    if "service_code" in bad:
        return None, problems
    try:
        return RequestCreate.model_validate(remaining), problems
    except ValidationError:
        return None, problems


def w3_datetime(moment: datetime | None, city: City) -> str | None:
    """ISO 8601 in the city's time zone with its offset (spec: Date/time format)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(city.timezone)).isoformat(timespec="seconds")


def service_notice(target_hours: int | None, lang: str) -> str | None:
    if not target_hours:
        return None
    if target_hours % 24 == 0:
        return translate_plural(
            lang,
            "We aim to deal with this within {count} day.",
            "We aim to deal with this within {count} days.",
            target_hours // 24,
        )
    return translate_plural(
        lang,
        "We aim to deal with this within {count} hour.",
        "We aim to deal with this within {count} hours.",
        target_hours,
    )


def post_answer(request: ServiceRequest, service: Service, lang: str) -> dict[str, Any]:
    """POST Service Request response: the id or the token, never both (blackbox: neither)."""
    answer: dict[str, Any] = {}
    if service.open311_type == "realtime":
        answer["service_request_id"] = str(request.number)
    elif service.open311_type == "batch":
        answer["token"] = request.token
    answer["service_notice"] = service_notice(service.target_hours, lang)
    answer["account_id"] = request.account_id
    return answer


def request_entry(
    city: City,
    request: Listed,
    service: ServiceInfo,
    lang: str,
    status_notes: str | None,
    media_url: str | None = None,
) -> dict[str, Any]:
    """One request in GET Service Request(s), with the spec's fields in the spec's order.
    Nothing that identifies the reporter is shown, and the place and description only as
    far as the service allows in public (publicity.py)."""
    shown = public_place(service.public_location, request)
    return {
        "service_request_id": str(request.number),
        "status": open311_status(request.status),
        "status_notes": status_notes,
        "service_name": pick(service.name, lang, city.default_language),
        "service_code": service.code,
        "description": shown.description,
        "agency_responsible": pick(service.department_name, lang, city.default_language),
        "service_notice": service_notice(service.target_hours, lang),
        "requested_datetime": w3_datetime(request.requested_at, city),
        "updated_datetime": w3_datetime(request.updated_at, city),
        "expected_datetime": w3_datetime(request.expected_at, city),
        "address": shown.address,
        "address_id": shown.address_id,
        "zipcode": shown.zipcode,
        "lat": shown.lat,
        "long": shown.long,
        "media_url": media_url if service.public_location == EXACT else None,
    }


def extended_attributes(
    city: City,
    request: PublicListed | ServiceRequest,
    *,
    photos: list[str],
    notes: list[RequestNote],
    public_location: str,
) -> dict[str, Any]:
    """``extensions=true``: detailed status, channel, attribute values, photos and the
    public status history (never internal notes or the reporter). Answers and photos only
    for services shown exactly in public: they may describe or show a home."""
    exact = public_location == EXACT
    return {
        "detailed_status": request.status,
        "channel": request.channel,
        "attributes": [{"code": code, "value": value} for code, value in request.attributes.items()]
        if exact
        else [],
        "photos": photos if exact else [],
        "notes": [
            {"datetime": w3_datetime(n.at, city), "status": n.status, "text": n.text} for n in notes
        ],
    }


# FixMyStreet-style service request updates (mySociety's Open311 extension)
FMS_STATUS = {
    "received": "open",
    "acknowledged": "investigating",
    "in_progress": "in_progress",
    "on_hold": "action_scheduled",
    "resolved": "fixed",
    "closed": "closed",
    "rejected": "no_further_action",
    "duplicate": "duplicate",
    "withdrawn": "closed",
}
FMS_INCOMING = frozenset(
    {
        "open",
        "closed",
        "fixed",
        "in_progress",
        "action_scheduled",
        "investigating",
        "duplicate",
        "not_councils_responsibility",
        "no_further_action",
        "internal_referral",
        "reopen",
    }
)


def update_entry(city: City, request: ServiceRequest, note: RequestNote) -> dict[str, Any]:
    return {
        "update_id": str(note.id),
        "service_request_id": str(request.number),
        "status": FMS_STATUS[note.status],
        "updated_datetime": w3_datetime(note.at, city),
        "description": note.text,
        "media_url": None,
    }
