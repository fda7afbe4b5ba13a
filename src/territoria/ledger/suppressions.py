"""The secrecy suppression report: what the statistical guard suppressed, and why.

One row per protected dataset in ``secrecy_reports`` (rule set, when, the key columns, the
checked rule ids in bit order, the table of its cells), and one typed row per suppressed cell
in that dataset's own cells table, ``_territoria.secrecy_cells_<dataset>`` (``cells_table``: a
name that is not plain gets a hash of the whole name, one to one):

- the key columns, with the dataset's own names and types;
- ``_cell``: the cell's number in the report (0, 1, …);
- ``_status``: 1 primary, 2 secondary, 3 or 4 remembered (``STATUS``): a cell hidden only because
  the publication before hid it (``governance/secrecy/memory.py``), 3 when that one (or the first
  of a line of remembering ones) hid it as primary, 4 as secondary (``WAS``);
- ``_rules``: the failed rules of a primary cell as a bit set (bit i = the report's rule i);
- ``_protects``: for a secondary cell, the ``_cell`` of the primary cell it protects.

A national table suppresses millions of cells: one JSON document per cell (and a second one
for the protected cell) cost most of the report's time, above all on a store file, which
compresses every string it stores. Typed keys are written as the data holds them, and the
integers cost next to nothing. Stores written before keep their rows in the former one-table
shape (``LEGACY``, a JSON key per cell): they are read as they are, until the dataset's next
guarded publication replaces them. A report row names its table: former versions named some
otherwise (the whole, longer name, which DuckDB keeps and PostgreSQL cut to 63 bytes; a bounded
name a crafted name could spell too), and gave some names one table, which holds the cells of
the report written last (``_report_tables``). Such reports are read where they are; the next
write of any report moves each to its dataset's own name (``_migrate``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from territoria.engines.base import Engine, quote_ident
from territoria.ledger.rows import now
from territoria.ledger.schema import META, PREVIOUS, REPORTS, SUPPRESSIONS, ensure_reports, has_table

if TYPE_CHECKING:  # Arrow is imported by the first write, not by ``import territoria.ledger``
    import pyarrow as pa

#: the former shape (one row per cell, JSON keys): read, and cleared per dataset on write
LEGACY = SUPPRESSIONS

_LEGACY_NAME, _REPORTS_NAME = LEGACY.split(".", 1)[1], REPORTS.split(".", 1)[1]
_PREVIOUS_NAME = PREVIOUS.split(".", 1)[1]

#: the status codes of ``_status``
STATUS = {1: "primary", 2: "secondary", 3: "remembered", 4: "remembered"}
PRIMARY_CODE, SECONDARY_CODE, REMEMBERED_PRIMARY_CODE, REMEMBERED_SECONDARY_CODE = 1, 2, 3, 4
#: what a remembered cell was when it was first hidden
WAS = {3: "primary", 4: "secondary"}
#: the kinds (``cell_kind``) of the cells secrecy is about: a primary cell, or one a publication
#: hid as primary and the next ones keep hidden (the rule relaxed since: its value is no less secret)
PRIMARY_KINDS = frozenset({"primary", "remembered primary"})


def cell_kind(cell: dict[str, Any]) -> str:
    """A reported cell's status, with what a remembered cell was: ``primary``, ``secondary``,
    ``remembered primary`` or ``remembered secondary``."""
    was = cell.get("was")
    return f"{cell['status']} {was}" if was else str(cell["status"])


#: the report's own columns in a cells table; no key column may take these names (a group's
#: report also has ``_kept``: the cell was remembered from the publication before, and
#: ``_content``: the hash of the group's cells the decisions were taken on, see
#: ``governance/secrecy/memory.py``)
CELL_COLUMNS = ("_cell", "_status", "_rules", "_protects", "_kept", "_content")


#: PostgreSQL cuts a longer identifier to this many bytes without an error (NAMEDATALEN - 1)
MAX_IDENTIFIER_BYTES = 63
_PREFIX = "secrecy_cells_"
_PREVIOUS_PREFIX = "secrecy_previous_"
#: a plain name's table is the name itself: lower case (DuckDB folds case), no ``_SEPARATOR``
_PLAIN = re.compile(r"[a-z0-9_]+")
#: between a hashed name's readable part and the hash of the whole name; never in a plain name
_SEPARATOR = "__"
_HASH_HEX = 16


def cells_table(dataset: str, prefix: str = _PREFIX) -> str:
    """The name (in ``_territoria``) of a dataset's cells table: ``secrecy_cells_<dataset>`` for
    a plain name (lower case letters, digits and ``_``, no ``__``, that fits an identifier);
    any other name gets its first characters made plain, ``__`` and 16 hex of a sha256 of the
    whole name. One to one: a plain name's part holds no ``__``, a hashed one always does and
    ends with the hash (the former scheme let a crafted plain name spell another's hashed form
    and share its table); every name is lower case and within PostgreSQL's 63 bytes.
    ``prefix``: another family of tables (``previous_table``)."""
    if _PLAIN.fullmatch(dataset) and _SEPARATOR not in dataset and len(prefix + dataset) <= MAX_IDENTIFIER_BYTES:
        return prefix + dataset
    readable = re.sub(r"[^a-z0-9_]", "_", dataset.lower())[
        : MAX_IDENTIFIER_BYTES - len(prefix) - len(_SEPARATOR) - _HASH_HEX
    ]
    return f"{prefix}{readable}{_SEPARATOR}{_digest(dataset, _HASH_HEX)}"


def previous_table(dataset: str) -> str:
    """The table of the cells of ``dataset``'s previous report (``secrecy_previous_<dataset>``)."""
    return cells_table(dataset, _PREVIOUS_PREFIX)


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _held(name: str, present: set[str]) -> str | None:
    """The table a report row naming ``name`` wrote: the name, or on PostgreSQL, which cut a
    longer one silently (written before names were bounded), its first 63 bytes."""
    if name in present:  # a long name on DuckDB, which keeps it, or any bounded one
        return name
    cut = name.encode()[:MAX_IDENTIFIER_BYTES].decode(errors="ignore")  # as PostgreSQL cuts a character
    return cut if cut != name and cut in present else None


