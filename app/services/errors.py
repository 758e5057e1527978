"""Errors a service raises when a rule refuses an action; views show them to the user."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule refused the action; the message is already translated for the user."""

    status_code = 409


class NotFound(ServiceError):
    """The object does not exist or is not the caller's to see (answered as 404)."""

    status_code = 404


class PermissionDenied(ServiceError):
    """The caller may not do this (answered as 403 where existence is not secret)."""

    status_code = 403


class InvalidInput(ServiceError):
    """The input breaks a rule a form cannot express (answered as 400)."""

    status_code = 400
