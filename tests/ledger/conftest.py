from __future__ import annotations

from collections.abc import Iterator

import pytest

from territoria.engines.duckdb.engine import DuckDBEngine, open_duckdb
from territoria.ledger import ensure_meta


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    """A fresh in-memory store with the record tables."""
    eng = open_duckdb(None)
    ensure_meta(eng)
    yield eng
    eng.close()
