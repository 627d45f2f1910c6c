"""Turkish text: casing and the one folding function used for matching.

Turkish has two i's: dotted ``İ/i`` and dotless ``I/ı``. Python's
``str.lower()`` gets them wrong (``"İ".lower()`` is ``"i̇"``, an ``i`` with a
combining dot, and ``"I".lower()`` is ``"i"`` where Turkish wants ``"ı"``).
Stored text keeps its original spelling; anything that *matches* text (a
district label against a district name, an address against a gazetteer)
compares ``fold()`` keys.
"""

import re
import unicodedata

_LOWER = str.maketrans({"I": "ı", "İ": "i"})
_UPPER = str.maketrans({"i": "İ", "ı": "I"})
_ASCII = str.maketrans(
    {
        "ı": "i",
        "ş": "s",
        "ğ": "g",
        "ü": "u",
        "ö": "o",
        "ç": "c",
        "â": "a",
        "î": "i",
        "û": "u",
    }
)
_SPACE = re.compile(r"\s+")


def turkish_lower(text):
    """Lower-case ``text`` by Turkish rules.

    >>> turkish_lower("İSKENDERUN KIRIKHAN")
    'iskenderun kırıkhan'
    """
    return unicodedata.normalize("NFC", text).translate(_LOWER).lower()


def turkish_upper(text):
    """Upper-case ``text`` by Turkish rules.

    >>> turkish_upper("iskenderun kırıkhan")
    'İSKENDERUN KIRIKHAN'
    """
    return unicodedata.normalize("NFC", text).translate(_UPPER).upper()


def fold(text):
    """Return the matching key of ``text``: Turkish lower case, ASCII, one space.

    Two spellings of one name get the same key whatever their case, their
    Turkish letters or their spacing, so ``"KIRIKHAN"``, ``"Kırıkhan"`` and
    ``"kirikhan"`` all match.

    >>> fold("  İSKENDERUN ") == fold("iskenderun") == "iskenderun"
    True
    >>> fold("KIRIKHAN"), fold("Dörtyol"), fold("YAYLADAĞI")
    ('kirikhan', 'dortyol', 'yayladagi')
    """
    if not text:
        return ""
    lowered = turkish_lower(text).translate(_ASCII)
    # Drop any combining marks left (e.g. from decomposed input).
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACE.sub(" ", stripped).strip()
