"""Online applications give a service its "online" route once its form is published."""

from __future__ import annotations

from typing import Any

from civitas.applications.forms import published_codes
from civitas.core import channels, plugins


def _online(db: Any, city: Any) -> set[str]:
    if not plugins.enabled(city, "applications"):
        return set()
    return published_codes(db, city)


channels.provide("online", _online)
