"""A private Mosquitto for tests, benchmarks and local trials (``/usr/sbin/mosquitto``, Debian package).

It listens on 127.0.0.1 on a free port, persists its sessions on disk (so that a stop and a
restart on the same port keep the queued QoS 1 messages), and can be stopped gracefully.
"""

from __future__ import annotations

import getpass
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from territoria.core.errors import NotFoundError
from territoria.testing.ports import free_port


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if found is None:
        raise NotFoundError("mosquitto is not installed", hint="apt-get install mosquitto (Debian package)")
    return found


class PrivateBroker:
    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.dir = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        data = directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        conf = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {data}/",
            "autosave_interval 1",
            "max_queued_messages 10000000",
            "max_inflight_messages 0",
            f"log_dest file {directory / 'mosquitto.log'}",
        ]
        if getpass.getuser() == "root":
            conf.append("user root")  # keep the persistence directory writable (no drop to `mosquitto`)
        self.conf = directory / "mosquitto.conf"
        self.conf.write_text("\n".join(conf) + "\n", encoding="utf-8")

    def start(self, timeout: float = 10.0) -> None:
        with (self.dir / "stderr.log").open("ab") as err:
            self.process = subprocess.Popen(
                [mosquitto_binary(), "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=err
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {(self.dir / 'stderr.log').read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        """Graceful stop: the broker writes its persistence file before exiting."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process = None
