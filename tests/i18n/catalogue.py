"""The project's own French catalogues read as (English msgid, French msgstr) pairs, and a page's
visible text, for the walk that looks for English left on French pages."""

from __future__ import annotations

import ast
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    p
    for p in ROOT.glob("**/locale/fr/LC_MESSAGES/django.po")
    if ".venv" not in p.parts and "node_modules" not in p.parts
)
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdfr]|%[sd]|\{[^}]*\}")
MIN_WORDS = 3


def _entries(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of each singular entry of a .po file (plurals: the singular forms)."""
    entries: list[tuple[str, str, bool]] = []
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = next_fuzzy = False
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if line.startswith("#,") and "fuzzy" in line:
            next_fuzzy = True
        if line.startswith("msgid ") or not line:
            if msgid is not None and msgstr is not None:
                entries.append(("".join(msgid), "".join(msgstr), fuzzy))
            msgid = msgstr = current = None
            if line.startswith("msgid "):
                msgid, fuzzy, next_fuzzy = [ast.literal_eval(line[6:])], next_fuzzy, False
                current = msgid
        elif line.startswith(("msgstr ", "msgstr[0] ")):
            msgstr = [ast.literal_eval(line.split(" ", 1)[1])]
            current = msgstr
        elif line.startswith(("msgid_plural", "msgstr[")):
            current = None
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
    return entries


def english_phrases() -> dict[str, str]:
    """Literal English phrases (≥ 3 words) of every translated msgid, each with the catalogue it is in.

    A msgid with placeholders gives its longest literal piece; short or common phrases are left out
    (a French page may well contain "API" or a person's name)."""
    phrases: dict[str, str] = {}
    for path in CATALOGUES:
        for msgid, msgstr, fuzzy in _entries(path):
            if not msgid or not msgstr or fuzzy or msgstr == msgid:
                continue
            pieces = [p.strip(" .,:;()\N{EM DASH}\N{EN DASH}-\n") for p in PLACEHOLDER.split(msgid.replace("%%", "%"))]
            piece = " ".join(max(pieces, key=len).split())
            if len(piece.split()) < MIN_WORDS or piece in msgstr:
                continue
            phrases.setdefault(piece, str(path.relative_to(ROOT)))
    return phrases


class _Text(HTMLParser):
    SKIP = {"script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        # What a screen reader or a form shows is visible text too.
        for name, value in attrs:
            if name in {"aria-label", "placeholder", "title", "alt"} and value:
                self.parts.append(value)
        if tag == "input" and dict(attrs).get("type") in {"submit", "button"} and dict(attrs).get("value"):
            self.parts.append(dict(attrs)["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(unescape(" ".join(parser.parts)).split())
