"""The territory's own inputs (its list of cool places, the census bases it downloads...): a
territory other than the demo gets entries that read ``data/<x>.<ext>`` and are not labelled
synthetic, down to the published provenance and DCAT; only the demo, which writes synthetic files,
labels them synthetic, and ``init --force`` labels them as the files they read are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from territoria.catalog.model import DatasetEntry
from territoria.catalog.own_inputs import demo_form, territory_form
from territoria.catalog.packs import available_packs, load_pack
from territoria.cli.main import app
from territoria.core.yamlio import load_model
from territoria.pipelines import build_plan, run_pipeline
from territoria.publication.dcat import dcat_catalog
from territoria.publication.snapshot import current_snapshot
from territoria.workspace import Workspace, init_workspace

COMMUNES = ["35047", "35066"]  # Bruz, Chartres-de-Bretagne
PLACES = "identifiant;nom;type;longitude;latitude;code_commune\nL1;Parc de Bruz;parc;-1.7459;48.0247;35047\n"


def _pack_sources() -> list[Path]:
    return [p for name in available_packs() for p in load_pack(name).source_files()]


def _entry(text: str) -> DatasetEntry:
    return DatasetEntry.model_validate(yaml.safe_load(text.replace("${territory.", "${")))


def test_every_demo_input_has_an_honest_form_for_other_territories() -> None:
    own = [p for p in _pack_sources() if demo_form(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")]
    assert len(own) >= 15
    for path in _pack_sources():
        text = path.read_text(encoding="utf-8")
        demo = _entry(demo_form(text))
        real = _entry(territory_form(text, path.name))
        if path not in own:
            assert not demo.synthetic, f"{path.name} is labelled synthetic for every territory: add `territory_input:`"
            continue
        assert demo.synthetic, path.name
        assert not real.synthetic
        assert ".synthetic" not in str(real.source.options.get("path"))
        for text_ in (real.title, real.summary, real.publisher.name):
            assert "synth" not in text_.lower(), (path.name, text_)
        assert "DEMO DATA" not in real.description and "TO SUPPLY" in real.description
        assert real.schema_ is not None
        required = [f.name for f in real.schema_.fields if f.constraints.required]
        assert all(name in real.description for name in required), (path.name, real.description)


def _run(ws: Workspace) -> dict[str, Any]:
    with ws.engine() as engine:
        summary = run_pipeline(ws, engine)  # and publish
    assert summary.status == "success", [(r.step, r.error) for r in summary.failed]
    return {r.step: r for r in summary.records}


def _published(ws: Workspace) -> dict[str, dict[str, Any]]:
    snapshot = current_snapshot(ws.private)
    assert snapshot is not None
    catalog = json.loads((snapshot.path / "catalog.json").read_text(encoding="utf-8"))
    return {d["id"]: d for d in catalog["datasets"] + catalog["indicators"]}


def test_a_real_territory_s_list_is_not_labelled_synthetic(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", communes=COMMUNES, packs=["social_health"])
    entry = load_model(ws.sources_dir / "lieux-frais.yaml", DatasetEntry)
    assert not entry.synthetic and entry.source.options["path"] == "data/lieux-frais.csv"
    assert "synth" not in entry.publisher.name
    assert "identifiant, nom, type, longitude, latitude" in entry.description
    # not supplied yet: the step waits, saying which file to drop in (no failure, no traceback)
    records = _run(ws)
    assert records["ingest:lieux-frais"].status == "waiting"
    assert "data/lieux-frais.csv does not exist" in (records["ingest:lieux-frais"].error or "")
    result = CliRunner().invoke(app, ["sources", "status", "--json", "--workspace", str(ws.root)])
    states = {s["dataset"]: s for s in json.loads(result.output)["sources"]}
    assert states["lieux-frais"]["state"] == "missing"

    (ws.root / "data" / "lieux-frais.csv").write_text(PLACES, encoding="utf-8")
    records = _run(ws)
    assert records["ingest:lieux-frais"].status == "success"
    published = _published(ws)
    for name in ("lieux-frais", "lieux_frais_couverture", "acces_lieux_frais"):
        assert published[name]["synthetic"] is False, name
        assert not [s for s in published[name]["sources"] if s["synthetic"]], name
    nodes = {n["dct:identifier"]: n for n in dcat_catalog(ws, build_plan(ws))["dcat:dataset"]}
    assert "adms:status" not in nodes["lieux-frais"] and "adms:status" not in nodes["acces_lieux_frais"]


def test_the_demo_labels_its_inputs_and_init_force_keeps_them(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", communes=COMMUNES, packs=["social_health"])
    load_pack("social_health").run_hook("prepare_demo", ws)
    pack_text = (load_pack("social_health").directory / "sources" / "lieux-frais.yaml").read_text(encoding="utf-8")
    written = (ws.sources_dir / "lieux-frais.yaml").read_text(encoding="utf-8")
    assert written == demo_form(pack_text)  # the demo's entry, byte for byte
    assert load_model(ws.sources_dir / "lieux-frais.yaml", DatasetEntry).synthetic
    assert (ws.root / "data" / "lieux-frais.synthetic.csv").is_file()

    # an entry the demo never labelled, edited by hand: --force rewrites it, as before
    fresh = init_workspace(tmp_path / "fresh", communes=COMMUNES, packs=["social_health"])
    filosofi = ws.sources_dir / "filosofi-communes.yaml"
    filosofi.write_text(filosofi.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")

    _init_force(ws, "social_health")  # the pack's entries are rewritten only if the pack is named
    assert (ws.sources_dir / "lieux-frais.yaml").read_text(encoding="utf-8") == written
    assert load_model(ws.sources_dir / "lieux-frais.yaml", DatasetEntry).synthetic
    assert filosofi.read_text(encoding="utf-8") == (fresh.sources_dir / "filosofi-communes.yaml").read_text("utf-8")
    assert not load_model(filosofi, DatasetEntry).synthetic


@pytest.mark.parametrize("key", ["path", "synthetic"])
def test_a_pack_cannot_hide_the_label_in_its_block(key: str) -> None:
    from territoria.core.errors import ConfigError

    text = f"identifier: x\nsynthetic: true\nsource: {{kind: file}}\nterritory_input:\n  {key}: y\n"
    with pytest.raises(ConfigError) as err:
        territory_form(text, "x.yaml")
    assert key in err.value.message


def _init_force(ws: Workspace, pack: str) -> None:
    args = ["init", str(ws.root), "--communes", ",".join(COMMUNES), "--pack", pack, "--force"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output


def _synthetic(ws: Workspace, source: str) -> bool:
    return load_model(ws.sources_dir / f"{source}.yaml", DatasetEntry).synthetic


def test_init_force_labels_an_entry_as_the_file_it_reads_is(tmp_path: Path) -> None:
    """The demo's file replaced by the territory's (same path): `init --force` unlabels the entry;
    the demo's bytes put back: labelled again. A label follows the data, not the former entry."""
    ws = init_workspace(tmp_path / "ws", communes=COMMUNES, packs=["energy_ghg"])
    load_pack("energy_ghg").run_hook("prepare_demo", ws)
    demo_entry = (ws.sources_dir / "conso-elec-iris.yaml").read_text(encoding="utf-8")
    data = ws.root / "data" / "conso-elec-iris.csv"
    demo_bytes = data.read_bytes()
    _init_force(ws, "energy_ghg")
    assert (ws.sources_dir / "conso-elec-iris.yaml").read_text(encoding="utf-8") == demo_entry  # untouched: kept

    data.write_bytes(demo_bytes.replace(b"\n", b"\r\n"))  # the territory's own export, with its own bytes
    _init_force(ws, "energy_ghg")
    assert not _synthetic(ws, "conso-elec-iris") and _synthetic(ws, "conso-elec-gaz-commune")
    assert "TO SUPPLY" in (ws.sources_dir / "conso-elec-iris.yaml").read_text(encoding="utf-8")

    data.write_bytes(demo_bytes)
    _init_force(ws, "energy_ghg")
    assert (ws.sources_dir / "conso-elec-iris.yaml").read_text(encoding="utf-8") == demo_entry


