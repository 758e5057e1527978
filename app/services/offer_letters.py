"""Bilingual offer letters as PDF (WeasyPrint): the student's language plus Kazakh or Russian.

The letter is a document the student shows at the admissions office, so its wording is fixed
here per language (reviewed text, not whatever the UI catalogue holds at the moment). Fonts are
the system's Noto families (fonts-noto-core), named in the CSS: web-subset font CSS garbles
Cyrillic in WeasyPrint (recipes §4).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Application, Placement, PlacementState, Round, RoundStatus, User
from app.services.dates import format_jalali
from app.services.enrolment import enrolment_deadline
from app.services.errors import NotFound, ServiceError

logger = logging.getLogger(__name__)

LETTER_STATES = (PlacementState.ACCEPTED, PlacementState.ENROLLED)
RTL = frozenset({"fa_AF", "ps"})
# Unicode first-strong isolate: a Latin name inside Dari text (or the reverse) keeps its order.
FSI, PDI = "\u2068", "\u2069"

# Each language's wording. Placeholders: {name} {program} {university} {round} {deadline}.
LETTER_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Offer of a scholarship place",
        "greeting": "Dear {name},",
        "body": (
            "Under the Government of the Republic of Kazakhstan's scholarship quota for "
            "refugees, allocation round {round} gave you a place in the program {program} "
            "at {university}. You have accepted this place."
        ),
        "program": "Program",
        "university": "University",
        "language": "Language of instruction",
        "choice": "Your choice number",
        "score": "Competitive score",
        "reference": "Reference",
        "next_deadline": (
            "To enrol, bring this letter, your identity document and your status document "
            "to the admissions office by {deadline}."
        ),
        "next": (
            "To enrol, bring this letter, your identity document and your status document "
            "to the admissions office."
        ),
        "closing": "Admissions office",
    },
    "ru": {
        "title": "Письмо о предоставлении места по квоте образовательных грантов",
        "greeting": "Уважаемый(ая) {name}!",
        "body": (
            "В рамках квоты Правительства Республики Казахстан на образовательные гранты для "
            "беженцев в раунде распределения № {round} вам предоставлено место по образовательной "
            "программе «{program}» в учебном заведении «{university}». Вы приняли это место."
        ),
        "program": "Образовательная программа",
        "university": "Университет",
        "language": "Язык обучения",
        "choice": "Номер вашего выбора",
        "score": "Конкурсный балл",
        "reference": "Номер письма",
        "next_deadline": (
            "Для зачисления представьте это письмо, удостоверение личности и документ о "
            "статусе в приёмную комиссию до {deadline}."
        ),
        "next": (
            "Для зачисления представьте это письмо, удостоверение личности и документ о "
            "статусе в приёмную комиссию."
        ),
        "closing": "Приёмная комиссия",
    },
    "kk": {
        "title": "Білім беру гранттарының квотасы бойынша орын беру туралы хат",
        "greeting": "Құрметті {name}!",
        "body": (
            "Қазақстан Республикасы Үкіметінің босқындарға арналған білім беру гранттарының "
            "квотасы аясында № {round} бөлу кезеңінде сізге «{university}» оқу орнында «{program}» "
            "білім беру бағдарламасы бойынша орын берілді. Сіз бұл орынды қабылдадыңыз."
        ),
        "program": "Білім беру бағдарламасы",
        "university": "Университет",
        "language": "Оқыту тілі",
        "choice": "Таңдауыңыздың нөмірі",
        "score": "Конкурстық балл",
        "reference": "Хат нөмірі",
        "next_deadline": (
            "Оқуға қабылдану үшін осы хатты, жеке басыңызды куәландыратын құжатты және "
            "мәртебеңіз туралы құжатты {deadline} дейін қабылдау комиссиясына ұсыныңыз."
        ),
        "next": (
            "Оқуға қабылдану үшін осы хатты, жеке басыңызды куәландыратын құжатты және "
            "мәртебеңіз туралы құжатты қабылдау комиссиясына ұсыныңыз."
        ),
        "closing": "Қабылдау комиссиясы",
    },
    "fa_AF": {
        "title": "نامهٔ اعطای جای تحصیلی بورسیه",
        "greeting": "{name} گرامی،",
        "body": (
            "در چارچوب سهمیهٔ بورسیهٔ دولت جمهوری قزاقستان برای پناهندگان، در دور توزیع "
            "شمارهٔ {round} برای شما یک جای تحصیلی در رشتهٔ «{program}» در «{university}» "
            "داده شد. شما این جای تحصیلی را پذیرفته‌اید."
        ),
        "program": "رشتهٔ تحصیلی",
        "university": "پوهنتون",
        "language": "زبان تدریس",
        "choice": "شمارهٔ انتخاب شما",
        "score": "نمرهٔ رقابتی",
        "reference": "شمارهٔ نامه",
        "next_deadline": (
            "برای ثبت‌نام، این نامه، سند هویت و سند وضعیت خود را تا تاریخ {deadline} "
            "به دفتر پذیرش ارائه کنید."
        ),
        "next": ("برای ثبت‌نام، این نامه، سند هویت و سند وضعیت خود را به دفتر پذیرش ارائه کنید."),
        "closing": "دفتر پذیرش",
    },
    "ps": {
        "title": "د بورسیې د زده کړې ځای د ورکړې لیک",
        "greeting": "ګرانه {name}،",
        "body": (
            "د کډوالو لپاره د قزاقستان جمهوریت د حکومت د بورسیې د سهمیې په چوکاټ کې، د ویش "
            "په {round} پړاو کې تاسو ته په «{university}» کې د «{program}» په رشته کې د "
            "زده کړې ځای درکړل شو. تاسو دا ځای منلی دی."
        ),
        "program": "د زده کړې رشته",
        "university": "پوهنتون",
        "language": "د تدریس ژبه",
        "choice": "ستاسو د انتخاب شمېره",
        "score": "سیالي نمره",
        "reference": "د لیک شمېره",
        "next_deadline": (
            "د نوم لیکنې لپاره دا لیک، د هویت سند او د خپل حالت سند تر {deadline} پورې د "
            "داخلې دفتر ته وسپارئ."
        ),
        "next": ("د نوم لیکنې لپاره دا لیک، د هویت سند او د خپل حالت سند د داخلې دفتر ته وسپارئ."),
        "closing": "د داخلې دفتر",
    },
}

LANGUAGE_NAMES = {
    "kk": "Қазақ тілі / Kazakh",
    "ru": "Русский / Russian",
    "en": "English",
}


class LetterNotAvailable(ServiceError):
    """Only a student who accepted (or enrolled in) a place gets an offer letter."""


@dataclass(frozen=True)
class LetterSection:
    """One language's half of the letter, ready for the template."""

    lang: str
    dir: str
    text: dict[str, str]
    rows: list[tuple[str, str]]


