"""One way for the UI to show a service's refusal (``Conflict`` or ``RuleViolation``).

Services refuse with domain exceptions (``core.exceptions``); views never catch them one by one.

- On a page with a form, wrap the service call in ``refusals_on(form)``: a refusal becomes an
  error on the form (next to the field the service named, where the form has it) and the view
  falls through to render the page again with what was typed::

      if request.method == "POST" and form.is_valid():
          with refusals_on(form, fields={"valid_to": "last_day"}):
              grant_direct(actor=request.user, …)
              messages.success(request, …)
              return redirect(…)
      return render(request, "grants/direct.html", {"form": form, …})

- Anywhere else (an action button), let it propagate: ``core.middleware.DomainExceptionMiddleware``
  shows it as a message and goes back to the page the user came from — or, without a same-site
  Referer, to the page named by ``@back_on_refusal`` on the view. ``NotFound`` and
  ``PermissionDenied`` always become 404 and 403 there.

Both say the refusal the same way: the message and its clause (``… [A7]``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from django import forms

from kengen.core.exceptions import Conflict, DomainError, RuleViolation

F = TypeVar("F", bound=Callable[..., Any])


def refusal_text(exc: DomainError) -> str:
    """The refusal as the user reads it: the message, and the clause it rests on."""
    return f"{exc.message} [{exc.clause}]" if exc.clause else str(exc.message)


@contextmanager
def refusals_on(form: forms.BaseForm, *, fields: Mapping[str, str] | bool = False) -> Iterator[None]:
    """Turn a ``Conflict`` or ``RuleViolation`` raised inside into an error on ``form`` and carry
    on after the block. ``fields``: ``False`` puts every refusal at the top of the form; ``True``
    next to the form field of the same name as the service's ``field``; a mapping translates the
    service's field names to the form's. A field the form does not have goes to the top."""
    try:
        yield
    except (Conflict, RuleViolation) as exc:
        name = None
        if fields is True:
            name = exc.field
        elif fields:
            name = fields.get(exc.field or "")
        form.add_error(name if name in form.fields else None, refusal_text(exc))


def back_on_refusal(url_name: str, *kwarg_names: str) -> Callable[[F], F]:
    """Where a refused POST of this view goes back to when the browser sent no same-site
    Referer: the page ``url_name``, reversed with the view's own ``kwarg_names`` (e.g. ``"pk"``)."""

    def decorate(view: F) -> F:
        view.refusal_back = (url_name, kwarg_names)  # type: ignore[attr-defined]
        return view

    return decorate
