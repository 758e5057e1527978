"""Reference and demo data: real Kazakh universities and programs, a demo cycle, people."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Choice,
    Cycle,
    CycleStatus,
    EducationRoute,
    FieldGroup,
    Gender,
    Program,
    ProgramQuota,
    ProtectionStatus,
    ScoreComponent,
    StatusChange,
    StudyLevel,
    University,
    User,
    UserRole,
    utcnow,
)
from app.services import accounts, audit
from app.services.codes import new_public_code
from app.services.passwords import hash_password
from app.services.scoring import competitive_score

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
DEMO_PASSWORD = "umit-demo-2026"  # noqa: S105 - documented demo password, demo data only
DEMO_CYCLE = "2026/27"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: UserRole
    name: str
    university: str | None = None


DEMO_STAFF = (
    DemoAccount("admin@umit.example", UserRole.ADMIN, "Aigerim Admin"),
    DemoAccount("ministry@umit.example", UserRole.MINISTRY, "Dana Seitkali"),
    DemoAccount("ministry2@umit.example", UserRole.MINISTRY, "Marat Ospanov"),
    DemoAccount("kaznu@umit.example", UserRole.UNIVERSITY, "Aliya Nurlanova", "KAZNU"),
    DemoAccount("enu@umit.example", UserRole.UNIVERSITY, "Yerlan Bekov", "ENU"),
)
DEMO_APPLICANT = "applicant@umit.example"


def _read_csv(name: str) -> list[dict[str, str]]:
    with (SEED_DIR / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def load_reference_data() -> tuple[int, int]:
    """Insert or update universities and programs from seed_data/; returns their counts."""
    universities = {u.code: u for u in db.session.scalars(select(University))}
    for row in _read_csv("universities.csv"):
        uni = universities.get(row["code"]) or University(code=row["code"])
        uni.name_en, uni.name_ru, uni.name_kk = row["name_en"], row["name_ru"], row["name_kk"]
        uni.city, uni.website = row["city"], row.get("website", "")
        db.session.add(uni)
        universities[uni.code] = uni
    db.session.flush()
    programs = {p.code: p for p in db.session.scalars(select(Program))}
    for row in _read_csv("programs.csv"):
        prog = programs.get(row["code"]) or Program(code=row["code"])
        prog.university = universities[row["university_code"]]
        prog.name_en, prog.name_ru, prog.name_kk = row["name_en"], row["name_ru"], row["name_kk"]
        prog.field_group = FieldGroup(row["field_group"])
        prog.language = row["language"]
        prog.level = StudyLevel(row["level"])
        db.session.add(prog)
        programs[prog.code] = prog
    db.session.flush()
    return len(universities), len(programs)


def is_empty() -> bool:
    """Say whether the database holds no users yet (so `make run` seeds it)."""
    return not db.session.scalar(select(func.count()).select_from(User))


def seed_demo(n_applicants: int = 64, rng_seed: int = 2026) -> dict[str, int]:
    """Load reference data, a demo cycle, demo staff and applicants; safe to run twice."""
    n_unis, n_progs = load_reference_data()
    cycle = _demo_cycle()
    for account in DEMO_STAFF:
        _ensure_staff(account)
    created = 0
    if accounts.find_user(DEMO_APPLICANT) is None:
        rng = random.Random(rng_seed)  # noqa: S311 - reproducible demo data, not secrets
        programs = _quota_programs(cycle)
        _make_applicant(
            cycle, programs, rng, 0, email=DEMO_APPLICANT, status=ApplicationStatus.DRAFT
        )
        for i in range(1, n_applicants):
            _make_applicant(cycle, programs, rng, i, email=None, status=_status_for(i))
            created += 1
    db.session.flush()
    return {"universities": n_unis, "programs": n_progs, "applicants": created + 1}


def _demo_cycle() -> Cycle:
    cycle = db.session.scalar(select(Cycle).where(Cycle.name == DEMO_CYCLE))
    if cycle is not None:
        return cycle
    now = utcnow()
    cycle = Cycle(
        name=DEMO_CYCLE,
        status=CycleStatus.OPEN,
        starts_on=now + timedelta(days=120),
        application_opens_at=now - timedelta(days=30),
        application_closes_at=now + timedelta(days=45),
        appeal_window_days=10,
        acceptance_window_days=7,
        max_choices=4,
        score_formula={
            "components": {"unt_total": 1.0},
            "description": "competitive score = UNT total (0–140)",
        },
        tiebreak_chain=["unt_profile", "school_gpa"],
        lottery_seed=20260701,
        seed_committed_at=now,
        total_quota=120,
        minimums=[{"group": "gender=F", "at_least_share": 0.4, "rule": "bonus"}],
    )
    db.session.add(cycle)
    db.session.flush()
    for row in _read_csv("programs.csv"):
        program = db.session.scalar(select(Program).where(Program.code == row["code"]))
        reserved = int(row.get("reserved_women") or 0)
        db.session.add(
            ProgramQuota(
                cycle=cycle,
                program=program,
                places=int(row["places"]),
                min_score=Decimal(row["min_score"]) if row.get("min_score") else None,
                cost=Decimal(row.get("cost") or 1),
                reserved={"gender=F": reserved} if reserved else {},
            )
        )
    audit.record(None, "cycle.create", cycle, after={"name": cycle.name, "source": "seed"})
    db.session.flush()
    return cycle


def _ensure_staff(account: DemoAccount) -> None:
    if accounts.find_user(account.email) is not None:
        return
    university = None
    if account.university:
        university = db.session.scalar(
            select(University).where(University.code == account.university)
        )
    accounts.create_staff(
        account.email,
        DEMO_PASSWORD,
        role=account.role,
        full_name=account.name,
        university=university,
        by=None,
    )


def _quota_programs(cycle: Cycle) -> list[Program]:
    query = select(ProgramQuota).where(ProgramQuota.cycle_id == cycle.id).order_by(ProgramQuota.id)
    return [q.program for q in db.session.scalars(query)]


# Pre-round states only: later states come from real rounds run in the portal.
_STATUS_MIX = (
    [ApplicationStatus.DRAFT] * 8
    + [ApplicationStatus.SUBMITTED] * 10
    + [ApplicationStatus.IN_REVIEW] * 8
    + [ApplicationStatus.NEEDS_INFO] * 4
    + [ApplicationStatus.ELIGIBLE] * 28
    + [ApplicationStatus.INELIGIBLE] * 3
    + [ApplicationStatus.WITHDRAWN] * 2
)


def _status_for(i: int) -> ApplicationStatus:
    return _STATUS_MIX[i % len(_STATUS_MIX)]


_NAMES = [
    # (native script, Latin, Cyrillic, gender, country)
    ("فرشته احمدی", "Freshta Ahmadi", "Фрешта Ахмади", Gender.FEMALE, "AF"),
    ("محمد کریمی", "Mohammad Karimi", "Мохаммад Карими", Gender.MALE, "AF"),
    ("زهرا حسینی", "Zahra Hosseini", "Захра Хоссейни", Gender.FEMALE, "AF"),
    ("احمد شاه نوری", "Ahmad Shah Noori", "Ахмад Шах Нури", Gender.MALE, "AF"),
    ("مریم رحیمی", "Maryam Rahimi", "Марьям Рахими", Gender.FEMALE, "AF"),
    ("عبدالله صافی", "Abdullah Safi", "Абдулла Сафи", Gender.MALE, "AF"),
    ("ملالۍ یوسفزۍ", "Malalai Yousafzai", "Малалай Юсуфзай", Gender.FEMALE, "AF"),
    ("نجیب الله ستانکزی", "Najibullah Stanekzai", "Наджибулла Станекзай", Gender.MALE, "AF"),
    ("لینا الخطیب", "Lina Al-Khatib", "Лина Аль-Хатиб", Gender.FEMALE, "SY"),
    ("عمر حداد", "Omar Haddad", "Омар Хаддад", Gender.MALE, "SY"),
    ("سارا منصور", "Sara Mansour", "Сара Мансур", Gender.FEMALE, "YE"),
    ("Xamda Cali", "Hamda Ali", "Хамда Али", Gender.FEMALE, "SO"),
    ("Mustafe Warsame", "Mustafe Warsame", "Мустафе Варсаме", Gender.MALE, "SO"),
    ("Дильноза Юсупова", "Dilnoza Yusupova", "Дильноза Юсупова", Gender.FEMALE, "TJ"),
    ("Шамсиддин Рахимов", "Shamsiddin Rakhimov", "Шамсиддин Рахимов", Gender.MALE, "TJ"),
    ("ناهید امیری", "Nahid Amiri", "Нахид Амири", Gender.FEMALE, "AF"),
]


def _make_applicant(
    cycle: Cycle,
    programs: list[Program],
    rng: random.Random,
    i: int,
    *,
    email: str | None,
    status: ApplicationStatus,
) -> Application:
    native, latin, cyrillic, gender, country = _NAMES[i % len(_NAMES)]
    user = User(
        email=email or f"applicant{i:03d}@umit.example",
        full_name=latin,
        password_hash=_demo_hash(),
        role=UserRole.APPLICANT,
        preferred_language=rng.choice(["fa_AF", "fa_AF", "ps", "ru", "kk", "en"]),
        email_confirmed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    now = utcnow()
    app = Application(
        applicant=user,
        cycle=cycle,
        status=status,
        public_code=new_public_code(),
        name_native=native,
        name_latin=latin,
        name_cyrillic=cyrillic,
        gender=gender,
        date_of_birth=date(2004 + rng.randint(0, 4), rng.randint(1, 12), rng.randint(1, 28)),
        country_of_origin=country,
        phone=f"+7 70{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
        contact_email=user.email,
        protection_status=rng.choice([ProtectionStatus.REFUGEE, ProtectionStatus.ASYLUM_SEEKER]),
        status_document_number=f"RF-{rng.randint(100000, 999999)}",
        status_document_issuer="Migration Service, Almaty",
        status_valid_until=date(2027, rng.randint(1, 12), 1),
        education_route=rng.choice([EducationRoute.KAZAKH_SCHOOL, EducationRoute.FOREIGN_SCHOOL]),
        school_name=f"School No. {rng.randint(1, 180)}",
        graduation_year=rng.choice([2024, 2025, 2026]),
        current_step="review" if status != ApplicationStatus.DRAFT else "personal",
        saved_at=now,
        status_changed_at=now,
        precheck={"protection_status": "refugee", "valid_status": True, "secondary_done": True},
    )
    unt = rng.randint(45, 130)
    components = {
        "unt_total": Decimal(unt),
        "unt_profile": Decimal(rng.randint(5, 50)),
        "school_gpa": Decimal(rng.randint(300, 500)) / 100,
    }
    app.score_components = [ScoreComponent(name=k, value=v) for k, v in components.items()]
    app.competitive_score = competitive_score(cycle.score_formula, components)
    picks = rng.sample(programs, k=rng.randint(1, min(cycle.max_choices, len(programs))))
    app.choices = [Choice(program=p, rank=r) for r, p in enumerate(picks, start=1)]
    if status == ApplicationStatus.INELIGIBLE:
        app.ineligible_reason = "The protection-status document had expired before the cycle began."
    if status == ApplicationStatus.NEEDS_INFO:
        app.needs_info_sections = ["education"]
        app.needs_info_note = "Please upload a clearer photo of your school certificate."
    if status not in (ApplicationStatus.DRAFT,):
        app.submitted_at = now - timedelta(days=rng.randint(1, 25))
        app.declaration_accepted_at = app.submitted_at
        app.status_changes = [
            StatusChange(from_status=ApplicationStatus.DRAFT, to_status=ApplicationStatus.SUBMITTED)
        ]
        if status != ApplicationStatus.SUBMITTED:
            app.status_changes.append(
                StatusChange(from_status=ApplicationStatus.SUBMITTED, to_status=status)
            )
    db.session.add(app)
    return app


_HASH: dict[str, str] = {}


def _demo_hash() -> str:
    # One argon2 hash shared by all demo applicants: seeding stays fast.
    if "h" not in _HASH:
        _HASH["h"] = hash_password(DEMO_PASSWORD)
    return _HASH["h"]
