"""A real SMTP server on loopback (aiosmtpd) for mail tests: the ``smtp`` fixture."""

from __future__ import annotations

import email
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from civitas.core.config import Settings


class Inbox:
    """An aiosmtpd handler that keeps what arrives; ``controller`` is its running server."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.arrived = threading.Event()
        self.controller: Controller

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content))
        self.arrived.set()
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.controller = controller
    yield inbox
    inbox.controller.stop()


def mail_settings(port: int) -> Settings:
    return Settings(
        smtp_host="127.0.0.1", smtp_port=port, mail_from="Trujillo <noreply@trujillo.example>"
    )
