"""The KPIs of proactive services: entitlements delivered without an application, their
share of everything delivered, and what was paid out."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, select

from civitas.core.i18n import N_
from civitas.core.kpis import Cell, Kpi, Period, register, rows
from civitas.proactive.models import Rule, RuleVersion

KPIS = (
    Kpi(
        "proactive_delivered",
        N_("Entitlements delivered proactively"),
        N_(
            "Benefits granted automatically or offers accepted in the month, with no "
            "application by the resident."
        ),
        "count",
        "up",
        "proactive",
        ("all",),
    ),
    Kpi(
        "proactive_pct",
        N_("Proactive share (%)"),
        N_(
            "Entitlements delivered proactively in the month, as a share of those plus the "
            "applications received for the same services."
        ),
        "percent",
        "up",
        "proactive",
        ("all",),
    ),
    Kpi(
        "benefits_paid",
        N_("Benefits paid out"),
        N_("Payments to residents instructed in the month, in the city's currency."),
        "money",
        "none",
        "proactive",
        ("all",),
    ),
)

DELIVERED = """
    SELECT COUNT(*) AS n FROM proactive_decisions
    WHERE tenant_id = :city AND status IN ('granted', 'accepted')
      AND COALESCE(answered_at, updated_at) >= :start
      AND COALESCE(answered_at, updated_at) < :end"""
APPLIED = """
    SELECT COUNT(*) AS n FROM service_requests sr JOIN services s ON s.id = sr.service_id
    WHERE sr.tenant_id = :city AND sr.status <> 'duplicate' AND s.code IN ({codes})
      AND sr.requested_at >= :start AND sr.requested_at < :end"""
PAID = """
    SELECT COUNT(*) AS n, COALESCE(SUM(amount_minor), 0) AS total FROM proactive_payments
    WHERE tenant_id = :city AND direction = 'to_resident' AND status <> 'cancelled'
      AND created_at >= :start AND created_at < :end"""


def _service_codes(conn: Connection, city_id: int, period: Period) -> list[str]:
    """The catalogue services the city's active rules deliver (from their current
    version), of the rules that existed by the end of the month: before a service was
    proactive, its applications are no share of anything."""
    stmt = (
        select(RuleVersion.definition)
        .join(Rule, (Rule.id == RuleVersion.rule_id) & (Rule.version == RuleVersion.version))
        .where(Rule.tenant_id == city_id, Rule.active.is_(True), Rule.created_at < period.end)
    )
    return sorted({d["service_code"] for (d,) in conn.execute(stmt) if d.get("service_code")})


def compute(conn: Connection, city_id: int, period: Period) -> Iterator[Cell]:
    delivered = int(rows(conn, DELIVERED, city_id, period)[0].n)
    codes = _service_codes(conn, city_id, period)
    applied = 0
    if codes:
        placeholders = ", ".join(f":c{i}" for i in range(len(codes)))
        extra = {f"c{i}": code for i, code in enumerate(codes)}
        sql = APPLIED.format(codes=placeholders)
        applied = int(rows(conn, sql, city_id, period, **extra)[0].n)
    if delivered or applied:
        yield Cell("proactive_delivered", "all", "", float(delivered), delivered)
        share = round(100.0 * delivered / (delivered + applied), 2)
        yield Cell("proactive_pct", "all", "", share, delivered + applied)
    paid = rows(conn, PAID, city_id, period)[0]
    if paid.n:
        yield Cell("benefits_paid", "all", "", int(paid.total) / 100.0, int(paid.n))


register("proactive", KPIS, compute)
