"""The access matrix: every endpoint of the app, who may use it, and what its URL holds.

`ROUTES` maps each endpoint to the principals allowed in (roles as in
`app.security.BLUEPRINT_ACCESS`). `tests/security/test_access_matrix.py` fails when the app
has an endpoint this table does not list (or the table lists one the app no longer has), and
when a declared permission disagrees with the blueprint guard. Object ids in URLs are filled in
per principal from `tests.security.world` (own, foreign, non-existent).
"""

from __future__ import annotations

from app.security import ANYONE

APPLICANT = frozenset({"applicant"})
UNIVERSITY = frozenset({"university"})
MINISTRY = frozenset({"ministry", "admin"})
ADMIN = frozenset({"admin"})
PUBLIC = frozenset({ANYONE})
API = frozenset({"api-token"})

ROUTES: dict[str, frozenset[str]] = {
    # public
    "static": PUBLIC,
    "public.index": PUBLIC,
    "public.healthz": PUBLIC,
    "public.dev_mailbox": PUBLIC,  # development only: 404 unless DEV_MAILBOX (tested off)
    "public.results": PUBLIC,
    "public.round_input": PUBLIC,  # published rounds only
    # auth
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.register": PUBLIC,
    "auth.resend_confirmation": PUBLIC,
    "auth.confirm_email": PUBLIC,
    "auth.forgot_password": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.change_password": PUBLIC,  # signed-in users; anonymous is sent to sign in
    "auth.two_factor_verify": PUBLIC,  # only with a pending staff sign-in
    "auth.two_factor_setup": PUBLIC,
    "auth.two_factor_recovery_codes": PUBLIC,  # only right after enrolment
    # applicant
    "applicant.home": APPLICANT,
    "applicant.appeals_list": APPLICANT,
    "applicant.show_appeal": APPLICANT,
    "applicant.add_appeal_evidence": APPLICANT,
    "applicant.withdraw_appeal": APPLICANT,
    "applicant.new_appeal": APPLICANT,
    "applicant.file_appeal": APPLICANT,
    "applicant.step": APPLICANT,
    "applicant.choices": APPLICANT,
    "applicant.move_choice": APPLICANT,
    "applicant.remove_choice": APPLICANT,
    "applicant.add_choice": APPLICANT,
    "applicant.documents_page": APPLICANT,
    "applicant.upload": APPLICANT,
    "applicant.review": APPLICANT,
    "applicant.submit": APPLICANT,
    "applicant.delete_draft": APPLICANT,
    "applicant.document_file": APPLICANT,
    "applicant.eligibility": APPLICANT,
    "applicant.messages": APPLICANT,
    "applicant.mark_read": APPLICANT,
    "applicant.export_json": APPLICANT,
    "applicant.offer_letter": APPLICANT,
    "applicant.accept_offer": APPLICANT,
    "applicant.decline_offer": APPLICANT,
    "applicant.results": APPLICANT,
    "applicant.summary": APPLICANT,
    "applicant.withdraw": APPLICANT,
    # university
    "university.home": UNIVERSITY,
    "university.export": UNIVERSITY,
    "university.show_program": UNIVERSITY,
    "university.show_proposals": UNIVERSITY,
    "university.propose": UNIVERSITY,
    "university.show_student": UNIVERSITY,
    "university.decline": UNIVERSITY,
    "university.enrol": UNIVERSITY,
    "university.offer_letter": UNIVERSITY,
    "university.no_show": UNIVERSITY,
    "university.tokens": UNIVERSITY,
    "university.create_token": UNIVERSITY,
    "university.revoke_token": UNIVERSITY,
    # ministry (admins too)
    "ministry.home": MINISTRY,
    "ministry.appeals_queue": MINISTRY,
    "ministry.show_appeal": MINISTRY,
    "ministry.assign_appeal": MINISTRY,
    "ministry.decide_appeal": MINISTRY,
    "ministry.appeal_evidence": MINISTRY,
    "ministry.preview_appeal": MINISTRY,
    "ministry.start_appeal_round": MINISTRY,
    "ministry.appeal_round": MINISTRY,
    "ministry.publish_appeal_round": MINISTRY,
    "ministry.show_application": MINISTRY,
    "ministry.mark_eligible": MINISTRY,
    "ministry.mark_ineligible": MINISTRY,
    "ministry.request_info": MINISTRY,
    "ministry.start_review": MINISTRY,
    "ministry.audit_log": MINISTRY,
    "ministry.cycle_list": MINISTRY,
    "ministry.show_cycle": MINISTRY,
    "ministry.compare_rounds": MINISTRY,
    "ministry.edit_cycle": MINISTRY,
    "ministry.export_applicants": MINISTRY,
    "ministry.set_limits": MINISTRY,
    "ministry.quota_list": MINISTRY,
    "ministry.add_quota": MINISTRY,
    "ministry.edit_quota": MINISTRY,
    "ministry.approve_proposal": MINISTRY,
    "ministry.import_quotas": MINISTRY,
    "ministry.quota_template": MINISTRY,
    "ministry.new_round": MINISTRY,
    "ministry.commit_seed": MINISTRY,
    "ministry.cycle_status": MINISTRY,
    "ministry.new_cycle": MINISTRY,
    "ministry.decide_document": MINISTRY,
    "ministry.document_file": MINISTRY,
    "ministry.export_statistics": MINISTRY,
    "ministry.show_round": MINISTRY,
    "ministry.abandon_round": MINISTRY,
    "ministry.export_round": MINISTRY,
    "ministry.round_progress": MINISTRY,
    "ministry.publish_round": MINISTRY,
    "ministry.round_result": MINISTRY,
    "ministry.round_snapshot": MINISTRY,
    "ministry.verification_queue": MINISTRY,
    # admin
    "admin.home": ADMIN,
    "admin.users": ADMIN,
    "admin.set_status": ADMIN,
    "admin.new_user": ADMIN,
    # API (bearer token of a university; sessions do not count)
    "api.index": API,
    "api.openapi": PUBLIC,  # the API description is public
    "api.write_root": API,
    "api.refuse_write": API,
    "api.list_enrolments": API,
    "api.list_placements": API,
    "api.get_placement": API,
    "api.list_programs": API,
    "api.get_program": API,
}

