"""Sending one e-mail over SMTP (the only place that talks to the mail server)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import parseaddr

from civitas.core.config import Settings


class MailNotConfigured(RuntimeError):  # noqa: N818 - a state, like the HTTP names
    """No SMTP server is configured; mail stays in the outbox."""


def build(
    settings: Settings,
    *,
    message_id: str,
    recipient: str,
    subject: str,
    body: str,
    attachments: list[dict[str, str]] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Subject"] = subject
    # derived from the outbox row, so a resend after a crash carries the same Message-ID
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "civitas.invalid"
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message.set_content(body)
    for attached in attachments or []:
        _attach(message, attached)
    return message


def _attach(message: EmailMessage, attached: dict[str, str]) -> None:
    """A text file, e.g. ``text/calendar; method=REQUEST`` (RFC 6047 wants the method
    on the calendar part's Content-Type)."""
    kind, *raw_params = [p.strip() for p in attached["content_type"].split(";")]
    maintype, _, subtype = kind.partition("/")
    params = dict(p.split("=", 1) for p in raw_params if "=" in p)
    message.add_attachment(
        attached["text"].encode(),
        maintype=maintype,
        subtype=subtype,
        filename=attached["filename"],
        params={**params, "charset": "utf-8"},
    )


def send(settings: Settings, message: EmailMessage) -> None:
    if not settings.smtp_host:
        raise MailNotConfigured("CIVITAS_SMTP_HOST is not set")
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
    ) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)
