"""Post Django admin forms the way a browser does: GET the page, keep every field it shows with the
value it shows, change what the person changes, POST the lot.

Tests of the admin must go through this (not a hand-built dict): a field that the admin renders
read-only is not in the GET, so a test cannot post a value the secretariat could never send, and a
writable field that should not be there is sent like a browser would send it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from django.test import Client


class _FormParser(HTMLParser):
    """Collects the successful controls of each POST form on the page, form by form."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_form = False
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_multiple = False
        self._select_chosen: list[str] = []
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._option_value: str | None = None
        self._option_text: list[str] = []
        self._option_selected = False

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self.in_form, self.fields = True, []
            self.forms.append((attrs.get("id", ""), self.fields))
            return
        if not self.in_form or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
                return
            self.fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_multiple = name, "multiple" in attrs
            self._select_chosen, self._select_first = [], None
        elif tag == "option" and self._select is not None:
            self._option_value = attrs.get("value")
            self._option_text, self._option_selected = [], "selected" in attrs
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)
        if self._option_value is None and self._select is not None:
            self._option_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "option" and self._select is not None:
            value = self._option_value if self._option_value is not None else "".join(self._option_text).strip()
            if self._select_first is None:
                self._select_first = value
            if self._option_selected:
                self._select_chosen.append(value)
            self._option_value = None
        elif tag == "select" and self._select is not None:
            chosen = self._select_chosen or ([] if self._select_multiple else [self._select_first or ""])
            self.fields.extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_fields(client: Client, url: str) -> dict[str, Any]:
    """The fields a browser would post from the form at ``url``, with the values it shows.
    A name that occurs several times (a multiple select) maps to a list."""
    response = client.get(url)
    assert response.status_code == 200, f"GET {url} answered {response.status_code}"
    parser = _FormParser()
    parser.feed(response.content.decode())
    # The admin's own form has an id ending in "_form"; elsewhere, the page's largest POST form
    # (the header's sign-out and language forms are POST forms too).
    admin_forms = [fields for form_id, fields in parser.forms if form_id.endswith("_form")]
    candidates = admin_forms or [fields for _, fields in parser.forms]
    assert candidates, f"{url} shows no POST form"
    data: dict[str, Any] = {}
    for name, value in max(candidates, key=len):
        if name in data:
            data[name] = (data[name] if isinstance(data[name], list) else [data[name]]) + [value]
        else:
            data[name] = value
    return data


def post_form(client: Client, url: str, changes: dict[str, Any] | None = None, *, follow: bool = True) -> Any:
    """GET the form at ``url``, apply ``changes`` (a value of ``None`` unticks or removes the field),
    and POST it back as a browser would. Changing a field the page does not show fails the test:
    the person could not have sent it."""
    data = form_fields(client, url)
    for name, value in (changes or {}).items():
        if value is None:
            data.pop(name, None)
            continue
        if name not in data and not _is_checkbox_being_ticked(client, url, name):
            raise AssertionError(f"{url} shows no field {name!r} to change; it offers {sorted(data)}")
        data[name] = value
    return client.post(url, data, follow=follow)


def _is_checkbox_being_ticked(client: Client, url: str, name: str) -> bool:
    """An unticked checkbox is absent from the posted fields but present on the page."""
    html = client.get(url).content.decode()
    return f'name="{name}"' in html and 'type="checkbox"' in html.split(f'name="{name}"')[0].rsplit("<input", 1)[-1]


def messages_of(response: Any) -> list[str]:
    """The messages and form errors the admin showed after a POST, as plain text."""
    context = response.context
    texts = [str(m) for m in context["messages"]] if context and "messages" in context else []
    html = response.content.decode()
    for block in re.findall(r'class="(?:errorlist|errornote)[^"]*"[^>]*>(.*?)</(?:ul|p)>', html, re.S):
        texts.extend(t.strip() for t in re.sub(r"<[^>]+>", "\n", block).split("\n") if t.strip())
    return texts
