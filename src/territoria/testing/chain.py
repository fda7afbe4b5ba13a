"""A workspace-local pack of chained SQL models, for the runner's tests and its benchmark.

``write_chain_pack(root, 40)`` declares models ``m_0`` ... ``m_39`` where ``m_0`` is
``SELECT 0 AS x`` and each next one adds 1 to the previous (``ref('m_{i-1}')``), registers the
pack in ``territory.yaml`` and removes the workspace's file sources, so that a run is nothing but
the chain. ``sql`` overrides the SQL of chosen models (to make one fail, or change one).
"""

from __future__ import annotations

from pathlib import Path

import yaml


def chain_sql(i: int) -> str:
    return "SELECT 0 AS x" if i == 0 else f"SELECT x + 1 AS x FROM ref('m_{i - 1}')"


def write_chain_pack(root: Path, steps: int, sql: dict[int, str] | None = None) -> None:
    pack = root / "chain"
    (pack / "models").mkdir(parents=True, exist_ok=True)
    models = []
    for i in range(steps):
        text = (sql or {}).get(i, chain_sql(i))
        (pack / "models" / f"m_{i}.sql").write_text(text + "\n", encoding="utf-8")
        models.append({"name": f"m_{i}", "title": f"step {i}", "sql": f"models/m_{i}.sql"})
    doc = {"name": "chain", "title": "chain", "models": models}
    (pack / "pack.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    config_file = root / "territory.yaml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    config["packs"] = {"chain": {"path": "chain"}}
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    for source in (root / "sources").glob("*.yaml"):
        source.unlink()


__all__ = ["chain_sql", "write_chain_pack"]
