"""Good practices in the network's own space: they belong to no city's rows (the
coordinator and other cities read them), each names the city that owns it. A practice's
evidence is a KPI of the owning city with a baseline and an after window, its effect
stored as computed from the city's published figures. An adoption is another city taking
the practice up, its own KPIs followed the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civitas.core.db import Base, utcnow


class Practice(Base):
    """``status``: draft → submitted → published (or back to draft with the reviewer's
    note). Texts per language (es, de, en): those written; none is machine-made."""

    __tablename__ = "network_practices"
    __table_args__ = (Index("ix_network_practices_status", "status", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(30))
    title: Mapped[dict[str, str]]
    problem: Mapped[dict[str, str]]
    action: Mapped[dict[str, str]]  # what was done
    resources: Mapped[dict[str, str]] = mapped_column(default=dict)
    steps: Mapped[dict[str, str]] = mapped_column(default=dict)  # to replicate it
    contact: Mapped[str] = mapped_column(String(300), default="")
    services: Mapped[list[str]] = mapped_column(default=list)  # the owning city's codes
    status: Mapped[str] = mapped_column(String(12), default="draft")
    review_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(200), default=None)


class Evidence(Base):
    """A KPI of a city (the owner's, or an adopting city's) before and after: the
    windows as months (YYYY-MM, inclusive) and the effect as last computed."""

    __tablename__ = "network_evidence"
    __table_args__ = (UniqueConstraint("practice_id", "city_id", "kpi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("network_practices.id", ondelete="CASCADE"), index=True
    )
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    kpi: Mapped[str] = mapped_column(String(40))
    baseline_from: Mapped[str] = mapped_column(String(7))
    baseline_to: Mapped[str] = mapped_column(String(7))
    after_from: Mapped[str] = mapped_column(String(7))
    after_to: Mapped[str] = mapped_column(String(7))
    effect: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime | None] = mapped_column(default=None)


class Adoption(Base):
    """A city that is adopting a published practice."""

    __tablename__ = "network_adoptions"
    __table_args__ = (UniqueConstraint("practice_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("network_practices.id", ondelete="CASCADE"), index=True
    )
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    started: Mapped[str] = mapped_column(String(7))  # the month the city began
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A document or photo of a practice: recognised by its content, size-limited, stored
    durably under the media root (``path``), offered for download under ``name``."""

    __tablename__ = "network_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("network_practices.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # pdf, jpeg, png
    name: Mapped[str] = mapped_column(String(120))
    path: Mapped[str] = mapped_column(String(300))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Profile(Base):
    """A participant of the network as the network knows them: the member of a city's
    staff (or an outside expert, whose account grants nothing of any city) under their
    own name, with their organisation, what they know, and how often they want the
    digest of their groups by e-mail."""

    __tablename__ = "network_profiles"
    __table_args__ = (UniqueConstraint("city_id", "username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(80))
    full_name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    outside: Mapped[bool] = mapped_column(default=False)  # an outside expert, not the city's
    expertise: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    digest: Mapped[str] = mapped_column(String(8), default="weekly")  # none, daily, weekly
    last_digest_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Group(Base):
    """A community of practice on one topic."""

    __tablename__ = "network_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[dict[str, str]]
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    """A participant in a group: ``member`` or ``moderator``."""

    __tablename__ = "network_memberships"
    __table_args__ = (UniqueConstraint("group_id", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("network_groups.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("network_profiles.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(10), default="member")
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class Discussion(Base):
    """A question or topic in a group; one answer can be accepted (by its author or a
    moderator)."""

    __tablename__ = "network_discussions"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("network_groups.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int] = mapped_column(ForeignKey("network_profiles.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    accepted_post_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Post(Base):
    """An answer in a discussion."""

    __tablename__ = "network_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(
        ForeignKey("network_discussions.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int] = mapped_column(ForeignKey("network_profiles.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Event(Base):
    """A dialogue event of a group (or of the whole network): online or on site, with an
    agenda, registrations, minutes afterwards and the practices and projects it led to
    (``outcomes``: [{"practice": id} | {"project": id}])."""

    __tablename__ = "network_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("network_groups.id", ondelete="SET NULL"), default=None, index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(60))
    mode: Mapped[str] = mapped_column(String(8))  # online, on_site
    place: Mapped[str] = mapped_column(String(300), default="")  # address, or the link
    agenda: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(default=None)
    minutes: Mapped[str] = mapped_column(Text, default="")
    outcomes: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    created_by: Mapped[int] = mapped_column(ForeignKey("network_profiles.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Registration(Base):
    __tablename__ = "network_registrations"
    __table_args__ = (UniqueConstraint("event_id", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("network_events.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("network_profiles.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Circle(Base):
    """A benchmarking circle: cities that compare the same KPIs (one definition each, the
    registry's), moderated by the coordinator."""

    __tablename__ = "network_circles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kpis: Mapped[list[str]]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CircleMember(Base):
    """A city in a circle and the KPIs it shares there (a subset of the circle's)."""

    __tablename__ = "network_circle_members"
    __table_args__ = (UniqueConstraint("circle_id", "city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(
        ForeignKey("network_circles.id", ondelete="CASCADE"), index=True
    )
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    shared: Mapped[list[str]] = mapped_column(default=list)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class Partnership(Base):
    """Cities working together (a municipal partnership): members of this deployment and
    partners elsewhere (named with their country)."""

    __tablename__ = "network_partnerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    since: Mapped[int | None] = mapped_column(default=None)  # the year it began
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Partner(Base):
    """One city of a partnership: ``city_id`` when it is a member here, else its name and
    country (ISO 3166-1 alpha-2)."""

    __tablename__ = "network_partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("network_partnerships.id", ondelete="CASCADE"), index=True
    )
    city_id: Mapped[int | None] = mapped_column(
        ForeignKey("cities.id", ondelete="CASCADE"), default=None, index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))


class Project(Base):
    """A project of a partnership: its aims (along the five dimensions, tied to a KPI of
    a partner city where one exists), milestones, expert missions, budget and reports."""

    __tablename__ = "network_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("network_partnerships.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[str] = mapped_column(String(10))
    ends_on: Mapped[str] = mapped_column(String(10))
    budget: Mapped[float | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Aim(Base):
    """What a project wants to change, along one of the five dimensions; measured when it
    names a KPI a partner city publishes (baseline month's value → target)."""

    __tablename__ = "network_aims"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("network_projects.id", ondelete="CASCADE"), index=True
    )
    dimension: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    city_id: Mapped[int | None] = mapped_column(
        ForeignKey("cities.id", ondelete="CASCADE"), default=None
    )
    kpi: Mapped[str | None] = mapped_column(String(40), default=None)
    baseline_month: Mapped[str | None] = mapped_column(String(7), default=None)
    target: Mapped[float | None] = mapped_column(default=None)


class Milestone(Base):
    __tablename__ = "network_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("network_projects.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[str] = mapped_column(String(10))
    done_on: Mapped[str | None] = mapped_column(String(10), default=None)


class Mission(Base):
    """An expert deployed to a partner city: who, from where, when, and what for."""

    __tablename__ = "network_missions"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("network_projects.id", ondelete="CASCADE"), index=True
    )
    expert: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    partner_id: Mapped[int] = mapped_column(ForeignKey("network_partners.id", ondelete="CASCADE"))
    starts_on: Mapped[str] = mapped_column(String(10))
    ends_on: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(Text, default="")


class Report(Base):
    """A progress report of a project."""

    __tablename__ = "network_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("network_projects.id", ondelete="CASCADE"), index=True
    )
    period: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contest(Base):
    """A contest for good practices: categories and weighted criteria (each scored 0 to
    ``max``), open for entries until ``closes_on``, judged, then published with scores.
    ``status``: open → judging → published."""

    __tablename__ = "network_contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list[dict[str, Any]]]  # [{code, name}]
    criteria: Mapped[list[dict[str, Any]]]  # [{code, name, weight, max}]
    closes_on: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)


class Entry(Base):
    __tablename__ = "network_entries"
    __table_args__ = (UniqueConstraint("contest_id", "practice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("network_contests.id", ondelete="CASCADE"), index=True
    )
    practice_id: Mapped[int] = mapped_column(ForeignKey("network_practices.id", ondelete="CASCADE"))
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(30))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Juror(Base):
    """A juror of a contest (a participant of the network) and the cities they declared
    a conflict of interest with: they score no entry of those, nor of their own city."""

    __tablename__ = "network_jurors"
    __table_args__ = (UniqueConstraint("contest_id", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("network_contests.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int] = mapped_column(ForeignKey("network_profiles.id"))
    conflicts: Mapped[list[int]] = mapped_column(default=list)  # city ids
    conflict_note: Mapped[str] = mapped_column(Text, default="")


class Score(Base):
    __tablename__ = "network_scores"
    __table_args__ = (UniqueConstraint("entry_id", "juror_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("network_entries.id", ondelete="CASCADE"), index=True
    )
    juror_id: Mapped[int] = mapped_column(ForeignKey("network_jurors.id", ondelete="CASCADE"))
    scores: Mapped[dict[str, Any]]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
