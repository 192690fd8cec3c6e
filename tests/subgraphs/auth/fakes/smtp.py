"""A local SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import asyncio
import email
import re
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from libs.testing import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    async def wait_for(self, to: str, subject_part: str) -> Message:
        deadline = asyncio.get_running_loop().time() + 10.0
        while True:
            for message in reversed(self.messages):
                if message["To"] == to and subject_part in str(message["Subject"]):
                    return message
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no mail to {to} about {subject_part!r}")
            await asyncio.sleep(0.05)

    @staticmethod
    def token_in(message: Message) -> str:
        body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
        match = re.search(r"token=([A-Za-z0-9_\-]+)", body)
        assert match, body
        return match.group(1)


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.inbox = Inbox()
        self.port = port or free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
