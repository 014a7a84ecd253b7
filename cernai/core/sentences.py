"""Sentences that remember how they were made, so a stored explanation is shown in the reader's language.

The rules modules write their explanations with ``gettext as _`` from here instead of Django's: the
result is an ordinary ``str`` (in the active language, so every caller and test keeps working) that
also carries its msgid and parameters. What is stored is ``data(sentence)`` — the msgid, the
parameters, nested sentences and countries (by ISO code) as data — and ``render(stored)`` translates
it again at display time in the reader's language. Rows stored before this (a plain English
sentence) render as stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import translation

from .countries import state_name

Data = dict[str, Any]


class Country(str):
    """A member state's name as a parameter: stored by ISO code, so it is named again in the reader's
    language (``country(state.iso2, state.name)``)."""

    code: str
    stored: str

    def __new__(cls, code: str, stored: str) -> Country:
        obj = super().__new__(cls, state_name(code, stored))
        obj.code, obj.stored = code, stored
        return obj


def country(code: str, stored: str) -> Country:
    return Country(code, stored)


def _param(value: Any) -> Any:
    if isinstance(value, Sentence):
        return {"sentence": value.data()}
    if isinstance(value, Country):
        return {"country": value.code, "name": value.stored}
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _unparam(value: Any) -> Any:
    if isinstance(value, dict) and "sentence" in value:
        return render(value["sentence"])
    if isinstance(value, dict) and "country" in value:
        return state_name(value["country"], value.get("name", ""))
    return value


class Sentence(str):
    """A translated sentence (a ``str``) with its msgid, plural form and parameters."""

    msgid: str
    plural: str | None
    n: int | None
    params: Any
    parts: tuple[Any, ...] | None
    separator: str

    def __new__(
        cls,
        msgid: str = "",
        params: Any = None,
        plural: str | None = None,
        n: int | None = None,
        *,
        parts: tuple[Any, ...] | None = None,
        separator: str = " ",
    ) -> Sentence:
        if parts is not None:
            text = separator.join(str(p) for p in parts)
        else:
            text = translation.ngettext(msgid, plural, n or 0) if plural is not None else translation.gettext(msgid)
            if params is not None:
                text = text % params
        obj = super().__new__(cls, text)
        obj.msgid, obj.params, obj.plural, obj.n, obj.parts, obj.separator = msgid, params, plural, n, parts, separator
        return obj

    def __mod__(self, params: Any) -> Sentence:  # type: ignore[override]
        return Sentence(self.msgid, params, self.plural, self.n)

    def data(self) -> Data:
        if self.parts is not None:
            return {"parts": [data(p) for p in self.parts], "separator": self.separator}
        out: Data = {"msgid": self.msgid}
        if self.plural is not None:
            out.update(plural=self.plural, n=self.n)
        if isinstance(self.params, Mapping):
            out["params"] = {k: _param(v) for k, v in self.params.items()}
        elif isinstance(self.params, tuple):
            out["args"] = [_param(v) for v in self.params]
        elif self.params is not None:
            out["args"] = [_param(self.params)]
        return out


def gettext(msgid: str) -> Sentence:
    return Sentence(msgid)


def ngettext(singular: str, plural: str, n: int) -> Sentence:
    return Sentence(singular, None, plural, n)


def join(parts: Iterable[Any], separator: str = " ") -> Sentence:
    """Sentences (or plain text) one after the other, each translated on its own."""
    return Sentence(parts=tuple(p for p in parts if p), separator=separator)


def data(value: Any) -> Data:
    """What to store for ``value``: a sentence's recipe, or plain text as it is."""
    if isinstance(value, Sentence):
        return value.data()
    return {"text": "" if value is None else str(value)}


def render(stored: Any) -> str:
    """A stored sentence in the active language; plain text (an old row) as it was stored."""
    if not stored:
        return ""
    if isinstance(stored, str):
        return stored
    if "text" in stored:
        return str(stored["text"])
    if "parts" in stored:
        return str(stored.get("separator", " ")).join(render(p) for p in stored["parts"])
    msgid = str(stored.get("msgid", ""))
    if "plural" in stored:
        text = translation.ngettext(msgid, str(stored["plural"]), int(stored.get("n") or 0))
    else:
        text = translation.gettext(msgid)
    try:
        if "params" in stored:
            return text % {k: _unparam(v) for k, v in stored["params"].items()}
        if "args" in stored:
            return text % tuple(_unparam(v) for v in stored["args"])
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder: the English text
        params = stored.get("params")
        return msgid % ({k: _unparam(v) for k, v in params.items()} if params else tuple(stored.get("args", [])))
    return text
