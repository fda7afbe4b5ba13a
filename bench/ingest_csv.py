"""French-convention CSV ingestion: territoria's file connector + Table Schema validation vs pandas.

    .venv/bin/python bench/ingest_csv.py                 # 5 million rows
    .venv/bin/python bench/ingest_csv.py --gb 2          # a ~2 GB file instead
    .venv/bin/python bench/ingest_csv.py --repeat 3      # then 3 more runs of territoria and polars, medians
    .venv/bin/python bench/ingest_csv.py --phases        # then the CPU of each statement and reader pass

Generates a CSV the way French producers publish it (``;``, decimal comma, Windows-1252 with
é, œ, €, secret markers ``s``), then, each in its own child process on the same file:

- territoria: ``territoria run`` on a workspace whose source is the file, with a Table Schema
  (types, pattern, enum, minimum, secret values, primary key none) into the DuckDB store;
- pandas, the fair peer: the same checks, vectorised (``read_csv`` as text, then pattern, enum,
  type, minimum and secret-marker masks), valid rows typed and registered into DuckDB, failing
  rows kept in a quarantine table;
- polars, the other fair peer (what a data team might pick instead of pandas; skipped when
  polars is not installed): the same checks as expressions on a frame read as text, valid rows
  typed and failing rows kept apart, both created in DuckDB from the frames (Arrow, no copy);
- pandas without checks: ``pandas.read_csv(sep=';', decimal=',', encoding='cp1252')`` then ``DataFrame.to_sql``
  through SQLAlchemy + duckdb_engine into a DuckDB file. ``to_sql`` inserts row batches and runs
  at a few thousand rows/s, so it is given a time budget; its rate on the rows written in that
  budget gives the pandas end-to-end figure (marked *extrapolated*). The fastest pandas route
  (``read_csv`` + ``con.register`` + ``CREATE TABLE AS``, not ``to_sql``) is measured in full too.

Peak memory is the child's peak RSS (psutil, sampled every 50 ms, and ``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import codecs
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import psutil
import yaml

SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "code_commune", "type": "string", "constraints": {"required": True, "pattern": "[0-9]{5}"}},
        {"name": "libelle_commune", "type": "string"},
        {"name": "annee", "type": "year"},
        {
            "name": "secteur",
            "type": "string",
            "constraints": {"enum": ["Résidentiel", "Tertiaire", "Industrie", "Agriculture", "Non affecté"]},
        },
        {"name": "conso_mwh", "type": "number", "decimalChar": ",", "secretValues": ["s", "nd", "ns"]},
        {"name": "nb_pdl", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "cout_eur", "type": "number", "decimalChar": ","},
        {"name": "commentaire", "type": "string"},
        {"name": "date_maj", "type": "date", "format": "%d/%m/%Y"},
    ]
}

GENERATE = """COPY (SELECT
  CAST(35000 + (i % 360) AS VARCHAR) AS code_commune,
  (['Rennes','Saint-Jacques-de-la-Lande','Cesson-Sévigné','Bœuf-sur-Vilaine','Chantepie','L''Hermitage'])
    [1 + (i % 6)::INT] AS libelle_commune,
  2015 + (i % 9)::INT AS annee,
  (['Résidentiel','Tertiaire','Industrie','Agriculture','Non affecté'])[1 + (i % 5)::INT] AS secteur,
  CASE WHEN i % 97 = 0 THEN 's' ELSE replace(printf('%.3f', (i % 100000) / 7.0), '.', ',') END AS conso_mwh,
  CAST(i % 500 AS VARCHAR) AS nb_pdl,
  replace(printf('%.2f', (i % 10000) / 3.0), '.', ',') AS cout_eur,
  (['Coût estimé en €','Relevé réel','Œuvre collective','Donnée consolidée'])[1 + (i % 4)::INT] AS commentaire,
  strftime(DATE '2024-01-01' + CAST(i % 365 AS INTEGER), '%d/%m/%Y') AS date_maj
FROM range({rows}) t(i)) TO '{out}' (DELIMITER ';', HEADER)"""

TERRITORIA_CHILD = """
import sys
from territoria.cli.main import main
sys.argv = ["territoria", "run", "-w", sys.argv[1]]
main()
"""

# territoria again, each engine statement and reader pass timed in CPU seconds of the whole process
# (all DuckDB threads): where the CPU goes, statement by statement (``--phases``)
PHASES_CHILD = """
import atexit, resource, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
phases, t0 = [], time.perf_counter()
def timed(owner, name, label):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        c, t = cpu(), time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            if cpu() - c > 0.02:
                phases.append((label(args), cpu() - c, time.perf_counter() - t))
    setattr(owner, name, wrapper)
