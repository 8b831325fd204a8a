from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """Every kind of event the audit log records (authentik's ``EventAction``)."""

    LOGIN_SUCCEEDED = "auth.login", _("Signed in")
    LOGIN_FAILED = "auth.login_failed", _("Sign-in failed")
    LOGOUT = "auth.logout", _("Signed out")
    ACCESS_DENIED = "auth.access_denied", _("Access denied")
    API_TOKEN_CREATED = "auth.api_token_created", _("API token created")
    API_TOKEN_REVOKED = "auth.api_token_revoked", _("API token revoked")
    USER_CREATED = "user.created", _("Kengen user created")
    USER_UPDATED = "user.updated", _("Kengen user updated")

    ORGANIZATION_CREATED = "organization.created", _("Organization created")
    ORGANIZATION_ENDED = "organization.ended", _("Organization ended")
    ORGANIZATION_REORGANIZED = "organization.reorganized", _("Reorganization")
    POST_CREATED = "post.created", _("Post created")

    PERSON_CREATED = "person.created", _("Person registered")
    PERSON_UPDATED = "person.updated", _("Person updated")
    APPOINTMENT_STARTED = "appointment.started", _("Appointment started")
    APPOINTMENT_ENDED = "appointment.ended", _("Appointment ended")
    ASSIGNMENT_STARTED = "assignment.started", _("Assignment started")
    ASSIGNMENT_ENDED = "assignment.ended", _("Assignment ended")
    CONTRACTOR_CREATED = "contractor.created", _("Contractor registered")

    SYSTEM_CREATED = "system.created", _("System registered")
    SYSTEM_UPDATED = "system.updated", _("System updated")
    SYSTEM_PERMISSION_CREATED = "system.permission_created", _("Operation permission defined")

    ROLE_DESIGNATED = "role.designated", _("Role designated")
    ROLE_DESIGNATION_ENDED = "role.designation_ended", _("Role designation ended")

    ELIGIBILITY_ENTRY_CREATED = "eligibility.created", _("Table 2 entry created")
    ELIGIBILITY_ENTRY_ENDED = "eligibility.ended", _("Table 2 entry ended")

    ACCOUNT_CREATED = "account.created", _("User ID registered")
    ACCOUNT_ENDED = "account.ended", _("User ID ended")
    GRANT_CREATED = "grant.created", _("Permission granted")
    GRANT_ENDED = "grant.ended", _("Permission ended")

    NETWORK_REGISTRATION_RECORDED = "network_registration.recorded", _("Network user registration recorded")
    APPLICATION_CREATED = "application.created", _("Application drafted")
    APPLICATION_SUBMITTED = "application.submitted", _("Application submitted")
    APPLICATION_WITHDRAWN = "application.withdrawn", _("Application withdrawn")
    APPLICATION_REGISTERED = "application.registered", _("Application registered")
    APPLICATION_REJECTED = "application.rejected", _("Application rejected")
    DIRECT_GRANT = "grant.direct", _("Direct grant (A5.5)")
    BREACH_DELETION = "grant.breach_deletion", _("Deletion for breach (A5.7)")
    ENROLMENT_OPENED = "enrolment.opened", _("Biometric enrolment required")
    ENROLMENT_SCHEDULED = "enrolment.scheduled", _("Biometric enrolment scheduled")
    ENROLMENT_COMPLETED = "enrolment.completed", _("Biometric enrolment completed")
    DUE_RUN = "jobs.run_due", _("Scheduled run")

    PROFILE_LOADED = "profile.loaded", _("Profile loaded")
    EXPORT = "export", _("Exported")
