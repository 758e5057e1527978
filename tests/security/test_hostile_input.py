"""Hostile input against every form and every API endpoint.

Forms are found, not listed: each principal (anonymous, an applicant with a draft, an applicant
with a place and an appeal, a university officer, ministry, admin) opens every GET route of the
app with its own object ids and every POST <form> on those pages is collected. Each form then
gets Hypothesis-generated values mixed with a fixed corpus of classic payloads, in every
field at once (hidden fields such as the CSRF token keep their real values). For each request:

* never a 5xx;
* the payloads `<script>alert(1)</script>` and `"><img src=x onerror=alert(1)>` never appear
  verbatim in the answer (autoescaping; API answers are JSON, never HTML);
* a refused request (4xx) stores nothing: row counts of every table (but the audit log and the
  outbox) are unchanged.

200 examples per form (derandomised, so CI is reproducible). `UMIT_FUZZ_EXAMPLES` overrides the
number; on PostgreSQL the default is 50 per form to stay inside the CI budget.
"""

from __future__ import annotations

import io
import os
import re
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.extensions import db
from tests.conftest import table_counts
from tests.security import world as w
from tests.security.forms import Form, discover
from tests.security.test_access_matrix import PRINCIPALS, _rules, _sign_in, _variants

XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
PAYLOADS = [
    *XSS,
    "A" * 10_000,
    "x" * 300,
    "",
    " ",
    "\x00",
    "abc\x00def",
    "\x01\x02\x07\x08\x1b[31m\x7f",
    "\r\n\r\nSet-Cookie: x=1",
    "\u202egnp.exe\u202c",
    "\u200f\u200e\u2066\u2069",
    "Freshta فرشته Фрешта Ahmadi",
    "ﻻ\u0651\u0651\u0651\u0651\u0651",
    "👩\u200d🎓",
    "١٢٣٤",
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE user; --",
    "admin'--",
    str(10**30),
    "-" + str(10**30),
    "-1",
    "0",
    "1e309",
    "NaN",
    "Infinity",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "31/12/2026",
    "{{7*7}}",
    "${7*7}",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "javascript:alert(1)",
    "http://evil.example/",
    "a@b",
    "x@" + "a" * 300 + ".example",
]
STORED_FREE = {"audit_event", "notification"}  # a refused request may log and notify


def _examples(app: Flask) -> int:
    if "UMIT_FUZZ_EXAMPLES" in os.environ:
        return int(os.environ["UMIT_FUZZ_EXAMPLES"])
    return 50 if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else 200


def _value_strategy(options: list[str]) -> st.SearchStrategy[str]:
    choices = [
        st.sampled_from(PAYLOADS),
        st.text(max_size=200),
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
        st.dates().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
    ]
    if options:
        choices.append(st.sampled_from(options))
    return st.one_of(*choices)


def _form_strategy(form: Form) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in form.fields.items():
        if field.kind == "hidden":
            continue  # CSRF token, version: the page's own values
        fields[name] = _value_strategy(field.options)
    return st.fixed_dictionaries(fields)


_COUNT_SQL: dict[str, Any] = {}


def _counts(app: Flask) -> dict[str, int]:
    """Row counts of every table but the audit log and the outbox, in one statement."""
    with app.app_context():
        if "sql" not in _COUNT_SQL:
            names = sorted(set(table_counts()) - STORED_FREE)
            parts = ", ".join(f'(SELECT COUNT(*) FROM "{n}")' for n in names)
            _COUNT_SQL["names"] = names
            _COUNT_SQL["sql"] = text(f"SELECT {parts}")  # noqa: S608 - names from the schema
        row = db.session.execute(_COUNT_SQL["sql"]).one()
        db.session.remove()
    return dict(zip(_COUNT_SQL["names"], row, strict=True))


def _check(response: Any, label: str) -> list[str]:
    problems = []
    body = response.get_data(as_text=True)
    if response.status_code >= 500:
        problems.append(f"{label}: {response.status_code}")
    for payload in XSS:
        if payload in body:
            problems.append(f"{label}: reflected unescaped {payload!r}")
    return problems


def _draft_applicant(app: Flask, world: w.World) -> str:
    from app.models import Cycle

    make = w.Factory(app)
    with app.app_context():
        cycle = db.session.get(Cycle, world.cycle_id)
        user = make.user("applicant")
        make.application(user, cycle)
        email = user.email
        db.session.remove()
    return email


