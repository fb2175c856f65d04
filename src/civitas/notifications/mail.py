"""Sending one e-mail over SMTP (the only place that talks to the mail server)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import parseaddr

from civitas.core.config import Settings


class MailNotConfigured(RuntimeError):  # noqa: N818 - a state, like the HTTP names
    """No SMTP server is configured; mail stays in the outbox."""


def build(
    settings: Settings, *, message_id: str, recipient: str, subject: str, body: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Subject"] = subject
    # derived from the outbox row, so a resend after a crash carries the same Message-ID
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "civitas.invalid"
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message.set_content(body)
    return message


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
