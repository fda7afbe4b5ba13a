"""The footprint's list of dataset costs shows a caller the datasets it may read, as the route of
one dataset's cost does: a cost says how much of the dataset there is (its landed bytes are in its
storage energy), the size of a personal register included."""

from __future__ import annotations

import httpx
import pytest
from api_support import PERSONAL, RESTRICTED, auth

CLOSED = {RESTRICTED: {"agent", "elu", "admin", "partner"}, PERSONAL: {"admin"}}


@pytest.mark.parametrize("role", [None, "public", "agent", "elu", "partner", "contractor", "admin"])
def test_the_list_of_costs_holds_what_the_caller_reads(
    client: httpx.Client, tokens: dict[str, str], role: str | None
) -> None:
    headers = auth(tokens[role] if role else None)
    listed = client.get("/api/footprint/datasets", headers=headers)
    assert listed.status_code == 200, listed.text
    names = {c["dataset"].removeprefix("published.") for c in listed.json()["data"]}
    assert "densite_population" in names
    for dataset, readers in CLOSED.items():
        assert (dataset in names) is (role in readers), (role, dataset)
        one = client.get(f"/api/footprint/datasets/{dataset}", headers=headers, params={"purpose": "coût"})
        assert (one.status_code == 200) is (role in readers), (role, dataset, one.status_code)
