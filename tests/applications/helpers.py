"""Set-up for the online-application tests: a service with the demo's form of registering
an address, a resident account, the register's demo family, and small real files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from civitas.applications import forms
from civitas.catalogue.service import save_service
from civitas.cities.models import City
from civitas.cities.service import enter_city, get_city_by_slug
from civitas.core.db import session_scope, utcnow
from civitas.residents.models import ResidentAccount
from tests.factories import service_data

FORMS = Path(__file__).resolve().parents[2] / "src" / "civitas" / "applications" / "demo" / "forms"
CODE = "residence-registration"


def form_source(code: str = CODE) -> str:
    return (FORMS / f"{code}.yaml").read_text(encoding="utf-8")


def with_form(slug: str, *, code: str = CODE, fee_minor: int = 1550, publish: bool = True) -> City:
    """The city gets the service (not Open311, with a fee) and its published form."""
    with session_scope() as db:
        city = get_city_by_slug(db, slug)
        fees = [{"amount_minor": fee_minor, "currency": city.currency}] if fee_minor else []
        data = service_data(
            code,
            city.currency,
            channels=["office"],
            open311={},
            fees=fees,
            documents=[
                {
                    "code": "landlord-confirmation",
                    "name": {
                        "en": "Landlord's confirmation",
                        "de": "Wohnungsgeberbestätigung",
                        "es": "Constancia del arrendador",
                    },
                }
            ],
        )
        save_service(db, city, data=data, actor="test")
        forms.save_form(db, city, code=code, text=form_source(code), actor="test")
        if publish:
            forms.set_published(db, city, code=code, published=True, actor="test")
    return city


def account(slug: str, email: str) -> int:
    with session_scope() as db:
        city = get_city_by_slug(db, slug)
        enter_city(db, city)
        found = ResidentAccount(email=email, verified_at=utcnow(), language="en")
        db.add(found)
        db.flush()
        return found.id


def pdf_bytes(pages: int = 1) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def answers_for_form() -> dict[str, Any]:
    """Answers to every question page of the demo form, as a browser sends them."""
    return {
        "given_names": {"given_names": "Ana"},
        "family_name": {"family_name": "Torres"},
        "birth_date": {"birth_date": "1990-05-01"},
        "phone": {"phone": ""},
        "new_address": {"new_address": "Hauptstraße 3"},
        "move_date": {"move_date": utcnow().date().isoformat()},
        "previous_address": {"previous_address": "Jirón Pizarro 412"},
        "residence": {"residence": "main"},
        "others_moving": {"others_moving": "no"},
        "declaration": {"declaration": "yes"},
    }


def filled_draft(
    db: Any, city: City, account_id: int, *, lang: str = "de", address: str | None = None
) -> Any:
    """The account's draft of the address form, every page answered and the landlord's
    confirmation uploaded (in the caller's session; the caller sends it or not)."""
    from civitas.applications import applying
    from civitas.core.config import get_settings

    enter_city(db, city)
    resident = db.get(ResidentAccount, account_id)
    assert resident is not None
    opened = applying.start(db, city, resident, code=CODE, lang=lang)
    answers = answers_for_form()
    if address is not None:
        answers["new_address"] = {"new_address": address}
    for key, raw in answers.items():
        applying.answer(db, city, opened, key=key, raw=raw, lang=lang)
    applying.upload(
        db,
        city,
        opened,
        key="landlord-confirmation",
        name="a.pdf",
        data=pdf_bytes(),
        media_root=get_settings().media_root,
    )
    return opened
