"""``{% main_menu %}``: base.html's main menu, rendered once per language, set of roles and page.

The menu is some thirty ``{% url %}`` and ``{% translate %}`` tags and as many conditions: about a
tenth of a simple page's CPU when rendered on every request. Its HTML depends only on the key below
(the language, the URL prefix, the page's URL namespace and name, and the scope flags that show or
hide entries), so it is kept per process under that key and only the unread count, which changes
with every notification, is filled in per request. A role change changes the flags, hence the key:
the next request shows the new menu. Which entries are shown is a convenience, never the
authorization: every view checks the scope itself.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kengen.core.versions import NOTIFICATION_VERSION, SharedCache, data_version

register = template.Library()

#: The scope attributes the menu's template reads (as booleans).
MENU_FLAGS = (
    "has_any_role",
    "administered_system_ids",
    "sees_everything",
    "is_officer",
    "is_configurator",
    "is_personnel",
)
#: Where the unread count goes in the cached HTML.
UNREAD_MARK = "<!--kg-unread-->"
_menus = SharedCache(limit=1024)  # languages × role combinations × pages: far fewer in practice


#: Unread counts by (person, notification data version): the version changes with every write
#: to notifications, so a new or read notification is counted by the next request.
_unread = SharedCache(limit=8192)


def unread_count(user: Any) -> int:
    from kengen.notifications.models import Notification

    if user is None or not user.is_authenticated or not getattr(user, "person_id", None):
        return 0
    version = data_version(user, NOTIFICATION_VERSION)
    key = (user.person_id, version)
    if version is not None and (kept := _unread.get(key)) is not SharedCache.MISSING:
        return int(kept)
    count = (
        Notification.objects.restrict(user).filter(recipient_id=user.person_id, read_at__isnull=True).count()
    )
    if version is not None:
        _unread.put(key, count)
    return count


def menu_html(*, scope: Any, namespace: str, url_name: str) -> str:
    """The menu for these roles on this page, in the current language (cached, without the
    unread count: ``UNREAD_MARK`` stands for it)."""
    flags = tuple(bool(getattr(scope, f, False)) for f in MENU_FLAGS)
    key = (get_language(), get_script_prefix(), namespace, url_name, flags)
    html = _menus.get(key)
    if html is SharedCache.MISSING:
        html = render_to_string(
            "includes/main_menu.html",
            {
                "scope": SimpleNamespace(**dict(zip(MENU_FLAGS, flags, strict=True))),
                "ns": namespace,
                "url_name": url_name,
                "unread": mark_safe(UNREAD_MARK),
            },
        )
        _menus.put(key, html)
    return str(html)


@register.simple_tag(takes_context=True)
def main_menu(context) -> SafeString:
    request = context["request"]
    match = request.resolver_match
    html = menu_html(
        scope=context.get("scope"),
        namespace=(match.namespace if match else "") or "",
        url_name=(match.url_name if match else "") or "",
    )
    unread = unread_count(request.user)
    badge = (
        format_html(
            ' <span class="kg-badge kg-badge--error">{}<span class="kg-visually-hidden"> {}</span></span>',
            unread,
            _("unread"),
        )
        if unread
        else ""
    )
    return mark_safe(html.replace(UNREAD_MARK, badge))
