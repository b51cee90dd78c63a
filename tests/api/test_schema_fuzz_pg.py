"""The whole API against its own OpenAPI schema, with requests schemathesis generates from it: as an anonymous
caller, a buyer and a supplier, on PostgreSQL. The bar: no server error, and every response (status code,
content type, body) as the schema documents it.

Bounded: ``SCHEMA_FUZZ_EXAMPLES`` generated requests per operation and persona (5 by default: about a minute
and a half), ``SCHEMA_FUZZ_SECONDS`` at most per persona. Every failure is collected, one per operation and
kind, and reported together with the request that shows it (as a curl command)."""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from django.core import signals
from django.core.cache import caches
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure, FailureGroup

from procurement.accounts.services import api_token_issue
from tests.factories import admitted_company, draft_bid, open_category, published_tender

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=False)]

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "5"))
SECONDS = float(os.environ.get("SCHEMA_FUZZ_SECONDS", "120"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Operations that end the caller's own credentials would turn every later request of the persona into a 401.
CREDENTIAL_ENDING = {("POST", "/api/v1/auth/logout/"), ("DELETE", "/api/v1/auth/token/")}


def _known_ids(world) -> list[str]:
    """Identifiers of real objects, so that generated requests reach the views past their 404: the world's,
    and a published tender with the member's draft bid and a question."""
    category = open_category()
    admitted_company(category, company=world.company)
    tender, _invited = published_tender(suppliers=0, category=category)
    bid = draft_bid(tender, world.member)
    objects = [world.dps, world.category, world.admitted_category, world.company, world.other_company,
               world.application, world.admission, world.document, category.dps, category, tender, bid]
    return [str(o.id) for o in objects]


def _with_known_ids(strategy, known: list[str]):
    """Half of the cases name a real object in their ``id`` path parameter."""

    def name_one(drawn):
        case, choice = drawn
        if choice is not None and "id" in (case.path_parameters or {}):
            case.path_parameters["id"] = choice
        return case

    return st.tuples(strategy, st.one_of(st.none(), st.sampled_from(known))).map(name_one)


def _fuzz(schema, headers: dict, known: list[str]) -> tuple[int, list[str]]:
    counter, failures, seen = [0], [], set()
    stop_at = time.monotonic() + SECONDS
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in CREDENTIAL_ENDING or time.monotonic() > stop_at:
            continue
        _examples(operation, _with_known_ids(operation.as_strategy(), known), headers, counter, failures, seen)()
    return counter[0], failures


def _examples(operation, strategy, headers, counter, failures, seen):
    @given(case=strategy)
    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        caches["default"].clear()  # no throttling between generated requests
        response = case.call(headers=headers)
        counter[0] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (FailureGroup, Failure) as found:
            for failure in getattr(found, "exceptions", [found]):
                key = (operation.label, failure.title, response.status_code)
                if key not in seen:
                    seen.add(key)
                    failures.append(f"{operation.label} → {response.status_code}: {failure.title}: "
                                    f"{failure.message[:300]}\n    {case.as_curl_command(headers=headers)}\n"
                                    f"    {response.text[:300]}")

    return run


@pytest.fixture
def in_test_transaction():
    """The WSGI application is called as a server would, inside the test's transaction: like Django's test
    client, keep the requests from closing the connection that holds it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("in_test_transaction")
@pytest.mark.parametrize("persona", ["anonymous", "buyer", "member"])
def test_every_operation_answers_as_its_schema_says(world, persona):
    headers = {}
    if persona != "anonymous":
        key, _token = api_token_issue(user=world.user(persona))
        headers["Authorization"] = f"Token {key}"
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    sent, failures = _fuzz(schema, headers, _known_ids(world))
    print(f"{persona}: {sent} requests, {len(failures)} failures")
    assert sent > 0
    assert not failures, "\n".join(failures)
