"""Small factories for tests: each builds a valid object with overridable fields."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask, has_app_context
from sqlalchemy import inspect

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Choice,
    Cycle,
    CycleStatus,
    FieldGroup,
    Gender,
    Placement,
    PlacementState,
    Program,
    ProgramQuota,
    ProtectionStatus,
    Round,
    RoundKind,
    RoundStatus,
    ScoreComponent,
    StudyLevel,
    University,
    User,
    UserRole,
    utcnow,
)
from app.services.codes import new_public_code
from app.services.passwords import hash_password

PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only
_seq = itertools.count(1)
_HASH: dict[str, str] = {}


def _id(obj: Any) -> int:
    """Return an object's id, also when it is detached and expired (ids survive in its key)."""
    state = inspect(obj, raiseerr=False)
    if state is not None and state.identity:
        return int(state.identity[0])
    return int(obj.id)


def _password_hash() -> str:
    if "h" not in _HASH:
        _HASH["h"] = hash_password(PASSWORD)
    return _HASH["h"]


class Factory:
    """Builds and commits test objects.

    Inside an app context (service tests) objects stay attached to its session. Otherwise
    (request tests) each object is saved in a short context of its own and returned detached,
    so no app context (and no `g`, no session) leaks into the requests the test makes.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        with app.app_context():
            _password_hash()

    def university(self, **kw: Any) -> University:
        n = next(_seq)
        uni = University(
            code=kw.pop("code", f"UNI{n}"),
            name_en=kw.pop("name_en", f"University {n}"),
            name_ru=kw.pop("name_ru", f"Университет {n}"),
            name_kk=kw.pop("name_kk", f"Университет {n}"),
            city=kw.pop("city", "Almaty"),
            **kw,
        )
        return self._save(uni)

    def program(self, university: University | None = None, **kw: Any) -> Program:
        n = next(_seq)
        prog = Program(
            code=kw.pop("code", f"P{n}"),
            university=university or self.university(),
            name_en=kw.pop("name_en", f"Program {n}"),
            name_ru=kw.pop("name_ru", f"Программа {n}"),
            name_kk=kw.pop("name_kk", f"Бағдарлама {n}"),
            field_group=kw.pop("field_group", FieldGroup.ICT),
            language=kw.pop("language", "ru"),
            level=kw.pop("level", StudyLevel.BACHELOR),
            **kw,
        )
        return self._save(prog)

    def cycle(self, **kw: Any) -> Cycle:
        now = utcnow()
        cycle = Cycle(
            name=kw.pop("name", f"Cycle {next(_seq)}"),
            status=kw.pop("status", CycleStatus.OPEN),
            application_opens_at=kw.pop("application_opens_at", now - timedelta(days=10)),
            application_closes_at=kw.pop("application_closes_at", now + timedelta(days=30)),
            lottery_seed=kw.pop("lottery_seed", 20260701),
            **kw,
        )
        return self._save(cycle)

    def passed_over_cycle(self, share: float) -> Cycle:
        """Two one-place programs, two men scoring above one woman, a minimum share of women.

        Without a bonus both men are placed; at a share of 0.5 any allocation meeting it passes
        one man over (the share arithmetic's bound: half of 2 placed, less 0 women, is 1); at
        0.75 it cannot be met (2 of 2 placed would have to be women).
        """
        cycle = self.cycle(
            seed_committed_at=utcnow(),
            tiebreak_chain=["unt_total"],
            minimums=[{"group": "gender=F", "at_least_share": share, "rule": "bonus"}],
        )
        uni = self.university(code="KAZNU")
        cs = self.program(uni, code="KAZNU-CS")
        math = self.program(uni, code="KAZNU-MATH")
        self.quota(cycle, cs, places=1)
        self.quota(cycle, math, places=1)
        for programs, score, gender in (
            ([cs, math], 130, Gender.MALE),
            ([math], 120, Gender.MALE),
            ([math, cs], 80, Gender.FEMALE),
        ):
            self.application(
                cycle=cycle,
                programs=programs,
                score=score,
                status=ApplicationStatus.ELIGIBLE,
                gender=gender,
            )
        return cycle

    def quota(self, cycle: Cycle, program: Program, places: int = 2, **kw: Any) -> ProgramQuota:
        return self._save(ProgramQuota(cycle=cycle, program=program, places=places, **kw))

    def user(self, role: str = "applicant", **kw: Any) -> User:
        role_enum = UserRole(role)
        if role_enum == UserRole.UNIVERSITY and "university" not in kw:
            kw["university"] = self.university()
        user = User(
            email=kw.pop("email", f"{role}{next(_seq)}@test.example"),
            full_name=kw.pop("full_name", f"Test {role.title()}"),
            password_hash=_password_hash(),
            role=role_enum,
            email_confirmed_at=kw.pop("email_confirmed_at", utcnow()),
            preferred_language=kw.pop("preferred_language", "en"),
            **kw,
        )
        return self._save(user)

    def application(
        self,
        applicant: User | None = None,
        cycle: Cycle | None = None,
        *,
        programs: list[Program] | None = None,
        score: int = 100,
        **kw: Any,
    ) -> Application:
        cycle = cycle or self.cycle()
        app = Application(
            applicant=applicant or self.user("applicant"),
            cycle=cycle,
            status=kw.pop("status", ApplicationStatus.DRAFT),
            public_code=new_public_code(),
            name_native=kw.pop("name_native", "فرشته احمدی"),
            name_latin=kw.pop("name_latin", "Freshta Ahmadi"),
            name_cyrillic=kw.pop("name_cyrillic", "Фрешта Ахмади"),
            gender=kw.pop("gender", Gender.FEMALE),
            date_of_birth=kw.pop("date_of_birth", date(2005, 3, 21)),
            country_of_origin=kw.pop("country_of_origin", "AF"),
            protection_status=kw.pop("protection_status", ProtectionStatus.REFUGEE),
            status_document_number=kw.pop("status_document_number", "RF-123456"),
            status_valid_until=kw.pop("status_valid_until", date(2030, 1, 1)),
            competitive_score=Decimal(score),
            **kw,
        )
        app.score_components = [ScoreComponent(name="unt_total", value=Decimal(score))]
        app.choices = [Choice(program=p, rank=i) for i, p in enumerate(programs or [], start=1)]
        return self._save(app)

    def round(self, cycle: Cycle, **kw: Any) -> Round:
        """An allocation round; published (with its publication time) unless told otherwise."""
        status = kw.pop("status", RoundStatus.PUBLISHED)
        number = kw.pop("number", None)
        if number is None:
            number = next(_seq)
        return self._save(
            Round(
                cycle_id=_id(cycle),
                number=number,
                kind=kw.pop("kind", RoundKind.MAIN),
                status=status,
                dry_run=kw.pop("dry_run", False),
                published_at=kw.pop(
                    "published_at", utcnow() if status == RoundStatus.PUBLISHED else None
                ),
                **kw,
            )
        )

    def placement(
        self, round_: Round, application: Application, program: Program, **kw: Any
    ) -> Placement:
        """A placement of `application` in `program` by `round_` (offered unless told otherwise)."""
        return self._save(
            Placement(
                round_id=_id(round_),
                application_id=_id(application),
                program_id=_id(program),
                choice_rank=kw.pop("choice_rank", 1),
                state=kw.pop("state", PlacementState.OFFERED),
                offer_deadline_at=kw.pop("offer_deadline_at", utcnow() + timedelta(days=7)),
                **kw,
            )
        )

    def rejected_document(self, application: Application, by: User, **kw: Any) -> Any:
        """A document staff rejected (`by` decided it), the kind an applicant can appeal."""
        from app.models import Document, DocumentKind, DocumentState

        return self._save(
            Document(
                application_id=application.id,
                kind=kw.pop("kind", DocumentKind.STATUS_PROOF),
                original_name=kw.pop("original_name", "status.pdf"),
                content_type="application/pdf",
                size_bytes=10,
                sha256="0" * 64,
                storage_key="none",
                state=kw.pop("state", DocumentState.REJECTED),
                reason_code=kw.pop("reason_code", "illegible"),
                verified_by_id=by.id,
                verified_at=kw.pop("verified_at", utcnow()),
                **kw,
            )
        )

    def appeal(self, application: Application, **kw: Any) -> Any:
        """An appeal filed on `application` (eligibility by default), bypassing the service."""
        from app.models import Appeal, AppealGround, AppealState, AppealSubject

        now = utcnow()
        return self._save(
            Appeal(
                application_id=application.id,
                subject=kw.pop("subject", AppealSubject.ELIGIBILITY),
                subject_ref=kw.pop("subject_ref", ""),
                ground=kw.pop("ground", AppealGround.FACTUAL_ERROR),
                statement=kw.pop("statement", "My status document was valid on that date."),
                state=kw.pop("state", AppealState.SUBMITTED),
                filed_at=kw.pop("filed_at", now),
                deadline_at=kw.pop("deadline_at", now + timedelta(days=10)),
                decide_by_at=kw.pop("decide_by_at", now + timedelta(days=15)),
                declaration_accepted_at=now,
                **kw,
            )
        )

    def _save(self, obj: Any) -> Any:
        if has_app_context():
            db.session.add(obj)
            db.session.commit()
            return obj
        with self.app.app_context():
            db.session.add(obj)
            db.session.commit()
            db.session.refresh(obj)
            db.session.expunge_all()
        return obj
