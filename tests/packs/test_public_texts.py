"""Every dataset a pack declares says what it is in French, for the public: the catalogue, the
dashboard and DCAT show that text; the technical notes for the data team stay beside it."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest
import yaml

from territoria.publication.dcat_terms import language_of

PACKS = sorted(ep.name for ep in entry_points(group="territoria.packs"))


def pack_dir(name: str) -> Path:
    module = next(ep for ep in entry_points(group="territoria.packs") if ep.name == name).load()
    return Path(module.__file__).parent


def public_texts(name: str) -> list[tuple[str, str]]:
    root = pack_dir(name)
    pack = yaml.safe_load((root / "pack.yaml").read_text(encoding="utf-8"))
    texts = [(f"model {m['name']}", m.get("summary", "")) for m in pack.get("models") or []]
    texts += [(f"indicator {i['id']}", i.get("description", "")) for i in pack.get("indicators") or []]
    for path in sorted((root / "sources").glob("*.yaml")):
        source = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts.append((f"source {source['identifier']}", source.get("summary", "")))
    return texts


@pytest.mark.parametrize("pack", PACKS)
def test_every_dataset_says_what_it_is_in_french(pack: str) -> None:
    texts = public_texts(pack)
    assert texts
    missing = [what for what, text in texts if not text.strip()]
    assert not missing, f"no public summary: {missing}"
    technical = [what for what, text in texts if "`" in text or "_" in text]
    assert not technical, f"developer notation in a public text: {technical}"
    english = [what for what, text in texts if language_of(text) != "fr"]
    assert not english, f"not in French: {english}"
