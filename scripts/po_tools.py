"""Small helpers for Umit's gettext catalogues (app/translations/*/LC_MESSAGES/messages.po).

    python scripts/po_tools.py status                  untranslated / fuzzy counts per language
    python scripts/po_tools.py dump LANG [--untranslated] [--with-source] > batch.json
    python scripts/po_tools.py fill LANG batch.json    merge {msgid: msgstr | [forms]} into LANG
    python scripts/po_tools.py check [LANG ...]        empty, fuzzy and placeholder problems
    python scripts/po_tools.py update                  pybabel extract + update, no fuzzy matching

`dump` writes a JSON object {msgid: msgstr} (a list of forms for plural entries, one per form the
catalogue header declares). Translate the values, then `fill` merges them back: only the messages
named in the file change, their fuzzy flag is dropped, and everything else in the catalogue (header,
comments, order, obsolete entries) is written back as pybabel writes it. `fill` refuses a batch in
which a placeholder (%(name)s, %(n)d, {name}) differs from the msgid, or a plural entry has the
wrong number of forms, and changes nothing then.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
LANGUAGES = ("kk", "ru", "en", "fa_AF", "ps")
#: Languages whose msgstr must be filled; English is the source language and falls back to msgid.
TRANSLATED = ("kk", "ru", "fa_AF", "ps")

_PLACEHOLDER = re.compile(
    r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %(name)s
    r"|%[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %s, %d
    r"|\{[A-Za-z0-9_.\[\]]*(?:![rsa])?(?::[^{}]*)?\}"  # {name}, {0}, {}, {x:>3}
)


def placeholders(text: str) -> Counter[str]:
    """The format placeholders in `text` (with `%%`, `{{` and `}}` ignored), as a multiset."""
    text = text.replace("%%", "").replace("{{", "").replace("}}", "")
    return Counter(_PLACEHOLDER.findall(text))


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def load(lang: str) -> Catalog:
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang)


def save(lang: str, catalog: Catalog) -> None:
    buf = io.BytesIO()
    # pybabel's default width, so `make translations-update` rewrites nothing.
    write_po(buf, catalog, width=76)
    po_path(lang).write_bytes(buf.getvalue())


def messages(catalog: Catalog) -> list[Message]:
    """The real messages of a catalogue (no header entry, no obsolete ones)."""
    return [m for m in catalog if m.id]


def key_of(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return f"{message.context}\x04{msgid}" if message.context else msgid


def is_translated(message: Message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return bool(message.string) and all(s.strip() for s in message.string)
    return bool(message.string and message.string.strip())


def problems(catalog: Catalog, lang: str) -> list[str]:
    """Untranslated, fuzzy, wrong plural count and placeholder mismatches, one line each."""
    out: list[str] = []
    nplurals = catalog.num_plurals
    for m in messages(catalog):
        key = key_of(m)
        if lang in TRANSLATED and not is_translated(m):
            out.append(f"{lang}: untranslated: {key!r}")
        if m.fuzzy:
            out.append(f"{lang}: fuzzy: {key!r}")
        if m.pluralizable:
            forms = list(m.string) if isinstance(m.string, (list, tuple)) else [m.string]
            if lang in TRANSLATED and len(forms) != nplurals:
                out.append(f"{lang}: {len(forms)} plural forms, header says {nplurals}: {key!r}")
            wanted = placeholders(m.id[0]) | placeholders(m.id[1])
            for i, form in enumerate(forms):
                # A form may leave out a count that the language makes obvious, but invent none.
                if form and not placeholders(form) <= wanted:
                    out.append(f"{lang}: placeholder mismatch in msgstr[{i}]: {key!r}")
        elif m.string and placeholders(m.string) != placeholders(m.id):
            out.append(f"{lang}: placeholder mismatch: {key!r}")
    return out


def cmd_status(_: argparse.Namespace) -> int:
    print(f"{'lang':<7}{'total':>7}{'done':>7}{'untransl':>10}{'fuzzy':>7}{'obsolete':>10}")
    for lang in LANGUAGES:
        if not po_path(lang).exists():
            print(f"{lang:<7} (no catalogue)")
            continue
        cat = load(lang)
        msgs = messages(cat)
        done = sum(1 for m in msgs if is_translated(m))
        fuzzy = sum(1 for m in msgs if m.fuzzy)
        note = "  (source language: empty msgstr falls back to msgid)" if lang == "en" else ""
        print(
            f"{lang:<7}{len(msgs):>7}{done:>7}{len(msgs) - done:>10}{fuzzy:>7}"
            f"{len(cat.obsolete):>10}{note}"
        )
    return 0


def cmd_dump(args: argparse.Namespace) -> int:
    cat = load(args.lang)
    out: dict[str, Any] = {}
    for m in messages(cat):
        if args.untranslated and is_translated(m) and not m.fuzzy:
            continue
        if m.pluralizable:
            forms = list(m.string) if isinstance(m.string, (list, tuple)) else [m.string]
            forms = (forms + [""] * cat.num_plurals)[: cat.num_plurals]
            if args.with_source:
                out[key_of(m)] = {"plural": m.id[1], "forms": forms}
            else:
                out[key_of(m)] = forms
        else:
            out[key_of(m)] = m.string or ""
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    print(f"{len(out)} messages", file=sys.stderr)
    return 0


def cmd_fill(args: argparse.Namespace) -> int:
    lang = args.lang
    cat = load(lang)
    batch = json.loads(Path(args.json).read_text(encoding="utf-8"))
    by_key = {key_of(m): m for m in messages(cat)}
    errors: list[str] = []
    unknown: list[str] = []
    updates: list[tuple[Message, Any]] = []
    for key, value in batch.items():
        m = by_key.get(key)
        if m is None:
            unknown.append(key)
            continue
        if isinstance(value, dict):  # the --with-source shape
            value = value.get("forms")
        if m.pluralizable:
            if isinstance(value, str):
                value = [value] * cat.num_plurals if cat.num_plurals == 1 else value
            if not isinstance(value, list) or len(value) != cat.num_plurals:
                errors.append(f"needs a list of {cat.num_plurals} forms: {key!r}")
                continue
            wanted = placeholders(m.id[0]) | placeholders(m.id[1])
            for i, form in enumerate(value):
                if not placeholders(form) <= wanted:
                    errors.append(f"placeholder mismatch in form {i}: {key!r} -> {form!r}")
            value = tuple(value)
        else:
            if not isinstance(value, str):
                errors.append(f"needs a string: {key!r}")
                continue
            if placeholders(value) != placeholders(m.id):
                errors.append(f"placeholder mismatch: {key!r} -> {value!r}")
        updates.append((m, value))
    for key in unknown:
        print(f"warning: not in {lang} catalogue (skipped): {key!r}", file=sys.stderr)
    if errors:
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        print("nothing written", file=sys.stderr)
        return 1
    changed = 0
    for m, value in updates:
        if m.string != value or m.fuzzy:
            m.string = value
            m.flags.discard("fuzzy")
            changed += 1
    save(lang, cat)
    print(f"{lang}: {changed} changed, {len(unknown)} unknown keys skipped", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    found: list[str] = []
    for lang in args.langs or TRANSLATED:
        if lang not in LANGUAGES:
            print(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}", file=sys.stderr)
            return 2
        found += problems(load(lang), lang)
    for line in found:
        print(line)
    print(f"{len(found)} problems", file=sys.stderr)
    return 1 if found else 0


def cmd_update(_: argparse.Namespace) -> int:
    """What `make translations-update` does: extract, then update each catalogue."""
    pybabel = [sys.executable, "-c", "from babel.messages.frontend import main; main()"]
    subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [*pybabel, "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "--no-location", "--sort-output", "--project", "Umit", "-o", str(POT), "."],
        cwd=ROOT, check=True,
    )  # fmt: skip
    for lang in LANGUAGES:
        if po_path(lang).exists():
            sub = ["update", "--no-fuzzy-matching", "-i", str(POT), "-d", str(TRANSLATIONS)]
        else:
            sub = ["init", "-i", str(POT), "-d", str(TRANSLATIONS)]
        subprocess.run([*pybabel, "-q", *sub, "-l", lang], cwd=ROOT, check=True)  # noqa: S603
    return cmd_status(_)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="untranslated and fuzzy counts per language").set_defaults(
        func=cmd_status
    )
    p = sub.add_parser("dump", help="print messages as JSON {msgid: msgstr}")
    p.add_argument("lang", choices=LANGUAGES)
    p.add_argument("--untranslated", action="store_true", help="only empty or fuzzy messages")
    p.add_argument(
        "--with-source", action="store_true", help="plural entries as {plural, forms} objects"
    )
    p.set_defaults(func=cmd_dump)
    p = sub.add_parser("fill", help="merge a JSON {msgid: msgstr | [forms]} into a catalogue")
    p.add_argument("lang", choices=LANGUAGES)
    p.add_argument("json")
    p.set_defaults(func=cmd_fill)
    p = sub.add_parser("check", help="report empty, fuzzy and placeholder problems")
    p.add_argument("langs", nargs="*", metavar="LANG", help=f"default: {' '.join(TRANSLATED)}")
    p.set_defaults(func=cmd_check)
    sub.add_parser(
        "update", help="pybabel extract + update, like make translations-update"
    ).set_defaults(func=cmd_update)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
