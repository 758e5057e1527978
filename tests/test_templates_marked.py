"""Every word a user reads in a template is marked for translation.

Each template under app/templates is read with Jinja's own lexer: text inside `{{ ... }}`,
`{% ... %}` and `{% trans %}...{% endtrans %}` is code or marked; what is left is the template's
literal text. That text is parsed as HTML (plain for e-mails); a text node, or a user-facing
attribute (alt, title, placeholder, aria-label, ...), that still holds letters fails the test,
unless it is on the short allow-list below (the brand, codes, the names of languages).
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parents[1] / "app" / "templates"
# Words that are the same in every language.
ALLOWED = {
    "Umit",  # the brand
    "UNT",
    "PDF",
    "CSV",
    "XLSX",
    "JSON",
    "API",
    "ID",
    "UNHCR",
    "QR",
    "OpenAPI",
    "Excel",  # the program's name
    "sha256",  # the hash's name, in code
    "Authorization: Bearer",  # an HTTP header, shown as code
    # Each language names itself in its own script (the language switch).
    "English",
    "Русский",
    "Қазақша",
    "қазақ тілі",
    "русский",
    "دری",
    "پښتو",
    "فارسی",
}
USER_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "label"}
PLACEHOLDER = " \x00 "
TAGS = ("variable_begin", "variable_end", "block_begin", "block_end")


def literal_text(source: str) -> str:
    """The template with its code replaced by a placeholder and trans blocks removed."""
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    out: list[str] = []
    depth = 0  # inside {{ }} or {% %}
    in_trans = False
    block: list[str] = []
    for _line, kind, value in env.lex(source):
        if kind in ("variable_begin", "block_begin"):
            depth += 1
            block = []
            continue
        if kind in ("variable_end", "block_end"):
            depth -= 1
            names = [v for v in block if v.strip()]
            if names[:1] == ["trans"]:
                in_trans = True
            elif names[:1] == ["endtrans"]:
                in_trans = False
            if not in_trans:
                out.append(PLACEHOLDER)
            continue
        if depth:
            block.append(value)
            continue
        if kind == "data" and not in_trans:
            out.append(value)
    return "".join(out)


def has_letters(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def unmarked(text: str) -> list[str]:
    """Letters-bearing pieces of `text` that are not on the allow-list."""
    found = []
    for piece in text.split(PLACEHOLDER):
        piece = " ".join(piece.split())
        if not has_letters(piece):
            continue
        rest = piece
        for word in sorted(ALLOWED, key=len, reverse=True):
            rest = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", "", rest)
        if has_letters(rest):
            found.append(piece)
    return found


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in USER_ATTRIBUTES and value:
                self.found += [f'{name}="{p}"' for p in unmarked(value)]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found += unmarked(data)


def problems(path: Path) -> list[str]:
    text = literal_text(path.read_text(encoding="utf-8"))
    if path.suffix == ".txt":
        return unmarked(text)
    # Strip HTML comments first (they are not shown).
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    collector = _Collector()
    collector.feed(text)
    collector.close()
    return collector.found


ALL = sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


def test_the_templates_are_found():
    assert len(ALL) > 40


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_unmarked_text(path: Path):
    found = problems(path)
    assert not found, f"unmarked text in {path.relative_to(TEMPLATES)}: {found}"


def test_the_check_sees_unmarked_text(tmp_path: Path):
    page = tmp_path / "bad.html"
    page.write_text(
        '{% extends "base.html" %}{% block content %}<h1>{{ _("Fine") }}</h1>'
        '<p>Not marked</p><img alt="A photo" src="x">{% trans %}Marked{% endtrans %}'
        "<p>Umit · {{ n }} / PDF</p>{% endblock %}",
        encoding="utf-8",
    )
    assert problems(page) == ["Not marked", 'alt="A photo"']