from territoria.engines.duckdb.engine import DuckDBEngine
from territoria.connectors.formats import csv, csv_lines
from territoria.landing.store import Landing
from territoria.cli.main import main
phases.append(("imports", cpu(), time.perf_counter() - t0))
statement = lambda args: " ".join(str(args[1]).split())[:90]
for name in ("execute", "fetch_all"):
    timed(DuckDBEngine, name, statement)
timed(DuckDBEngine, "create_or_replace", lambda args: "CREATE OR REPLACE TABLE " + args[1].qualified)
timed(csv, "transcode_to_utf8", lambda args: "transcode_to_utf8 (+ long lines, spaces)")
timed(csv_lines, "find_long_lines", lambda args: "find_long_lines (+ spaces)")
timed(Landing, "put_file", lambda args: "landing.put_file")
@atexit.register
def report():
    for label, c, t in phases:
        print(f"phase {c:6.2f} cpu {t:6.2f} wall  {label}")
    print(f"phase {cpu():6.2f} cpu {time.perf_counter() - t0:6.2f} wall  TOTAL")
sys.argv = ["territoria", "run", "-w", sys.argv[1]]
main()
"""

PANDAS_CHILD = """
import json, sys, time
import pandas as pd
path, db, budget, mode = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
t0 = time.perf_counter()
if mode == "validate":
    # The fair peer: vectorised pandas applying the same Table Schema checks as territoria (types,
    # pattern, enum, minimum, secret markers), valid rows typed into DuckDB, failing rows kept apart.
    df = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    bad = pd.Series(False, index=df.index)
    code = df["code_commune"]
    bad |= (code == "") | ~code.str.fullmatch(r"[0-9]{5}")
    annee = pd.to_numeric(df["annee"], errors="coerce")
    bad |= annee.isna() & (df["annee"] != "")
    bad |= ~df["secteur"].isin(["Résidentiel", "Tertiaire", "Industrie", "Agriculture", "Non affecté", ""])
    secret = df["conso_mwh"].isin(["s", "nd", "ns"])
    conso = pd.to_numeric(df["conso_mwh"].where(~secret).str.replace(",", ".", regex=False), errors="coerce")
    bad |= conso.isna() & ~secret & (df["conso_mwh"] != "")
    pdl = pd.to_numeric(df["nb_pdl"], errors="coerce")
    bad |= (pdl.isna() & (df["nb_pdl"] != "")) | (pdl < 0) | (pdl % 1 != 0)
    cout = pd.to_numeric(df["cout_eur"].str.replace(",", ".", regex=False), errors="coerce")
    bad |= cout.isna() & (df["cout_eur"] != "")
    date = pd.to_datetime(df["date_maj"], format="%d/%m/%Y", errors="coerce")
    bad |= date.isna() & (df["date_maj"] != "")
    typed = pd.DataFrame({
        "code_commune": code, "libelle_commune": df["libelle_commune"], "annee": annee.astype("Int64"),
        "secteur": df["secteur"], "conso_mwh": conso, "conso_mwh_secret": secret, "nb_pdl": pdl.astype("Int64"),
        "cout_eur": cout, "commentaire": df["commentaire"], "date_maj": date.dt.date,
    })[~bad]
    quarantine = df[bad]
    t_read = time.perf_counter() - t0
    out = {"rows": len(df), "read_s": t_read, "quarantined": int(bad.sum())}
    del df
