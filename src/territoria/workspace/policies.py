"""Typed contents of ``policies.yaml``: what the file may contain, every level strict.

One model for the whole file, so that a misspelled key (``retension:``), an unknown footprint
coefficient or a malformed ``access:`` is reported, with its line, by ``territoria config
validate`` and by any command that reads the policies, instead of being silently ignored.
The sections are read by their owners: ``access``/``conventions`` by ``governance.access``,
``secrecy`` by ``governance.secrecy``, ``retention`` and ``footprint`` by ``footprint``,
``operations`` by ``daemon``. They are declared here, below those layers, because the workspace
reads the file.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from territoria.core.band import Band, band
from territoria.core.vocab import AccessLevel, Role
from territoria.core.yamlio import load_model, present, validate_data
from territoria.workspace.operations import OperationsPolicy

FILE = "policies.yaml"

#: the switch that turns the footprint meter off for one process (benchmarks, debugging)
METER_ENV = "TERRITORIA_FOOTPRINT_METER"

#: shown with a malformed section: what a well-formed one looks like
EXAMPLES = {
    "roles": "roles: [public, agent, elu, partner, contractor, admin]",
    "access": "access: {open: [public, agent], restricted: [agent, admin], personal: [admin]}",
    "conventions": "conventions: [{partner: enedis, datasets: [consommation-electricite], until: 2027-12-31}]",
    "declassify": "declassify: [{dataset: exposition_75_plus, level: open, by: 'J. Martin, DPO', why: '...'}]",
    "secrecy": "secrecy: {energy: {rules: {min-points: {threshold: 11}}}}",
    "retention": "retention: {landing: {keep_versions: 5, days: 90}, datasets: {individus: {landing_days: 30}}}",
    "personal": "personal: {controller: Rennes Métropole, datasets: {individus: {purpose: '...', legal_basis: '...'}}}",
    "footprint": "footprint: {grid: FR, budget: {run_wh: 0.5}}",
    "operations": "operations: {schedules: {population-communes: '0 6 * * 1'}, alerts: {email: {to: [ops@x.fr]}}}",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccessRules(_Strict):
    """Roles that read each access level; a level left out is read by ``admin`` only."""

    open: list[Role] = Field(default_factory=lambda: [Role.admin])
    restricted: list[Role] = Field(default_factory=lambda: [Role.admin])
    personal: list[Role] = Field(default_factory=lambda: [Role.admin])


def default_access() -> AccessRules:
    return AccessRules(open=list(Role), restricted=[Role.agent, Role.elu, Role.admin], personal=[Role.admin])


def _not_blank(value: str | None, what: str) -> str | None:
    if value is not None and not value.strip():
        raise ValueError(f"{what} is blank: write it out, or leave the key out")
    return value


class ConventionRule(_Strict):
    """A convention with a partner organisation: partner × datasets × purpose × legal basis × dates.

    ``kind: access`` (the default): the partner reads restricted or personal datasets while the
    convention runs. ``kind: supply``: the partner supplies the datasets; outside its dates they
    are emptied at the next run, and so is everything derived from them (``governance/personal``).
    """

    #: the organisation named on the partner's tokens
    partner: str = Field(min_length=1)
    datasets: list[str] = Field(min_length=1)
    kind: Literal["access", "supply"] = "access"
    roles: list[Role] = Field(default_factory=lambda: [Role.partner, Role.contractor])
    #: why the partner reads (or supplies) the data; a read's stated purpose must match it
    purpose: str | None = None
    #: the GDPR art. 6 basis of the processing (``mission d'intérêt public``, ``consentement``...)
    legal_basis: str | None = None
    start: date | None = None
    until: date | None = None

    @field_validator("purpose", "legal_basis")
    @classmethod
    def _filled(cls, value: str | None) -> str | None:
        return _not_blank(value, "this text")

    @model_validator(mode="after")
    def _dates(self) -> ConventionRule:
        if self.start and self.until and self.until < self.start:
            raise ValueError(f"the convention with {self.partner} ends ({self.until}) before it starts ({self.start})")
        return self

    def active(self, today: date) -> bool:
        return (self.start is None or self.start <= today) and (self.until is None or today <= self.until)


class Declassification(_Strict):
    """A signed decision to publish a dataset below the level its inputs would give it.

    Without one (or a secrecy rule set on the dataset), a dataset derived from restricted or
    personal inputs is at least as closed as they are (``governance.access.effective_levels``).
    """

    dataset: str = Field(min_length=1)
    #: the level the dataset is released at
    level: AccessLevel
    #: who decided (a person and their function): the signature of the decision
    by: str = Field(min_length=1)
    #: why the release discloses nothing the inputs protect
    why: str = Field(min_length=1)
    on: date | None = None


class SecrecyOverride(_Strict):
    """A workspace's own rule set, or overrides of a shipped one (``governance/secrecy/rules.py``).

    ``rules`` as a mapping overrides fields of shipped rules by id; as a list it replaces them.
    The rules' own keys are checked when the rule set is loaded (``config validate`` loads each).
    """

    title: str | None = None
    description: str | None = None
    measures: list[str] | None = None
    rules: dict[str, dict[str, Any]] | list[dict[str, Any]] | None = None
    secondary: dict[str, Any] | None = None
    #: tables whose cells this rule set decides jointly with another's (``governance/secrecy/joint.py``)
    shares: list[dict[str, Any]] | None = None
    #: protection range as a share of a suppressed cell's value (the adversary audit's threshold)
    protection: float | None = Field(default=None, gt=0, lt=1)
    #: enforce the protection range at publication (``governance/secrecy/protection.py``)
    protection_loop: bool | None = None
    #: the step each measure is published rounded to (the protection loop reads values as intervals)
    rounding: dict[str, float] | None = None
    #: columns published as they are in suppressed cells too (``governance/levels.py``)
    verbatim: list[str] | None = None


class LandingRetention(_Strict):
    keep_versions: int = Field(5, ge=1)
    #: also keep every version fetched in the last N days
    days: int | None = Field(None, ge=0)
    #: zstd level of archived versions
    zstd_level: int = Field(9, ge=1, le=22)


class DatasetRetention(_Strict):
    """How long territoria keeps one dataset's copies (days since they were made); unset: no limit.

    Enforced by ``territoria retention apply`` (``governance/personal/erasure.py``), which signs
    a record of every erasure; ``territoria retention plan`` shows what it would erase.
    """

    #: raw landed versions (the bytes as fetched: for personal data, with direct identifiers)
    landing_days: int | None = Field(None, ge=0)
    #: the staging table (and its quarantine), counted from the last ingest
    staging_days: int | None = Field(None, ge=0)
    #: the dataset's copies in earlier publication snapshots (the current one is what is served)
    published_days: int | None = Field(None, ge=0)
    #: fields blanked once the version carrying them was first ingested more than N days ago
    fields: dict[str, int] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _days(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [name for name, days in value.items() if days < 0]
        if bad:
            raise ValueError(f"retention days must be 0 or more (fields {', '.join(bad)})")
        return value


class Retention(_Strict):
    landing: LandingRetention = Field(default_factory=LandingRetention)
    datasets: dict[str, DatasetRetention] = Field(default_factory=dict)


class Processing(_Strict):
    """A processing of personal data (GDPR art. 30): why a dataset about individuals is held."""

    purpose: str = Field(min_length=1)
    legal_basis: str = Field(min_length=1)
    #: the pseudonymised field that identifies the person the row is about (consent is keyed on it)
    subject: str | None = None
    #: rows need the person's consent: a withdrawn consent removes the person at the next run
    consent: bool = False
    #: who the data is about and what it says (register headings)
    subjects: str = "personnes physiques"
    categories: list[str] = Field(default_factory=list)
    #: keep a re-identification table (pseudonym -> identifier), admin-only, every read audited
    reidentify: bool = False

    @field_validator("purpose", "legal_basis")
    @classmethod
    def _filled(cls, value: str) -> str:
        return _not_blank(value, "this text") or value


class PersonalPolicy(_Strict):
    """The controller of the processings and each personal dataset's processing."""

    controller: str | None = None
    dpo: str | None = None
    datasets: dict[str, Processing] = Field(default_factory=dict)
    #: security measures beyond the ones territoria applies (listed in the register)
    measures: list[str] = Field(default_factory=list)


