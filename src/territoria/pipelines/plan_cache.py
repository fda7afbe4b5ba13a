"""The plan of a workspace, built once per version of the files it is built from.

Building the plan reads every catalog entry, every enabled pack's ``pack.yaml``, SQL and secrecy
rule sets, and ``policies.yaml``: most of what a run that finds nothing to do costs. ``load_plan``
saves the plan in ``.territoria/plan.pickle`` with the stamps (``core/stamps.py``) of everything
it was built from: ``territory.yaml``, ``policies.yaml``, ``sources/``, the packs' folders, the
territoria package's code, the plugins' code and metadata and the folders distributions are
installed in (entry points: ``_plugin_paths``). Any of them changed, created or removed, and the
plan is built again.

A process that plans again (``territoria up``, a benchmark) keeps the last plan of each
workspace in memory too, and checks the same stamps before it hands out a copy.

Not cached: plans with personal data (their definition holds the day's consents and key, which
live in ``.territoria/``), and plans built from files modified less than ``SETTLE_S`` ago (their
stamps cannot tell a second edit within the file system's clock tick).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import pickle
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import territoria
from territoria.core.hashing import stable_hash
from territoria.core.registry import GROUPS
from territoria.core.stamps import Stamps, settled, stamps, tree, unchanged
from territoria.pipelines.plan import Plan, build_plan
from territoria.pipelines.spec import IngestStep
from territoria.workspace import Workspace
from territoria.workspace.policies import FILE as POLICIES

FILE = "plan.pickle"
#: bumped when what the file holds changes shape
FORMAT = 2
_CODE_SUFFIXES = (".py", ".yaml", ".yml", ".sql", ".json")
#: workspace private folder -> the stamps and plan last loaded or saved in this process
_MEMO: dict[Path, tuple[Stamps, Plan]] = {}


def _config_paths(ws: Workspace) -> list[str]:
    paths = [ws.root / "territory.yaml", ws.root / POLICIES, ws.sources_dir]
    if ws.sources_dir.is_dir():
        paths.extend(sorted(ws.sources_dir.glob("*.yaml")))
    return [os.fspath(p) for p in paths]


def plan_stamps(ws: Workspace, packs: list[Path]) -> Stamps:
    """Stamps of every file and folder a plan of ``ws`` with these ``packs`` is built from."""
    paths = _config_paths(ws)
    for folder in packs:
        paths.extend(tree(folder))
    paths.extend(_plugin_paths())
    return stamps(dict.fromkeys(paths))


def _plugin_paths() -> list[str]:
    """The code a plan may run or look up: territoria's, and for each distribution declaring an
    entry point of a territoria group, its metadata (a reinstall replaces it) and its plugin
    modules' packages; and the folders distributions are installed in, where one installed or
    removed adds or removes an entry. Other folders of ``sys.path`` are left out: a script's own
    folder is on it, and a script writing its files there would make every run plan again."""
    folders: dict[str, None] = {}
    packages: dict[str, None] = {"territoria": None}
    paths: list[str] = []
    for dist in importlib.metadata.distributions():
        folders[str(dist.locate_file(""))] = None
        plugins = [ep for ep in dist.entry_points if ep.group in GROUPS]
        meta = getattr(dist, "_path", None)  # its .dist-info folder, for a distribution on the file system
        if plugins and isinstance(meta, Path):
            paths.extend(tree(meta))
        packages.update((ep.module.partition(".")[0], None) for ep in plugins)
    for name in packages:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue  # not importable: a plan naming one of its plugins fails, and is not saved
        if spec is not None and spec.submodule_search_locations:
            for root in spec.submodule_search_locations:
                paths.extend(tree(Path(root), _CODE_SUFFIXES))
        elif spec is not None and spec.origin:
            paths.append(spec.origin)
    return [*folders, *paths]


def _personal(plan: Plan) -> bool:
    return any(isinstance(s, IngestStep) and "personal" in s.definition for s in plan.steps.values())


def _read(path: Path, root: Path) -> tuple[Stamps, Plan] | None:
    try:
        with path.open("rb") as f:
            header = pickle.load(f)
            if header.get("format") != FORMAT or header.get("version") != territoria.__version__:
                return None
            if header.get("root") != os.fspath(root):
                return None  # a copied workspace: its stamps are the original's files, not its own
            saved: Stamps = header["stamps"]
            if not unchanged(saved):
                return None
            plan = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, KeyError, TypeError):
        return None  # missing, torn or from another version of the code: built again
    return (saved, plan) if isinstance(plan, Plan) else None


def _write(path: Path, root: Path, saved: Stamps, plan: Plan) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".plan-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            header = {"format": FORMAT, "version": territoria.__version__, "root": os.fspath(root), "stamps": saved}
            pickle.dump(header, f, protocol=5)
            pickle.dump(plan, f, protocol=5)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_plan(ws: Workspace) -> Plan:
    """``build_plan(ws)``, from the cache when nothing it is built from changed.

    The plan's ``fingerprint`` is set when it can be trusted to change with its files (it is
    ``None`` for plans that are not cached)."""
    path = ws.private / FILE
    memo = _MEMO.get(ws.private)
    if memo is not None and unchanged(memo[0]):
        # its stamps and fingerprint were set when it was kept: hashing ~500 stamps again costs
        # about 0.4 ms a run, a fifth of what a run that finds nothing to do spends planning
        return _copy(memo[1])
    cached = _read(path, ws.root)
    if cached is not None:
        saved, plan = cached
        plan.stamps, plan.fingerprint = saved, stable_hash(saved)
        _MEMO[ws.private] = (saved, plan)
        return _copy(plan)
    started = time.time()
    before = stamps(_config_paths(ws))  # taken first: an edit during the build shows at the next load
    plan = build_plan(ws)
    saved = {**plan_stamps(ws, list(plan.packs.values())), **before}
    if _personal(plan) or not settled(saved, started):
        path.unlink(missing_ok=True)
        return plan
    for step in plan.steps.values():
        _ = step.definition_hash  # computed now, saved with the plan: a run reads it, never hashes again
    try:
        _write(path, ws.root, saved, plan)
    except OSError:
        return plan  # a read-only workspace plans every time
    plan.stamps, plan.fingerprint = saved, stable_hash(saved)
    _MEMO[ws.private] = (saved, plan)
    return _copy(plan)


def _copy(plan: Plan) -> Plan:
    """A plan of its own for the caller: its steps and dataset infos are frozen, its maps copied."""
    return replace(
        plan,
        steps=dict(plan.steps),
        datasets=dict(plan.datasets),
        order=list(plan.order),
        producers=dict(plan.producers),
        params={k: dict(v) for k, v in plan.params.items()},
        packs=dict(plan.packs),
        waiting=dict(plan.waiting),
    )


__all__ = ["FILE", "load_plan", "plan_stamps"]
