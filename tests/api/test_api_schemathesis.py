"""Schemathesis against the OpenAPI document of a live server: no server errors, responses as
documented; and with data the schema forbids (negative mode), a 4xx: refused, never a 500."""

from __future__ import annotations

from typing import Any

import schemathesis
from api_support import LiveServer
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _run(app: FastAPI, mode: GenerationMode, checks: list[Any], examples: int) -> None:
    failures: list[str] = []
    with LiveServer(app) as live:
        schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20
        if mode is GenerationMode.NEGATIVE:  # only a parameter can be given a forbidden value
            operations = [op for op in operations if len(op.query) + len(op.path_parameters) > 0]
        for operation in operations:

            @given(case=operation.as_strategy(mode))
            @settings(
                max_examples=examples,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def check(case: schemathesis.Case) -> None:
                case.call_and_validate(checks=checks)

            try:
                check()
            except Unsatisfiable:
                # negative mode: every string fits a path parameter the schema does not constrain
                assert mode is GenerationMode.NEGATIVE, operation.path
            except Exception as exc:
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert not failures, "\n\n".join(failures)


def test_api_contract(app: FastAPI) -> None:
    _run(app, GenerationMode.POSITIVE, CHECKS, 30)


def test_data_the_schema_forbids_is_refused(app: FastAPI) -> None:
    _run(app, GenerationMode.NEGATIVE, [not_a_server_error, negative_data_rejection], 10)