else:
    df = pd.read_csv(path, sep=";", decimal=",", encoding="cp1252", dtype={"code_commune": str},
                     na_values=["s", "nd", "ns"], keep_default_na=False)
    df["date_maj"] = pd.to_datetime(df["date_maj"], format="%d/%m/%Y")
    t_read = time.perf_counter() - t0
    out = {"rows": len(df), "read_s": t_read}
if mode == "to_sql":
    import sqlalchemy
    engine = sqlalchemy.create_engine(f"duckdb:///{db}")
    t1, written, chunk = time.perf_counter(), 0, 20_000
    while written < len(df) and time.perf_counter() - t1 < budget:
        df.iloc[written:written + chunk].to_sql("conso", engine, index=False, if_exists="append")
        written += min(chunk, len(df) - written)
    out.update(write_s=time.perf_counter() - t1, written=written)
else:
    import duckdb
    con = duckdb.connect(db)
    t1 = time.perf_counter()
    frame = typed if mode == "validate" else df
    con.register("df", frame)
    con.execute("CREATE TABLE conso AS SELECT * FROM df")
    if mode == "validate":
        con.register("q", quarantine)
        con.execute("CREATE TABLE quarantine AS SELECT * FROM q")
    con.close()
    out.update(write_s=time.perf_counter() - t1, written=len(frame))
print(json.dumps(out))
"""


POLARS_CHILD = """
import json, sys, time
import duckdb
import polars as pl
path, db = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
# polars decodes Windows-1252 in Python, like territoria; an empty field reads as "" as in pandas
df = pl.read_csv(path, separator=";", encoding="cp1252", infer_schema=False).fill_null("")
c = pl.col
secret = c("conso_mwh").is_in(["s", "nd", "ns"])
typed = df.select(
    c("code_commune"), c("libelle_commune"), c("annee").cast(pl.Int64, strict=False), c("secteur"),
    pl.when(~secret).then(c("conso_mwh").str.replace(",", ".", literal=True)).cast(pl.Float64, strict=False)
    .alias("conso_mwh"),
    secret.alias("conso_mwh_secret"), c("nb_pdl").cast(pl.Int64, strict=False),
    c("cout_eur").str.replace(",", ".", literal=True).cast(pl.Float64, strict=False), c("commentaire"),
    c("date_maj").str.strptime(pl.Date, "%d/%m/%Y", strict=False),
)
bad = (
    (df["code_commune"] == "") | ~df["code_commune"].str.contains(r"^[0-9]{5}$")
    | (typed["annee"].is_null() & (df["annee"] != ""))
    | ~df["secteur"].is_in(["Résidentiel", "Tertiaire", "Industrie", "Agriculture", "Non affecté", ""])
    | (typed["conso_mwh"].is_null() & ~typed["conso_mwh_secret"] & (df["conso_mwh"] != ""))
    | (typed["nb_pdl"].is_null() & (df["nb_pdl"] != "")) | (typed["nb_pdl"] < 0).fill_null(False)
    | (typed["cout_eur"].is_null() & (df["cout_eur"] != ""))
    | (typed["date_maj"].is_null() & (df["date_maj"] != ""))
)
valid, quarantine = typed.filter(~bad), df.filter(bad)
out = {"rows": df.height, "read_s": time.perf_counter() - t0, "quarantined": int(bad.sum())}
del df, typed
con = duckdb.connect(db)
t1 = time.perf_counter()
con.execute("CREATE TABLE conso AS SELECT * FROM valid")
con.execute("CREATE TABLE quarantine AS SELECT * FROM quarantine")
con.close()
out.update(write_s=time.perf_counter() - t1, written=valid.height)
print(json.dumps(out))
"""


def generate(rows: int, out: Path) -> None:
    utf8 = out.with_suffix(".utf8")
    con = duckdb.connect()
    con.execute(GENERATE.format(rows=rows, out=utf8))
    con.close()
    decoder = codecs.getincrementaldecoder("utf-8")()
    with utf8.open("rb") as fin, out.open("w", encoding="cp1252", newline="") as fout:
        while chunk := fin.read(1 << 24):
            fout.write(decoder.decode(chunk))
    utf8.unlink()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(args: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds, peak RSS bytes, stdout of a child Python process."""
    # Output goes to files, not pipes: a progress bar filling an unread pipe would block the child.
    out_path, err_path = cwd / "child.out", cwd / "child.err"
    started, cpu0 = time.perf_counter(), children_cpu()
    with out_path.open("w") as out_fh, err_path.open("w") as err_fh:
        proc = subprocess.Popen([sys.executable, "-c", *args], cwd=cwd, stdout=out_fh, stderr=err_fh, text=True)
        handle = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                peak = max(peak, handle.memory_info().rss)
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
        proc.wait()
    wall, cpu = time.perf_counter() - started, children_cpu() - cpu0
    out, err = out_path.read_text(), err_path.read_text()
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}):\n{out[-4000:]}\n{err[-4000:]}")
    return wall, cpu, peak, out


