"""Fuzzing the whole JSON API with schemathesis (issue 10).

Every operation of ``/api/v1/openapi.json`` is called in-process (WSGI, no server, no network)
with generated inputs — valid and invalid — by a core administrator's bearer token, on a small
municipality built through the services. The run is bounded so that it fits in CI (a few examples
per operation, no shrinking, derandomized so that every run tries the same inputs); it must find no
5xx and no response that contradicts the documented schema.

``KENGEN_FUZZ_EXAMPLES=200 KENGEN_FUZZ_RANDOM=1 uv run pytest src/kengen/tests/test_api_fuzz.py``
fuzzes longer and with fresh inputs, for a deeper look before a release.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("KENGEN_FUZZ_EXAMPLES", "8"))


def _schema():
    """The schema the API serves, bound to the WSGI application."""
    from kengen.api import api
    from kengen.wsgi import application

    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
    loaded.app = application
    loaded.location = "/api/v1/openapi.json"
    return loaded


schema = _schema()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Django closes "old" connections at each request's start and end; inside the test's
    transaction that would close it (PostgreSQL). Django's own test client switches this off for
    its requests; schemathesis calls the WSGI application directly, so this does the same."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(world):
    world.core()
    return api_token_create(user=world.users["joho_head"], name="fuzz").raw


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=os.environ.get("KENGEN_FUZZ_RANDOM") != "1",
    database=None,
)
def test_no_operation_answers_5xx_or_breaks_its_schema(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


def test_every_api_schema_has_its_own_name():
    """OpenAPI components are keyed by class name: two schemas with one name (``EntryOut`` was
    both a 別表第2 line and a grant) make one of them describe the other's responses."""
    import importlib
    import pkgutil

    from pydantic import BaseModel

    import kengen

    seen: dict[str, str] = {}
    for info in pkgutil.iter_modules(kengen.__path__):
        try:
            module = importlib.import_module(f"kengen.{info.name}.api")
        except ModuleNotFoundError:
            continue
        for name, obj in vars(module).items():
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__:
                assert name not in seen, f"{name} is defined in {seen[name]} and {module.__name__}"
                seen[name] = module.__name__
    assert "GrantEntryOut" in seen and "Table2EntryOut" in seen
