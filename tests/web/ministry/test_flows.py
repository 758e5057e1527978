"""Ministry request flows: set up a cycle, quotas, verify, run and publish a round, export."""

from __future__ import annotations

import hashlib
import io
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Cycle,
    DocumentState,
    Placement,
    PlacementState,
    ProgramQuota,
    Round,
    RoundStatus,
    StatusChange,
)
from tests.conftest import csrf_token


def _token(client, path):
    return csrf_token(client, path)


def test_set_up_a_cycle_and_commit_the_seed(app, client, login_as):
    login_as("ministry")
    token = _token(client, "/ministry/cycles/new")
    bad = client.post(
        "/ministry/cycles/new",
        data={"csrf_token": token, "name": "2027/28", "score_formula": "unt_total"},
    )
    assert bad.status_code == 400
    assert 'value="2027/28"' in bad.get_data(as_text=True)  # keeps what was typed
    good = client.post(
        "/ministry/cycles/new",
        data={
            "csrf_token": token,
            "name": "2027/28",
            "application_opens_at": "2027-06-01T09:00",
            "application_closes_at": "2027-07-01T18:00",
            "max_choices": "4",
            "score_formula": "unt_total=1, gpa=10",
            "tiebreak_chain": "unt_math",
            "protection_statuses": ["refugee", "asylum_seeker"],
            "require_secondary_school": "y",
            "appeal_window_days": "10",
            "acceptance_window_days": "7",
        },
    )
    assert good.status_code == 302, good.get_data(as_text=True)[:2000]
    with app.app_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.name == "2027/28"))
        cycle_id = cycle.id
        assert cycle.tiebreak_chain == ["unt_math"]
    path = f"/ministry/cycles/{cycle_id}"
    token = _token(client, path)
    response = client.post(f"{path}/seed", data={"csrf_token": token, "seed": "424242"})
    assert response.status_code == 302
    again = client.post(
        f"{path}/seed", data={"csrf_token": token, "seed": "1"}, follow_redirects=True
    )
    assert "cannot change" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Cycle, cycle_id).lottery_seed == 424242
    assert "424242" in client.get("/results").get_data(as_text=True)


