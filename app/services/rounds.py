"""Allocation rounds: start, run as a job (snapshot → solve → check → placements), review,
compare and publish.

The flow (DESIGN §4): `start_round` (one active round per cycle: a partial unique index plus a
row lock on PostgreSQL) → commit → `jobs.enqueue(jobs.run_round, id)` → `run_round_job` writes the
snapshot, result, certificate, placements and the status change in ONE transaction →
staff review → `publish_round` (exactly once, guarded by a conditional UPDATE).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import JSON, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value

import solver
from app import labels
from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Choice,
    Cycle,
    Notification,
    NotificationChannel,
    NotificationState,
    Placement,
    PlacementState,
    Program,
    ProgramQuota,
    Round,
    RoundKind,
    RoundStatus,
    ScoreComponent,
    StatusChange,
    University,
    User,
    UserRole,
    utcnow,
)
from app.services import audit, cycles, notifications, workflow
from app.services.errors import NotFound, ServiceError

logger = logging.getLogger(__name__)

S = ApplicationStatus
ACTIVE = (RoundStatus.QUEUED, RoundStatus.RUNNING)
METHODS = ("auto", "da", "cpsat")
CHUNK = 2000


class RoundAlreadyActive(ServiceError):
    """Another round of this cycle is queued or running."""


@dataclass
class RoundParams:
    """What the officer chose when starting a round."""

    kind: RoundKind = RoundKind.MAIN
    dry_run: bool = True
    method: str = "auto"
    ignore_minimums: bool = False
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "ignore_minimums": self.ignore_minimums,
            "label": self.label,
        }


def insert_rows(table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows fast: COPY on PostgreSQL, executemany on SQLite.

    Every row must have the same keys; columns left out get their Python-side defaults.
    psycopg's executemany sends one statement per row, which made a 100,000-applicant
    publication take minutes.
    """
    if not rows:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        _copy_rows(table, rows)
        return
    for start in range(0, len(rows), CHUNK):
        db.session.execute(table.insert(), rows[start : start + CHUNK])


def _copy_rows(table: Any, rows: Sequence[dict[str, Any]]) -> None:
    given = list(rows[0])
    defaults = {
        c.name: c.default.arg
        for c in table.columns
        if c.name not in given and not c.primary_key and c.default is not None
    }
    names = given + list(defaults)
    json_cols = {c.name for c in table.columns if isinstance(c.type, JSON)}
    dbapi = db.session.connection().connection.driver_connection
    assert dbapi is not None
    quoted = ", ".join(f'"{n}"' for n in names)
    sql = f'COPY "{table.name}" ({quoted}) FROM STDIN'
    with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            values = []
            for name in names:
                if name in defaults:
                    value = defaults[name]
                    value = value(None) if callable(value) else value
                else:
                    value = row[name]
                if name in json_cols and value is not None:
                    value = json.dumps(value, ensure_ascii=False)
                elif isinstance(value, StrEnum):
                    value = value.value
                values.append(value)
            copy.write_row(values)


# --- Starting a round --------------------------------------------------------------------------


def get_round(round_id: int) -> Round:
    """Return the round or raise NotFound."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("There is no such round."))
    return round_


def active_round(cycle: Cycle) -> Round | None:
    """Return the cycle's queued or running round, if any."""
    return db.session.scalar(
        select(Round).where(Round.cycle_id == cycle.id, Round.status.in_(ACTIVE))
    )


def published_rounds(cycle: Cycle) -> list[Round]:
    """Return the cycle's published rounds, first to last."""
    return list(
        db.session.scalars(
            select(Round)
            .where(Round.cycle_id == cycle.id, Round.status == RoundStatus.PUBLISHED)
            .order_by(Round.number)
        )
    )


def _refuse_active() -> RoundAlreadyActive:
    return RoundAlreadyActive(
        _("Another round of this cycle is queued or running. Wait for it to finish.")
    )


