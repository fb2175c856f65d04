"""The residents' pages: the map of stations coloured by the city's index, a station's
day and week (charts with their tables), the health advice of each band, how every
figure is made, and alerts for an area (asked for here, confirmed from the mailbox)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from civitas.air import alerts, current, indices
from civitas.air.models import Calibration, Day, Hour, Sensor
from civitas.air.rollup import MIN_HOURS
from civitas.air.sensors import KIND_LABELS, by_code, public_position, settings_of
from civitas.cities.models import City
from civitas.core.config import get_settings
from civitas.core.db import utcnow
from civitas.core.errors import CivitasError, NotFound
from civitas.core.i18n import N_, locale_for, translate
from civitas.insight.charts import Chart, _base, fmt
from civitas.places.basemap import map_config
from civitas.web.deps import CurrentCity, DbSession, RowId
from civitas.web.forms import problems_by_field
from civitas.web.jobs import kick_outbox
from civitas.web.routers import Router
from civitas.web.templating import page, require_csrf

router = Router(include_in_schema=False)

CORRECTION_LABELS = {
    "epa-2021": N_("US EPA correction for PurpleAir (Barkjohn et al. 2021)"),
    "epa-2022": N_("US EPA correction for PurpleAir, extended for smoke (Barkjohn et al. 2022)"),
    "kappa-koehler": N_("Humidity growth correction (κ-Köhler)"),
    "fit": N_("Collocation fit against the reference station"),
    "none": N_("No correction (as measured)"),
}
FLAG_LABELS = {
    "humid": N_("humidity above the limit"),
    "ab": N_("PurpleAir channels A and B disagree"),
    "stuck": N_("the sensor repeated one value"),
    "no_pm": N_("no particle reading"),
    "no_rh": N_("no humidity: not corrected"),
}


def band_class(scale: str, category: str | None) -> str:
    """The CSS class of a band's colour (see bands.css): "band-inca-pe-good"."""
    return f"band-{scale}-{category}" if category else "band-none"


@router.get("/{city}/air/bands.css", response_model=None)
def bands_css(city: CurrentCity) -> Response:
    """Each band's colour on every scale (pages set no inline styles)."""
    rules = [".band-none { background: #9e9e9e; border-color: #9e9e9e; }"]
    for code, found in indices.SCALES.items():
        for pollutant_bands in found.bands.values():
            for band in pollutant_bands:
                name, colour = f"band-{code}-{band.category}", band.colour
                rule = f".{name} {{ background: {colour}; border-color: {colour}; }}"
                if rule not in rules:
                    rules.append(rule)
    rules.append(".air-now .band { background: none; }")
    return Response(
        "\n".join(rules) + "\n",
        media_type="text/css",
        headers={"cache-control": "public, max-age=3600"},
    )


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "en"))


def correction_label(lang: str, name: str | None) -> str:
    if not name:
        return "–"
    method, _, version = name.partition("/")
    label = translate(lang, CORRECTION_LABELS.get(method, method))
    return f"{label} ({method}/{version})"


def _scale_legend(lang: str, scale: str) -> list[dict[str, Any]]:
    found = indices.scale(scale)
    rows = []
    lower = 0.0
    for band in found.bands["pm25"]:
        if found.kind == "linear":
            index = f"{band.index_low}–{band.index_high}"
        elif found.kind == "ratio":
            index = (
                f"{band.index_low}–{band.index_high}"
                if band.index_high
                else f"> {band.index_low - 1}"
            )
        else:
            index = str(band.index_low)
        upper = band.upper if band.upper not in (None, float("inf")) else None
        rows.append(
            {
                "label": translate(lang, band.label),
                "colour": band.colour,
                "css": band_class(scale, band.category),
                "index": index,
                "lower": lower,
                "upper": upper,
                "advice": translate(lang, indices.ADVICE[band.level]),
                "level": band.level,
            }
        )
        if upper is not None:
            lower = upper
    return rows


