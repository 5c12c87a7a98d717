"""Schema-driven fuzzing: every operation in the OpenAPI schema, with valid and invalid input,
must answer without a 5xx and as the schema documents (status, content type, body)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from rag.service import RagService
from rag.settings import Settings

OPERATIONS = [
    "POST /v1/chat",
    "POST /v1/chat/completions",
    "GET /v1/documents",
    "POST /v1/documents",
    "DELETE /v1/documents/{doc_id}",
    "GET /v1/documents/{doc_id}/text",
    "GET /healthz",
    "GET /readyz",
]
# Not `positive_data_acceptance`: the schema cannot express rules such as "the last message is
# the user's" or "a document id is 16 hex characters", which answer 400 for schema-valid input.
# Not `negative_data_rejection`: pydantic's lax mode accepts some schema-invalid values on
# purpose (`"temperature": true` reads as 1.0), and which ones come up varies between runs.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(
    service_factory: Callable[..., tuple[RagService, Settings]],
) -> schemathesis.BaseSchema:
    # Its own service: fuzzed uploads and deletes must not change what other tests retrieve.
    service, app_settings = service_factory()
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(app_settings, service))


def test_every_operation_is_fuzzed(api_schema: schemathesis.BaseSchema) -> None:
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert labels == set(OPERATIONS)


# Invalid input only where there is input to spoil: a bare path parameter stays a valid string.
CASES = [(label, GenerationMode.POSITIVE) for label in OPERATIONS] + [
    (label, GenerationMode.NEGATIVE) for label in OPERATIONS if label.startswith("POST")
]


# The operations are listed, not collected through schemathesis' pytest fixture loader:
# schemathesis 4.32 reads `request.node._nodeid`, which pytest 9 no longer has.
@pytest.mark.parametrize(("label", "mode"), CASES, ids=[f"{m.value} {op}" for op, m in CASES])
def test_operation_answers_as_documented(
    api_schema: schemathesis.BaseSchema, label: str, mode: GenerationMode
) -> None:
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    fuzz()
