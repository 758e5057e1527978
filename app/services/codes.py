"""Pseudonymous codes that stand for applicants in public results and snapshots."""

from __future__ import annotations

import secrets

# No 0/O or 1/I: codes are read aloud and typed from paper.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_public_code() -> str:
    """Return a random code like `U-7KQ4M2XA`; a unique index catches the rare collision."""
    return "U-" + "".join(secrets.choice(ALPHABET) for _ in range(8))