def start_round(cycle: Cycle, params: RoundParams, *, by: User) -> Round:
    """Queue a round; refuse while another round of the cycle is queued or running.

    A main round needs no published round before it and a supplementary one needs one; an
    official run needs the committed lottery seed. The partial unique index
    `uq_round_one_active_per_cycle` is the real guard under concurrent clicks; when it refuses
    the insert, the session is rolled back before RoundAlreadyActive is raised.
    """
    if params.method not in METHODS:
        raise ServiceError(_("Unknown allocation method."))
    if db.session.get_bind().dialect.name == "postgresql":
        # Serialise starts per cycle so the round number and the check below are consistent.
        db.session.execute(select(Cycle.id).where(Cycle.id == cycle.id).with_for_update())
    if active_round(cycle) is not None:
        raise _refuse_active()
    published = published_rounds(cycle)
    if params.kind == RoundKind.MAIN and published:
        raise ServiceError(
            _("The main round is already published; run a supplementary round instead.")
        )
    if params.kind == RoundKind.SUPPLEMENTARY and not published:
        raise ServiceError(_("A supplementary round needs a published main round first."))
    if params.kind == RoundKind.APPEAL:
        raise ServiceError(_("Appeal rounds are started from the appeals pages."))
    if not params.dry_run and cycle.seed_committed_at is None:
        raise ServiceError(_("Commit the lottery seed before the first official round."))
    if cycle.lottery_seed is None:
        raise ServiceError(_("Set the lottery seed before running a round."))
    number = (
        db.session.scalar(select(func.max(Round.number)).where(Round.cycle_id == cycle.id)) or 0
    ) + 1
    round_ = Round(
        cycle_id=cycle.id,
        number=number,
        kind=params.kind,
        status=RoundStatus.QUEUED,
        dry_run=params.dry_run,
        params=params.to_json(),
        progress=0,
        progress_note="queued",
        started_by_id=by.id,
    )
    db.session.add(round_)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request won the race: the partial unique index refused this round. The
        # transaction is unusable after the failed INSERT, so it is rolled back here.
        db.session.rollback()
        raise _refuse_active() from None
    except OperationalError as err:  # SQLite: the database stayed locked by another start
        db.session.rollback()
        if "locked" not in str(err).lower():
            raise
        raise _refuse_active() from None
    audit.record(
        by,
        "round.start",
        round_,
        after={"kind": params.kind.value, "dry_run": params.dry_run, **params.to_json()},
    )
    return round_


# --- The snapshot (anonymised umit-allocation/1 input) ----------------------------------------


def _num(value: Any) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else number


def participant_states(kind: RoundKind) -> tuple[ApplicationStatus, ...]:
    """Say which applications take part: eligible; later rounds also not placed and holders."""
    if kind == RoundKind.MAIN:
        return (S.ELIGIBLE,)
    return (S.ELIGIBLE, S.NOT_PLACED, S.ACCEPTED)


def _current_places(cycle_id: int) -> list[tuple[int, int, PlacementState]]:
    """Return (application, program, state) of live places from published rounds."""
    live = (PlacementState.OFFERED, PlacementState.ACCEPTED, PlacementState.ENROLLED)
    query = (
        select(Placement.application_id, Placement.program_id, Placement.state)
        .join(Round, Placement.round_id == Round.id)
        .where(
            Round.cycle_id == cycle_id,
            Round.status == RoundStatus.PUBLISHED,
            Placement.state.in_(live),
        )
    )
    return [(a, p, s) for a, p, s in db.session.execute(query)]