def _report_tables(engine: Engine) -> tuple[dict[str, str | None], set[str]]:
    """dataset -> the table in ``_territoria`` that holds its cells, or None; and the tables no
    report can read. Former versions gave some names one table (a crafted name spelling
    another's bounded form, two long names cut alike by PostgreSQL): each write dropped it and
    made it again, so it holds the cells of the report written last; any other naming it is
    not read (its cells were replaced), nor any of a tie (which one's cells is unknown)."""
    present = {name for schema, name in engine.tables() if schema == META}
    writers: dict[str, list[tuple[Any, str]]] = {}
    datasets: dict[str, str | None] = {}
    for dataset, name, at in engine.fetch_all(f"SELECT dataset, cells_table, recorded_at FROM {REPORTS}"):
        datasets[dataset] = None
        table = _held(name, present)
        if table is not None:
            writers.setdefault(table, []).append((at, dataset))
    unread = set()
    for table, by in writers.items():
        by.sort(reverse=True)
        if len(by) > 1 and by[0][0] == by[1][0]:
            unread.add(table)
        else:
            datasets[by[0][1]] = table
    return datasets, unread


def _migrate(engine: Engine) -> None:
    """Every report's cells under its dataset's ``cells_table`` name (a store of a former
    version holds some under other names, which a new name may be: the report is moved, not
    lost nor read as the newcomer's); the rows whose cells are lost deleted, and the tables no
    report can read dropped. Moved by copy, which every engine runs (a one-off)."""
    datasets, unread = _report_tables(engine)
    lost = [d for d, table in datasets.items() if table is None]
    for dataset in lost:
        engine.execute(f"DELETE FROM {REPORTS} WHERE dataset = ?", [dataset])
    for table in unread:
        engine.execute(f"DROP TABLE IF EXISTS {META}.{quote_ident(table)}")
    moves = {d: t for d, t in datasets.items() if t is not None and t != cells_table(d)}
    # a target may be a table still to move (names of a former version): all leave theirs first
    staged = {d: f"_secrecy_cells_move_{i}" for i, d in enumerate(moves)}
    for dataset, table in moves.items():
        _move(engine, table, staged[dataset])
    for dataset, stage in staged.items():
        engine.execute(f"DROP TABLE IF EXISTS {META}.{quote_ident(cells_table(dataset))}")  # read by no report
        _move(engine, stage, cells_table(dataset))
        engine.execute(f"UPDATE {REPORTS} SET cells_table = ? WHERE dataset = ?", [cells_table(dataset), dataset])


