"""Offer letters: a real PDF, bilingual, with the student's name in both scripts."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest

from app.models import ApplicationStatus, PlacementState, RoundStatus, utcnow
from app.services import offer_letters

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def pdf_text(data: bytes) -> str:
    """Extract the text of a PDF with poppler's pdftotext."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


@pytest.fixture()
def accepted(app_ctx, make):
    def _make(lang="fa_AF", program_language="kk", state=PlacementState.ACCEPTED, **kw):
        uni = make.university(
            name_en="Al-Farabi Kazakh National University",
            name_ru="Казахский национальный университет имени аль-Фараби",
            name_kk="Әл-Фараби атындағы Қазақ ұлттық университеті",
        )
        program = make.program(
            uni,
            name_en="Information systems",
            name_kk="Ақпараттық жүйелер",
            name_ru="Информационные системы",
            language=program_language,
        )
        cycle = make.cycle(starts_on=utcnow() + timedelta(days=40))
        application = make.application(
            make.user("applicant", preferred_language=lang),
            cycle,
            programs=[program],
            status=ApplicationStatus.ACCEPTED,
            name_native="مریم رحیمی",
            name_latin="Maryam Rahimi",
            name_cyrillic="Марьям Рахими",
        )
        round_ = make.round(cycle, number=1, **kw)
        return make.placement(round_, application, program, state=state)

    return _make


def test_dari_student_gets_dari_and_kazakh_with_both_scripts(accepted):
    placement = accepted("fa_AF", "kk")
    data = offer_letters.render_offer_letter(placement)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "مریم رحیمی" in text  # Arabic script, joined and in order
    assert "Марьям Рахими" in text  # Cyrillic
    assert "Құрметті" in text  # the Kazakh half (with Kazakh letters)
    assert "پوهنتون" in text  # the Dari half
    assert "Әл-Фараби" in text


def test_russian_program_gives_the_russian_half(accepted):
    text = pdf_text(offer_letters.render_offer_letter(accepted("ps", "ru")))
    assert "مریم رحیمی" in text
    assert "Уважаемый(ая) Марьям Рахими" in text


@pytest.mark.parametrize(
    ("student", "program", "expected"),
    [
        ("fa_AF", "kk", ["fa_AF", "kk"]),
        ("ps", "en", ["ps", "ru"]),
        ("en", "ru", ["en", "ru"]),
        ("kk", "kk", ["kk", "ru"]),
        ("ru", "ru", ["ru", "kk"]),
        ("xx", "kk", ["en", "kk"]),
    ],
)
def test_letter_languages(student, program, expected):
    assert offer_letters.letter_languages(student, program) == expected


@pytest.mark.parametrize("state", [PlacementState.OFFERED, PlacementState.DECLINED])
def test_no_letter_without_an_accepted_place(accepted, state):
    with pytest.raises(offer_letters.LetterNotAvailable):
        offer_letters.render_offer_letter(accepted(state=state))


def test_no_letter_from_an_unpublished_round(accepted):
    placement = accepted(status=RoundStatus.SOLVED)
    with pytest.raises(offer_letters.LetterNotAvailable):
        offer_letters.render_offer_letter(placement)


def test_dari_and_pashto_halves_give_the_deadline_in_both_calendars(app_ctx):
    from datetime import date

    deadline = date(2026, 9, 1)  # 1405/06/10 in the Solar Hijri calendar
    for lang, word in (("fa_AF", "هجری شمسی"), ("ps", "لمریز هجري")):
        text = offer_letters._deadline_text(deadline, lang)
        assert "2026-09-01" in text and "1405/06/10" in text and word in text
    assert "1405" not in offer_letters._deadline_text(deadline, "ru")


def test_the_dari_letter_carries_the_solar_hijri_deadline(accepted):
    text = pdf_text(offer_letters.render_offer_letter(accepted("fa_AF", "kk")))
    assert "هجری شمسی" in text
