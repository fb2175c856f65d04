"""The router every Civitas module declares its routes on.

FastAPI finds a request's route by trying every route of every included router in turn,
each with its own regular expression and some bookkeeping: an Open311 request tried about
sixty staff-API routes first (0.18 ms of one core, on every request), a page about a
hundred and fifty. ``Router`` answers "none of mine" with a single expression made of all
its routes' paths, so a request passes a whole router that cannot serve it in one C-level
match; the routes of a router that can are tried exactly as FastAPI would.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>")
_NOTHING = re.compile(r"(?!)")


class Router(APIRouter):
    """An ``APIRouter`` that rules itself out with one expression (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate: tuple[int, re.Pattern[str] | None] = (-1, None)

    def _gate_for_routes(self) -> re.Pattern[str] | None:
        """All routes' path expressions as one (group names dropped: they repeat), made
        again when routes were added; None when a route has no path expression."""
        count, gate = self._gate
        if count == len(self.routes):
            return gate
        regexes = [getattr(route, "path_regex", None) for route in self.routes]
        if all(isinstance(r, re.Pattern) for r in regexes):
            patterns = [f"(?:{_NAMED_GROUP.sub('(?:', str(r.pattern))})" for r in regexes if r]
            gate = re.compile("|".join(patterns)) if patterns else _NOTHING
        else:
            gate = None
        self._gate = (len(self.routes), gate)
        return gate

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        gate = self._gate_for_routes()
        if (
            gate is not None
            and scope.get("type") in ("http", "websocket")
            and gate.match(get_route_path(scope)) is None
        ):
            return Match.NONE, {}
        return super().matches(scope)
