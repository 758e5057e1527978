"""The one seam to the job queue (Huey): SQLite-backed by default, Redis in production.

The worker imports this module (`huey_consumer app.jobs.huey`); it builds the Flask app lazily,
inside the first task, never at import time.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

logger = logging.getLogger(__name__)


def _make_huey() -> Huey:
    backend = os.environ.get("HUEY", os.environ.get("HUEY_BACKEND", "sqlite")).lower()
    if backend == "redis":
        url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        return RedisHuey("umit", url=url)
    if backend == "memory":
        return MemoryHuey("umit", immediate=True)
    default_path = Path(__file__).resolve().parent.parent / "instance" / "huey.db"
    path = Path(os.environ.get("HUEY_SQLITE_PATH", default_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("umit", filename=str(path))


huey = _make_huey()


def init_app(app: Flask) -> None:
    """Run tasks inline when the app says so (tests), else leave them to the consumer."""
    if app.config.get("HUEY_IMMEDIATE"):
        huey.immediate = True


@functools.cache
def _worker_app() -> Flask:
    from app import create_app

    return create_app()


@contextmanager
def _app_context() -> Iterator[Flask]:
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    app = _worker_app()
    with app.app_context():
        yield app


def enqueue(task: Callable[..., Any], *args: Any) -> Any:
    """Queue `task(*args)`; in immediate mode (tests) it runs before this returns."""
    return task(*args)


@huey.task(retries=2, retry_delay=30)
def deliver_notifications() -> int:
    """Send pending outbox e-mails."""
    with _app_context():
        from app.services import notifications

        return notifications.deliver_pending()


@huey.task()
def run_round(round_id: int) -> None:
    """Run an allocation round (snapshot, solve, check, placements); it records its own failure."""
    with _app_context():
        from app.services import rounds

        rounds.run_round_job(round_id)


@huey.task()
def publish_round(round_id: int, user_id: int) -> None:
    """Publish a large solved round outside the web request (exactly once, like the view)."""
    with _app_context():
        from app.services import rounds

        rounds.publish_round_job(round_id, user_id)


@huey.task()
def run_appeal_round(round_id: int) -> None:
    """Run an appeal round (owed places guaranteed, everyone else held); records its failure."""
    with _app_context():
        from app.services import appeals

        appeals.run_appeal_round_job(round_id)


@huey.periodic_task(crontab(minute="*/5"))
def housekeeping() -> None:
    """Deliver any e-mail still waiting in the outbox."""
    with _app_context():
        from app.services import notifications

        notifications.deliver_pending()


@huey.periodic_task(crontab(hour="2", minute="17"))
def retention_purge() -> dict[str, int]:
    """Purge, nightly, what the retention rules and erasure requests allow (SECURITY.md)."""
    with _app_context():
        from app.extensions import db
        from app.services import retention

        report = retention.purge()
        db.session.commit()
        retention.delete_unreferenced_files(report.files)
        retention.sweep_orphan_files()
        return report.purged


@huey.periodic_task(crontab(minute="*/15"))
def offer_deadlines() -> tuple[int, int]:
    """Remind applicants whose offer expires soon, and release offers past their deadline."""
    with _app_context():
        from app.extensions import db
        from app.services import offers

        reminded = offers.send_reminders()
        expired = offers.expire_overdue()
        db.session.commit()
        return reminded, expired
