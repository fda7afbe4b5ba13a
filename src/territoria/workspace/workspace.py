"""Create and open territory workspaces.

Layout::

    territory.yaml   name, EPCI, member communes, meshes, referential vintages, packs
    sources/         one catalog entry (YAML) per source dataset
    policies.yaml    roles, access, conventions, secrecy overrides, retention, footprint (workspace/policies.py)
    data/            files the team drops in (demo inputs are generated here)
    .territoria/     the tool's: store/, landing/, lock, tmp/
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from territoria.catalog.model import DatasetEntry
from territoria.catalog.own_inputs import demo_form, demo_path, territory_form, territory_path
from territoria.core.errors import ConfigError, NotFoundError, UserError
from territoria.core.hashing import sha256_file
from territoria.core.suggest import did_you_mean
from territoria.core.yamlio import load_model, present, read_yaml, write_yaml
from territoria.engines.base import Engine
from territoria.engines.registry import open_engine
from territoria.landing import Landing
from territoria.reference.arrondissements import arrondissements_of
from territoria.reference.referential import Commune, Referential, referential
from territoria.workspace.lock import WorkspaceLock
from territoria.workspace.model import TERRITORY_MESH, PackConfig, TerritoryConfig
from territoria.workspace.policies import DEFAULT_POLICIES, load_policies
from territoria.workspace.policies import FILE as POLICIES

if TYPE_CHECKING:
    from territoria.catalog.packs import Pack

CONFIG = "territory.yaml"
PRIVATE = ".territoria"
#: in ``.territoria/``: the sha256 of each file a pack's ``prepare_demo`` wrote for its demo entries
DEMO_INPUTS = "demo-inputs.json"


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "territoire"


def _private_dir(private: Path) -> None:
    """``.territoria/`` holds the store, raw payloads, tokens and the audit log: only its owner may
    enter it (0700), whatever the umask; a folder made by an older version is tightened once."""
    private.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = private.stat().st_mode & 0o777
    if mode != 0o700 and private.stat().st_uid == os.getuid():
        private.chmod(0o700)


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        config_path = self.root / CONFIG
        if not present(config_path):  # a folder or a broken link there is a ConfigError of its own
            raise NotFoundError(
                f"{self.root} is not a territoria workspace (no {CONFIG})",
                hint="create one with `territoria init DIR --epci SIREN`, or pass --workspace DIR",
            )
        self.config = load_model(config_path, TerritoryConfig, label=CONFIG)
        self.private = self.root / PRIVATE
        self.store_dir = self.private / "store"
        self.tmp_dir = self.private / "tmp"
        _private_dir(self.private)
        for d in (self.store_dir, self.tmp_dir):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.landing = Landing(self.private / "landing")

    @property
    def sources_dir(self) -> Path:
        return self.root / "sources"

    def policies(self) -> dict[str, Any]:
        """``policies.yaml``, validated (every problem raised at once, by line), as the mapping of
        what the file sets. Consumers read it typed: ``as_policies`` (``workspace/policies.py``),
        ``load_policy``, ``retention_policy``, ``AccessPolicy`` and the secrecy guard all take it.
        """
        return load_policies(self.root / POLICIES).model_dump(exclude_unset=True)

    def entries(self) -> dict[str, DatasetEntry]:
        entries: dict[str, DatasetEntry] = {}
        if not present(self.sources_dir, folder=True):  # a file there says so, not "nothing produces X"
            return entries
        for path in sorted(self.sources_dir.glob("*.yaml")):
            entry = load_model(path, DatasetEntry, label=f"sources/{path.name}")
            if entry.identifier in entries:
                raise ConfigError(
                    f"two catalog entries declare the identifier {entry.identifier!r}", hint=f"rename one ({path.name})"
                )
            entries[entry.identifier] = entry
        return entries

    def pack_path(self, name: str) -> Path | None:
        path = self.config.packs[name].path
        return (self.root / path) if path else None

    def set_parameters(self, pack: str, values: dict[str, Any], *, only_unset: bool = False) -> None:
        """Set parameters of a pack in territory.yaml (what a user does by hand); ``only_unset``
        leaves the values the workspace already set alone."""
        if pack not in self.config.packs:
            raise ConfigError(f"pack {pack!r} is not in {CONFIG}", hint=did_you_mean(pack, self.config.packs))
        current = self.config.packs[pack].parameters
        changes = {k: v for k, v in values.items() if not only_unset or current.get(k) is None}
        if not changes:
            return
        current.update(changes)
        write_yaml(self.root / CONFIG, self.config.model_dump(mode="json"))

    def parameters_to_fill(self) -> dict[str, dict[str, str]]:
        """pack -> {parameter: what it means} for the territory's own choices still unset."""
        from territoria.catalog.packs import load_pack

        result: dict[str, dict[str, str]] = {}
        for name in self.enabled_packs():
            wanted = load_pack(name, self.pack_path(name)).to_fill()
            unset = {k: v for k, v in wanted.items() if self.config.packs[name].parameters.get(k) is None}
            if unset:
                result[name] = unset
        return result

    def use_demo_entries(self, pack: Pack) -> None:
        """Write the demonstration's form of the pack's entries of the territory's own inputs
        (labelled synthetic, reading the synthetic files its ``prepare_demo`` writes; see
        ``catalog/own_inputs.py``); the pack's other entries are left as they are."""
        fills = territory_placeholders(self.config)
        for src in pack.source_files():
            text = src.read_text(encoding="utf-8")
            if demo_form(text) != text:
                (self.sources_dir / src.name).write_text(_demo_entry(text, fills), encoding="utf-8")

    def record_demo_inputs(self, pack: Pack) -> None:
        """Remember what the files of the pack's demo entries hold, as its ``prepare_demo`` just
        wrote them: ``init --force`` labels such an entry synthetic while its file holds that."""
        record = _demo_inputs(self.private)
        for src in pack.source_files():
            path = demo_path(src.read_text(encoding="utf-8"))
            if path and (self.root / path).is_file():
                record[path] = sha256_file(self.root / path)
        (self.private / DEMO_INPUTS).write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")

    def enabled_packs(self) -> list[str]:
        return [name for name, pack in self.config.packs.items() if pack.enabled]

    @contextmanager
    def lock(self, wait_seconds: float = 0.0) -> Iterator[None]:
        with WorkspaceLock(self.private / "lock", wait_seconds=wait_seconds):
            yield

    @contextmanager
    def engine(self, wait_seconds: float = 0.0) -> Iterator[Engine]:
        """The store, under the workspace lock (one territoria process at a time)."""
        with self.lock(wait_seconds):
            engine = open_engine(self.config.engine, self.store_dir, **self.config.engine_options)
            try:
                yield engine
            finally:
                engine.close()


