"""The secrecy suppression report: what the statistical guard suppressed, and why.

One row per protected dataset in ``secrecy_reports`` (rule set, when, the key columns, the
checked rule ids in bit order, the table of its cells), and one typed row per suppressed cell
in that dataset's own cells table, ``_territoria.secrecy_cells_<dataset>`` (see ``cells_table``
for a name too long for an identifier):

- the key columns, with the dataset's own names and types;
- ``_cell``: the cell's number in the report (0, 1, …);
- ``_status``: 1 primary, 2 secondary (``STATUS``);
- ``_rules``: the failed rules of a primary cell as a bit set (bit i = the report's rule i);
- ``_protects``: for a secondary cell, the ``_cell`` of the primary cell it protects.

A national table suppresses millions of cells: one JSON document per cell (and a second one
for the protected cell) cost most of the report's time, above all on a store file, which
compresses every string it stores. Typed keys are written as the data holds them, and the
integers cost next to nothing. Stores written before keep their rows in the former one-table
shape (``LEGACY``, a JSON key per cell): they are read as they are, until the dataset's next
guarded publication replaces them. So are reports whose cells table took the whole, longer
name before names were bounded (DuckDB keeps such names): the next write drops that table. On
PostgreSQL such a name was cut to its first 63 bytes, so two datasets sharing that prefix shared
one table, holding the cells of the dataset that wrote it last: that dataset's report reads it,
any other naming it is not read (its cells were replaced) until its dataset is published again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from territoria.engines.base import Engine, quote_ident
from territoria.ledger.rows import now
from territoria.ledger.schema import META, REPORTS, SUPPRESSIONS, ensure_reports, has_table

if TYPE_CHECKING:  # Arrow is imported by the first write, not by ``import territoria.ledger``
    import pyarrow as pa

#: the former shape (one row per cell, JSON keys): read, and cleared per dataset on write
LEGACY = SUPPRESSIONS

_LEGACY_NAME, _REPORTS_NAME = LEGACY.split(".", 1)[1], REPORTS.split(".", 1)[1]

#: the status codes of ``_status``
STATUS = {1: "primary", 2: "secondary"}
PRIMARY_CODE, SECONDARY_CODE = 1, 2

#: the report's own columns in a cells table; no key column may take these names
CELL_COLUMNS = ("_cell", "_status", "_rules", "_protects")


#: PostgreSQL cuts a longer identifier to this many bytes without an error (NAMEDATALEN - 1)
MAX_IDENTIFIER_BYTES = 63
_PREFIX = "secrecy_cells_"


def cells_table(dataset: str) -> str:
    """The name (in ``_territoria``) of a dataset's cells table: the dataset's name when it is a
    plain identifier, else made one and told apart by a hash of the real name; and, when that is
    longer than an identifier may be on every engine, its first bytes and a hash of the whole
    dataset name (else two long names sharing a prefix would share one table on PostgreSQL)."""
    safe = re.sub(r"[^A-Za-z0-9_]", "_", dataset)
    if safe != dataset:
        safe += "_" + _digest(dataset, 8)
    name = _PREFIX + safe
    if len(name) > MAX_IDENTIFIER_BYTES:  # ASCII only: ``safe`` kept nothing else
        digest = _digest(dataset, 16)
        name = f"{name[: MAX_IDENTIFIER_BYTES - len(digest) - 1]}_{digest}"
    return name


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _stored_table(engine: Engine, dataset: str, name: str) -> str | None:
    """The qualified cells table ``dataset``'s report row names: the name itself, unless it is
    longer than an identifier and no table carries it exactly (a report written before names
    were bounded, on PostgreSQL, which cut the name). The cut name is then read only if
    ``dataset`` owns it (``_cut_owner``), else None: it holds another dataset's cells."""
    # ``table_exists`` compares the names as text on every engine (PostgreSQL's included): a long
    # name does not match the table of its cut form
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES or engine.table_exists(META, name):
        return f"{META}.{quote_ident(name)}"
    cut = name.encode()[:MAX_IDENTIFIER_BYTES].decode()  # ASCII: ``cells_table`` keeps nothing else
    if not engine.table_exists(META, cut) or _cut_owner(engine, cut) != dataset:
        return None
    return f"{META}.{quote_ident(cut)}"


def _cut_owner(engine: Engine, cut: str) -> str | None:
    """The dataset whose report was written last under a name that is ``cut`` once cut to an
    identifier's length (each write dropped that table and made it again: its cells are that
    dataset's); None on a tie."""
    reports = engine.fetch_all(f"SELECT recorded_at, dataset, cells_table FROM {REPORTS}")
    owners = sorted(
        ((at, d) for at, d, n in reports if n.encode()[:MAX_IDENTIFIER_BYTES] == cut.encode()), reverse=True
    )
    if not owners or (len(owners) > 1 and owners[0][0] == owners[1][0]):
        return None
    return str(owners[0][1])