# Which attribute of a `world.Party` fills a URL argument, where the argument name alone is
# ambiguous (the ministry's evidence route takes the appeal's evidence, not an application
# document).
ARG_SOURCE: dict[tuple[str, str], str] = {
    ("ministry.appeal_evidence", "document_id"): "evidence_id",
    ("ministry.appeal_round", "round_id"): "appeal_round_id",
    ("ministry.publish_appeal_round", "round_id"): "appeal_round_id",
}

# Form fields sent with every POST to an endpoint (beside the CSRF token), so that a foreign or
# missing object is refused for being foreign, not for an empty form.
POST_DATA: dict[str, dict[str, str]] = {
    "applicant.move_choice": {"direction": "up"},
    "admin.set_status": {"status": "active"},
}

# Documented exceptions to "own object -> 200/302, foreign/missing -> 404", with the reason.
EXCEPTIONS: dict[tuple[str, str], tuple[frozenset[int], str]] = {
    ("applicant.new_appeal", "plain"): (
        frozenset({404}),
        "without ?subject=&ref= naming one of the applicant's own decisions there is nothing "
        "to appeal",
    ),
    ("applicant.file_appeal", "plain"): (
        frozenset({404}),
        "the decision appealed is named in the form; an empty form names none",
    ),
    ("applicant.move_choice", "foreign"): (
        frozenset({404, 409}),
        "the applicant's own application is checked first (a placed application's list is "
        "closed: 409); the choice is then looked up only within it",
    ),
    ("applicant.move_choice", "missing"): (frozenset({404, 409}), "as above"),
    ("applicant.remove_choice", "foreign"): (frozenset({404, 409}), "as above"),
    ("applicant.remove_choice", "missing"): (frozenset({404, 409}), "as above"),
}

# URL arguments that are not object ids: one fixed value each.
FIXED_ARGS: dict[str, str] = {
    "step": "personal",
    "fmt": "csv",
    "filename": "css/umit.css",
    "_rest": "nothing-here",
    "token": "not-a-real-token",
}
