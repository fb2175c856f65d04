"""Online applications give a service its "online" route once its form is published, and
tell other domains (the resident assistant) where to apply."""

from __future__ import annotations

from typing import Any

from civitas.applications.forms import published_codes
from civitas.core import channels, lookups, plugins


def _online(db: Any, city: Any) -> set[str]:
    if not plugins.enabled(city, "applications"):
        return set()
    return published_codes(db, city)


channels.provide("online", _online)


@lookups.answer("service.apply_url", "applications")
def apply_url(db: Any, city: Any, *, code: str) -> str | None:
    """Where a resident applies for the service online (None: no published form)."""
    return f"/apply/{code}" if code in published_codes(db, city) else None