HOSTILE_PRINCIPALS = [
    "anonymous",
    "applicant_draft",
    "applicant_a",
    "university_x",
    "ministry",
    "admin",
]
# Forms that end the session or delete the principal's own record: fuzzing them would only
# sign the principal out; their refusals are covered by the access matrix.
SKIP_ACTIONS = ("/auth/logout", "/applicant/delete-draft", "/applicant/withdraw")


# Forms each principal must find (guards against discovery silently finding less).
EXPECTED_FORMS = {
    "anonymous": ("/auth/register", "/auth/login", "/auth/forgot"),
    "applicant_draft": (
        "/applicant/application/personal",
        "/applicant/application/protection",
        "/applicant/application/education",
        "/applicant/application/documents",
        "/applicant/application/choices/add",
        "/auth/password",
    ),
    "applicant_a": ("/applicant/appeals/", "/applicant/messages/"),
    "university_x": ("/university/tokens", "/university/students/"),
    "ministry": (
        "/ministry/applications/",
        "/ministry/cycles/new",
        "/ministry/appeals/",
        "/ministry/cycles/",
    ),
    "admin": ("/admin/users/new",),
}

# The sign-in pages' own forms are the same for everyone: fuzz them once per kind of session.
AUTH_FORMS_BY = ("anonymous", "applicant_draft")


def _distinct(forms: list[Form]) -> list[Form]:
    """One form per action shape (/quotas/1 and /quotas/2 are the same form)."""
    seen: dict[tuple[str, tuple[str, ...]], Form] = {}
    for form in forms:
        shape = re.sub(r"/\d+", "/<id>", form.action.split("?", 1)[0])
        seen.setdefault((shape, tuple(sorted(form.fields))), form)
    return list(seen.values())


@pytest.mark.parametrize("who", HOSTILE_PRINCIPALS)
def test_every_form_survives_hostile_values(app: Flask, who: str) -> None:
    world = w.build(app)
    principal = next((p for p in PRINCIPALS if p.name == who), None)
    if who == "applicant_draft":
        email = _draft_applicant(app, world)
        principal = next(p for p in PRINCIPALS if p.name == "applicant_a")
    elif principal.role is not None:
        email = getattr(world, principal.own).email

    def sign_in() -> Any:
        """A fresh session for this principal (fuzzing may have ended the previous one)."""
        fresh = app.test_client()
        if who != "anonymous":
            _sign_in(fresh, email)
        return fresh

    client = sign_in()
    urls = []
    for rule in _rules(app):
        if "GET" not in rule.methods or rule.endpoint in ("static", "auth.logout"):
            continue
        for variant, values in _variants(rule.endpoint, set(rule.arguments), world, principal):
            if variant in ("own", "plain"):
                urls.append(app.url_map.bind("localhost").build(rule.endpoint, values))
    if who == "applicant_draft":
        urls += [f"/applicant/application/{step}" for step in ("protection", "education")]
    if who == "ministry":  # the review forms show on a submitted application
        urls.append(f"/ministry/applications/{world.review_application_id}")
    skip = SKIP_ACTIONS
    if who not in AUTH_FORMS_BY:
        skip = (*skip, "/auth/")
    if who == "admin":
        skip = (*skip, "/ministry/")  # the same forms the ministry officer fuzzes
    forms = _distinct(discover(client, urls, skip))
    assert forms or who == "anonymous", f"no forms found for {who}"
    actions = " ".join(f.action for f in forms)
    for expected in EXPECTED_FORMS.get(who, ()):
        assert expected in actions, f"{who}: the form posting to {expected} was not found"
    examples = _examples(app)
    failures: list[str] = []
    for form in forms:
        failures.extend(_fuzz_form(app, client, form, examples, sign_in))
    assert not failures, f"{len(failures)} problems for {who}:\n" + "\n".join(failures[:50])


def _fresh_hidden(client: Any, form: Form) -> dict[str, str]:
    """The hidden fields (CSRF token, version) as the page shows them now."""
    from tests.security.forms import parse_forms

    response = client.get(form.page)
    page = response.get_data(as_text=True)
    response.close()
    for candidate in parse_forms(form.page, page):
        if candidate.key == form.key:
            return {n: f.value for n, f in candidate.fields.items() if f.kind == "hidden"}
    return {n: f.value for n, f in form.fields.items() if f.kind == "hidden"}