def letter_languages(student_language: str, program_language: str) -> list[str]:
    """Return the letter's languages: the student's first, then Kazakh or Russian.

    The second language is the program's language of instruction when that is Kazakh or
    Russian, else Russian; a Kazakh- or Russian-speaking student gets the other one.
    """
    first = student_language if student_language in LETTER_TEXT else "en"
    if first == "kk":
        return ["kk", "ru"]
    if first == "ru":
        return ["ru", "kk"]
    second = program_language if program_language in ("kk", "ru") else "ru"
    return [first, second]


def _student_name(application: Application, lang: str) -> str:
    if lang in RTL:
        order = (application.name_native, application.name_latin, application.name_cyrillic)
    elif lang in ("kk", "ru"):
        order = (application.name_cyrillic, application.name_latin, application.name_native)
    else:
        order = (application.name_latin, application.name_cyrillic, application.name_native)
    return next((n for n in order if n.strip()), "")


def _iso(value: str) -> str:
    return f"{FSI}{value}{PDI}"


# The words the portal's catalogues use in "%(gregorian)s (%(jalali)s Solar Hijri)".
SOLAR_HIJRI = {"fa_AF": "هجری شمسی", "ps": "لمریز هجري"}


def _deadline_text(deadline: date, lang: str) -> str:
    """The ISO date anyone can read; in Dari and Pashto also the Solar Hijri date people use."""
    text = _iso(deadline.isoformat())
    if lang in SOLAR_HIJRI:
        # An Arabic comma, not brackets: brackets in mixed-direction text are easily mirrored.
        text += f"، {_iso(format_jalali(deadline))} {SOLAR_HIJRI[lang]}"
    return text


