"""The API against its OpenAPI document (schemathesis): generated requests to every operation, as a coordinator
and as a bank officer, never get a server error, and responses match the documented schemas."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from web_support import WebEnv, build_env

# built at import: schemathesis parametrizes from the schema at collection time
_APP, _FEATURES, _USERS, _ENT, _ = build_env(Path(tempfile.mkdtemp(prefix="contract-")), n=200)
ENV = WebEnv(_APP, TestClient(_APP), _FEATURES, _USERS, _ENT)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _APP)


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_contract(case):
    for user in ("coordinator", "bank_a_officer"):
        response = case.call(headers={"Authorization": f"Bearer {ENV.token(user)}"})
        case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))
