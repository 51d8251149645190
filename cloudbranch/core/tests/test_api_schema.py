"""Schemathesis against the live OpenAPI schema (/api/openapi.json): no endpoint answers 5xx.

Requests go in-process through the WSGI application, authenticated as the ``world`` org admin
with a personal API token, so generated cases reach the real services and permission checks.
Only ``not_a_server_error`` is checked: 4xx answers to nonsense input are the point.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from cloudbranch.accounts.services import api_token_create
from cloudbranch.wsgi import application

# Loaded at collection (producing the schema touches no database); one test per operation.
# ``schemathesis.pytest.from_fixture`` would defer this, but it breaks on pytest 9 (it assigns
# ``node._nodeid``). A schema that cannot be produced is one failing test, not a collection error
# that would stop the rest of the suite.
try:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
except Exception as exc:  # noqa: BLE001 - reported by test_openapi_schema_loads
    schema, schema_error = None, exc
else:
    schema_error = None


@pytest.fixture
def world(shared_world):
    """Built once per module (see ``shared_world``): each operation still starts from the world as built."""
    return shared_world


@pytest.fixture
def admin_token(world):
    _, clear = api_token_create(actor=world.users["admin"], name="schemathesis")
    return clear


def test_openapi_schema_loads():
    assert schema_error is None, f"/api/openapi.json cannot be produced: {schema_error}"


if schema is not None:

    @schema.parametrize()
    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def test_api_has_no_server_errors(case, admin_token):
        response = case.call(headers={"Authorization": f"Bearer {admin_token}"})
        case.validate_response(response, checks=[not_a_server_error])
