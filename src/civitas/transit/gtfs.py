"""Reading a static GTFS feed (a .zip of .txt files) and checking it against the GTFS
reference (https://gtfs.org/documentation/schedule/reference/): the files and columns it
requires, each field's type, the references between files, times that run forward and
frequencies that do not overlap.

:func:`parse_feed` answers every row of the files Civitas uses, ready to insert, or
raises :class:`InvalidInput` whose problems each name file, line and field. Files
Civitas does not use (fares, attributions, an agency's own extras) are ignored.
Intermediate stop times a feed leaves empty are interpolated along the trip, by
shape_dist_traveled when every stop has it, else by the distance between the stops.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from civitas.core.errors import InvalidInput, Problem
from civitas.core.geo import haversine_m
from civitas.core.i18n import N_, NP_

MAX_PROBLEMS = 50
MAX_UNZIPPED = 1 << 30  # a feed larger than 1 GiB unpacked is refused (a zip bomb)
REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
USED_FILES = (
    *REQUIRED_FILES,
    "calendar.txt",
    "calendar_dates.txt",
    "frequencies.txt",
    "shapes.txt",
    "transfers.txt",
)
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "agency.txt": ("agency_name", "agency_url", "agency_timezone"),
    "stops.txt": ("stop_id",),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "stop_id", "stop_sequence"),
    "calendar.txt": (
        "service_id",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "start_date",
        "end_date",
    ),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
    "shapes.txt": ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
    "transfers.txt": ("transfer_type",),
}
# route_type: the basic types and the extended (Hierarchical Vehicle Type) ones
BASIC_ROUTE_TYPES = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 11, 12})
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_COLOUR = re.compile(r"^[0-9A-Fa-f]{6}$")


def time_text(seconds: int) -> str:
    """GTFS's HH:MM:SS (hours past 24 for the next morning)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def parse_time(text: str) -> int | None:
    found = _TIME.match(text)
    if not found:
        return None
    h, m, s = (int(x) for x in found.groups())
    return h * 3600 + m * 60 + s


def parse_date(text: str) -> date | None:
    found = _DATE.match(text)
    if not found:
        return None
    try:
        return date(*(int(x) for x in found.groups()))
    except ValueError:
        return None


@dataclass
class ParsedFeed:
    """Every row Civitas keeps of a feed, as dicts of the models' columns."""

    agencies: list[dict[str, Any]] = field(default_factory=list)
    stops: list[dict[str, Any]] = field(default_factory=list)
    routes: list[dict[str, Any]] = field(default_factory=list)
    trips: list[dict[str, Any]] = field(default_factory=list)
    stop_times: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    service_dates: list[dict[str, Any]] = field(default_factory=list)
    frequencies: list[dict[str, Any]] = field(default_factory=list)
    shapes: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    timezone: str = "UTC"
    valid_from: date | None = None
    valid_to: date | None = None

    def counts(self) -> dict[str, int]:
        return {
            "agencies": len(self.agencies),
            "stops": len(self.stops),
            "routes": len(self.routes),
            "trips": len(self.trips),
            "stop_times": len(self.stop_times),
            "services": len(self.services),
            "service_dates": len(self.service_dates),
            "frequencies": len(self.frequencies),
            "shapes": len(self.shapes),
            "transfers": len(self.transfers),
        }


class _TooManyProblemsError(Exception):
    """Enough problems found: stop reading and report them."""


