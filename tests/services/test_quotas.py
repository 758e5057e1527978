"""Quotas: edits, limits, and the all-or-nothing spreadsheet import with row-by-row errors."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from app.models import ProgramQuota, utcnow
from app.services import exports, quotas
from app.services.cycles import RulesLocked
from app.services.errors import InvalidInput


@pytest.fixture()
def setup(app_ctx, make):
    cycle = make.cycle()
    uni = make.university(code="ENU")
    programs = [make.program(uni, code=f"ENU-{i}") for i in range(3)]
    return make.user("ministry"), cycle, programs


def _csv(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8-sig")


def test_set_quota_creates_then_changes(setup):
    officer, cycle, (p, *_rest) = setup
    quotas.set_quota(cycle, p, quotas.QuotaValues(places=3, reserved_women=1), by=officer)
    quota = quotas.set_quota(cycle, p, quotas.QuotaValues(places=5), by=officer)
    assert quota.places == 5 and quota.reserved == {}
    assert len(quotas.cycle_quotas(cycle)) == 1


@pytest.mark.parametrize(
    "values",
    [
        quotas.QuotaValues(places=-1),
        quotas.QuotaValues(places=1, reserved_women=2),
        quotas.QuotaValues(places=1, cost=Decimal(-1)),
    ],
)
def test_set_quota_refuses_bad_values(setup, values):
    officer, cycle, (p, *_rest) = setup
    with pytest.raises(InvalidInput):
        quotas.set_quota(cycle, p, values, by=officer)


def test_quotas_lock_with_the_rules(setup):
    officer, cycle, (p, *_rest) = setup
    cycle.rules_locked_at = utcnow()
    with pytest.raises(RulesLocked):
        quotas.set_quota(cycle, p, quotas.QuotaValues(places=1), by=officer)


def test_import_good_csv(setup):
    officer, cycle, programs = setup
    data = _csv(
        [
            "program_code;places;min_score;cost;reserved_women",
            "ENU-0;4;70;1;1",
            "ENU-1;2;;1,5;0",
        ]
    )
    assert quotas.import_quotas(cycle, "q.csv", data, by=officer) == 2
    by_code = {q.program.code: q for q in quotas.cycle_quotas(cycle)}
    assert by_code["ENU-0"].places == 4 and by_code["ENU-0"].reserved == {"gender=F": 1}
    assert by_code["ENU-1"].cost == Decimal("1.5") and by_code["ENU-1"].min_score is None


def test_import_bad_csv_saves_nothing_and_names_every_row(setup):
    officer, cycle, programs = setup
    from app.extensions import db

    quotas.set_quota(cycle, programs[0], quotas.QuotaValues(places=9), by=officer)
    db.session.commit()
    data = _csv(
        [
            "program_code,places,reserved_women",
            "ENU-0,1,0",
            "NOPE,1,0",
            "ENU-1,two,0",
            "ENU-2,1,5",
            "ENU-0,3,0",
        ]
    )
    with pytest.raises(quotas.QuotaImportError) as caught:
        quotas.import_quotas(cycle, "q.csv", data, by=officer)
    assert [e.row for e in caught.value.errors] == [3, 4, 5, 6]
    db.session.rollback()
    assert [q.places for q in db.session.query(ProgramQuota).all()] == [9]


def test_import_template_round_trip_xlsx(setup):
    officer, cycle, programs = setup
    data = exports.to_xlsx(quotas.template_rows(cycle), quotas.TEMPLATE_COLUMNS)
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        row[3].value = 7
    out = io.BytesIO()
    book.save(out)
    assert quotas.import_quotas(cycle, "t.xlsx", out.getvalue(), by=officer) == 3
    assert {q.places for q in quotas.cycle_quotas(cycle)} == {7}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("q.txt", b"program_code,places\n"),
        ("q.xlsx", b"not a workbook"),
        ("q.csv", b""),
        ("q.csv", b"code,seats\nENU-0,1\n"),
        ("q.csv", "program_code,places\n".encode("utf-16")),
    ],
)
def test_import_refuses_unreadable_files(setup, name, data):
    officer, cycle, _programs = setup
    with pytest.raises(InvalidInput):
        quotas.import_quotas(cycle, name, data, by=officer)


def test_empty_workbook_is_refused(setup):
    officer, cycle, _programs = setup
    out = io.BytesIO()
    Workbook().save(out)
    with pytest.raises(InvalidInput):
        quotas.import_quotas(cycle, "q.xlsx", out.getvalue(), by=officer)


def test_limits_and_caps(setup):
    officer, cycle, _programs = setup
    caps = quotas.parse_caps("ENU=3", quotas.university_codes())
    values = quotas.LimitValues(
        total_quota=10,
        budget=Decimal(100),
        university_caps=caps,
        field_caps={"ICT": 2},
        minimums=[{"group": "gender=F", "at_least_share": 0.4, "rule": "bonus"}],
    )
    quotas.set_limits(cycle, values, by=officer)
    assert cycle.university_caps == {"ENU": 3} and cycle.total_quota == 10
    with pytest.raises(InvalidInput):
        quotas.parse_caps("XYZ=1", quotas.university_codes())
    values.minimums = [{"group": "gender=F", "at_least_share": 1.5, "rule": "bonus"}]
    with pytest.raises(InvalidInput):
        quotas.set_limits(cycle, values, by=officer)
