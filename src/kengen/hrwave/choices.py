from django.db import models
from django.utils.translation import gettext_lazy as _


class WaveStatus(models.TextChoices):
    """Where an imported HR list stands."""

    INVALID = "invalid", _("Has errors (nothing will change)")
    VALID = "valid", _("Validated, not previewed")
    PREVIEWED = "previewed", _("Previewed")
    SCHEDULED = "scheduled", _("Scheduled")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class WaveAction(models.TextChoices):
    """The action column of an HR list (what happens to the person on the date)."""

    HIRE = "hire", _("Joiner")
    MOVE = "move", _("Mover")
    END = "end", _("Leaver")
    APPOINTMENT = "appointment", _("Reappointment")


#: The fields of a normalized HR row, in the order the mapping editor shows them.
WAVE_FIELDS: tuple[tuple[str, str], ...] = (
    ("staff_number", "staff number"),
    ("family_name", "family name"),
    ("given_name", "given name"),
    ("family_name_kana", "family name (kana)"),
    ("given_name_kana", "given name (kana)"),
    ("organization", "organization code or name"),
    ("post", "post code or name"),
    ("employment_type", "employment type"),
    ("appointment_from", "appointment from"),
    ("appointment_to", "appointment to"),
    ("effective_on", "effective date"),
    ("action", "action"),
    ("reason", "end reason"),
    ("email", "email"),
)
REQUIRED_FIELDS = ("staff_number", "action")

#: Default headers (a typical Japanese HR export); the mapping editor changes them per city.
DEFAULT_MAPPING: dict[str, str] = {
    "staff_number": "職員番号",
    "family_name": "氏",
    "given_name": "名",
    "family_name_kana": "氏カナ",
    "given_name_kana": "名カナ",
    "organization": "所属コード",
    "post": "職",
    "employment_type": "任用区分",
    "appointment_from": "任用開始日",
    "appointment_to": "任用終了日",
    "effective_on": "発令日",
    "action": "異動区分",
    "reason": "事由",
    "email": "メール",
}

#: Values the action column may hold (Japanese HR words and Kengen's own codes).
ACTION_WORDS: dict[str, str] = {
    "hire": WaveAction.HIRE,
    "採用": WaveAction.HIRE,
    "新規採用": WaveAction.HIRE,
    "move": WaveAction.MOVE,
    "異動": WaveAction.MOVE,
    "転任": WaveAction.MOVE,
    "昇任": WaveAction.MOVE,
    "end": WaveAction.END,
    "退職": WaveAction.END,
    "任期満了": WaveAction.END,
    "appointment": WaveAction.APPOINTMENT,
    "再任用": WaveAction.APPOINTMENT,
    "更新": WaveAction.APPOINTMENT,
}
