"""Access matrix: every endpoint is declared, and every principal gets what the matrix says.

For each principal (anonymous, applicants A and B, officers of universities X and Y, ministry,
admin) one test signs in through the real form and requests every route of the app — GET, and
POST with a valid CSRF token of that session — with its own, a foreign and a non-existent
object id. Failures are collected and reported together. Checked each time:

* the status: own → 200/302 (GET) or 200/302/400/409 (POST); foreign, non-existent and wrong
  role → 404; anonymous → a redirect to sign-in (401 for the API);
* planted marker strings of other people never appear in a response;
* a refused write changes no row (a digest of every table but the audit log and the outbox).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, text

from app.api.views import PUBLIC_ENDPOINTS
from app.extensions import db
from app.security import ANYONE, BLUEPRINT_ACCESS, ENDPOINT_ACCESS, declared_access
from tests.conftest import PASSWORD
from tests.security import world as w
from tests.security.matrix import ARG_SOURCE, EXCEPTIONS, FIXED_ARGS, POST_DATA, ROUTES

ID_ARGS = {
    "appeal_id",
    "application_id",
    "choice_id",
    "cycle_id",
    "document_id",
    "note_id",
    "placement_id",
    "program_id",
    "quota_id",
    "round_id",
    "token_id",
    "user_id",
}
GLOBAL_IDS = {"cycle_id", "round_id", "quota_id"}
# Tables a refused request may legitimately write to (it is logged, or an e-mail is queued).
VOLATILE_TABLES = {"audit_event", "notification", "alembic_version"}
VOLATILE_COLUMNS = {("api_token", "last_used_at")}
ALL_MARKERS = [
    w.MARKER_A,
    w.MARKER_B,
    w.MARKER_TOKEN_X,
    w.MARKER_TOKEN_Y,
    w.MARKER_NOTE_A,
    w.MARKER_NOTE_B,
]


@dataclass
class Principal:
    name: str
    role: str | None  # None: anonymous
    own: str | None  # attribute of World holding its own objects
    foreign: str | None
    forbidden: tuple[str, ...]  # markers it must never see
    visible: tuple[str, ...] = ()  # markers it must see somewhere (proves the check is live)


PRINCIPALS = [
    Principal("anonymous", None, None, None, tuple(ALL_MARKERS)),
    Principal(
        "applicant_a",
        "applicant",
        "a",
        "b",
        (w.MARKER_B, w.MARKER_NOTE_B, w.MARKER_TOKEN_X, w.MARKER_TOKEN_Y),
        (w.MARKER_A, w.MARKER_NOTE_A),
    ),
    Principal(
        "applicant_b",
        "applicant",
        "b",
        "a",
        (w.MARKER_A, w.MARKER_NOTE_A, w.MARKER_TOKEN_X, w.MARKER_TOKEN_Y),
        (w.MARKER_B, w.MARKER_NOTE_B),
    ),
    Principal(
        "university_x",
        "university",
        "x",
        "y",
        (w.MARKER_B, w.MARKER_NOTE_A, w.MARKER_NOTE_B, w.MARKER_TOKEN_Y),
        (w.MARKER_A, w.MARKER_TOKEN_X),
    ),
    Principal(
        "university_y",
        "university",
        "y",
        "x",
        (w.MARKER_A, w.MARKER_NOTE_A, w.MARKER_NOTE_B, w.MARKER_TOKEN_X),
        (w.MARKER_B, w.MARKER_TOKEN_Y),
    ),
    Principal(
        "ministry",
        "ministry",
        "ministry",
        None,
        (w.MARKER_NOTE_A, w.MARKER_NOTE_B),
        (w.MARKER_A, w.MARKER_B),
    ),
    Principal("admin", "admin", "admin", None, (w.MARKER_NOTE_A, w.MARKER_NOTE_B), (w.MARKER_A,)),
]


def _rules(app: Flask) -> list[Any]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def test_every_endpoint_is_in_the_matrix(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - ROUTES.keys())
    stale = sorted(ROUTES.keys() - endpoints)
    assert not missing, (
        f"endpoints without a declared permission in tests/security/matrix.py: {missing}"
    )
    assert not stale, f"matrix lists endpoints the app no longer has: {stale}"


def test_the_matrix_agrees_with_the_blueprint_guards(app: Flask) -> None:
    for endpoint, roles in ROUTES.items():
        blueprint = endpoint.split(".", 1)[0]
        assert blueprint in BLUEPRINT_ACCESS, f"{endpoint}: blueprint {blueprint} has no guard"
        declared = declared_access(endpoint)
        assert roles == declared, f"{endpoint}: matrix {sorted(roles)}, app {sorted(declared)}"
    api_public = {e for e, roles in ENDPOINT_ACCESS.items() if e.startswith("api.")}
    assert api_public == set(PUBLIC_ENDPOINTS), "app/security.py and the API disagree"


def _digest() -> str:
    """A digest of every row of every table that a refused request must not touch."""
    h = hashlib.sha256()
    insp = inspect(db.engine)
    for table in sorted(insp.get_table_names()):
        if table in VOLATILE_TABLES:
            continue
        cols = [
            c["name"] for c in insp.get_columns(table) if (table, c["name"]) not in VOLATILE_COLUMNS
        ]
        quoted = ", ".join(f'"{c}"' for c in cols)
        rows = db.session.execute(text(f'SELECT {quoted} FROM "{table}" ORDER BY 1')).all()  # noqa: S608 - names from the schema
        h.update(table.encode())
        h.update(repr(rows).encode())
    return h.hexdigest()


def _ids(world: w.World, party_name: str | None) -> dict[str, int]:
    """The object ids a principal counts as its own (ministry and admin: everything)."""
    ids = {"cycle_id": world.cycle_id, "round_id": world.round_id, "quota_id": world.quota_id}
    if party_name in ("ministry", "admin", None):
        ids |= {
            "appeal_id": world.a.appeal_id,
            "application_id": world.a.application_id,
            "document_id": world.a.document_id,
            "evidence_id": world.a.evidence_id,
            "placement_id": world.a.placement_id,
            "program_id": world.x.program_id,
            "user_id": world.bystander_id,
            "appeal_round_id": world.appeal_round_id,
        }
        return ids
    party: w.Party = getattr(world, party_name)
    for attr in (
        "appeal_id",
        "application_id",
        "choice_id",
        "document_id",
        "evidence_id",
        "note_id",
        "placement_id",
        "program_id",
        "token_id",
    ):
        if getattr(party, attr):
            ids[attr] = getattr(party, attr)
    ids["user_id"] = party.user_id
    return ids


def _variants(
    endpoint: str, args: set[str], world: w.World, who: Principal
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(variant, URL values) for one route: plain, or own / foreign / missing object ids."""
    fixed = {a: FIXED_ARGS[a] for a in args if a in FIXED_ARGS}
    id_args = sorted(args & ID_ARGS)
    unknown = args - ID_ARGS - FIXED_ARGS.keys()
    assert not unknown, f"{endpoint}: URL arguments the matrix cannot fill: {unknown}"
    if not id_args:
        yield "plain", fixed
        return

    def source(arg: str) -> str:
        return ARG_SOURCE.get((endpoint, arg), arg)

    own_ids = _ids(world, who.own)
    yield "own", fixed | {a: own_ids.get(source(a), w.MISSING) for a in id_args}
    if who.foreign is not None:
        foreign_ids = _ids(world, who.foreign)
        values = {a: foreign_ids.get(source(a), w.MISSING) for a in id_args}
        if any(a not in GLOBAL_IDS for a in id_args):
            yield "foreign", fixed | values
    elif endpoint == "ministry.appeal_evidence":
        # Evidence of another appeal, reached through this appeal's URL.
        yield (
            "foreign",
            fixed | {"appeal_id": world.a.appeal_id, "document_id": world.b.evidence_id},
        )
    elif endpoint in ("ministry.edit_quota", "ministry.approve_proposal"):
        # A quota of another cycle, reached through this cycle's URL.
        yield "foreign", fixed | {"cycle_id": world.cycle_id, "quota_id": world.other_quota_id}
    yield "missing", fixed | {a: w.MISSING for a in id_args}


