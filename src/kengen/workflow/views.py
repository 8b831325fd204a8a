"""The pages every application form has, as helpers its own views call: the list with a status
filter and the count waiting for the user's decision, the detail page's permissions, the action
endpoint (submit, withdraw, decide, reject) and the PDF response.

A form's views stay thin::

    form2_action = action_view(FORM2, decide=("complete", _complete), rejected_message=_("Rejected. …"))
    form2_pdf, form2_blank_pdf = pdf_views(PasswordApplication, render_form2, "form2")

Refusals raised by the services are turned into messages by ``core.middleware``; a refused
action goes back to the page it came from (the application's page without a Referer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kengen.core.access import get_visible
from kengen.core.bounds import TEXT_AREA_MAX, text_problem
from kengen.core.forms import client_ip
from kengen.core.refusals import back_on_refusal
from kengen.core.types import AuthenticatedHttpRequest
from kengen.core.views import paginate
from kengen.roles.selectors import scope_for
from kengen.workflow.choices import WorkflowStatus
from kengen.workflow.forms import RejectForm
from kengen.workflow.models import WorkflowApplication
from kengen.workflow.services import Workflow, workflow_reject, workflow_submit, workflow_withdraw

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: An action: calls the form's service and returns the success message.
Action = Callable[[HttpRequest, Any], str]


def workflow_list_context(request: HttpRequest, model: type[WorkflowApplication], queryset) -> dict[str, Any]:
    """The list page: filtered by ``?status=``, paged in the database, with how many submitted
    applications wait for the user to decide (``to_decide``)."""
    statuses = model.status_choices()
    status = request.GET.get("status", "")
    if status in {value for value, _label in statuses}:
        queryset = queryset.filter(status=status)
    to_decide = (
        model._default_manager.restrict(request.user, "decide")  # type: ignore[attr-defined]
        .filter(status=WorkflowStatus.SUBMITTED)
        .count()
        if scope_for(request.user).administered_system_ids
        else 0
    )
    return {"status": status, "statuses": statuses, "to_decide": to_decide, **paginate(request, queryset)}


def workflow_detail_context(request: HttpRequest, app: WorkflowApplication) -> dict[str, Any]:
    """What the detail page's actions need: may the user act as applicant (``can_change``) or as
    the deciding side (``can_decide``), and the rejection form."""
    manager = type(app)._default_manager
    return {
        "app": app,
        "can_change": manager.restrict(request.user, "change").filter(pk=app.pk).exists(),  # type: ignore[attr-defined]
        "can_decide": manager.restrict(request.user, "decide").filter(pk=app.pk).exists(),  # type: ignore[attr-defined]
        "reject_form": RejectForm(),
    }


def workflow_action(
    request: AuthenticatedHttpRequest,
    flow: Workflow,
    pk: int,
    action: str,
    *,
    decide: tuple[str, Action],
    rejected_message: StrOrPromise,
) -> HttpResponse:
    """POST ``action`` on the application ``pk`` — ``submit``, ``withdraw``, ``reject`` or the
    form's decision (``decide``: its action name and handler) — say what was done and go back to
    its page. 404 outside the user's scope or for an unknown action."""
    app = get_visible(flow.model, request.user, pk=pk, ip_address=client_ip(request))
    if action == "submit":
        workflow_submit(flow, actor=request.user, application=app)
        message = str(app.submitted_message)
    elif action == "withdraw":
        workflow_withdraw(flow, actor=request.user, application=app)
        message = _("Withdrawn.")
    elif action == "reject":
        reason = request.POST.get("reason", "")
        # Issue 10: a reason the database cannot hold (NUL, other control characters, too long) is
        # a 400, never a 500 and never stored.
        if text_problem(reason, multiline=True) or len(reason) > TEXT_AREA_MAX:
            raise BadRequest(_("The reason is too long or contains control characters."))
        workflow_reject(flow, actor=request.user, application=app, reason=reason)
        message = str(rejected_message)
    elif action == decide[0]:
        message = decide[1](request, app)
    else:
        return HttpResponse(status=404)
    messages.success(request, message)
    return redirect(flow.detail_url, app.pk)


def action_view(
    flow: Workflow, *, decide: tuple[str, Action], rejected_message: StrOrPromise
) -> Callable[..., HttpResponse]:
    """The form's action endpoint (``<pk>/<action>``, POST only): see ``workflow_action``."""

    @login_required
    @require_POST
    @back_on_refusal(flow.detail_url, "pk")
    def view(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
        return workflow_action(request, flow, pk, action, decide=decide, rejected_message=rejected_message)

    return view


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """A form's PDF, shown in the browser."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def pdf_views(
    model: type[WorkflowApplication], render: Callable[[Any], bytes], name: str
) -> tuple[Callable[..., HttpResponse], Callable[..., HttpResponse]]:
    """The form's PDF of one application (``<name>-<number>.pdf``, 404 outside the user's scope)
    and its blank form to fill in by hand (``<name>-blank.pdf``)."""

    @login_required
    def filled(request: HttpRequest, pk: int) -> HttpResponse:
        app = get_visible(model, request.user, pk=pk, ip_address=client_ip(request))
        return pdf_response(render(app), f"{name}-{app.number}.pdf")

    @login_required
    def blank(request: HttpRequest) -> HttpResponse:
        return pdf_response(render(None), f"{name}-blank.pdf")

    return filled, blank
