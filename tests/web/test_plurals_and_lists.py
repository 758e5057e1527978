"""Counts take the plural form of the reader's language, and lists are joined as that language
joins them (Babel's CLDR patterns), in Python code and in templates alike."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale, gettext, ngettext

from app import labels
from app.models import ApplicationStatus


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "Просрочено на 1 день"),
        (2, "Просрочено на 2 дня"),
        (5, "Просрочено на 5 дней"),
        (11, "Просрочено на 11 дней"),
        (21, "Просрочено на 21 день"),
        (24, "Просрочено на 24 дня"),
    ],
)
def test_russian_counts_take_three_forms(app_ctx: Flask, n: int, text: str):
    with force_locale("ru"):
        assert ngettext("Overdue by %(num)d day", "Overdue by %(num)d days", n) == text
        page = render_template_string(
            '{{ ngettext("Overdue by %(num)d day", "Overdue by %(num)d days", n) }}', n=n
        )
        assert page == text


def test_pashto_counts_take_two_forms(app_ctx: Flask):
    with force_locale("ps"):
        assert ngettext("%(num)d day", "%(num)d days", 1) == "1 ورځ"
        assert ngettext("%(num)d day", "%(num)d days", 3) == "3 ورځې"


@pytest.mark.parametrize(
    ("lang", "joined"),
    [
        ("en", "a, b, and c"),
        ("ru", "a, b и c"),
        ("kk", "a, b, c"),
        ("fa_AF", "a،\u200f b، و c"),
        ("ps", "a، b، او c"),
    ],
)
def test_lists_are_joined_as_the_language_joins_them(app_ctx: Flask, lang: str, joined: str):
    with force_locale(lang):
        assert labels.join_list(["a", "b", "c"]) == joined
        assert render_template_string("{{ ['a', 'b', 'c']|join_list }}") == joined
        assert labels.join_list([]) == ""


def test_still_missing_is_a_dari_list(client: Any, login_as: Any, make: Any, app: Flask):
    user = login_as("applicant", preferred_language="fa_AF")
    make.application(user, status=ApplicationStatus.DRAFT, name_native="", name_latin="")
    page = client.get("/applicant/?lang=fa_AF").get_data(as_text=True)
    with app.test_request_context(), force_locale("fa_AF"):
        lead = gettext("Still missing:")
    line = re.search(rf"<p>{re.escape(lead)}([^<]*)</p>", page)
    assert line, page[:3000]
    assert "، و " in line.group(1) and ", " not in line.group(1)