class _Checker:
    """Collects problems, each at "file line N: field"."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str, **params: Any) -> None:
        self.problems.append(Problem(where, message, params))
        if len(self.problems) >= MAX_PROBLEMS:
            raise _TooManyProblemsError


@dataclass
class _Row:
    """One row of a file: its line number and values (stripped; empty is None)."""

    file: str
    line: int
    values: dict[str, str | None]
    check: _Checker

    def at(self, column: str) -> str:
        return f"{self.file} line {self.line}: {column}"

    def text(self, column: str, *, required: bool = False, limit: int = 200) -> str | None:
        value = self.values.get(column)
        if value is None:
            if required:
                self.check.add(self.at(column), N_("Give {field}; GTFS requires it."), field=column)
            return None
        if len(value) > limit:
            self.check.add(
                self.at(column), N_("At most {limit} characters are allowed."), limit=limit
            )
            return None
        return value

    def integer(
        self,
        column: str,
        *,
        allowed: frozenset[int] | None = None,
        low: int | None = None,
        default: int | None = None,
        required: bool = False,
    ) -> int | None:
        value = self.text(column, required=required)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is not None and allowed is not None and number not in allowed:
            number = None
        if number is None and allowed is not None:
            self.check.add(
                self.at(column),
                N_("{value} is not allowed here; use one of {allowed}."),
                value=value,
                allowed=", ".join(str(a) for a in sorted(allowed)),
            )
            return default
        if number is None or (low is not None and number < low):
            self.check.add(
                self.at(column), N_("Give a whole number of at least {low}."), low=low or 0
            )
            return default
        return number

    def number(self, column: str, low: float, high: float, *, required: bool) -> float | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not (low <= number <= high):
            self.check.add(
                self.at(column),
                N_("Give {field} as a decimal number between {low} and {high}."),
                field=column,
                low=low,
                high=high,
            )
            return None
        return number

    def time(self, column: str, *, required: bool = False) -> int | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        seconds = parse_time(value)
        if seconds is None:
            self.check.add(
                self.at(column),
                N_("Give the time as HH:MM:SS (for example 08:05:00, or 25:10:00 after midnight)."),
            )
        return seconds

    def day(self, column: str) -> date | None:
        value = self.text(column, required=True)
        if value is None:
            return None
        found = parse_date(value)
        if found is None:
            self.check.add(self.at(column), N_("Give the date as YYYYMMDD (for example 20250131)."))
        return found


class _Files:
    """The feed's text files, read row by row."""

    def __init__(self, content: bytes, check: _Checker) -> None:
        self.check = check
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(content))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            raise InvalidInput(
                N_("The file is not a ZIP archive; a GTFS feed is a .zip of .txt files.")
            ) from None
        if sum(i.file_size for i in infos) > MAX_UNZIPPED:
            raise InvalidInput(N_("The feed unpacks to more than 1 GiB; Civitas refuses it."))
        # a feed zipped with its folder: its files one level down
        self.names: dict[str, str] = {}
        for info in infos:
            base = info.filename.rsplit("/", 1)[-1]
            if base in USED_FILES and (base not in self.names or "/" not in info.filename):
                self.names[base] = info.filename

    def has(self, name: str) -> bool:
        return name in self.names

    def rows(self, name: str) -> Iterator[_Row]:
        """The rows of one file (none when it is absent), after checking its columns."""
        if name not in self.names:
            return
        try:
            text = self.zip.read(self.names[name]).decode("utf-8-sig")
        except UnicodeDecodeError:
            self.check.add(name, N_("{file} is not UTF-8 text; save it as UTF-8."), file=name)
            return
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
            self.check.add(name, N_("{file} cannot be unpacked from the archive."), file=name)
            return
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            header = []
        except csv.Error:
            self.check.add(f"{name} line 1", N_("The line is not valid CSV."))
            return
        missing = [c for c in REQUIRED_COLUMNS[name] if c not in header]
        for column in missing:
            self.check.add(
                f"{name} line 1: {column}",
                N_("The column {field} is missing; GTFS requires it."),
                field=column,
            )
        if missing:
            return
        width = len(header)
        line = 1
        try:
            for record in reader:
                line = reader.line_num
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                values = {header[i]: (v.strip() or None) for i, v in enumerate(record[:width])}
                yield _Row(name, line, values, self.check)
        except csv.Error:
            self.check.add(f"{name} line {line + 1}", N_("The line is not valid CSV."))


