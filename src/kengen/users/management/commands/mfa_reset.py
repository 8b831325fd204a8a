"""``kengen mfa_reset <sign-in name>``: for a user who lost every second factor.

Removes their authenticator apps, passkeys and recovery codes, revokes their API tokens and ends
their sessions; at their next sign-in they set up a new second factor. Audited. Run it only after confirming the person's
identity in person (the second factor exists to stop someone who has only the password).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kengen.users.models import User
from kengen.users.services import second_factor_reset


class Command(BaseCommand):
    help = "Remove a user's second factors (lost phone/passkey), revoke their API tokens, end their sessions."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No Kengen user {username!r}.")
        removed = second_factor_reset(actor=None, user=user)
        self.stdout.write(
            f"Removed {removed} second factor(s) of {username}; their API tokens are revoked and their "
            "sessions ended."
        )
