"""Country names in the reader's language, from django-countries' translated ISO 3166-1 names.

Member states, nationalities, host sites and stays are stored by their ISO-2 code (a member state
also keeps the name the secretariat typed, used when the code is not an ISO country).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django_countries import countries


def country_name(code: str, fallback: str = "") -> str:
    """The country's name in the active language; ``fallback`` (or the code) when it is not an ISO code."""
    code = (code or "").upper()
    name = countries.name(code) if code else ""
    return str(name) if name else (fallback or code)


def state_name(code: str, stored: str) -> str:
    """A member state's name: as the secretariat recorded it (in English, the register's language) when
    the reader reads English, else django-countries' name in the reader's language."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    if language == "en" and stored:
        return stored
    return country_name(code, stored)


def country_choices() -> list[tuple[str, str]]:
    """Every ISO country for a select, named and sorted in the active language (a callable ``choices``:
    Django calls it each time the field is rendered, so French pages list French names)."""
    return [("", "—"), *((str(code), str(name)) for code, name in countries)]
