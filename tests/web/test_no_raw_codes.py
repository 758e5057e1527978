"""No page shows people a stored code: every GET page of every role, rendered in Russian from a
realistic world, has no enum value, audit action code or ISO country code in its visible text.

Codes may stay where people do not read them: attributes (values, URLs, titles), scripts, and
elements marked `translate="no"` (raw JSON in the audit log, hashes). The world is the one the
accessibility sweep uses, plus every audit action, every flag and in-portal messages.
"""

from __future__ import annotations

import re
from enum import StrEnum
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import labels
from app.extensions import db
from app.models import (
    Appeal,
    Application,
    ApplicationStatus,
    Document,
    DocumentKind,
    DocumentState,
    EducationRoute,
    PlacementState,
    Round,
    ScoreComponent,
    User,
)
from app.services import audit, notifications
from app.services.appeals import DECIDE_WITHIN_DAYS
from tests.conftest import PASSWORD, csrf_token
from tests.pages import PREFIX, build_world, page_urls

LANG = "ru"
# The independent checker's yes/no findings (solver/checks.py).
CHECKS = [code for code in labels.SOLVER_TEXT if code.endswith("_ok")]
# HTML elements whose content is never shown as text.
HIDDEN = {"script", "style", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# A token is a run of letters, digits and the characters codes are made of.
TOKEN = re.compile(r"[\w.-]+")


def _forbidden() -> dict[str, str]:
    """Every code a person must not read, with what it is."""
    codes: dict[str, str] = {}
    for enum in labels.ENUM_TEXT:
        for member in enum:
            if len(member.value) > 1:  # "F"/"M" would match initials such as "M. Karimi"
                codes.setdefault(member.value, f"{enum.__name__} value")
    codes.update({code: "solver word" for code in labels.SOLVER_TEXT if "_" in code or "-" in code})
    for action in labels.ACTION_TEXT:
        codes[action] = "audit action"
    for prefix, (enum, _text) in labels._ACTION_ENUMS.items():
        for member in enum:
            codes[f"{prefix}.{member.value}"] = "audit action"
    for mapping, what in (
        (labels.FLAG_TEXT, "flag"),
        (labels.EVIDENCE_TYPE_TEXT, "evidence type"),
        (labels.SCORE_COMPONENT_TEXT, "score component"),
        (labels.REJECT_REASON_TEXT, "reject reason"),
        (labels.APPLICANT_DECLINE_TEXT, "decline reason"),
        (labels.DECLINE_REASON_TEXT, "decline reason"),
    ):
        codes.update({code: what for code in mapping})
    from app.applicant.forms import COUNTRY_CODES

    codes.update({code: "ISO country code" for code in (*COUNTRY_CODES, "KZ")})
    return codes


FORBIDDEN = _forbidden()
# The set-up forms are typed in codes (`unt_total=1, gpa=10`, `ICT=15`): their hints show the
# syntax with example codes, which is what staff must type.
SYNTAX_HINTS = {
    "ministry.new_cycle": {"unt_total", "gpa"},
    "ministry.edit_cycle": {"unt_total", "gpa"},
    "ministry.quota_list": {"ICT", "MED"},
}


class _VisibleText(HTMLParser):
    """Collect the text a reader sees: no attributes, scripts, or `translate="no"` content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self._stack: list[bool] = []  # per open element: is its content hidden?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        hidden = tag in HIDDEN or dict(attrs).get("translate") == "no"
        self._stack.append(hidden or (bool(self._stack) and self._stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self._stack and self._stack[-1]):
            self.text.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(parser.text)


def raw_codes(text: str) -> list[str]:
    """The codes in `text` (as whole tokens: "draft" counts, "draft.pdf" and "U-DRAFT" do not)."""
    found = []
    text = re.sub(r"\S+://\S+|\S+@\S+", " ", text)  # links and e-mail addresses are not words
    for token in TOKEN.findall(text):
        token = token.strip(".-")
        if token in FORBIDDEN:
            found.append(f"{token} ({FORBIDDEN[token]})")
    return found


def test_the_sweep_sees_codes_and_ignores_attributes():
    html = (
        '<p title="in_review">Статус: in_review; <code>appeal.assign</code>, AF.</p>'
        '<option value="draft">Черновик</option><script>var s = "eligible";</script>'
        '<bdi translate="no">{"status": "eligible"}</bdi><p>M. Karimi, draft.pdf, U-DRAFT</p>'
    )
    assert raw_codes(visible_text(html)) == [
        "in_review (ApplicationStatus value)",
        "appeal.assign (audit action)",
        "AF (ISO country code)",
    ]


def _enrich(app: Flask, make: Any, world: dict[str, Any]) -> None:
    """Add what the factories leave out: every audit action, flags, evidence and messages, a
    solved round's report and a student who declined with a coded reason."""
    values = world["values"]
    declined = make.placement(
        SimpleNamespace(id=values["round_id"]),
        make.application(status=ApplicationStatus.DECLINED),
        SimpleNamespace(id=values["program_id"]),
        state=PlacementState.DECLINED,
        decline_reason="other_offer",
    )
    world["extra"]["university"] = [f"/university/students/{declined.id}"]
    with app.app_context():
        application = db.session.get(Application, values["application_id"])
        appeal = db.session.get(Appeal, values["appeal_id"])
        appeal.statement = "Мой документ о статусе был действителен в тот день."
        application.flags = sorted(labels.FLAG_TEXT)
        application.education_route = EducationRoute.FOREIGN_SCHOOL
        have = {c.name for c in application.score_components}
        application.score_components += [
            ScoreComponent(name=name, value=4)
            for name in labels.SCORE_COMPONENT_TEXT
            if name not in have
        ]
        for kind, evidence_type in (
            (DocumentKind.ALTERNATIVE_EVIDENCE, "sworn_statement"),
            (DocumentKind.APPEAL_EVIDENCE, "unhcr_attestation"),
        ):
            db.session.add(
                Document(
                    application_id=application.id,
                    appeal_id=appeal.id if kind == DocumentKind.APPEAL_EVIDENCE else None,
                    kind=kind,
                    evidence_type=evidence_type,
                    original_name="scan.pdf",
                    content_type="application/pdf",
                    size_bytes=10,
                    sha256="0" * 64,
                    storage_key="none",
                    state=DocumentState.PROVISIONALLY_ACCEPTED,
                )
            )
        # The solver's words: a method, a status, an exclusion reason and the checker's flags.
        round_ = db.session.get(Round, values["round_id"])
        round_.solver_version = "1.0"
        round_.result = {
            "status": "optimal",
            "method": "deferred-acceptance",
            "assignments": {"U-AAAA2222": None, application.public_code: "P1"},
            "cutoffs": {},
            "exclusions": {"U-AAAA2222": {"P1": "below_min_score"}},
            "stats": {},
        }
        round_.certificate = {**dict.fromkeys(CHECKS, True), "violation_count": 0, "ok": True}
        actions = [a for a in FORBIDDEN if FORBIDDEN[a] == "audit action"]
        for action in sorted(actions):
            audit.record(None, action, appeal, after={"note": "x"})
        applicant = application.applicant
        for template, payload in (
            ("application_status", {"status": "needs_info", "note": ""}),
            ("document_state", {"state": "rejected", "reason": "", "note": ""}),
            ("appeal_received", {"appeal_id": appeal.id, "decide_within_days": 5}),
            (
                "appeal_decided",
                {"appeal_id": appeal.id, "outcome": "upheld", "reason": "—", "owed_program": ""},
            ),
        ):
            notifications.notify(applicant, template, {"name": applicant.full_name, **payload})
        db.session.commit()


def _sign_in(client: FlaskClient, app: Flask, email: str) -> None:
    with app.app_context():
        assert db.session.query(User).filter_by(email=email).one()
    response = client.post(
        "/auth/login",
        data={
            "email": email,
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/auth/login"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("role", list(PREFIX))
def test_no_page_shows_a_raw_code(app: Flask, make: Any, role: str):
    world = build_world(app, make, LANG)
    _enrich(app, make, world)
    client = app.test_client()
    client.get(f"/?lang={LANG}")
    if role != "anonymous":
        _sign_in(client, app, world["users"][role])
    urls = page_urls(app, role, world)
    if role == "ministry":
        urls.append("/ministry/audit?page=2")  # more actions than one page holds
    adapter = app.url_map.bind("localhost")
    problems = []
    for path in urls:
        response = client.get(path)
        if response.status_code != 200:
            continue  # redirects and 404s are the access tests' business
        assert f'lang="{LANG}"' in response.get_data(as_text=True), path
        endpoint, _args = adapter.match(path.split("?")[0])
        allowed = SYNTAX_HINTS.get(endpoint, set())
        found = [
            f
            for f in raw_codes(visible_text(response.get_data(as_text=True)))
            if f.split()[0] not in allowed
        ]
        if found:
            problems.append(f"{path}: {sorted(set(found))}")
    assert not problems, "\n".join(problems)


DEADLINE = "2026-09-01T12:00:00+00:00"


def test_every_e_mail_names_things_in_words(app_ctx: Flask):
    """The e-mails (and so the in-portal messages) carry labels, not codes, in every language."""
    payloads: dict[str, dict[str, Any]] = {
        "application_status": {"status": "needs_info", "note": ""},
        "document_state": {"state": "provisionally_accepted", "reason": "", "note": ""},
        "appeal_received": {"appeal_id": 1, "decide_within_days": DECIDE_WITHIN_DAYS},
        "appeal_decided": {"appeal_id": 1, "outcome": "dismissed", "reason": "—"},
        "offer_reminder": {"program": "P1", "university": "U1", "deadline": DEADLINE},
        "offer_expired": {"program": "P1", "university": "U1", "deadline": DEADLINE},
        "round_published": {"cycle": "2026/27", "round": 1, "offers": 3},
        "confirm_email": {"token": "t"},
        "reset_password": {"token": "t"},
    }
    for lang in ("kk", "ru", "fa_AF", "ps"):
        for template, payload in payloads.items():
            subject, body = notifications._render(template, lang, {"name": "A", **payload})
            assert not raw_codes(subject + " " + body), (lang, template, body)
            assert DEADLINE not in body, "an ISO timestamp is not a date people read"


def test_labels_refuse_a_bare_string():
    with pytest.raises(TypeError):
        labels.label("draft")


def test_every_enum_has_a_label_for_every_member():
    missing = [
        f"{enum.__name__}.{m.name}"
        for enum in labels.ENUM_TEXT
        for m in enum
        if m.value not in labels.ENUM_TEXT[enum]
    ]
    assert not missing
    assert all(issubclass(enum, StrEnum) for enum in labels.ENUM_TEXT)


def test_exports_carry_a_label_beside_each_code(app: Flask, make: Any):
    """Machines read the code columns; people read the `_label` column beside each one."""
    world = build_world(app, make, LANG)
    client = app.test_client()
    client.get(f"/?lang={LANG}")
    _sign_in(client, app, world["users"]["ministry"])
    cycle_id = world["values"]["cycle_id"]
    text = client.get(f"/ministry/cycles/{cycle_id}/export/applicants.csv").data.decode("utf-8-sig")
    header, *rows = [line.split(",") for line in text.splitlines()]
    row = dict(zip(header, rows[0], strict=True))
    assert row["country_of_origin"] == "AF" and row["country_of_origin_label"] == "Афганистан"
    assert row["gender"] == "F" and row["gender_label"] == "Женский"
    assert row["status_label"] not in {s.value for s in ApplicationStatus}
