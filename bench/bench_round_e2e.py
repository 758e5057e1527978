"""End-to-end speed of an official allocation round, as the ministry console runs it.

Not a test. For each database (SQLite file, PostgreSQL database `umit_bench`) and each size, a
fresh schema is migrated and filled with eligible applications (untimed), then the timed path
is exactly the production one: `start_round` → commit → `run_round_job` (snapshot from the
database, solve, independent check, placements + status in one transaction) → `publish_round`
(offers, applications moved, applicant e-mails + portal messages and university messages
queued in the outbox) → commit. Targets (issue 5): ≤ 20 s for 10,000 applicants × 300
programs, ≤ 120 s for 100,000.

    python bench/bench_round_e2e.py [--db sqlite,postgres] [--sizes 10000,100000]
        [--pg postgresql://postgres@127.0.0.1:5432/umit_bench]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HUEY", "memory")

TARGETS = {10_000: 20.0, 100_000: 120.0}
PROGRAMS = 300
UNIVERSITIES = 30
CHOICES = 4
CHUNK = 5000


def make_app(url: str) -> Any:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="umit-bench-"))
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=tmp, UPLOAD_DIR=tmp)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(revision="heads")
    return app


def seed(n: int, seed_value: int = 1) -> int:
    """Fill the database with a cycle, 300 programs and n eligible applications; return cycle id."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import (
        Application,
        ApplicationStatus,
        Choice,
        Cycle,
        CycleStatus,
        FieldGroup,
        Gender,
        Program,
        ProgramQuota,
        ScoreComponent,
        StudyLevel,
        University,
        User,
        UserRole,
        utcnow,
    )

    rng = np.random.default_rng(seed_value)
    now = utcnow()
    cycle = Cycle(
        name=f"bench-{n}",
        status=CycleStatus.CLOSED,
        application_opens_at=now,
        application_closes_at=now,
        lottery_seed=20260701,
        seed_committed_at=now,
        tiebreak_chain=["unt_math"],
    )
    db.session.add(cycle)
    db.session.flush()
    fields = list(FieldGroup)
    db.session.execute(
        insert(University),
        [
            {
                "code": f"U{u:03d}",
                "name_en": f"U{u}",
                "name_ru": f"U{u}",
                "name_kk": f"U{u}",
                "city": "Almaty",
            }
            for u in range(UNIVERSITIES)
        ],
    )
    uni_ids = [u.id for u in db.session.query(University).order_by(University.code)]
    db.session.execute(
        insert(Program),
        [
            {
                "code": f"P{p:04d}",
                "university_id": uni_ids[p % UNIVERSITIES],
                "name_en": f"Program {p}",
                "name_ru": f"Программа {p}",
                "name_kk": f"Бағдарлама {p}",
                "field_group": fields[p % len(fields)],
                "language": "ru",
                "level": StudyLevel.BACHELOR,
            }
            for p in range(PROGRAMS)
        ],
    )
    program_ids = [p.id for p in db.session.query(Program).order_by(Program.code)]
    popularity = 1.0 / np.arange(1, PROGRAMS + 1) ** 0.8
    rng.shuffle(popularity)
    popularity /= popularity.sum()
    places = np.maximum(1, np.round(popularity * n * 0.4)).astype(int)
    db.session.execute(
        insert(ProgramQuota),
        [
            {
                "cycle_id": cycle.id,
                "program_id": pid,
                "places": int(c),
                "reserved": {},
                "cost": Decimal(1),
            }
            for pid, c in zip(program_ids, places, strict=True)
        ],
    )
    # University officers: two per university, told when results are published.
    db.session.execute(
        insert(User),
        [
            {
                "email": f"staff{u}-{k}@bench.example",
                "full_name": f"Staff {u}",
                "password_hash": "x",
                "role": UserRole.UNIVERSITY,
                "university_id": uni_ids[u],
                "session_token": f"s{u}-{k}",
            }
            for u in range(UNIVERSITIES)
            for k in range(2)
        ],
    )
    scores = np.clip(np.round(rng.normal(75, 22, n)), 0, 140).astype(int)
    maths = rng.integers(0, 40, n)
    women = rng.random(n) < 0.4
    lengths = rng.integers(1, CHOICES + 1, n)
    draws = rng.choice(PROGRAMS, size=(n, CHOICES * 3), p=popularity)
    langs = ["ru", "kk", "en", "fa_AF", "ps"]
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        users = [
            {
                "email": f"a{i}@bench.example",
                "full_name": f"Applicant {i}",
                "password_hash": "x",
                "role": UserRole.APPLICANT,
                "preferred_language": langs[i % len(langs)],
                "session_token": f"a{i}",
            }
            for i in range(start, stop)
        ]
        db.session.execute(insert(User), users)
        ids = dict(
            db.session.query(User.email, User.id).filter(
                User.email.in_([u["email"] for u in users])
            )
        )
        apps = [
            {
                "applicant_id": ids[f"a{i}@bench.example"],
                "cycle_id": cycle.id,
                "status": ApplicationStatus.ELIGIBLE,
                "public_code": f"U-B{i:07d}",
                "gender": Gender.FEMALE if women[i] else Gender.MALE,
                "competitive_score": Decimal(int(scores[i])),
                "name_latin": f"Applicant {i}",
            }
            for i in range(start, stop)
        ]
        db.session.execute(insert(Application), apps)
        app_ids = dict(
            db.session.query(Application.public_code, Application.id).filter(
                Application.public_code.in_([a["public_code"] for a in apps])
            )
        )
        choices, comps = [], []
        for i in range(start, stop):
            aid = app_ids[f"U-B{i:07d}"]
            seen: dict[int, None] = {}
            for p in draws[i]:
                seen.setdefault(int(p), None)
                if len(seen) == lengths[i]:
                    break
            for rank, p in enumerate(seen, start=1):
                choices.append({"application_id": aid, "program_id": program_ids[p], "rank": rank})
            comps.append(
                {"application_id": aid, "name": "unt_total", "value": Decimal(int(scores[i]))}
            )
            comps.append(
                {"application_id": aid, "name": "unt_math", "value": Decimal(int(maths[i]))}
            )
        db.session.execute(insert(Choice), choices)
        db.session.execute(insert(ScoreComponent), comps)
    officer = User(
        email="officer@bench.example",
        full_name="Officer",
        password_hash="x",  # noqa: S106 - no sign-in in a benchmark
        role=UserRole.MINISTRY,
        session_token="officer",  # noqa: S106
    )
    db.session.add(officer)
    db.session.commit()
    return cycle.id