def resolve_communes(
    ref: Referential,
    epci: str | None,
    communes: list[str] | None,
    departements: list[str] | None = None,
    regions: list[str] | None = None,
) -> tuple[list[str], str | None, str | None]:
    if not epci and not communes and not departements and not regions:
        raise UserError(
            "say which territory: --epci SIREN, --communes CODE,CODE,..., --departement CODE or --region CODE"
        )
    codes: list[str] = []
    epci_name = None
    if epci:
        found = ref.epci(epci)
        codes.extend(found.membres)
        epci, epci_name = found.siren, found.nom
    for region in regions or []:
        codes.extend(ref.region(region).communes)
    for dep in departements or []:
        codes.extend(ref.departement(dep).communes)
    for code in communes or []:
        codes.append(ref.commune(code).code)
    return sorted(dict.fromkeys(codes)), epci, epci_name


def _default_name(
    ref: Referential,
    codes: list[str],
    epci_name: str | None,
    departements: list[str] | None,
    regions: list[str] | None = None,
) -> str:
    """The EPCI's name; the regions' and départements' names joined when the territory is exactly
    their communes (a département inside a named region adds no name); the single commune's; else
    a count of communes."""
    if epci_name:
        return epci_name
    whole = [ref.region(r) for r in dict.fromkeys(regions or [])]
    inside = {c for r in whole for c in r.communes}
    deps = [ref.departement(d) for d in dict.fromkeys(departements or [])]
    names = [r.nom for r in whole] + [d.nom for d in deps if not inside.issuperset(d.communes)]
    if names and len(codes) == len(inside.union(*(d.communes for d in deps))):
        return " et ".join(dict.fromkeys(names))
    return ref.commune(codes[0]).nom if len(codes) == 1 else f"Territoire de {len(codes)} communes"


PLACEHOLDER = re.compile(r"\$\{([a-z_.]+)\}")


