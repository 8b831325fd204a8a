"""Viewing IDs (A11.1–A11.4) through the services."""

import os
import threading

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, NotFound, PermissionDenied, RuleViolation
from kengen.credentials.choices import VerifyResult
from kengen.credentials.models import Credential
from kengen.credentials.passwords import verify_password
from kengen.credentials.services import credential_policy_set, password_verify
from kengen.notifications.models import Notification
from kengen.testing import START
from kengen.viewing.choices import LendingStatus
from kengen.viewing.models import ViewingLending
from kengen.viewing.services import (
    lending_headers,
    lending_rows,
    viewing_id_create,
    viewing_lend,
    viewing_refuse,
    viewing_request,
    viewing_return,
    viewing_withdraw,
)

pytestmark = pytest.mark.django_db


def _ask(w, viewer_key="jinji_clerk"):
    return viewing_request(actor=w.users[viewer_key], holder_organization=w.kazei, purpose="扶養控除の確認")


def _verify(w, account, password):
    return password_verify(system=w.core_system, user_id=account.user_id, password=password)


@pytest.mark.clause("A11.1")
def test_a_viewer_from_another_division_asks_the_holding_units_officer(kazei):
    lending = _ask(kazei)
    assert lending.status == LendingStatus.REQUESTED
    assert lending.viewer_name == "田中 花子" and lending.viewer_unit_name == "総務部職員課人事係"
    assert Notification.objects.filter(clause="A11.1", recipient=kazei.people["shiminzei_head"]).exists()
    assert AuditEvent.objects.filter(action="viewing.requested").exists()


@pytest.mark.clause("A11.1")
def test_staff_of_the_division_that_installed_the_terminals_are_refused(kazei):
    with pytest.raises(RuleViolation) as exc:
        _ask(kazei, "kazei_clerk")  # 課税係 is in 市民税課, the division holding the terminals
    assert exc.value.clause == "A11.1"
    with pytest.raises(RuleViolation):
        _ask(kazei, "shiminzei_head")  # the division's head is of the same division too


@pytest.mark.clause("A11.1")
def test_a_purpose_is_required(kazei):
    with pytest.raises(RuleViolation) as exc:
        viewing_request(actor=kazei.users["jinji_clerk"], holder_organization=kazei.kazei, purpose="  ")
    assert exc.value.field == "purpose"


@pytest.mark.clause("A11.2")
@pytest.mark.clause("A11.4")
def test_the_officer_lends_and_the_viewing_password_works_until_returned(kazei):
    lending = _ask(kazei)
    assert _verify(kazei, kazei.view1, "anything at all").result == VerifyResult.LOCKED  # not lent: locked
    lent = viewing_lend(actor=kazei.users["shiminzei_head"], lending=lending, account=kazei.view1)
    assert lent.password and lent.password not in repr(lent)
    lending.refresh_from_db()
    assert lending.status == LendingStatus.LENT and lending.lent_by == kazei.people["shiminzei_head"]
    outcome = _verify(kazei, kazei.view1, lent.password)
    assert outcome.result == VerifyResult.VALID and outcome.permissions == (("CK-TAX", "inquiry"),)
    assert Notification.objects.filter(clause="A11.2", recipient=kazei.people["jinji_clerk"]).exists()
    for event in AuditEvent.objects.filter(action="viewing.lent"):
        assert lent.password not in str(event.new)


@pytest.mark.clause("A11.4")
def test_a_returned_password_never_works_again(kazei):
    lending = _ask(kazei)
    lent = viewing_lend(actor=kazei.users["shiminzei_head"], lending=lending, account=kazei.view1)
    viewing_return(actor=kazei.users["shiminzei_head"], lending=lending)
    cred = Credential.objects.get(account=kazei.view1)
    assert not verify_password(lent.password, cred.verifier)  # rotated, not merely locked
    assert _verify(kazei, kazei.view1, lent.password).result != VerifyResult.VALID
    lending.refresh_from_db()
    assert lending.status == LendingStatus.RETURNED and lending.returned_at is not None
    # the next lending gets a fresh password; the previous viewer's still fails
    second = viewing_lend(actor=kazei.users["shiminzei_head"], lending=_ask(kazei), account=kazei.view1)
    assert second.password != lent.password
    assert _verify(kazei, kazei.view1, lent.password).result == VerifyResult.WRONG
    assert _verify(kazei, kazei.view1, second.password).result == VerifyResult.VALID
    assert AuditEvent.objects.filter(action="credential.rotated").count() == 1