def run(app: Any, n: int) -> dict[str, float]:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Cycle, Notification, Placement, RoundStatus, User
    from app.services import rounds

    with app.app_context():
        t = time.perf_counter()
        cycle_id = seed(n)
        seeded = time.perf_counter() - t
    with app.test_request_context(base_url="https://umit.example"):
        cycle = db.session.get(Cycle, cycle_id)
        officer = db.session.scalar(select(User).where(User.email == "officer@bench.example"))
        t0 = time.perf_counter()
        round_ = rounds.start_round(cycle, rounds.RoundParams(dry_run=False), by=officer)
        db.session.commit()
        t1 = time.perf_counter()
        round_ = rounds.run_round_job(round_.id)
        t2 = time.perf_counter()
        assert round_.status == RoundStatus.SOLVED, round_.error
        assert rounds.publish_round(round_, by=officer)
        db.session.commit()
        t3 = time.perf_counter()
        placed = db.session.scalar(
            select(func.count()).select_from(Placement).where(Placement.round_id == round_.id)
        )
        mails = db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.channel == "email")
        )
        solve_s = (round_.result or {}).get("stats", {}).get("wall_time_s", 0.0)
    return {
        "seed_s": seeded,
        "start_s": t1 - t0,
        "run_s": t2 - t1,
        "solver_s": float(solve_s),
        "publish_s": t3 - t2,
        "total_s": t3 - t0,
        "placed": placed,
        "emails": mails,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/umit_bench")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        "| database | applicants × programs | start | run job (solver) | publish | end to end "
        "| target | placed | e-mails |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for db_name in args.db.split(","):
        for n in sizes:
            if db_name == "sqlite":
                url = f"sqlite:///{tempfile.mkdtemp(prefix='umit-bench-db-')}/bench.db"
            else:
                url = args.pg
            app = make_app(url)
            r = run(app, n)
            target = TARGETS.get(n)
            verdict = "" if target is None else ("ok" if r["total_s"] <= target else "SLOW")
            print(
                f"| {db_name} | {n:,} × {PROGRAMS} | {r['start_s']:.2f} s | {r['run_s']:.2f} s "
                f"({r['solver_s']:.2f} s) | {r['publish_s']:.2f} s | **{r['total_s']:.2f} s** | "
                f"≤ {target:.0f} s {verdict} | {r['placed']:,} | {r['emails']:,} |",
                flush=True,
            )
            with app.app_context():
                from app.extensions import db

                db.engine.dispose()


if __name__ == "__main__":
    main()
