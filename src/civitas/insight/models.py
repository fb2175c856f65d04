"""Satisfaction (survey invitations, their single responses, "was this page helpful?"
votes), the monthly KPI figures, the scorecard's versions and what cities publish to
the learning network."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civitas.core.db import Base, utcnow
from civitas.core.tenancy import TenantMixin


class SurveyInvitation(TenantMixin, Base):
    """An invitation to rate one service experience; the link's token is stored hashed."""

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("tenant_id", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    subject_type: Mapped[str] = mapped_column(String(20))  # request | decision
    subject_id: Mapped[int] = mapped_column(Integer)
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), default=None
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), default=None
    )
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    responded_at: Mapped[datetime | None] = mapped_column(default=None)


class SurveyResponse(TenantMixin, Base):
    """The one answer to an invitation. The free text is kept twice: as written (seen only
    by the department that handled the case) and screened for personal data."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("invitation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("survey_invitations.id", ondelete="CASCADE")
    )
    rating: Mapped[int] = mapped_column(SmallInteger)  # 1–5
    effort: Mapped[int | None] = mapped_column(SmallInteger, default=None)  # 1 easy … 5 hard
    recommend: Mapped[int | None] = mapped_column(SmallInteger, default=None)  # 0–10
    drivers: Mapped[dict[str, Any]]  # timeliness, knowledge, courtesy, fairness, outcome
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    comment_screened: Mapped[str | None] = mapped_column(Text, default=None)
    age_band: Mapped[str | None] = mapped_column(String(10), default=None)
    gender: Mapped[str | None] = mapped_column(String(20), default=None)
    accessibility_needs: Mapped[bool | None] = mapped_column(Boolean, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PageFeedback(TenantMixin, Base):
    """ "Was this page helpful?" on a catalogue page: yes or no, nothing about the reader."""

    __tablename__ = "page_feedback"
    __table_args__ = (Index("ix_page_feedback_page", "tenant_id", "page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page: Mapped[str] = mapped_column(String(200))
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), default=None
    )
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KpiValue(TenantMixin, Base):
    """One figure of a month: a KPI for the whole city or one service, department or
    channel, with the number of cases it rests on. Computed rows are replaced on each
    refresh; manual rows (figures no system holds, e.g. the fleet's CO₂) are entered by
    staff and kept."""

    __tablename__ = "kpi_values"
    __table_args__ = (
        UniqueConstraint("tenant_id", "period", "kpi", "dimension", "key"),
        Index("ix_kpi_values_kpi", "tenant_id", "kpi", "dimension", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    kpi: Mapped[str] = mapped_column(String(40))
    dimension: Mapped[str] = mapped_column(String(12))  # all | service | department | channel
    key: Mapped[str] = mapped_column(String(60), default="")
    value: Mapped[float | None] = mapped_column(Float, default=None)
    n: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(10), default="computed")  # computed | manual
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScorecardVersion(TenantMixin, Base):
    """A saved version of the city's balanced scorecard (objectives, measures, targets,
    what it publishes to the network). A period is judged by the latest version valid
    from that period or earlier, so old months keep the targets they had."""

    __tablename__ = "scorecard_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    definition: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(Text)  # the YAML as written, comments and all
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NetworkFigure(Base):
    """A figure a city has published to the learning network. Deliberately not a city's
    row: the network coordinator reads this table and nothing else. Values resting on
    fewer than five cases are stored suppressed (no value)."""

    __tablename__ = "network_figures"
    __table_args__ = (UniqueConstraint("city_id", "period", "kpi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    kpi: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float, default=None)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