def build_problem(cycle: Cycle, kind: RoundKind, params: dict[str, Any]) -> dict[str, Any]:
    """Build the anonymised `umit-allocation/1` input from the database.

    Applicants appear by public code, programs by code. In later rounds accepted holders take
    part with `held` (they keep their place or move up); offers still pending and enrolments
    are fixed and their places are taken out of the capacities and limits.
    """
    quota_rows = db.session.execute(
        select(
            ProgramQuota.program_id,
            ProgramQuota.places,
            ProgramQuota.min_score,
            ProgramQuota.cost,
            ProgramQuota.reserved,
            Program.code,
            Program.field_group,
            University.code,
        )
        .join(Program, ProgramQuota.program_id == Program.id)
        .join(University, Program.university_id == University.id)
        .where(ProgramQuota.cycle_id == cycle.id)
    ).all()
    codes = {row[0]: row[5] for row in quota_rows}
    states = participant_states(kind)
    apps = db.session.execute(
        select(
            Application.id,
            Application.public_code,
            Application.competitive_score,
            Application.gender,
            Application.status,
        ).where(Application.cycle_id == cycle.id, Application.status.in_(states))
    ).all()
    ids = {row[0] for row in apps}

    held: dict[int, int] = {}
    fixed: Counter[int] = Counter()
    if kind != RoundKind.MAIN:
        for app_id, program_id, state in _current_places(cycle.id):
            if state == PlacementState.ACCEPTED and app_id in ids:
                held[app_id] = program_id
            elif state != PlacementState.ACCEPTED or app_id not in ids:
                fixed[program_id] += 1

    prefs: dict[int, list[str]] = defaultdict(list)
    program_scores: dict[int, dict[str, float | int]] = defaultdict(dict)
    choice_q = (
        select(Choice.application_id, Choice.program_id, Choice.program_score)
        .join(Application, Choice.application_id == Application.id)
        .where(Application.cycle_id == cycle.id, Application.status.in_(states))
        .order_by(Choice.application_id, Choice.rank)
    )
    for app_id, program_id, program_score in db.session.execute(choice_q):
        code = codes.get(program_id)
        if code is None:
            continue  # a program without a quota this cycle offers no place
        prefs[app_id].append(code)
        if program_score is not None:
            program_scores[app_id][code] = _num(program_score)

    chain = list(cycle.tiebreak_chain or [])
    tiebreaks: dict[int, dict[str, float | int]] = defaultdict(dict)
    if chain:
        comp_q = (
            select(ScoreComponent.application_id, ScoreComponent.name, ScoreComponent.value)
            .join(Application, ScoreComponent.application_id == Application.id)
            .where(
                Application.cycle_id == cycle.id,
                Application.status.in_(states),
                ScoreComponent.name.in_(chain),
            )
        )
        for app_id, name, value in db.session.execute(comp_q):
            tiebreaks[app_id][name] = _num(value)

    programs = []
    used_by_uni: Counter[str] = Counter()
    used_by_field: Counter[str] = Counter()
    used_cost = 0.0
    for program_id, places, min_score, cost, reserved, code, field_group, uni in quota_rows:
        taken = fixed.get(program_id, 0)
        used_by_uni[uni] += taken
        used_by_field[field_group.value] += taken
        used_cost += taken * float(cost or 1)
        capacity = max(0, places - taken)
        entry: dict[str, Any] = {
            "id": code,
            "capacity": capacity,
            "university": uni,
            "field": field_group.value,
        }
        if min_score is not None:
            entry["min_score"] = _num(min_score)
        if cost is not None and float(cost) != 1.0:
            entry["cost"] = _num(cost)
        kept = {grp: min(int(n), capacity) for grp, n in (reserved or {}).items() if int(n) > 0}
        if kept and sum(kept.values()) <= capacity:
            entry["reserved"] = kept
        programs.append(entry)

    applicants = []
    for app_id, public_code, score, gender, _status in apps:
        item: dict[str, Any] = {
            "id": public_code,
            "score": _num(score or 0),
            "preferences": prefs.get(app_id, []),
        }
        if chain:
            values = tiebreaks.get(app_id, {})
            item["tiebreak"] = [values.get(name, 0) for name in chain]
        if program_scores.get(app_id):
            item["program_scores"] = program_scores[app_id]
        if gender is not None:
            item["groups"] = {"gender": gender.value}
        if app_id in held and codes.get(held[app_id]) in item["preferences"]:
            item["held"] = codes[held[app_id]]
        applicants.append(item)

    limits: dict[str, Any] = {}
    if cycle.total_quota is not None:
        limits["total"] = max(0, cycle.total_quota - sum(fixed.values()))
    if cycle.university_caps:
        limits["university"] = {
            u: max(0, int(n) - used_by_uni[u]) for u, n in cycle.university_caps.items()
        }
    if cycle.field_caps:
        limits["field"] = {
            f: max(0, int(n) - used_by_field[f]) for f, n in cycle.field_caps.items()
        }
    if cycle.budget is not None:
        limits["budget"] = max(0.0, float(cycle.budget) - used_cost)

    data: dict[str, Any] = {
        "format": "umit-allocation/1",
        "seed": int(cycle.lottery_seed or 0),
        "programs": sorted(programs, key=lambda p: p["id"]),
        "applicants": sorted(applicants, key=lambda a: a["id"]),
    }
    if limits:
        data["limits"] = limits
    if cycle.minimums and not params.get("ignore_minimums"):
        data["minimums"] = list(cycle.minimums)
    return data


