"""Shared fixtures: an app on a migrated database (SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), a client, `login_as(role)` and small factories."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, text

from app import create_app
from app.config import TestConfig
from app.extensions import db, limiter
from tests import factories

PASSWORD = factories.PASSWORD


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return _worker_database(url.replace("postgresql://", "postgresql+psycopg://", 1))
    return f"sqlite:///{tmp_root / 'test.db'}"


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (`test_gw0`, …).

    The workers empty tables after every test and drop the schema at start, so they must never
    share one. The database is created on first use, next to the one TEST_DATABASE_URL names.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_schema(app: Flask) -> None:
    """Drop everything and run the migrations, so tests use the production schema path."""
    from flask_migrate import upgrade

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(revision="heads")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    root = tmp_path_factory.mktemp("umit")
    application = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=_database_url(root),
        INSTANCE_DIR=root,
        UPLOAD_DIR=root / "uploads",
    )
    _reset_schema(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _table_names() -> list[str]:
    return [t.name for t in reversed(db.metadata.sorted_tables)]


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table after each test that used the app, keeping the schema."""
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        engine = db.engine
        names = _table_names()
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                quoted = ", ".join(f'"{n}"' for n in names)
                conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            else:
                for name in names:
                    conn.execute(text(f'DELETE FROM "{name}"'))
    limiter.reset()


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An app context for service tests (no HTTP)."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def make(app: Flask) -> factories.Factory:
    """Factories that commit their objects: `make.user("ministry")`, `make.application(...)`."""
    return factories.Factory(app)


def csrf_token(client: FlaskClient, path: str) -> str:
    """Open a page and return the CSRF token of its first form."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, f"no CSRF token on {path}: {page[:3000]}"
    return match.group(1)


@pytest.fixture()
def login_as(client: FlaskClient, make: factories.Factory) -> Callable[..., Any]:
    """Sign in through the real form as a new user of `role`; returns that user's id."""

    def _login(role: str = "applicant", **kwargs: Any) -> Any:
        user = make.user(role, **kwargs)
        token = csrf_token(client, "/auth/login")
        response = client.post(
            "/auth/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return _login


def table_counts() -> dict[str, int]:
    """Count the rows of every table (to prove a refused write changed nothing)."""
    return {
        name: db.session.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
        for name in inspect(db.engine).get_table_names()
    }
