from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civitas.cities.models import Department
from civitas.core.db import Base, utcnow
from civitas.core.tenancy import TenantMixin


class Service(TenantMixin, Base):
    """One municipal service. Structured parts (fees, documents, legal basis, opening hours,
    Open311 attributes) are JSON validated by ``catalogue.schemas`` on every write; they are
    always read and written whole with their service."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[dict[str, str]]
    description: Mapped[dict[str, str]]
    category: Mapped[str] = mapped_column(String(40), index=True)
    life_situation: Mapped[str | None] = mapped_column(String(40), default=None)
    channels: Mapped[list[str]]
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    fees: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    eligibility: Mapped[dict[str, str]] = mapped_column(default=dict)  # who can use it
    documents: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    legal_basis: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    target_hours: Mapped[int | None] = mapped_column(Integer, default=None)
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    open311_type: Mapped[str] = mapped_column(String(10), default="realtime")
    keywords: Mapped[list[str]] = mapped_column(default=list)
    group: Mapped[str | None] = mapped_column(String(100), default=None)
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    at_home: Mapped[bool] = mapped_column(Boolean, default=False)
    public_location: Mapped[str] = mapped_column(String(10), default="exact")  # PublicLocation
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")

    @property
    def is_open311(self) -> bool:
        return "open311" in self.channels
