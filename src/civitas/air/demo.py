"""The demo's air quality. Trujillo: six SDS011 + BME280 nodes of the sensor.community
kind (one on a resident's roof), a PurpleAir and a municipal reference station, on the
INCA; Musterstadt: four nodes and a reference station, on the UBA index. Five weeks of
history are imported through the same CSV paths a city would use (sensor.community
archives, PurpleAir's CSV, the reference's time_stamp,pm25), with three past episodes;
one node has a collocation fit against the reference. The live part: the worker sends
every node's reading each minute to the push endpoint, and the demo's episode comes
30 minutes after the demo was loaded (and every evening a smaller rise). The demo
resident has a confirmed alert near the centre."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.air import alerts, calibration, ingest, rollup, simulation
from civitas.air.models import AirAlert, Sensor
from civitas.air.sensors import add_sensor, settings_of
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import Settings
from civitas.core.db import utcnow

HISTORY_DAYS = 35
# name, lat, lon, host; the first node is beside the reference station
NODES = {
    "trujillo": [
        ("Plaza de Armas", -8.1117, -79.0286, "city"),
        ("Av. España – Mercado Central", -8.1093, -79.0250, "city"),
        ("El Porvenir", -8.0790, -79.0010, "city"),
        ("La Esperanza", -8.0690, -79.0470, "city"),
        ("Víctor Larco Herrera", -8.1350, -79.0440, "resident"),
        ("Huanchaco", -8.0790, -79.1150, "city"),
    ],
    "musterstadt": [
        ("Marktplatz", 51.3397, 12.3731, "city"),
        ("Hauptbahnhof", 51.3450, 12.3820, "city"),
        ("Südvorstadt", 51.3200, 12.3700, "resident"),
        ("Gewerbegebiet Nord", 51.3800, 12.4000, "city"),
    ],
}
REFERENCE = {
    "trujillo": ("Estación de referencia – Plaza de Armas", -8.1119, -79.0284),
    "musterstadt": ("Referenzmessstation Marktplatz", 51.3399, 12.3734),
}
PURPLEAIR = {"trujillo": ("PurpleAir – Universidad", -8.1130, -79.0360)}
ALERT_EMAIL = {
    "trujillo": "vecina@trujillo.example",
    "musterstadt": "anwohnerin@musterstadt.example",
}


def _episodes(city: City, now: datetime) -> list[dict[str, Any]]:
    """Three past episodes, each evening's smaller rise for the history and the coming
    weeks, and the demo's episode half an hour from now."""
    zone = ZoneInfo(city.timezone)
    found = []
    for days_ago, peak in ((27, 4.5), (16, 5.5), (6, 4.0)):
        start = (
            (now - timedelta(days=days_ago))
            .astimezone(zone)
            .replace(hour=18, minute=0, second=0, microsecond=0)
        )
        found.append({"start": start.astimezone(UTC).isoformat(), "hours": 9, "peak": peak})
    found.append(
        {"start": (now + timedelta(minutes=30)).isoformat(), "hours": 4, "peak": 5.0, "demo": True}
    )
    return found


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    enter_city(db, city)
    if city.slug not in NODES:
        if "air" not in city.disabled_domains:
            city.disabled_domains = [*city.disabled_domains, "air"]
        return ["  air:             turned off (no sensors in this city)"]
    if db.scalar(select(Sensor.id).limit(1)) is not None:
        return ["  air:             sensors already there"]
    now = utcnow()
    air = settings_of(db, city)
    episodes = _episodes(city, now)
    air.demo = {"simulate": True, "episodes": episodes}
    zone = ZoneInfo(city.timezone)
    start = (now - timedelta(days=HISTORY_DAYS)).replace(minute=0, second=0, microsecond=0)
    hours = simulation.hours_between(start, now.replace(minute=0, second=0, microsecond=0))
    truth = {h: simulation.air(city.slug, zone, h, episodes) for h in hours}
    base = 13500000 if city.slug == "trujillo" else 14200000
    nodes = []
    for i, (name, lat, lon, host) in enumerate(NODES[city.slug]):
        chip = str(base + 1000 + i * 7)
        sensor = add_sensor(
            db,
            city,
            chip_id=chip,
            kind="sds011",
            lat=lat,
            lon=lon,
            name=name,
            host=host,
            archive_id=str(60000 + i * 2 + (0 if city.slug == "trujillo" else 500)),
            humidity_chip=str(60001 + i * 2 + (0 if city.slug == "trujillo" else 500)),
        )
        nodes.append(sensor)
        pm_lines = [
            "sensor_id;sensor_type;location;lat;lon;timestamp;P1;durP1;ratioP1;P2;durP2;ratioP2"
        ]
        climate_lines = [
            "sensor_id;sensor_type;location;lat;lon;timestamp;pressure;altitude;pressure_sealevel;temperature;humidity"
        ]
        for h in hours:
            pm, rh, temperature = truth[h]
            values = simulation.reading(f"{city.slug}:{chip}", "sds011", pm, rh, h)
            stamp = (h + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S")
            pm_lines.append(
                f"{sensor.archive_id};SDS011;{4000 + i};{lat};{lon};{stamp};"
                f"{values['pm10']};;;{values['pm25']};;"
            )
            climate_lines.append(
                f"{sensor.humidity_chip};BME280;{4000 + i};{lat};{lon};{stamp};101325;;;"
                f"{temperature:.1f};{values['humidity']}"
            )
        ingest.import_csv(db, city, "\n".join(pm_lines), filename=f"{sensor.archive_id}_sds011.csv")
        ingest.import_csv(
            db, city, "\n".join(climate_lines), filename=f"{sensor.humidity_chip}_bme280.csv"
        )
    name, lat, lon = REFERENCE[city.slug]
    reference = add_sensor(
        db, city, chip_id=f"ref-{city.slug}", kind="reference", lat=lat, lon=lon, name=name
    )
    lines = ["time_stamp,pm25,pm10"]
    for h in hours:
        values = simulation.reading(f"{city.slug}:ref", "reference", truth[h][0], truth[h][1], h)
        lines.append(f"{h.isoformat()},{values['pm25']},{values['pm10']}")
    ingest.import_csv(
        db, city, "\n".join(lines), filename="reference.csv", sensor_chip=reference.chip_id
    )
    made = [f"{len(nodes)} sensor.community nodes", "a reference station"]
    if city.slug in PURPLEAIR:
        name, lat, lon = PURPLEAIR[city.slug]
        add_sensor(db, city, chip_id="183422", kind="purpleair", lat=lat, lon=lon, name=name)
        lines = ["time_stamp,sensor_index,humidity,temperature,pm2.5_cf_1_a,pm2.5_cf_1_b"]
        for h in hours:
            pm, rh, temperature = truth[h]
            values = simulation.reading(f"{city.slug}:purple", "purpleair", pm, rh, h)
            lines.append(
                f"{int(h.timestamp())},183422,{values['humidity']},"
                f"{temperature * 9 / 5 + 32 + 8:.1f},{values['pm25']},{values['pm25_b']}"
            )
        ingest.import_csv(db, city, "\n".join(lines), filename="purpleair-183422.csv")
        made.append("a PurpleAir")
    rollup.rollup(db, city)
    # the first node stands beside the reference: fitted on the first three weeks
    first = (start + timedelta(days=1)).astimezone(zone).date()
    calibration.collocate(
        db, city, nodes[0], reference, first, first + timedelta(days=20), by="demo"
    )
    rollup.rollup(db, city, sensor_ids=[nodes[0].id])
    lat0, lon0 = nodes[0].lat, nodes[0].lon
    if db.scalar(select(AirAlert.id).where(AirAlert.email == ALERT_EMAIL[city.slug])) is None:
        db.add(
            AirAlert(
                tenant_id=city.id,
                email=ALERT_EMAIL[city.slug],
                lat=lat0,
                lon=lon0,
                radius_m=2000,
                threshold=alerts.default_threshold(air.scale),
                label=nodes[0].name,
                language=city.default_language,
                confirmed_at=now,
            )
        )
    db.flush()
    # the months the history covers, as KPIs (the scorecard's "clean air")
    from civitas.insight.service import refresh_figures

    months = sorted({h.astimezone(zone).strftime("%Y-%m") for h in hours})
    refresh_figures(db, city, months, actor="system:demo")
    return [
        f"  air:             {', '.join(made)}; {HISTORY_DAYS} days of hours, 3 past "
        f"episodes; the demo's episode comes at "
        f"{(now + timedelta(minutes=30)).astimezone(zone).strftime('%H:%M')} ({city.timezone})"
    ]