@router.get("/{city}/air", response_model=None)
def home(request: Request, city: CurrentCity, db: DbSession, alert: str = "") -> Response:
    return page(
        request, "air/home.html", home_context(request, city, db, alert_sent=alert == "sent")
    )


def home_context(
    request: Request, city: City, db: Any, *, alert_sent: bool = False
) -> dict[str, Any]:
    lang = _lang(request)
    locale = locale_for(lang, city.country)
    air = settings_of(db, city)
    values = current.now_values(db, city)
    stations = []
    for v in values:
        lat, lon = public_position(v.sensor)
        stations.append(
            {
                "code": v.sensor.code,
                "name": v.sensor.name,
                "kind": translate(lang, KIND_LABELS.get(v.sensor.kind, v.sensor.kind)),
                "reference": v.sensor.kind == "reference",
                "lat": lat,
                "lon": lon,
                "approximate": v.sensor.host == "resident",
                "pm25": fmt(v.pm25, "", locale) if v.pm25 is not None else None,
                "category": translate(lang, v.index.label) if v.index else None,
                "colour": v.index.colour if v.index else "#9e9e9e",
                "css": band_class(air.scale, v.index.category if v.index else None),
                "index": v.index.index if v.index else None,
                "latest": v.latest,
            }
        )
    scale = indices.scale(air.scale)
    legend = _scale_legend(lang, air.scale)
    return {
        "stations": stations,
        "reporting": sum(1 for s in stations if s["category"]),
        "scale": scale,
        "scale_title": translate(lang, scale.title),
        "legend": legend,
        "basemap": map_config(db, city, get_settings()),
        "alert_sent": alert_sent,
        "thresholds": [(i, row["label"]) for i, row in enumerate(legend, start=1) if i >= 2],
        "default_threshold": alerts.default_threshold(air.scale),
        "radii": alerts.RADII,
        "problems": {},
        "values": {},
    }


@router.post("/{city}/air/alerts", response_model=None)
async def subscribe(request: Request, city: CurrentCity, db: DbSession) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    lang = _lang(request)
    code = str(form.get("station", ""))[:60]
    values = {k: str(form.get(k, ""))[:320] for k in ("station", "radius", "threshold", "email")}
    try:
        station = by_code(db, city, code) if code else None
        if station is None or station.indoor:
            raise NotFound(N_("Choose a station from the list."))
        lat, lon = public_position(station)
        radius = int(values["radius"]) if values["radius"].isdigit() else 0
        threshold = int(values["threshold"]) if values["threshold"].isdigit() else 0
        alerts.subscribe(
            db,
            city,
            email=values["email"],
            lat=lat,
            lon=lon,
            radius_m=radius,
            threshold=threshold,
            label=station.name,
            language=lang,
        )
    except CivitasError as exc:
        db.rollback()
        problems = problems_by_field(lang, exc, fallback="station")
        # the same page again, with the problems beside their fields and the values kept
        context = {**home_context(request, city, db), "problems": problems, "values": values}
        return page(request, "air/home.html", context, status=exc.status)
    db.commit()
    kick_outbox()
    return RedirectResponse(f"/{city.slug}/air?alert=sent&lang={lang}#alerts", status_code=303)


@router.get("/{city}/air/alerts/{alert_id}/{key}", response_model=None)
def confirm_alert(
    request: Request, city: CurrentCity, db: DbSession, alert_id: RowId, key: str
) -> Response:
    found = alerts.confirm(db, city, alert_id, key[:200])
    db.commit()
    lang = _lang(request)
    air = settings_of(db, city)
    bands = indices.scale(air.scale).bands["pm25"]
    return page(
        request,
        "air/alert.html",
        {
            "alert": found,
            "key": key[:200],
            "band": translate(lang, bands[min(found.threshold, len(bands)) - 1].label),
        },
    )