def parse_feed(content: bytes) -> ParsedFeed:
    """The feed's rows, checked; or InvalidInput naming each problem's file, line, field."""
    check = _Checker()
    feed = ParsedFeed()
    try:
        files = _Files(content, check)
        for name in REQUIRED_FILES:
            if not files.has(name):
                check.add(name, N_("The feed has no {file}; GTFS requires it."), file=name)
        if not files.has("calendar.txt") and not files.has("calendar_dates.txt"):
            check.add("calendar.txt", N_("The feed needs calendar.txt or calendar_dates.txt."))
        if not check.problems:
            _read(files, feed, check)
    except _TooManyProblemsError:
        pass
    if check.problems:
        raise InvalidInput(
            NP_(
                "Nothing was imported: {count} problem in the feed (the first are named).",
                "Nothing was imported: {count} problems in the feed (the first are named).",
            ),
            problems=check.problems,
            count=len(check.problems),
        )
    return feed


def _unique(
    check: _Checker, seen: dict[str, int], row: _Row, column: str, value: str | None
) -> bool:
    if value is None:
        return False
    if value in seen:
        check.add(
            row.at(column),
            N_("The {field} {value} is used twice (first on line {other})."),
            field=column,
            value=value,
            other=seen[value],
        )
        return False
    seen[value] = row.line
    return True


def _unknown(check: _Checker, row: _Row, column: str, value: str, target: str) -> None:
    check.add(
        row.at(column),
        N_("{target} has no {field} {value}."),
        target=target,
        field=column.removeprefix("from_").removeprefix("to_").replace("parent_station", "stop_id"),
        value=value,
    )


def _read(files: _Files, feed: ParsedFeed, check: _Checker) -> None:
    agency_ids = _agencies(files, feed, check)
    stop_lines = _stops(files, feed, check)
    route_lines = _routes(files, feed, check, agency_ids)
    shape_ids = _shapes(files, feed, check)
    service_ids = _calendar(files, feed, check)
    trip_lines = _trips(files, feed, check, route_lines, service_ids, shape_ids)
    _stop_times(files, feed, check, stop_lines, trip_lines)
    _frequencies(files, feed, check, trip_lines)
    _transfers(files, feed, check, stop_lines, route_lines, trip_lines)


def _agencies(files: _Files, feed: ParsedFeed, check: _Checker) -> set[str]:
    seen: dict[str, int] = {}
    zones: dict[str, int] = {}
    rows = list(files.rows("agency.txt"))
    for row in rows:
        agency_id = row.text("agency_id", required=len(rows) > 1, limit=100)
        name = row.text("agency_name", required=True)
        url = row.text("agency_url", required=True, limit=300)
        zone = row.text("agency_timezone", required=True, limit=60)
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                check.add(
                    row.at("agency_timezone"),
                    N_("{value} is not a time zone of the IANA database (for example {example})."),
                    value=zone,
                    example="America/Lima",
                )
                zone = None
        if zone is not None:
            if zones and zone not in zones:
                check.add(
                    row.at("agency_timezone"),
                    N_("A feed has one time zone; {value} is not that of line {other}."),
                    value=zone,
                    other=next(iter(zones.values())),
                )
            zones.setdefault(zone, row.line)
        key = agency_id or ""
        if agency_id is not None:
            _unique(check, seen, row, "agency_id", agency_id)
        if name and url and zone:
            feed.agencies.append(
                {
                    "agency_id": key,
                    "name": name,
                    "url": url,
                    "timezone": zone,
                    "lang": row.text("agency_lang", limit=10),
                    "phone": row.text("agency_phone", limit=50),
                }
            )
    if not rows:
        check.add("agency.txt", N_("{file} has no rows."), file="agency.txt")
    if zones:
        feed.timezone = next(iter(zones))
    return {a["agency_id"] for a in feed.agencies}


