"""Satisfaction: survey invitations (one per closed request or delivered benefit), their
single responses, and "was this page helpful?" votes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
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