def _methods(rule: Any) -> list[str]:
    methods = rule.methods - {"HEAD", "OPTIONS"}
    out = [m for m in ("GET", "POST") if m in methods]
    return out or sorted(methods)[:1]


def _expected(endpoint: str, method: str, variant: str, who: Principal) -> set[int] | None:
    """The statuses allowed for this request, or None for 'anything but a 5xx'."""
    if (endpoint, variant) in EXCEPTIONS and who.role in ROUTES[endpoint]:
        return set(EXCEPTIONS[(endpoint, variant)][0])
    roles = ROUTES[endpoint]
    is_api = endpoint.startswith("api.")
    if ANYONE in roles:
        if endpoint == "public.dev_mailbox":
            return {404}
        if endpoint == "public.round_input":
            return {200} if variant == "own" else {404}
        if endpoint == "static":
            return {200}
        return None
    if is_api:
        if who.role != "university":
            return {401}
        if endpoint in ("api.write_root", "api.refuse_write") and method != "GET":  # read-only
            return {403}
        if endpoint == "api.refuse_write":
            return {404}
        return {200} if variant in ("own", "plain") else {404}
    if who.role is None:
        return {302}
    if who.role not in roles:
        return {404}
    if variant in ("foreign", "missing"):
        return {404}
    if method == "GET":
        return {200, 302}
    return {200, 302, 303, 400, 409}