def _stops(files: _Files, feed: ParsedFeed, check: _Checker) -> dict[str, int]:
    seen: dict[str, int] = {}
    types: dict[str, int] = {}
    parents: list[tuple[_Row, str]] = []
    for row in files.rows("stops.txt"):
        stop_id = row.text("stop_id", required=True, limit=100)
        kind = row.integer("location_type", allowed=frozenset(range(5)), default=0)
        assert kind is not None
        located = kind in (0, 1, 2)
        name = row.text("stop_name", required=located)
        lat = row.number("stop_lat", -90, 90, required=located)
        lon = row.number("stop_lon", -180, 180, required=located)
        parent = row.text("parent_station", limit=100)
        if kind == 1 and parent is not None:
            check.add(
                row.at("parent_station"), N_("A station (location_type 1) has no parent_station.")
            )
        if kind in (2, 3, 4) and parent is None:
            check.add(
                row.at("parent_station"),
                N_("Give parent_station; GTFS requires it for location_type {value}."),
                value=kind,
            )
        if not _unique(check, seen, row, "stop_id", stop_id):
            continue
        assert stop_id is not None
        types[stop_id] = kind
        if parent is not None:
            parents.append((row, parent))
        feed.stops.append(
            {
                "stop_id": stop_id,
                "code": row.text("stop_code", limit=50),
                "name": name or "",
                "description": row.text("stop_desc", limit=300),
                "lat": lat,
                "lon": lon,
                "location_type": kind,
                "parent_station": parent,
                "platform_code": row.text("platform_code", limit=50),
                "wheelchair": row.integer(
                    "wheelchair_boarding", allowed=frozenset({0, 1, 2}), default=0
                ),
            }
        )
    for row, parent in parents:
        if parent not in types:
            _unknown(check, row, "parent_station", parent, "stops.txt")
        elif types[parent] != 1 and types.get(row.values["stop_id"] or "", 0) != 3:
            check.add(
                row.at("parent_station"),
                N_("The parent_station {value} is not a station (location_type 1)."),
                value=parent,
            )
    return seen


def _routes(
    files: _Files, feed: ParsedFeed, check: _Checker, agency_ids: set[str]
) -> dict[str, int]:
    seen: dict[str, int] = {}
    several = len(agency_ids) > 1
    for row in files.rows("routes.txt"):
        route_id = row.text("route_id", required=True, limit=100)
        agency = row.text("agency_id", required=several, limit=100)
        if agency is not None and agency not in agency_ids:
            _unknown(check, row, "agency_id", agency, "agency.txt")
        kind = row.integer("route_type", required=True, low=0)
        if kind is not None and kind not in BASIC_ROUTE_TYPES and not (100 <= kind < 1800):
            check.add(
                row.at("route_type"),
                N_("{value} is not allowed here; use one of {allowed}."),
                value=kind,
                allowed="0–7, 11, 12, 100–1799",
            )
        short = row.text("route_short_name", limit=50)
        long = row.text("route_long_name")
        if short is None and long is None:
            check.add(row.at("route_short_name"), N_("Give route_short_name or route_long_name."))
        colours = {}
        for column in ("route_color", "route_text_color"):
            value = row.text(column, limit=6)
            if value is not None and not _COLOUR.match(value):
                check.add(
                    row.at(column),
                    N_("Give the colour as six hexadecimal digits (for example 1A6FB0)."),
                )
                value = None
            colours[column] = value.upper() if value else None
        if not _unique(check, seen, row, "route_id", route_id) or kind is None:
            continue
        feed.routes.append(
            {
                "route_id": route_id,
                "agency_id": agency if agency is not None else next(iter(agency_ids), None),
                "short_name": short,
                "long_name": long,
                "description": row.text("route_desc", limit=300),
                "type": kind,
                "color": colours["route_color"],
                "text_color": colours["route_text_color"],
                "sort_order": row.integer("route_sort_order", low=0),
            }
        )
    return seen


def _shapes(files: _Files, feed: ParsedFeed, check: _Checker) -> set[str]:
    points: dict[str, list[tuple[int, float, float, int]]] = defaultdict(list)
    for row in files.rows("shapes.txt"):
        shape_id = row.text("shape_id", required=True, limit=100)
        lat = row.number("shape_pt_lat", -90, 90, required=True)
        lon = row.number("shape_pt_lon", -180, 180, required=True)
        sequence = row.integer("shape_pt_sequence", required=True, low=0)
        if shape_id is None or lat is None or lon is None or sequence is None:
            continue
        points[shape_id].append((sequence, lat, lon, row.line))
    for shape_id, found in points.items():
        found.sort()
        for before, after in itertools.pairwise(found):
            if before[0] == after[0]:
                check.add(
                    f"shapes.txt line {after[3]}: shape_pt_sequence",
                    N_("The {field} {value} is used twice (first on line {other})."),
                    field="shape_pt_sequence",
                    value=after[0],
                    other=before[3],
                )
        feed.shapes.append(
            {"shape_id": shape_id, "points": [[round(p[1], 6), round(p[2], 6)] for p in found]}
        )
    return set(points)


