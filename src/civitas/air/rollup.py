"""From readings to hourly and daily means, with quality control.

An hour (UTC) of a sensor is the mean of its readings. It is not valid when

* ``humid``: the mean humidity is above the city's limit (97 % by default): fog and
  droplets are counted as particles by optical sensors;
* ``ab``: a PurpleAir's channels disagree by more than 5 µg/m³ *and* by more than 70 %
  (EPA's cleaning rule; relative difference |A − B| / mean(A, B));
* ``stuck``: the sensor repeated one value (three readings or more in the hour all the
  same and above zero, or a low-cost sensor's same hourly mean six hours running);
* ``no_pm``: only humidity or temperature came.

Out-of-range values never get this far (ingest refuses them). The hour's corrected
PM2.5 is its correction applied to the hour's means (the EPA formulas are made for
hourly and daily means); an hour without the humidity a correction needs stays raw and
is flagged ``no_rh``.

A day (the city's local date) is the mean of its valid hours: ``complete`` with 18 or
more, and its indices on every scale are computed from the corrected mean (an
incomplete day's indices are shown as such and never counted in the KPIs).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from statistics import fmean
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from civitas.air import corrections, indices
from civitas.air.models import Calibration, Day, Hour, Reading, Sensor
from civitas.air.sensors import correction_settings, settings_of
from civitas.cities.models import City
from civitas.cities.service import enter_city

MIN_HOURS = 18  # of 24, for a daily mean (EPA, EEA and UBA alike)
AB_ABSOLUTE = 5.0
AB_RELATIVE = 0.7
STUCK_READINGS = 3
STUCK_HOURS = 6


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class Fit:
    valid_from: date
    correction: corrections.Correction


def correction_for(
    sensor: Sensor, fits: list[Fit], day: date, settings: dict[str, Any]
) -> corrections.Correction:
    """The sensor's dated collocation fit in force on ``day``, else its type's default."""
    chosen = None
    for fit in fits:
        if fit.valid_from <= day:
            chosen = fit
    return chosen.correction if chosen else corrections.default_for(sensor.kind, settings)


def fits_of(db: Session, sensor: Sensor) -> list[Fit]:
    found = db.scalars(
        select(Calibration)
        .where(Calibration.sensor_id == sensor.id)
        .order_by(Calibration.valid_from, Calibration.id)
    )
    return [
        Fit(c.valid_from, corrections.Correction("fit", c.valid_from.isoformat(), c.coefficients))
        for c in found
    ]


def rollup(db: Session, city: City, *, sensor_ids: list[int] | None = None) -> int:
    """Recompute the hours and days of every sensor with new readings; the hours done."""
    enter_city(db, city)
    query = (
        select(Sensor)
        .where(Sensor.dirty_from.is_not(None))
        .execution_options(populate_existing=True)
    )
    if sensor_ids is not None:
        query = query.where(Sensor.id.in_(sensor_ids))
    done = 0
    for sensor in list(db.scalars(query)):
        done += rollup_sensor(db, city, sensor)
    return done


def rollup_sensor(db: Session, city: City, sensor: Sensor) -> int:
    seen = sensor.dirty_from
    if seen is None:
        return 0
    air = settings_of(db, city)
    settings = correction_settings(air)
    zone = ZoneInfo(city.timezone)
    start = floor_hour(seen)
    fits = fits_of(db, sensor)
    rows = db.execute(
        select(
            Reading.at,
            Reading.pm25,
            Reading.pm10,
            Reading.pm25_b,
            Reading.temperature,
            Reading.humidity,
        )
        .where(Reading.sensor_id == sensor.id, Reading.at >= start)
        .order_by(Reading.at)
    ).all()
    before = [
        value
        for (value,) in db.execute(
            select(Hour.pm25_raw)
            .where(
                Hour.sensor_id == sensor.id,
                Hour.hour < start,
                Hour.hour >= start - timedelta(hours=STUCK_HOURS),
            )
            .order_by(Hour.hour)
        ).all()
    ]
    groups: dict[datetime, list[Any]] = defaultdict(list)
    for row in rows:
        groups[floor_hour(row[0])].append(row)
    hours: list[dict[str, Any]] = []
    recent = before[-(STUCK_HOURS - 1) :]
    for hour in sorted(groups):
        made = _hour(sensor, hour, groups[hour], air.humidity_limit, recent)
        local_day = hour.astimezone(zone).date()
        correction = correction_for(sensor, fits, local_day, settings)
        _correct(sensor, made, correction)
        hours.append(made)
        recent = [*recent, made["pm25_raw"]][-(STUCK_HOURS - 1) :]
    db.execute(delete(Hour).where(Hour.sensor_id == sensor.id, Hour.hour >= start))
    if hours:
        table: Any = Hour.__table__
        for at in range(0, len(hours), 2000):
            db.execute(
                table.insert(),
                [
                    {"tenant_id": city.id, "sensor_id": sensor.id, **h}
                    for h in hours[at : at + 2000]
                ],
            )
    first_day = start.astimezone(zone).date()
    last_day = max([h["hour"] for h in hours], default=start).astimezone(zone).date()
    days_of(db, city, sensor, first_day, last_day, zone)
    # clear the mark only if no reading came meanwhile (a newer mark stays for next time)
    db.execute(
        update(Sensor)
        .where(Sensor.id == sensor.id, Sensor.dirty_from == seen)
        .values(dirty_from=None)
        .execution_options(synchronize_session=False)
    )
    db.expire(sensor, ["dirty_from"])
    return len(hours)


def _mean(values: list[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return fmean(found) if found else None


def _hour(
    sensor: Sensor,
    hour: datetime,
    rows: list[Any],
    humidity_limit: float,
    recent: list[float | None],
) -> dict[str, Any]:
    pm_a = [r[1] for r in rows if r[1] is not None]
    pm_b = [r[3] for r in rows if r[3] is not None]
    flags: list[str] = []
    a = fmean(pm_a) if pm_a else None
    b = fmean(pm_b) if pm_b else None
    raw: float | None
    if sensor.kind == "purpleair" and a is not None and b is not None:
        raw = (a + b) / 2
        difference = abs(a - b)
        if difference > AB_ABSOLUTE and raw > 0 and difference / raw > AB_RELATIVE:
            flags.append("ab")
    else:
        raw = a
    humidity = _mean([r[5] for r in rows])
    if raw is None:
        flags.append("no_pm")
    if (
        humidity is not None
        and humidity > humidity_limit
        and sensor.kind in (*corrections.OPTICAL, "purpleair")
    ):
        flags.append("humid")
    if (len(pm_a) >= STUCK_READINGS and max(pm_a) == min(pm_a) and pm_a[0] > 0) or (
        raw is not None
        and raw > 0
        and len(recent) >= STUCK_HOURS - 1
        and all(r == raw for r in recent[-(STUCK_HOURS - 1) :])
    ):
        flags.append("stuck")
    return {
        "hour": hour,
        "n": len(rows),
        "pm25_raw": raw,
        "pm25_a": a if sensor.kind == "purpleair" else None,
        "pm25_b": b,
        "pm10_raw": _mean([r[2] for r in rows]),
        "humidity": humidity,
        "temperature": _mean([r[4] for r in rows]),
        "flags": ",".join(flags),
        "valid": not flags,
    }


def _correct(sensor: Sensor, made: dict[str, Any], correction: corrections.Correction) -> None:
    raw = made["pm25_raw"]
    if raw is None:
        made["pm25"], made["correction"] = None, ""
        return
    value, applied = correction.function(sensor.kind)(raw, made["humidity"])
    made["pm25"] = value
    if applied:
        made["correction"] = correction.name
    else:
        made["correction"] = "none/1"
        made["flags"] = ",".join(filter(None, [made["flags"], "no_rh"]))


def days_of(
    db: Session, city: City, sensor: Sensor, first: date, last: date, zone: ZoneInfo
) -> None:
    """Recompute the sensor's days from ``first`` to ``last`` (local dates)."""
    lower = datetime.combine(first, datetime.min.time(), zone).astimezone(UTC)
    upper = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    # plain rows, not ORM objects: a year of a sensor is 8,760 of them
    found = db.execute(
        select(
            Hour.hour,
            Hour.valid,
            Hour.pm25_raw,
            Hour.pm25,
            Hour.pm10_raw,
            Hour.correction,
            Hour.flags,
        ).where(Hour.sensor_id == sensor.id, Hour.hour >= lower, Hour.hour < upper)
    ).all()
    by_day: dict[date, list[Any]] = defaultdict(list)
    for hour in found:
        by_day[hour.hour.astimezone(zone).date()].append(hour)
    db.execute(delete(Day).where(Day.sensor_id == sensor.id, Day.day >= first, Day.day <= last))
    made = [
        {"tenant_id": city.id, "sensor_id": sensor.id, "day": day, **day_figures(hours)}
        for day, hours in sorted(by_day.items())
    ]
    if made:
        db.execute(Day.__table__.insert(), made)  # type: ignore[attr-defined]


