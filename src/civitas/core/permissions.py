"""Permissions are named ``scope:resource:action``; roles map to them here and only here."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    MANAGER = "manager"
    CASE_WORKER = "case_worker"
    AGENT = "agent"  # hotline and front office
    FIELD_WORKER = "field_worker"
    REGISTRAR = "registrar"  # the registry office (or its system feed): records life events
    # the learning network's coordinator: the figures cities publish, and nothing else
    NETWORK_COORDINATOR = "network_coordinator"
    WASTE_PICKER = "waste_picker"  # a verified reciclador: their own route, weights, income
    RECYCLING_BUYER = "recycling_buyer"  # a buyer of recyclables: its prices and purchases


class Permission(StrEnum):
    CITY_SETTINGS_READ = "city:settings:read"
    CITY_SETTINGS_WRITE = "city:settings:write"
    CITY_DEPARTMENT_READ = "city:department:read"
    CITY_DEPARTMENT_WRITE = "city:department:write"
    CATALOGUE_SERVICE_READ_UNPUBLISHED = "catalogue:service:read_unpublished"
    CATALOGUE_SERVICE_WRITE = "catalogue:service:write"
    CATALOGUE_SERVICE_IMPORT = "catalogue:service:import"
    ACCOUNTS_USER_READ = "accounts:user:read"
    ACCOUNTS_USER_WRITE = "accounts:user:write"
    ACCOUNTS_APIKEY_MANAGE = "accounts:apikey:manage"
    AUDIT_LOG_READ = "audit:log:read"
    CASES_REQUEST_READ = "cases:request:read"
    CASES_REQUEST_FILE = "cases:request:file"  # file a request for a caller or walk-in
    CASES_REQUEST_HANDLE = "cases:request:handle"  # status, notes, assignment
    REGISTER_PERSON_READ = "register:person:read"  # always with a purpose, always logged
    REGISTER_EVENT_RECORD = "register:event:record"
    PROACTIVE_RULE_WRITE = "proactive:rule:write"
    PROACTIVE_DECISION_READ = "proactive:decision:read"
    PROACTIVE_DECISION_REVIEW = "proactive:decision:review"  # review and override, audited
    PROACTIVE_RUN_START = "proactive:run:start"
    INSIGHT_FIGURES_READ = "insight:figures:read"  # dashboards, scorecard, reports
    INSIGHT_SCORECARD_WRITE = "insight:scorecard:write"  # objectives, targets, manual figures
    INSIGHT_NETWORK_READ = "insight:network:read"  # the figures cities publish to the network
    RECYCLING_PROGRAMME_MANAGE = "recycling:programme:manage"  # pickers, zones, day plans
    RECYCLING_ROUTE_WORK = "recycling:route:work"  # a picker's own stops and weights
    RECYCLING_SALE_RECORD = "recycling:sale:record"  # sales to buyers, buyers' prices


_STAFF_READ = {
    Permission.CITY_SETTINGS_READ,
    Permission.CITY_DEPARTMENT_READ,
    Permission.CATALOGUE_SERVICE_READ_UNPUBLISHED,
    Permission.CASES_REQUEST_READ,
}
_CASE_WORK = {Permission.CASES_REQUEST_FILE, Permission.CASES_REQUEST_HANDLE}
_PROACTIVE_WORK = {
    Permission.REGISTER_PERSON_READ,
    Permission.PROACTIVE_DECISION_READ,
    Permission.PROACTIVE_DECISION_REVIEW,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: frozenset(Permission),
    Role.MANAGER: frozenset(
        _STAFF_READ
        | _CASE_WORK
        | {
            Permission.CATALOGUE_SERVICE_WRITE,
            Permission.ACCOUNTS_USER_READ,
            Permission.AUDIT_LOG_READ,
            *_PROACTIVE_WORK,
            Permission.PROACTIVE_RUN_START,
            Permission.INSIGHT_FIGURES_READ,
            Permission.INSIGHT_NETWORK_READ,
            Permission.RECYCLING_PROGRAMME_MANAGE,
            Permission.RECYCLING_SALE_RECORD,
        }
    ),
    Role.CASE_WORKER: frozenset(
        _STAFF_READ | _CASE_WORK | _PROACTIVE_WORK | {Permission.RECYCLING_PROGRAMME_MANAGE}
    ),
    Role.AGENT: frozenset(
        _STAFF_READ | {Permission.CASES_REQUEST_FILE, Permission.PROACTIVE_DECISION_READ}
    ),
    Role.FIELD_WORKER: frozenset(
        {
            Permission.CITY_SETTINGS_READ,
            Permission.CASES_REQUEST_READ,
            Permission.CASES_REQUEST_HANDLE,
        }
    ),
    Role.REGISTRAR: frozenset(
        {
            Permission.CITY_SETTINGS_READ,
            Permission.REGISTER_EVENT_RECORD,
            Permission.REGISTER_PERSON_READ,
        }
    ),
    Role.NETWORK_COORDINATOR: frozenset({Permission.INSIGHT_NETWORK_READ}),
    Role.WASTE_PICKER: frozenset({Permission.RECYCLING_ROUTE_WORK}),
    Role.RECYCLING_BUYER: frozenset({Permission.RECYCLING_SALE_RECORD}),
}


def permissions_for(roles: list[str] | tuple[str, ...]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for name in roles:
        granted |= ROLE_PERMISSIONS[Role(name)]
    return frozenset(granted)
