"""Which channels of a service really work, so a service never claims one it does not have.

A domain that gives services a route on a channel says so here: the online applications
register ``provide("online", codes)``, where ``codes(db, city)`` names the services with a
published form; a future assistant will provide "chatbot". The catalogue asks
:func:`codes_with` and shows (and lets an administrator claim) a channel only where a
route exists. The core names no domain: providers register when their module is imported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Provider = Callable[[Any, Any], set[str]]  # (db, city) -> service codes with a route

_providers: dict[str, list[Provider]] = {}


def provide(channel: str, codes: Provider) -> None:
    """Register a function naming the services that have a route on ``channel``."""
    found = _providers.setdefault(channel, [])
    if codes not in found:
        found.append(codes)


def codes_with(db: Any, city: Any, channel: str) -> set[str]:
    """The services of the city with a route on ``channel`` (from every provider)."""
    found: set[str] = set()
    for codes in _providers.get(channel, ()):
        found |= codes(db, city)
    return found


def provided(channel: str) -> bool:
    """Whether any installed domain gives routes on this channel at all."""
    return bool(_providers.get(channel))