def territoria_run(
    csv_path: Path, work: Path, memory_limit: str | None, child: str = TERRITORIA_CHILD
) -> dict[str, Any]:
    from territoria.testing.entries import catalog_entry, file_source, write_entry
    from territoria.workspace import init_workspace

    root = work / "bench-ingest-ws"  # the bench's own workspace, rebuilt at each run
    shutil.rmtree(root, ignore_errors=True)
    init_workspace(root, communes=["35238"], packs=[])
    if memory_limit:
        config = yaml.safe_load((root / "territory.yaml").read_text(encoding="utf-8"))
        config["engine_options"] = {"memory_limit": memory_limit}
        (root / "territory.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    os.link(csv_path, root / "data" / "conso.csv")
    entry = catalog_entry("conso", file_source("conso.csv"), title="Consommations (bench)", schema=SCHEMA)
    write_entry(root / "sources", entry)
    wall, cpu, peak, out = run_child([child, str(root)], work)
    con = duckdb.connect(str(root / ".territoria" / "store" / "store.duckdb"), read_only=True)
    step = con.execute(
        "SELECT rows_in, rows_out, rows_quarantined, wall_s, peak_rss_bytes FROM _territoria.step_runs "
        "WHERE step = 'ingest:conso'"
    ).fetchone()
    con.close()
    assert step is not None
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss": peak,
        "rows_in": step[0],
        "rows_out": step[1],
        "step_wall_s": step[3],
        "phases": [line.removeprefix("phase ") for line in out.splitlines() if line.startswith("phase ")],
    }


def pandas_run(csv_path: Path, work: Path, mode: str, budget: float) -> dict[str, Any]:
    return peer_run(work, [PANDAS_CHILD, str(csv_path), str(work / f"pandas-{mode}.duckdb"), str(budget), mode])


def polars_run(csv_path: Path, work: Path) -> dict[str, Any]:
    return peer_run(work, [POLARS_CHILD, str(csv_path), str(work / "polars.duckdb")])


def peer_run(work: Path, args: list[str]) -> dict[str, Any]:
    """A peer's child run on ``args`` (the code, then the CSV and the DuckDB file it writes)."""
    db = Path(args[2])
    db.unlink(missing_ok=True)
    wall, cpu, peak, out = run_child(args, work)
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result.update(wall_s=wall, cpu_s=cpu, peak_rss=peak)
    db.unlink(missing_ok=True)
    return result


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--gb", type=float, help="size the file to about this many GB instead of --rows")
    parser.add_argument("--to-sql-budget", type=float, default=60.0, help="seconds given to DataFrame.to_sql")
    parser.add_argument("--memory-limit", default="512MB", help="DuckDB memory_limit of the bench workspace")
    parser.add_argument("--skip-pandas", action="store_true", help="and polars: territoria alone")
    parser.add_argument(
        "--repeat", type=int, default=1, help="then run territoria and polars this many times more, alternately"
    )
    parser.add_argument(
        "--phases", action="store_true", help="then territoria once more, with the CPU of each statement and pass"
    )
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--reuse", action="store_true", help="keep the CSV already in --workdir")
    args = parser.parse_args()
    if args.workdir is None:
        # only a directory the bench created itself is deleted at the end; a --workdir is the user's
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            bench(args, Path(tmp))
    else:
        args.workdir.mkdir(parents=True, exist_ok=True)
        bench(args, args.workdir)