def _sign_in(client: Any, email: str) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _csrf(client: Any) -> str:
    for path in ("/auth/password", "/auth/login"):
        page = client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if match:
            return match.group(1)
    raise AssertionError("no CSRF token for this session")


@pytest.mark.parametrize("who", PRINCIPALS, ids=[p.name for p in PRINCIPALS])
def test_every_route_answers_each_principal_as_the_matrix_says(app: Flask, who: Principal) -> None:
    dev_mailbox = app.config.get("DEV_MAILBOX")
    app.config["DEV_MAILBOX"] = False  # as in production
    try:
        failures = _walk(app, who)
    finally:
        app.config["DEV_MAILBOX"] = dev_mailbox
    assert not failures, f"{len(failures)} access-matrix failures for {who.name}:\n" + "\n".join(
        failures
    )


def _walk(app: Flask, who: Principal) -> list[str]:
    world = w.build(app)
    client = app.test_client()
    headers: dict[str, str] = {}
    if who.role is not None:
        party: w.Party = getattr(world, who.own)
        _sign_in(client, party.email)
        if party.token:
            headers["Authorization"] = f"Bearer {party.token}"
    token = _csrf(client)
    adapter = app.url_map.bind("localhost")
    failures: list[str] = []
    seen: set[str] = set()

    requests: list[tuple[str, str, str, str]] = []  # (method, endpoint, variant, url)
    last: list[tuple[str, str, str, str]] = []
    for rule in _rules(app):
        for variant, values in _variants(rule.endpoint, set(rule.arguments), world, who):
            url = adapter.build(rule.endpoint, values, force_external=False)
            for method in _methods(rule):
                item = (method, rule.endpoint, variant, url)
                # Sign-out ends the session: do it last. Own writes may change the world:
                # after every read and every refused write.
                if rule.endpoint == "auth.logout":
                    last.append(item)
                else:
                    requests.append(item)
    reads = [r for r in requests if r[0] == "GET"]
    writes = [r for r in requests if r[0] != "GET"]
    refused_first = sorted(
        writes, key=lambda r: _expected(r[1], r[0], r[2], who) not in ({404}, {401}, {302}, {403})
    )
    with app.app_context():
        before = _digest()
    for method, endpoint, variant, url in reads + refused_first + last:
        expected = _expected(endpoint, method, variant, who)
        data = {"csrf_token": token, **POST_DATA.get(endpoint, {})} if method != "GET" else None
        response = client.open(url, method=method, data=data, headers=headers)
        status = response.status_code
        body = response.get_data()
        response.close()
        label = f"{method} {url} [{endpoint}, {variant}]"
        if status >= 500:
            failures.append(f"{label}: {status}")
        elif expected is not None and status not in expected:
            failures.append(f"{label}: {status}, expected {sorted(expected)}")
        if (
            who.role is None
            and expected == {302}
            and "/auth/login" not in response.headers.get("Location", "")
        ):
            failures.append(f"{label}: anonymous not sent to sign in")
        seen.update(m for m in who.visible if m.encode() in body)
        for marker in who.forbidden:
            if marker.encode() in body:
                failures.append(f"{label}: response shows {marker}")
        if method != "GET":
            refused = expected in ({404}, {401}, {302}, {403})
            with app.app_context():
                after = _digest()
                db.session.remove()
            if refused and after != before:
                failures.append(f"{label}: refused write changed a row")
            before = after
    failures.extend(
        f"never saw its own {m}: is the marker check live?" for m in who.visible if m not in seen
    )
    return failures


def test_the_matrix_declares_each_endpoint_once() -> None:
    """Several engineers add routes at once; a repeated key would silently hide a change."""
    import ast
    from pathlib import Path

    source = Path(__file__).with_name("matrix.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "ROUTES":
            keys = [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
            repeated = sorted({k for k in keys if keys.count(k) > 1})
            assert not repeated, f"declared more than once: {repeated}"
            return
    raise AssertionError("ROUTES not found in matrix.py")