def write_suppressions(
    engine: Engine, dataset: str, ruleset: str, keys: Sequence[str], rules: Sequence[str], cells: pa.Table | None
) -> None:
    """Replace the report of ``dataset`` by ``cells``: the key columns then ``CELL_COLUMNS``
    (see the module docstring). ``None`` or no rows only clears the dataset's report."""
    clash = sorted(set(keys) & set(CELL_COLUMNS))
    if clash:
        raise ValueError(f"key column(s) {', '.join(clash)} of {dataset} clash with the suppression report's own")
    ensure_reports(engine)
    table = f"{META}.{quote_ident(cells_table(dataset))}"
    legacy = has_table(engine, _LEGACY_NAME)
    with engine.transaction():
        for (former,) in engine.fetch_all(f"SELECT cells_table FROM {REPORTS} WHERE dataset = ?", [dataset]):
            # a table named before names were bounded; a cut one not its own (None) is another dataset's
            stored = _stored_table(engine, dataset, former)
            if stored is not None and stored != table:
                engine.execute(f"DROP TABLE IF EXISTS {stored}")
        engine.execute(f"DELETE FROM {REPORTS} WHERE dataset = ?", [dataset])
        if legacy:
            engine.execute(f"DELETE FROM {LEGACY} WHERE dataset = ?", [dataset])
        engine.execute(f"DROP TABLE IF EXISTS {table}")
        if cells is None or cells.num_rows == 0:
            return
        engine.register_arrow("_territoria_cells", cells)
        try:
            engine.execute(f"CREATE TABLE {table} AS SELECT * FROM _territoria_cells")
        finally:
            engine.execute("DROP VIEW IF EXISTS _territoria_cells")
        engine.execute(
            f"INSERT INTO {REPORTS} VALUES (?, ?, ?::TIMESTAMP, ?, ?::JSON, ?::JSON)",
            [dataset, ruleset, now(), cells_table(dataset), json.dumps(list(keys)), json.dumps(list(rules))],
        )


def _report_row(engine: Engine, dataset: str) -> tuple[str, list[str], list[str]] | None:
    if not has_table(engine, _REPORTS_NAME):
        return None
    rows = engine.fetch_all(f"SELECT cells_table, keys, rules FROM {REPORTS} WHERE dataset = ?", [dataset])
    if not rows:
        return None
    name, keys, rules = rows[0]
    table = _stored_table(engine, dataset, name)
    return None if table is None else (table, _loads(keys), _loads(rules))


def _rule_ids(bits: int | None, rules: list[str]) -> list[str]:
    return [r for i, r in enumerate(rules) if bits and (bits >> i) & 1]


def _cells(engine: Engine, dataset: str, limit: int | None) -> list[dict[str, Any]]:
    """The cells of ``dataset``'s report, primary before secondary then by key; with a limit
    (the step report's examples) without the protected cell, which would cost a join of
    every cell for a few."""
    found = _report_row(engine, dataset)
    if found is None:
        return _legacy_cells(engine, dataset, limit)
    table, keys, rules = found
    order = ", ".join(f"c.{c}" for c in ["_status", *(quote_ident(k) for k in keys), "_cell"])
    select = ", ".join([*(f"c.{quote_ident(k)}" for k in keys), "c._status", "c._rules"])
    if limit is None:
        select += "".join(f", p.{quote_ident(k)} AS {quote_ident('_p_' + k)}" for k in keys)
        source = f"{table} c LEFT JOIN {table} p ON p._cell = c._protects"
    else:
        source = f"{table} c"
    rows = engine.fetch_arrow(
        f"SELECT {select} FROM {source} ORDER BY {order}" + (f" LIMIT {int(limit)}" if limit is not None else "")
    ).to_pylist()
    return [
        {
            "cell": {k: r[k] for k in keys},
            "status": STATUS[r["_status"]],
            "rules": _rule_ids(r["_rules"], rules),
            "protects": {k: r["_p_" + k] for k in keys} if r["_status"] == SECONDARY_CODE and limit is None else None,
        }
        for r in rows
    ]


def _legacy_cells(engine: Engine, dataset: str, limit: int | None) -> list[dict[str, Any]]:
    if not has_table(engine, _LEGACY_NAME):
        return []
    rows = engine.fetch_all(
        f"SELECT cell, status, rules, protects FROM {LEGACY} WHERE dataset = ? ORDER BY status, cell::VARCHAR"
        + (f" LIMIT {int(limit)}" if limit is not None else ""),
        [dataset],
    )
    return [
        {"cell": _loads(c), "status": s, "rules": list(r or []), "protects": _loads(p) if p else None}
        for c, s, r, p in rows
    ]


def _loads(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else text


def suppression_examples(engine: Engine, dataset: str, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` suppressed cells of ``dataset`` (primary before secondary, then by
    key), as the step report shows them: cell (key → value), status, rules."""
    return [{k: c[k] for k in ("cell", "status", "rules")} for c in _cells(engine, dataset, limit)]


def suppressed_cells(engine: Engine, dataset: str) -> list[dict[str, Any]]:
    """Every suppressed cell of ``dataset``: cell (key → value), status (``primary`` or
    ``secondary``), rules (the ids a primary cell fails), protects (the key of the primary cell
    a secondary one protects, else None). Empty when the dataset has no report."""
    return _cells(engine, dataset, None)


def suppression_counts(engine: Engine) -> dict[tuple[str, str], int]:
    """(dataset, status) → suppressed cells, over every dataset with a report."""
    out: dict[tuple[str, str], int] = {}
    if has_table(engine, _LEGACY_NAME):
        rows = engine.fetch_all(f"SELECT dataset, status, count(*) FROM {LEGACY} GROUP BY dataset, status")
        out.update({(dataset, status): int(n) for dataset, status, n in rows})
    if has_table(engine, _REPORTS_NAME):
        for dataset, name in engine.fetch_all(f"SELECT dataset, cells_table FROM {REPORTS}"):
            table = _stored_table(engine, dataset, name)
            if table is None:
                continue
            rows = engine.fetch_all(f"SELECT _status, count(*) FROM {table} GROUP BY _status")
            out.update({(dataset, STATUS[code]): int(n) for code, n in rows})
    return dict(sorted(out.items()))


__all__ = [
    "CELL_COLUMNS",
    "LEGACY",
    "MAX_IDENTIFIER_BYTES",
    "PRIMARY_CODE",
    "SECONDARY_CODE",
    "STATUS",
    "cells_table",
    "suppressed_cells",
    "suppression_counts",
    "suppression_examples",
    "write_suppressions",
]
