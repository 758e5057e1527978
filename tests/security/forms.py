"""Find the forms a principal can reach: GET every route (own ids) and parse each <form>."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


@dataclass
class Field:
    name: str
    kind: str  # text, hidden, select, checkbox, radio, file, textarea, email, password, date, ...
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    page: str  # where it was found
    fields: dict[str, Field] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return (self.action, tuple(sorted(self.fields)))

    @property
    def multipart(self) -> bool:
        return any(f.kind == "file" for f in self.fields.values())


class _Parser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = Form(action=a.get("action") or self.page, page=self.page)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            existing = self._form.fields.get(name)
            if kind in ("radio", "checkbox") and existing is not None:
                existing.options.append(a.get("value", "y"))
                return
            options = [a.get("value", "y")] if kind in ("radio", "checkbox") else []
            self._form.fields[name] = Field(name, kind, a.get("value", ""), options)
        elif tag == "select" and name:
            self._select = Field(name, "select")
            self._form.fields[name] = self._select
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.value = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = Field(name, "textarea")
            self._form.fields[name] = self._textarea

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse_forms(page_url: str, html: str) -> list[Form]:
    parser = _Parser(page_url)
    parser.feed(html)
    return parser.forms


def discover(client: Any, urls: list[str], skip_actions: tuple[str, ...]) -> list[Form]:
    """GET each url and return the distinct POST forms found (by action and field names)."""
    found: dict[tuple[str, tuple[str, ...]], Form] = {}
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            response.close()
            continue
        for form in parse_forms(url, response.get_data(as_text=True)):
            path = form.action.split("?", 1)[0]
            if any(path.startswith(s) or path.endswith(s) for s in skip_actions):
                continue
            found.setdefault(form.key, form)
        response.close()
    return list(found.values())
