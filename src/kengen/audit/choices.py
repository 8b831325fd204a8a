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
    USER_PASSWORD_CHANGED = "user.password_changed", _("Kengen sign-in password changed")
    USER_PASSWORD_RESET = (
        "user.password_reset",
        _("Kengen sign-in password reset (temporary password issued)"),
    )

    ORGANIZATION_CREATED = "organization.created", _("Organization created")
    ORGANIZATION_ENDED = "organization.ended", _("Organization ended")
    ORGANIZATION_REORGANIZED = "organization.reorganized", _("Reorganization")
    POST_CREATED = "post.created", _("Post created")
    POST_UPDATED = "post.updated", _("Post changed")

    PERSON_CREATED = "person.created", _("Person registered")
    PERSON_UPDATED = "person.updated", _("Person updated")
    PERSONNEL_POLICY_CHANGED = "personnel_policy.changed", _("Personnel periods changed")
    APPOINTMENT_STARTED = "appointment.started", _("Appointment started")
    APPOINTMENT_ENDED = "appointment.ended", _("Appointment ended")
    ASSIGNMENT_STARTED = "assignment.started", _("Assignment started")
    ASSIGNMENT_ENDED = "assignment.ended", _("Assignment ended")
    CONTRACTOR_CREATED = "contractor.created", _("Contractor registered")

    SYSTEM_CREATED = "system.created", _("System registered")
    SYSTEM_UPDATED = "system.updated", _("System updated")
    SYSTEM_PERMISSION_CREATED = "system.permission_created", _("Operation permission defined")

    PERSONNEL_CHANGE_APPLIED = "personnel.applied", _("Personnel change applied")
    PERSONNEL_CHANGE_SCHEDULED = "personnel.scheduled", _("Personnel change scheduled")
    PERSONNEL_CHANGE_CANCELLED = "personnel.cancelled", _("Scheduled personnel change cancelled")
    PERSONNEL_CHANGE_FAILED = "personnel.failed", _("Scheduled personnel change failed")
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
    APPLICATION_UPDATED = "application.updated", _("Application draft edited")
    DIRECT_GRANT = "grant.direct", _("Direct grant (A5.5)")
    BREACH_DELETION = "grant.breach_deletion", _("Deletion for breach (A5.7)")
    ENROLMENT_OPENED = "enrolment.opened", _("Biometric enrolment required")
    ENROLMENT_SCHEDULED = "enrolment.scheduled", _("Biometric enrolment scheduled")
    ENROLMENT_COMPLETED = "enrolment.completed", _("Biometric enrolment completed")
    DUE_RUN = "jobs.run_due", _("Scheduled run")

    PROFILE_LOADED = "profile.loaded", _("Profile loaded")
    EXPORT = "export", _("Exported")

    # Kengen's own sign-in (issue 4): second factor, throttling, sessions; A9 acknowledgements.
    LOGIN_THROTTLED = "auth.login_throttled", _("Sign-ins refused for a while after failures")
    MFA_DEVICE_ADDED = "auth.mfa_device_added", _("Second factor added")
    MFA_DEVICE_REMOVED = "auth.mfa_device_removed", _("Second factor removed")
    MFA_RECOVERY_CODES_ISSUED = "auth.mfa_recovery_codes_issued", _("Recovery codes issued")
    MFA_VERIFIED = "auth.mfa_verified", _("Second factor passed")
    MFA_FAILED = "auth.mfa_failed", _("Second factor failed")
    MFA_RESET = "auth.mfa_reset", _("Second factor reset")
    SESSIONS_ENDED = "auth.sessions_ended", _("Sign-in sessions ended")
    SESSION_EXPIRED = "auth.session_expired", _("Sign-in session expired")
    ACKNOWLEDGEMENT_RECORDED = "acknowledgement.recorded", _("Personal-information duties acknowledged (A9)")

    # Passwords held in the management file (A8), Form 2 (A8.1, F2) and viewing IDs (A11).
    CREDENTIAL_POLICY_SET = "credential.policy_set", _("Password policy changed")
    TEMPORARY_PASSWORD_ISSUED = "credential.temporary_issued", _("Temporary password issued (A8.2)")
    TEMPORARY_PASSWORD_REVEALED = "credential.temporary_revealed", _("Temporary password revealed (A8.3)")
    TEMPORARY_PASSWORD_EXPIRED = "credential.temporary_expired", _("Temporary password expired unused")
    PASSWORD_CHANGED = "credential.changed", _("Password changed")
    PASSWORD_EVENT_RECORDED = "credential.event_recorded", _("Password event recorded (held by the system)")
    MAINTENANCE_PASSWORD_SET = "credential.maintenance_set", _("Maintenance staff password set (A8.8)")
    PASSWORD_VERIFY_FAILED = "credential.verify_failed", _("Password verification failed")
    PASSWORD_LOCKED = "credential.locked", _("Password locked")
    PASSWORD_DUE = "credential.due", _("Password change due (A8.7)")
    PASSWORD_ROTATED = "credential.rotated", _("Password rotated")
    SYSTEM_API_KEY_CREATED = "credential.api_key_created", _("System API key created")
    SYSTEM_API_KEY_REVOKED = "credential.api_key_revoked", _("System API key revoked")
    PASSWORD_APPLICATION_CREATED = "password_application.created", _("Password application drafted (Form 2)")
    PASSWORD_APPLICATION_SUBMITTED = "password_application.submitted", _("Password application submitted")
    PASSWORD_APPLICATION_WITHDRAWN = "password_application.withdrawn", _("Password application withdrawn")
    PASSWORD_APPLICATION_COMPLETED = "password_application.completed", _("Password application completed")
    PASSWORD_APPLICATION_REJECTED = "password_application.rejected", _("Password application rejected")
    VIEWING_REQUESTED = "viewing.requested", _("Viewing requested (A11.1)")
    VIEWING_LENT = "viewing.lent", _("Viewing ID lent (A11.2)")
    VIEWING_RETURNED = "viewing.returned", _("Viewing ID returned")
    VIEWING_REFUSED = "viewing.refused", _("Viewing request refused")
    VIEWING_WITHDRAWN = "viewing.withdrawn", _("Viewing request withdrawn")
    AUDIT_KEY_ROTATED = "audit.key_rotated", _("Audit key rotated")
