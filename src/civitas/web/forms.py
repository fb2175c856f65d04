"""Reading HTML forms into what the service layer takes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from civitas.catalogue.models import Service
from civitas.cities.models import City


def attribute_answers(city: City, service: Service, form: Any) -> dict[str, Any]:
    """The service's questions as the form sent them; a datetime-local value gets the
    city's offset (browsers send local time without one)."""
    given: dict[str, Any] = {}
    for attr in service.attributes:
        if not attr.get("variable", True):
            continue
        name = f"attribute[{attr['code']}]"
        if attr["datatype"] == "multivaluelist":
            values = [v for v in form.getlist(name) if isinstance(v, str) and v]
            if values:
                given[attr["code"]] = values
            continue
        value = form.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()
        if attr["datatype"] == "datetime":
            try:
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    value = moment.replace(tzinfo=ZoneInfo(city.timezone)).isoformat()
            except ValueError:
                pass
        given[attr["code"]] = value
    return given
