"""Realistic operational history for the demo (twelve months a city) and the KPI benchmark
(a million requests): requests over every channel with acknowledgement and closing times
that depend on the service's target, a slow shift to digital channels, reopened cases,
problems solved on the phone, survey answers that follow how the case went, and "was
this page helpful?" votes. Written with bulk inserts, not one ORM object a row."""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from civitas.cases.models import ServiceRequest
from civitas.catalogue.models import Service
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.kpis import Period
from civitas.core.sequences import Counter
from civitas.insight.models import PageFeedback, SurveyInvitation, SurveyResponse

CHUNK = 20_000
HISTORY_ACTOR = "history"


@dataclass(frozen=True)
class Made:
    requests: int
    invitations: int
    responses: int
    votes: int


CHANNELS = ("web", "open311", "chatbot", "email", "phone", "office")


def channel_mix(rng: random.Random, progress: float, count: int) -> list[str]:
    """The channels of a month's ``count`` requests, in random order. Digital channels grow
    from about 48 % to 68 % over the span; the shares are dealt exactly (largest
    remainder), so the month's digital share follows the trend instead of the dice."""
    weights = [
        0.30 + 0.15 * progress,  # web
        0.10 + 0.05 * progress,  # open311 (apps)
        0.04,  # chatbot
        0.04,  # email
        0.37 - 0.15 * progress,  # phone
        0.15 - 0.05 * progress,  # office
    ]
    total = sum(weights)
    exact = [count * w / total for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[: count - sum(counts)]:
        counts[i] += 1
    out = [c for c, n in zip(CHANNELS, counts, strict=True) for _ in range(n)]
    rng.shuffle(out)
    return out


def _hours(rng: random.Random, median: float) -> float:
    return max(0.05, rng.lognormvariate(math.log(median), 0.9))


def _rating(rng: random.Random, on_time: bool, progress: float) -> int:
    base = 3.4 + (0.9 if on_time else -0.6) + 0.5 * progress
    return max(1, min(5, round(rng.gauss(base, 0.9))))


def history(
    db: Session,
    city: City,
    months: list[str],
    *,
    per_month: int | Sequence[int],
    now: datetime,
    seed: str = "civitas",
    answer_share: float = 0.3,
) -> Made:
    """Add ``per_month`` requests in each month (one number, or one per month), with what
    followed them, to the city. Requests of the last weeks are still open, as they would
    be."""
    enter_city(db, city)
    rng = random.Random(f"{seed}-{city.slug}")  # noqa: S311 - synthetic data, not security
    services = [
        (s.id, s.department_id, s.target_hours or 120, s.channels)
        for s in db.scalars(
            select(Service).where(Service.tenant_id == city.id).order_by(Service.code)
        )
    ]
    if not services:
        return Made(0, 0, 0, 0)
    # ids are global (not per city): ask the table, not the city-bound ORM
    next_id = (db.scalar(text("SELECT MAX(id) FROM service_requests")) or 0) + 1
    number = _counter(db, city) + 1
    next_invitation = (db.scalar(text("SELECT MAX(id) FROM survey_invitations")) or 0) + 1
    requests: list[dict[str, object]] = []
    invitations: list[dict[str, object]] = []
    responses: list[dict[str, object]] = []
    votes: list[dict[str, object]] = []
    counts = [0, 0, 0, 0]

    def flush(final: bool = False) -> None:
        for model, rows, slot in (
            (ServiceRequest, requests, 0),
            (SurveyInvitation, invitations, 1),
            (SurveyResponse, responses, 2),
            (PageFeedback, votes, 3),
        ):
            if rows and (final or len(rows) >= CHUNK or model is not ServiceRequest):
                db.execute(insert(model), rows)
                counts[slot] += len(rows)
                rows.clear()

    counts_of = [per_month] * len(months) if isinstance(per_month, int) else list(per_month)
    helpful_votes = max(1, sum(counts_of) // (10 * len(counts_of)))  # "was this page helpful?"
    for index, month in enumerate(months):
        span = Period.of(month, city.timezone)
        progress = index / max(1, len(months) - 1)
        seconds = (span.end - span.start).total_seconds()
        for channel in channel_mix(rng, progress, counts_of[index]):
            service_id, department_id, target, _channels = rng.choice(services)
            at = span.start + timedelta(seconds=rng.uniform(0, seconds))
            if at >= now:
                continue
            ack: datetime | None = at + timedelta(hours=_hours(rng, 6.0 - 3.0 * progress))
            solved_on_contact = (
                channel in ("phone", "office") and rng.random() < 0.25 + 0.1 * progress
            )
            if solved_on_contact:
                ack = at + timedelta(minutes=rng.uniform(2, 40))
                closed: datetime | None = ack
            else:
                closed = at + timedelta(hours=_hours(rng, target * (0.8 - 0.25 * progress)))
            status = "resolved" if rng.random() < 0.93 else "rejected"
            if closed is not None and closed > now:
                closed, status = None, rng.choice(["acknowledged", "in_progress", "on_hold"])
            if ack is not None and ack > now:
                ack, status = None, "received"
            reopened = 1 if closed is not None and rng.random() < 0.04 else 0
            requests.append(
                {
                    "id": next_id,
                    "tenant_id": city.id,
                    "number": number,
                    "service_id": service_id,
                    "department_id": department_id,
                    "status": status,
                    "channel": channel,
                    "attributes": {},
                    "filed_by": HISTORY_ACTOR,
                    "requested_at": at,
                    "updated_at": closed or ack or at,
                    "acknowledged_at": ack,
                    "closed_at": closed,
                    "expected_at": at + timedelta(hours=target),
                    "reopen_count": reopened,
                    "first_contact_resolved": solved_on_contact,
                    "lat": rng.uniform(city.min_lat, city.max_lat),
                    "long": rng.uniform(city.min_lon, city.max_lon),
                }
            )
            if closed is not None and status == "resolved" and rng.random() < 0.7:
                answered = rng.random() < answer_share / 0.7
                answer_at = closed + timedelta(hours=rng.uniform(1, 96))
                answered = answered and answer_at < now
                invitations.append(
                    {
                        "id": next_invitation,
                        "tenant_id": city.id,
                        "token_hash": hashlib.sha256(
                            f"history:{city.id}:{next_id}".encode()
                        ).hexdigest(),
                        "subject_type": "request",
                        "subject_id": next_id,
                        "service_id": service_id,
                        "department_id": department_id,
                        "channel": channel,
                        "language": city.default_language,
                        "created_at": closed,
                        "expires_at": closed + timedelta(days=60),
                        "responded_at": answer_at if answered else None,
                    }
                )
                if answered:
                    on_time = closed <= at + timedelta(hours=target)
                    responses.append(
                        _answer(rng, city, next_invitation, answer_at, on_time, progress)
                    )
                next_invitation += 1
            next_id += 1
            number += 1
            if len(requests) >= CHUNK:
                flush()
        for _ in range(helpful_votes):
            at = span.start + timedelta(seconds=rng.uniform(0, seconds))
            if at < now:
                votes.append(
                    {
                        "tenant_id": city.id,
                        "page": "service",
                        "service_id": rng.choice(services)[0],
                        "helpful": rng.random() < 0.7 + 0.15 * progress,
                        "created_at": at,
                    }
                )
    flush(final=True)
    _set_counter(db, city, number - 1)
    _sync_sequences(db)
    return Made(*counts)


def _answer(
    rng: random.Random,
    city: City,
    invitation_id: int,
    at: datetime,
    on_time: bool,
    progress: float,
) -> dict[str, object]:
    """A survey answer that follows how the case went (on time or not)."""
    rating = _rating(rng, on_time, progress)
    return {
        "tenant_id": city.id,
        "invitation_id": invitation_id,
        "rating": rating,
        "effort": max(1, min(5, 6 - rating + rng.choice([-1, 0, 0, 1]))),
        "recommend": max(0, min(10, rating * 2 + rng.choice([-2, -1, 0, 0, 1]))),
        "drivers": {},
        "created_at": at,
    }


def answer_invitations(
    db: Session, city: City, *, now: datetime, share: float = 0.43, seed: str = "civitas"
) -> int:
    """Answer about ``share`` of the open survey invitations to the city's closed requests
    (the recent demo requests'), as residents would have, so that the last months'
    satisfaction rests on as many answers as the months before (the history invites 70 %
    of its closed cases and 30 % answer: 43 % of those invited). Returns how many."""
    enter_city(db, city)
    rng = random.Random(f"{seed}-answers-{city.slug}")  # noqa: S311 - synthetic data
    found = db.execute(
        select(
            SurveyInvitation.id,
            SurveyInvitation.created_at,
            ServiceRequest.expected_at,
            ServiceRequest.closed_at,
        )
        .join(ServiceRequest, ServiceRequest.id == SurveyInvitation.subject_id)
        .where(
            SurveyInvitation.subject_type == "request",
            SurveyInvitation.responded_at.is_(None),
            ServiceRequest.filed_by != HISTORY_ACTOR,  # the history has answered its own
        )
        .order_by(SurveyInvitation.id)
    ).all()
    answers = []
    dated: list[dict[str, object]] = []
    for invitation_id, created, expected, closed in found:
        # the demo closed its cases in the past, but their invitations went out today
        sent = min(created, closed) if closed is not None else created
        at = sent + timedelta(hours=rng.uniform(1, 96))
        answered = rng.random() < share and at < now
        if answered:
            on_time = closed is not None and expected is not None and closed <= expected
            answers.append(_answer(rng, city, invitation_id, at, on_time, 1.0))
        dated.append(
            {
                "id": invitation_id,
                "created_at": sent,
                "expires_at": sent + timedelta(days=60),
                "responded_at": at if answered else None,
            }
        )
    if dated:  # one UPDATE by primary key for them all
        db.execute(update(SurveyInvitation), dated)
    if answers:
        db.execute(insert(SurveyResponse), answers)
    return len(answers)


def _counter(db: Session, city: City) -> int:
    value = db.scalar(
        select(Counter.value).where(Counter.tenant_id == city.id, Counter.name == "service_request")
    )
    return int(value or 0)


def _set_counter(db: Session, city: City, value: int) -> None:
    found = db.execute(
        update(Counter)
        .where(Counter.tenant_id == city.id, Counter.name == "service_request")
        .values(value=value)
        .execution_options(synchronize_session=False)
    )
    if not found.rowcount:  # type: ignore[attr-defined]
        db.execute(insert(Counter).values(tenant_id=city.id, name="service_request", value=value))


def _sync_sequences(db: Session) -> None:
    """Explicit ids were given; PostgreSQL's sequences must continue after them."""
    if db.get_bind().dialect.name != "postgresql":
        return
    for table in ("service_requests", "survey_invitations"):
        db.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def month_list(last: str, count: int) -> list[str]:
    out = [last]
    while len(out) < count:
        year, month = map(int, out[-1].split("-"))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        out.append(f"{year:04d}-{month:02d}")
    return list(reversed(out))
