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
