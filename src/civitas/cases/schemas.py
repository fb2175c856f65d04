"""Statuses, channels and the validated shape of a new request, whatever its channel."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, field_validator

from civitas.core.i18n import N_
from civitas.core.types import Language, invalid

MAX_DESCRIPTION = 4000  # GeoReport v2, POST Service Request: "limited to 4,000 characters"
_HTML = re.compile(r"<\s*[a-zA-Z!/?][^>]*>|&[a-zA-Z]+;|&#\d+;")


class Status(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"  # by the resident (an application), before it was handled


OPEN_STATUSES = frozenset(
    {Status.RECEIVED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.ON_HOLD}
)
CLOSED_STATUSES = frozenset(Status) - OPEN_STATUSES

# what a case may become next; a closed case only goes back to work (reopen)
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset(Status) - {Status.RECEIVED, Status.CLOSED},
    Status.ACKNOWLEDGED: frozenset(Status) - {Status.RECEIVED, Status.ACKNOWLEDGED, Status.CLOSED},
    Status.IN_PROGRESS: frozenset(
        {Status.ON_HOLD, Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}
    ),
    Status.ON_HOLD: frozenset(
        {Status.IN_PROGRESS, Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}
    ),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
    Status.REJECTED: frozenset({Status.IN_PROGRESS}),
    Status.DUPLICATE: frozenset({Status.IN_PROGRESS}),
    Status.WITHDRAWN: frozenset({Status.IN_PROGRESS}),
}

STATUS_LABELS = {
    Status.RECEIVED: N_("Received"),
    Status.ACKNOWLEDGED: N_("Acknowledged"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.ON_HOLD: N_("On hold"),
    Status.RESOLVED: N_("Resolved"),
    Status.CLOSED: N_("Closed"),
    Status.REJECTED: N_("Rejected"),
    Status.DUPLICATE: N_("Duplicate"),
    Status.WITHDRAWN: N_("Withdrawn"),
}


def open311_status(status: str) -> str:
    """GeoReport v2 knows two statuses: open (reported) and closed (resolved)."""
    return "open" if Status(status) in OPEN_STATUSES else "closed"


class RequestChannel(StrEnum):
    WEB = "web"
    OPEN311 = "open311"
    PHONE = "phone"
    OFFICE = "office"
    EMAIL = "email"
    CHATBOT = "chatbot"


CHANNEL_LABELS = {
    RequestChannel.WEB: N_("Web form"),
    RequestChannel.OPEN311: N_("App (Open311)"),
    RequestChannel.PHONE: N_("Phone"),
    RequestChannel.OFFICE: N_("Office visit"),
    RequestChannel.EMAIL: N_("E-mail"),
    RequestChannel.CHATBOT: N_("Chatbot"),
}


def contains_markup(value: str) -> bool:
    return bool(_HTML.search(value))


def _plain_text(value: str | None) -> str | None:
    if value is None:
        return None
    if _HTML.search(value):
        raise invalid("Write plain text: HTML or code is not accepted here.")
    return value


PlainText = Annotated[str, Field(max_length=MAX_DESCRIPTION)]
AttributeValue = str | list[str]


class RequestCreate(BaseModel):
    """A new request as any channel delivers it; location and attributes are checked against
    the city and the service definition by the service layer."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    service_code: str = Field(min_length=1, max_length=60)
    channel: RequestChannel
    description: PlainText | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    address_string: str | None = Field(default=None, max_length=500)
    address_id: str | None = Field(default=None, max_length=100)
    zipcode: str | None = Field(default=None, max_length=20)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    media_url: HttpUrl | None = None
    email: EmailStr | None = None
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+()./ -]{3,40}$")
    device_id: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=200)
    language: Language | None = None

    @field_validator("description", "address_string", "first_name", "last_name")
    @classmethod
    def _no_html(cls, value: str | None) -> str | None:
        return _plain_text(value)


STAFF_CHANNELS = (
    RequestChannel.PHONE,
    RequestChannel.OFFICE,
    RequestChannel.EMAIL,
    RequestChannel.CHATBOT,
    RequestChannel.WEB,
)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    note: PlainText = ""
    public: bool = True


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: PlainText = Field(min_length=1)
    public: bool = False


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(default=None, description="null to unassign")


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    author: str
    public: bool
    status: str
    text: str


class Reporter(BaseModel):
    email: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    language: str | None


class CaseSummary(BaseModel):
    number: int
    service_code: str
    status: Status
    channel: str
    department: str
    assignee: str | None
    address: str | None
    lat: float | None
    long: float | None
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None
    overdue: bool


class CaseRead(CaseSummary):
    description: str | None
    address_id: str | None
    zipcode: str | None
    attributes: dict[str, object]
    media_url: str | None
    reporter: Reporter
    filed_by: str
    closed_at: datetime | None
    escalated_at: datetime | None
    duplicate_of: int | None
    token: str | None
    notes: list[NoteRead]


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    page: int
    page_size: int


class Merge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: int = Field(ge=1, description="the number of the original request")
    note: PlainText = ""


class RoutingRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str = Field(min_length=1, max_length=120)
    service_code: str | None = Field(default=None, description="null: every service")
    department: str
    min_lat: float = Field(ge=-90, le=90)
    min_lon: float = Field(ge=-180, le=180)
    max_lat: float = Field(ge=-90, le=90)
    max_lon: float = Field(ge=-180, le=180)
    priority: int = Field(default=0, ge=-1000, le=1000)


class RoutingRuleRead(RoutingRuleIn):
    id: int
