"""Language and time-zone selection, and template filters that format in the reader's locale."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_datetime as babel_format_datetime
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

RTL_LANGUAGES = frozenset({"fa_AF", "ps"})


def normalise_language(code: str | None) -> str | None:
    """Map `fa-AF`, `fa`, `ps-AF`, `kk-KZ` … onto a supported language code, or None."""
    if not code:
        return None
    code = code.replace("-", "_")
    supported: dict[str, str] = current_app.config["LANGUAGES"]
    if code in supported:
        return code
    base = code.split("_")[0].lower()
    for candidate in supported:
        if candidate.split("_")[0].lower() == base:
            return candidate
    return None


def select_locale() -> str:
    """Pick ?lang=, then the session, then the signed-in user's choice, then the browser."""
    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])  # worker, CLI
    chosen = normalise_language(request.args.get("lang"))
    if chosen:
        session["lang"] = chosen
        return chosen
    from_session = normalise_language(session.get("lang"))
    if from_session:
        return from_session
    if current_user and current_user.is_authenticated:
        preferred = normalise_language(current_user.preferred_language)
        if preferred:
            return preferred
    browser = request.accept_languages.best_match(
        [c.replace("_", "-") for c in current_app.config["LANGUAGES"]]
        + list(current_app.config["LANGUAGES"])
    )
    return normalise_language(browser) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Show times in the user's zone (Kazakhstan by default)."""
    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    if current_user and current_user.is_authenticated and current_user.timezone:
        return str(current_user.timezone)
    return str(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def register_filters(app: Flask) -> None:
    """Add `date` and `datetime` filters that follow the reader's language and zone."""

    @app.template_filter("date")
    def _date(value: date | datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return "—"
        return str(format_date(value, fmt))

    @app.template_filter("datetime")
    def _datetime(value: datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return "—"
        return str(format_datetime(value, fmt))

    @app.template_filter("utc_datetime")
    def _utc_datetime(value: str | datetime | None, fmt: str = "medium") -> str:
        # Message payloads keep ISO timestamps (JSON); the reader sees them in words, in UTC as
        # the e-mails say.
        if not value:
            return "—"
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return babel_format_datetime(moment, fmt, tzinfo=UTC, locale=get_locale())

    @app.template_filter("filesize")
    def _filesize(value: int | None) -> str:
        # "12 kB" / "12 кБ": the unit follows the reader's language, no catalogue entry needed.
        from babel.units import format_unit

        kilobytes = max(1, round((value or 0) / 1024))
        return format_unit(kilobytes, "digital-kilobyte", length="short", locale=get_locale())

    @app.template_filter("share")
    def _share(value: float) -> str:
        # A share with one decimal in the reader's own percent pattern ("40,4 %", "40.4%"), so
        # 39.96% is never shown as a rounded "40%" beside a 40% minimum.
        locale = get_locale()
        pattern = copy.copy(locale.percent_formats[None])
        pattern.frac_prec = (1, 1)
        return str(pattern.apply(value, locale))

    @app.template_filter("small_count")
    def _small_count(value: Any) -> str:
        # Statistics over fewer than five people could identify someone.
        try:
            number = int(value)
        except (TypeError, ValueError):
            return str(value)
        return "<5" if 0 < number < 5 else str(number)


def language_choices() -> list[SelectChoice]:
    """Return the five languages as select options, each named in its own language."""
    return [SelectChoice(code, name) for code, name in current_app.config["LANGUAGES"].items()]
