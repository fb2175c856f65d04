"""The decision notice: a PDF in the applicant's language with the decision, the reasons,
the legal basis and the right to object, laid out by WeasyPrint from a template of its own
(a document, not a page, so it is made in the domain, inside the decision's transaction)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

from civitas.core.i18n import N_, translations

# the right to object where the form says nothing of its own, by the city's country
OBJECTION = {
    "DE": N_(
        "You may object to this decision within one month of its notification. The "
        "objection is lodged in writing or on record with the City of {city} (section 70 of "
        "the Code of Administrative Court Procedure, VwGO)."
    ),
    "PE": N_(
        "You may lodge an appeal for reconsideration or an appeal against this decision "
        "within fifteen (15) working days of its notification, under article 218 of the "
        "consolidated text of Law No. 27444, the General Administrative Procedure Law."
    ),
}
OBJECTION_ELSEWHERE = N_(
    "You may object to this decision within one month of its notification, in writing or in "
    "person at the offices of {city}."
)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def render_pdf(lang: str, context: dict[str, Any]) -> bytes:
    import weasyprint

    gettext = translations(lang).gettext

    def t(msgid: str, **params: object) -> str:
        text = gettext(msgid)
        return text.format(**params) if params else text

    html = _environment().get_template("notice.html").render(_=t, lang=lang, **context)
    return bytes(weasyprint.HTML(string=html, base_url=".").write_pdf())