@router.post("/{city}/air/alerts/{alert_id}/{key}/stop", response_model=None)
async def stop_alert(
    request: Request, city: CurrentCity, db: DbSession, alert_id: RowId, key: str
) -> Response:
    form = await request.form()
    require_csrf(request, str(form.get("csrf", "")))
    alerts.stop(db, city, alert_id, key[:200])
    db.commit()
    return page(request, "air/alert_stopped.html", {})


def _station(db: Any, city: City, code: str) -> Sensor:
    found = by_code(db, city, code[:60])
    if found.indoor or not found.active:
        raise NotFound(N_("The city has no air-quality station {code}."), code=code[:60])
    return found


@router.get("/{city}/air/stations/{code}", response_model=None)
def station_page(request: Request, city: CurrentCity, db: DbSession, code: str) -> Response:
    lang = _lang(request)
    locale = locale_for(lang, city.country)
    sensor = _station(db, city, code)
    air = settings_of(db, city)
    scale = indices.scale(air.scale)
    zone = ZoneInfo(city.timezone)
    now = utcnow()
    top = now.replace(minute=0, second=0, microsecond=0)
    hours = list(
        db.scalars(
            select(Hour)
            .where(
                Hour.sensor_id == sensor.id, Hour.hour > top - timedelta(hours=24), Hour.hour <= top
            )
            .order_by(Hour.hour)
        )
    )
    today = now.astimezone(zone).date()
    days = list(
        db.scalars(
            select(Day)
            .where(
                Day.sensor_id == sensor.id, Day.day > today - timedelta(days=7), Day.day <= today
            )
            .order_by(Day.day)
        )
    )
    mine = next((v for v in current.now_values(db, city) if v.sensor.id == sensor.id), None)
    calibration = db.scalar(
        select(Calibration)
        .where(Calibration.sensor_id == sensor.id)
        .order_by(Calibration.valid_from.desc())
        .limit(1)
    )
    hour_label = translate(lang, N_("Hour"))
    raw_label = translate(lang, N_("As measured"))
    corrected_label = translate(lang, N_("Corrected"))
    pm_label = translate(lang, N_("PM2.5 (µg/m³)"))
    hourly_rows: list[dict[str, Any]] = [
        {
            "hour": h.hour.astimezone(zone).strftime("%H:00"),
            "raw": h.pm25_raw,
            "pm25": h.pm25 if h.valid else None,
            "humidity": h.humidity,
            "flags": ", ".join(
                translate(lang, FLAG_LABELS.get(f, f)) for f in h.flags.split(",") if f
            ),
        }
        for h in hours
    ]
    day_chart = Chart(
        "air-24h",
        translate(lang, N_("The last 24 hours")),
        translate(
            lang,
            N_(
                "Hourly means of PM2.5 at {station}, as measured and corrected; hours that "
                "failed a check are left out of the corrected line."
            ),
            station=sensor.name,
        ),
        {
            **_base(translate(lang, N_("The last 24 hours")), height=200),
            "data": {
                "values": [
                    {"hour": r["hour"], "series": raw_label, "value": r["raw"]}
                    for r in hourly_rows
                    if r["raw"] is not None
                ]
                + [
                    {"hour": r["hour"], "series": corrected_label, "value": r["pm25"]}
                    for r in hourly_rows
                    if r["pm25"] is not None
                ]
            },
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": "hour", "type": "ordinal", "title": None, "sort": None},
                "y": {"field": "value", "type": "quantitative", "title": pm_label},
                "color": {"field": "series", "type": "nominal", "title": None},
                "tooltip": [
                    {"field": "hour"},
                    {"field": "series"},
                    {"field": "value", "format": ",.1f"},
                ],
            },
        },
        [
            hour_label,
            raw_label,
            corrected_label,
            translate(lang, N_("Humidity (%)")),
            translate(lang, N_("Checks")),
        ],
        [
            [
                r["hour"],
                fmt(r["raw"], "", locale),
                fmt(r["pm25"], "", locale),
                fmt(r["humidity"], "", locale),
                r["flags"] or "–",
            ]
            for r in hourly_rows
        ],
    )
    day_rows: list[dict[str, Any]] = []
    for d in days:
        brief = (d.indices or {}).get(air.scale) or {}
        band = next((b for b in scale.bands["pm25"] if b.category == brief.get("category")), None)
        day_rows.append(
            {
                "day": d.day,
                "label": d.day.strftime("%d.%m.") if lang == "de" else d.day.strftime("%d/%m"),
                "pm25": d.pm25,
                "raw": d.pm25_raw,
                "hours": d.hours,
                "complete": d.complete,
                "category": translate(lang, band.label) if band else "–",
                "colour": band.colour if band else "#9e9e9e",
                "index": brief.get("index"),
            }
        )
    week_label = translate(lang, N_("The last 7 days"))
    week_chart = Chart(
        "air-7d",
        week_label,
        translate(
            lang,
            N_(
                "Daily means of corrected PM2.5 at {station}, each bar in the colour of its "
                "band on the {scale}; a day with fewer than {hours} valid hours is incomplete."
            ),
            station=sensor.name,
            scale=translate(lang, scale.title),
            hours=MIN_HOURS,
        ),
        {
            **_base(week_label, height=200),
            "data": {
                "values": [
                    {
                        "day": r["label"],
                        "value": r["pm25"],
                        "colour": r["colour"],
                        "band": r["category"],
                    }
                    for r in day_rows
                    if r["pm25"] is not None
                ]
            },
            "mark": {"type": "bar"},
            "encoding": {
                "x": {"field": "day", "type": "ordinal", "title": None, "sort": None},
                "y": {"field": "value", "type": "quantitative", "title": pm_label},
                "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None},
                "tooltip": [
                    {"field": "day"},
                    {"field": "band"},
                    {"field": "value", "format": ",.1f"},
                ],
            },
        },
        [
            translate(lang, N_("Day")),
            corrected_label,
            raw_label,
            translate(lang, scale.title),
            translate(lang, N_("Valid hours")),
        ],
        [
            [
                r["label"],
                fmt(r["pm25"], "", locale),
                fmt(r["raw"], "", locale),
                f"{r['index'] if r['index'] is not None else '–'} · {r['category']}"
                + ("" if r["complete"] else " · " + translate(lang, N_("incomplete"))),
                f"{r['hours']}/24",
            ]
            for r in day_rows
        ],
    )
    last_correction = next((h.correction for h in reversed(hours) if h.correction), None)
    lat, lon = public_position(sensor)
    return page(
        request,
        "air/station.html",
        {
            "sensor": sensor,
            "kind": translate(lang, KIND_LABELS.get(sensor.kind, sensor.kind)),
            "lat": lat,
            "lon": lon,
            "now": mine,
            "now_pm25": fmt(mine.pm25, "", locale) if mine and mine.pm25 is not None else None,
            "now_category": translate(lang, mine.index.label) if mine and mine.index else None,
            "now_css": band_class(air.scale, mine.index.category if mine and mine.index else None),
            "advice": translate(lang, indices.ADVICE[mine.index.level])
            if mine and mine.index
            else None,
            "scale_title": translate(lang, scale.title),
            "charts": [day_chart, week_chart],
            "correction": correction_label(lang, last_correction),
            "calibration": calibration,
            "fmt": lambda value, unit="": fmt(value, unit, locale),
            "basemap": map_config(db, city, get_settings()),
            "updated": max((h.hour for h in hours), default=None),
        },
    )


def today_bounds(city: City) -> tuple[datetime, datetime]:
    zone = ZoneInfo(city.timezone)
    today = utcnow().astimezone(zone).date()
    start = datetime.combine(today, datetime.min.time(), zone).astimezone(UTC)
    return start, start + timedelta(days=1)
