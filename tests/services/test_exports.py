"""Exports: UTF-8 with BOM, formulas neutralised, generic rows and columns; dashboard figures."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.models import ApplicationStatus
from app.services import dashboard, exports

COLUMNS = [("name", "Имя / نام"), ("score", "score"), ("at", "at")]
ROWS = [
    {
        "name": '=HYPERLINK("http://evil")',
        "score": Decimal("101.50"),
        "at": datetime(2026, 7, 1, tzinfo=UTC),
    },
    {"name": "+7 701", "score": 3, "at": None},
    {"name": "-1", "score": None, "at": None},
    {"name": "@SUM(A1)", "score": 0, "at": None},
    {"name": "Фрешта احمدی", "score": 1, "at": None},
]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_defuse_neutralises_formula_starts(value):
    assert exports.defuse(value) == "'" + value


def test_defuse_leaves_plain_text_and_numbers():
    assert exports.defuse("Almaty") == "Almaty"
    assert exports.defuse(-5) == -5


def test_csv_has_bom_and_no_live_formula():
    data = exports.to_csv(ROWS, COLUMNS)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "Имя / نام" in text and "Фрешта احمدی" in text
    for line in text.splitlines()[1:]:
        assert not line.startswith(("=", "+", "-", "@", '"=', '"+'))


def test_semicolon_csv_for_russian_excel():
    assert b";" in exports.to_csv(ROWS, COLUMNS, delimiter=";").splitlines()[0]


def test_xlsx_has_no_formula_cells():
    book = load_workbook(io.BytesIO(exports.to_xlsx(ROWS, COLUMNS)))
    sheet = book.active
    assert sheet.cell(1, 1).value == "Имя / نام"
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds
    assert sheet.cell(2, 1).value.startswith("'=")
    assert sheet.cell(2, 2).value == 101.5


def test_small_counts_are_hidden():
    assert [exports.small(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]


def test_dashboard_counts_and_statistics_export(app_ctx, make):
    cycle = make.cycle()
    for _ in range(6):
        make.application(cycle=cycle, status=ApplicationStatus.SUBMITTED)
    make.application(cycle=cycle, status=ApplicationStatus.ELIGIBLE)
    assert dict(dashboard.applications_by_state(cycle.id)) == {"submitted": 6, "eligible": 1}
    series = {s.key: s for s in dashboard.overview(cycle.id)}
    assert series["backlog"].rows[0] == ("Submitted", 6)
    stats = dashboard.statistics_rows(cycle.id)
    eligible = next(r for r in stats if r["label"] == "Eligible")
    assert eligible["count"] == "<5"


def test_places_by_university_are_named_in_the_reader_language(app_ctx, make):
    from flask_babel import force_locale

    cycle = make.cycle()
    kaznu = make.university(
        code="KAZNU", name_en="Al-Farabi University", name_ru="КазНУ им. аль-Фараби"
    )
    enu = make.university(code="ENU", name_en="Gumilyov University", name_ru="ЕНУ им. Гумилёва")
    round_ = make.round(cycle)
    for university, count in ((kaznu, 2), (enu, 1)):
        program = make.program(university)
        for _ in range(count):
            make.placement(round_, make.application(cycle=cycle), program)
    assert dashboard.places_by_university(cycle.id, "en") == [
        ("Al-Farabi University", 2),
        ("Gumilyov University", 1),
    ]
    with force_locale("ru"):
        series = {s.key: s for s in dashboard.overview(cycle.id)}
    assert series["by-university"].rows == [("ЕНУ им. Гумилёва", 1), ("КазНУ им. аль-Фараби", 2)]
    stats = [r["label"] for r in dashboard.statistics_rows(cycle.id)]
    assert "KAZNU" not in stats and "Al-Farabi University" in stats
