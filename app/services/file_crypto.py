"""Encryption of stored files (uploaded documents) with the same key ring as the database.

`encrypt_bytes` before writing a file under UPLOAD_DIR, `decrypt_bytes` after reading it. The
stored bytes are a Fernet token (authenticated: a changed byte makes decryption fail), so the
upload folder, a backup of it or a stolen disk shows nothing of the document.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import InvalidToken

from app.models.crypto_types import DecryptionError, key_ring

# Every Fernet token starts with version byte 0x80, which base64 writes as "gA".
TOKEN_PREFIX = b"gA"


def encrypt_bytes(data: bytes) -> bytes:
    """Return `data` encrypted with the first configured key."""
    return key_ring().encrypt(data)


def decrypt_bytes(blob: bytes) -> bytes:
    """Return the plaintext of an encrypted file; refuse a file no configured key opens."""
    try:
        return key_ring().decrypt(blob)
    except InvalidToken as err:
        raise DecryptionError("a stored file could not be decrypted with any key") from err


def looks_encrypted(blob: bytes) -> bool:
    """Say whether stored bytes have the shape of an encrypted file (not a proof)."""
    return blob.startswith(TOKEN_PREFIX)


@dataclass
class FileRotation:
    """What re-encrypting a folder did."""

    rotated: int = 0
    encrypted_plaintext: int = 0
    failed: list[str] = field(default_factory=list)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.rotate{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _is_stored_file(path: Path) -> bool:
    # Hidden files and ".tmp<pid>" leftovers of an interrupted write are not documents.
    return path.is_file() and not path.name.startswith(".") and ".tmp" not in path.name


def rotate_folder(root: Path) -> FileRotation:
    """Re-encrypt every stored file under `root` with the first key; list files none opens.

    A plaintext file stored before encryption was switched on is recognised by its name
    (uploads are stored under the sha256 of their content) and encrypted. Each file is
    replaced atomically, so a crash leaves every file readable with the key ring.
    """
    outcome = FileRotation()
    if not root.exists():
        return outcome
    ring = key_ring()
    for path in sorted(p for p in root.rglob("*") if _is_stored_file(p)):
        blob = path.read_bytes()
        try:
            fresh = ring.rotate(blob)
        except InvalidToken:
            if hashlib.sha256(blob).hexdigest() != path.name:
                outcome.failed.append(str(path.relative_to(root)))
                continue
            fresh = ring.encrypt(blob)
            outcome.encrypted_plaintext += 1
        else:
            outcome.rotated += 1
        _write_atomically(path, fresh)
    return outcome
