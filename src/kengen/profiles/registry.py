"""The municipality profiles Kengen ships, by name."""

from __future__ import annotations

from importlib import import_module

from django.utils.translation import gettext as _

from kengen.core.exceptions import NotFound
from kengen.profiles.schema import Profile

#: name -> module that defines ``PROFILE``
PROFILES = {
    "kitami": "kengen.profiles.kitami",
}


def get_profile(name: str) -> Profile:
    module = PROFILES.get(name)
    if module is None:
        raise NotFound(
            _("No profile named %(name)s (available: %(names)s).")
            % {"name": name, "names": ", ".join(sorted(PROFILES))}
        )
    return import_module(module).PROFILE