def day_figures(hours: list[Any]) -> dict[str, Any]:
    valid = [h for h in hours if h.valid and h.pm25_raw is not None]
    flags = Counter(flag for h in hours for flag in h.flags.split(",") if flag)
    corrected = [h.pm25 for h in valid if h.pm25 is not None]
    pm25 = fmean(corrected) if corrected else None
    names = Counter(h.correction for h in valid if h.correction)
    figures: dict[str, Any] = {
        "hours": len(valid),
        "complete": len(valid) >= MIN_HOURS,
        "pm25_raw": fmean([h.pm25_raw for h in valid]) if valid else None,
        "pm25": pm25,
        "pm10_raw": _mean([h.pm10_raw for h in valid]),
        "correction": names.most_common(1)[0][0] if names else "",
        "flags": dict(flags),
        "indices": {},
    }
    if pm25 is not None:
        figures["indices"] = {code: brief(code, "pm25", pm25) for code in indices.SCALES}
    return figures


def brief(code: str, pollutant: str, value: float) -> dict[str, Any]:
    """An index as the daily figures keep it; a value beyond a class scale's last limit
    (which that scale discards as erroneous) has none."""
    try:
        found = indices.compute(code, pollutant, value)
    except indices.OutOfScaleError:
        return {"index": None, "category": "beyond", "level": 0}
    return {"index": found.index, "category": found.category, "level": found.level}