def _move(engine: Engine, source: str, target: str) -> None:
    engine.execute(f"CREATE TABLE {META}.{quote_ident(target)} AS SELECT * FROM {META}.{quote_ident(source)}")
    engine.execute(f"DROP TABLE {META}.{quote_ident(source)}")


def write_suppressions(
    engine: Engine, dataset: str, ruleset: str, keys: Sequence[str], rules: Sequence[str], cells: pa.Table | None
) -> None:
    """Replace the report of ``dataset`` by ``cells``: the key columns then ``CELL_COLUMNS``
    (see the module docstring). ``None`` or no rows only clears the dataset's report. A report
    whose suppressed cells differ from the new ones becomes the dataset's previous report (the
    publication an outsider may have kept, which the audit checks the new one against)."""
    clash = sorted(set(keys) & set(CELL_COLUMNS))
    if clash:
        raise ValueError(f"key column(s) {', '.join(clash)} of {dataset} clash with the suppression report's own")
    ensure_reports(engine)
    table = f"{META}.{quote_ident(cells_table(dataset))}"
    legacy = has_table(engine, _LEGACY_NAME)
    new = cells is not None and cells.num_rows > 0
    with engine.transaction():
        _migrate(engine)  # the dataset's former table, if any, is now ``table``
        if new:
            engine.register_arrow("_territoria_cells", cells)
        try:
            if not (new and _same_cells(engine, dataset, keys, "_territoria_cells")):
                _set_aside(engine, dataset)
            engine.execute(f"DELETE FROM {REPORTS} WHERE dataset = ?", [dataset])
            if legacy:
                engine.execute(f"DELETE FROM {LEGACY} WHERE dataset = ?", [dataset])
            engine.execute(f"DROP TABLE IF EXISTS {table}")
            if not new:
                return
            engine.execute(f"CREATE TABLE {table} AS SELECT * FROM _territoria_cells")
        finally:
            if new:
                engine.execute("DROP VIEW IF EXISTS _territoria_cells")
        engine.execute(
            f"INSERT INTO {REPORTS} VALUES (?, ?, ?::TIMESTAMP, ?, ?::JSON, ?::JSON)",
            [dataset, ruleset, now(), cells_table(dataset), json.dumps(list(keys)), json.dumps(list(rules))],
        )


def _same_cells(engine: Engine, dataset: str, keys: Sequence[str], relation: str) -> bool:
    """Whether ``relation`` (one row per cell) suppresses the very cells of ``dataset``'s report:
    then the publication before stays the previous one (a run forced again publishes the same)."""
    found = _report_row(engine, dataset)
    if found is None or found[1] != list(keys):
        return False
    table = found[0]
    if (
        engine.fetch_all(f"SELECT count(*) FROM {table}")[0][0]
        != engine.fetch_all(f"SELECT count(*) FROM {relation}")[0][0]
    ):
        return False
    cols = ", ".join(f"CAST({quote_ident(k)} AS VARCHAR)" for k in keys)
    differ = f"SELECT {cols} FROM {relation} EXCEPT SELECT {cols} FROM {table}"
    return int(engine.fetch_all(f"SELECT count(*) FROM ({differ}) d")[0][0]) == 0


