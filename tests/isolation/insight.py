"""The isolation walk's sample requests for the insight domain: one per route,
valid with the city's own credentials (tests/test_isolation.py)."""

from __future__ import annotations

from civitas.insight.scorecard import EXAMPLE
from tests.isolation import Case
from tests.isolation.worlds import SURVEYS, scorecard_world, survey_invitation

ROUTES: dict[tuple[str, str], Case] = {
    # satisfaction: the survey behind its link, and "was this page helpful?"
    ("GET", "/{city}/survey/{token}"): Case(
        200,
        auth="cookie",
        params=lambda w: {"token": SURVEYS[w.slug]},
        setup=lambda w: survey_invitation(w),
    ),
    ("POST", "/{city}/survey/{token}"): Case(
        403,
        auth="cookie",
        params=lambda w: {"token": SURVEYS[w.slug]},
        request=lambda w: {"data": {"rating": "5"}},
        setup=lambda w: survey_invitation(w),
    ),
    ("POST", "/{city}/services/{code}/feedback"): Case(
        403,
        auth="cookie",
        params=lambda w: {"code": w.published},
        request=lambda w: {"data": {"helpful": "yes"}},
    ),
    # figures: dashboard, scorecard and its editor, the network, CSV and the PDF report
    ("GET", "/{city}/staff/insight"): Case(200, auth="cookie", setup=lambda w: scorecard_world(w)),
    ("GET", "/{city}/staff/insight/figures.csv"): Case(
        200, auth="cookie", setup=lambda w: scorecard_world(w)
    ),
    ("POST", "/{city}/staff/insight/refresh"): Case(
        303, auth="cookie", extra={"csrf": True}, request=lambda w: {"data": {"month": "2026-10"}}
    ),
    ("GET", "/{city}/staff/insight/report.pdf"): Case(
        200, auth="cookie", setup=lambda w: scorecard_world(w)
    ),
    ("GET", "/{city}/staff/scorecard"): Case(
        200, auth="cookie", setup=lambda w: scorecard_world(w)
    ),
    ("GET", "/{city}/staff/scorecard.csv"): Case(
        200, auth="cookie", setup=lambda w: scorecard_world(w)
    ),
    ("POST", "/{city}/staff/scorecard/figures"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"kpi": "fleet_co2_t", "month": "2026-10", "value": "41.5"}},
        setup=lambda w: scorecard_world(w),
    ),
    ("GET", "/{city}/staff/scorecard/edit"): Case(200, auth="cookie"),
    ("POST", "/{city}/staff/scorecard/edit"): Case(
        303,
        auth="cookie",
        extra={"csrf": True},
        request=lambda w: {"data": {"text": EXAMPLE.replace("2026-01", "2026-02")}},
    ),
    ("GET", "/{city}/staff/network"): Case(200, auth="cookie", setup=lambda w: scorecard_world(w)),
    ("GET", "/{city}/staff/network.csv"): Case(
        200, auth="cookie", setup=lambda w: scorecard_world(w)
    ),
    ("GET", "/{city}/staff/feedback"): Case(200, auth="cookie"),
    # open data: published for anyone, the same with or without credentials
    ("GET", "/{city}/open-data"): Case(200, auth="cookie"),
    ("GET", "/{city}/open-data/catalog.{fmt}"): Case(
        200, auth="cookie", params=lambda w: {"fmt": "jsonld"}
    ),
    ("GET", "/{city}/open-data/{dataset}.{fmt}"): Case(
        200, auth="cookie", params=lambda w: {"dataset": "requests", "fmt": "csv"}
    ),
}

# routes anyone may call: their anonymous answer may equal the city's own
PUBLIC: set[str] = {
    "/{city}/survey/{token}",
    "/{city}/open-data",
    "/{city}/open-data/catalog.{fmt}",
    "/{city}/open-data/{dataset}.{fmt}",
}
