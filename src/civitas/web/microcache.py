"""Short-lived caches: public Open311 list answers per city, and the directory of cities.

Lists of requests are read far more than they change. Answers are kept for
``CIVITAS_OPEN311_LIST_CACHE_SECONDS`` (default 2 s; 0 turns the cache off). A committed
change to anything a list shows (requests, notes, photos, services, departments) clears
that city's entries in this process at once; other processes see it within the time
limit. Single requests (``requests/{id}``) are never cached, so a client reads its own
writes.

The directory maps a jurisdiction_id (Open311), or a slug (the JSON API and the pages), to
its city for ``CITY_SECONDS``: a committed change to a city clears it in this process at
once. Entries are detached copies; a request merges
one into its own session (no query) before using it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from civitas.cases import service as cases
from civitas.cases.models import RequestMedia, RequestNote, RoutingRule, ServiceRequest
from civitas.catalogue.models import Service
from civitas.cities.models import City, Department

MAX_ENTRIES = 1024
CITY_SECONDS = 30.0
SHOWN = (ServiceRequest, RequestNote, RequestMedia, Service, Department, RoutingRule)
_KEY = "civitas_changed_cities"
_CITY_KEY = "civitas_city_changed"
_CATALOGUE_KEY = "civitas_catalogue_changed"
SERVICE_SECONDS = 10.0


@dataclass(frozen=True)
class Entry:
    expires: float
    body: bytes
    media_type: str


class ListCache:
    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[int, str], Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, city_id: int, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get((city_id, key))
            if entry is None:
                return None
            if entry.expires < time.monotonic():
                del self._entries[(city_id, key)]
                return None
            self._entries.move_to_end((city_id, key))
            return entry

    def put(self, city_id: int, key: str, body: bytes, media_type: str, seconds: float) -> None:
        with self._lock:
            self._entries[(city_id, key)] = Entry(time.monotonic() + seconds, body, media_type)
            self._entries.move_to_end((city_id, key))
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def clear_city(self, city_id: int) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == city_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


lists = ListCache()


class CityDirectory:
    """jurisdiction_id (or "" for the only city) -> a detached, fully loaded City."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, City]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> City | None:
        with self._lock:
            found = self._entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: str, city: City) -> None:
        """Keep a detached copy of the city's columns (the session keeps its own object)."""
        copy = City(**{a.key: getattr(city, a.key) for a in inspect(City).column_attrs})
        make_transient_to_detached(copy)
        with self._lock:
            self._entries[key] = (time.monotonic() + CITY_SECONDS, copy)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


cities = CityDirectory()  # by jurisdiction_id (Open311)
slugs = CityDirectory()  # by slug (the JSON API and the pages)


class ServiceDirectory:
    """city id -> what a list shows of each of its services (code, names, department,
    public location), for ``SERVICE_SECONDS``. A committed change to a service or a
    department clears the city's entry in this process at once; other processes see it
    within the time limit. Which requests a public list may show at all is decided in the
    database on every query, never from here."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[float, dict[int, cases.ServiceInfo]]] = {}
        self._lock = threading.Lock()

    def infos(self, db: Session, city: City, service_ids: set[int]) -> dict[int, cases.ServiceInfo]:
        with self._lock:
            found = self._entries.get(city.id)
        if found is None or found[0] < time.monotonic() or not service_ids <= found[1].keys():
            found = (time.monotonic() + SERVICE_SECONDS, cases.service_infos(db, city, None))
            with self._lock:
                self._entries[city.id] = found
        return {i: found[1][i] for i in service_ids if i in found[1]}

    def clear_city(self, city_id: int) -> None:
        with self._lock:
            self._entries.pop(city_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


services = ServiceDirectory()
service_infos = services.infos


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    changed: set[int] = session.info.setdefault(_KEY, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, SHOWN):
            changed.add(obj.tenant_id)
            if isinstance(obj, Service | Department):
                session.info.setdefault(_CATALOGUE_KEY, set()).add(obj.tenant_id)
        elif isinstance(obj, City):
            session.info[_CITY_KEY] = True


@event.listens_for(Session, "after_commit")
def _clear_changed(session: Session) -> None:
    for city_id in session.info.pop(_KEY, set()):
        lists.clear_city(city_id)
    for city_id in session.info.pop(_CATALOGUE_KEY, set()):
        services.clear_city(city_id)
    if session.info.pop(_CITY_KEY, False):
        cities.clear()
        slugs.clear()


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_KEY, None)
    session.info.pop(_CITY_KEY, None)
    session.info.pop(_CATALOGUE_KEY, None)


class Flights:
    """One computation per key at a time: when a cached list expires under load, the
    first request computes it and the others waiting for the same key take its answer,
    instead of all computing the same list at once. Event-loop only (not thread-safe)."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[tuple[bytes, str]]] = {}

    async def run(
        self, key: Hashable, work: Callable[[], Awaitable[tuple[bytes, str]]]
    ) -> tuple[bytes, str]:
        running = self._running.get(key)
        if running is not None:
            try:
                return await asyncio.shield(running)
            except Exception:  # the first one failed: its error is reported to it alone
                return await work()
        future: asyncio.Future[tuple[bytes, str]] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            result = await work()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no warning when nobody else waited
            raise
        finally:
            del self._running[key]
        future.set_result(result)
        return result


flights = Flights()
