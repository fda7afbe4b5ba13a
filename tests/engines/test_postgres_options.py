"""The PostgreSQL engine's options: the DSN from the environment or a file, never a password in YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from territoria.core.errors import ConfigError, EngineError
from territoria.engines import open_engine
from territoria.engines.postgres.dsn import resolve_dsn


def test_a_password_in_the_yaml_dsn_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="password is written in clear") as err:
        open_engine("postgres", tmp_path, dsn="postgresql://territoria:s3cret@db/territoire")
    assert "dsn_env" in (err.value.hint or "") and "dsn_file" in (err.value.hint or "")
    assert resolve_dsn({"dsn": "postgresql://territoria@db/territoire"}, tmp_path).endswith("/territoire")


def test_the_dsn_comes_from_the_environment_or_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TERRITORIA_PG_DSN", raising=False)
    with pytest.raises(ConfigError, match="environment variable TERRITORIA_PG_DSN is not set"):
        resolve_dsn({}, tmp_path)
    monkeypatch.setenv("MY_DSN", "postgresql://u:pw@h/db")
    assert resolve_dsn({"dsn_env": "MY_DSN"}, tmp_path) == "postgresql://u:pw@h/db"
    (tmp_path / "pg.dsn").write_text("postgresql://u:pw@h/other\n", encoding="utf-8")
    store = tmp_path / ".territoria" / "store"
    assert resolve_dsn({"dsn_file": "pg.dsn"}, store) == "postgresql://u:pw@h/other"  # beside territory.yaml
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_dsn({"dsn_file": "missing.dsn"}, store)
    with pytest.raises(ConfigError, match="is not a PostgreSQL DSN"):
        resolve_dsn({"dsn": "host=db port=notaport extra"}, store)


def test_unknown_options_and_unreachable_servers_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown PostgreSQL engine option"):
        open_engine("postgres", tmp_path, dns_env="X")
    with pytest.raises(EngineError, match="cannot connect to the PostgreSQL store") as err:
        open_engine("postgres", tmp_path, dsn="postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert "server is running" in (err.value.hint or "")
