"""The domain model (DESIGN §2): one module per domain, all imported here for Alembic."""

from app.models.allocation import Placement, PlacementState, Round, RoundKind, RoundStatus
from app.models.api_token import ApiToken
from app.models.appeal import Appeal, AppealGround, AppealState, AppealSubject
from app.models.application import (
    Application,
    ApplicationStatus,
    Choice,
    EducationRoute,
    Gender,
    ProtectionStatus,
    ScoreComponent,
    StatusChange,
)
from app.models.audit import AuditEvent
from app.models.base import utcnow
from app.models.cycle import Cycle, CycleStatus
from app.models.document import Document, DocumentKind, DocumentState
from app.models.notification import Notification, NotificationChannel, NotificationState
from app.models.retention import PurgedCount
from app.models.university import FieldGroup, Program, ProgramQuota, StudyLevel, University
from app.models.user import STAFF_ROLES, User, UserRole, UserStatus

__all__ = [
    "STAFF_ROLES",
    "ApiToken",
    "Appeal",
    "AppealGround",
    "AppealState",
    "AppealSubject",
    "Application",
    "ApplicationStatus",
    "AuditEvent",
    "Choice",
    "Cycle",
    "CycleStatus",
    "Document",
    "DocumentKind",
    "DocumentState",
    "EducationRoute",
    "FieldGroup",
    "Gender",
    "Notification",
    "NotificationChannel",
    "NotificationState",
    "Placement",
    "PlacementState",
    "ProgramQuota",
    "Program",
    "ProtectionStatus",
    "PurgedCount",
    "Round",
    "RoundKind",
    "RoundStatus",
    "ScoreComponent",
    "StatusChange",
    "University",
    "StudyLevel",
    "User",
    "UserRole",
    "UserStatus",
    "utcnow",
]
