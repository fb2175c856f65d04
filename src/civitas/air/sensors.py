"""The city's sensors and reference stations, and its air-quality settings."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from civitas.air import corrections, indices
from civitas.air.models import AirSettings, Sensor
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.errors import Conflict, InvalidInput, NotFound, Problem
from civitas.core.i18n import N_
from civitas.core.security import hash_password, verify_password

KIND_LABELS = {
    "sds011": "Nova SDS011",
    "sps30": "Sensirion SPS30",
    "pms5003": "Plantower PMS5003",
    "purpleair": "PurpleAir PA-II",
    "reference": N_("Reference station"),
}
HOSTS = ("city", "resident")
GRID_DEG = 0.002  # a resident's sensor is shown in public at the centre of this cell
CHIP = re.compile(r"^[A-Za-z0-9_.:-]{1,60}$")


def settings_of(db: Session, city: City) -> AirSettings:
    enter_city(db, city)
    found = db.scalar(select(AirSettings))
    if found is None:
        found = AirSettings(tenant_id=city.id, scale=default_scale(city))
        db.add(found)
        db.flush()
    return found


def default_scale(city: City) -> str:
    country = (getattr(city, "country", "") or "").upper()
    return {"PE": "inca-pe", "DE": "uba", "US": "us-epa-2024"}.get(
        country, "eaqi" if country in EU else "us-epa-2024"
    )


EU = {
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
}


def bare_chip(value: str) -> str:
    """sensor.community's X-Sensor "esp8266-12345678" and esp8266id "12345678" alike."""
    value = value.strip()
    for prefix in ("esp8266-", "esp32-", "raspi-", "smogomierz-"):
        if value.lower().startswith(prefix):
            return value[len(prefix) :]
    return value


def sensors(db: Session, city: City, *, public: bool = False) -> list[Sensor]:
    enter_city(db, city)
    query = select(Sensor).order_by(Sensor.kind == "reference", Sensor.name, Sensor.code)
    if public:
        query = query.where(Sensor.active.is_(True), Sensor.indoor.is_(False))
    return list(db.scalars(query))


_BY_CHIP = select(Sensor).where(Sensor.chip_id.in_(bindparam("chips", expanding=True)))


def by_chip(db: Session, city: City, chip: str) -> Sensor | None:
    enter_city(db, city)
    return db.scalar(_BY_CHIP, {"chips": sorted({chip, bare_chip(chip)})})


def by_code(db: Session, city: City, code: str) -> Sensor:
    enter_city(db, city)
    found = db.scalar(select(Sensor).where(Sensor.code == code))
    if found is None:
        raise NotFound(N_("The city has no air-quality station {code}."), code=code)
    return found


def public_position(sensor: Sensor) -> tuple[float, float]:
    """Where the public sees the sensor: a resident's home is never shown, only the
    centre of its ~200 m grid cell."""
    if sensor.host != "resident":
        return sensor.lat, sensor.lon
    return round(_snap(sensor.lat), 6), round(_snap(sensor.lon), 6)


def _snap(value: float) -> float:
    return (math.floor(value / GRID_DEG) + 0.5) * GRID_DEG


def add_sensor(
    db: Session,
    city: City,
    *,
    chip_id: str,
    kind: str,
    lat: float,
    lon: float,
    name: str = "",
    code: str | None = None,
    indoor: bool = False,
    host: str = "city",
    humidity_chip: str | None = None,
    archive_id: str | None = None,
    password: str | None = None,
) -> Sensor:
    """Register a sensor (or a reference station); every problem is named by its field."""
    enter_city(db, city)
    problems: list[Problem] = []
    chip = bare_chip(chip_id or "")
    if not CHIP.match(chip):
        problems.append(
            Problem("chip_id", N_("Give the chip id the sensor sends: letters, digits, - _ . :"))
        )
    if kind not in corrections.KINDS:
        problems.append(
            Problem(
                "type", N_("Choose one of: {choices}."), {"choices": ", ".join(corrections.KINDS)}
            )
        )
    if not (isinstance(lat, (int, float)) and math.isfinite(lat) and -90 <= lat <= 90):
        problems.append(Problem("lat", N_("Give a latitude between -90 and 90.")))
    if not (isinstance(lon, (int, float)) and math.isfinite(lon) and -180 <= lon <= 180):
        problems.append(Problem("lon", N_("Give a longitude between -180 and 180.")))
    if host not in HOSTS:
        problems.append(
            Problem("host", N_("Choose one of: {choices}."), {"choices": ", ".join(HOSTS)})
        )
    for field, value in (("humidity_chip", humidity_chip), ("archive_id", archive_id)):
        if value and not CHIP.match(value.strip()):
            problems.append(
                Problem(field, N_("Give the sensor's id in the archives: letters, digits, - _ . :"))
            )
    code = (code or f"{kind}-{chip}").lower()[:60]
    if problems:
        raise InvalidInput(N_("The sensor was not added."), problems=problems)
    if by_chip(db, city, chip) is not None:
        raise Conflict(N_("A sensor with chip id {chip} is registered already."), chip=chip)
    if db.scalar(select(Sensor.id).where(Sensor.code == code)) is not None:
        raise Conflict(N_("A sensor with chip id {chip} is registered already."), chip=chip)
    sensor = Sensor(
        tenant_id=city.id,
        code=code,
        chip_id=chip,
        kind=kind,
        name=name[:200] or f"{KIND_LABELS.get(kind, kind)} {chip}",
        lat=float(lat),
        lon=float(lon),
        indoor=indoor,
        host=host,
        humidity_chip=humidity_chip.strip() if humidity_chip else None,
        archive_id=archive_id.strip() if archive_id else None,
        password_hash=hash_password(password) if password else None,
    )
    db.add(sensor)
    db.flush()
    return sensor


_verified: dict[tuple[int, str], str] = {}


def password_ok(sensor: Sensor, password: str | None) -> bool:
    """The sensor's basic-auth password (when it has one); a verified password is
    remembered by its digest, so a sensor pushing every few minutes is not rehashed."""
    if not sensor.password_hash:
        return True
    if password is None:
        return False
    digest = hashlib.sha256(password.encode()).hexdigest()
    key = (sensor.id, sensor.password_hash)
    if _verified.get(key) == digest:
        return True
    if verify_password(sensor.password_hash, password):
        if len(_verified) > 10_000:
            _verified.clear()
        _verified[key] = digest
        return True
    return False


def set_scale(db: Session, city: City, scale: str) -> AirSettings:
    if scale not in indices.SCALES:
        raise InvalidInput(
            N_("Choose one of: {choices}."),
            problems=[
                Problem(
                    "scale", N_("Choose one of: {choices}."), {"choices": ", ".join(indices.SCALES)}
                )
            ],
            choices=", ".join(indices.SCALES),
        )
    found = settings_of(db, city)
    found.scale = scale
    db.flush()
    return found


def correction_settings(found: AirSettings) -> dict[str, Any]:
    return {"kappa": found.kappa, "density": found.density}
