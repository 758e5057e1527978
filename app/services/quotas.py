"""Quota places per program, shared limits, and the spreadsheet import/export of quotas.

An import is all-or-nothing: every row is checked first and any error refuses the whole file,
with one message per bad row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Cycle, FieldGroup, Program, ProgramQuota, University, User
from app.services import audit, exports
from app.services.cycles import ensure_rules_open
from app.services.errors import InvalidInput, NotFound

# Columns of the import template; the first three identify the program, the rest are edited.
TEMPLATE_COLUMNS: list[exports.Column] = [
    ("program_code", "program_code"),
    ("university", "university"),
    ("program_name", "program_name"),
    ("places", "places"),
    ("min_score", "min_score"),
    ("cost", "cost"),
    ("reserved_women", "reserved_women"),
]
REQUIRED_COLUMNS = ("program_code", "places")
MAX_IMPORT_ROWS = 5000


@dataclass
class RowError:
    """One problem in one row of an uploaded file (row 1 is the header)."""

    row: int
    message: str


class QuotaImportError(InvalidInput):
    """The file was refused; `errors` lists every bad row. Nothing was saved."""

    def __init__(self, message: str, errors: list[RowError]) -> None:
        super().__init__(message)
        self.errors = errors


@dataclass
class QuotaValues:
    places: int
    min_score: Decimal | None = None
    cost: Decimal = Decimal(1)
    reserved_women: int = 0


def cycle_quotas(cycle: Cycle) -> list[ProgramQuota]:
    """Return the cycle's quotas with programs and universities, by university then program."""
    query = (
        select(ProgramQuota)
        .join(ProgramQuota.program)
        .join(Program.university)
        .where(ProgramQuota.cycle_id == cycle.id)
        .options(joinedload(ProgramQuota.program).joinedload(Program.university))
        .order_by(University.code, Program.code)
    )
    return list(db.session.scalars(query).unique())


def get_quota(cycle: Cycle, quota_id: int) -> ProgramQuota:
    """Return one quota of this cycle or raise NotFound (foreign ids too)."""
    quota = db.session.get(ProgramQuota, quota_id)
    if quota is None or quota.cycle_id != cycle.id:
        raise NotFound(_("There is no such quota."))
    return quota


def _check_values(values: QuotaValues) -> str | None:
    if values.places < 0 or values.places > 10000:
        return str(_("Places must be between 0 and 10000."))
    if values.reserved_women < 0 or values.reserved_women > values.places:
        return str(_("Reserved places cannot be negative or more than the places."))
    if values.cost < 0:
        return str(_("The cost cannot be negative."))
    if values.min_score is not None and not 0 <= values.min_score <= 1000:
        return str(_("The minimum score must be between 0 and 1000."))
    return None


def _apply(quota: ProgramQuota, values: QuotaValues) -> dict[str, Any]:
    before = _quota_summary(quota)
    quota.places = values.places
    quota.min_score = values.min_score
    quota.cost = values.cost
    quota.reserved = {"gender=F": values.reserved_women} if values.reserved_women else {}
    return before


def _quota_summary(quota: ProgramQuota) -> dict[str, Any]:
    return {
        "places": quota.places,
        "min_score": None if quota.min_score is None else str(quota.min_score),
        "cost": None if quota.cost is None else str(quota.cost),
        "reserved": dict(quota.reserved or {}),
    }


def set_quota(cycle: Cycle, program: Program, values: QuotaValues, *, by: User) -> ProgramQuota:
    """Create or change a program's quota in this cycle; refuse once the rules are locked."""
    ensure_rules_open(cycle)
    problem = _check_values(values)
    if problem:
        raise InvalidInput(problem)
    quota = db.session.scalar(
        select(ProgramQuota).where(
            ProgramQuota.cycle_id == cycle.id, ProgramQuota.program_id == program.id
        )
    )
    if quota is None:
        quota = ProgramQuota(cycle=cycle, program=program, places=0, reserved={})
        db.session.add(quota)
    before = _apply(quota, values)
    db.session.flush()
    audit.record(by, "quota.update", quota, before=before, after=_quota_summary(quota))
    return quota