def territory_placeholders(config: TerritoryConfig) -> dict[str, str]:
    """What a pack's catalog entries may say as ``${territory.X}``, filled in at init: a pack's
    sources name the workspace's territory, never the one it was written for."""
    ref = referential()
    members = [ref.communes[c] for c in config.communes if c in ref.communes]
    deps = sorted({m.departement for m in members if m.departement})
    regions = sorted({m.region for m in members if m.region})
    return {
        "territory.epci": config.epci or "",
        "territory.communes": ",".join(config.communes),
        "territory.departements": ",".join(deps),
        # Météo-France's files name Corsica as before 1976 (Q_20_..., stations 20004002)
        "territory.departements_meteo": ",".join(sorted({"20" if d in ("2A", "2B") else d for d in deps})),
        "territory.regions": ",".join(regions),
        "territory.ods_where": _ods_where(ref, config, members, deps, regions),
    }


def _ods_where(
    ref: Referential, config: TerritoryConfig, members: list[Commune], deps: list[str], regions: list[str]
) -> str:
    """An Opendatasoft `where` selecting the territory's rows: by EPCI; by region or département when
    the territory is every commune of them (`init --region`, `--departement`), a filter of a few
    bytes where the list of communes made a URL of up to 9 kB (Pas-de-Calais: 890 communes), 15 kB
    for Bretagne's 1,202; by commune otherwise. An EPCI with communes of its own added (`--epci
    --communes`) asks for both: by EPCI alone, the added communes' rows never came."""

    def by_commune(codes: list[str]) -> str:
        # a producer may name Paris, Lyon or Marseille's rows by arrondissement (Enedis's IRIS file)
        quoted = ", ".join(f'"{c}"' for code in codes for c in (code, *arrondissements_of(code)))
        return f"code_commune IN ({quoted})"

    if config.epci:
        epci = ref.epcis.get(config.epci)
        added = [c for c in config.communes if epci is None or c not in epci.membres]
        by_epci = f'code_epci="{config.epci}"'
        return f"{by_epci} OR {by_commune(added)}" if added else by_epci
    exact = len(members) == len(config.communes)
    if exact and regions and len(members) == sum(len(ref.regions[r].communes) for r in regions if r in ref.regions):
        return _ods_in("code_region", regions)
    if exact and deps and sum(1 for c in ref.communes.values() if c.departement in deps) == len(members):
        return _ods_in("code_departement", deps)
    return by_commune(config.communes)


def _ods_in(field: str, codes: list[str]) -> str:
    """An Opendatasoft `where` on one of the fields both portals' exports have (Agence ORE's commune
    file and Enedis's IRIS file: code_region, code_departement)."""
    return f"{field} IN (" + ", ".join(f'"{c}"' for c in codes) + ")"


def _labelled_synthetic(path: Path) -> bool:
    try:
        entry = read_yaml(path)
    except ConfigError:  # unreadable: rewritten, as any other entry
        return False
    return isinstance(entry, dict) and entry.get("synthetic") is True


