"""Tracking codes: short, unambiguous, safe to read out on the phone.

Codes look like ``K7M-4TXR`` (3 + 4 characters, a dash for reading). The
alphabet leaves out letters and digits that sound or look alike on a phone
line or in handwriting (0/O, 1/I/L, 5/S, 8/B, 2/Z, U/V) and Turkish letters
with no ASCII key (Ç, Ğ, İ, Ö, Ş, Ü), so a caller can type it anywhere.
7 characters from 23 symbols give 3.4 billion codes.
"""

import secrets

import numpy as np

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


def tracking_code_unused(text):
    """Return the letters and digits of ``text`` no tracking code uses.

    Upper-cased, each once, in the order typed: a code of the right length
    may still be refused for these.

    >>> tracking_code_unused("abc-defg"), tracking_code_unused("K7M-4TXR")
    (['B'], [])
    >>> tracking_code_unused("ÇÖP 1020")
    ['Ç', 'Ö', '1', '0', '2']
    """
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return list(dict.fromkeys(ch for ch in raw if ch not in ALPHABET))


def tracking_code_has_length(text):
    """Return True when ``text`` has a code's count of letters and digits."""
    return sum(ch.isalnum() for ch in (text or "")) == LENGTH


def tracking_codes_new(count):
    """Return ``count`` random codes at once, for bulk imports.

    Drawn from the same alphabet with the same source of randomness as
    ``tracking_code_new``. Codes are not checked against each other or the
    database: the caller does that (one query per batch).
    """
    base = len(ALPHABET)
    # 64 random bits per code, reduced modulo 23**7: the bias is below 1e-9.
    raw = np.frombuffer(secrets.token_bytes(8 * count), dtype=np.uint64)
    raw = raw % np.uint64(base**LENGTH)
    symbols = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    out = np.full((count, LENGTH + 1), ord("-"), dtype=np.uint8)
    for position in (7, 6, 5, 4, 2, 1, 0):
        out[:, position] = symbols[(raw % np.uint64(base)).astype(np.intp)]
        raw //= np.uint64(base)
    return out.view(f"S{LENGTH + 1}").ravel().astype(str).tolist()