@dataclass
class LimitValues:
    total_quota: int | None
    budget: Decimal | None
    university_caps: dict[str, int]
    field_caps: dict[str, int]
    minimums: list[dict[str, Any]]


def parse_caps(text: str, known: set[str]) -> dict[str, int]:
    """Read `KAZNU=10, ENU=5` into caps; refuse unknown codes and bad numbers."""
    caps: dict[str, int] = {}
    for part in (p.strip() for p in text.replace("\n", ",").split(",")):
        if not part:
            continue
        code, sep, number = part.partition("=")
        code = code.strip()
        if not sep or code not in known:
            raise InvalidInput(_("Unknown code in the caps: %(code)s", code=code))
        try:
            value = int(number)
        except ValueError:
            raise InvalidInput(_("The cap of %(code)s is not a whole number.", code=code)) from None
        if value < 0:
            raise InvalidInput(_("Caps cannot be negative."))
        caps[code] = value
    return caps


def format_caps(caps: dict[str, Any]) -> str:
    """Write caps back in the `CODE=n` form the limits form uses."""
    return ", ".join(f"{k}={v}" for k, v in sorted((caps or {}).items()))


def university_codes() -> set[str]:
    """Return every university code."""
    return set(db.session.scalars(select(University.code)))


def field_codes() -> set[str]:
    """Return every field group code."""
    return {f.value for f in FieldGroup}


def set_limits(cycle: Cycle, values: LimitValues, *, by: User) -> Cycle:
    """Set the total quota, budget, university and field caps and minimum shares."""
    ensure_rules_open(cycle)
    if values.total_quota is not None and values.total_quota < 0:
        raise InvalidInput(_("The total quota cannot be negative."))
    if values.budget is not None and values.budget < 0:
        raise InvalidInput(_("The budget cannot be negative."))
    for minimum in values.minimums:
        share = minimum.get("at_least_share")
        if not isinstance(share, float | int) or not 0 < share < 1:
            raise InvalidInput(_("A minimum share must be between 0 and 1 (e.g. 0.4)."))
        if minimum.get("rule") not in ("bonus", "reserve"):
            raise InvalidInput(_("A minimum share is met by a bonus or by reserved places."))
    before = _limits_summary(cycle)
    cycle.total_quota = values.total_quota
    cycle.budget = values.budget
    cycle.university_caps = dict(values.university_caps)
    cycle.field_caps = dict(values.field_caps)
    cycle.minimums = list(values.minimums)
    db.session.flush()
    audit.record(by, "cycle.limits", cycle, before=before, after=_limits_summary(cycle))
    return cycle


def _limits_summary(cycle: Cycle) -> dict[str, Any]:
    return {
        "total_quota": cycle.total_quota,
        "budget": None if cycle.budget is None else str(cycle.budget),
        "university_caps": cycle.university_caps,
        "field_caps": cycle.field_caps,
        "minimums": cycle.minimums,
    }


# --- Spreadsheet template, export and import -------------------------------------------------


def template_rows(cycle: Cycle, lang: str = "en") -> list[dict[str, Any]]:
    """Return one row per program (all programs), with the cycle's current quota if any."""
    quotas = {q.program_id: q for q in cycle_quotas(cycle)}
    programs = db.session.scalars(
        select(Program)
        .join(Program.university)
        .options(joinedload(Program.university))
        .order_by(University.code, Program.code)
    ).unique()
    rows = []
    for program in programs:
        quota = quotas.get(program.id)
        rows.append(
            {
                "program_code": program.code,
                "university": program.university.code,
                "program_name": program.name(lang),
                "places": quota.places if quota else 0,
                "min_score": quota.min_score if quota else None,
                "cost": quota.cost if quota else 1,
                "reserved_women": (quota.reserved or {}).get("gender=F", 0) if quota else 0,
            }
        )
    return rows


