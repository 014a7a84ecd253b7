"""Template filters for the reader's language: country names by ISO code, stored explanations."""

from __future__ import annotations

from typing import Any

from django import template

from cernai.core import sentences
from cernai.core.countries import country_name

register = template.Library()


@register.filter
def country(code: Any) -> str:
    """``{{ application.nationality|country }}``: the country's name in the active language."""
    return country_name(str(code or ""))


@register.filter
def explain(item: Any, field: str = "reason") -> str:
    """A stored explanation in the reader's language: ``item["sentence"]`` (a recipe, see
    cernai.core.sentences) when stored, else the stored text ``item[field]``."""
    if isinstance(item, dict):
        stored = item.get("sentence")
        return sentences.render(stored) if stored else str(item.get(field, ""))
    return str(getattr(item, field, item) or "")


@register.filter
def sentence(stored: Any) -> str:
    """``{{ explanation|sentence }}``: a stored sentence (cernai.core.sentences data, or plain text)."""
    return sentences.render(stored)
