"""Schemathesis against a live central: requests its OpenAPI schema allows, and requests it
forbids, never get a 5xx, and every answer matches the schema (issue 12, "In the suite").

The central is the real ``o2pos central serve`` of the sync tests, called with a valid
terminal token. Each operation gets a fixed number of examples, generated derandomized
(the same requests on every run), so a failure here fails again on the next run.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.sync.conftest import Central

EXAMPLES = 30  # per operation and mode: under 200 requests in all
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_gets_a_server_error_or_an_answer_off_the_schema(
    central: Central, mode: GenerationMode
) -> None:
    name, token = central.register()
    schema = schemathesis.openapi.from_url(f"{central.url}/openapi.json", timeout=30)
    headers = {"Authorization": f"Bearer {token}"}

    def as_this_terminal(case: Case) -> Case:
        """A push for the token's own terminal reaches the ingest checks, not only a 403."""
        if isinstance(case.body, dict) and "terminal_id" in case.body:
            case.body["terminal_id"] = name
        return case

    answered: set[tuple[str, int]] = set()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/journal", "/v1/master", "/v1/health"}
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not (len(operation.body) or len(operation.query)):
            continue  # nothing to get wrong (the health check, the head of the journal)

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode).map(as_this_terminal))
        def exchange(case: Case) -> None:
            response = case.call_and_validate(base_url=central.url, headers=headers, checks=CHECKS)
            answered.add((case.path, response.status_code))

        exchange()
    if mode is GenerationMode.POSITIVE:  # the token was sent, and taken
        assert ("/v1/journal/head", 200) in answered, sorted(answered)