def snapshot_text(data: dict[str, Any]) -> tuple[str, str]:
    """Serialise the input canonically and return (text, sha256 of its UTF-8 bytes)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Running a round (the job) ----------------------------------------------------------------


def _progress(round_: Round, percent: int, note: str) -> None:
    round_.progress = percent
    round_.progress_note = note
    db.session.commit()


def _before_commit(round_: Round) -> None:
    """A seam for tests: called after everything is written, right before the commit."""


def run_round_job(round_id: int) -> Round | None:
    """Run a queued round to its end; on any error leave nothing but a FAILED round.

    Snapshot, result, certificate, placements and the status change are committed together, so
    a crash before that commit leaves no partial result and the round can be run again.
    """
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.status != RoundStatus.QUEUED:
        return round_  # already taken by another worker, or a retried task
    claimed = db.session.execute(
        update(Round)
        .where(Round.id == round_id, Round.status == RoundStatus.QUEUED)
        .values(
            status=RoundStatus.RUNNING, started_at=utcnow(), progress=5, progress_note="snapshot"
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return db.session.get(Round, round_id)
    db.session.refresh(round_)
    try:
        cycle = round_.cycle
        data = build_problem(cycle, round_.kind, round_.params or {})
        text, digest = snapshot_text(data)
        _progress(round_, 25, "solving")
        problem = solver.parse_problem(data)
        result = solver.solve(problem, method=(round_.params or {}).get("method", "auto"))
        _progress(round_, 70, "checking")
        certificate = solver.check(problem, result)
        record_result(round_, text, digest, result, certificate)
        _before_commit(round_)
        db.session.commit()
    except Exception as err:  # noqa: BLE001 - any failure must end as a FAILED round
        db.session.rollback()
        logger.exception("round %s failed", round_id)
        _mark_failed(round_id, err)
    return db.session.get(Round, round_id)


def record_result(
    round_: Round, text: str, digest: str, result: solver.Result, certificate: dict[str, Any]
) -> None:
    """Store snapshot, result, certificate and PROPOSED placements; flush, never commit."""
    round_.input_snapshot = text
    round_.input_sha256 = digest
    round_.solver_version = result.solver_version
    round_.result = result.to_dict(timing=True)
    round_.certificate = certificate
    infeasible = result.status == "infeasible"
    round_.status = RoundStatus.INFEASIBLE if infeasible else RoundStatus.SOLVED
    round_.progress = 100
    round_.progress_note = "done"
    round_.finished_at = utcnow()
    if not infeasible:
        _write_placements(round_, result.assignments)
    if not round_.dry_run:
        cycles.lock_rules(round_.cycle, by=round_.started_by)
        # A newer official result replaces any earlier one nobody published.
        db.session.execute(
            update(Round)
            .where(
                Round.cycle_id == round_.cycle_id,
                Round.id != round_.id,
                Round.status == RoundStatus.SOLVED,
                Round.dry_run.is_(False),
            )
            .values(status=RoundStatus.SUPERSEDED)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    audit.record(
        round_.started_by,
        "round.solve",
        round_,
        after={
            "status": round_.status.value,
            "input_sha256": digest,
            "placed": result.placed,
            "certificate_ok": certificate.get("ok"),
        },
    )


def _write_placements(round_: Round, assignments: dict[str, str | None]) -> int:
    """Insert one PROPOSED placement per applicant given a (new) place."""
    placed = {code: pid for code, pid in assignments.items() if pid is not None}
    if not placed:
        return 0
    apps = dict(
        db.session.execute(
            select(Application.public_code, Application.id).where(
                Application.cycle_id == round_.cycle_id
            )
        ).all()
    )
    programs = dict(db.session.execute(select(Program.code, Program.id)).all())
    ranks = {
        (a, p): r
        for a, p, r in db.session.execute(
            select(Choice.application_id, Choice.program_id, Choice.rank)
            .join(Application, Choice.application_id == Application.id)
            .where(Application.cycle_id == round_.cycle_id)
        )
    }
    snapshot = json.loads(round_.input_snapshot or "{}")
    held = {a["id"]: a.get("held") for a in snapshot.get("applicants", []) if a.get("held")}
    rows = []
    for code, pid in placed.items():
        if held.get(code) == pid:
            continue  # the holder keeps the place already accepted
        app_id, program_id = apps[code], programs[pid]
        rows.append(
            {
                "round_id": round_.id,
                "application_id": app_id,
                "program_id": program_id,
                "choice_rank": ranks.get((app_id, program_id), 0),
                "state": PlacementState.PROPOSED,
            }
        )
    insert_rows(Placement.__table__, rows)
    return len(rows)


def _mark_failed(round_id: int, err: Exception) -> None:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        return
    round_.status = RoundStatus.FAILED
    round_.error = f"{type(err).__name__}: {err}"[:2000]
    round_.progress_note = "failed"
    round_.finished_at = utcnow()
    audit.record(round_.started_by, "round.fail", round_, after={"error": round_.error[:200]})
    db.session.commit()


def abandon_round(
    round_: Round, *, by: User, older_than: timedelta = timedelta(minutes=30)
) -> Round:
    """Mark a round whose worker died as failed, so the cycle can run a new one."""
    if round_.status not in ACTIVE:
        raise ServiceError(_("Only a queued or running round can be marked as failed."))
    since = round_.started_at or round_.created_at
    if utcnow() - since < older_than:
        raise ServiceError(_("The round is still within its expected running time."))
    round_.status = RoundStatus.FAILED
    round_.error = "abandoned: the worker did not finish"
    round_.finished_at = utcnow()
    db.session.flush()
    audit.record(by, "round.abandon", round_)
    return round_


# --- Publishing --------------------------------------------------------------------------------


class PublishRefused(ServiceError):
    """The round cannot be published (dry run, not solved, or failed its certificate)."""


def publish_round(round_: Round, *, by: User) -> bool:
    """Publish a solved official round exactly once; returns False if it was already published.

    Placements become offers with deadlines, applications move to placed / not placed (the
    applicants are told through the outbox), university officers are notified.
    """
    if round_.dry_run:
        raise PublishRefused(_("A dry run can be reviewed and compared but never published."))
    if round_.status == RoundStatus.PUBLISHED:
        return False
    if round_.status != RoundStatus.SOLVED:
        raise PublishRefused(_("Only a solved round can be published."))
    if not (round_.certificate or {}).get("ok"):
        raise PublishRefused(_("The checker found violations; this round cannot be published."))
    now = utcnow()
    claimed = db.session.execute(
        update(Round)
        .where(Round.id == round_.id, Round.status == RoundStatus.SOLVED)
        .values(status=RoundStatus.PUBLISHED, published_at=now, published_by_id=by.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(round_, ["status"])
        if round_.status == RoundStatus.PUBLISHED:  # type: ignore[comparison-overlap]
            return False
        raise PublishRefused(_("Only a solved round can be published."))
    # Mirror the UPDATE in memory (a refresh would reload the large result and snapshot).
    set_committed_value(round_, "status", RoundStatus.PUBLISHED)
    set_committed_value(round_, "published_at", now)
    set_committed_value(round_, "published_by_id", by.id)
    cycle = round_.cycle
    deadline = now + timedelta(days=cycle.acceptance_window_days)
    db.session.execute(
        update(Placement)
        .where(Placement.round_id == round_.id, Placement.state == PlacementState.PROPOSED)
        .values(state=PlacementState.OFFERED, offer_deadline_at=deadline)
        .execution_options(synchronize_session=False)
    )
    new_places = dict(
        db.session.execute(
            select(Placement.application_id, Placement.program_id).where(
                Placement.round_id == round_.id
            )
        ).all()
    )
    # Holders who moved up keep their accepted place until they accept the better offer
    # (offers.accept_offer supersedes it then; declining keeps it).
    codes = {a["id"] for a in json.loads(round_.input_snapshot or "{}").get("applicants", [])}
    participants = [
        row
        for row in db.session.execute(
            select(Application.id, Application.status, Application.public_code).where(
                Application.cycle_id == cycle.id
            )
        )
        if row[2] in codes
    ]
    moves: list[tuple[int, ApplicationStatus]] = []
    for row in participants:
        app_id, status = row[0], row[1]
        if app_id in new_places:
            moves.append((app_id, S.PLACED))
        elif status == S.ELIGIBLE:
            moves.append((app_id, S.NOT_PLACED))
    note = _("Round %(n)s of %(cycle)s", n=round_.number, cycle=cycle.name)
    program_codes = dict(db.session.execute(select(Program.id, Program.code)).all())
    answer_by = deadline.strftime("%Y-%m-%d %H:%M")
    offers = {
        app_id: _(
            "%(round)s: offered a place in %(program)s; answer by %(deadline)s UTC.",
            round=note,
            program=program_codes[program_id],
            deadline=answer_by,
        )
        for app_id, program_id in new_places.items()
    }
    _notify_universities(round_, new_places)
    move_applications(moves, by=by, note=note, notes=offers, deadline=deadline)
    audit.record(
        by,
        "round.publish",
        round_,
        after={"offers": len(new_places), "moves": len(moves), "deadline": deadline.isoformat()},
    )
    _expire_loaded(Placement)
    return True


def _expire_loaded(*classes: type) -> None:
    """Expire objects of these classes that bulk statements changed behind the ORM's back."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, classes):
            db.session.expire(obj)