class ModelParams(_Strict):
    """Coefficients of the estimate (used when no energy counter is readable)."""

    #: W drawn per fully busy core (codecarbon's fallback is 4 W per thread)
    cpu_w_per_core: Band = band(4.0, 2.0, 8.0)
    #: W per GB of resident memory, charged for the step's wall time
    memory_w_per_gb: Band = band(0.375, 0.25, 0.6)
    #: data-centre power usage effectiveness (1.0 = the server's own draw only)
    pue: Band = band(1.0, 1.0, 1.0)
    #: kWh per GB transferred over the network, end to end
    network_kwh_per_gb: Band = band(0.01, 0.002, 0.06)
    #: kWh per GB stored for one month (disk, redundancy and cooling)
    storage_kwh_per_gb_month: Band = band(0.0011, 0.0004, 0.003)
    #: relative uncertainty of a RAPL reading (package and DRAM domains only, whole machine)
    rapl_relative_uncertainty: float = Field(0.15, ge=0, le=1)


class Cadence(_Strict):
    #: do not re-check a source before its declared frequency has elapsed (`--check-all` overrides)
    respect_frequency: bool = False
    #: connector kinds whose check is free (a file's size and mtime): always checked
    exempt_kinds: list[str] = Field(default_factory=lambda: ["file", "referential"])


