"""Extracts of the shipped referential, restricted to the workspace's communes.

Landing an extract (rather than reading the package files in place) keeps the pipeline's
rule that everything downstream reads landed, hashed bytes: when the package's referential is
refreshed, the content hash changes and the dependent steps rerun.
"""

from __future__ import annotations

import io
from typing import ClassVar, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from territoria.connectors.spec import FetchContext, FetchRecord, FetchResult
from territoria.core.errors import ConfigError, NotFoundError
from territoria.core.hashing import stable_hash
from territoria.core.wording import counted, noun
from territoria.reference.referential import data_dir


class ReferentialOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: Literal["communes", "epci", "boundaries"]
    format: Literal["parquet"] = "parquet"


FILES = {"communes": "communes.parquet", "epci": "epci.parquet", "boundaries": "communes_geom.parquet"}


class ReferentialConnector:
    kind: ClassVar[str] = "referential"
    Options: ClassVar[type[BaseModel]] = ReferentialOptions

    def fetch(self, options: BaseModel, ctx: FetchContext) -> FetchResult:
        assert isinstance(options, ReferentialOptions)
        source = data_dir() / FILES[options.table]
        stat = source.stat()
        fingerprint = stable_hash([options.table, stat.st_size, stat.st_mtime_ns, sorted(ctx.territory.communes)])
        prev = ctx.previous_state or {}
        url = f"territoria:reference/{FILES[options.table]}"
        if prev.get("fingerprint") == fingerprint and prev.get("sha256") and ctx.landing.has(prev["sha256"]):
            record = FetchRecord(
                ctx.dataset, self.kind, url, "unchanged (referential version)", False, 0, prev["sha256"]
            )
            return FetchResult(False, prev["sha256"], prev, record)

        table = pq.read_table(source)
        members = pa.array(sorted(ctx.territory.communes))
        if options.table == "epci":
            keep = pc.is_in(table["siren"], value_set=pa.array([ctx.territory.epci or ""]))
        else:
            keep = pc.is_in(table["code"], value_set=members)
        extract = table.filter(keep)
        if options.table == "communes" and extract.num_rows < len(set(ctx.territory.communes)):
            _unknown_communes(ctx.territory.communes, set(extract["code"].to_pylist()))
        buffer = io.BytesIO()
        # Deterministic bytes for identical content, so that the landing deduplicates.
        pq.write_table(extract, buffer, compression="zstd")
        landed = ctx.landing.put_stream([buffer.getvalue()])
        changed = landed.sha256 != prev.get("sha256")
        headers = {"rows": extract.num_rows}
        if options.table == "boundaries":
            present = set(extract["code"].to_pylist())
            headers["communes_without_boundary"] = sorted(set(ctx.territory.communes) - present)
        record = FetchRecord(
            ctx.dataset,
            self.kind,
            url,
            "new content" if changed else "unchanged (same content hash)",
            changed,
            landed.size,
            landed.sha256,
            headers=headers,
        )
        return FetchResult(
            changed, landed.sha256, {"fingerprint": fingerprint, "sha256": landed.sha256}, record, landed
        )


def _unknown_communes(communes: list[str], known: set[str]) -> None:
    """A code of territory.yaml that is no commune (a typo, a former commune's code): every figure
    of the territory would silently lack it. Each gets the referential's hint (close codes, the
    commune a former one is part of)."""
    from territoria.reference.referential import referential

    unknown = sorted(set(communes) - known)
    hints = []
    for code in unknown[:5]:
        try:
            referential().commune(code)
        except NotFoundError as exc:
            hints.append(f"{code}: {exc.hint}")
    raise ConfigError(
        f"territory.yaml names {counted(len(unknown), 'code')} that {noun(len(unknown), 'is', 'are')} no commune "
        f"of the referential: {', '.join(unknown)}",
        hint="; ".join(hints) + " (`territoria config validate` shows the lines)",
    )