def _calendar(files: _Files, feed: ParsedFeed, check: _Checker) -> set[str]:
    seen: dict[str, int] = {}
    dates: list[date] = []
    for row in files.rows("calendar.txt"):
        service_id = row.text("service_id", required=True, limit=100)
        bits = 0
        for n, weekday in enumerate(WEEKDAYS):
            if row.integer(weekday, required=True, allowed=frozenset({0, 1})):
                bits |= 1 << n
        start, end = row.day("start_date"), row.day("end_date")
        if start and end and end < start:
            check.add(row.at("end_date"), N_("The end_date is before the start_date."))
            continue
        if not _unique(check, seen, row, "service_id", service_id) or not (start and end):
            continue
        dates += [start, end]
        feed.services.append(
            {"service_id": service_id, "weekdays": bits, "start_date": start, "end_date": end}
        )
    pairs: dict[tuple[str, date], int] = {}
    for row in files.rows("calendar_dates.txt"):
        service_id = row.text("service_id", required=True, limit=100)
        day = row.day("date")
        kind = row.integer("exception_type", required=True, allowed=frozenset({1, 2}))
        if service_id is None or day is None or kind is None:
            continue
        if (service_id, day) in pairs:
            check.add(
                row.at("date"),
                N_("The {field} {value} is used twice (first on line {other})."),
                field="date",
                value=day.strftime("%Y%m%d"),
                other=pairs[service_id, day],
            )
            continue
        pairs[service_id, day] = row.line
        if kind == 1:
            dates.append(day)
        feed.service_dates.append({"service_id": service_id, "date": day, "exception_type": kind})
    if dates:
        feed.valid_from, feed.valid_to = min(dates), max(dates)
    return set(seen) | {s for s, _ in pairs}


def _trips(
    files: _Files,
    feed: ParsedFeed,
    check: _Checker,
    routes: dict[str, int],
    services: set[str],
    shapes: set[str],
) -> dict[str, int]:
    seen: dict[str, int] = {}
    for row in files.rows("trips.txt"):
        trip_id = row.text("trip_id", required=True, limit=100)
        route_id = row.text("route_id", required=True, limit=100)
        service_id = row.text("service_id", required=True, limit=100)
        shape_id = row.text("shape_id", limit=100)
        ok = True
        if route_id is not None and route_id not in routes:
            _unknown(check, row, "route_id", route_id, "routes.txt")
            ok = False
        if service_id is not None and service_id not in services:
            check.add(
                row.at("service_id"),
                N_("Neither calendar.txt nor calendar_dates.txt has the service_id {value}."),
                value=service_id,
            )
            ok = False
        if shape_id is not None and shape_id not in shapes:
            _unknown(check, row, "shape_id", shape_id, "shapes.txt")
            ok = False
        direction = row.integer("direction_id", allowed=frozenset({0, 1}))
        if not _unique(check, seen, row, "trip_id", trip_id) or not ok:
            continue
        feed.trips.append(
            {
                "trip_id": trip_id,
                "route_id": route_id,
                "service_id": service_id,
                "headsign": row.text("trip_headsign"),
                "short_name": row.text("trip_short_name", limit=50),
                "direction_id": direction,
                "block_id": row.text("block_id", limit=100),
                "shape_id": shape_id,
                "wheelchair": row.integer(
                    "wheelchair_accessible", allowed=frozenset({0, 1, 2}), default=0
                ),
            }
        )
    return seen