class Budget(_Strict):
    #: Wh per run (central estimate) beyond which the run carries a warning
    run_wh: float | None = Field(None, gt=0)
    #: Wh per run and per pack (use case)
    pack_wh: dict[str, float] = Field(default_factory=dict)
    #: Wh per month for a dataset or indicator, checked by `territoria footprint`
    monthly_wh: dict[str, float] = Field(default_factory=dict)


class FootprintPolicy(_Strict):
    meter: bool = True
    #: also run codecarbon's offline tracker over each run, as a cross-check (needs the extra)
    codecarbon: bool = False
    #: carbon-intensity zone of the shipped table (FR, EU27, DE, WORLD)
    grid: str = "FR"
    #: a deployment's own intensity (gCO2e/kWh), e.g. from its supplier's contract; wins over `grid`
    intensity: Band | None = None
    intensity_source: str | None = None
    model: ModelParams = Field(default_factory=ModelParams)
    cadence: Cadence = Field(default_factory=Cadence)
    budget: Budget = Field(default_factory=Budget)

    @property
    def enabled(self) -> bool:
        flag = os.environ.get(METER_ENV, "").strip().lower()
        if flag in ("0", "off", "false", "no"):
            return False
        return self.meter


class Policies(_Strict):
    """The whole of ``policies.yaml``; a section left out takes the defaults below."""

    #: the roles this territory hands tokens to (documentation of intent; every role exists)
    roles: list[Role] = Field(default_factory=lambda: list(Role))
    access: AccessRules = Field(default_factory=default_access)
    conventions: list[ConventionRule] = Field(default_factory=list)
    declassify: list[Declassification] = Field(default_factory=list)
    secrecy: dict[str, SecrecyOverride] = Field(default_factory=dict)
    retention: Retention = Field(default_factory=Retention)
    personal: PersonalPolicy = Field(default_factory=PersonalPolicy)
    footprint: FootprintPolicy = Field(default_factory=FootprintPolicy)
    #: what `territoria up` does on its own: schedules, retries, alerts (``workspace/operations.py``)
    operations: OperationsPolicy = Field(default_factory=OperationsPolicy)


#: what ``territoria init`` writes: the sections a data team edits first
DEFAULT_POLICIES: dict[str, Any] = Policies().model_dump(
    mode="json", include={"roles", "access", "conventions", "secrecy", "retention"}, exclude_none=True
)


#: the files last parsed: (path, content) -> their model. A command reads the policies in several
#: places (``config validate``: the file's own check, the plan, levels, personal data, operations);
#: each gets a copy of one parse while the file holds the same bytes
_PARSED: OrderedDict[tuple[str, bytes], Policies] = OrderedDict()
_PARSED_KEEP = 8


def load_policies(path: Path) -> Policies:
    """``policies.yaml`` (defaults when there is none); every problem of the file at once, by line."""
    if not present(path):  # a folder, a broken link or a FIFO there is an error, never "no policies"
        return Policies()
    try:
        key = (str(path.resolve()), path.read_bytes())
    except OSError:  # unreadable: load_model says so, with the file's name
        return load_model(path, Policies, label=FILE, examples=EXAMPLES)
    parsed = _PARSED.get(key)
    if parsed is not None:
        _PARSED.move_to_end(key)
        return parsed.model_copy(deep=True)
    parsed = load_model(path, Policies, label=FILE, examples=EXAMPLES)
    if path.read_bytes() == key[1]:  # kept only if the file did not change while it was parsed
        _PARSED[key] = parsed.model_copy(deep=True)
        while len(_PARSED) > _PARSED_KEEP:
            _PARSED.popitem(last=False)
    return parsed


def as_policies(policies: Policies | Mapping[str, Any] | None) -> Policies:
    """The typed policies, from the model or from its mapping form (``Workspace.policies()``)."""
    if isinstance(policies, Policies):
        return policies
    return validate_data(policies or {}, Policies, label=FILE, examples=EXAMPLES)
