"""The KPIs of satisfaction: CSAT, Net Easy and NPS from the survey answers given in the
month, the response rate, and how helpful readers found the catalogue pages."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection

from civitas.core.i18n import N_
from civitas.core.kpis import Cell, Kpi, Period, register, rows

KPIS = (
    Kpi(
        "responses",
        N_("Survey answers"),
        N_("Answers to the satisfaction survey given in the month."),
        "count",
        "up",
        "surveys",
    ),
    Kpi(
        "csat_pct",
        N_("Satisfaction, CSAT (%)"),
        N_("Share of the month's answers rating the service 4 or 5 out of 5."),
        "percent",
        "up",
        "surveys",
    ),
    Kpi(
        "rating_mean",
        N_("Average rating (1–5)"),
        N_("The mean of the month's ratings, 1 (very dissatisfied) to 5 (very satisfied)."),
        "score",
        "up",
        "surveys",
    ),
    Kpi(
        "net_easy",
        N_("Net Easy score"),
        N_(
            "Share of answers finding the service easy (1–2) minus the share finding it "
            "difficult (4–5), from −100 to 100."
        ),
        "score",
        "up",
        "surveys",
    ),
    Kpi(
        "nps",
        N_("Net Promoter Score"),
        N_(
            "Share of answers that would recommend the service with 9 or 10 minus the share "
            "giving 0 to 6, from −100 to 100."
        ),
        "score",
        "up",
        "surveys",
    ),
    Kpi(
        "response_rate_pct",
        N_("Survey response rate (%)"),
        N_("Share of the month's survey invitations that have been answered."),
        "percent",
        "up",
        "surveys",
    ),
    Kpi(
        "page_helpful_pct",
        N_("Catalogue pages found helpful (%)"),
        N_("Share of 'Was this page helpful?' votes in the month that said yes."),
        "percent",
        "up",
        "surveys",
        ("all", "service"),
    ),
)

KEYS = {
    "all": "''",
    "service": "COALESCE(s.code, '')",
    "department": "COALESCE(d.code, '')",
    "channel": "i.channel",
}
JOINS = """
    LEFT JOIN services s ON s.id = i.service_id
    LEFT JOIN departments d ON d.id = i.department_id"""


def _score(good: int, bad: int, whole: int) -> float | None:
    return None if not whole else round(100.0 * (good - bad) / whole, 2)


def compute(conn: Connection, city_id: int, period: Period) -> Iterator[Cell]:
    for dimension, key in KEYS.items():
        answers = f"""
            SELECT {key} AS k, COUNT(*) AS n,
                   COUNT(*) FILTER (WHERE r.rating >= 4) AS satisfied,
                   AVG(r.rating * 1.0) AS mean,
                   COUNT(r.effort) AS effort_n,
                   COUNT(*) FILTER (WHERE r.effort <= 2) AS easy,
                   COUNT(*) FILTER (WHERE r.effort >= 4) AS hard,
                   COUNT(r.recommend) AS recommend_n,
                   COUNT(*) FILTER (WHERE r.recommend >= 9) AS promoters,
                   COUNT(*) FILTER (WHERE r.recommend <= 6) AS detractors
            FROM survey_responses r
            JOIN survey_invitations i ON i.id = r.invitation_id {JOINS}
            WHERE r.tenant_id = :city AND r.created_at >= :start AND r.created_at < :end
            GROUP BY 1"""  # noqa: S608 - the names are the module's own, values are bound
        for r in rows(conn, answers, city_id, period):
            k, n = str(r.k), int(r.n)
            yield Cell("responses", dimension, k, float(n), n)
            yield Cell("csat_pct", dimension, k, round(100.0 * r.satisfied / n, 2), n)
            yield Cell("rating_mean", dimension, k, round(float(r.mean), 2), n)
            if r.effort_n:
                yield Cell("net_easy", dimension, k, _score(r.easy, r.hard, r.effort_n), r.effort_n)
            if r.recommend_n:
                yield Cell(
                    "nps",
                    dimension,
                    k,
                    _score(r.promoters, r.detractors, r.recommend_n),
                    r.recommend_n,
                )
        invited = f"""
            SELECT {key} AS k, COUNT(*) AS n, COUNT(i.responded_at) AS answered
            FROM survey_invitations i {JOINS}
            WHERE i.tenant_id = :city AND i.created_at >= :start AND i.created_at < :end
            GROUP BY 1"""  # noqa: S608
        for r in rows(conn, invited, city_id, period):
            yield Cell(
                "response_rate_pct", dimension, str(r.k), round(100.0 * r.answered / r.n, 2), r.n
            )
        if dimension in ("all", "service"):
            pages = f"""
                SELECT {key} AS k, COUNT(*) AS n,
                       COUNT(*) FILTER (WHERE p.helpful) AS yes
                FROM page_feedback p LEFT JOIN services s ON s.id = p.service_id
                WHERE p.tenant_id = :city AND p.created_at >= :start AND p.created_at < :end
                GROUP BY 1"""  # noqa: S608
            for r in rows(conn, pages, city_id, period):
                yield Cell(
                    "page_helpful_pct", dimension, str(r.k), round(100.0 * r.yes / r.n, 2), r.n
                )


register("surveys", KPIS, compute)