# Above this many applicants a publication runs as a job, so no web request waits for it.
PUBLISH_INLINE_LIMIT = 5000


def applicant_count(round_: Round) -> int:
    """Count the applicants that took part in the round."""
    return len((round_.result or {}).get("assignments") or {})


def publish_round_job(round_id: int, user_id: int) -> bool:
    """Publish from the worker; a refusal or a second run changes nothing."""
    round_ = db.session.get(Round, round_id)
    user = db.session.get(User, user_id)
    if round_ is None or user is None:
        return False
    try:
        published = publish_round(round_, by=user)
    except ServiceError:
        db.session.rollback()
        logger.warning("round %s: publication refused", round_id)
        return False
    db.session.commit()
    return published


def _notify_universities(round_: Round, new_places: dict[int, int]) -> None:
    per_uni: Counter[int] = Counter()
    if new_places:
        uni_of = dict(db.session.execute(select(Program.id, Program.university_id)).all())
        for program_id in new_places.values():
            per_uni[uni_of[program_id]] += 1
    if not per_uni:
        return
    staff = db.session.scalars(
        select(User).where(User.role == UserRole.UNIVERSITY, User.university_id.in_(list(per_uni)))
    )
    for user in staff:
        notifications.notify(
            user,
            "round_published",
            {
                "name": user.full_name,
                "cycle": round_.cycle.name,
                "round": round_.number,
                "offers": per_uni[user.university_id or 0],
            },
        )


