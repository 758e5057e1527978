"""The migration builds exactly the models' schema, and downgrade removes it all."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db


def test_upgrade_matches_models_and_downgrade_works(app):
    with app.app_context():
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(revision="heads")
        assert "application" in inspect(db.engine).get_table_names()


def test_one_active_round_per_cycle_is_a_database_rule(app, make):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from app.models import Round, RoundKind, RoundStatus

    cycle = make.cycle()
    with app.app_context():
        db.session.add(
            Round(cycle_id=cycle.id, number=1, kind=RoundKind.MAIN, status=RoundStatus.QUEUED)
        )
        db.session.commit()
        db.session.add(
            Round(cycle_id=cycle.id, number=2, kind=RoundKind.MAIN, status=RoundStatus.RUNNING)
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.add(
            Round(cycle_id=cycle.id, number=2, kind=RoundKind.MAIN, status=RoundStatus.SOLVED)
        )
        db.session.commit()
