"""Reading a Turkish address written as free text into its parts.

The written form is ``<Mahalle> Mah. <Ad> Cad./Sok./Bulv. No:<n> [Apt.]
K:<kat> D:<daire> <İlçe>/<İl>``, with every abbreviation callers and
officials use (``Mh.``, ``Cd.``, ``Sk.``, ``Blv.`` …), numbered streets
(``2023 Sk.``), missing spaces (``Harbiye Mh.Ürgen Cad.``), ASCII-only and
upper-case text. The parser works on the folded text (``geopool.text.fold``:
Turkish lower case, then ASCII), so ``KIRIKHAN``, ``Kırıkhan`` and
``Kirikhan`` read alike. It knows the *language* of addresses, not any
place: which words are districts or neighbourhoods is the gazetteer's
business (``geocoding.match``); the province's own names (``Hatay``) come
from the pack.

>>> p = parse_address("Hatay ,Defne ,Harbiye Mh.Ürgen Cad.", ["Hatay"])
>>> p.neighbourhood, p.street, p.street_type, p.province, p.free
('harbiye', 'urgen', 'cadde', True, ['defne'])
"""

import re
from dataclasses import asdict, dataclass, field

from geopool.text import fold

# Words that end a neighbourhood's name (folded).
NEIGHBOURHOOD_WORDS = {"mahallesi", "mahalle", "mah", "mh", "mahl", "mahal"}
# Words that end a street's name, with the street type they mean. The types
# whose word is part of official street names (``... YOLU``, ``... ÇIKMAZI``)
# keep the word in the name.
STREET_WORDS = {
    "caddesi": "cadde",
    "cadde": "cadde",
    "cad": "cadde",
    "cd": "cadde",
    "cadd": "cadde",
    "sokagi": "sokak",
    "sokak": "sokak",
    "sok": "sokak",
    "sk": "sokak",
    "sokk": "sokak",
    "bulvari": "bulvar",
    "bulvar": "bulvar",
    "bulv": "bulvar",
    "blv": "bulvar",
    "bul": "bulvar",
    "meydani": "meydan",
    "yolu": "yol",
    "karayolu": "yol",
    "cikmazi": "cikmaz",
}
STREET_TYPES_IN_NAME = {"yol", "cikmaz"}
# Words that end a building's or site's name.
BUILDING_WORDS = {
    "apartmani": "apartman",
    "apartman": "apartman",
    "apt": "apartman",
    "ap": "apartman",
    "sitesi": "site",
    "site": "site",
    "konutlari": "site",
    "plaza": "plaza",
    "ismerkezi": "plaza",
}
# Words telling that the name before them is a district.
DISTRICT_WORDS = {"ilcesi", "ilce"}

# A highway number (``D-817``, ``O-53``, ``E-90``) is a road, never a flat.
_HIGHWAY = re.compile(r"\b([deo])\s*-\s*(\d{1,4})\b")
_DOOR = re.compile(
    r"\b(?:no|numara|nu|nr)\s*[:.]?\s*(\d+(?:\s*/\s*\d+|\s*[a-z]\b)?)(?![\d])"
)
_FLOOR = re.compile(r"\b(?:k|kat)\s*[:.]\s*(-?\d+|zemin|bodrum)\b|\bkat\s+(-?\d+)\b")
_FLOOR_WORD = re.compile(r"\b(zemin|bodrum|giris|cati)\s+kat(?:i)?\b")
_FLAT = re.compile(r"\b(?:d|daire|dr)\s*[:.]\s*(\d+[a-z]?)\b|\bdaire\s+(\d+[a-z]?)\b")
_BLOCK = re.compile(
    r"\b([a-z]|\d{1,2}|[a-z]\d)\s*[-]?\s*blok(?:u)?\b|\bblok\s*[:.]?\s*([a-z]\d?|\d{1,2})\b"
)
_POSTCODE = re.compile(r"(?<![\d/])\b(\d{5})\b(?![\d/])")
# A letter right after a dot or colon: a missing space (``mh.urgen``).
_GLUED = re.compile(r"([.:])(?=[0-9a-z])")
# ``Antakya/Samandağ yolu``: a road named after the places it joins; the
# slash is part of its name, not a district ending.
_ROAD_BETWEEN = re.compile(
    r"([a-z]+)\s*/\s*([a-z]+\s+(?:yolu|karayolu|caddesi|cad|cd)\b)"
)
# ``Iskenderun/Hatay``: a slash between words separates parts.
_SLASH = re.compile(r"(?<=[a-z])\s*/\s*(?=[a-z])|(?<=[a-z])\s*/\s*$|^\s*/\s*")
_SEPARATORS = re.compile(r"[,;()\n]+|\s-\s")