def _fuzz_form(app: Flask, client: Any, form: Form, examples: int, sign_in: Any) -> list[str]:
    problems: list[str] = []
    client = sign_in()
    hidden = _fresh_hidden(client, form)
    png = w.tiny_png((9, 9, 9))

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # report the first failure as found
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(values=_form_strategy(form))
    def run(values: dict[str, Any]) -> None:
        tried.append(1)
        data: dict[str, Any] = dict(hidden)
        for name, value in values.items():
            if form.fields[name].kind == "file":
                data[name] = (io.BytesIO(png), value[:200] or "x.png")
            else:
                data[name] = value
        before = _counts(app)
        response = client.post(
            form.action,
            data=data,
            content_type="multipart/form-data" if form.multipart else None,
        )
        label = f"POST {form.action} (from {form.page})"
        found = _check(response, label)
        response.close()
        if 400 <= response.status_code < 500:
            after = _counts(app)
            changed = sorted(t for t in before if before[t] != after.get(t))
            if changed:
                found.append(
                    f"{label}: refused with {response.status_code} but rows changed in {changed}"
                )
        if found:
            problems.extend(f"{p} with {_short(values)}" for p in found)
            raise AssertionError(found)

    tried: list[int] = []
    try:
        run()
    except AssertionError:
        pass  # collected in `problems`, reported with the other forms
    except Exception as err:  # noqa: BLE001 - an exception escaping the app is a finding too
        problems.append(f"POST {form.action}: {err!r}"[:500])
    fuzzable = any(f.kind != "hidden" for f in form.fields.values())
    if not problems and fuzzable and len(tried) < examples:
        problems.append(f"POST {form.action}: only {len(tried)} of {examples} examples ran")
    return sorted(set(problems))[:5]


def _short(values: dict[str, Any]) -> str:
    return repr({k: (v[:60] if isinstance(v, str) else v) for k, v in values.items()})


API_PARAMS = {
    "/api/v1/placements": ["page", "per_page", "program_id", "round_id", "state"],
    "/api/v1/programs": ["page", "per_page"],
    "/api/v1/enrolments": ["page", "per_page", "program_id", "state"],
}


def test_every_api_endpoint_survives_hostile_values(app: Flask) -> None:
    world = w.build(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world.x.token}"}
    examples = _examples(app)
    problems: list[str] = []
    paths = [
        *API_PARAMS,
        "/api/v1/placements/{v}",
        "/api/v1/programs/{v}",
    ]
    for path in paths:
        problems.extend(_fuzz_api(client, headers, path, world, examples))
    assert not problems, "\n".join(sorted(set(problems))[:50])


def _fuzz_api(
    client: Any, headers: dict[str, str], path: str, world: w.World, examples: int
) -> list[str]:
    problems: list[str] = []
    params = API_PARAMS.get(path, [])
    if True:

        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],  # report the first failure as found
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(
            values=st.fixed_dictionaries({}, optional={p: _value_strategy([]) for p in params}),
            segment=_value_strategy([str(world.x.placement_id), str(world.x.program_id)]),
        )
        def run(values: dict[str, str], segment: str) -> None:
            from urllib.parse import quote

            url = path.format(v=quote(segment, safe="")) if "{v}" in path else path
            response = client.get(url, query_string=values, headers=headers)
            found = _check(response, f"GET {url}")
            if response.content_type.split(";")[0] != "application/json":
                found.append(f"GET {url}: answered {response.content_type}, not JSON")
            response.close()
            if found:
                problems.extend(f"{p} with {_short(values)}" for p in found)
                raise AssertionError(found)

        try:
            run()
        except AssertionError:
            pass  # collected in `problems`
        except Exception as err:  # noqa: BLE001 - an exception escaping the app is a finding
            problems.append(f"GET {path}: {err!r}"[:500])
    return problems


def test_the_classic_payloads_are_in_the_corpus() -> None:
    text = "\n".join(PAYLOADS)
    for needle in ("<script>", "onerror", "OR 1=1", "\x00", "\u202e", str(10**30), "2026-02-30"):
        assert needle in text
    assert any(len(p) >= 10_000 for p in PAYLOADS)
    assert re.search(r"[\u0600-\u06ff].*[A-Za-z]|[A-Za-z].*[\u0600-\u06ff]", text)
