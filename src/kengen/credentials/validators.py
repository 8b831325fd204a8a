"""Kengen's own sign-in passwords follow the same strength rules as system passwords (A8.6).

``SignInPasswordValidator`` is listed in ``AUTH_PASSWORD_VALIDATORS``, so Django's
``validate_password`` — which the users app calls for a self-service change — applies
``credentials.passwords.check_strength`` with the user's own context words (sign-in name, names in
kanji, kana and romaji, the municipality) without the users app importing this one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kengen.core.exceptions import RuleViolation
from kengen.credentials.passwords import Context, check_strength
from kengen.credentials.selectors import municipality_words, person_words


class SignInPasswordValidator:
    """Django password validator: A8.6 strength for Kengen sign-in passwords."""

    def __init__(self, min_length: int = 12) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        words: list[str] = [*municipality_words()]
        if user is not None:
            words.append(getattr(user, "username", "") or "")
            person = getattr(user, "person", None)
            if person is not None:
                words += person_words(person)
        try:
            check_strength(password, min_length=self.min_length, context=Context.of(words))
        except RuleViolation as refusal:
            raise ValidationError(refusal.message, code="a8_6") from None

    def get_help_text(self) -> str:
        return _(
            "At least %(min)d characters; not a common password, not a repeated or sequential run, "
            "and not your sign-in name, your name or the city's name (A8.6)."
        ) % {"min": self.min_length}