def move_applications(
    moves: Sequence[tuple[int, ApplicationStatus]],
    *,
    by: User | None,
    note: str = "",
    notes: dict[int, str] | None = None,
    deadline: Any = None,
) -> int:
    """Move many applications at once, writing exactly what `workflow.change_status` writes.

    `notes` gives some applications their own note (e.g. the program offered) instead of `note`.

    For each: the state machine check, the new status, a StatusChange, a chained audit entry,
    and the applicant's e-mail (outbox) and in-portal message. Done in bulk so a national round
    of 100,000 applicants publishes in seconds rather than minutes.
    """
    if not moves:
        return 0
    target = dict(moves)
    info: dict[int, tuple[Any, ...]] = {}
    ids = list(target)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for row in db.session.execute(
            select(
                Application.id,
                Application.status,
                Application.version,
                User.id,
                User.email,
                User.preferred_language,
                User.full_name,
            )
            .join(User, Application.applicant_id == User.id)
            .where(Application.id.in_(chunk))
        ):
            info[row[0]] = tuple(row)
    for app_id, to in moves:
        status = info[app_id][1]
        if to not in workflow.ALLOWED[status]:
            raise workflow.TransitionRefused(
                _(
                    "An application that is %(from_)s cannot become %(to)s.",
                    from_=workflow.status_label(status),
                    to=workflow.status_label(to),
                )
            )
    now = utcnow()
    by_id = by.id if by is not None else None
    # One UPDATE per (from, to) pair and chunk; the status in the WHERE clause is the guard
    # against a concurrent change (e.g. a withdrawal), which refuses the whole publication.
    table = Application.__table__
    groups: dict[tuple[ApplicationStatus, ApplicationStatus], list[int]] = defaultdict(list)
    for app_id, to in moves:
        groups[(info[app_id][1], to)].append(app_id)
    for (before, to), app_ids in groups.items():
        for start in range(0, len(app_ids), CHUNK):
            chunk = app_ids[start : start + CHUNK]
            done = db.session.execute(
                update(table)
                .where(table.c.id.in_(chunk), table.c.status == before.value)
                .values(status=to.value, status_changed_at=now, version=table.c.version + 1)
            )
            if done.rowcount != len(chunk):  # type: ignore[attr-defined]
                raise ServiceError(_("Some applications changed while publishing; publish again."))
    insert_rows(
        StatusChange.__table__,
        [
            {
                "application_id": a,
                "from_status": info[a][1],
                "to_status": to,
                "at": now,
                "by_id": by_id,
                "note": (notes or {}).get(a, note),
                "visible": True,
            }
            for a, to in moves
        ],
    )
    note_of = {a: (notes or {}).get(a, note) for a, _to in moves}
    _bulk_audit(moves, info, by, note_of, now)
    _bulk_notify(moves, info, note_of, deadline)
    _expire_loaded(Application, StatusChange)
    return len(moves)


def _bulk_audit(
    moves: Sequence[tuple[int, ApplicationStatus]],
    info: dict[int, tuple[Any, ...]],
    by: User | None,
    note_of: dict[int, str],
    now: Any,
) -> None:
    audit._lock_chain()
    prev = db.session.scalar(select(AuditEvent.entry_hash).order_by(AuditEvent.id.desc()).limit(1))
    prev = prev or audit.GENESIS_HASH
    request_id = g.get("request_id", "") if has_request_context() else ""
    rows = []
    actor_id = by.id if by is not None else None
    actor_label = by.email if by is not None else "system"
    for app_id, to in moves:
        note = note_of[app_id]
        event = SimpleNamespace(
            at=now,
            actor_id=actor_id,
            actor_label=actor_label,
            action=f"application.{to.value}",
            object_type="application",
            object_id=str(app_id),
            before={"status": info[app_id][1].value},
            after={"status": to.value, "note": note} if note else {"status": to.value},
            request_id=request_id,
        )
        entry_hash = audit.entry_digest(prev, event)  # type: ignore[arg-type]
        rows.append({**vars(event), "prev_hash": prev, "entry_hash": entry_hash})
        prev = entry_hash
    insert_rows(AuditEvent.__table__, rows)


NAME_MARK = "__UMIT_NAME_7F3A__"
NOTE_MARK = "__UMIT_NOTE_7F3A__"
ID_MARK = "990719990719"


def _bulk_notify(
    moves: Sequence[tuple[int, ApplicationStatus]],
    info: dict[int, tuple[Any, ...]],
    note_of: dict[int, str],
    deadline: Any,
) -> None:
    """Queue each applicant's e-mail and portal message (the `application_status` template).

    The body is rendered once per language and status with markers for the name and the id,
    then filled in per applicant: the same text change_status would send, thousands of times
    faster than rendering each message.
    """
    now = utcnow()
    rendered: dict[tuple[str, ApplicationStatus, bool], tuple[str, str]] = {}
    emails, portals = [], []
    for app_id, to in moves:
        _a, _s, _v, user_id, email, language, full_name = info[app_id]
        note = note_of[app_id]
        payload: dict[str, Any] = {
            "status": to.value,
            "note": note,
            "name": full_name,
            "application_id": app_id,
        }
        if deadline is not None and to == S.PLACED:
            payload["offer_deadline"] = deadline.isoformat()
        key = (language, to, bool(note))
        if key not in rendered:
            marked = {
                **payload,
                "name": NAME_MARK,
                "note": NOTE_MARK if note else "",
                "application_id": int(ID_MARK),
            }
            rendered[key] = notifications._render("application_status", language, marked)
        subject, body = rendered[key]
        body = (
            body.replace(NAME_MARK, full_name or "")
            .replace(ID_MARK, str(app_id))
            .replace(NOTE_MARK, note)
        )
        common = {
            "recipient_id": user_id,
            "template": "application_status",
            "language": language,
            "payload": payload,
            "subject": subject,
            "body": body,
            "attempts": 0,
            "error": "",
            "created_at": now,
        }
        emails.append(
            {
                **common,
                "to_address": email,
                "channel": NotificationChannel.EMAIL,
                "state": NotificationState.PENDING,
                "sent_at": None,
            }
        )
        portals.append(
            {
                **common,
                "to_address": "",
                "channel": NotificationChannel.PORTAL,
                "state": NotificationState.SENT,
                "sent_at": now,
            }
        )
    insert_rows(Notification.__table__, emails)
    insert_rows(Notification.__table__, portals)


