"""Crash safety of the allocation round job, and publication under concurrency.

Fault injection: `rounds.run_round_job` is interrupted at a random point — the N-th SQL
statement it sends, or one of its steps (snapshot, solve, check, writing placements, status
update, commit) — either as an error the job catches or as a kill (an exception nothing
catches, after which the connection is gone). 50 trials, reproducible (fixed seed). After each:
no placement of the interrupted round exists, the round is failed, still queued, or (killed
while running) can be abandoned; and running again gives the same allocation as an
uninterrupted run, byte for byte (result JSON without wall times) and row for row.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import (
    ApplicationStatus,
    Gender,
    Notification,
    Placement,
    Round,
    RoundStatus,
    utcnow,
)
from app.services import rounds
from app.services.errors import ServiceError
from app.services.rounds import RoundParams
from solver.result import TIMING_KEYS

S = ApplicationStatus
TRIALS = 50


class Killed(BaseException):  # noqa: N818 - a process kill, not an error
    """The worker process dies here: no `except Exception` sees it, nothing after runs."""


class Crash(RuntimeError):
    """An error inside the job (caught by it: the round must end failed)."""


@pytest.fixture()
def scene(app_ctx: Any, make: Any) -> dict[str, Any]:
    """A small but not trivial instance: 3 programs, 9 applicants, ties and a short list."""
    officer = make.user("ministry")
    cycle = make.cycle(seed_committed_at=utcnow(), tiebreak_chain=["unt_total"])
    uni = make.university(code="FAULT-U")
    programs = [make.program(uni, code=f"FAULT-P{i}") for i in range(3)]
    for program, places in zip(programs, (2, 1, 2), strict=True):
        make.quota(cycle, program, places=places)
    for i in range(9):
        prefs = [programs[(i + k) % 3] for k in range(1 + i % 3)]
        make.application(
            cycle=cycle,
            programs=prefs,
            score=100 + (i * 7) % 5,  # ties, broken by the lottery
            status=S.ELIGIBLE,
            gender=Gender.MALE if i % 2 else Gender.FEMALE,
        )
    return {"officer": officer, "cycle": cycle}


def _start(scene: dict[str, Any]) -> int:
    round_ = rounds.start_round(scene["cycle"], RoundParams(dry_run=False), by=scene["officer"])
    db.session.commit()
    return round_.id


def _canonical(round_: Round) -> str:
    result = dict(round_.result or {})
    result["stats"] = {k: v for k, v in result.get("stats", {}).items() if k not in TIMING_KEYS}
    return json.dumps(result, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _placements(round_id: int) -> list[tuple[int, int, int, str]]:
    return sorted(
        (p.application_id, p.program_id, p.choice_rank, p.state.value)
        for p in db.session.scalars(select(Placement).where(Placement.round_id == round_id))
    )


@contextmanager
def _statement_fault(n: int, exc: type[BaseException]) -> Iterator[list[int]]:
    """Raise `exc` when the job sends its n-th SQL statement (once)."""
    seen = [0]

    def before(*_args: Any, **_kw: Any) -> None:
        seen[0] += 1
        if seen[0] == n:
            raise exc(f"fault at statement {n}")

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


# (name, object, attribute): the job's steps; a fault fires before or after the real call.
STEPS: list[tuple[str, Any, str]] = [
    ("snapshot", rounds, "build_problem"),
    ("snapshot-text", rounds, "snapshot_text"),
    ("progress", rounds, "_progress"),
    ("parse", rounds.solver, "parse_problem"),
    ("solve", rounds.solver, "solve"),
    ("check", rounds.solver, "check"),
    ("record", rounds, "record_result"),
    ("write-placements", rounds, "_write_placements"),
    ("lock-rules", rounds.cycles, "lock_rules"),
    ("audit", rounds.audit, "record"),
    ("before-commit", rounds, "_before_commit"),
    ("commit", db.session, "commit"),
]


def _step_fault(
    monkeypatch: pytest.MonkeyPatch, target: Any, attr: str, exc: type[BaseException], after: bool
) -> list[bool]:
    real: Callable[..., Any] = getattr(target, attr)
    fired = [False]

    def faulty(*args: Any, **kw: Any) -> Any:
        if fired[0]:
            return real(*args, **kw)
        fired[0] = True
        if after:
            real(*args, **kw)
        raise exc(f"fault in {attr} ({'after' if after else 'before'} it ran)")

    monkeypatch.setattr(target, attr, faulty)
    return fired


def _statements_of_a_clean_run(scene: dict[str, Any]) -> tuple[int, str, list[Any]]:
    round_id = _start(scene)
    with _statement_fault(10**9, Crash) as seen:
        round_ = rounds.run_round_job(round_id)
    assert round_.status == RoundStatus.SOLVED
    return seen[0], _canonical(round_), _placements(round_id)


def test_the_round_job_killed_at_random_points_leaves_nothing_and_reruns_identically(
    scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _first, reference, reference_rows = _statements_of_a_clean_run(scene)  # locks the rules
    statements, again, again_rows = _statements_of_a_clean_run(scene)  # as every later run
    assert again == reference and again_rows == reference_rows, "not deterministic"
    assert statements > 10 and reference_rows
    rng = random.Random(20260701)  # noqa: S311 - reproducible trials, not cryptography
    outcomes: dict[str, int] = {}
    for trial in range(TRIALS):
        exc: type[BaseException] = rng.choice([Crash, Killed])
        round_id = _start(scene)
        if rng.random() < 0.5:
            n = rng.randint(1, statements)
            where = f"statement {n}"
            with _statement_fault(n, exc) as seen, pytest.raises((Crash, Killed)):
                _run_expecting_fault(round_id, exc)
            fired = seen[0] >= n
        else:
            name, target, attr = rng.choice(STEPS)
            after = rng.random() < 0.5
            where = f"step {name} ({'after' if after else 'before'})"
            flag = _step_fault(monkeypatch, target, attr, exc, after)
            try:
                with pytest.raises((Crash, Killed)):
                    _run_expecting_fault(round_id, exc)
            finally:
                monkeypatch.undo()
            fired = flag[0]
        label = f"trial {trial}: {exc.__name__} at {where}"
        assert fired, f"{label}: the fault never fired"
        db.session.rollback()  # a killed worker's connection is gone: its transaction too
        db.session.expire_all()
        round_ = db.session.get(Round, round_id)
        assert (
            db.session.scalar(
                select(func.count()).select_from(Placement).where(Placement.round_id == round_id)
            )
            == 0
            or round_.status == RoundStatus.SOLVED
        ), f"{label}: partial placements"
        outcomes[round_.status.value] = outcomes.get(round_.status.value, 0) + 1
        if round_.status == RoundStatus.SOLVED:
            # The fault hit after the commit (e.g. while closing): the result is whole.
            assert _canonical(round_) == reference, label
            assert _placements(round_id) == reference_rows, label
            continue
        assert round_.result is None and round_.input_snapshot is None, label
        if round_.status == RoundStatus.QUEUED:
            rerun = rounds.run_round_job(round_id)  # never claimed: the same round runs again
        else:
            if round_.status == RoundStatus.RUNNING:  # killed: the stale round is abandoned
                round_.started_at = utcnow() - timedelta(hours=1)
                rounds.abandon_round(round_, by=scene["officer"])
                db.session.commit()
            assert round_.status == RoundStatus.FAILED, label
            rerun = rounds.run_round_job(_start(scene))
        assert rerun.status == RoundStatus.SOLVED, label
        assert _canonical(rerun) == reference, f"{label}: a different allocation"
        assert _placements(rerun.id) == reference_rows, f"{label}: different placements"
    # The trials reached every ending: caught errors, kills while running, kills before claim.
    assert (
        outcomes.get("failed", 0) > 0 and outcomes.get("running", 0) + outcomes.get("queued", 0) > 0
    ), outcomes


def _run_expecting_fault(round_id: int, exc: type[BaseException]) -> None:
    """Run the job; a caught Crash is turned into a raise here so both kinds look alike."""
    round_ = rounds.run_round_job(round_id)
    if round_ is not None and round_.status == RoundStatus.FAILED:
        raise Crash("the job caught it and failed the round")
    if round_ is not None and round_.status == RoundStatus.SOLVED:
        raise Crash("the fault fired after the result was committed")


# --- Publication under concurrency (PostgreSQL, real connections) ----------------------------


def _is_postgres(app: Any) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def test_concurrent_publication_publishes_once_and_notifies_once(app: Any, make: Any) -> None:
    if not _is_postgres(app):
        pytest.skip(
            "needs PostgreSQL (TEST_DATABASE_URL): SQLite serialises writers, so threads "
            "cannot race there"
        )
    with app.app_context():
        officer = make.user("ministry")
        cycle = make.cycle(seed_committed_at=utcnow())
        uni = make.university()
        program = make.program(uni)
        make.quota(cycle, program, places=2)
        make.user("university", university=uni)
        for score in (120, 110, 100):
            make.application(cycle=cycle, programs=[program], score=score, status=S.ELIGIBLE)
        round_ = rounds.start_round(cycle, RoundParams(dry_run=False), by=officer)
        db.session.commit()
        round_ = rounds.run_round_job(round_.id)
        assert round_.status == RoundStatus.SOLVED
        round_id, officer_id = round_.id, officer.id
        db.session.remove()

    n = 8
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        from app.models import User

        with app.app_context():
            try:
                target = db.session.get(Round, round_id)
                by = db.session.get(User, officer_id)
                barrier.wait()
                published = rounds.publish_round(target, by=by)
                db.session.commit()
                result = "published" if published else "already"
            except ServiceError:
                db.session.rollback()
                result = "refused"
            except Exception as err:  # noqa: BLE001
                db.session.rollback()
                result = f"error: {err!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with app.app_context():
        db.engine.dispose()
        assert outcomes.count("published") == 1, outcomes
        assert all(o in ("published", "already", "refused") for o in outcomes), outcomes
        round_ = db.session.get(Round, round_id)
        assert round_.status == RoundStatus.PUBLISHED
        notes = db.session.scalars(select(Notification)).all()
        per_recipient: dict[tuple[Any, str, str], int] = {}
        for note in notes:
            key = (note.recipient_id, note.template, note.channel.value)
            per_recipient[key] = per_recipient.get(key, 0) + 1
        assert notes and all(count == 1 for count in per_recipient.values()), per_recipient
        offered = db.session.scalar(
            select(func.count()).select_from(Placement).where(Placement.round_id == round_id)
        )
        assert offered == 2
