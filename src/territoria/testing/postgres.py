"""A PostgreSQL/PostGIS server for tests: the local one when it answers, else a private cluster.

The private cluster is created with ``initdb`` and started with ``pg_ctl`` from
``/usr/lib/postgresql/<version>/bin`` on a free port of 127.0.0.1 (as the ``postgres`` user
when running as root, since PostgreSQL refuses to run as root), then stopped and removed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from territoria.testing.ports import free_port

PG_BIN = Path(os.environ.get("TERRITORIA_PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    private: bool

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, postgis: bool = True) -> str:
        """A fresh database (with PostGIS), so that tests never see each other's tables."""
        name = f"territoria_test_{secrets.token_hex(4)}"
        with psycopg.connect(self.dsn(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        if postgis:
            with psycopg.connect(self.dsn(name), autocommit=True) as con:
                con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return self.dsn(name)

    def drop_database(self, dsn: str) -> None:
        name = dsn.rsplit("/", 1)[1]
        with psycopg.connect(self.dsn(), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _answers(host: str, port: int, user: str) -> bool:
    try:
        with psycopg.connect(host=host, port=port, user=user, dbname="postgres", connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def private_cluster() -> Iterator[PostgresServer]:
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL binaries not found in {PG_BIN} (set TERRITORIA_PG_BIN)")
    root = Path(tempfile.mkdtemp(prefix="territoria-pg-"))
    data, port = root / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    try:
        run = subprocess.run
        run(
            _as_owner([str(PG_BIN / "initdb"), "-D", str(data), "-U", user, "-A", "trust"]),
            check=True,
            capture_output=True,
        )
        opts = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        run(
            _as_owner([str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"]),
            check=True,
            capture_output=True,
        )
        try:
            yield PostgresServer("127.0.0.1", port, user, private=True)
        finally:
            run(_as_owner([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def postgres_server(prefer_local: bool = True) -> Iterator[PostgresServer]:
    """PostgreSQL at 127.0.0.1:5432 (user postgres) when it answers, else a private cluster."""
    if prefer_local and _answers("127.0.0.1", 5432, "postgres"):
        yield PostgresServer("127.0.0.1", 5432, "postgres", private=False)
        return
    with private_cluster() as server:
        yield server
