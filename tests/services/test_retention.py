"""Retention and erasure: personal data goes when the rules say, files with it; anonymised
counts stay; erasure is refused (with a reason) while a decision is still live."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Appeal,
    AppealGround,
    AppealState,
    AppealSubject,
    Application,
    ApplicationStatus,
    AuditEvent,
    Choice,
    Document,
    DocumentKind,
    Placement,
    PlacementState,
    PurgedCount,
    ScoreComponent,
    StatusChange,
    User,
    UserStatus,
    utcnow,
)
from app.services import retention
from app.services.file_crypto import encrypt_bytes

S = ApplicationStatus


@pytest.fixture()
def uploads(app_ctx, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "uploads"
    monkeypatch.setitem(app_ctx.config, "UPLOAD_DIR", root)
    return root


def _document(application: Application, root: Path, name: str) -> Document:
    key = f"ab/{name}"
    (root / "ab").mkdir(parents=True, exist_ok=True)
    (root / key).write_bytes(encrypt_bytes(b"scan of a status document"))
    document = Document(
        application_id=application.id,
        kind=DocumentKind.STATUS_PROOF,
        original_name="proof.pdf",
        content_type="application/pdf",
        size_bytes=10,
        sha256="0" * 64,
        storage_key=key,
    )
    db.session.add(document)
    db.session.commit()
    return document


def _closed_cycle(make, days_ago: int, **kw):
    now = utcnow()
    return make.cycle(
        application_opens_at=now - timedelta(days=days_ago + 30),
        application_closes_at=now - timedelta(days=days_ago),
        **kw,
    )


def _purge_and_clean():
    report = retention.purge()
    db.session.commit()
    retention.delete_unreferenced_files(report.files)
    return report


def test_unsent_drafts_go_after_the_window_closed_plus_grace(app_ctx, make, uploads):
    old = make.application(cycle=_closed_cycle(make, days_ago=40), name_latin="PLANTED-DRAFT")
    recent = make.application(cycle=_closed_cycle(make, days_ago=10))
    _document(old, uploads, "old-draft-file")
    old_id, applicant_id = old.id, old.applicant_id

    report = _purge_and_clean()

    assert report.purged[retention.REASON_DRAFT] == 1
    assert db.session.get(Application, old_id) is None
    assert db.session.get(Application, recent.id) is not None
    assert not (uploads / "ab" / "old-draft-file").exists()
    for model in (Choice, ScoreComponent, Document, StatusChange):
        rows = db.session.scalar(
            select(func.count()).select_from(model).where(model.application_id == old_id)
        )
        assert rows == 0
    count = db.session.scalars(select(PurgedCount)).one()
    assert (count.reason, count.final_status, count.count) == ("draft_expired", "draft", 1)
    assert (count.gender, count.country_of_origin) == ("F", "AF")
    assert db.session.get(User, applicant_id) is not None  # the account is not the draft
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "application.purge")
    )


def test_applications_that_ended_without_a_place_go_after_the_retention_period(app_ctx, make):
    cycle = make.cycle(retention_months=6)
    long_ago = utcnow() - timedelta(days=200)
    purged = [
        make.application(cycle=cycle, status=status, status_changed_at=long_ago)
        for status in (S.INELIGIBLE, S.NOT_PLACED, S.WITHDRAWN)
    ]
    kept = [
        make.application(cycle=cycle, status=S.INELIGIBLE, status_changed_at=utcnow()),
        make.application(cycle=cycle, status=S.ENROLLED, status_changed_at=long_ago),
        make.application(cycle=cycle, status=S.ELIGIBLE, status_changed_at=long_ago),
    ]
    purged_ids, kept_ids = [a.id for a in purged], [a.id for a in kept]

    report = _purge_and_clean()

    assert report.purged[retention.REASON_RETENTION] == 3
    db.session.expire_all()
    assert all(db.session.get(Application, i) is None for i in purged_ids)
    assert all(db.session.get(Application, i) is not None for i in kept_ids)
    total = db.session.scalar(select(func.sum(PurgedCount.count)))
    assert total == 3


def test_a_draft_is_erased_on_request_with_the_account(app_ctx, make, uploads):
    application = make.application(name_latin="PLANTED-ERASE")
    _document(application, uploads, "erase-me")
    applicant = db.session.get(User, application.applicant_id)
    email = applicant.email

    outcome = retention.request_erasure(application, by=applicant)
    db.session.commit()
    retention.delete_unreferenced_files(outcome.files)

    assert outcome.erased and outcome.reason is None
    assert db.session.scalar(select(func.count(Application.id))) == 0
    assert not (uploads / "ab" / "erase-me").exists()
    user = db.session.get(User, applicant.id)
    assert user.email != email and user.full_name == ""
    assert user.status == UserStatus.DEACTIVATED
    count = db.session.scalars(select(PurgedCount)).one()
    assert count.reason == "erasure_request"


def test_erasure_keeps_an_account_with_another_application(app_ctx, make):
    applicant = make.user("applicant")
    first = make.application(applicant)
    make.application(applicant)
    retention.request_erasure(first, by=applicant)
    db.session.commit()
    assert db.session.get(User, applicant.id).status == UserStatus.ACTIVE


def test_erasure_is_refused_while_an_appeal_is_open_then_honoured(app_ctx, make):
    application = make.application(status=S.INELIGIBLE)
    applicant = db.session.get(User, application.applicant_id)
    appeal = Appeal(
        application_id=application.id,
        subject=AppealSubject.ELIGIBILITY,
        ground=AppealGround.FACTUAL_ERROR,
        statement="My status document was valid.",
        deadline_at=utcnow() + timedelta(days=5),
    )
    db.session.add(appeal)
    db.session.commit()

    outcome = retention.request_erasure(application, by=applicant)
    db.session.commit()
    assert not outcome.erased and "appeal" in (outcome.reason or "")
    assert db.session.get(Application, application.id).deletion_requested_at is not None
    report = _purge_and_clean()
    assert [i for i, _reason in report.refused] == [application.id]
    assert db.session.get(Application, application.id) is not None

    appeal.state = AppealState.DISMISSED
    db.session.commit()
    report = _purge_and_clean()
    assert report.purged[retention.REASON_ERASURE] == 1
    assert db.session.get(Application, application.id) is None
    assert db.session.scalar(select(func.count(Appeal.id))) == 0


@pytest.mark.parametrize(
    ("status", "words"),
    [(S.ELIGIBLE, "allocation"), (S.SUBMITTED, "allocation"), (S.ENROLLED, "place")],
)
def test_erasure_is_refused_while_the_application_is_live(app_ctx, make, status, words):
    application = make.application(status=status)
    applicant = db.session.get(User, application.applicant_id)
    outcome = retention.request_erasure(application, by=applicant)
    db.session.commit()
    assert not outcome.erased and words in (outcome.reason or "")
    assert db.session.get(Application, application.id) is not None


def test_erasure_is_refused_while_a_place_is_offered(app_ctx, make):
    program = make.program()
    cycle = make.cycle()
    application = make.application(cycle=cycle, status=S.WITHDRAWN, programs=[program])
    round_ = make.round(cycle)
    make.placement(round_, application, program, state=PlacementState.OFFERED)
    applicant = db.session.get(User, application.applicant_id)
    outcome = retention.request_erasure(application, by=applicant)
    assert not outcome.erased and "place" in (outcome.reason or "")


def test_withdrawn_application_with_past_placements_is_erased_with_them(app_ctx, make):
    program = make.program()
    cycle = make.cycle()
    application = make.application(cycle=cycle, status=S.WITHDRAWN, programs=[program])
    round_ = make.round(cycle)
    make.placement(round_, application, program, state=PlacementState.DECLINED)
    applicant = db.session.get(User, application.applicant_id)
    outcome = retention.request_erasure(application, by=applicant)
    db.session.commit()
    assert outcome.erased
    assert db.session.scalar(select(func.count(Placement.id))) == 0


def test_only_the_applicant_may_ask(app_ctx, make):
    from app.services.errors import NotFound

    application = make.application()
    with pytest.raises(NotFound):
        retention.request_erasure(application, by=make.user("applicant"))


def test_dormant_accounts_without_applications_are_anonymised(app_ctx, make):
    old = make.user("applicant", last_login_at=utcnow() - timedelta(days=800))
    active = make.user("applicant", last_login_at=utcnow() - timedelta(days=10))
    staff = make.user("ministry", last_login_at=utcnow() - timedelta(days=800))
    report = _purge_and_clean()
    assert report.accounts_anonymised == 1
    assert db.session.get(User, old.id).email.startswith("erased-")
    assert not db.session.get(User, active.id).email.startswith("erased-")
    assert not db.session.get(User, staff.id).email.startswith("erased-")


def test_orphan_files_are_swept_after_a_grace_period(app_ctx, make, uploads):
    application = make.application()
    _document(application, uploads, "kept")
    (uploads / "ab" / "orphan").write_bytes(b"x")
    assert retention.sweep_orphan_files(grace=timedelta(hours=1)) == 0  # too new to judge
    assert retention.sweep_orphan_files(grace=timedelta(seconds=-1)) == 1
    assert (uploads / "ab" / "kept").exists()
    assert not (uploads / "ab" / "orphan").exists()


def test_purge_command_reports_audits_and_leaves_nothing_in_the_file(app, make):
    make.application(cycle=_closed_cycle(make, days_ago=60), name_latin="PLANTED-PURGED-3391")
    result = app.test_cli_runner().invoke(args=["umit", "purge"])
    assert result.exit_code == 0, result.output
    assert "draft_expired: 1 application(s) purged" in result.output
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        on_disk = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        assert b"PLANTED-PURGED-3391" not in on_disk
    with app.app_context():
        assert db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "retention.purge")
        )
        from app.services.audit import verify_chain

        assert verify_chain() == []


def test_add_months_keeps_month_ends():
    from datetime import datetime

    assert retention.add_months(datetime(2026, 1, 31), 1) == datetime(2026, 2, 28)
    assert retention.add_months(datetime(2026, 11, 15), 3) == datetime(2027, 2, 15)
    assert retention.add_months(datetime(2026, 3, 15), -24) == datetime(2024, 3, 15)


def test_the_nightly_job_purges_too(app, make):
    from app import jobs

    draft = make.application(cycle=_closed_cycle(make, days_ago=60))
    with app.app_context():  # the worker would build its own app; here it runs inline
        jobs.retention_purge()
        db.session.remove()
        assert db.session.get(Application, draft.id) is None


def test_old_messages_are_deleted_recent_and_unsent_ones_kept(app_ctx, make):
    from app.models import Notification, NotificationChannel, NotificationState

    user = make.user("applicant")
    long_ago = utcnow() - timedelta(days=800)

    def message(created_at, state):
        note = Notification(
            recipient_id=user.id,
            to_address=user.email,
            template="application_status",
            channel=NotificationChannel.EMAIL,
            subject="Your application",
            body="Dear Freshta Ahmadi, …",
            state=state,
            created_at=created_at,
        )
        db.session.add(note)
        return note

    old = message(long_ago, NotificationState.SENT)
    recent = message(utcnow(), NotificationState.SENT)
    unsent = message(long_ago, NotificationState.PENDING)
    db.session.commit()
    ids = old.id, recent.id, unsent.id
    report = _purge_and_clean()
    assert report.messages_deleted == 1
    assert db.session.get(Notification, ids[0]) is None
    assert db.session.get(Notification, ids[1]) is not None
    assert db.session.get(Notification, ids[2]) is not None
