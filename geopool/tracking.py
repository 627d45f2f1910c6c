"""Tracking codes: short, unambiguous, safe to read out on the phone.

Codes look like ``K7M-4TXR`` (3 + 4 characters, a dash for reading). The
alphabet leaves out letters and digits that sound or look alike on a phone
line or in handwriting (0/O, 1/I/L, 5/S, 8/B, 2/Z, U/V) and Turkish letters
with no ASCII key (Ç, Ğ, İ, Ö, Ş, Ü), so a caller can type it anywhere.
7 characters from 23 symbols give 3.4 billion codes.
"""

import secrets

ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
LENGTH = 7


def tracking_code_new():
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:3]}-{raw[3:]}"


def tracking_code_normalize(text):
    """Return the canonical form of a code typed by a person, or ''."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return ""
    return f"{raw[:3]}-{raw[3:]}"
