"""The KPIs of satisfaction: CSAT, Net Easy and NPS from the survey answers given in the
month, the response rate, and how helpful readers found the catalogue pages."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection

from civitas.core.i18n import N_
from civitas.core.kpis import Cell, Kpi, Period, breakdown_sql, key_of, names, register, rows

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

# ids, not codes (cheaper to group); 0 where the experience had no service or department
KEYS = """COALESCE(i.service_id, 0) AS service, COALESCE(i.department_id, 0) AS department,
       i.channel AS channel"""
JOINS = ""
DIMS = {"service": "service", "department": "department", "channel": "channel"}
ANSWERS = f"""SELECT {KEYS}, r.rating AS rating, r.effort AS effort, r.recommend AS recommend
    FROM survey_responses r JOIN survey_invitations i ON i.id = r.invitation_id {JOINS}
    WHERE r.tenant_id = :city AND r.created_at >= :start AND r.created_at < :end"""  # noqa: S608
INVITED = f"""SELECT {KEYS}, i.responded_at AS responded_at
    FROM survey_invitations i {JOINS}
    WHERE i.tenant_id = :city AND i.created_at >= :start AND i.created_at < :end"""  # noqa: S608
VOTES = """SELECT COALESCE(p.service_id, 0) AS service, p.helpful AS helpful
    FROM page_feedback p
    WHERE p.tenant_id = :city AND p.created_at >= :start AND p.created_at < :end"""


def _score(good: int, bad: int, whole: int) -> float | None:
    return None if not whole else round(100.0 * (good - bad) / whole, 2)


def compute(conn: Connection, city_id: int, period: Period) -> Iterator[Cell]:
    dialect = conn.dialect.name
    lookup = names(conn, city_id)
    answers = breakdown_sql(
        dialect,
        ANSWERS,
        DIMS,
        [
            "COUNT(*) AS n",
            "COUNT(*) FILTER (WHERE rating >= 4) AS satisfied",
            "AVG(rating * 1.0) AS mean",
            "COUNT(effort) AS effort_n",
            "COUNT(*) FILTER (WHERE effort <= 2) AS easy",
            "COUNT(*) FILTER (WHERE effort >= 4) AS hard",
            "COUNT(recommend) AS recommend_n",
            "COUNT(*) FILTER (WHERE recommend >= 9) AS promoters",
            "COUNT(*) FILTER (WHERE recommend <= 6) AS detractors",
        ],
    )
    for r in rows(conn, answers, city_id, period):
        dimension, k, n = r.dimension, key_of(lookup, r.dimension, r.k), int(r.n)
        yield Cell("responses", dimension, k, float(n), n)
        yield Cell("csat_pct", dimension, k, round(100.0 * r.satisfied / n, 2), n)
        yield Cell("rating_mean", dimension, k, round(float(r.mean), 2), n)
        if r.effort_n:
            yield Cell("net_easy", dimension, k, _score(r.easy, r.hard, r.effort_n), r.effort_n)
        if r.recommend_n:
            nps = _score(r.promoters, r.detractors, r.recommend_n)
            yield Cell("nps", dimension, k, nps, r.recommend_n)
    invited = breakdown_sql(
        dialect, INVITED, DIMS, ["COUNT(*) AS n", "COUNT(responded_at) AS answered"]
    )
    for r in rows(conn, invited, city_id, period):
        rate = round(100.0 * r.answered / r.n, 2)
        yield Cell("response_rate_pct", r.dimension, key_of(lookup, r.dimension, r.k), rate, r.n)
    votes = breakdown_sql(
        dialect,
        VOTES,
        {"service": "service"},
        ["COUNT(*) AS n", "COUNT(*) FILTER (WHERE helpful) AS yes"],
    )
    for r in rows(conn, votes, city_id, period):
        share = round(100.0 * r.yes / r.n, 2)
        yield Cell("page_helpful_pct", r.dimension, key_of(lookup, r.dimension, r.k), share, r.n)


register("surveys", KPIS, compute)
