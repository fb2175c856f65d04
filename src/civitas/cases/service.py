"""Service requests handled as cases. Plain functions, the city first; every change audited.

Its parts: intake, queries, statuses (with notes and assignment), duplicates, escalation
and photos, each a module of its own; this module names them all for callers."""

from __future__ import annotations

from civitas.cases.alerts import announce as announce_alerts
from civitas.cases.alerts import by_link as alert_by_link
from civitas.cases.alerts import confirm as confirm_alerts
from civitas.cases.alerts import stop as stop_alerts
from civitas.cases.alerts import subscribe as subscribe_alerts
from civitas.cases.duplicates import duplicate_candidates, merge, nearby_open
from civitas.cases.escalation import escalate_overdue, managers_for
from civitas.cases.intake import (
    check_location,
    create_request,
    file_request,
    find_service_for_request,
)
from civitas.cases.photos import attach_photos, get_photo, link_photos, photos_of, stored_photo
from civitas.cases.queries import (
    DEFAULT_LIMIT,
    LIST_COLUMNS,
    MAX_RANGE,
    METRES_PER_DEGREE,
    CaseFilter,
    Listed,
    Near,
    PublicListed,
    RequestQuery,
    RowT,
    ServiceInfo,
    get_request,
    get_request_by_token,
    info_of,
    is_overdue,
    list_cases,
    public_updates,
    query_requests,
    queue_counts,
    service_infos,
    sort_of,
    usernames,
    within,
)
from civitas.cases.saved import (
    QUEUE_PARAMS,
    delete_filter,
    kept_query,
    save_filter,
    saved_filters,
)
from civitas.cases.statuses import (
    FIRST_CONTACT_CHANNELS,
    FIRST_CONTACT_WINDOW,
    Recipient,
    add_note,
    assign,
    change_status,
    notes_of,
    notify_reporter,
    pause_deadline,
    public_notes,
    recipients,
    resident_update,
    resume_deadline,
)

__all__ = [
    "DEFAULT_LIMIT",
    "FIRST_CONTACT_CHANNELS",
    "FIRST_CONTACT_WINDOW",
    "LIST_COLUMNS",
    "MAX_RANGE",
    "METRES_PER_DEGREE",
    "QUEUE_PARAMS",
    "CaseFilter",
    "Listed",
    "Near",
    "PublicListed",
    "Recipient",
    "RequestQuery",
    "RowT",
    "ServiceInfo",
    "add_note",
    "alert_by_link",
    "announce_alerts",
    "assign",
    "attach_photos",
    "change_status",
    "check_location",
    "confirm_alerts",
    "create_request",
    "delete_filter",
    "duplicate_candidates",
    "escalate_overdue",
    "file_request",
    "find_service_for_request",
    "get_photo",
    "get_request",
    "get_request_by_token",
    "info_of",
    "is_overdue",
    "kept_query",
    "link_photos",
    "list_cases",
    "managers_for",
    "merge",
    "nearby_open",
    "notes_of",
    "notify_reporter",
    "pause_deadline",
    "photos_of",
    "public_notes",
    "public_updates",
    "query_requests",
    "queue_counts",
    "recipients",
    "resident_update",
    "resume_deadline",
    "save_filter",
    "saved_filters",
    "service_infos",
    "sort_of",
    "stop_alerts",
    "stored_photo",
    "subscribe_alerts",
    "usernames",
    "within",
]