def _set_aside(engine: Engine, dataset: str) -> bool:
    """Make ``dataset``'s report its previous one (replacing the one there): its cells table
    renamed, its row moved. False when it has no report in the typed layout."""
    found = _report_row(engine, dataset)
    if found is None:
        return False
    target = previous_table(dataset)
    engine.execute(f"DELETE FROM {PREVIOUS} WHERE dataset = ?", [dataset])
    engine.execute(f"DROP TABLE IF EXISTS {META}.{quote_ident(target)}")
    engine.execute(f"ALTER TABLE {found[0]} RENAME TO {quote_ident(target)}")
    engine.execute(
        f"INSERT INTO {PREVIOUS} SELECT dataset, ruleset, recorded_at, ?, keys, rules FROM {REPORTS} WHERE dataset = ?",
        [target, dataset],
    )
    engine.execute(f"DELETE FROM {REPORTS} WHERE dataset = ?", [dataset])
    return True


def forget_suppressions(engine: Engine, dataset: str) -> bool:
    """Set ``dataset``'s report aside as its previous one: the next publication remembers nothing
    (``governance/secrecy/memory.py``), and the audit still compares it with the one set aside.
    False (nothing changed) when the dataset has no report."""
    if not has_table(engine, _REPORTS_NAME):
        return False
    ensure_reports(engine)
    with engine.transaction():
        _migrate(engine)
        return _set_aside(engine, dataset)


def _report_row(engine: Engine, dataset: str, previous: bool = False) -> tuple[str, list[str], list[str]] | None:
    """The qualified cells table, key columns and rule ids of ``dataset``'s report (``previous``:
    of its previous report), or None."""
    if previous:
        if not has_table(engine, _PREVIOUS_NAME):
            return None
        rows = engine.fetch_all(f"SELECT keys, rules, cells_table FROM {PREVIOUS} WHERE dataset = ?", [dataset])
        if not rows or not engine.table_exists(META, rows[0][2]):
            return None
        return f"{META}.{quote_ident(rows[0][2])}", _loads(rows[0][0]), _loads(rows[0][1])
    if not has_table(engine, _REPORTS_NAME):
        return None
    rows = engine.fetch_all(f"SELECT keys, rules FROM {REPORTS} WHERE dataset = ?", [dataset])
    table = _report_tables(engine)[0].get(dataset) if rows else None
    if table is None:
        return None
    keys, rules = rows[0]
    return f"{META}.{quote_ident(table)}", _loads(keys), _loads(rules)


def remembered_rows(
    engine: Engine, dataset: str, relation: str, row_id: str, columns: Sequence[str], content: str | None = None
) -> Any | None:
    """The row ids (``row_id`` of ``relation``, whose columns are ``columns``) of the cells that
    ``dataset``'s last report suppressed, matched on its key columns as text (a key column retyped
    between two publications still matches), as an Arrow array; None when there is no report in
    the typed layout or its key columns are not all in ``relation``. With ``content``, a report
    written for that same content yields only its remembered cells (``_kept``): see
    ``governance/secrecy/memory.py``. The table has ``_row`` and ``_was``: what the cell was when
    first hidden (``PRIMARY_CODE`` or ``SECONDARY_CODE``; a remembered cell's original kind)."""
    found = _report_row(engine, dataset)
    if found is None:
        return None
    table, keys, _ = found
    if not keys or any(k not in columns for k in keys):
        return None
    where = ""
    own = {c for c, _ in engine.columns(META, table.split(".", 1)[1].strip('"').replace('""', '"'))}
    if content is not None and {"_kept", "_content"} <= own:
        same = engine.fetch_all(f"SELECT 1 FROM {table} WHERE _content = ? LIMIT 1", [content])
        where = " WHERE c._kept" if same else ""
    on = " AND ".join(
        f"CAST(r.{quote_ident(k)} AS VARCHAR) IS NOT DISTINCT FROM CAST(c.{quote_ident(k)} AS VARCHAR)" for k in keys
    )
    was = (
        f"CASE c._status WHEN {REMEMBERED_PRIMARY_CODE} THEN {PRIMARY_CODE} "
        f"WHEN {REMEMBERED_SECONDARY_CODE} THEN {SECONDARY_CODE} ELSE c._status END"
    )
    # a row matching two cells (keys equal as text) takes the stricter kind: primary
    return engine.fetch_arrow(
        f"SELECT r.{row_id} AS _row, CAST(min({was}) AS TINYINT) AS _was "
        f"FROM {relation} r JOIN {table} c ON {on}{where} GROUP BY r.{row_id}"
    )


