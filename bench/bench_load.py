"""Load: 50 applicants at once against gunicorn + PostgreSQL on loopback, beside a bare page.

Not a test. Creates (drops first) the PostgreSQL database `umit_load`, migrates it, loads the
reference data and the demo cycle (`seed_demo`), adds N applicants with a draft application,
then starts gunicorn twice on 127.0.0.1 with the same worker settings:

1. the portal (`app:create_app()`): each simulated applicant signs in, then loops — open the
   personal step, save the draft, open the documents page, upload a 1 MB PDF — signing out and
   in again every fifth round, until the time is up. Like a person reading the page, each
   client pauses before every request (`--think`, 2 s on average) and the clients arrive
   spread over the first round rather than all at once; `--think 0` sends requests
   back to back instead, which measures saturation (queueing), not what an applicant sees;
2. a bare Flask + SQLAlchemy page (`bare_app()` below: one SELECT, one small template) hit by
   the same number of clients for the same time.

It prints p50/p95/p99 latency per kind of request and the error count for both. Target
(issue 8): p95 ≤ 300 ms for pages, 0 errors.

    .venv/bin/python bench/bench_load.py [--duration 120] [--users 50] [--workers 4]
        [--threads 4] [--think 2] [--pg postgresql://postgres@127.0.0.1:5432]

Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess  # noqa: S404 - starts gunicorn with a fixed argument list
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "load test passphrase 2026"  # noqa: S105 - throwaway accounts in a throwaway database
HOST = "127.0.0.1"
PAGE_KINDS = ("personal page", "documents page", "sign-in page")


# --- the bare baseline ---------------------------------------------------------------------


def bare_app() -> Any:
    """The baseline: Flask + SQLAlchemy, one query and one template, nothing else."""
    from flask import Flask, render_template_string
    from sqlalchemy import create_engine, text

    app = Flask("bare")
    engine = create_engine(os.environ["BARE_DATABASE_URL"], pool_size=5, max_overflow=10)

    @app.get("/")
    def index() -> str:
        with engine.connect() as conn:
            rows = conn.execute(text('SELECT id, email FROM "user" ORDER BY id LIMIT 20')).all()
        return render_template_string(
            "<!doctype html><title>bare</title><ul>{% for r in rows %}<li>{{ r.email }}</li>"
            "{% endfor %}</ul>",
            rows=rows,
        )

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


# --- setup ---------------------------------------------------------------------------------


def create_database(server: str, name: str) -> str:
    import psycopg

    assert "127.0.0.1" in server or "localhost" in server, "loopback only"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def prepare(url: str, users: int, instance: Path) -> list[str]:
    """Migrate, seed, and add `users` applicants with a draft each; return their e-mails."""
    from flask_migrate import upgrade

    from app import create_app
    from app.config import DevelopmentConfig
    from app.extensions import db
    from app.services import applications, seed
    from app.services.passwords import hash_password
    from tests.factories import Factory

    app = create_app(
        DevelopmentConfig,
        SQLALCHEMY_DATABASE_URI=url,
        INSTANCE_DIR=instance,
        UPLOAD_DIR=instance / "uploads",
    )
    emails = []
    with app.app_context():
        upgrade(revision="heads")
        seed.seed_demo()
        db.session.commit()
        cycle = applications.current_cycle()
        assert cycle is not None, "the demo seed has no open cycle"
        make = Factory(app)
        password_hash = hash_password(PASSWORD)
        for i in range(users):
            user = make.user("applicant", email=f"load{i}@load.example")
            user.password_hash = password_hash
            make.application(user, cycle, name_latin=f"Load Applicant {i}")
            emails.append(user.email)
        db.session.commit()
    return emails


def start_gunicorn(target: str, port: int, env: dict[str, str], args: argparse.Namespace) -> Any:
    cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--config",
        str(ROOT / "gunicorn.conf.py"),  # the production settings, then this run's sizes
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--log-level",
        "warning",
        target,
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)  # noqa: S603 - fixed command
    import requests

    for _ in range(150):
        try:
            if requests.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"gunicorn for {target} did not start")


# --- the simulated applicants --------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: list[str] = []

    def add(self, kind: str, seconds: float, ok: bool, note: str = "") -> None:
        with self.lock:
            self.times[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{kind}: {note}")


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _timed(rec: Recorder, kind: str, expect: tuple[int, ...], call: Any, *a: Any, **kw: Any) -> Any:
    t0 = time.perf_counter()
    try:
        response = call(*a, **kw)
    except Exception as err:  # noqa: BLE001 - every failure counts as an error
        rec.add(kind, time.perf_counter() - t0, False, repr(err)[:200])
        return None
    ok = response.status_code in expect
    rec.add(kind, time.perf_counter() - t0, ok, f"status {response.status_code}")
    return response if ok else None


def _pdf_of_1mb(seed: int) -> bytes:
    rng = random.Random(seed)  # noqa: S311 - filler bytes, not secrets
    filler = bytes(rng.getrandbits(8) for _ in range(1024)) * 1000  # 1 MB, unique per upload
    filler = filler.replace(b"endstream", b"endstreaX").replace(b"/J", b"/K")
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"3 0 obj<</Length "
        + str(len(filler)).encode()
        + b">>stream\n"
        + filler
        + b"\nendstream\nendobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


RELOGIN_EVERY = [5]  # set from --relogin-every
THINK_SECONDS = [2.0]  # set from --think


def think(rng: random.Random) -> None:
    """Pause like a person reading the page: uniform in [0.5, 1.5] × the mean; 0 = no pause."""
    if THINK_SECONDS[0] > 0:
        time.sleep(rng.uniform(0.5, 1.5) * THINK_SECONDS[0])


def applicant(base: str, email: str, deadline: float, rec: Recorder, vu: int) -> None:
    import requests

    from tests.security.forms import parse_forms

    def sign_in(session: Any) -> bool:
        page = _timed(rec, "sign-in page", (200,), session.get, f"{base}/auth/login")
        if page is None:
            return False
        token = _CSRF.search(page.text).group(1)
        done = _timed(
            rec,
            "sign-in",
            (302,),
            session.post,
            f"{base}/auth/login",
            data={"email": email, "password": PASSWORD, "csrf_token": token},
            allow_redirects=False,
        )
        return done is not None

    rng = random.Random(vu)  # noqa: S311 - pauses, not secrets
    # People arrive one by one, not all in the same second: spread first sign-ins over about
    # one round of pages, so the run measures steady use rather than one artificial burst.
    time.sleep(rng.uniform(0, 4 * THINK_SECONDS[0]))
    session = requests.Session()
    sign_in(session)
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        think(rng)
        page = _timed(
            rec, "personal page", (200,), session.get, f"{base}/applicant/application/personal"
        )
        if page is not None:
            form = next((f for f in parse_forms("/", page.text) if "name_latin" in f.fields), None)
            if form is not None:
                data = {name: f.value for name, f in form.fields.items()}
                for name, f in form.fields.items():
                    if f.kind in ("select", "radio") and not data[name] and f.options:
                        data[name] = next((o for o in f.options if o), "")
                data["name_latin"] = f"Load Applicant {vu} r{n}"
                think(rng)
                _timed(
                    rec,
                    "save draft",
                    (302,),
                    session.post,
                    f"{base}/applicant/application/personal",
                    data=data,
                    allow_redirects=False,
                )
        think(rng)
        docs = _timed(
            rec, "documents page", (200,), session.get, f"{base}/applicant/application/documents"
        )
        if docs is not None:
            form = next((f for f in parse_forms("/", docs.text) if "file" in f.fields), None)
            if form is not None:
                data = {name: f.value for name, f in form.fields.items() if f.kind == "hidden"}
                data["kind"] = "school_certificate"
                body = _pdf_of_1mb(vu * 100_000 + n)
                think(rng)
                _timed(
                    rec,
                    "upload 1 MB",
                    (302,),
                    session.post,
                    f"{base}/applicant/application/documents",
                    data=data,
                    files={"file": (f"scan-{n}.pdf", body, "application/pdf")},
                    allow_redirects=False,
                )
        if RELOGIN_EVERY[0] and n % RELOGIN_EVERY[0] == 0:
            token = _CSRF.search(session.get(f"{base}/applicant/").text)
            if token:
                session.post(f"{base}/auth/logout", data={"csrf_token": token.group(1)})
            session = requests.Session()
            sign_in(session)


def bare_client(base: str, deadline: float, rec: Recorder, vu: int) -> None:
    import requests

    rng = random.Random(vu)  # noqa: S311 - pauses, not secrets
    session = requests.Session()
    while time.perf_counter() < deadline:
        think(rng)
        _timed(rec, "bare page", (200,), session.get, f"{base}/")


def run_clients(target: Any, count: int, duration: float) -> None:
    deadline = time.perf_counter() + duration
    threads = [threading.Thread(target=target, args=(i, deadline)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def report(title: str, rec: Recorder, duration: float) -> list[str]:
    lines = [
        f"### {title}",
        "",
        "| request | n | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]

    def q(values: list[float], p: int) -> float:
        if len(values) < 2:
            return values[0] * 1000 if values else float("nan")
        return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000

    total = 0
    for kind in sorted(rec.times):
        values = rec.times[kind]
        total += len(values)
        lines.append(
            f"| {kind} | {len(values)} | {q(values, 50):.0f} | {q(values, 95):.0f} | "
            f"{q(values, 99):.0f} | {rec.errors.get(kind, 0)} |"
        )
    pages = [v for k in PAGE_KINDS for v in rec.times.get(k, [])]
    if pages:
        lines.append(
            f"| **all pages (GET)** | {len(pages)} | {q(pages, 50):.0f} | {q(pages, 95):.0f} | "
            f"{q(pages, 99):.0f} | {sum(rec.errors.get(k, 0) for k in PAGE_KINDS)} |"
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines += [
        "",
        f"{total} requests in {duration:.0f} s ({total / duration:.0f}/s); "
        f"load average after the phase: {load}.",
    ]
    if rec.examples:
        lines += ["", "Errors (first 10): " + "; ".join(rec.examples)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=120.0, help="seconds per phase")
    parser.add_argument(
        "--warmup", type=float, default=15.0, help="unmeasured seconds first (workers start)"
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--relogin-every",
        type=int,
        default=5,
        help="sign out and in again every N rounds (0: sign in once)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="mean pause in seconds before each request, like a person reading the page "
        "(uniform 0.5–1.5 × this); 0 sends requests back to back (saturation)",
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="umit_load")
    parser.add_argument("--port", type=int, default=8731)
    args = parser.parse_args()
    RELOGIN_EVERY[0] = args.relogin_every
    THINK_SECONDS[0] = args.think

    from cryptography.fernet import Fernet

    # The same keys for the preparation (in this process) and the servers.
    os.environ["SECRET_KEY"] = "load-" + Fernet.generate_key().decode()
    os.environ["UMIT_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    url = create_database(args.pg, args.database)
    instance = Path(tempfile.mkdtemp(prefix="umit-load-"))
    print(f"preparing {args.database}: migrate, seed, {args.users} applicants …", flush=True)
    emails = prepare(url, args.users, instance)

    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BARE_DATABASE_URL": url,
        "UMIT_INSTANCE_DIR": str(instance),
        "UMIT_UPLOAD_DIR": str(instance / "uploads"),
        "UMIT_LOGIN_RATE_LIMIT": "100000 per minute",  # every client comes from 127.0.0.1
        "UMIT_DEV_MAILBOX": "0",
        "HUEY": "memory",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("UMIT_ENV", None)
    out = [
        f"## Load run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"{args.users} concurrent clients, {args.duration:.0f} s per phase, gunicorn "
        f"{args.workers} workers × {args.threads} threads (gthread), {args.warmup:.0f} s "
        "unmeasured warm-up first, PostgreSQL on "
        f"{HOST}, {os.cpu_count()} CPUs shared by server, database and clients; "
        f"sign out and in every {args.relogin_every or 'never'} rounds; "
        + (
            f"each client pauses {args.think:g} s on average before each request (a person "
            "reading the page)."
            if args.think
            else "no pause between requests (saturation: latency is mostly queueing)."
        ),
        "",
    ]

    portal = start_gunicorn("app:create_app()", args.port, env, args)
    try:
        base = f"http://{HOST}:{args.port}"
        warm = Recorder()
        run_clients(
            lambda i, deadline: applicant(base, emails[i], deadline, warm, i),
            args.users,
            args.warmup,
        )
        rec = Recorder()
        run_clients(
            lambda i, deadline: applicant(base, emails[i], deadline, rec, i),
            args.users,
            args.duration,
        )
        out += report("Umit (sign in, save draft, upload 1 MB)", rec, args.duration)
    finally:
        portal.terminate()
        portal.wait(30)

    bare = start_gunicorn("bench.bench_load:bare_app()", args.port + 1, env, args)
    try:
        base = f"http://{HOST}:{args.port + 1}"
        warm = Recorder()
        run_clients(
            lambda i, deadline: bare_client(base, deadline, warm, i), args.users, args.warmup
        )
        rec = Recorder()
        run_clients(
            lambda i, deadline: bare_client(base, deadline, rec, i), args.users, args.duration
        )
        out += [""] + report("Bare Flask + SQLAlchemy page (baseline)", rec, args.duration)
    finally:
        bare.terminate()
        bare.wait(30)
    print("\n".join(out))


if __name__ == "__main__":
    main()