def _section(placement: Placement, lang: str, deadline: datetime | None) -> LetterSection:
    text = LETTER_TEXT[lang]
    application = placement.application
    program = placement.program
    university = program.university
    name_lang = lang if lang in ("kk", "ru") else "en"
    values = {
        "name": _iso(_student_name(application, lang)),
        "program": _iso(f"{program.code} {program.name(name_lang)}"),
        "university": _iso(university.name(name_lang)),
        "round": _iso(str(placement.round.number)),
        "deadline": _deadline_text(deadline.date(), lang) if deadline else "",
    }
    filled = {key: value.format(**values) for key, value in text.items()}
    filled["next"] = filled["next_deadline"] if deadline else filled["next"]
    score = application.competitive_score
    rows = [
        (text["program"], values["program"]),
        (text["university"], values["university"]),
        (text["language"], LANGUAGE_NAMES.get(program.language, program.language)),
        (text["choice"], str(placement.choice_rank)),
        (text["score"], f"{score:.2f}" if score is not None else "—"),
        (text["reference"], _iso(reference(placement))),
    ]
    return LetterSection(lang=lang, dir="rtl" if lang in RTL else "ltr", text=filled, rows=rows)


def reference(placement: Placement) -> str:
    """Return the letter's reference number (cycle, round and placement)."""
    return f"UMIT-{placement.round.cycle_id}-{placement.round.number}-{placement.id}"


def filename(placement: Placement) -> str:
    """Return the download name of the letter."""
    return f"offer-letter-{reference(placement)}.pdf"


def render_offer_letter(placement: Placement) -> bytes:
    """Render the bilingual letter of an accepted or enrolled placement to PDF bytes.

    Refuses any other placement state (the student has no place to show yet).
    """
    from weasyprint import CSS, HTML  # heavy import: only when a letter is made

    if placement.state not in LETTER_STATES or placement.round.status != RoundStatus.PUBLISHED:
        raise LetterNotAvailable(_("An offer letter exists only for an accepted place."))
    application = placement.application
    languages = letter_languages(
        application.applicant.preferred_language, placement.program.language
    )
    deadline = enrolment_deadline(placement.round.cycle)
    sections = [_section(placement, lang, deadline) for lang in languages]
    html = render_template(
        "pdf/offer_letter.html",
        sections=sections,
        reference=reference(placement),
        issued=placement.decided_at or placement.round.published_at,
    )
    css = render_template("pdf/offer_letter.css")
    document = HTML(string=html, base_url=current_app.root_path)
    return bytes(document.write_pdf(stylesheets=[CSS(string=css)]))


def placement_for_applicant(placement_id: int, user: User) -> Placement:
    """Return the applicant's own accepted or enrolled published placement; else NotFound."""
    placement = db.session.scalar(
        select(Placement)
        .join(Round, Placement.round_id == Round.id)
        .join(Application, Placement.application_id == Application.id)
        .where(Placement.id == placement_id)
        .where(Application.applicant_id == user.id)
        .where(Round.status == RoundStatus.PUBLISHED)
        .where(Placement.state.in_(LETTER_STATES))
        .options(joinedload(Placement.application), joinedload(Placement.program))
    )
    if placement is None:
        raise NotFound(_("There is no such offer letter."))
    return placement
