"""`flask --app app umit …`: set-up and maintenance commands that call the same services."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.models import University, UserRole


@click.group()
def umit() -> None:
    """Umit maintenance commands."""


@umit.command("seed")
@click.option("--demo/--reference-only", default=False, help="Also load demo cycle and people.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@with_appcontext
def seed(demo: bool, if_empty: bool) -> None:
    """Load universities and programs (and, with --demo, a demo cycle and people)."""
    from app.services import seed as seeding

    if if_empty and not seeding.is_empty():
        click.echo("Database already has data; seed skipped.")
        return
    if demo:
        counts = seeding.seed_demo()
    else:
        unis, progs = seeding.load_reference_data()
        counts = {"universities": unis, "programs": progs}
    db.session.commit()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@umit.command("demo-accounts")
def demo_accounts() -> None:
    """Print the demo sign-ins, one per role."""
    from app.services.seed import DEMO_APPLICANT, DEMO_PASSWORD, DEMO_STAFF

    click.echo(f"  applicant   {DEMO_APPLICANT:<28} {DEMO_PASSWORD}")
    for account in DEMO_STAFF:
        click.echo(f"  {account.role.value:<11} {account.email:<28} {DEMO_PASSWORD}")


@umit.command("create-staff")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice(["ministry", "university", "admin"]), required=True)
@click.option("--university", "university_code", default=None, help="University code.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_staff(
    email: str, full_name: str, role: str, university_code: str | None, password: str
) -> None:
    """Create a staff account (a university officer needs --university)."""
    from app.services import accounts
    from app.services.errors import ServiceError

    university = None
    if university_code:
        university = db.session.scalar(select(University).where(University.code == university_code))
        if university is None:
            click.echo(f"No university with code {university_code}.", err=True)
            sys.exit(2)
    try:
        user = accounts.create_staff(
            email,
            password,
            role=UserRole(role),
            full_name=full_name,
            university=university,
            by=None,
        )
    except ServiceError as err:
        click.echo(str(err), err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Created {user.role.value} account {user.email}.")


@umit.command("audit-verify")
@with_appcontext
def audit_verify() -> None:
    """Check the audit log's hash chain; exit 1 listing each broken entry."""
    from app.services.audit import verify_chain

    problems = verify_chain()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("Audit log intact.")


@umit.command("deliver-mail")
@with_appcontext
def deliver_mail() -> None:
    """Send e-mails waiting in the outbox now."""
    from app.services.notifications import deliver_pending

    click.echo(f"Sent {deliver_pending()} message(s).")


@umit.command("new-encryption-key")
def new_encryption_key() -> None:
    """Print a fresh key for UMIT_ENCRYPTION_KEYS (put it first, then run rotate-keys)."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode("ascii"))


@umit.command("rotate-keys")
@with_appcontext
def rotate_keys() -> None:
    """Re-encrypt every encrypted column and stored upload with the first configured key."""
    from pathlib import Path

    from flask import current_app

    from app.models.crypto_types import rotate_encrypted_columns
    from app.services import audit
    from app.services.file_crypto import rotate_folder

    counts = rotate_encrypted_columns()
    files = rotate_folder(Path(current_app.config["UPLOAD_DIR"]))
    audit.record(
        None,
        "security.rotate_keys",
        ("encryption", "keys"),
        after={
            "columns": counts,
            "files": files.rotated,
            "plaintext_files_encrypted": files.encrypted_plaintext,
            "unreadable_files": len(files.failed),
        },
    )
    db.session.commit()
    for name, count in counts.items():
        click.echo(f"{name}: {count} value(s) re-encrypted")
    click.echo(f"uploads: {files.rotated} file(s) re-encrypted")
    if files.encrypted_plaintext:
        click.echo(f"uploads: {files.encrypted_plaintext} plaintext file(s) encrypted")
    for name in files.failed:
        click.echo(f"not opened by any key, left as it is: {name}", err=True)
    if files.failed:
        sys.exit(1)


@umit.command("purge")
@with_appcontext
def purge() -> None:
    """Purge what the retention rules and erasure requests allow; keep anonymised counts."""
    from app.services import retention

    report = retention.purge()
    db.session.commit()
    # Files go only after the commit: a failed purge must not lose documents.
    removed = retention.delete_unreferenced_files(report.files)
    swept = retention.sweep_orphan_files()
    if not retention.compact_database():
        click.echo("PostgreSQL: purged rows leave the disk at the next VACUUM FULL.")
    for reason, count in report.purged.items():
        click.echo(f"{reason}: {count} application(s) purged")
    click.echo(f"accounts anonymised: {report.accounts_anonymised}")
    click.echo(f"old messages deleted: {report.messages_deleted}")
    click.echo(f"files removed: {removed + swept}")
    for application_id, refusal in report.refused:
        click.echo(f"application {application_id}: erasure request kept waiting: {refusal}")


@umit.command("backup")
@click.argument("dest_dir", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(dest_dir: str) -> None:
    """Back up the database and the upload folder into DEST_DIR (a new, empty directory)."""
    from pathlib import Path

    from app.services import backup

    try:
        manifest = backup.backup(Path(dest_dir))
    except backup.BackupError as err:
        click.echo(str(err), err=True)
        sys.exit(2)
    click.echo(f"Backed up {backup.describe(manifest)} to {dest_dir}.")


@umit.command("restore")
@click.argument("src_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite a database or upload folder with data.")
@with_appcontext
def restore_command(src_dir: str, force: bool) -> None:
    """Restore a backup from SRC_DIR into an empty database and upload folder."""
    from pathlib import Path

    from app.services import backup

    try:
        report = backup.restore(Path(src_dir), force=force)
    except backup.BackupError as err:
        click.echo(str(err), err=True)
        sys.exit(2)
    click.echo(f"Restored the {report.database} database and {report.files} file(s).")
    for problem in report.audit_problems:
        click.echo(f"audit log: {problem}", err=True)
    if report.audit_problems:
        sys.exit(1)


@umit.command("reset-2fa")
@click.argument("email")
@with_appcontext
def reset_two_factor(email: str) -> None:
    """Remove a staff member's authenticator (lost phone); they set one up at next sign-in."""
    from app.services import accounts, two_factor

    user = accounts.find_user(email)
    if user is None:
        click.echo(f"No account with e-mail address {email}.", err=True)
        sys.exit(2)
    two_factor.reset(user, by=None)
    db.session.commit()
    click.echo(f"Two-step sign-in reset for {user.email}; every session of theirs has ended.")
