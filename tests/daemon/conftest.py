"""Fixtures of the supervisor tests: a private Mosquitto and a local SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from daemon_support import Mailbox

from territoria.sensors.broker import PrivateBroker
from territoria.testing.ports import free_port


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    instance = PrivateBroker(tmp_path / "mosquitto")
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()
