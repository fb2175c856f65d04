"""The assistant gives a service its "chatbot" channel: it files requests for the
services that take them, and answers for every service (what it is, fees, documents,
where to go, the links to apply and book)."""

from __future__ import annotations

from typing import Any

from civitas.catalogue.service import list_services
from civitas.core import channels, plugins


def _chatbot(db: Any, city: Any) -> set[str]:
    if not plugins.enabled(city, "assistant"):
        return set()
    return {s.code for s in list_services(db, city)}


channels.provide("chatbot", _chatbot)
