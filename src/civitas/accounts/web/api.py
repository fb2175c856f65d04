from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Request, Response, status

from civitas.accounts import service
from civitas.accounts.models import User
from civitas.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyRead,
    Me,
    TokenIssued,
    TokenRequest,
    UserCreate,
    UserRead,
    UserUpdate,
)
from civitas.accounts.service import BEARER, Principal
from civitas.core import audit
from civitas.core.errors import Unauthenticated
from civitas.core.permissions import Permission
from civitas.web.deps import (
    AppSettings,
    CurrentCity,
    DbSession,
    OptionalPrincipal,
    Requires,
    RowId,
    client_address,
)
from civitas.web.routers import Router

router = Router(prefix="/api/v1/cities/{city}", tags=["accounts"])


@router.post(
    "/auth/token",
    response_model=TokenIssued,
    status_code=status.HTTP_201_CREATED,
    responses={401: {}, 429: {}},  # a wrong name or password; too many of them
)
def issue_token(
    request: Request, city: CurrentCity, db: DbSession, data: TokenRequest, settings: AppSettings
) -> TokenIssued:
    """Exchange a staff user's name and password for a bearer token of this city."""
    user = service.authenticate(
        db,
        city,
        username=data.username,
        password=data.password,
        address=client_address(request),
    )
    raw, token = service.issue_token(
        db,
        city,
        user=user,
        kind=BEARER,
        lifetime=timedelta(days=settings.bearer_token_days),
        name=data.name,
    )
    db.commit()
    return TokenIssued(access_token=raw, expires_at=token.expires_at)


@router.delete("/auth/token", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(
    request: Request, city: CurrentCity, db: DbSession, principal: OptionalPrincipal
) -> Response:
    """Revoke the bearer token this request carries."""
    header = request.headers.get("authorization", "")
    if principal is None or not header.lower().startswith("bearer "):
        raise Unauthenticated("Sign in first: send a bearer token or a session cookie.")
    service.revoke_token(db, city, raw=header[7:].strip())
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me)
def me(city: CurrentCity, db: DbSession, principal: OptionalPrincipal) -> Me:
    if principal is None or principal.user_id is None:
        raise Unauthenticated("Sign in first: send a bearer token or a session cookie.")
    user = db.get(User, principal.user_id)
    assert user is not None
    return Me(
        **UserRead.model_validate(user).model_dump(),
        city=city.slug,
        permissions=sorted(str(p) for p in principal.permissions),
    )


@router.get("/users", response_model=list[UserRead])
def list_users(
    city: CurrentCity,
    db: DbSession,
    _: Annotated[Principal, Requires(Permission.ACCOUNTS_USER_READ)],
) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in service.list_users(db, city)]


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(
    city: CurrentCity,
    db: DbSession,
    data: UserCreate,
    principal: Annotated[Principal, Requires(Permission.ACCOUNTS_USER_WRITE)],
) -> UserRead:
    user = service.create_user(db, city, data=data, actor=principal.label)
    db.commit()
    return UserRead.model_validate(user)


@router.patch("/users/{username}", response_model=UserRead)
def update_user(
    city: CurrentCity,
    db: DbSession,
    username: str,
    data: UserUpdate,
    principal: Annotated[Principal, Requires(Permission.ACCOUNTS_USER_WRITE)],
) -> UserRead:
    """Change roles, details or password, or disable the account (which ends its sign-ins)."""
    user = service.update_user(db, city, username=username, data=data, actor=principal.label)
    db.commit()
    return UserRead.model_validate(user)


@router.get("/api-keys", response_model=list[ApiKeyRead])
def list_api_keys(
    city: CurrentCity,
    db: DbSession,
    _: Annotated[Principal, Requires(Permission.ACCOUNTS_APIKEY_MANAGE)],
) -> list[ApiKeyRead]:
    return [ApiKeyRead.model_validate(k) for k in service.list_api_keys(db, city)]


@router.post("/api-keys", response_model=ApiKeyIssued, status_code=status.HTTP_201_CREATED)
def create_api_key(
    city: CurrentCity,
    db: DbSession,
    data: ApiKeyCreate,
    principal: Annotated[Principal, Requires(Permission.ACCOUNTS_APIKEY_MANAGE)],
) -> ApiKeyIssued:
    """A new Open311 API key for this city. The key is shown once."""
    raw, key = service.create_api_key(db, city, data=data, actor=principal.label)
    db.commit()
    return ApiKeyIssued(**ApiKeyRead.model_validate(key).model_dump(), api_key=raw)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyRead)
def revoke_api_key(
    city: CurrentCity,
    db: DbSession,
    key_id: RowId,
    principal: Annotated[Principal, Requires(Permission.ACCOUNTS_APIKEY_MANAGE)],
) -> ApiKeyRead:
    key = service.revoke_api_key(db, city, key_id=key_id, actor=principal.label)
    db.commit()
    return ApiKeyRead.model_validate(key)


@router.get("/audit", tags=["operations"])
def audit_log(
    city: CurrentCity,
    db: DbSession,
    _: Annotated[Principal, Requires(Permission.AUDIT_LOG_READ)],
    entity_type: str | None = None,
) -> list[dict[str, object]]:
    return [
        {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "action": e.action,
            "entity_type": e.entity_type,
            "entity_id": e.entity_id,
            "changes": e.changes,
            "reason": e.reason,
        }
        for e in audit.list_entries(db, entity_type=entity_type)
    ]