@dataclass
class ParsedAddress:
    """The parts found in one address text; names are folded keys."""

    text: str
    province: bool = False
    postcode: str = ""
    district: str = ""
    neighbourhood: str = ""
    street: str = ""
    street_type: str = ""
    door: str = ""
    block: str = ""
    floor: str = ""
    flat: str = ""
    building: str = ""
    building_type: str = ""
    highway: str = ""
    # Phrases no marker explains (``Hatay, Antakya, Akçaova``: ``antakya``
    # and ``akcaova``): the matcher tries them as district and
    # neighbourhood names.
    free: list = field(default_factory=list)

    def as_dict(self):
        return asdict(self)


def _take(pattern, text, keep):
    """Cut every match of ``pattern`` from ``text``; ``keep`` gets the groups."""

    def cut(match):
        value = next((g for g in match.groups() if g is not None), "")
        keep(match, value)
        return " , "

    return pattern.sub(cut, text)


def _words(segment):
    words = []
    for raw in segment.split():
        word = raw.strip(".:'\"`")
        if word:
            words.append(word)
    return words


def parse_address(text, province_names=()):
    """Parse ``text`` into a ``ParsedAddress``.

    ``province_names`` are the names of the province itself (``Hatay``):
    recognised and set aside, never taken for a district.

    >>> p = parse_address("Bekbele Mah. 2023 Sk. No:5 K:3 D:7 İskenderun/Hatay",
    ...                   ["Hatay"])
    >>> p.neighbourhood, p.street, p.street_type, p.door, p.floor, p.flat
    ('bekbele', '2023', 'sokak', '5', '3', '7')
    >>> p.district, p.province
    ('iskenderun', True)
    >>> parse_address("D-817 karayolu kenari").highway
    'D-817'
    """
    parsed = ParsedAddress(text=text)
    folded = fold(text)
    provinces = {fold(name) for name in province_names}

    def highway(match, value):
        parsed.highway = f"{match.group(1).upper()}-{match.group(2)}"

    folded = _take(_HIGHWAY, folded, highway)
    folded = _take(_FLAT, folded, lambda m, v: setattr(parsed, "flat", v))
    folded = _take(_FLOOR_WORD, folded, lambda m, v: setattr(parsed, "floor", v))
    folded = _take(_FLOOR, folded, lambda m, v: setattr(parsed, "floor", v))
    folded = _take(
        _DOOR, folded, lambda m, v: setattr(parsed, "door", re.sub(r"\s+", "", v))
    )
    folded = _take(_BLOCK, folded, lambda m, v: setattr(parsed, "block", v.upper()))
    folded = _take(_POSTCODE, folded, lambda m, v: setattr(parsed, "postcode", v))
    folded = _GLUED.sub(r"\1 ", folded).replace("is merkezi", "ismerkezi")
    folded = _ROAD_BETWEEN.sub(r"\1 \2", folded)
    folded = _SLASH.sub(" / ", folded)

    segments = [s for s in _SEPARATORS.split(folded) if s.strip()]
    # ``X/Hatay``: the part before the province is the district.
    pieces = []
    for segment in segments:
        parts = segment.split(" / ")
        for index, part in enumerate(parts):
            pieces.append((part, index + 1 < len(parts)))
    for index, (segment, before_slash) in enumerate(pieces):
        words = _words(segment)
        if not words:
            continue
        _read_segment(parsed, words, provinces, before_slash, pieces, index)
    return parsed


def _read_segment(parsed, words, provinces, before_slash, pieces, index):
    pending = []

    def flush_free():
        if pending:
            phrase = " ".join(pending)
            if phrase in provinces:
                parsed.province = True
            else:
                parsed.free.append(phrase)
            pending.clear()

    for word in words:
        if word in provinces:
            flush_free()
            parsed.province = True
            continue
        if not pending and (
            word in NEIGHBOURHOOD_WORDS
            or word in BUILDING_WORDS
            or word in STREET_WORDS
        ):
            continue  # a marker with no name before it ("No:12 Apt.")
        if word in NEIGHBOURHOOD_WORDS and pending:
            if not parsed.neighbourhood:
                parsed.neighbourhood = " ".join(pending)
            pending.clear()
            continue
        if word in STREET_WORDS and pending:
            kind = STREET_WORDS[word]
            if not parsed.street:
                name = list(pending)
                if kind in STREET_TYPES_IN_NAME:
                    name.append(word)
                parsed.street = " ".join(name)
                parsed.street_type = kind
            pending.clear()
            continue
        if word in BUILDING_WORDS and pending:
            if not parsed.building:
                parsed.building = " ".join(pending)
                parsed.building_type = BUILDING_WORDS[word]
            pending.clear()
            continue
        if word in DISTRICT_WORDS and pending:
            parsed.district = parsed.district or " ".join(pending)
            pending.clear()
            continue
        pending.append(word)
    if pending and before_slash and not parsed.district:
        following = _words(pieces[index + 1][0]) if index + 1 < len(pieces) else []
        if " ".join(following) in provinces:
            phrase = " ".join(pending)
            if phrase not in provinces:
                parsed.district = phrase
                pending.clear()
    flush_free()
