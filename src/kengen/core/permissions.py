"""Who may change configuration: the tables the regulation leaves to the municipality (A14)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kengen.core.exceptions import PermissionDenied
from kengen.core.scope import scope_of
from kengen.core.types import Actor


def require_configurator(actor: Actor) -> None:
    """Organizations, posts, people records, systems and 別表第2 are configuration: only a
    configuration administrator (or Kengen itself, ``actor=None``: profile loading, HR imports)
    changes them."""
    if actor is None:
        return
    if not scope_of(actor).is_configurator:
        raise PermissionDenied(_("Only a configuration administrator can change this."), clause="A14")


def require_personnel(actor: Actor) -> None:
    """People, appointments and assignments are recorded by the personnel records officer
    (人事担当, a designated role) only, or by Kengen itself (``actor=None``: profile loading, HR
    imports). Configuration administrators, officers and auditors read them but never write them."""
    if actor is None:
        return
    if not getattr(scope_of(actor), "is_personnel", False):
        raise PermissionDenied(
            _("Only the personnel records officer (人事担当) can change this."), clause="A14"
        )