def _read_rows(filename: str, data: bytes) -> list[dict[str, str]]:
    """Decode an uploaded XLSX or CSV into header → text rows; refuse anything else."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - openpyxl raises many types for a bad file
            raise InvalidInput(_("The file is not a readable XLSX workbook.")) from None
        sheet = book.worksheets[0]
        raw = [
            ["" if v is None else str(v).strip() for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        book.close()
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(_("Save the CSV file as UTF-8.")) from None
        try:
            dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", ",;\t")
            delimiter = dialect.delimiter
        except csv.Error:
            delimiter = ","
        raw = [
            [c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
        ]
    else:
        raise InvalidInput(_("Upload the template as an .xlsx or .csv file."))
    raw = [row for row in raw if any(row)]
    if not raw:
        raise InvalidInput(_("The file is empty."))
    header = [h.strip().lower() for h in raw[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(_("The file lacks the columns: %(cols)s", cols=", ".join(missing)))
    if len(raw) - 1 > MAX_IMPORT_ROWS:
        raise InvalidInput(_("The file has too many rows."))
    return [
        dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)) for row in raw[1:]
    ]


def _number(text: str) -> Decimal | None:
    text = text.strip().replace(",", ".")
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def _row_values(row: dict[str, str]) -> QuotaValues:
    """Read one row; raise ValueError with a translated message naming the column."""
    try:
        places = _number(row.get("places", ""))
    except ValueError:
        raise ValueError(_("places must be a whole number")) from None
    if places is None or places != places.to_integral_value():
        raise ValueError(_("places must be a whole number"))
    try:
        min_score = _number(row.get("min_score", ""))
    except ValueError:
        raise ValueError(_("min_score must be a number or empty")) from None
    try:
        cost = _number(row.get("cost", ""))
    except ValueError:
        raise ValueError(_("cost must be a number or empty")) from None
    try:
        reserved = _number(row.get("reserved_women", "")) or Decimal(0)
    except ValueError:
        raise ValueError(_("reserved_women must be a whole number")) from None
    if reserved != reserved.to_integral_value():
        raise ValueError(_("reserved_women must be a whole number"))
    return QuotaValues(
        places=int(places),
        min_score=min_score,
        cost=Decimal(1) if cost is None else cost,
        reserved_women=int(reserved),
    )


def import_quotas(cycle: Cycle, filename: str, data: bytes, *, by: User) -> int:
    """Apply a filled-in template; refuse the whole file, listing every bad row, if any is wrong.

    Returns the number of quotas created or changed.
    """
    ensure_rules_open(cycle)
    rows = _read_rows(filename, data)
    programs = {p.code: p for p in db.session.scalars(select(Program))}
    errors: list[RowError] = []
    parsed: list[tuple[Program, QuotaValues]] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        code = row.get("program_code", "").strip()
        program = programs.get(code)
        if program is None:
            errors.append(RowError(number, _("unknown program code %(code)s", code=code or "—")))
            continue
        if code in seen:
            errors.append(RowError(number, _("program %(code)s appears twice", code=code)))
            continue
        seen.add(code)
        try:
            values = _row_values(row)
        except ValueError as err:
            errors.append(RowError(number, str(err)))
            continue
        problem = _check_values(values)
        if problem:
            errors.append(RowError(number, problem))
            continue
        parsed.append((program, values))
    if errors:
        raise QuotaImportError(
            ngettext(
                "Nothing was saved: %(num)d row has errors.",
                "Nothing was saved: %(num)d rows have errors.",
                len(errors),
            ),
            errors,
        )
    existing = {q.program_id: q for q in cycle_quotas(cycle)}
    changed = 0
    for program, values in parsed:
        quota = existing.get(program.id)
        if quota is None:
            quota = ProgramQuota(cycle=cycle, program=program, places=0, reserved={})
            db.session.add(quota)
        before = _quota_summary(quota)
        _apply(quota, values)
        if before != _quota_summary(quota):
            changed += 1
    db.session.flush()
    audit.record(
        by,
        "quota.import",
        cycle,
        after={"file": filename[:120], "rows": len(rows), "changed": changed},
    )
    return changed
