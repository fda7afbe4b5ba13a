"""Every `source:` example of docs/connectors.md is a valid configuration of its connector."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from territoria.connectors.propose import detect
from territoria.connectors.spec import available_connectors, get_connector, parse_options

DOC = Path(__file__).resolve().parents[2] / "docs" / "connectors.md"
BLOCKS = [b for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S) if "source:" in b]
#: the kinds in the table of docs/connectors.md
TABLE = re.findall(r"^\| `([a-z_]+)` \|", DOC.read_text(encoding="utf-8"), re.M)
COMMANDS = re.findall(r"^    territoria sources add (\S+)", DOC.read_text(encoding="utf-8"), re.M)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: yaml.safe_load(b)["source"]["kind"])
def test_documented_sources_are_valid(block: str) -> None:
    source = dict(yaml.safe_load(block)["source"])
    connector = get_connector(source.pop("kind"))
    parse_options(connector, "doc", source)


def test_every_connector_is_documented() -> None:
    """Every installed connector has a row in the table; every remote one an example to copy."""
    installed = set(available_connectors())
    assert installed - set(TABLE) == set()
    examples = {yaml.safe_load(b)["source"]["kind"] for b in BLOCKS}
    # file: docs/files.md; referential and sensors: written by the packs that use them
    assert installed - {"file", "referential", "sensors"} - examples == set()


@pytest.mark.parametrize("kind", ["ods", "udata", "hubeau", "ogcapi", "wfs", "postgres", "http"], ids=str)
def test_documented_add_commands_detect_their_kind(kind: str) -> None:
    assert kind in [detect(url.strip('"'))[0] for url in COMMANDS]
