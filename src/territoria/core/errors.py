"""One exception tree for the whole project.

Every error carries a user-facing ``message`` and, when we know it, a ``hint`` that says how
to fix the problem. ``transient`` tells callers (retry loops, the runner) whether trying again
later may succeed. The CLI prints ``message`` and ``hint`` without a traceback for any
``TerritoriaError``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class TerritoriaError(Exception):
    """Base of every error territoria raises on purpose."""

    transient = False
    slug = "error"

    def __init__(self, message: str, *, hint: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.detail = detail

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UserError(TerritoriaError):
    """The user asked for something that cannot be done as asked (bad argument, unknown code)."""

    slug = "user-error"


class NotFoundError(UserError):
    slug = "not-found"


class ConfigError(UserError):
    """A workspace file (territory.yaml, sources/*.yaml, policies.yaml) is invalid."""

    slug = "config-error"


class WorkspaceLockedError(UserError):
    slug = "workspace-locked"


class DataError(TerritoriaError):
    """The data itself is unusable: wrong encoding, truncated file, missing columns."""

    slug = "data-error"


class SourceError(TerritoriaError):
    """A source could not be fetched."""

    slug = "source-error"


class WaitingForData(SourceError):
    """An input is not there yet (a file to drop in, a sensor network with no data, a parameter
    the territory has not set): the step waits, which is neither a failure nor a success, and
    what reads its output waits too. The ``hint`` says what to provide."""

    slug = "waiting-for-data"


class TransientSourceError(SourceError):
    transient = True
    slug = "source-unavailable"


class EngineError(TerritoriaError):
    slug = "engine-error"


def error_envelope(
    status: int, code: str, message: str, hint: str | None = None, details: list[object] | None = None
) -> dict[str, object]:
    """The body of every error the HTTP APIs return (one envelope, whatever the router)."""
    return {"error": {"status": status, "code": code, "message": message, "hint": hint, "details": details}}
