"""The parts of the page frame that are the same for everyone shown the same menu, rendered once per
process and kept: the stylesheets and scripts, the main menu (its links and labels, with the current
page marked) and the language switcher's options. Through the template engine they cost ~2 ms of
every page.

The key is everything the HTML depends on: the language, the URL prefix, whether someone is signed
in, the current view (``aria-current``) and the entries shown (``nav_sections`` of the context
processor: only what this person may see). Entries come from the apps' ``ready()``, URLs from the
URL configuration and the assets' names from the static files' manifest, so nothing kept goes stale
while the process runs."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

_KEPT: dict[tuple[Any, ...], SafeString] = {}
_MOST = 2048  # distinct menus x pages x languages kept; beyond, start again


def _kept(key: tuple[Any, ...], template_name: str, context: dict[str, Any]) -> SafeString:
    html = _KEPT.get(key)
    if html is None:
        if len(_KEPT) >= _MOST:
            _KEPT.clear()
        html = _KEPT[key] = render_to_string(template_name, context)
    return html


@register.simple_tag
def frame_assets() -> SafeString:
    """The stylesheets, icon and scripts of every page (their hashed names from the manifest)."""
    return _kept(("assets", get_script_prefix()), "core/partials/frame_assets.html", {})


@register.simple_tag(takes_context=True)
def site_nav(context: template.Context) -> SafeString:
    """The main menu: the dashboard for someone signed in, then the sections they may see."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    user = context.get("user")
    signed_in = bool(user is not None and user.is_authenticated)
    sections = list(context.get("nav_sections") or ())
    shown = tuple((s.key, tuple(item.url_name for item in s.items)) for s in sections)
    key = ("nav", get_language(), get_script_prefix(), signed_in, view_name, shown)
    return _kept(
        key,
        "core/partials/site_nav.html",
        {"signed_in": signed_in, "view_name": view_name, "nav_sections": sections},
    )


@register.simple_tag
def language_options() -> SafeString:
    """The language switcher's options, the current language selected."""
    language = get_language()
    return _kept(("languages", language), "core/partials/language_options.html", {"LANGUAGE_CODE": language})