def _demo_inputs(private: Path) -> dict[str, str]:
    try:
        record = json.loads((private / DEMO_INPUTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _demo_entry(text: str, fills: dict[str, str]) -> str:
    return fill_placeholders(demo_form(text), fills)


def _form_over(directory: Path, record: dict[str, str], text: str, target: Path) -> str:
    """The form of a pack's entry ``init --force`` writes over an existing one: ``territory``,
    ``demo`` (labelled synthetic) or ``keep``. An entry of the territory's own inputs is labelled
    as the file it reads is, whatever its label was: the demo's form while that file still holds
    what the demo wrote, the territory's once the territory supplied its own (at the demo's path,
    or next to it). ``record``: the workspace's ``demo-inputs.json``, read once per init."""
    demo = demo_path(text)
    if demo is not None:
        real, file = directory / territory_path(demo), directory / demo
        if real != file and real.exists():
            return "territory"
    if demo is None or demo not in record:
        # the same entry for every territory, or a file no demo is known to have written: an entry
        # labelled synthetic (the demo's, or one a team labelled) keeps its label and its path
        return "keep" if _labelled_synthetic(target) else "territory"
    return "demo" if file.is_file() and sha256_file(file) == record[demo] else "territory"


def _demo_record(directory: Path, config: TerritoryConfig, loaded: list[Pack]) -> dict[str, str]:
    """The workspace's record of its demo's files; for a demo workspace made before the record
    existed, made once now: the packs' demos run again for the same territory in a scratch folder
    (they are deterministic), and a file in place is recorded only if it holds exactly those bytes.
    A file that differs (the territory's own, or an older demo's) is left unrecorded: its entry
    keeps its label."""
    private = directory / PRIVATE
    if (private / DEMO_INPUTS).exists():
        return _demo_inputs(private)
    labelled = {
        demo
        for pack in loaded
        for src in pack.source_files()
        if (demo := demo_path(src.read_text(encoding="utf-8")))
        and (directory / demo).is_file()
        and (directory / "sources" / src.name).is_file()
        and _labelled_synthetic(directory / "sources" / src.name)
    }
    if not labelled:
        return {}
    (private / "tmp").mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=private / "tmp") as scratch_dir:
        names = [p.name for p in loaded]
        scratch = init_workspace(
            Path(scratch_dir), epci=config.epci, communes=config.communes, name=config.name, packs=names
        )
        for pack in loaded:
            pack.run_hook("prepare_demo", scratch)
        made = _demo_inputs(scratch.private)
    record = {path: sha for path, sha in made.items() if path in labelled and sha256_file(directory / path) == sha}
    # written even when empty: the demos run once per workspace, not at every init --force
    (private / DEMO_INPUTS).write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    return record


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise ConfigError(
                f"unknown placeholder ${{{key}}} in a pack's source",
                hint=did_you_mean(key, values) or f"known: {', '.join(values)}",
            )
        return values[key]

    return PLACEHOLDER.sub(fill, text)


def init_workspace(
    directory: Path,
    *,
    epci: str | None = None,
    communes: list[str] | None = None,
    name: str | None = None,
    packs: list[str] | None = None,
    force: bool = False,
    departements: list[str] | None = None,
    regions: list[str] | None = None,
) -> Workspace:
    from territoria.catalog.packs import with_requirements

    ref = referential()
    codes, epci_code, epci_name = resolve_communes(ref, epci, communes, departements, regions)
    config_path = directory / CONFIG
    if config_path.exists() and not force:
        raise UserError(
            f"{directory} already holds a workspace ({CONFIG} exists)",
            hint="pass --force to rewrite its configuration (the store and landed data are kept)",
        )
    title = name or _default_name(ref, codes, epci_name, departements, regions)
    # a pack's required packs come with it (the energy pack reads the territory pack's communes)
    loaded = with_requirements(packs if packs is not None else ["territory"])
    config = TerritoryConfig(
        name=title,
        slug=slugify(title),
        epci=epci_code,
        epci_name=epci_name,
        meshes=["commune", "epci" if epci_code else TERRITORY_MESH],
        communes=codes,
        vintages={
            "communes": ref.vintages["communes"]["version"],
            "boundaries": f"IGN Admin Express {ref.vintages['boundaries']['vintage']}",
        },
        packs={p.name: PackConfig(parameters=p.defaults()) for p in loaded},
        communes_without_boundary=sorted(c for c in codes if c in ref.without_boundary),
    )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sources").mkdir(exist_ok=True)
    (directory / "data").mkdir(exist_ok=True)
    write_yaml(config_path, config.model_dump(mode="json"))
    if force or not (directory / POLICIES).exists():
        write_yaml(directory / POLICIES, DEFAULT_POLICIES)
    (directory / ".gitignore").write_text(f"{PRIVATE}/\n", encoding="utf-8")
    fills = territory_placeholders(config)
    record = _demo_record(directory, config, loaded) if force else {}
    for pack in loaded:
        for src in pack.source_files():
            target = directory / "sources" / src.name
            text = src.read_text(encoding="utf-8")
            if not target.exists():
                form = "territory"
            else:
                form = _form_over(directory, record, text, target) if force else "keep"
            if form == "demo":
                target.write_text(_demo_entry(text, fills), encoding="utf-8")
            elif form == "territory":
                filled = fill_placeholders(text, fills)
                target.write_text(territory_form(filled, f"{pack.name}/sources/{src.name}"), encoding="utf-8")
    ws = Workspace(directory)
    for pack in loaded:
        pack.run_hook("prepare", ws)
    return ws


DEMO_EPCI = "243500139"


def init_demo_workspace(directory: Path, *, force: bool = True) -> Workspace:
    """The Rennes Métropole workspace with every installed pack and their demo inputs written."""
    from territoria.catalog.packs import available_packs, load_pack

    packs = available_packs()
    ws = init_workspace(directory, epci=DEMO_EPCI, packs=packs, force=force)
    for name in packs:
        load_pack(name).run_hook("prepare_demo", ws)
    return ws