def _stop_times(
    files: _Files,
    feed: ParsedFeed,
    check: _Checker,
    stops: dict[str, int],
    trips: dict[str, int],
) -> None:
    located = {s["stop_id"]: (s["lat"], s["lon"]) for s in feed.stops}
    kinds = {s["stop_id"]: s["location_type"] for s in feed.stops}
    by_trip: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in files.rows("stop_times.txt"):
        trip_id = row.text("trip_id", required=True, limit=100)
        stop_id = row.text("stop_id", required=True, limit=100)
        sequence = row.integer("stop_sequence", required=True, low=0)
        arrival = row.time("arrival_time")
        departure = row.time("departure_time")
        ok = sequence is not None
        if trip_id is not None and trip_id not in trips:
            _unknown(check, row, "trip_id", trip_id, "trips.txt")
            ok = False
        if stop_id is not None:
            if stop_id not in stops:
                _unknown(check, row, "stop_id", stop_id, "stops.txt")
                ok = False
            elif kinds.get(stop_id, 0) != 0:
                check.add(
                    row.at("stop_id"),
                    N_("Trips stop at stops and platforms (location_type 0); {value} is not one."),
                    value=stop_id,
                )
                ok = False
        if arrival is None and departure is not None:
            arrival = departure
        if departure is None and arrival is not None:
            departure = arrival
        if arrival is not None and departure is not None and departure < arrival:
            check.add(
                row.at("departure_time"),
                N_("The departure {departure} is before the arrival {arrival}."),
                departure=time_text(departure),
                arrival=time_text(arrival),
            )
            ok = False
        if not ok or trip_id is None or stop_id is None:
            continue
        by_trip[trip_id].append(
            {
                "trip_id": trip_id,
                "sequence": sequence,
                "stop_id": stop_id,
                "arrival": arrival,
                "departure": departure,
                "timepoint": row.integer("timepoint", allowed=frozenset({0, 1}), default=1) == 1
                and arrival is not None,
                "pickup_type": row.integer(
                    "pickup_type", allowed=frozenset({0, 1, 2, 3}), default=0
                ),
                "drop_off_type": row.integer(
                    "drop_off_type", allowed=frozenset({0, 1, 2, 3}), default=0
                ),
                "headsign": row.text("stop_headsign"),
                "dist": row.number("shape_dist_traveled", 0, 1e9, required=False),
                "_line": row.line,
            }
        )
    for trip in feed.trips:
        calls = by_trip.get(trip["trip_id"], [])
        where = f"trips.txt line {trips[trip['trip_id']]}: trip_id"
        if len(calls) < 2:
            check.add(
                where, N_("Trip {value} has fewer than two stop times."), value=trip["trip_id"]
            )
            continue
        calls.sort(key=lambda c: c["sequence"])
        if not _trip_times(check, calls, located):
            continue
        for call in calls:
            del call["_line"]
        feed.stop_times.extend(calls)


def _trip_times(
    check: _Checker,
    calls: list[dict[str, Any]],
    located: dict[str, tuple[float | None, float | None]],
) -> bool:
    """Checks the order of one trip's calls and fills the times it leaves empty."""
    ok = True
    for before, after in itertools.pairwise(calls):
        if before["sequence"] == after["sequence"]:
            check.add(
                f"stop_times.txt line {after['_line']}: stop_sequence",
                N_("The {field} {value} is used twice (first on line {other})."),
                field="stop_sequence",
                value=after["sequence"],
                other=before["_line"],
            )
            ok = False
    for end in (calls[0], calls[-1]):
        if end["arrival"] is None:
            check.add(
                f"stop_times.txt line {end['_line']}: arrival_time",
                N_("The first and last stop of a trip need arrival_time and departure_time."),
            )
            ok = False
    if not ok:
        return False
    previous = calls[0]
    for call in calls[1:]:
        if call["arrival"] is None:
            continue
        if call["arrival"] < previous["departure"]:
            check.add(
                f"stop_times.txt line {call['_line']}: arrival_time",
                N_("The times go backwards: {time} is before {previous}, the stop before."),
                time=time_text(call["arrival"]),
                previous=time_text(previous["departure"]),
            )
            return False
        previous = call
    _interpolate(calls, located)
    return True


