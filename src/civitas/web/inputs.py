"""One check of every text a request brings: no NUL and no control characters.

It runs as an application-wide dependency, before any route reads its input: the query
string, a form's text fields (urlencoded or multipart; files are not text) and every
string of a JSON body. Tab, line feed and carriage return are text; other C0 and C1
control characters and DEL are refused with the route's usual error (JSON, Open311's
list, or the page), naming the field, before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
from fastapi import Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_, NP_

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = N_(
    "This text contains a control character (such as NUL or ESC); remove it and send again."
)
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _json_texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path or "body", str(key)
            yield from _json_texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_texts(item, f"{path}.{index}" if path else str(index))


async def _texts(request: Request) -> Iterator[tuple[str, str]]:
    found: list[tuple[str, str]] = list(request.query_params.multi_items())
    if request.method in ("POST", "PUT", "PATCH"):
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind in FORMS:
            form = await form_of(request)
            found += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        elif kind == "application/json" or kind.endswith("+json"):
            body = await request.body()
            if CONTROL.search(body.decode("utf-8", "replace")) or b"\\u00" in body:
                try:
                    parsed = orjson.loads(body)
                except orjson.JSONDecodeError:
                    parsed = None  # the route's own validation names a body that is not JSON
                found += list(_json_texts(parsed, ""))
    return iter(found)


async def form_of(request: Request) -> FormData:
    """The request's form (read once, then cached by Starlette); a multipart body that
    cannot be read is named as such, in the reader's language."""
    broken = N_(
        "The multipart/form-data body cannot be read ({detail}): check its boundary and parts."
    )
    try:
        form = await request.form()
    except HTTPException as exc:  # Starlette's word for a broken multipart body
        raise InvalidInput(broken, detail=str(exc.detail)) from None
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    if multipart and not form and request.headers.get("content-length", "0") != "0":
        raise InvalidInput(broken, detail="0 parts")
    return form


async def refuse_control_characters(request: Request) -> None:
    problems = [
        Problem(name, CONTROL_MESSAGE)
        for name, text in await _texts(request)
        if CONTROL.search(text) or CONTROL.search(name)
    ]
    if problems:
        unique = list({p.location: p for p in problems}.values())
        raise InvalidInput(
            NP_(
                "The request has {count} problem; nothing was stored.",
                "The request has {count} problems; nothing was stored.",
            ),
            problems=unique,
            count=len(unique),
        )
