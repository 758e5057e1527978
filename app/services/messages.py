"""Subjects of the messages Umit sends, marked for translation (bodies are templates)."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

SUBJECTS: dict[str, Callable[[], LazyString]] = {
    "confirm_email": lambda: _l("Confirm your e-mail address for Umit"),
    "reset_password": lambda: _l("Reset your Umit password"),
    "application_status": lambda: _l("Your Umit application has changed"),
    "document_state": lambda: _l("A document in your Umit application was checked"),
    "offer_made": lambda: _l("You have been offered a place"),
    "offer_reminder": lambda: _l("Reminder: your offer expires soon"),
    "offer_expired": lambda: _l("Your offer has expired"),
    "appeal_received": lambda: _l("We received your appeal"),
    "appeal_decided": lambda: _l("A decision on your appeal"),
    "round_published": lambda: _l("Allocation results were published"),
}