def _interpolate(
    calls: list[dict[str, Any]], located: dict[str, tuple[float | None, float | None]]
) -> None:
    """Fill the empty times between two given ones, in proportion to the distance."""
    use_dist = all(c["dist"] is not None for c in calls)
    along = [0.0]
    for before, after in itertools.pairwise(calls):
        if use_dist:
            along.append(float(after["dist"]))
            continue
        a, b = located.get(before["stop_id"]), located.get(after["stop_id"])
        step = 1.0
        if a and b and None not in a and None not in b:
            step = max(haversine_m(a, b), 1.0)  # type: ignore[arg-type]
        along.append(along[-1] + step)
    last = 0
    for i in range(1, len(calls)):
        if calls[i]["arrival"] is None:
            continue
        if i - last > 1:
            start, end = calls[last]["departure"], calls[i]["arrival"]
            span = (along[i] - along[last]) or 1.0
            for j in range(last + 1, i):
                t = start + round((end - start) * (along[j] - along[last]) / span)
                calls[j]["arrival"] = calls[j]["departure"] = t
        last = i


def _frequencies(files: _Files, feed: ParsedFeed, check: _Checker, trips: dict[str, int]) -> None:
    periods: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for row in files.rows("frequencies.txt"):
        trip_id = row.text("trip_id", required=True, limit=100)
        start = row.time("start_time", required=True)
        end = row.time("end_time", required=True)
        headway = row.integer("headway_secs", required=True, low=1)
        exact = row.integer("exact_times", allowed=frozenset({0, 1}), default=0)
        if trip_id is not None and trip_id not in trips:
            _unknown(check, row, "trip_id", trip_id, "trips.txt")
            continue
        if None in (trip_id, start, end, headway):
            continue
        assert trip_id is not None
        assert start is not None
        assert end is not None
        if end <= start:
            check.add(row.at("end_time"), N_("The end_time must be after the start_time."))
            continue
        for other_start, other_end, other_line in periods[trip_id]:
            if start < other_end and other_start < end:
                check.add(
                    row.at("start_time"),
                    N_("This period overlaps the one on line {other} for the same trip."),
                    other=other_line,
                )
                break
        else:
            periods[trip_id].append((start, end, row.line))
            feed.frequencies.append(
                {
                    "trip_id": trip_id,
                    "start": start,
                    "end": end,
                    "headway": headway,
                    "exact": exact == 1,
                }
            )


def _transfers(
    files: _Files,
    feed: ParsedFeed,
    check: _Checker,
    stops: dict[str, int],
    routes: dict[str, int],
    trips: dict[str, int],
) -> None:
    targets: dict[str, tuple[dict[str, int], str]] = {
        "stop_id": (stops, "stops.txt"),
        "route_id": (routes, "routes.txt"),
        "trip_id": (trips, "trips.txt"),
    }
    for row in files.rows("transfers.txt"):
        kind = row.integer("transfer_type", required=True, allowed=frozenset({0, 1, 2, 3, 4, 5}))
        values: dict[str, str | None] = {}
        ok = kind is not None
        for end in ("from", "to"):
            for what, (known, target) in targets.items():
                column = f"{end}_{what}"
                value = row.text(column, limit=100)
                if value is not None and value not in known:
                    _unknown(check, row, column, value, target)
                    ok = False
                values[column] = value
        if kind in (0, 1, 2, 3) and (
            values["from_stop_id"] is None or values["to_stop_id"] is None
        ):
            check.add(
                row.at("from_stop_id"),
                N_("Give from_stop_id and to_stop_id for transfer_type {value}."),
                value=kind,
            )
            ok = False
        minimum = row.integer("min_transfer_time", low=0)
        if kind == 2 and minimum is None:
            check.add(
                row.at("min_transfer_time"),
                N_("Give min_transfer_time; GTFS requires it for transfer_type 2."),
            )
            ok = False
        if ok:
            feed.transfers.append({**values, "type": kind, "min_transfer_time": minimum})
