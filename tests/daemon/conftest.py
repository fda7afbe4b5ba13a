"""Fixtures of the supervisor tests: a local SMTP server (the private Mosquitto is `broker`, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from daemon_support import Mailbox

from territoria.testing.ports import free_port


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()
