"""Who may read what: roles, dataset access levels, conventions with partners, API tokens.

``policies.yaml`` says which roles read each access level (``access``), and which partner
organisations read which restricted or personal datasets under a convention (``conventions``)::

    conventions:
      - partner: enedis            # the organisation named on the partner's tokens
        datasets: [consommation-electricite]
        roles: [partner]           # default: partner and contractor
        purpose: "Plan climat : suivi des consommations"
        legal_basis: "mission d'intérêt public"
        start: 2025-01-01          # optional start and end dates
        until: 2027-12-31

A read of personal data states its purpose; under a convention, the convention's purpose
(``check_purpose``). ``kind: supply`` conventions (a partner supplies the data) grant no read:
``governance/personal`` empties their datasets outside their dates.

Tokens are random secrets shown once at creation; only their SHA-256 is stored, in
``.territoria/access.sqlite`` (SQLite: safe while ``territoria run`` and ``serve`` both work;
created 0600, since it also holds the audit log). A token may expire and may be scoped to named
datasets: outside its scope it reads what an anonymous caller reads.
Anonymous callers are ``public`` and read open data only.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from territoria.core.errors import NotFoundError, UserError
from territoria.core.suggest import did_you_mean
from territoria.core.vocab import AccessLevel
from territoria.core.vocab import Role as Role  # re-exported: callers import the role vocabulary from here
from territoria.core.yamlio import present
from territoria.workspace.policies import Policies, as_policies

ACCESS_DB = "access.sqlite"
TOKEN_PREFIX = "tt"


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    organisation: str | None = None
    token_id: str | None = None
    #: the datasets this token may read beyond open data (None: every dataset its role reads)
    scope: frozenset[str] | None = None

    @property
    def anonymous(self) -> bool:
        return self.token_id is None

    @property
    def admin(self) -> bool:
        return self.role is Role.admin


ANONYMOUS = Principal("anonymous", Role.public)


@dataclass(frozen=True)
class Convention:
    partner: str
    datasets: frozenset[str]
    roles: frozenset[Role]
    purpose: str | None
    until: date | None
    start: date | None = None

    def covers(self, who: Principal, dataset: str, today: date) -> bool:
        return (
            who.organisation is not None
            and who.organisation == self.partner
            and who.role in self.roles
            and dataset in self.datasets
            and (self.start is None or self.start <= today)
            and (self.until is None or today <= self.until)
        )


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    convention: Convention | None = None


@dataclass(frozen=True)
class PurposeCheck:
    """The purpose a read is audited with, or why the read is refused (``purpose`` is then None)."""

    purpose: str | None
    refusal: str | None = None
    hint: str | None = None


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_purpose(decision: Decision, level: AccessLevel, purpose: str | None) -> PurposeCheck:
    """A read's stated purpose: never blank; for personal data, stated, and the convention's own
    purpose when the read is allowed by a convention (its wording, case and spaces aside)."""
    if purpose is not None and not purpose.strip():
        return PurposeCheck(None, "the purpose is blank", "say why you read the data in words: ?purpose=...")
    stated = " ".join(purpose.split()) if purpose else None
    conv = decision.convention
    if level is not AccessLevel.personal:
        return PurposeCheck(stated or (conv.purpose if conv else None))
    if stated is None:
        return PurposeCheck(None, "it holds personal data: say why you read it", "add ?purpose=...")
    if conv is not None and conv.purpose and _words(stated) != _words(conv.purpose):
        return PurposeCheck(
            None,
            f"the purpose {stated!r} is not the one of the convention with {conv.partner}",
            f"the convention allows this read for: {conv.purpose!r}",
        )
    return PurposeCheck(stated)


def _role(value: str, where: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise UserError(f"{where}: unknown role {value!r}", hint=did_you_mean(value, list(Role))) from None


#: a number per policy object made in this process: what caches derived from a policy are keyed on
#: (``id()`` is reused once an object is freed, so a reloaded policy could find the old one's entries)
_SERIALS = itertools.count(1)


class AccessPolicy:
    """The ``access`` and ``conventions`` sections of the workspace's policies, ready to decide."""

    def __init__(self, policies: Policies | Mapping[str, Any] | None) -> None:
        self.serial = next(_SERIALS)
        typed = as_policies(policies)
        #: the whole policies: secrecy overrides decide which rule sets release a dataset (``levels``)
        self.policies = typed
        self.readers: dict[AccessLevel, frozenset[Role]] = {
            level: frozenset(getattr(typed.access, level.value)) for level in AccessLevel
        }
        # a supply convention (the partner sends data) grants no read
        self.conventions = [
            Convention(c.partner, frozenset(c.datasets), frozenset(c.roles), c.purpose, c.until, c.start)
            for c in typed.conventions
            if c.kind == "access"
        ]
        self.declassify = list(typed.declassify)

    def decide(self, who: Principal, dataset: str, level: AccessLevel, today: date | None = None) -> Decision:
        if level is not AccessLevel.open and who.scope is not None and dataset not in who.scope:
            return Decision(False, f"{level.value} data: this token's scope does not include {dataset!r}")
        if who.role in self.readers[level]:
            return Decision(True, f"role {who.role.value} reads {level.value} data")
        day = today or datetime.now(UTC).date()
        for conv in self.conventions:
            if conv.covers(who, dataset, day):
                return Decision(True, f"convention with {conv.partner}", conv)
        return Decision(False, f"{level.value} data: role {who.role.value} has no right on {dataset!r}")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AccessStore:
    """Users and their tokens, in SQLite; the audit log lives in the same file (``audit.py``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self.connect() as db:
            db.executescript(
                """
                CREATE TABLE IF NOT EXISTS tokens (
                    token_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL, name TEXT NOT NULL,
                    role TEXT NOT NULL, organisation TEXT, created_at TEXT NOT NULL, revoked_at TEXT);
                CREATE TABLE IF NOT EXISTS audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL, role TEXT NOT NULL,
                    organisation TEXT, token_id TEXT, action TEXT NOT NULL, dataset TEXT,
                    access TEXT NOT NULL, purpose TEXT, detail TEXT);
                """
            )
            # columns added after the first release: stores created before them are migrated in place
            for table, column in (
                ("tokens", "expires_at"),
                ("tokens", "scope"),
                ("audit", "prev_hash"),
                ("audit", "hash"),
            ):
                if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # a folder, a FIFO or a broken link in its place is an error: O_CREAT would follow the link
        if not present(self.path):
            # tokens' hashes and the audit log: readable by the workspace's owner only
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        db = sqlite3.connect(self.path, timeout=10)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            with db:
                yield db
        finally:
            db.close()

    def add(
        self,
        name: str,
        role: str,
        organisation: str | None = None,
        *,
        expires: timedelta | None = None,
        scope: list[str] | None = None,
    ) -> tuple[str, str]:
        """Create a token; return ``(token_id, token)``. The token itself is never stored."""
        if not name.strip():  # the audit log names every read by it: a blank name says nothing
            raise UserError("a token needs the name of who uses it", hint="e.g. territoria users add 'Jeanne Martin'")
        chosen = _role(role, "--role")
        if chosen in (Role.partner, Role.contractor) and not organisation:
            raise UserError(
                f"a {chosen.value} token must name its organisation",
                hint="pass --organisation NAME (the name used in policies.yaml conventions)",
            )
        token_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        until = (now + expires).isoformat() if expires is not None else None
        scoped = ",".join(sorted(set(scope))) if scope else None
        with self.connect() as db:
            db.execute(
                "INSERT INTO tokens (token_id, token_hash, name, role, organisation, created_at, revoked_at, "
                "expires_at, scope) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                (token_id, _hash(secret), name, chosen.value, organisation, now.isoformat(), until, scoped),
            )
        return token_id, f"{TOKEN_PREFIX}_{token_id}_{secret}"

    def list(self) -> list[dict[str, Any]]:
        with self.connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT token_id, name, role, organisation, created_at, revoked_at, expires_at, scope FROM tokens "
                "ORDER BY created_at"
            ).fetchall()
        return [dict(r) for r in rows]

    def revoke(self, token_id: str) -> None:
        with self.connect() as db:
            cur = db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(), token_id),
            )
            if cur.rowcount == 0:
                known = [r[0] for r in db.execute("SELECT token_id FROM tokens WHERE revoked_at IS NULL")]
                raise NotFoundError(
                    f"no active token {token_id!r}", hint=did_you_mean(token_id, known) or "see `territoria users list`"
                )

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked, unexpired token; ``None`` for anything else."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            return None
        _, token_id, secret = parts
        with self.connect() as db:
            row = db.execute(
                "SELECT token_hash, name, role, organisation, expires_at, scope FROM tokens "
                "WHERE token_id = ? AND revoked_at IS NULL",
                (token_id,),
            ).fetchone()
        if row is None or not hmac.compare_digest(row[0], _hash(secret)):
            return None
        if row[4] is not None and datetime.fromisoformat(row[4]) <= datetime.now(UTC):
            return None
        scope = frozenset(row[5].split(",")) if row[5] else None
        return Principal(row[1], Role(row[2]), row[3], token_id, scope)


DURATION = re.compile(r"^(\d+)\s*([dhw])$")


def parse_duration(text: str) -> timedelta:
    """``90d``, ``12h``, ``2w``: a token's lifetime."""
    found = DURATION.match(text.strip().lower())
    if not found or int(found.group(1)) == 0:
        raise UserError(f"--expires: {text!r} is not a duration", hint="a number and a unit: 90d, 12h or 2w")
    unit = {"d": "days", "h": "hours", "w": "weeks"}[found.group(2)]
    return timedelta(**{unit: int(found.group(1))})
