"""The one registry of output formats, shared by ``territoria export`` and the API.

A format is an ``ExportFormat`` registered in the ``territoria.formats`` group: built-ins are
entry points in ``pyproject.toml`` exactly like a third-party plugin's (see CONTRIBUTING.md,
"Add a publication format"). Both the CLI's ``--format`` and the API's ``format=`` list
whatever is registered when they are asked, so a plugin shows up in both without code here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from territoria.core.errors import UserError
from territoria.core.registry import registry
from territoria.core.suggest import did_you_mean
from territoria.engines.base import Engine, quote_ident

GROUP = "territoria.formats"


@dataclass(frozen=True)
class ExportJob:
    """One dataset to write: the relation to read, its columns and where the file goes."""

    engine: Engine
    relation: str
    columns: list[tuple[str, str]]
    dest: Path
    dataset: str
    #: a relation with ``code`` and ``geometry`` (the boundaries), to join datasets without geometry
    boundaries: str | None = None
    #: IRI of the dataset, the subject linked-data formats hang rows on
    iri: str = ""
    #: column -> its title in the dataset's Table Schema (French headers of the French CSV)
    titles: Mapping[str, str] = field(default_factory=dict)
    #: column -> decimals the dataset declares (an indicator's ``value``): text formats round to them
    decimals: Mapping[str, int] = field(default_factory=dict)
    #: provenance to embed where the format can hold it (synthetic or not, producers, licences,
    #: vintages: ``publication.provenance.export_metadata``)
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def geometry(self) -> str | None:
        return next((c for c, t in self.columns if t.upper().startswith("GEOMETRY")), None)

    @property
    def joinable(self) -> bool:
        return self.boundaries is not None and "code" in [c for c, _ in self.columns]

    @property
    def order_by(self) -> str:
        # rows in a stable order (columns left to right, keys come first): two exports of the same
        # publication are the same file, and a diff between two publications shows what changed
        order = ", ".join(quote_ident(c) for c, _ in self.columns if c != self.geometry)
        return f" ORDER BY {order}" if order else ""

    @property
    def select(self) -> str:
        return f"SELECT * FROM {self.relation}{self.order_by}"


Writer = Callable[[ExportJob], None]


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    extension: str
    description: str
    writer: Writer
    #: the format is a map: the dataset needs a geometry, or a ``code`` to join boundaries on
    needs_geometry: bool = False

    def can_write(self, job: ExportJob) -> bool:
        return not self.needs_geometry or job.geometry is not None or job.joinable

    def check(self, job: ExportJob) -> None:
        """Refuse, with the formats that fit, a dataset this format cannot write."""
        if not self.can_write(job):
            raise UserError(
                f"dataset {job.dataset!r} has no geometry and no commune code to join boundaries on",
                hint=f"export it as one of {', '.join(n for n, f in formats().items() if not f.needs_geometry)}",
            )

    def write(self, job: ExportJob) -> None:
        self.check(job)
        self.writer(job)


def formats() -> dict[str, ExportFormat]:
    """Every registered format, by name (sorted)."""
    return dict(registry.items(GROUP))


def get_format(name: str) -> ExportFormat:
    known = registry.names(GROUP)
    if name not in known:
        raise UserError(
            f"unknown export format {name!r}",
            hint=did_you_mean(name, known) or f"choose one of {', '.join(known)}",
        )
    fmt: ExportFormat = registry.get(GROUP, name)
    return fmt


def formats_help() -> str:
    """One line per format, for ``--help`` texts and the API's parameter description."""
    return "; ".join(f"{n}: {f.description}" for n, f in formats().items())


__all__ = ["GROUP", "ExportFormat", "ExportJob", "Writer", "formats", "formats_help", "get_format"]
