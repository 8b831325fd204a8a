"""The UI's one refusal handler: a refusal on a form page becomes a form error; elsewhere the
middleware shows it as a message and goes back."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory

from kengen.core.exceptions import Conflict, NotFound, RuleViolation
from kengen.core.middleware import DomainExceptionMiddleware
from kengen.core.refusals import back_on_refusal, refusal_text, refusals_on


class _Form(forms.Form):
    last_day = forms.DateField(required=False)
    reason = forms.CharField(required=False)


def _form() -> _Form:
    form = _Form({})
    assert form.is_valid()
    return form


def test_a_refusal_says_its_clause():
    assert refusal_text(RuleViolation("Too long.", clause="A7")) == "Too long. [A7]"
    assert refusal_text(Conflict("Already ended.")) == "Already ended."


def test_a_refused_call_becomes_a_form_error_and_the_view_carries_on():
    form = _form()
    reached = []
    with refusals_on(form):
        raise RuleViolation("Too long.", clause="A7", field="valid_to")
        reached.append("after the call")  # never runs
    assert reached == []
    assert form.non_field_errors() == ["Too long. [A7]"]


@pytest.mark.parametrize(
    ("fields", "service_field", "expected"),
    [
        (True, "reason", "reason"),  # the form has the service's field
        (True, "valid_to", None),  # it does not: at the top
        ({"valid_to": "last_day"}, "valid_to", "last_day"),  # translated
        ({"valid_to": "last_day"}, "reason", None),  # not in the map: at the top
    ],
)
def test_a_refusal_goes_next_to_the_field_the_service_named(fields, service_field, expected):
    form = _form()
    with refusals_on(form, fields=fields):
        raise Conflict("No.", field=service_field)
    key = expected or "__all__"
    assert form.errors == {key: ["No."]}


def test_other_refusals_are_not_swallowed():
    form = _form()
    with pytest.raises(NotFound), refusals_on(form):
        raise NotFound("Not found.")
    assert form.errors == {}


def _request(**headers):
    request = RequestFactory().post("/things/7/do", **headers)
    request._messages = CookieStorage(request)
    return request


def test_a_refused_action_goes_back_with_the_message():
    middleware = DomainExceptionMiddleware(lambda request: None)

    @back_on_refusal("applications:detail", "pk")
    def view(request, pk):  # pragma: no cover - never called
        raise AssertionError

    request = _request()
    middleware.process_view(request, view, (), {"pk": 7})
    response = middleware.process_exception(request, Conflict("Already done.", clause="A5.4"))
    assert response.status_code == 302 and response["Location"] == "/applications/7/"
    assert [str(m) for m in get_messages(request)] == ["Already done. [A5.4]"]

    came_from = _request(HTTP_REFERER="http://testserver/somewhere/")
    middleware.process_view(came_from, view, (), {"pk": 7})
    response = middleware.process_exception(came_from, Conflict("Already done."))
    assert response["Location"] == "http://testserver/somewhere/"  # where the user was comes first