@pytest.mark.clause("A11.3")
def test_a_viewing_id_cannot_be_lent_twice_at_once(kazei):
    first = _ask(kazei)
    viewing_lend(actor=kazei.users["shiminzei_head"], lending=first, account=kazei.view1)
    second = _ask(kazei)
    with pytest.raises(Conflict) as exc:
        viewing_lend(actor=kazei.users["shiminzei_head"], lending=second, account=kazei.view1)
    assert "VIEW01" in exc.value.message
    second.refresh_from_db()
    assert second.status == LendingStatus.REQUESTED
    viewing_lend(
        actor=kazei.users["shiminzei_head"], lending=second, account=kazei.view2
    )  # another ID is free


@pytest.mark.clause("A11.3")
def test_the_database_refuses_two_open_lendings_of_one_id(kazei):
    first, second = _ask(kazei), _ask(kazei)
    viewing_lend(actor=kazei.users["shiminzei_head"], lending=first, account=kazei.view1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ViewingLending.objects.filter(pk=second.pk).update(
            status=LendingStatus.LENT, account=kazei.view1, lent_at=timezone.now()
        )


@pytest.mark.clause("A11.2")
def test_only_the_holding_units_officer_lends(kazei):
    lending = _ask(kazei)
    for other in ("shokuin_head", "jinji_clerk", "joho_head"):
        with pytest.raises(NotFound):
            viewing_lend(actor=kazei.users[other], lending=lending, account=kazei.view1)


@pytest.mark.clause("A11.4")
def test_lending_needs_kengen_to_hold_the_password(kazei):
    credential_policy_set(actor=kazei.users["joho_head"], system=kazei.core_system, mode="system")
    with pytest.raises(RuleViolation) as exc:
        viewing_lend(actor=kazei.users["shiminzei_head"], lending=_ask(kazei), account=kazei.view1)
    assert exc.value.clause == "A11.4"


@pytest.mark.clause("A11.4")
def test_viewing_ids_are_registered_by_the_systems_administrator_with_permissions(kazei):
    inquiry = kazei.tax.permissions.get(code="inquiry")
    with pytest.raises(PermissionDenied):
        viewing_id_create(
            actor=kazei.users["shiminzei_head"],
            system=kazei.core_system,
            user_id="VIEW03",
            holder_organization=kazei.kazei,
            permissions=[inquiry],
            valid_from=START,
        )
    with pytest.raises(RuleViolation):
        viewing_id_create(
            actor=kazei.users["joho_head"],
            system=kazei.core_system,
            user_id="VIEW03",
            holder_organization=kazei.kazei,
            permissions=[],
            valid_from=START,
        )


@pytest.mark.clause("A11.3")
def test_the_lending_record_holds_name_unit_id_times_and_purpose(kazei):
    lending = _ask(kazei)
    viewing_lend(actor=kazei.users["shiminzei_head"], lending=lending, account=kazei.view1)
    viewing_return(actor=kazei.users["shiminzei_head"], lending=lending)
    lending = ViewingLending.objects.select_related("account__system", "holder_organization", "lent_by").get()
    (row,) = lending_rows([lending])
    record = dict(zip(lending_headers(), row, strict=True))
    assert record["Viewer"] == "田中 花子"
    assert "総務部職員課人事係" in row and "VIEW01" in row and "扶養控除の確認" in row
    assert lending.lent_at is not None and lending.returned_at is not None


def test_refuse_and_withdraw(kazei):
    lending = _ask(kazei)
    with pytest.raises(RuleViolation):
        viewing_refuse(actor=kazei.users["shiminzei_head"], lending=lending, reason="")
    viewing_refuse(actor=kazei.users["shiminzei_head"], lending=lending, reason="閲覧の必要が認められない")
    assert Notification.objects.filter(recipient=kazei.people["jinji_clerk"], clause="A11.2").exists()
    other = _ask(kazei)
    with pytest.raises(NotFound):
        viewing_withdraw(actor=kazei.users["shiminzei_head"], lending=other)
    viewing_withdraw(actor=kazei.users["jinji_clerk"], lending=other)
    with pytest.raises(Conflict):
        viewing_lend(actor=kazei.users["shiminzei_head"], lending=other, account=kazei.view1)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="row locks are a PostgreSQL matter; SQLite serialises writers itself",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.clause("A11.3")
def test_two_officers_lending_one_id_at_once_lend_it_once(kazei):
    """Two threads (two connections) lend VIEW01 for two requests at the same moment."""
    from django.db import connection

    assert connection.vendor == "postgresql"
    requests = [_ask(kazei), _ask(kazei)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def lend(lending):
        from django.db import connection as conn

        try:
            barrier.wait()
            viewing_lend(actor=kazei.users["shiminzei_head"], lending=lending, account=kazei.view1)
            outcomes.append("lent")
        except Conflict:
            outcomes.append("conflict")
        finally:
            conn.close()

    threads = [threading.Thread(target=lend, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "lent"]
    assert ViewingLending.objects.filter(account=kazei.view1, status=LendingStatus.LENT).count() == 1