def test_init_force_reads_the_territory_s_file_dropped_next_to_the_demo_s(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", communes=COMMUNES, packs=["social_health"])
    load_pack("social_health").run_hook("prepare_demo", ws)
    (ws.root / "data" / "lieux-frais.csv").write_text(PLACES, encoding="utf-8")
    _init_force(ws, "social_health")
    entry = load_model(ws.sources_dir / "lieux-frais.yaml", DatasetEntry)
    assert not entry.synthetic and entry.source.options["path"] == "data/lieux-frais.csv"
    assert _synthetic(ws, "population-iris")  # its demo file is still the only one: still the demo's


def test_a_demo_workspace_older_than_the_record_is_recorded_by_its_bytes(tmp_path: Path) -> None:
    """A demo built before ``demo-inputs.json`` existed: `init --force` runs the demo again for the
    same territory aside and records a file only if it holds exactly what the demo writes; from
    then on the entry follows its file, as in a recent demo. A file that differs keeps its label
    (it may be an older demo's)."""
    ws = init_workspace(tmp_path / "ws", communes=COMMUNES, packs=["social_health"])
    load_pack("social_health").run_hook("prepare_demo", ws)
    current = (ws.sources_dir / "lieux-frais.yaml").read_text(encoding="utf-8")
    (ws.private / "demo-inputs.json").unlink()  # as an older version left it
    (ws.sources_dir / "lieux-frais.yaml").write_text(current.replace("title:", "title: Ancien"), encoding="utf-8")
    atmo = ws.root / "data" / "indice-atmo.synthetic.csv"
    atmo.write_bytes(atmo.read_bytes().replace(b"\n", b"\r\n"))  # not what today's demo writes
    atmo_entry = (ws.sources_dir / "indice-atmo.yaml").read_text(encoding="utf-8")

    _init_force(ws, "social_health")
    assert (ws.sources_dir / "lieux-frais.yaml").read_text(encoding="utf-8") == current  # the demo's, updated
    record = json.loads((ws.private / "demo-inputs.json").read_text(encoding="utf-8"))
    assert "data/lieux-frais.synthetic.csv" in record and "data/indice-atmo.synthetic.csv" not in record
    assert (ws.sources_dir / "indice-atmo.yaml").read_text(encoding="utf-8") == atmo_entry  # kept, labelled

    places = ws.root / "data" / "lieux-frais.synthetic.csv"
    places.write_text(PLACES, encoding="utf-8")  # the territory's own list, where the demo's was
    _init_force(ws, "social_health")
    assert not _synthetic(ws, "lieux-frais") and _synthetic(ws, "indice-atmo")
