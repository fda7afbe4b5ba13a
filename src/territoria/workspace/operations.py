"""The ``operations:`` section of ``policies.yaml``: what ``territoria up`` does on its own.

Kept apart from the other sections' models (``workspace/policies.py`` includes it) because its
reader is the supervisor (``territoria.daemon``), not the data chain::

    operations:
      schedules:                       # cron overrides (UTC) of a source's declared frequency
        population-communes: "0 6 * * 1"
      sensors_debounce: 60s            # new observations trigger the sensor sources at most this often
      retry: {attempts: 4, base: 5s, max: 10m}     # transient failures only (network, timeouts)
      alerts:
        late_grace: 0.5                # late once older than its period × (1 + grace)
        max_age: {population-communes: 400d}       # or an explicit freshness limit
        quarantine_rate: 0.05
        email: {host: smtp.example.fr, port: 587, sender: territoria@example.fr, to: [ops@example.fr],
                username: territoria, password_env: SMTP_PASSWORD, starttls: true}
        webhook: {url: "https://chat.example.fr/hooks/ops", token_env: WEBHOOK_TOKEN}

Durations are a number and a unit: ``90s``, ``15m``, ``6h``, ``2d``. Secrets are only named by
the environment variable that holds them.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from territoria.core.cron import Cron, CronError

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def seconds(value: object) -> float:
    """``90s``, ``15m``, ``6h``, ``2d`` (or a plain number of seconds) as seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a duration: write a number and a unit (90s, 15m, 6h, 2d)")
    return float(match.group(1)) * UNITS[match.group(2)]


Duration = Annotated[float, BeforeValidator(seconds), Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Retry(_Strict):
    """Exponential backoff of a run whose steps failed for a transient reason."""

    attempts: int = Field(4, ge=1, le=20)
    base: Duration = 5.0
    max: Duration = 600.0


class EmailTarget(_Strict):
    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    sender: str = "territoria@localhost"
    to: list[str] = Field(min_length=1)
    username: str | None = None
    #: the environment variable holding the SMTP password (never the password itself)
    password_env: str | None = None
    starttls: bool = False
    timeout: Duration = 10.0


class WebhookTarget(_Strict):
    #: receives a JSON POST per alert and per recovery
    url: str = Field(pattern=r"^https?://")
    #: the environment variable holding a bearer token for the hook, if it needs one
    token_env: str | None = None
    timeout: Duration = 10.0


class Alerts(_Strict):
    #: a dataset is late once older than its expected period × (1 + late_grace)
    late_grace: float = Field(0.5, ge=0)
    #: explicit freshness limits by dataset, instead of the period-based one
    max_age: dict[str, Duration] = Field(default_factory=dict)
    #: share of an ingest's rows quarantined above which an alert fires
    quarantine_rate: float = Field(0.05, ge=0, le=1)
    #: how often the audit log's hash chain is verified
    audit_every: Duration = 300.0
    #: how often a still-failing condition is notified again (0: once, then its recovery)
    repeat_after: Duration = 0.0
    email: EmailTarget | None = None
    webhook: WebhookTarget | None = None


class OperationsPolicy(_Strict):
    #: dataset -> cron expression (UTC) replacing the schedule derived from its declared frequency
    schedules: dict[str, str] = Field(default_factory=dict)
    #: new sensor observations trigger the sensor sources' refresh at most this often
    sensors_debounce: Duration = 60.0
    #: how often source files are looked at for a change (size, mtime, then content hash)
    watch_every: Duration = 1.0
    retry: Retry = Field(default_factory=Retry)
    alerts: Alerts = Field(default_factory=Alerts)

    @field_validator("schedules")
    @classmethod
    def _crons(cls, value: dict[str, str]) -> dict[str, str]:
        for dataset, expression in value.items():
            try:
                Cron.parse(expression)
            except CronError as exc:
                raise ValueError(f"schedule of {dataset}: {exc}") from None
        return value


__all__ = ["Alerts", "EmailTarget", "OperationsPolicy", "Retry", "WebhookTarget", "seconds"]