def bench(args: argparse.Namespace, work: Path) -> None:
    rows = int(args.gb * 1e9 / 84) if args.gb else args.rows  # ~84 bytes per generated line
    csv_path = work / "conso.csv"
    t0 = time.perf_counter()
    if not (args.reuse and csv_path.exists()):
        generate(rows, csv_path)
    rows = sum(1 for _ in csv_path.open("rb")) - 1 if args.reuse else rows
    size = csv_path.stat().st_size
    took = time.perf_counter() - t0
    print(f"file: {rows:,} rows, {mb(size)}, Windows-1252, ';', decimal comma (generated in {took:.1f}s)")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    terr = territoria_run(csv_path, work, args.memory_limit)
    t_rate = rows / terr["wall_s"]
    print(
        f"territoria run: {terr['wall_s']:.1f}s whole process ({t_rate:,.0f} rows/s; "
        f"CPU {terr['cpu_s']:.1f}s), ingest step "
        f"{terr['step_wall_s']:.1f}s ({rows / terr['step_wall_s']:,.0f} rows/s), {terr['rows_out']:,} rows staged, "
        f"peak RSS {mb(terr['peak_rss'])} (memory_limit {args.memory_limit})  [load {load()}]"
    )
    if not args.skip_pandas:
        peers(args, csv_path, work, rows, terr)
    if args.repeat > 1:
        repeated(args, csv_path, work, rows)
    if args.phases:
        timed = territoria_run(csv_path, work, args.memory_limit, PHASES_CHILD)
        print(f"territoria run, where the CPU goes (statements shortened)  [load {load()}]")
        print("\n".join(f"  {line}" for line in timed["phases"]))


def repeated(args: argparse.Namespace, csv_path: Path, work: Path, rows: int) -> None:
    """territoria and polars run alternately ``--repeat`` times, then their medians: on a machine
    other jobs load, one run of each says little (CPU seconds vary less than wall seconds)."""
    runs: dict[str, list[dict[str, Any]]] = {"territoria": [], "polars": []}
    with_polars = importlib.util.find_spec("polars") is not None
    for i in range(args.repeat):
        terr = territoria_run(csv_path, work, args.memory_limit)
        runs["territoria"].append(terr)
        line = f"repeat {i + 1}: territoria {terr['wall_s']:.1f}s, CPU {terr['cpu_s']:.1f}s"
        if with_polars:
            pol = polars_run(csv_path, work)
            runs["polars"].append(pol)
            line += f"; polars {pol['wall_s']:.1f}s, CPU {pol['cpu_s']:.1f}s"
        print(f"{line}  [load {load()}]")
    medians = {
        name: (statistics.median(r["wall_s"] for r in done), statistics.median(r["cpu_s"] for r in done))
        for name, done in runs.items()
        if done
    }
    summary = "; ".join(f"{n} {w:.1f}s ({rows / w:,.0f} rows/s), CPU {c:.1f}s" for n, (w, c) in medians.items())
    if with_polars:
        (t_wall, t_cpu), (p_wall, p_cpu) = medians["territoria"], medians["polars"]
        summary += f"; territoria / polars: {p_wall / t_wall:.2f}x wall, {p_cpu / t_cpu:.2f}x CPU"
    print(f"medians of {args.repeat} runs: {summary}")


