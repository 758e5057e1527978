"""The gettext catalogues are complete and safe to format: every message in kk, ru, fa_AF and ps
has a translation (every plural form), none is fuzzy, placeholders match the msgid, and every
string marked in the source code is in the catalogues. No app or database is needed."""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
#: Languages whose every msgstr must be filled, with the number of plural forms of each: CLDR's
#: integer categories (ru one/few/many; kk, ps one/other; fa_AF one = 0 or 1, other).
TRANSLATED = {"kk": 2, "ru": 3, "fa_AF": 2, "ps": 2}
#: English is the source language: an empty msgstr falls back to the msgid.
ALL_LANGUAGES = [*TRANSLATED, "en"]

_PLACEHOLDER = re.compile(
    r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %(name)s
    r"|%[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %s, %d
    r"|\{[A-Za-z0-9_.\[\]]*(?:![rsa])?(?::[^{}]*)?\}"  # {name}, {0}, {}
)


def placeholders(text: str) -> Counter[str]:
    text = text.replace("%%", "").replace("{{", "").replace("}}", "")
    return Counter(_PLACEHOLDER.findall(text))


def load(lang: str) -> Catalog:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def real_messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def key(message: Message) -> tuple[str | None, str]:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return (message.context, msgid)


def forms(message: Message) -> list[str]:
    if isinstance(message.string, (list, tuple)):
        return list(message.string)
    return [message.string or ""]


def test_placeholder_pattern() -> None:
    assert placeholders("Hello %(name)s, %(n)d and {x}; 100%% {{literal}}") == Counter(
        {"%(name)s": 1, "%(n)d": 1, "{x}": 1}
    )


@pytest.mark.parametrize("lang", ALL_LANGUAGES)
def test_catalogue_header_is_not_fuzzy(lang: str) -> None:
    # pybabel compile skips a whole catalogue whose header is fuzzy.
    assert not load(lang).fuzzy, f"{lang}: the header carries '#, fuzzy'"


@pytest.mark.parametrize("lang", list(TRANSLATED))
def test_plural_forms_match_the_language(lang: str) -> None:
    assert load(lang).num_plurals == TRANSLATED[lang]


@pytest.mark.parametrize("lang", list(TRANSLATED))
def test_plural_rule_follows_cldr(lang: str) -> None:
    """The header's `plural=` picks one form per CLDR category for every whole number."""
    catalog = load(lang)
    pick = gettext.c2py(catalog.plural_expr)  # what the gettext runtime evaluates
    category = Locale.parse(lang).plural_form
    chosen: dict[str, set[int]] = {}
    for n in range(1001):
        chosen.setdefault(category(n), set()).add(pick(n))
    assert all(len(forms) == 1 for forms in chosen.values()), (lang, chosen)
    assert len(chosen) == catalog.num_plurals, (lang, sorted(chosen))


def missing_translations(catalog: Catalog) -> list[str]:
    """Messages with an empty msgstr, or a plural entry short of the header's forms."""
    empty = [key(m)[1] for m in real_messages(catalog) if not all(f.strip() for f in forms(m))]
    short = [
        key(m)[1]
        for m in real_messages(catalog)
        if m.pluralizable and len(forms(m)) != catalog.num_plurals
    ]
    return empty + short


@pytest.mark.parametrize("lang", list(TRANSLATED))
def test_every_message_has_a_translation(lang: str) -> None:
    missing = missing_translations(load(lang))
    assert not missing, f"{lang}: {len(missing)} untranslated, e.g. {missing[:5]}"


def test_a_missing_plural_form_counts_as_untranslated() -> None:
    catalog = Catalog(locale="ru")
    catalog.add(("%(num)d day", "%(num)d days"), ("%(num)d день", "%(num)d дня", ""))
    catalog.add(("%(num)d place", "%(num)d places"), ("%(num)d место", "%(num)d места"))
    catalog.add("Fine", "Хорошо")
    assert missing_translations(catalog) == ["%(num)d day", "%(num)d place"]


@pytest.mark.parametrize("lang", ALL_LANGUAGES)
def test_no_message_is_fuzzy(lang: str) -> None:
    fuzzy = [m.id for m in real_messages(load(lang)) if m.fuzzy]
    assert not fuzzy, f"{lang}: fuzzy messages: {fuzzy}"


@pytest.mark.parametrize("lang", ALL_LANGUAGES)
def test_placeholders_match_the_msgid(lang: str) -> None:
    bad = []
    for m in real_messages(load(lang)):
        if m.pluralizable:
            wanted = placeholders(m.id[0]) | placeholders(m.id[1])
            for i, form in enumerate(forms(m)):
                # A singular form may leave out the count ("one file"), but may add nothing.
                if form and not placeholders(form) <= wanted:
                    bad.append((m.id, i, form))
        elif m.string and placeholders(m.string) != placeholders(m.id):
            bad.append((m.id, m.string))
    assert not bad, f"{lang}: placeholders differ from the msgid: {bad}"


@pytest.mark.parametrize("lang", ALL_LANGUAGES)
def test_babel_finds_no_format_errors(lang: str) -> None:
    # Babel's own checkers: python-format compatibility and the plural count.
    errors = [(m.id, [str(e) for e in errs]) for m, errs in load(lang).check()]
    assert not errors, f"{lang}: {errors}"


def test_every_source_string_is_translated(tmp_path: Path) -> None:
    """Extract the marked strings now, as `make translations-update` does, and require each one in
    every catalogue: translated in kk, ru, fa_AF and ps, present in en."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
         "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
         "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as fh:
        source = [key(m) for m in read_po(fh) if m.id]
    assert source, "extraction found no strings"
    problems: list[str] = []
    for lang in ALL_LANGUAGES:
        catalog = {key(m): m for m in real_messages(load(lang))}
        missing = [k[1] for k in source if k not in catalog]
        if missing:
            problems.append(f"{lang}: not in the catalogue: {missing}")
        if lang in TRANSLATED:
            empty = [
                k[1]
                for k in source
                if k in catalog and not all(f.strip() for f in forms(catalog[k]))
            ]
            if empty:
                problems.append(f"{lang}: not translated: {empty}")
    assert not problems, (
        "Run `make translations-update` (or `python scripts/po_tools.py update`) and translate "
        "the new strings:\n" + "\n".join(problems)
    )