# --- Review, difference and comparison ---------------------------------------------------------


@dataclass
class ProgramLine:
    code: str
    university: str
    field: str
    capacity: int
    filled: int
    cutoff: Any
    full: bool
    reserved: int
    women: int
    reserved_used: int
    reverted: int


@dataclass
class MinimumOutcome:
    """How a round met its minimum share, and what CP-SAT made of it when it ran.

    Staff choosing the CP-SAT model need to see what it bought: how many the fast rule passed
    over, how many after CP-SAT, and the fewest any allocation meeting the share could have.
    """

    share: float
    rule: str
    placed: int
    group_placed: int
    passed_over: int
    bonus: float | None = None
    reserved_fraction: float | None = None
    fast_passed_over: int | None = None
    bound: int | None = None
    proven: bool = False

    @property
    def reached(self) -> float:
        return self.group_placed / self.placed if self.placed else 0.0

    @property
    def needed(self) -> int:
        """Members the share asks for among those placed (the solver's own rounding)."""
        return math.ceil(self.share * self.placed - 1e-9)


@dataclass
class Review:
    round: Round
    programs: list[ProgramLine] = field(default_factory=list)
    universities: list[tuple[str, int, int]] = field(default_factory=list)
    unplaced: list[tuple[str, list[str]]] = field(default_factory=list)
    unplaced_count: int = 0
    placed: int = 0
    applicants: int = 0
    women_placed: int = 0
    extra_places: int = 0
    certificate: dict[str, Any] = field(default_factory=dict)
    diff: Diff | None = None
    previous: Round | None = None
    minimum: MinimumOutcome | None = None


@dataclass
class Diff:
    moved: list[tuple[str, str, str]] = field(default_factory=list)
    newly: list[tuple[str, str]] = field(default_factory=list)
    lost: list[tuple[str, str]] = field(default_factory=list)
    same: int = 0


def _snapshot(round_: Round) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(round_.input_snapshot or "{}")
    return data


def assignments_of(round_: Round) -> dict[str, str | None]:
    """Return the round's assignments by public code (empty before it is solved)."""
    return dict((round_.result or {}).get("assignments") or {})


def previous_round(round_: Round) -> Round | None:
    """Return the latest published round of the cycle before this one."""
    return db.session.scalar(
        select(Round)
        .where(
            Round.cycle_id == round_.cycle_id,
            Round.number < round_.number,
            Round.status == RoundStatus.PUBLISHED,
        )
        .order_by(Round.number.desc())
        .limit(1)
    )


def diff(before: dict[str, str | None], after: dict[str, str | None]) -> Diff:
    """Say who moved, who is newly placed and who lost a place between two allocations."""
    out = Diff()
    for code in sorted(set(before) | set(after)):
        old, new = before.get(code), after.get(code)
        if old == new:
            if new is not None:
                out.same += 1
        elif old is None and new is not None:
            out.newly.append((code, new))
        elif old is not None and new is None:
            if code in after:
                out.lost.append((code, old))
            else:
                out.same += 1  # not in this round's input: keeps an earlier place
        elif old is not None and new is not None:
            out.moved.append((code, old, new))
    return out


def _reserved_used(cutoff: dict[str, Any], reserved: int, women: int) -> int:
    """Take the solver's exact count of reserved places used (results before it: an estimate)."""
    exact = (cutoff.get("reserved") or {}).get("gender=F")
    if exact is not None:
        return int(exact["used"])
    return min(reserved, women)


