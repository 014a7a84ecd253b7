"""Small pieces of markup shared by the apps' pages, written in Python: as an ``{% include %}`` a
badge cost ~0.1 ms, fifty times on a list of fifty rows."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import slugify

register = template.Library()


@register.simple_tag
def status_badge(status: Any, label: Any = "", tone: str = "") -> SafeString:
    """``{% status_badge obj.status obj.get_status_display|capfirst %}``: the colour follows the
    status value (``.status-*`` in cernai.css) and the text always says it too; ``tone``
    (success, warning, danger or info) chooses the colour for a value the stylesheet does not know."""
    classes = _badge_classes(str(status), tone)
    return format_html('<span class="{}">{}</span>', classes, label or status)


@lru_cache(maxsize=256)
def _badge_classes(status: str, tone: str) -> str:
    """A handful of statuses and tones: slugified once each, not once a row."""
    return f"status-badge status-{slugify(status)}" + (f" tone-{tone}" if tone else "")
