"""Collocation: a sensor beside a reference station over a period, fitted as
PM2.5_ref = a + b·PM2.5_sensor + c·RH (ordinary least squares on the hours both have),
and judged against EPA's 2021 performance targets for PM2.5 sensors (Duvall et al.,
EPA/600/R-20/280), on 24-hour means of the corrected values against the reference:

* R² ≥ 0.70 (coefficient of determination of the simple regression);
* slope 1.0 ± 0.35 and intercept between −5 and 5 µg/m³ (sensor = slope·ref + intercept);
* RMSE ≤ 7 µg/m³, or NRMSE ≤ 30 % (RMSE over the reference's mean).

The fit is stored as a dated calibration: from ``valid_from`` on the sensor's corrected
values use it (rollup recomputes them) and name it ("fit/2026-11-03")."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from statistics import fmean
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civitas.air.models import Calibration, Hour, Sensor
from civitas.air.rollup import MIN_HOURS
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_

R2_MIN = 0.70
SLOPE = (0.65, 1.35)
INTERCEPT = (-5.0, 5.0)
RMSE_MAX = 7.0  # µg/m³
NRMSE_MAX = 30.0  # %
MIN_PAIRS = 72  # three days of hours at least


def regression(x: list[float], y: list[float]) -> dict[str, float]:
    """y = slope·x + intercept: the slope, intercept, R² and the RMSE of y against x."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    slope, intercept = np.polyfit(xs, ys, 1)
    predicted = slope * xs + intercept
    residual = float(np.sum((ys - predicted) ** 2))
    total = float(np.sum((ys - ys.mean()) ** 2))
    rmse = math.sqrt(float(np.mean((ys - xs) ** 2)))
    return {
        "slope": float(slope),
        "intercept": float(intercept),
        "r2": 1 - residual / total if total > 0 else 0.0,
        "rmse": rmse,
        "nrmse": 100 * rmse / float(xs.mean()) if xs.mean() > 0 else math.inf,
    }


def judge(figures: dict[str, float]) -> dict[str, bool]:
    """Each of EPA's targets met or not (the error target by RMSE or by NRMSE)."""
    return {
        "r2": figures["r2"] >= R2_MIN,
        "slope": SLOPE[0] <= figures["slope"] <= SLOPE[1],
        "intercept": INTERCEPT[0] <= figures["intercept"] <= INTERCEPT[1],
        "error": figures["rmse"] <= RMSE_MAX or figures["nrmse"] <= NRMSE_MAX,
    }


def fit_pairs(pm: list[float], rh: list[float], reference: list[float]) -> dict[str, float]:
    """The least-squares coefficients of reference = a + b·pm + c·rh."""
    design = np.column_stack([np.ones(len(pm)), np.asarray(pm), np.asarray(rh)])
    solution, *_ = np.linalg.lstsq(design, np.asarray(reference), rcond=None)
    return {"intercept": float(solution[0]), "slope": float(solution[1]), "rh": float(solution[2])}


def collocate(
    db: Session,
    city: City,
    sensor: Sensor,
    reference: Sensor,
    period_from: date,
    period_to: date,
    *,
    valid_from: date | None = None,
    by: str = "",
) -> Calibration:
    """Fit ``sensor`` against ``reference`` over the period and store the calibration."""
    enter_city(db, city)
    if reference.kind != "reference":
        raise InvalidInput(
            N_("A collocation is fitted against a reference station."),
            problems=[Problem("reference", N_("Choose a reference station."))],
        )
    if sensor.kind == "reference":
        raise InvalidInput(
            N_("A reference station is not calibrated against another."),
            problems=[Problem("sensor", N_("Choose a low-cost sensor."))],
        )
    if period_to < period_from:
        raise InvalidInput(
            N_("The period ends before it begins."),
            problems=[Problem("to", N_("Give an end on or after the start."))],
        )
    zone = ZoneInfo(city.timezone)
    lower = datetime.combine(period_from, datetime.min.time(), zone).astimezone(UTC)
    upper = datetime.combine(period_to + timedelta(days=1), datetime.min.time(), zone).astimezone(
        UTC
    )

    def hours_of(target: Sensor) -> dict[datetime, Hour]:
        return {
            h.hour: h
            for h in db.scalars(
                select(Hour).where(
                    Hour.sensor_id == target.id,
                    Hour.hour >= lower,
                    Hour.hour < upper,
                    Hour.valid.is_(True),
                )
            )
        }

    mine, theirs = hours_of(sensor), hours_of(reference)
    pairs: list[tuple[float, float, float, datetime]] = []
    for h in sorted(set(mine) & set(theirs)):
        pm, rh, ref = mine[h].pm25_raw, mine[h].humidity, theirs[h].pm25_raw
        if pm is not None and rh is not None and ref is not None:
            pairs.append((pm, rh, ref, h))
    if len(pairs) < MIN_PAIRS:
        raise InvalidInput(
            N_("Only {count} hours with both the sensor and the reference: a fit needs {needed}."),
            problems=[Problem("period", N_("Choose a longer period."))],
            count=len(pairs),
            needed=MIN_PAIRS,
        )
    coefficients = fit_pairs([p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs])

    def fitted(pm: float, rh: float) -> float:
        value = coefficients["intercept"] + coefficients["slope"] * pm + coefficients["rh"] * rh
        return max(value, 0.0)

    # judged on 24-hour means of the fitted values against the reference's
    by_day: dict[date, list[tuple[float, float]]] = {}
    for pm, rh, ref, hour in pairs:
        by_day.setdefault(hour.astimezone(zone).date(), []).append((fitted(pm, rh), ref))
    days = [
        (fmean(v[0] for v in vs), fmean(v[1] for v in vs))
        for vs in by_day.values()
        if len(vs) >= MIN_HOURS
    ]
    basis = "daily"
    if len(days) < 3:  # a short period: judged on the hours
        days = [(fitted(p[0], p[1]), p[2]) for p in pairs]
        basis = "hourly"
    figures: dict[str, Any] = regression([d[1] for d in days], [d[0] for d in days])
    figures["n_hours"] = len(pairs)
    figures["n_means"] = len(days)
    figures["basis"] = basis
    figures["meets"] = judge(figures)
    calibration = Calibration(
        tenant_id=city.id,
        sensor_id=sensor.id,
        reference_id=reference.id,
        valid_from=valid_from or period_from,
        period_from=period_from,
        period_to=period_to,
        coefficients=coefficients,
        figures=figures,
        created_by=by,
    )
    db.add(calibration)
    # the sensor's values from then on are corrected again with the fit
    start = datetime.combine(calibration.valid_from, datetime.min.time(), zone).astimezone(UTC)
    db.execute(
        update(Sensor)
        .where(Sensor.id == sensor.id)
        .values(dirty_from=start)
        .execution_options(synchronize_session=False)
    )
    db.flush()
    db.expire(sensor, ["dirty_from"])
    return calibration
