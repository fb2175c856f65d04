"""The KPIs of case handling (DIN SPEC 66336's use, completion and processing time), in
three SQL passes per breakdown: the requests received in the month, those closed in it,
and those still open at its end.

Percentiles are nearest-rank (the smallest value with at least p % of the values at or
below it), computed with window functions, so SQLite and PostgreSQL give the same
figure."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from sqlalchemy import Connection

from civitas.cases.schemas import RequestChannel
from civitas.core.db import utcnow
from civitas.core.i18n import N_
from civitas.core.kpis import (
    Cell,
    Kpi,
    Period,
    breakdown_sql,
    hours_between,
    key_of,
    names,
    register,
    rows,
)

DIGITAL = (
    RequestChannel.WEB,
    RequestChannel.OPEN311,
    RequestChannel.CHATBOT,
    RequestChannel.EMAIL,
)
CONTACT = (RequestChannel.PHONE, RequestChannel.OFFICE)
AGEING_DAYS = 30

KPIS = (
    Kpi(
        "volume",
        N_("Requests received"),
        N_("Requests received in the month (duplicates not counted)."),
        "count",
        "none",
        "cases",
    ),
    Kpi(
        "ack_median_h",
        N_("Time to acknowledge, median (hours)"),
        N_(
            "Hours from a request to its first answer, median over the requests received in the "
            "month."
        ),
        "hours",
        "down",
        "cases",
    ),
    Kpi(
        "ack_p90_h",
        N_("Time to acknowledge, 90th percentile (hours)"),
        N_(
            "Hours from a request to its first answer: 90 % of the requests received in the month "
            "were answered within this time."
        ),
        "hours",
        "down",
        "cases",
    ),
    Kpi(
        "close_median_h",
        N_("Time to close, median (hours)"),
        N_("Hours from a request to its closing, median over the requests closed in the month."),
        "hours",
        "down",
        "cases",
    ),
    Kpi(
        "close_p90_h",
        N_("Time to close, 90th percentile (hours)"),
        N_(
            "Hours from a request to its closing: 90 % of the requests closed in the month were "
            "closed within this time."
        ),
        "hours",
        "down",
        "cases",
    ),
    Kpi(
        "deadline_met_pct",
        N_("Deadline compliance (%)"),
        N_(
            "Share of the requests closed in the month that were closed by the date promised to "
            "the resident."
        ),
        "percent",
        "up",
        "cases",
    ),
    Kpi(
        "within_target_pct",
        N_("Closed within the service's target time (%)"),
        N_(
            "Share of the requests closed in the month that were closed within their service's "
            "target processing time."
        ),
        "percent",
        "up",
        "cases",
    ),
    Kpi(
        "reopen_pct",
        N_("Reopen rate (%)"),
        N_("Share of the requests closed in the month that had been reopened at least once."),
        "percent",
        "down",
        "cases",
    ),
    Kpi(
        "backlog",
        N_("Open requests at the end of the month"),
        N_("Requests received by the end of the month and not closed then."),
        "count",
        "down",
        "cases",
    ),
    Kpi(
        "backlog_aged_pct",
        N_("Open for more than 30 days (%)"),
        N_("Share of the requests open at the end of the month that were older than 30 days then."),
        "percent",
        "down",
        "cases",
    ),
    Kpi(
        "digital_pct",
        N_("Digital share (%)"),
        N_(
            "Share of the requests received in the month through the web, an app, the chatbot or "
            "e-mail."
        ),
        "percent",
        "up",
        "cases",
        ("all", "service", "department"),
    ),
    Kpi(
        "fcr_pct",
        N_("First-contact resolution (%)"),
        N_(
            "Share of phone calls and office visits in the month whose request was solved within "
            "an hour, at the first contact."
        ),
        "percent",
        "up",
        "cases",
    ),
)

DIMS = {"service": "service", "department": "department", "channel": "channel"}
FROM = """
    FROM service_requests sr
    WHERE sr.tenant_id = :city AND sr.status <> 'duplicate'"""


def _sql(dialect: str, part: str) -> str:
    """One statement a part (received, closed, open at the end): the whole city and every
    breakdown."""
    digital = ", ".join(f"'{c.value}'" for c in DIGITAL)
    contact = ", ".join(f"'{c.value}'" for c in CONTACT)
    # ids, not codes: grouping by integers is much cheaper than by collated text
    keys = "sr.service_id AS service, sr.department_id AS department, sr.channel AS channel"
    if part == "received":
        ack_h = hours_between(dialect, "sr.acknowledged_at", "sr.requested_at")
        inner = f"""SELECT {keys}, sr.first_contact_resolved AS fcr, {ack_h} AS ack_h {FROM}
            AND sr.requested_at >= :start AND sr.requested_at < :end"""
        return breakdown_sql(
            dialect,
            inner,
            DIMS,
            [
                "COUNT(*) AS n",
                f"COUNT(*) FILTER (WHERE channel IN ({digital})) AS digital",
                f"COUNT(*) FILTER (WHERE channel IN ({contact})) AS contact",
                f"COUNT(*) FILTER (WHERE channel IN ({contact}) AND fcr) AS fcr",
                "COUNT(ack_h) AS ack_n",
            ],
            [("ack_median", "ack_h", 0.5), ("ack_p90", "ack_h", 0.9)],
        )
    if part == "closed":
        close_h = hours_between(dialect, "sr.closed_at", "sr.requested_at")
        inner = f"""SELECT {keys}, sr.closed_at AS closed_at, sr.expected_at AS expected_at,
                   sr.reopen_count AS reopen_count, s.target_hours AS target_hours,
                   {close_h} AS close_h
            FROM service_requests sr JOIN services s ON s.id = sr.service_id
            WHERE sr.tenant_id = :city AND sr.status NOT IN ('duplicate', 'withdrawn')
            AND sr.closed_at >= :start AND sr.closed_at < :end"""  # noqa: S608
        return breakdown_sql(
            dialect,
            inner,
            DIMS,
            [
                "COUNT(*) AS n",
                "COUNT(expected_at) AS promised",
                "COUNT(*) FILTER (WHERE closed_at <= expected_at) AS promise_kept",
                "COUNT(target_hours) AS targeted",
                "COUNT(*) FILTER (WHERE close_h <= target_hours) AS target_met",
                "COUNT(*) FILTER (WHERE reopen_count > 0) AS reopened",
            ],
            [("close_median", "close_h", 0.5), ("close_p90", "close_h", 0.9)],
        )
    age_d = hours_between(dialect, ":end", "sr.requested_at") + " / 24.0"
    inner = f"""SELECT {keys}, {age_d} AS age_d {FROM}
        AND sr.requested_at < :end AND (sr.closed_at IS NULL OR sr.closed_at >= :end)"""
    return breakdown_sql(
        dialect,
        inner,
        DIMS,
        ["COUNT(*) AS n", f"COUNT(*) FILTER (WHERE age_d > {AGEING_DAYS}) AS aged"],
    )


def _pct(part: int, whole: int) -> float | None:
    return None if not whole else round(100.0 * part / whole, 2)


def _hours(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def compute(conn: Connection, city_id: int, period: Period) -> Iterator[Cell]:
    dialect = conn.dialect.name
    lookup = names(conn, city_id)
    for r in rows(conn, _sql(dialect, "received"), city_id, period):
        dimension, k, n, contact = (
            r.dimension,
            key_of(lookup, r.dimension, r.k),
            int(r.n),
            int(r.contact),
        )
        yield Cell("volume", dimension, k, float(n), n)
        yield Cell("ack_median_h", dimension, k, _hours(r.ack_median), int(r.ack_n))
        yield Cell("ack_p90_h", dimension, k, _hours(r.ack_p90), int(r.ack_n))
        if dimension != "channel":
            yield Cell("digital_pct", dimension, k, _pct(r.digital, n), n)
        if contact:
            yield Cell("fcr_pct", dimension, k, _pct(r.fcr, contact), contact)
    for r in rows(conn, _sql(dialect, "closed"), city_id, period):
        dimension, k, n = r.dimension, key_of(lookup, r.dimension, r.k), int(r.n)
        promised, targeted = int(r.promised), int(r.targeted)
        yield Cell("close_median_h", dimension, k, _hours(r.close_median), n)
        yield Cell("close_p90_h", dimension, k, _hours(r.close_p90), n)
        yield Cell("reopen_pct", dimension, k, _pct(r.reopened, n), n)
        if promised:
            yield Cell("deadline_met_pct", dimension, k, _pct(r.promise_kept, promised), promised)
        if targeted:
            yield Cell("within_target_pct", dimension, k, _pct(r.target_met, targeted), targeted)
    # the backlog at the month's end, or now for the month under way (at its end in the
    # future every case filed before the 1st would count as "open longer than 30 days")
    so_far = dataclasses.replace(period, end=min(period.end, utcnow()))
    for r in rows(conn, _sql(dialect, "open"), city_id, so_far):
        dimension, k, n = r.dimension, key_of(lookup, r.dimension, r.k), int(r.n)
        yield Cell("backlog", dimension, k, float(n), n)
        yield Cell("backlog_aged_pct", dimension, k, _pct(r.aged, n), n)


register("cases", KPIS, compute)
