"""Data in: the sensor.community firmware's push ("send to own API"), and CSV files —
sensor.community's daily archives (PM sensors and their BME280/DHT22 humidity sensors),
PurpleAir's CSV with both channels, and a plain CSV for reference stations. Every value
is range-checked before anything is stored; a file is taken whole or not at all, and
a problem names the file, the line and the column. Storing the same message or file again
changes nothing."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civitas.air.models import Reading, Sensor
from civitas.air.sensors import bare_chip, by_chip, password_ok
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.db import UTCDateTime, utcnow
from civitas.core.errors import InvalidInput, PermissionDenied, Problem, Unauthenticated
from civitas.core.i18n import N_

# what each sensor type can measure (µg/m³): a value outside is refused as an error
PM_RANGE = {
    "sds011": 999.9,
    "sps30": 1000.0,
    "pms5003": 1000.0,
    "purpleair": 1500.0,
    "reference": 2000.0,
}
HUMIDITY_RANGE = (0.0, 100.0)
TEMPERATURE_RANGE = (-40.0, 85.0)
RETRY_WINDOW = timedelta(seconds=30)  # the same values again this soon: a retry
MAX_PROBLEMS = 20


@dataclass
class Row:
    at: datetime
    channel: str
    pm25: float | None = None
    pm10: float | None = None
    pm25_b: float | None = None
    temperature: float | None = None
    humidity: float | None = None

    def values(self) -> tuple[float | None, ...]:
        return (self.pm25, self.pm10, self.pm25_b, self.temperature, self.humidity)


@dataclass
class PushResult:
    sensor: Sensor
    stored: bool  # False: a retry of the last message, nothing new
    values: dict[str, float] = field(default_factory=dict)


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        found = float(value)
    except (TypeError, ValueError):
        return math.nan
    return found


def check_range(kind: str, name: str, value: float | None) -> Problem | None:
    """None when the value is possible for this sensor, else the problem."""
    if value is None:
        return None
    if math.isnan(value) or math.isinf(value):
        return Problem(name, N_("Give a number."))
    if name in ("humidity",) or name.endswith("_humidity"):
        low, high = HUMIDITY_RANGE
    elif name in ("temperature",) or name.endswith("_temperature"):
        low, high = TEMPERATURE_RANGE
    else:
        low, high = 0.0, PM_RANGE[kind]
    if not low <= value <= high:
        return Problem(
            name,
            N_("{value} is out of range: this sensor measures from {low} to {high}."),
            {"value": value, "low": low, "high": high},
        )
    return None


# sensor.community's value types: what they measure
PM10_TYPES = ("SDS_P1", "PMS_P1", "SPS30_P1", "HPM_P1", "P1")
PM25_TYPES = ("SDS_P2", "PMS_P2", "SPS30_P2", "HPM_P2", "P2")


def parse_push(body: Any, kind: str) -> tuple[str | None, dict[str, float]]:
    """The chip id and the values of a sensor.community message; problems raise."""
    if not isinstance(body, dict):
        raise InvalidInput(
            N_("Send the sensor's JSON: an object with esp8266id and sensordatavalues."),
            problems=[Problem("body", N_("Send a JSON object."))],
        )
    chip = body.get("esp8266id")
    items = body.get("sensordatavalues")
    if not isinstance(items, list) or not items:
        raise InvalidInput(
            N_("Send the sensor's JSON: an object with esp8266id and sensordatavalues."),
            problems=[Problem("sensordatavalues", N_("Give a list of value_type and value."))],
        )
    found: dict[str, float] = {}
    problems: list[Problem] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("value_type"), str):
            problems.append(Problem(f"sensordatavalues[{i}]", N_("Give a value_type and a value.")))
            continue
        vtype = item["value_type"]
        number = _number(item.get("value"))
        name = _canonical(vtype)
        if name is None:
            continue  # samples, signal, pressure, PM1 …: not kept
        if number is None or math.isnan(number):
            problems.append(Problem(f"sensordatavalues[{i}].value", N_("Give a number.")))
            continue
        problem = check_range(kind, name if name in ("humidity", "temperature") else vtype, number)
        if problem is not None:
            problems.append(problem)
            continue
        found[name] = number
    if problems:
        raise InvalidInput(
            N_("Nothing was stored: the message has values that are not possible."),
            problems=problems,
        )
    return (str(chip) if chip is not None else None), found


def _canonical(vtype: str) -> str | None:
    if vtype in PM25_TYPES:
        return "pm25"
    if vtype in PM10_TYPES:
        return "pm10"
    lowered = vtype.lower()
    if lowered == "humidity" or lowered.endswith("_humidity"):
        return "humidity"
    if lowered == "temperature" or lowered.endswith("_temperature"):
        return "temperature"
    return None


def push(
    db: Session,
    city: City,
    body: Any,
    *,
    x_sensor: str | None = None,
    x_pin: str | None = None,
    password: str | None = None,
    now: datetime | None = None,
) -> PushResult:
    """Store one message of the sensor.community firmware. The chip comes from the
    body's esp8266id or the X-Sensor header; X-Pin 11, 7 or 9 (a humidity sensor) or 1
    (a PM sensor) only says which part of the node speaks."""
    enter_city(db, city)
    chip = (body.get("esp8266id") if isinstance(body, dict) else None) or x_sensor
    if chip is None or not str(chip).strip():
        raise InvalidInput(
            N_("Say which sensor speaks: esp8266id in the JSON or the X-Sensor header."),
            problems=[Problem("esp8266id", N_("Give the chip id."))],
        )
    sensor = by_chip(db, city, bare_chip(str(chip)))
    if sensor is None or not sensor.active:
        raise PermissionDenied(
            N_("The chip {chip} is not registered with this city: register it first."),
            chip=bare_chip(str(chip)),
        )
    if not password_ok(sensor, password):
        raise Unauthenticated(N_("This sensor needs its user and password (HTTP basic auth)."))
    _, values = parse_push(body, sensor.kind)
    if not values:
        raise InvalidInput(
            N_("The message has no value Civitas keeps (PM2.5, PM10, humidity, temperature)."),
            problems=[
                Problem("sensordatavalues", N_("Give SDS_P2, SDS_P1, BME280_humidity or the like."))
            ],
        )
    at = now or utcnow()
    row = Row(at=at, channel="node", **values)
    last = db.execute(_LAST, {"l_sensor": sensor.id, "l_since": at - RETRY_WINDOW}).first()
    if last is not None and tuple(last) == row.values():
        return PushResult(sensor, False, values)
    store(db, city, sensor, [row])
    return PushResult(sensor, True, values)


# the statements of every push, built once (a push is a few milliseconds of work, and
# building SQLAlchemy expressions anew each time was a third of it)
_LAST = (
    select(Reading.pm25, Reading.pm10, Reading.pm25_b, Reading.temperature, Reading.humidity)
    .where(
        Reading.sensor_id == bindparam("l_sensor"),
        Reading.at >= bindparam("l_since", type_=UTCDateTime()),
    )
    .order_by(Reading.at.desc())
    .limit(1)
)
_EARLIEST = bindparam("m_earliest", type_=UTCDateTime())
_LATEST = bindparam("m_latest", type_=UTCDateTime())
# in SQL, so two writers (and the rollup clearing it) never lose a mark
_MARK = (
    update(Sensor)
    .where(Sensor.id == bindparam("m_sensor"))
    .values(
        dirty_from=case(
            (Sensor.dirty_from.is_(None), _EARLIEST),
            (Sensor.dirty_from > _EARLIEST, _EARLIEST),
            else_=Sensor.dirty_from,
        ),
        last_seen_at=case(
            (Sensor.last_seen_at.is_(None), _LATEST),
            (Sensor.last_seen_at < _LATEST, _LATEST),
            else_=Sensor.last_seen_at,
        ),
    )
    .execution_options(synchronize_session=False)
)
_INSERTS: dict[str, Any] = {}


def _insert(dialect: str) -> Any:
    """The insert that skips a reading already stored, for this database."""
    found = _INSERTS.get(dialect)
    if found is None:
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        table: Any = Reading.__table__
        found = _INSERTS[dialect] = make(table).on_conflict_do_nothing(
            index_elements=["sensor_id", "at", "channel"]
        )
    return found


def store(db: Session, city: City, sensor: Sensor, rows: list[Row]) -> int:
    """Insert readings (a reading already stored is skipped) and mark the sensor's hours
    from the earliest one as needing their means again."""
    if not rows:
        return 0
    stmt = _insert(db.get_bind().dialect.name)
    for start in range(0, len(rows), 5000):
        db.execute(
            stmt,
            [
                {
                    "tenant_id": city.id,
                    "sensor_id": sensor.id,
                    "at": r.at,
                    "channel": r.channel,
                    "pm25": r.pm25,
                    "pm10": r.pm10,
                    "pm25_b": r.pm25_b,
                    "temperature": r.temperature,
                    "humidity": r.humidity,
                }
                for r in rows[start : start + 5000]
            ],
        )
    db.execute(
        _MARK,
        {
            "m_sensor": sensor.id,
            "m_earliest": min(r.at for r in rows),
            "m_latest": max(r.at for r in rows),
        },
    )
    db.expire(sensor, ["dirty_from", "last_seen_at"])
    return len(rows)


# ---------------------------------------------------------------------------- CSV files


class FileProblems(InvalidInput):
    pass


def parse_time(text: str) -> datetime:
    text = text.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    found = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    return found.astimezone(UTC) if found.tzinfo else found.replace(tzinfo=UTC)


@dataclass
class Imported:
    rows: int
    sensors: dict[str, int]  # sensor code -> rows
    format: str


FORMATS = {
    "sensor-community-pm": ("sensor_id", "sensor_type", "timestamp", "P1", "P2"),
    "sensor-community-climate": ("sensor_id", "sensor_type", "timestamp", "humidity"),
    "purpleair": ("time_stamp", "humidity", "pm2.5_cf_1_a", "pm2.5_cf_1_b"),
    "plain": ("time_stamp", "pm25"),
}


def detect(header: list[str]) -> str | None:
    names = set(header)
    for name, needed in FORMATS.items():
        if set(needed) <= names:
            return name
    return None


def import_csv(
    db: Session,
    city: City,
    text: str,
    *,
    filename: str = "file.csv",
    sensor_chip: str | None = None,
) -> Imported:
    """Read a whole CSV file; store it only when every line is right."""
    enter_city(db, city)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        header = []
    fmt = detect(header)
    if fmt is None:
        raise InvalidInput(
            N_(
                "{file}, line 1: the columns are not a format Civitas reads. "
                "Expected one of: {formats}."
            ),
            problems=[
                Problem(
                    f"{filename}:1",
                    N_("Unknown columns: {columns}."),
                    {"columns": ";".join(header)[:200]},
                )
            ],
            file=filename,
            formats=" | ".join(";".join(cols) for cols in FORMATS.values()),
        )
    column = {name: i for i, name in enumerate(header)}
    problems: list[Problem] = []
    by_sensor: dict[int, list[Row]] = {}
    found_sensors: dict[str, Sensor] = {}
    fixed: Sensor | None = None
    if fmt in ("purpleair", "plain") and "sensor_index" not in column and "sensor_id" not in column:
        if not sensor_chip:
            raise InvalidInput(
                N_("{file}: the file does not say which sensor it is from; name it (--sensor)."),
                problems=[Problem("sensor", N_("Give the sensor's chip id."))],
                file=filename,
            )
        fixed = by_chip(db, city, sensor_chip)
        if fixed is None:
            raise InvalidInput(
                N_("The chip {chip} is not registered with this city: register it first."),
                problems=[Problem("sensor", N_("Unknown chip id {chip}."), {"chip": sensor_chip})],
                chip=sensor_chip,
            )

    def problem(line: int, col: str, message: str, **params: Any) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(f"{filename}:{line}:{col}", message, params))

    def sensor_for(line: int, value: str, col: str) -> Sensor | None:
        key = value.strip()
        if key in found_sensors:
            return found_sensors[key]
        enter_city(db, city)
        match = db.scalar(
            select(Sensor).where(
                (Sensor.chip_id == key) | (Sensor.archive_id == key) | (Sensor.humidity_chip == key)
            )
        )
        if match is None:
            problem(line, col, N_("The sensor {chip} is not registered with this city."), chip=key)
            return None
        found_sensors[key] = match
        return match

    for line, record in enumerate(reader, start=2):
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(record) < len(header):
            record = record + [""] * (len(header) - len(record))

        def cell(name: str, rec: list[str] = record) -> str:
            return rec[column[name]]

        time_col = "timestamp" if "timestamp" in column else "time_stamp"
        try:
            at = parse_time(cell(time_col))
        except (ValueError, OverflowError, OSError):
            problem(
                line,
                time_col,
                N_("Give the time as ISO 8601 (2024-03-01T12:00:00) or Unix seconds."),
            )
            continue
        if fixed is not None:
            sensor: Sensor | None = fixed
        else:
            id_col = "sensor_id" if "sensor_id" in column else "sensor_index"
            sensor = sensor_for(line, cell(id_col), id_col)
        if sensor is None:
            continue
        kind = sensor.kind
        values: dict[str, float | None] = {}
        wanted: dict[str, str]
        if fmt == "sensor-community-pm":
            wanted = {"P2": "pm25", "P1": "pm10"}
        elif fmt == "sensor-community-climate":
            wanted = {"humidity": "humidity", "temperature": "temperature"}
        elif fmt == "purpleair":
            wanted = {
                "pm2.5_cf_1_a": "pm25",
                "pm2.5_cf_1_b": "pm25_b",
                "humidity": "humidity",
                "temperature": "temperature",
            }
        else:
            wanted = {
                "pm25": "pm25",
                "pm10": "pm10",
                "humidity": "humidity",
                "temperature": "temperature",
            }
        bad = False
        for col, name in wanted.items():
            if col not in column:
                continue
            number = _number(cell(col))
            if number is not None and math.isnan(number):
                problem(line, col, N_("Give a number."))
                bad = True
                continue
            if name == "temperature" and fmt == "purpleair" and number is not None:
                number = (number - 32) * 5 / 9  # PurpleAir writes °F
            issue = check_range(kind, name if name in ("humidity", "temperature") else col, number)
            if issue is not None:
                problem(line, col, issue.message, **issue.params)
                bad = True
                continue
            values[name] = number
        if bad:
            continue
        channel = {"sensor-community-pm": "pm", "sensor-community-climate": "climate"}.get(
            fmt, "node"
        )
        by_sensor.setdefault(sensor.id, []).append(Row(at=at, channel=channel, **values))
    if problems:
        raise InvalidInput(
            N_(
                "{file}: nothing was imported; correct these lines and import the whole file again."
            ),
            problems=problems,
            file=filename,
        )
    codes: dict[str, int] = {}
    sensors_by_id = {s.id: s for s in found_sensors.values()}
    if fixed is not None:
        sensors_by_id[fixed.id] = fixed
    for sensor_id, rows in by_sensor.items():
        target = sensors_by_id[sensor_id]
        store(db, city, target, rows)
        codes[target.code] = codes.get(target.code, 0) + len(rows)
    return Imported(sum(codes.values()), codes, fmt)


def lines(rows: Iterable[dict[str, Any]], header: list[str], delimiter: str = ";") -> Iterator[str]:
    """A CSV file's lines (the demo and the benchmark write archives with it)."""
    yield delimiter.join(header)
    for row in rows:
        yield delimiter.join("" if row.get(h) is None else str(row[h]) for h in header)
