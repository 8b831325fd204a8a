"""The JSON API endpoints every application form has, added to the form's own router in one call:

- ``GET  <pk>``            the application
- ``POST <pk>/submit``     the applicant's side sends a draft
- ``POST <pk>/withdraw``   the applicant's side takes it back
- ``POST <pk>/<decide>``   the deciding side's positive decision (``register``, ``complete`` …),
  with the form's own body schema if it takes one
- ``POST <pk>/reject``     the deciding side rejects, with a ``reason`` body

Each endpoint fetches the application the way the form's other endpoints do (404 outside the
caller's scope), calls the form's public service and answers with the form's output schema.
Refusals are the services' domain exceptions, mapped to HTTP in ``kengen.api``.

The list, the create endpoint and the PDF stay in the form's ``api`` (they differ per form)::

    workflow_endpoints(
        form2_router,
        names=EndpointNames.of(__name__, "form2", decide="complete"),
        fetch=_form2,
        out=_form2_out,
        response=Form2Out,
        submit=password_application_submit,
        withdraw=password_application_withdraw,
        decide=Decide("complete", password_application_complete, summary="Record completion ..."),
        reject=password_application_reject,
        reject_body=Form2RejectIn,
    )
"""

# No ``from __future__ import annotations`` here: django-ninja reads the views' parameter types
# from their signatures at runtime, and the body schemas are the caller's (closure variables).

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.http import HttpRequest
from ninja import Router, Schema

from kengen.core.bounds import Id
from kengen.workflow.models import WorkflowApplication

A = TypeVar("A", bound=WorkflowApplication)


@dataclass(frozen=True)
class EndpointNames:
    """What the endpoints are called. ``module`` and a view's name make its OpenAPI operation id
    (``kengen_credentials_api_submit_form2``, as django-ninja names a hand-written view); the
    view's name is also its URL name and, unless a summary is given, its summary ("Submit Form2").
    """

    module: str
    get: str
    submit: str
    withdraw: str
    decide: str
    reject: str

    @classmethod
    def of(cls, module: str, noun: str, *, decide: str) -> "EndpointNames":
        """``get_<noun>``, ``submit_<noun>``, ``withdraw_<noun>``, ``<decide>_<noun>``,
        ``reject_<noun>``."""
        return cls(
            module=module,
            get=f"get_{noun}",
            submit=f"submit_{noun}",
            withdraw=f"withdraw_{noun}",
            decide=f"{decide}_{noun}",
            reject=f"reject_{noun}",
        )

    def operation_id(self, name: str) -> str:
        return f"{self.module}_{name}".replace(".", "_")


@dataclass(frozen=True)
class Decide(Generic[A]):
    """The form's positive decision as ``POST <pk>/<action>``.

    ``service`` is called as ``service(actor=, application=, **options)``, where ``options`` are
    the fields of ``body`` (none without a body schema); ``decided`` picks the application out of
    what the service returns (by default the service returns it)."""

    action: str
    service: Callable[..., Any]
    body: type[Schema] | None = None
    summary: str | None = None
    decided: Callable[[Any], A] | None = None

    def options(self, body: Schema | None) -> Mapping[str, Any]:
        # The fields as validated (``dict(body)``, not ``model_dump``): the service gets the same
        # values the endpoint used to pass it one by one.
        return dict(body) if body is not None else {}

    def application(self, result: Any) -> A:
        return self.decided(result) if self.decided is not None else result


def _named(view: Callable[..., Any], name: str) -> Callable[..., Any]:
    view.__name__ = view.__qualname__ = name
    return view


def workflow_endpoints(
    router: Router,
    *,
    names: EndpointNames,
    fetch: Callable[[HttpRequest, int], A],
    out: Callable[[A], Schema],
    response: type[Schema],
    submit: Callable[..., A],
    withdraw: Callable[..., A],
    decide: Decide[A],
    reject: Callable[..., A],
    reject_body: type[Schema],
) -> None:
    """Add the form's detail and transition endpoints to ``router`` (see the module docstring).

    ``fetch(request, pk)`` returns the application the caller may see (404 otherwise); ``out``
    turns it into ``response``; ``submit``/``withdraw`` are called as ``(actor=, application=)``,
    ``reject`` as ``(actor=, application=, reason=)`` with the ``reason`` of ``reject_body``."""

    def get(request, app_id: Id):
        return out(fetch(request, app_id))

    def submit_view(request, app_id: Id):
        return out(submit(actor=request.auth, application=fetch(request, app_id)))

    def withdraw_view(request, app_id: Id):
        return out(withdraw(actor=request.auth, application=fetch(request, app_id)))

    def decided(request, app_id: Id, body: Schema | None):
        result = decide.service(
            actor=request.auth, application=fetch(request, app_id), **decide.options(body)
        )
        return out(decide.application(result))

    decide_body = decide.body
    if decide_body is None:

        def decide_view(request, app_id: Id):
            return decided(request, app_id, None)

    else:

        def decide_view(request, app_id: Id, body: decide_body):  # type: ignore[valid-type,misc]
            return decided(request, app_id, body)

    def reject_view(request, app_id: Id, body: reject_body):  # type: ignore[valid-type]
        return out(reject(actor=request.auth, application=fetch(request, app_id), reason=body.reason))  # type: ignore[attr-defined]

    for path, method, view, name, summary in (
        ("/{int:app_id}", "GET", get, names.get, None),
        ("/{int:app_id}/submit", "POST", submit_view, names.submit, None),
        ("/{int:app_id}/withdraw", "POST", withdraw_view, names.withdraw, None),
        (f"/{{int:app_id}}/{decide.action}", "POST", decide_view, names.decide, decide.summary),
        ("/{int:app_id}/reject", "POST", reject_view, names.reject, None),
    ):
        router.add_api_operation(
            path,
            [method],
            _named(view, name),
            response=response,
            operation_id=names.operation_id(name),
            summary=summary,
        )
