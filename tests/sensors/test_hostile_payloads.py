"""Hostile sensor payloads are quarantined, one by one, with their reason: none may raise out of
the normaliser. A message that raised failed its whole batch, which the broker then delivered
again (QoS 1), and which failed again: one uplink stopped the ingestion of the whole network."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoria.sensors.normalise import Normaliser
from territoria.sensors.registry import Registry

from .conftest import message, topic, uplink

A = "a840410000000001"
RECEIVED_US = 1_751_328_000_000_000  # 2025-07-01T00:00:00Z
WHEN = "2025-06-30T23:59:00Z"


def _with_object(value: object) -> tuple[str, bytes]:
    body = uplink(A, 7, WHEN, with_object=True)
    body["object"]["TempC_SHT"] = value
    return message(body)


@pytest.mark.parametrize("value", [10**400, -(10**400), 2**1024], ids=["1e400", "-1e400", "2^1024"])
def test_an_integer_beyond_a_double_is_out_of_range(registry: Registry, value: int) -> None:
    good = message(uplink(A, 8, "2025-06-30T23:59:30Z", with_object=True))
    batch = Normaliser(registry).process([_with_object(value), good], RECEIVED_US)
    reasons = {(row["reason"], row["detail"].split(" = ")[0]) for row in batch.quarantine}
    assert reasons == {("out of valid range", "temperature")}, batch.quarantine
    assert len(batch) == 3  # the good uplink's two values, and the humidity of the hostile one


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fields=st.dictionaries(st.sampled_from(["temperature", "humidity", "TempC_SHT", "x"]), JSON_SCALARS, max_size=4),
    event=st.sampled_from(["up", "status", "join", "error", "log"]),
    extra=st.dictionaries(
        st.sampled_from(["batteryLevel", "margin", "fCnt", "level", "time"]), JSON_SCALARS, max_size=3
    ),
)
def test_no_payload_raises(registry: Registry, fields: dict[str, object], event: str, extra: dict[str, object]) -> None:
    body = uplink(A, 9, WHEN, with_object=True)
    body["object"].update(fields)
    body.update(extra)
    payload = json.dumps(body).encode()
    batch = Normaliser(registry).process([(topic(A, event), payload)], RECEIVED_US)
    kept = event in ("up", "status", "log")  # other events (join, error...) are not read
    assert bool(batch.uplinks or batch.quarantine or batch.events) is kept  # taken, set aside or an event
