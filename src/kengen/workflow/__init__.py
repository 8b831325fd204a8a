"""The application workflow every form (申請書) shares: apply → decide.

- ``models.WorkflowApplication`` (abstract): number per fiscal year with the form's prefix,
  ``WorkflowStatus`` draft → submitted → registered / completed | rejected | withdrawn, who
  submitted and decided it and when, the rejection reason, named constraints;
  ``models.WorkflowQuerySet``: the applicant's side changes, the deciding side decides.
- ``services``: ``workflow_submit`` / ``workflow_withdraw`` / ``workflow_decide`` /
  ``workflow_reject`` (one transaction each, audited, notices to the deciding side and back),
  ``workflow_number``, ``workflow_lock``, ``workflow_expect``; a form describes itself with a
  ``Workflow`` subclass whose hooks hold its own rules.
- ``views``: list/detail context, ``action_view``, ``pdf_views``; ``templates/workflow/``: the
  status badge, decision fields and action buttons; ``pdf``: the PDF kit (opening, applicant
  block, administrator's box, document).

Form 1 (``applications``), Form 2 (``credentials``) and the consultations and subcontracting
permissions (``outsourcing``) use it; see docs/architecture.md,
"Adding an application form". It imports only lower layers (core, audit, notifications,
organizations, people, roles, systems, users), never the apps that use it.
"""
