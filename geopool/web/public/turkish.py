"""Case endings on body names, for sentences citizens read.

The tracking page says "Antakya Belediyesi'nden Defne Belediyesi'ne
devredildi": the ablative (*-den*, from) and the dative (*-e*, to) follow
the name's last word by vowel harmony (the last vowel: a ı o u take *a*,
e i ö ü take *e*), turn *d* into *t* after a voiceless consonant, and need
a buffer letter after a vowel: *n* after the possessive ending of an
institution's name (Belediye-si, Müdürlüğ-ü), *y* after any other vowel
(Antakya'ya). Abbreviations without vowels are read letter by letter, and
every Turkish letter name ends in *e* (KGM: ke-ge-me), so they take
*'ye* / *'den*. A name ending in an abbreviation in brackets takes the
ending of the word before the brackets, as Turkish spelling does
("Türk Dil Kurumu (TDK)'na").

>>> from_body("Antakya Belediyesi"), to_body("Defne Belediyesi")
("Antakya Belediyesi'nden", "Defne Belediyesi'ne")
"""

from geopool.text import turkish_lower

BACK_VOWELS = "aıou"
FRONT_VOWELS = "eiöü"
VOWELS = BACK_VOWELS + FRONT_VOWELS + "âîû"
VOICELESS = "fstkçşhp"
# Possessive endings of institution names: Belediye-si, İdare-si,
# Müdürlü-ğü, Valili-ği, Başkanlı-ğı.
_POSSESSIVE_ENDINGS = ("sı", "si", "su", "sü", "ğı", "ği", "ğu", "ğü")
# Heads whose possessive ending follows another consonant.
_POSSESSIVE_WORDS = {"kurumu", "şirketi", "merkezi", "kurulu", "müzesi", "odası"}


def _spoken(name):
    """The last word as it is pronounced, lower case, and whether possessive."""
    text = name.strip()
    if text.endswith(")") and "(" in text:
        text = text[: text.rindex("(")].rstrip()
    word = text.split()[-1] if text.split() else ""
    letters = "".join(ch for ch in word if ch.isalpha())
    lower = turkish_lower(letters)
    if letters and letters == letters.upper() and len(letters) > 1:
        if not any(ch in VOWELS for ch in lower):
            # Read letter by letter: every letter's name ends in "e".
            return lower + "e", False
        return lower, False
    possessive = lower.endswith(_POSSESSIVE_ENDINGS) or lower in _POSSESSIVE_WORDS
    return lower, possessive


def _harmony(spoken):
    for ch in reversed(spoken):
        if ch in BACK_VOWELS or ch == "â" or ch == "û":
            return "a"
        if ch in FRONT_VOWELS or ch == "î":
            return "e"
    return "e"


def to_body(name):
    """``name`` with the dative ending: "Defne Belediyesi'ne", "AFAD'a".

    >>> to_body("Hatay Valiliği"), to_body("Toroslar EDAŞ"), to_body("TCDD")
    ("Hatay Valiliği'ne", "Toroslar EDAŞ'a", "TCDD'ye")
    >>> to_body("Antakya"), to_body("Hatay Su ve Kanalizasyon İdaresi (HATSU)")
    ("Antakya'ya", "Hatay Su ve Kanalizasyon İdaresi (HATSU)'ne")
    """
    spoken, possessive = _spoken(name)
    vowel = _harmony(spoken)
    if spoken and spoken[-1] in VOWELS:
        ending = ("n" if possessive else "y") + vowel
    else:
        ending = vowel
    return f"{name.strip()}'{ending}"


def from_body(name):
    """``name`` with the ablative ending: "Antakya Belediyesi'nden", "EDAŞ'tan".

    >>> from_body("Karayolları 5. Bölge Müdürlüğü"), from_body("Toroslar EDAŞ")
    ("Karayolları 5. Bölge Müdürlüğü'nden", "Toroslar EDAŞ'tan")
    >>> from_body("Hatay Büyükşehir Belediyesi"), from_body("KGM")
    ("Hatay Büyükşehir Belediyesi'nden", "KGM'den")
    """
    spoken, possessive = _spoken(name)
    vowel = _harmony(spoken)
    last = spoken[-1] if spoken else ""
    if last in VOWELS:
        ending = ("n" if possessive else "") + "d" + vowel + "n"
    elif last in VOICELESS:
        ending = "t" + vowel + "n"
    else:
        ending = "d" + vowel + "n"
    return f"{name.strip()}'{ending}"
