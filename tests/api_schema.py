"""A test client whose answers are validated against the OpenAPI schema the API serves, and its fixtures.

Registered for tests/integration by its conftest; a module that names `Checked` imports it from here."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.test import Client
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.exceptions import OpenAPIError

from pods.api.reference import schema_document


@pytest.fixture(scope="module")
def schema() -> dict:
    return schema_document()


@pytest.fixture(scope="module")
def openapi(schema) -> OpenAPI:
    return OpenAPI.from_dict(schema)  # also checks that the document is valid OpenAPI


def explain(exc: BaseException) -> str:
    """The schema errors behind an openapi-core error, one line each with where in the body it is."""
    errors, cause = [], exc
    while cause is not None and not errors:
        errors = list(getattr(cause, "schema_errors", ()))
        cause = cause.__cause__
    if not errors:
        return repr(exc)
    lines: list[str] = []
    for error in errors[:20]:
        leaves = [error]
        while leaves and leaves[0].context:  # oneOf/anyOf: show the branches' own reasons
            leaves = sorted(leaves[0].context, key=lambda e: -len(e.absolute_path))
        lines += [f"  {leaf.json_path}: {leaf.message[:300]}" for leaf in leaves[:3]]
    return "\n".join(dict.fromkeys(lines))


class Checked:
    """A test client whose every answer is validated against the schema; remembers what it met."""

    def __init__(self, client, openapi: OpenAPI, schema: dict, met: dict[str, set[int]]):
        self.client, self.openapi, self.schema, self.met = client, openapi, schema, met

    def get(self, template: str, params: dict | None = None, **kw):
        path = template.format(**{k: kw.pop(k) for k in ("uid",) if k in kw})
        response = self.client.get(path, params or {}, **kw)
        assert response["Content-Type"].startswith("application/json"), response.content[:200]
        request = DjangoOpenAPIRequest(response.wsgi_request)
        assert request.path_pattern == template, "asked for the endpoint this test meant"
        if response.status_code < 400:
            self.openapi.validate_request(request)  # the test asks only with documented parameters
        try:
            self.openapi.validate_response(request, DjangoOpenAPIResponse(response))
        except OpenAPIError as exc:
            problem = explain(exc)  # short: the answer itself can be large
        else:
            problem = ""
        if problem:
            pytest.fail(f"GET {path} {response.status_code} does not match the schema:\n{problem}", False)
        self.met[template].add(response.status_code)
        return response

    def assert_met_every_documented_answer(self, template: str) -> None:
        documented = {int(code) for code in self.schema["paths"][template]["get"]["responses"]}
        assert self.met[template] == documented


@pytest.fixture
def met() -> dict[str, set[int]]:
    """Endpoint -> the status codes its validated answers had (shared by `api` and `anonymous`)."""
    return defaultdict(set)


@pytest.fixture
def api(client, user, openapi, schema, met) -> Checked:
    client.force_login(user)
    return Checked(client, openapi, schema, met)


@pytest.fixture
def anonymous(openapi, schema, met) -> Checked:
    return Checked(Client(), openapi, schema, met)


@pytest.fixture
def without_logs(db, django_user_model, openapi, schema, met) -> Checked:
    """A user who may read every Pod but not their logs (docs/operations.md "Access control")."""
    from access.models import Grant

    reader = django_user_model.objects.create_user(username="reader", password="correct-horse-battery")
    Grant.objects.create(user=reader, cluster="*", logs=False)
    client = Client()
    client.force_login(reader)
    return Checked(client, openapi, schema, met)
