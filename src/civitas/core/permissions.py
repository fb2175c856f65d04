"""Permissions are named ``scope:resource:action``; roles map to them.

The core declares the platform's own permissions (cities, accounts, audit) and the five
staff roles every city has. Each domain declares its permissions and roles in its
manifest, and grants its permissions to the staff roles it serves; the loader
(``civitas.core.plugins``) registers them here. The administrator holds every registered
permission."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from civitas.core.i18n import N_


class Role(StrEnum):
    """The staff roles every city has; domains add their own (a waste picker, …)."""

    ADMINISTRATOR = "administrator"
    MANAGER = "manager"
    CASE_WORKER = "case_worker"
    AGENT = "agent"  # hotline and front office
    FIELD_WORKER = "field_worker"


class Permission(StrEnum):
    """The platform's own permissions; a domain's are in its ``permissions`` module."""

    CITY_SETTINGS_READ = "city:settings:read"
    CITY_SETTINGS_WRITE = "city:settings:write"
    CITY_DEPARTMENT_READ = "city:department:read"
    CITY_DEPARTMENT_WRITE = "city:department:write"
    ACCOUNTS_USER_READ = "accounts:user:read"
    ACCOUNTS_USER_WRITE = "accounts:user:write"
    ACCOUNTS_APIKEY_MANAGE = "accounts:apikey:manage"
    AUDIT_LOG_READ = "audit:log:read"


@dataclass(frozen=True)
class RoleSpec:
    """A role a domain brings: its name, its label (an N_() message id) and its
    permissions."""

    name: str
    label: str
    permissions: frozenset[str] = field(default_factory=frozenset)


CORE_ROLES = (
    RoleSpec(Role.ADMINISTRATOR, N_("Administrator")),
    RoleSpec(
        Role.MANAGER,
        N_("Manager"),
        frozenset(
            {
                Permission.CITY_SETTINGS_READ,
                Permission.CITY_DEPARTMENT_READ,
                Permission.ACCOUNTS_USER_READ,
                Permission.AUDIT_LOG_READ,
            }
        ),
    ),
    RoleSpec(
        Role.CASE_WORKER,
        N_("Case worker"),
        frozenset({Permission.CITY_SETTINGS_READ, Permission.CITY_DEPARTMENT_READ}),
    ),
    RoleSpec(
        Role.AGENT,
        N_("Hotline or front-office agent"),
        frozenset({Permission.CITY_SETTINGS_READ, Permission.CITY_DEPARTMENT_READ}),
    ),
    RoleSpec(Role.FIELD_WORKER, N_("Field worker"), frozenset({Permission.CITY_SETTINGS_READ})),
)

_roles: dict[str, RoleSpec] = {}
_granted: dict[str, set[str]] = {}
_permissions: dict[str, str] = {}  # permission -> the domain that declared it
_role_owner: dict[str, str] = {}  # role -> the domain that declared it


def reset() -> None:
    """Back to the core's roles and permissions alone (before the domains load)."""
    _roles.clear()
    _granted.clear()
    _permissions.clear()
    _role_owner.clear()
    for permission in Permission:
        _permissions[permission.value] = "core"
    for spec in CORE_ROLES:
        _roles[spec.name] = spec
        _granted[spec.name] = {str(p) for p in spec.permissions}
        _role_owner[spec.name] = "core"


reset()


def register(domain: str, permissions: Iterable[str], roles: Iterable[RoleSpec]) -> None:
    """A domain's permissions and roles (called by the loader, once per domain)."""
    for permission in permissions:
        owner = _permissions.setdefault(str(permission), domain)
        if owner != domain:
            raise ValueError(f"permission {permission} is declared by {owner} and {domain}")
    for spec in roles:
        if spec.name in _roles:
            raise ValueError(f"role {spec.name} is declared twice")
        _roles[spec.name] = spec
        _granted[spec.name] = {str(p) for p in spec.permissions}
        _role_owner[spec.name] = domain
    _check_known(domain, [p for spec in roles for p in spec.permissions])


def grant(role: str, permissions: Iterable[str]) -> None:
    """Give a role declared elsewhere some of a domain's permissions."""
    if role not in _roles:
        raise ValueError(f"cannot grant to {role!r}: no installed domain declares that role")
    wanted = [str(p) for p in permissions]
    _check_known(role, wanted)
    _granted[role].update(wanted)


def _check_known(where: str, permissions: Iterable[str]) -> None:
    unknown = sorted(str(p) for p in permissions if str(p) not in _permissions)
    if unknown:
        raise ValueError(f"{where}: permissions nobody declares: {', '.join(unknown)}")


def _ensure_loaded() -> None:
    from civitas.core.plugins import domains

    domains()


def roles() -> dict[str, RoleSpec]:
    """Every role of the installed domains, the core's first."""
    _ensure_loaded()
    return dict(_roles)


def role_owner(name: str) -> str:
    """The domain that declared a role ("core" for the staff roles)."""
    _ensure_loaded()
    return _role_owner.get(name, "core")


def all_permissions() -> frozenset[str]:
    _ensure_loaded()
    return frozenset(_permissions)


def permissions_for(held: list[str] | tuple[str, ...]) -> frozenset[str]:
    """The permissions of these roles together (a role no longer installed grants
    nothing)."""
    _ensure_loaded()
    if Role.ADMINISTRATOR.value in held:
        return frozenset(_permissions)
    granted: set[str] = set()
    for name in held:
        granted |= _granted.get(name, set())
    return frozenset(granted)