def test_edit_quotas_limits_and_import(app, client, login_as, scene):
    login_as("ministry")
    c = scene["cycle_id"]
    path = f"/ministry/cycles/{c}/quotas"
    token = _token(client, path)
    response = client.post(
        f"{path}/{scene['quota_id']}",
        data={"csrf_token": token, "places": "3", "cost": "1", "reserved_women": "1"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/ministry/cycles/{c}/limits",
        data={
            "csrf_token": token,
            "total_quota": "5",
            "university_caps": "KAZNU=4",
            "women_share": "0.4",
            "women_rule": "bonus",
        },
    )
    assert response.status_code == 302
    bad_caps = client.post(
        f"/ministry/cycles/{c}/limits",
        data={"csrf_token": token, "university_caps": "NOWHERE=4", "women_rule": "bonus"},
    )
    assert bad_caps.status_code == 400
    bad = "program_code,places\nKAZNU-CS,2\nMISSING,1\nKAZNU-MATH,-4\n".encode("utf-8-sig")
    response = client.post(
        f"/ministry/cycles/{c}/quotas/import",
        data={"csrf_token": token, "file": (io.BytesIO(bad), "q.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Row 3" in page and "Row 4" in page
    good = "program_code,places\nKAZNU-CS,2\nKAZNU-MATH,6\n".encode("utf-8-sig")
    response = client.post(
        f"/ministry/cycles/{c}/quotas/import",
        data={"csrf_token": token, "file": (io.BytesIO(good), "q.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        places = sorted(db.session.scalars(select(ProgramQuota.places)))
        cycle = db.session.get(Cycle, c)
        assert places == [2, 6]
        assert cycle.total_quota == 5 and cycle.minimums[0]["at_least_share"] == 0.4
    template = client.get(f"/ministry/cycles/{c}/quotas/template.csv")
    assert template.data.startswith(b"\xef\xbb\xbf")
    assert b"program_code" in template.data


def test_verify_documents_and_decide_eligibility(app, client, login_as, scene):
    login_as("ministry")
    a = scene["review_id"]
    doc = scene["doc_id"]
    path = f"/ministry/applications/{a}"
    page = client.get(path).get_data(as_text=True)
    token = re.search(rf'name="doc{doc}-csrf_token"[^>]*value="([^"]+)"', page)
    token = token.group(1) if token else _token(client, path)
    assert client.get(f"/ministry/documents/{doc}/file").mimetype == "image/png"
    # Rejecting without a reason re-renders with the error.
    response = client.post(
        f"/ministry/documents/{doc}/decision",
        data={f"doc{doc}-csrf_token": token, f"doc{doc}-decision": "reject"},
    )
    assert response.status_code == 400
    response = client.post(
        f"/ministry/documents/{doc}/decision",
        data={f"doc{doc}-csrf_token": token, f"doc{doc}-decision": "verify"},
    )
    assert response.status_code == 302
    plain = _token(client, path)
    missing = client.post(f"{path}/needs-info", data={"csrf_token": plain, "note": "x"})
    assert missing.status_code == 400
    response = client.post(f"{path}/eligible", data={"csrf_token": plain})
    assert response.status_code == 302
    with app.app_context():
        application = db.session.get(Application, a)
        assert application.status == ApplicationStatus.ELIGIBLE
        assert application.documents[0].state == DocumentState.VERIFIED
    # Deciding again is refused clearly, not with a 500.
    response = client.post(
        f"{path}/needs-info", data={"csrf_token": plain, "sections": ["scores"], "note": "late"}
    )
    assert response.status_code == 409


def test_return_for_information(app, client, login_as, scene):
    login_as("ministry")
    path = f"/ministry/applications/{scene['review_id']}"
    token = _token(client, path)
    response = client.post(
        f"{path}/needs-info",
        data={"csrf_token": token, "sections": ["documents"], "note": "A clearer copy please"},
    )
    assert response.status_code == 302
    with app.app_context():
        application = db.session.get(Application, scene["review_id"])
        assert application.status == ApplicationStatus.NEEDS_INFO


def _start(client, cycle_id, mode="official", kind="main", **extra):
    path = f"/ministry/cycles/{cycle_id}/rounds/new"
    token = _token(client, path)
    data = {"csrf_token": token, "kind": kind, "mode": mode, "method": "auto", **extra}
    return client.post(path, data=data)


def test_run_review_and_publish_once(app, client, login_as, scene):
    login_as("ministry")
    c = scene["cycle_id"]
    response = _start(client, c)
    assert response.status_code == 302
    round_path = response.headers["Location"]
    page = client.get(round_path).get_data(as_text=True)
    assert "Fairness certificate" in page and "Publish this round" in page
    round_id = int(round_path.rstrip("/").split("/")[-1])
    progress = client.get(f"/ministry/rounds/{round_id}/progress").json
    assert progress == {"status": "solved", "progress": 100, "note": "done", "done": True}
    snapshot = client.get(f"/ministry/rounds/{round_id}/snapshot.json")
    assert hashlib.sha256(snapshot.data).hexdigest() == snapshot.headers["X-Content-SHA256"]
    assert b"Freshta" not in snapshot.data  # anonymised: codes, never names
    # A second start of the main round: the first is solved, so a new one may queue; but a
    # published main round refuses another main round.
    token = _token(client, round_path)
    first = client.post(f"/ministry/rounds/{round_id}/publish", data={"csrf_token": token})
    second = client.post(
        f"/ministry/rounds/{round_id}/publish", data={"csrf_token": token}, follow_redirects=True
    )
    assert first.status_code == 302
    assert "already published" in second.get_data(as_text=True)
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert round_.status == RoundStatus.PUBLISHED
        states = db.session.scalars(select(Placement.state)).all()
        assert states == [PlacementState.OFFERED, PlacementState.OFFERED]
    assert _start(client, c).status_code == 409
    export = client.get(f"/ministry/rounds/{round_id}/export.csv")
    assert export.data.startswith(b"\xef\xbb\xbf") and b"KAZNU-CS" in export.data
    public = client.get("/results").get_data(as_text=True)
    assert "KAZNU-CS" in public and "Freshta" not in public
    assert client.get(f"/results/rounds/{round_id}/input.json").status_code == 200


def test_dry_run_cannot_be_published_and_compare(app, client, login_as, scene):
    login_as("ministry")
    c = scene["cycle_id"]
    a = _start(client, c, mode="dry").headers["Location"].rstrip("/").split("/")[-1]
    b = _start(client, c, mode="dry", ignore_minimums="y").headers["Location"].split("/")[-1]
    token = _token(client, f"/ministry/rounds/{a}")
    response = client.post(
        f"/ministry/rounds/{a}/publish", data={"csrf_token": token}, follow_redirects=True
    )
    assert "never published" in response.get_data(as_text=True)
    page = client.get(f"/ministry/cycles/{c}/compare?a={a}&b={b}")
    assert page.status_code == 200 and "Per program" in page.get_data(as_text=True)
    assert client.get(f"/ministry/cycles/{c}/compare?a={a}&b=999999").status_code == 404
    assert client.get(f"/results/rounds/{a}/input.json").status_code == 404


def test_a_second_round_is_refused_while_one_is_queued(app, client, login_as, scene, monkeypatch):
    from app import jobs

    monkeypatch.setattr(jobs, "enqueue", lambda task, *args: None)  # the worker is busy
    login_as("ministry")
    assert _start(client, scene["cycle_id"], mode="dry").status_code == 302
    response = _start(client, scene["cycle_id"], mode="dry")
    assert response.status_code == 409
    assert "queued or running" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 1


def test_exports_are_bom_csv_and_xlsx(client, login_as, scene):
    login_as("ministry")
    c = scene["cycle_id"]
    csv = client.get(f"/ministry/cycles/{c}/export/applicants.csv")
    assert csv.data.startswith(b"\xef\xbb\xbf")
    assert b"Freshta Ahmadi" in csv.data
    xlsx = client.get(f"/ministry/cycles/{c}/export/applicants.xlsx")
    assert xlsx.data[:2] == b"PK"
    stats = client.get("/ministry/export/statistics.csv").data.decode("utf-8-sig")
    assert "<5" in stats
    log = client.get("/ministry/audit?action=export.").get_data(as_text=True)
    assert log.count('title="export.applicants"') == 2  # one row per export


def test_audit_log_filters(client, login_as, scene):
    officer = login_as("ministry")
    _start(client, scene["cycle_id"], mode="dry")
    page = client.get(f"/ministry/audit?person={officer.email}&action=round.").get_data(
        as_text=True
    )
    assert "round.start" in page
    page = client.get("/ministry/audit?action=nothing.").get_data(as_text=True)
    assert "No entry matches" in page


def test_a_queued_round_shows_progress(app, client, login_as, scene, monkeypatch):
    from app import jobs

    monkeypatch.setattr(jobs, "enqueue", lambda task, *args: None)
    login_as("ministry")
    location = _start(client, scene["cycle_id"], mode="dry").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "The round is running" in page and "js/ministry.js" in page
    round_id = location.rstrip("/").split("/")[-1]
    progress = client.get(f"/ministry/rounds/{round_id}/progress").json
    assert progress["done"] is False and progress["status"] == "queued"
    assert client.get(f"/ministry/rounds/{round_id}/snapshot.json").status_code == 404


def test_a_failed_round_says_so_and_can_be_run_again(app, client, login_as, scene, monkeypatch):
    from app.services import rounds

    def boom(*args, **kwargs):
        raise RuntimeError("solver crashed")

    login_as("ministry")
    monkeypatch.setattr(rounds.solver, "solve", boom)
    location = _start(client, scene["cycle_id"], mode="dry").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "The round failed and left no result" in page
    monkeypatch.undo()
    again = _start(client, scene["cycle_id"], mode="dry")
    assert again.status_code == 302
    assert "Fairness certificate" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_supplementary_round_after_a_declined_offer(app, client, login_as, scene):
    login_as("ministry")
    c = scene["cycle_id"]
    round_path = _start(client, c).headers["Location"]
    round_id = int(round_path.rstrip("/").split("/")[-1])
    client.post(
        f"/ministry/rounds/{round_id}/publish", data={"csrf_token": _token(client, round_path)}
    )
    with app.app_context():
        placement = db.session.scalars(select(Placement).order_by(Placement.id)).first()
        placement.state = PlacementState.DECLINED
        placement.application.status = ApplicationStatus.DECLINED
        freed = placement.program_id
        late = db.session.get(Application, scene["review_id"])
        late.status = ApplicationStatus.ELIGIBLE  # found eligible after the main round
        late_code = late.public_code
        db.session.commit()
    form = client.get(f"/ministry/cycles/{c}/rounds/new").get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="supplementary"', form) or re.search(
        r'<option[^>]*value="supplementary"[^>]*selected', form
    )
    response = _start(client, c, kind="supplementary")
    assert response.status_code == 302
    with app.app_context():
        latest = db.session.scalars(select(Round).order_by(Round.id.desc())).first()
        assert latest.kind.value == "supplementary" and latest.status == RoundStatus.SOLVED
        # The declined place returns to the pool and goes to the newly eligible applicant.
        from app.models import Program

        assert latest.result["assignments"] == {late_code: db.session.get(Program, freed).code}


def test_a_large_round_is_published_by_a_job_once(app, client, login_as, scene, monkeypatch):
    from app.services import rounds

    monkeypatch.setattr(rounds, "PUBLISH_INLINE_LIMIT", 0)
    login_as("ministry")
    round_path = _start(client, scene["cycle_id"]).headers["Location"]
    round_id = int(round_path.rstrip("/").split("/")[-1])
    token = _token(client, round_path)
    for _ in range(2):
        response = client.post(f"/ministry/rounds/{round_id}/publish", data={"csrf_token": token})
        assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Round, round_id).status == RoundStatus.PUBLISHED
        assert db.session.scalar(select(func.count()).select_from(Placement)) == 2
        changes = db.session.scalar(
            select(func.count()).select_from(StatusChange).where(StatusChange.note != "")
        )
        assert changes == 2  # two placed applicants, each moved once


def test_cycle_moves_through_its_stages(app, client, login_as, scene):
    login_as("ministry")
    path = f"/ministry/cycles/{scene['cycle_id']}"
    page = client.get(path).get_data(as_text=True)
    assert '<option value="closed">Closed</option>' in page
    response = client.post(
        f"{path}/status", data={"csrf_token": _token(client, path), "status": "closed"}
    )
    assert response.status_code == 302
    refused = client.post(
        f"{path}/status",
        data={"csrf_token": _token(client, path), "status": "finished"},
        follow_redirects=True,
    )
    assert "cannot become" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Cycle, scene["cycle_id"]).status.value == "closed"


def test_approve_a_university_proposal_as_proposed_or_edited(app, client, login_as, scene):
    from app.models import AuditEvent, ProgramQuota

    with app.app_context():
        quota = db.session.get(ProgramQuota, scene["quota_id"])
        quota.proposed_places = 4
        db.session.commit()
    login_as("ministry")
    c = scene["cycle_id"]
    path = f"/ministry/cycles/{c}/quotas"
    page = client.get(path).get_data(as_text=True)
    assert "Places proposed by universities" in page
    token = _token(client, path)
    url = f"{path}/{scene['quota_id']}/approve"
    assert client.post(url, data={"csrf_token": token, "places": "-1"}).status_code == 400
    response = client.post(url, data={"csrf_token": token, "places": "3"})
    assert response.status_code == 302
    with app.app_context():
        quota = db.session.get(ProgramQuota, scene["quota_id"])
        assert (quota.places, quota.proposed_places) == (3, None)
        assert db.session.query(AuditEvent).filter_by(action="quota.approve_proposal").count() == 1
    # Nothing left to approve: a second request finds no proposal.
    assert client.post(url, data={"csrf_token": token, "places": "3"}).status_code == 404


def test_approving_is_ministry_only(client, login_as, scene):
    login_as("university")
    url = f"/ministry/cycles/{scene['cycle_id']}/quotas/{scene['quota_id']}/approve"
    token = _token(client, "/university/")
    assert client.post(url, data={"places": "3", "csrf_token": token}).status_code == 404
