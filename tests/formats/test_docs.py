"""The entries shown in docs/files.md are valid, and the CSV one runs as documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from territoria.catalog.model import DatasetEntry
from territoria.connectors.files import FileOptions
from territoria.connectors.formats import available_formats

from .support import SourceFactory

DOC = Path(__file__).parents[2] / "docs" / "files.md"


def entries() -> list[dict[str, Any]]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [yaml.safe_load(b) for b in blocks]


def test_every_documented_entry_is_valid() -> None:
    found = entries()
    assert len(found) == 5
    for raw in found:
        entry = DatasetEntry.model_validate(raw)
        options = FileOptions.model_validate(entry.source.options)
        assert options.format in available_formats()


def test_documented_csv_entry_runs(make_source: SourceFactory) -> None:
    raw = entries()[0]
    body = (
        "code_commune;annee;conso_mwh;nb_sites;date_maj\n"
        "35238;2022;1234,5;12;30/06/2023\n35047;2022;s;2;30/06/2023\n35047;2023;1,5;-1;01/07/2024\n"
    )
    src = make_source(body.encode("cp1252"), read=raw["source"]["read"], schema=raw["schema"])
    assert src.run().status == "success"
    rows = [r[:5] for r in src.staged]
    assert rows == [("35047", 2022, None, True, 2), ("35238", 2022, 1234.5, False, 12)]
    assert [(q[0], q[2]) for q in src.quarantined] == [(4, ["nb_sites: minimum 0.0"])]
