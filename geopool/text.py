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


# Abbreviations inside proper names (street, neighbourhood and site names),
# as official lists and callers write them: ``ŞHT.YAKUP ASLAN`` is
# ``Şehit Yakup Aslan``. Keys are folded.
NAME_ABBREVIATIONS = {
    "sht": "sehit",
    "dr": "doktor",
    "av": "avukat",
    "prof": "profesor",
    "org": "orgeneral",
    "gen": "general",
    "ogr": "ogretmen",
    "hz": "hazreti",
    "mst": "mustafa",
}
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def name_key(text):
    """Return the key a proper name is matched on: folded, punctuation-free.

    Dots, dashes and brackets become spaces and abbreviations inside names
    are expanded, so the official ``ŞHT.YAKUP ASLAN 1`` and a caller's
    ``Şehit Yakup Aslan 1`` share a key; a numbered street ``2534.`` is
    ``2534``.

    >>> name_key("ŞHT.YAKUP ASLAN 1"), name_key("Şehit Yakup Aslan 1")
    ('sehit yakup aslan 1', 'sehit yakup aslan 1')
    >>> name_key("2534."), name_key("Habib-i Neccar"), name_key("IĞDIR")
    ('2534', 'habib i neccar', 'igdir')
    """
    words = _NOT_WORD.sub(" ", fold(text)).split()
    return " ".join(NAME_ABBREVIATIONS.get(w, w) for w in words)


# C0 control characters (and DEL) that no text typed by a person holds; tab
# and line breaks are text.
_C0_BUT_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_CONTROL = re.compile(f"[{_C0_BUT_TEXT}]")


def control_character(text):
    """The first control character of ``text``, or None.

    >>> control_character("Akhisar Mh.\\x1b[31m")
    '\\x1b'
    >>> control_character("Ürgen Cad.\\tNo:5") is None
    True
    """
    found = _CONTROL.search(text)
    return found.group() if found else None


# What no stored text may hold besides: the noncharacters U+FFFE and U+FFFF
# and lone surrogates, which encode no text (XML cannot even carry them).
_NO_TEXT = r"\ufffe\uffff\ud800-\udfff"
_NOT_TEXT = re.compile(f"[{_C0_BUT_TEXT}{_NO_TEXT}]")
# The same for one line of text (an identifier, a code): no tab or line break.
_NOT_LINE = re.compile(rf"[\x00-\x1f\x7f{_NO_TEXT}]")


def unfit_character(text, *, lines=True):
    """The first character of ``text`` that stored text may not hold, or None.

    The control characters refused by ``control_character``, and U+FFFE,
    U+FFFF and lone surrogates; with ``lines=False`` tabs and line breaks
    too.

    >>> unfit_character("esc1\\x1b[2J"), unfit_character("Bank\\ufffe")
    ('\\x1b', '\\ufffe')
    >>> unfit_character("Çöp\\tdolu\\r\\n") is None
    True
    >>> unfit_character("crm-1\\t2", lines=False)
    '\\t'
    """
    found = (_NOT_TEXT if lines else _NOT_LINE).search(text)
    return found.group() if found else None


# Invisible characters that change how the text around them reads: bidi
# embeddings, overrides and isolates (U+202E turns "gpj.exe" around), line
# and paragraph separators and NEL (line breaks a page does not show as
# such), and the zero-width no-break space U+FEFF. Turkish text needs none.
_HIDDEN_FORMAT = re.compile(r"[\u0085\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def hidden_format_character(text):
    """The first character of ``text`` that changes unseen how it reads, or None.

    For text the public reads (a request's public text).

    >>> hidden_format_character("Çöp \\u202etxt.exe")
    '\\u202e'
    >>> hidden_format_character("Çöp konteyneri boşaltıldı.\\n") is None
    True
    """
    found = _HIDDEN_FORMAT.search(text)
    return found.group() if found else None
