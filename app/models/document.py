"""Uploaded evidence: stored content-addressed outside static/, served through a checked route."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from app.models.application import Application
    from app.models.user import User


class DocumentKind(StrEnum):
    STATUS_PROOF = "status_proof"
    SCHOOL_CERTIFICATE = "school_certificate"
    TEST_CERTIFICATE = "test_certificate"
    ALTERNATIVE_EVIDENCE = "alternative_evidence"
    APPEAL_EVIDENCE = "appeal_evidence"


class DocumentState(StrEnum):
    UPLOADED = "uploaded"
    VERIFIED = "verified"
    REJECTED = "rejected"
    PROVISIONALLY_ACCEPTED = "provisionally_accepted"
    REPLACED = "replaced"


class Document(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeal.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_type(DocumentKind))
    # Sub-kind of alternative evidence: sworn statement, UNHCR attestation, qualifications passport.
    evidence_type: Mapped[str] = mapped_column(String(40), default="")
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(128))
    state: Mapped[DocumentState] = mapped_column(
        enum_type(DocumentState), default=DocumentState.UPLOADED
    )
    reason_code: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))

    application: Mapped[Application] = relationship(back_populates="documents")
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