def peers(args: argparse.Namespace, csv_path: Path, work: Path, rows: int, terr: dict[str, Any]) -> None:
    """The pandas and polars peers on the same file, the ratios and the goals."""
    t_rate = rows / terr["wall_s"]
    fair = pandas_run(csv_path, work, "validate", 0)
    v_rate = rows / fair["wall_s"]
    print(
        f"pandas, same checks vectorised (read_csv as text, pattern/enum/types/minimum/secret masks) + DuckDB "
        f"register: {fair['wall_s']:.1f}s ({v_rate:,.0f} rows/s; CPU {fair['cpu_s']:.1f}s), "
        f"{fair['quarantined']:,} rows quarantined, peak RSS {mb(fair['peak_rss'])}  [load {load()}]"
    )
    fast = pandas_run(csv_path, work, "register", 0)
    f_rate = rows / fast["wall_s"]
    print(
        f"pandas read_csv (no checks) + DuckDB register/CREATE TABLE AS: {fast['wall_s']:.1f}s ({f_rate:,.0f} rows/s; "
        f"CPU {fast['cpu_s']:.1f}s; read_csv {fast['read_s']:.1f}s), peak RSS {mb(fast['peak_rss'])}  [load {load()}]"
    )
    print(
        f"ratio territoria / fair pandas (same checks): {fair['wall_s'] / terr['wall_s']:.2f}x wall, "
        f"{fair['cpu_s'] / terr['cpu_s']:.2f}x CPU; "
        f"/ pandas without checks: {fast['wall_s'] / terr['wall_s']:.2f}x wall"
    )
    fairest, fairest_name = fair, "pandas"
    if importlib.util.find_spec("polars") is None:
        print("polars: skipped (not installed: pip install -e '.[bench]')")
    else:
        pol = polars_run(csv_path, work)
        print(
            f"polars, same checks as expressions (read_csv as text) + DuckDB from the frames: {pol['wall_s']:.1f}s "
            f"({rows / pol['wall_s']:,.0f} rows/s; CPU {pol['cpu_s']:.1f}s), {pol['quarantined']:,} rows quarantined, "
            f"peak RSS {mb(pol['peak_rss'])}  [load {load()}]"
        )
        print(
            f"ratio territoria / polars (same checks): {pol['wall_s'] / terr['wall_s']:.2f}x wall, "
            f"{pol['cpu_s'] / terr['cpu_s']:.2f}x CPU"
        )
        if pol["wall_s"] < fair["wall_s"]:
            fairest, fairest_name = pol, "polars"
    fair_ratio = fairest["wall_s"] / terr["wall_s"]
    if importlib.util.find_spec("duckdb_engine") is None:
        print("pandas DataFrame.to_sql: skipped (duckdb-engine is not installed: pip install -e '.[bench]')")
    else:
        slow = pandas_run(csv_path, work, "to_sql", args.to_sql_budget)
        sql_rate = slow["written"] / slow["write_s"]
        extrapolated = slow["read_s"] + rows / sql_rate
        print(
            f"pandas read_csv + DataFrame.to_sql (duckdb_engine): read_csv {slow['read_s']:.1f}s, to_sql wrote "
            f"{slow['written']:,} rows in {slow['write_s']:.1f}s ({sql_rate:,.0f} rows/s); all {rows:,} rows: "
            f"{extrapolated:,.0f}s extrapolated ({rows / extrapolated:,.0f} rows/s), CPU {slow['cpu_s']:.1f}s, "
            f"peak RSS {mb(slow['peak_rss'])}; ratio {extrapolated / terr['wall_s']:.1f}x (extrapolated)"
        )
    print(
        f"goals: >= 1M rows/s: {'met' if t_rate >= 1e6 else 'NOT met'}; >= 3x the fairest peer ({fairest_name}, "
        f"{fair_ratio:.2f}x wall): {'met' if fair_ratio >= 3 else 'NOT met'}; "
        f"< 1 GB: {'met' if terr['peak_rss'] < 1e9 else 'NOT met'}"
    )


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