def _rule_ids(bits: int | None, rules: list[str]) -> list[str]:
    return [r for i, r in enumerate(rules) if bits and (bits >> i) & 1]


def _cells(engine: Engine, dataset: str, limit: int | None, previous: bool = False) -> list[dict[str, Any]]:
    """The cells of ``dataset``'s report (``previous``: of its previous one), primary before
    secondary then by key; with a limit (the step report's examples) without the protected
    cell, which would cost a join of every cell for a few."""
    found = _report_row(engine, dataset, previous)
    if found is None:
        return [] if previous else _legacy_cells(engine, dataset, limit)
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
            # a remembered cell: what it was when first hidden
            **({"was": WAS[r["_status"]]} if r["_status"] in WAS else {}),
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
    key), as the step report shows them: cell (key → value), status, rules, and what a remembered
    cell was."""
    return [{k: c[k] for k in ("cell", "status", "rules", "was") if k in c} for c in _cells(engine, dataset, limit)]


def suppressed_cells(engine: Engine, dataset: str) -> list[dict[str, Any]]:
    """Every suppressed cell of ``dataset``: cell (key → value), status (``primary``,
    ``secondary`` or ``remembered``, then with ``was``: what it was when first hidden), rules (the
    ids a primary cell fails), protects (the key of the primary cell a secondary one protects, else
    None). Empty when the dataset has no report."""
    return _cells(engine, dataset, None)


def previous_cells(engine: Engine, dataset: str) -> list[dict[str, Any]]:
    """The cells of ``dataset``'s previous report, as ``suppressed_cells`` gives the last one's;
    empty when there is none."""
    return _cells(engine, dataset, None, previous=True)


def previous_report(engine: Engine, dataset: str) -> tuple[str, Any] | None:
    """The rule set and the time of ``dataset``'s previous report, or None."""
    if not has_table(engine, _PREVIOUS_NAME):
        return None
    rows = engine.fetch_all(f"SELECT ruleset, recorded_at FROM {PREVIOUS} WHERE dataset = ?", [dataset])
    return (str(rows[0][0]), rows[0][1]) if rows else None


def suppression_counts(engine: Engine) -> dict[tuple[str, str], int]:
    """(dataset, status) → suppressed cells, over every dataset with a report."""
    out: dict[tuple[str, str], int] = {}
    if has_table(engine, _LEGACY_NAME):
        rows = engine.fetch_all(f"SELECT dataset, status, count(*) FROM {LEGACY} GROUP BY dataset, status")
        out.update({(dataset, status): int(n) for dataset, status, n in rows})
    if has_table(engine, _REPORTS_NAME):
        for dataset, table in _report_tables(engine)[0].items():
            if table is None:
                continue
            rows = engine.fetch_all(f"SELECT _status, count(*) FROM {META}.{quote_ident(table)} GROUP BY _status")
            for code, n in rows:  # two codes of remembered cells: one count
                out[(dataset, STATUS[code])] = out.get((dataset, STATUS[code]), 0) + int(n)
    return dict(sorted(out.items()))


__all__ = [
    "CELL_COLUMNS",
    "LEGACY",
    "MAX_IDENTIFIER_BYTES",
    "PRIMARY_CODE",
    "PRIMARY_KINDS",
    "REMEMBERED_PRIMARY_CODE",
    "REMEMBERED_SECONDARY_CODE",
    "SECONDARY_CODE",
    "STATUS",
    "WAS",
    "cell_kind",
    "cells_table",
    "forget_suppressions",
    "previous_cells",
    "previous_report",
    "previous_table",
    "remembered_rows",
    "suppressed_cells",
    "suppression_counts",
    "suppression_examples",
    "write_suppressions",
]
