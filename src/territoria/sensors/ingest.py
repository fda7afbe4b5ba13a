"""The one ingestion path: raw messages -> normaliser -> store. Used by `replay`, `listen` and the demo."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from territoria.core.errors import NotFoundError, SourceError
from territoria.sensors.normalise import Normaliser
from territoria.sensors.registry import Registry, load_registry
from territoria.sensors.store import SensorStore, Staged, StoreWriter

SENSORS_DIR = "sensors"
#: batches between two compactions of the observation files
COMPACT_EVERY = 50


@dataclass
class Pending:
    """A batch staged by ``Ingestor.stage``, to be committed by ``Ingestor.commit``."""

    staged: Staged
    messages: int
    seconds: float


@dataclass
class IngestReport:
    messages: int = 0
    uplinks: int = 0
    stored: int = 0
    duplicates: int = 0
    late: int = 0
    out_of_order: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def store_for(private: Path) -> SensorStore:
    return SensorStore(private / SENSORS_DIR)


def open_registry(root: Path, private: Path, communes: list[str]) -> Registry:
    return load_registry(root, private / SENSORS_DIR, communes)


class Ingestor:
    """Normalise and store batches of (topic, payload) messages."""

    def __init__(
        self, registry: Registry, writer: StoreWriter, *, max_payload_bytes: int | None = None, live: bool = True
    ) -> None:
        self.normaliser = Normaliser(registry, max_payload_bytes=max_payload_bytes, live=live)
        self.writer = writer
        self.report = IngestReport()
        self.flushes = 0
        self._compacted_at = 0

    def ingest(self, messages: list[tuple[str, bytes]]) -> int:
        """Normalise and store ``messages``; return how many observations were new (once on disk)."""
        if not messages:
            return 0
        stored = self.commit(self.stage(messages))
        if self.compaction_due:
            self.compact()
        return stored

    def stage(self, messages: list[tuple[str, bytes]]) -> Pending:
        """Normalise ``messages`` and write their files under temporary names (see ``StoreWriter.stage``)."""
        started = time.perf_counter()
        now_us = time.time_ns() // 1000
        batch = self.normaliser.process(messages, now_us)
        return Pending(self.writer.stage(batch, now_us), len(messages), time.perf_counter() - started)

    def commit(self, pending: Pending) -> int:
        """Make a staged batch durable (in staging order) and count it in the report."""
        started = time.perf_counter()
        result = self.writer.commit(pending.staged)
        batch = pending.staged.batch
        r = self.report
        r.messages += pending.messages
        r.uplinks += batch.uplinks
        r.stored += result.stored
        r.duplicates += result.duplicates
        r.late += batch.late
        r.out_of_order += batch.out_of_order
        for reason in result.reasons:
            r.quarantined[reason] = r.quarantined.get(reason, 0) + 1
        r.seconds += pending.seconds + time.perf_counter() - started
        self.flushes += 1
        return result.stored

    def discard(self, pending: Pending) -> None:
        """Give up a staged batch (one staged after a batch whose commit failed)."""
        pending.staged.durable.discard()
        self.writer.forget()

    @property
    def compaction_due(self) -> bool:
        return self.flushes > 0 and self.flushes % COMPACT_EVERY == 0 and self.flushes != self._compacted_at

    def compact(self) -> None:
        """Merge small observation files; only while no batch is being committed."""
        self._compacted_at = self.flushes
        self.writer.compact()


def _open_text(path: Path) -> IO[bytes]:
    if not path.is_file():
        raise NotFoundError(f"no file {path}", hint="give the path of a JSON-lines file of ChirpStack events")
    try:
        return cast(IO[bytes], gzip.open(path, "rb")) if path.suffix == ".gz" else path.open("rb")
    except OSError as exc:  # the user's file, unreadable to this process: not a bug
        raise SourceError(
            f"{path} cannot be read: {exc.strerror or exc}",
            hint="give the territoria process read access to the file, then replay it again",
        ) from exc


def read_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """Messages of a JSON-lines file.

    A line is either a ChirpStack uplink event as published on MQTT (its payload names the device),
    or an envelope ``{"topic": ..., "payload": ...}`` as captured from the broker.
    Lines that are not JSON go through too, so that they are quarantined with the reason.
    """
    with _open_text(path) as fh:
        for raw in fh:
            line = raw.strip()
            if not line:
                continue
            if line.startswith(b'{"topic"'):
                try:
                    env = json.loads(line)
                    payload = env["payload"]
                    body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                    yield str(env["topic"]), body
                    continue
                except (ValueError, KeyError, TypeError):
                    pass
            yield "", line


def replay(
    registry: Registry,
    store: SensorStore,
    path: Path,
    *,
    batch_size: int = 250_000,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest a JSON-lines file (history back-fill, or a capture) through the listener's path."""
    return ingest_messages(registry, store, read_messages(path), batch_size=batch_size, progress=progress)


def ingest_messages(
    registry: Registry,
    store: SensorStore,
    messages: Iterable[tuple[str, bytes]],
    *,
    batch_size: int = 250_000,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest history, ``(topic, payload)`` messages in batches of ``batch_size``, then compact:
    ``replay`` of a file, or the demo's uplinks as it writes them."""
    with store.writer() as writer:
        ingestor = Ingestor(registry, writer, live=False)
        pending: list[tuple[str, bytes]] = []
        for message in messages:
            pending.append(message)
            if len(pending) >= batch_size:
                ingestor.ingest(pending)
                if progress:
                    progress(len(pending))
                pending = []
        ingestor.ingest(pending)
        if progress and pending:
            progress(len(pending))
        writer.compact(min_files=2)
        return ingestor.report
