"""``kengen audit rotate-key``: add a new audit key to the key ring; new events are signed with it."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from kengen.audit.choices import AuditAction
from kengen.audit.keys import rotate
from kengen.audit.services import audit_record


class Command(BaseCommand):
    help = (
        "Generate a new audit key in the key ring file (KENGEN_AUDIT_KEYRING) and sign new events "
        "with it; older keys stay in the ring so the whole chain still verifies."
    )

    def handle(self, *args, **options):
        try:
            key_id = rotate()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc), returncode=2) from exc
        audit_record(
            actor=None,
            action=AuditAction.AUDIT_KEY_ROTATED,
            target_label="audit key ring",
            new={"key_id": key_id},
        )
        self.stdout.write(self.style.SUCCESS(f"audit key {key_id} added; new events are signed with it"))
