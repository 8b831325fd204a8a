"""Passwords in the management file (A2.6, A8.2–A8.8) and the verify API's rules.

Every write is one transaction with its audit event; notifications are stored in it and emailed
after commit. No secret ever reaches the audit log, a notification, an email, a log line or an
exception message (A8.5): the only places a password exists are the request that carries it, the
one response that shows a generated one (reveal page, maintenance/viewing confirmation), and its
Argon2id verifier.

Where a rule needs a failed attempt to be remembered even though the call is refused (a wrong
current password, a throttled request), that record is committed in its own short transaction
before the refusal is raised.
"""

from kengen.credentials.services._common import (
    TEMPORARY_PASSWORD_SYSTEMS,
    password_deadline,
)
from kengen.credentials.services.change import (
    password_change,
    password_event_record,
)
from kengen.credentials.services.due import (
    credentials_run_due,
    expire_temporary_passwords,
    policy_default_reminder,
    record_due_passwords,
    remind_password_changes,
)
from kengen.credentials.services.form2 import (
    FORM2,
    password_application_complete,
    password_application_create,
    password_application_reject,
    password_application_submit,
    password_application_withdraw,
    requires_officer,
)
from kengen.credentials.services.keys import (
    API_KEY_PREFIX,
    IssuedKey,
    system_api_key_authenticate,
    system_api_key_create,
    system_api_key_revoke,
)
from kengen.credentials.services.policy import (
    credential_policy_editable_by,
    credential_policy_set,
    require_credential_policy_editor,
)
from kengen.credentials.services.rotation import credential_create_locked, credential_rotate
from kengen.credentials.services.temporary import (
    IssuedSecret,
    IssuedTemporary,
    maintenance_password_set,
    reveal_link_for,
    temporary_password_issue,
    temporary_password_reveal,
)
from kengen.credentials.services.verify import (
    DEFAULT_RATE_LIMITS,
    StaleVerifyCache,
    Throttled,
    VerifyOutcome,
    password_change_via_system,
    password_verify,
    verify_failure_count,
    verify_throttle,
)

__all__ = [
    "API_KEY_PREFIX",
    "DEFAULT_RATE_LIMITS",
    "FORM2",
    "TEMPORARY_PASSWORD_SYSTEMS",
    "IssuedKey",
    "IssuedSecret",
    "IssuedTemporary",
    "StaleVerifyCache",
    "Throttled",
    "VerifyOutcome",
    "credential_create_locked",
    "credential_policy_editable_by",
    "credential_policy_set",
    "credential_rotate",
    "credentials_run_due",
    "expire_temporary_passwords",
    "maintenance_password_set",
    "password_application_complete",
    "password_application_create",
    "password_application_reject",
    "password_application_submit",
    "password_application_withdraw",
    "password_change",
    "password_change_via_system",
    "password_deadline",
    "password_event_record",
    "password_verify",
    "policy_default_reminder",
    "record_due_passwords",
    "remind_password_changes",
    "require_credential_policy_editor",
    "requires_officer",
    "reveal_link_for",
    "system_api_key_authenticate",
    "system_api_key_create",
    "system_api_key_revoke",
    "temporary_password_issue",
    "temporary_password_reveal",
    "verify_failure_count",
    "verify_throttle",
]