def review(round_: Round, *, unplaced_limit: int = 200) -> Review:
    """Gather what staff check before publishing: fill, cutoffs, reserves, certificate, diff."""
    out = Review(round=round_, certificate=dict(round_.certificate or {}))
    if round_.result is None:
        return out
    data = _snapshot(round_)
    result = round_.result
    assignments = result.get("assignments") or {}
    women = {
        a["id"] for a in data.get("applicants", []) if a.get("groups", {}).get("gender") == "F"
    }
    load: Counter[str] = Counter(p for p in assignments.values() if p)
    women_load: Counter[str] = Counter(p for a, p in assignments.items() if p and a in women)
    cutoffs = result.get("cutoffs") or {}
    per_uni: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for prog in data.get("programs", []):
        reserved = int((prog.get("reserved") or {}).get("gender=F", 0))
        used = _reserved_used(cutoffs.get(prog["id"]) or {}, reserved, women_load[prog["id"]])
        line = ProgramLine(
            code=prog["id"],
            university=prog.get("university") or "",
            field=prog.get("field") or "",
            capacity=prog["capacity"],
            filled=load[prog["id"]],
            cutoff=(cutoffs.get(prog["id"]) or {}).get("score"),
            full=bool((cutoffs.get(prog["id"]) or {}).get("full")),
            reserved=reserved,
            women=women_load[prog["id"]],
            reserved_used=used,
            reverted=reserved - used,
        )
        out.programs.append(line)
        per_uni[line.university][0] += line.capacity
        per_uni[line.university][1] += line.filled
    out.universities = [(u, c, f) for u, (c, f) in sorted(per_uni.items())]
    exclusions = result.get("exclusions") or {}
    unplaced = sorted(a for a, p in assignments.items() if p is None)
    out.unplaced_count = len(unplaced)
    out.unplaced = [
        (
            code,
            [
                f"{pid}: {labels.coded(labels.SOLVER_TEXT, why)}"
                for pid, why in (exclusions.get(code) or {}).items()
            ],
        )
        for code in unplaced[:unplaced_limit]
    ]
    out.placed = sum(load.values())
    out.applicants = len(assignments)
    out.women_placed = sum(women_load.values())
    out.extra_places = int((result.get("stats") or {}).get("extra_places", 0))
    out.minimum = minimum_outcome(data, result)
    out.previous = previous_round(round_)
    if out.previous is not None:
        out.diff = diff(assignments_of(out.previous), assignments)
    return out


def minimum_outcome(data: dict[str, Any], result: dict[str, Any]) -> MinimumOutcome | None:
    """Read the minimum share's outcome from a round's input and result (None without one)."""
    stats = result.get("stats") or {}
    minimums = data.get("minimums") or []
    if not minimums or "passed_over" not in stats:
        return None
    fast = stats.get("fast_rule_passed_over")
    bound = stats.get("cpsat_bound")
    return MinimumOutcome(
        share=float(minimums[0]["at_least_share"]),
        rule=str(stats.get("rule", minimums[0].get("rule", "bonus"))),
        placed=int(stats.get("placed", 0)),
        group_placed=int(stats.get("group_placed", 0)),
        passed_over=int(stats["passed_over"]),
        bonus=stats.get("bonus"),
        reserved_fraction=stats.get("reserved_fraction"),
        fast_passed_over=None if fast is None else int(fast),
        bound=None if bound is None else math.ceil(float(bound) - 1e-9),
        proven=fast is not None and result.get("status") == "optimal",
    )


def compare(a: Round, b: Round) -> dict[str, Any]:
    """Set two rounds of the same cycle side by side (e.g. with and without a minimum share)."""
    if a.cycle_id != b.cycle_id:
        raise ServiceError(_("Only rounds of the same cycle can be compared."))
    ra, rb = review(a, unplaced_limit=0), review(b, unplaced_limit=0)
    lines_b = {line.code: line for line in rb.programs}
    rows = []
    for line in ra.programs:
        other = lines_b.get(line.code)
        rows.append(
            {
                "code": line.code,
                "university": line.university,
                "capacity": line.capacity,
                "filled_a": line.filled,
                "filled_b": other.filled if other else 0,
                "cutoff_a": line.cutoff,
                "cutoff_b": other.cutoff if other else None,
                "women_a": line.women,
                "women_b": other.women if other else 0,
            }
        )
    return {
        "a": ra,
        "b": rb,
        "rows": rows,
        "diff": diff(assignments_of(a), assignments_of(b)),
    }


def round_rows(round_: Round) -> Iterable[dict[str, Any]]:
    """Yield one export row per applicant of the round (pseudonymous codes only)."""
    assignments = assignments_of(round_)
    placements = {
        code: (state, deadline, rank)
        for code, state, deadline, rank in db.session.execute(
            select(
                Application.public_code,
                Placement.state,
                Placement.offer_deadline_at,
                Placement.choice_rank,
            )
            .join(Application, Placement.application_id == Application.id)
            .where(Placement.round_id == round_.id)
        )
    }
    for code in sorted(assignments):
        state, deadline, rank = placements.get(code, (None, None, None))
        yield {
            "code": code,
            "program": assignments[code] or "",
            "choice_rank": rank,
            "state": state.value if state else ("" if assignments[code] is None else "held"),
            "offer_deadline_at": deadline,
        }
