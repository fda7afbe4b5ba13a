"""Where the PostgreSQL engine finds its DSN: never a password in territory.yaml.

``engine_options`` names an environment variable (``dsn_env``, ``TERRITORIA_PG_DSN`` by default)
or a file (``dsn_file``, relative to the workspace) holding the DSN; a plain
``dsn`` is accepted only without a password (trust, peer or ``~/.pgpass`` authentication).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from territoria.core.errors import ConfigError

DEFAULT_ENV = "TERRITORIA_PG_DSN"
HINT = (
    "put the DSN in an environment variable (`engine_options: {dsn_env: TERRITORIA_PG_DSN}`) "
    "or in a file readable by territoria only (`engine_options: {dsn_file: secrets/pg.dsn}`)"
)


def resolve_dsn(options: dict[str, Any], store_dir: Path | None) -> str:
    if "dsn" in options:
        dsn = str(options["dsn"])
        if _parsed(dsn, "`engine_options.dsn`").get("password"):
            raise ConfigError("the PostgreSQL password is written in clear in territory.yaml (`dsn:`)", hint=HINT)
        return dsn
    if "dsn_file" in options:
        path = Path(str(options["dsn_file"])).expanduser()
        if not path.is_absolute() and store_dir is not None:
            path = store_dir.parent.parent / path  # the workspace (store_dir is .territoria/store)
        if not path.is_file():
            raise ConfigError(f"the PostgreSQL DSN file {path} does not exist", hint=HINT)
        dsn = path.read_text(encoding="utf-8").strip()
        _parsed(dsn, f"the DSN file {path}")
        return dsn
    env = str(options.get("dsn_env", DEFAULT_ENV))
    dsn = os.environ.get(env, "").strip()
    if not dsn:
        raise ConfigError(f"the PostgreSQL engine needs a DSN: the environment variable {env} is not set", hint=HINT)
    _parsed(dsn, f"the environment variable {env}")
    return dsn


def _parsed(dsn: str, where: str) -> dict[str, Any]:
    try:
        return conninfo_to_dict(dsn)
    except Exception as exc:  # psycopg raises ProgrammingError with the parser's words
        raise ConfigError(
            f"{where} is not a PostgreSQL DSN: {str(exc).splitlines()[0]}",
            hint="e.g. postgresql://territoria@db.example.org:5432/territoire",
        ) from exc
