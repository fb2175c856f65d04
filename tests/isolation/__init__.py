"""The isolation walk's sample requests, one module per domain (see tests/test_isolation.py).

A domain's manifest may name its own module (``isolation``); otherwise its cases are in
``tests/isolation/<domain>.py``: ``ROUTES`` maps (method, path) to a :class:`Case`, and
``PUBLIC`` names the paths anyone may call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Case:
    """How to call a route: path parameters, a request (given whose credentials), status."""

    own_status: int
    params: Callable[[Any], dict[str, Any]] = lambda w: {}
    request: Callable[[Any], dict[str, Any]] = lambda w: {}
    auth: str = "bearer"  # how credentials travel: bearer, cookie, body (in the request)
    extra: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[Any], None] | None = None  # data the route needs beyond the world
