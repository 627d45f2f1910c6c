"""Opening a source file: its layer, fields, CRS and text encoding.

A source is never guessed at. A file with several layers names them and
asks for one; a shapefile whose text encoding cannot be known asks for one;
a file with no CRS asks for one (see ``crs``). What the file declares is
used and checked: a ``.cpg`` that says ``1254`` over text that is really
UTF-8 would store ``KÄ±rÄ±khan``, so it is refused with both readings shown.
"""

import codecs
import difflib
import logging
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pyogrio
from pyproj import CRS

from boundaries.errors import (
    EncodingUnknown,
    FieldMissing,
    ImportRefused,
    SeveralLayers,
    Unreadable,
)

logger = logging.getLogger(__name__)

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".kml", ".shp"}
SUPPORTED = VECTOR_SUFFIXES | {".zip"}
SUPPORTED_TEXT = (
    "GeoJSON (.geojson), GeoPackage (.gpkg), KML (.kml) or a zipped shapefile (.zip)"
)

# Single-byte encodings Turkish DBF files come in, offered when the file
# does not say: Windows Turkish, ISO Latin-5 (the same letters), DOS Turkish.
TURKISH_ENCODINGS = ["cp1254", "iso8859_9", "cp857"]
SAMPLE_FEATURES = 5000
# GDAL and geopool read a shapefile's .cpg (a word) and .prj (a few hundred
# bytes of WKT) whole; anything larger is not one. The .shp, .shx and .dbf
# are streamed.
SIDECAR_MAX = 64 << 10
READ_WHOLE = (".cpg", ".prj")
# A layer's zip holds its few files; a zip is not unpacked beyond these.
ZIP_MEMBERS_MAX = 1000
ZIP_UNPACKED_MAX = 8 << 30


@dataclass
class Source:
    path: Path
    gdal_path: str
    layer: str
    layers: list
    fields: list
    geometry_type: str
    feature_count: int
    crs: CRS | None
    encoding: str = ""
    encoding_origin: str = ""
    bounds: tuple | None = None
    warnings: list = field(default_factory=list)
    # A CRS the file names that is not known (GDAL reads such a GeoJSON as
    # EPSG:4326 with only a warning); ``crs`` settles it.
    crs_unknown: str = ""

    @property
    def is_dbf(self):
        return self.gdal_path.lower().endswith(".shp")

    def require_fields(self, mapping):
        """Refuse if a mapped field is not in the file, naming the ones that are."""
        if not self.fields and any(mapping.values()):
            where = "its .dbf could not be read" if self.is_dbf else "it has none"
            raise FieldMissing(
                f"{self.path.name}: no fields to map ({where}); export the layer "
                "again with its attributes",
                field=next(n for n in mapping.values() if n),
                available=[],
            )
        for role, name in mapping.items():
            if name and name not in self.fields:
                raise FieldMissing(
                    f"{self.path.name}: no field {name!r} for the {role}; available "
                    f"fields: {', '.join(self.fields)}{_field_hint(name, self.fields)}",
                    field=name,
                    available=self.fields,
                )


def _field_hint(name, fields):
    if len(name) > 10 and name[:10] in fields:
        return (
            f" (shapefile field names have at most 10 characters: {name} arrives "
            f"as {name[:10]})"
        )
    close = difflib.get_close_matches(name, fields, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _zip_member(path, source_layer):
    """Return ``(gdal path, member, layers)`` for the vector file in a zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise ImportRefused(f"{path.name} is not a readable zip file: {exc}") from exc
    _zip_limits(path, infos)
    names = [info.filename for info in infos]
    members = [
        n
        for n in names
        if PurePosixPath(n).suffix.lower() in VECTOR_SUFFIXES
        and not any(
            part.startswith(("__MACOSX", ".")) for part in PurePosixPath(n).parts
        )
    ]
    if not members:
        raise ImportRefused(
            f"{path.name} holds no shapefile (.shp), GeoPackage, GeoJSON or KML; it "
            f"holds: {', '.join(names[:20]) or 'nothing'}"
        )
    layers = [str(PurePosixPath(m).with_suffix("")) for m in members]
    if len(members) > 1:
        if not source_layer:
            raise SeveralLayers(
                f"{path.name} holds {len(members)} layers: {', '.join(layers)}; choose "
                "one with --source-layer NAME",
                layers=layers,
            )
        matches = [
            m
            for m, layer in zip(members, layers, strict=True)
            if source_layer in (layer, PurePosixPath(layer).name, m)
        ]
        if len(matches) != 1:
            raise SeveralLayers(
                f"{path.name} has no layer {source_layer!r}; its layers: "
                f"{', '.join(layers)}",
                layers=layers,
            )
        member = matches[0]
    else:
        member = members[0]
    if member.lower().endswith(".shp"):
        stem = member[:-4]
        lowered = {n.lower() for n in names}
        missing = [s for s in (".dbf", ".shx") if (stem + s).lower() not in lowered]
        if missing:
            raise ImportRefused(
                f"{path.name}: the shapefile {member} lacks its "
                f"{' and '.join(missing)} part; zip all files of the shapefile together"
            )
        for info in infos:
            if info.filename.lower() in {(stem + s).lower() for s in READ_WHOLE}:
                _sidecar_limit(path, info.filename, info.file_size)
    return f"/vsizip/{path}/{member}", member, layers


def _zip_limits(path, infos):
    """Refuse a zip with more members, or more bytes unpacked, than a layer's."""
    if len(infos) > ZIP_MEMBERS_MAX:
        raise ImportRefused(
            f"{path.name} holds {len(infos):,} files; a layer's zip holds a few (at "
            f"most {ZIP_MEMBERS_MAX:,} are read): zip only the files of the layer"
        )
    unpacked = sum(info.file_size for info in infos)
    if unpacked > ZIP_UNPACKED_MAX:
        raise ImportRefused(
            f"{path.name} unpacks to {_size(unpacked)}, more than the "
            f"{_size(ZIP_UNPACKED_MAX)} geopool reads from a zip: zip only the "
            "files of the layer, or split the layer"
        )


def _sidecar_limit(path, name, size):
    """Refuse a .cpg or .prj too large to be one (both are read whole)."""
    if size > SIDECAR_MAX:
        raise ImportRefused(
            f"{path.name}: {name} is {_size(size)}; a {PurePosixPath(name).suffix} "
            f"file holds a few bytes (at most {_size(SIDECAR_MAX)} are read): "
            "replace it with the one the shapefile was saved with"
        )


def _size(count):
    """Bytes for people: ``64 KB``, ``400 MB``, ``8 GB`` (powers of 1024)."""
    for unit, shift in (("GB", 30), ("MB", 20), ("KB", 10)):
        if count >= 1 << shift:
            return f"{count / (1 << shift):,.3g} {unit}".replace(".0 ", " ")
    return f"{count} bytes"


def _sidecar(path, gdal_path, suffix):
    """Text of a shapefile's sidecar file (.cpg, .prj), or None."""
    if gdal_path.startswith("/vsizip/"):
        member = gdal_path.split(f"{path}/", 1)[1]
        wanted = (member[:-4] + suffix).lower()
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.lower() == wanted:
                    _sidecar_limit(path, info.filename, info.file_size)
                    with archive.open(info) as handle:
                        data = handle.read(SIDECAR_MAX + 1)
                    _sidecar_limit(path, info.filename, len(data))
                    return data.decode("ascii", "replace").strip()
        return None
    sidecar = Path(gdal_path).with_suffix(suffix)
    for candidate in (sidecar, sidecar.with_suffix(suffix.upper())):
        if candidate.is_file():
            _sidecar_limit(path, candidate.name, candidate.stat().st_size)
            return candidate.read_text("ascii", "replace").strip()
    return None


def _loose_sidecars_check(path):
    """Refuse an oversized .cpg or .prj beside a plain .shp before GDAL reads it."""
    for suffix in READ_WHOLE:
        sidecar = path.with_suffix(suffix)
        for candidate in (sidecar, sidecar.with_suffix(suffix.upper())):
            if candidate.is_file():
                _sidecar_limit(path, candidate.name, candidate.stat().st_size)


TEXT_ENCODINGS_HINT = (
    "e.g. UTF-8, CP1254 (Turkish Windows) or ISO-8859-9 (Turkish Latin-5)"
)


_GEOJSON_CRS = re.compile(rb'"crs"\s*:\s*\{[^}]*?"name"\s*:\s*"([^"]{1,200})"')
CRS_PEEK = 1 << 16
# JSON's escape of NUL; GDAL ends a text value at it ("HBB\u0000x" is read
# as "HBB"), so a file holding one would lose text unseen.
_JSON_NUL = re.compile(rb"(?<!\\)\\u0000")
_SCAN_CHUNK = 1 << 20


def _geojson_nul_at(handle):
    """Offset of the first ``\\u0000`` escape in a GeoJSON stream, or None."""
    offset, tail = 0, b""
    while chunk := handle.read(_SCAN_CHUNK):
        found = _JSON_NUL.search(tail + chunk)
        if found:
            return offset - len(tail) + found.start()
        offset += len(chunk)
        tail = chunk[-6:]
    return None


def _geojson_crs_unknown(path):
    """The CRS name a GeoJSON declares near its start if it is unknown, or ""."""
    with open(path, "rb") as handle:
        found = _GEOJSON_CRS.search(handle.read(CRS_PEEK))
    if not found:
        return ""
    name = found.group(1).decode("utf-8", "replace")
    try:
        CRS.from_user_input(name)
    except Exception:  # pyproj's CRSError
        return name
    return ""


def _shapefile_parts_missing(path):
    """The .dbf and .shx parts missing beside a plain .shp."""
    present = {p.name.lower() for p in path.parent.iterdir()}
    return [s for s in (".dbf", ".shx") if (path.stem + s).lower() not in present]


def _codec(name):
    """Python text codec for an encoding name as files and people write it.

    None for a name Python does not know, and for its codecs that turn
    bytes into bytes (``rot13``, ``hex``, ``zlib`` …), which no text is in.

    >>> _codec("1254"), _codec("ANSI 1254"), _codec("UTF-8"), _codec("rot13")
    ('cp1254', 'cp1254', 'utf-8', None)
    """
    text = (name or "").strip().lower().replace("ansi", "").strip()
    if text.isdigit():
        text = f"cp{text}"
    try:
        info = codecs.lookup(text)
    except LookupError:
        return None
    # CodecInfo marks the bytes-to-bytes codecs; it has no public flag.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _raw_texts(source):
    """Bytes of the first text values, read without decoding (latin-1 is 1:1)."""
    _, table = pyogrio.read_arrow(
        source.gdal_path,
        layer=source.layer or None,
        encoding="latin1",
        read_geometry=False,
        max_features=SAMPLE_FEATURES,
    )
    return [
        value.encode("latin1")
        for column in table.columns
        for value in column.to_pylist()
        if isinstance(value, str)
    ]


def _previews(raw, encodings):
    """How the first non-ASCII value reads in each encoding."""
    sample = next((v for v in raw if not v.isascii()), b"")
    return {e: sample.decode(e, "replace") for e in encodings}


def _decodes(raw, encoding):
    try:
        for value in raw:
            value.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _settle_encoding(source, given, declared_text):
    raw = _raw_texts(source)
    non_ascii = [v for v in raw if not v.isascii()]
    declared = _codec(declared_text) if declared_text else None
    if declared_text and not declared:
        source.warnings.append(
            f"the .cpg file names {declared_text!r}, which is not a known text "
            f"encoding ({TEXT_ENCODINGS_HINT}); ignored"
        )
    choices = ", ".join(["utf-8", *TURKISH_ENCODINGS])

    if given:
        codec = _codec(given)
        if codec is None:
            raise EncodingUnknown(
                f"--encoding {given}: not a known text encoding; give one in which "
                f"the file's text is written, {TEXT_ENCODINGS_HINT}"
            )
        if not _decodes(non_ascii, codec):
            raise EncodingUnknown(
                f"{source.path.name}: the text is not valid {given}; try one of "
                f"{choices}"
            )
        return codec, "given"
    if not non_ascii:
        return declared or "utf-8", "declared" if declared else "ascii only"
    utf8 = _decodes(non_ascii, "utf-8")
    if declared:
        # Non-ASCII Turkish text in a single-byte encoding is practically never
        # valid UTF-8 by chance; UTF-8 bytes read as cp1254 give "KÄ±rÄ±khan".
        if declared != "utf-8" and utf8:
            previews = _previews(non_ascii, [declared, "utf-8"])
            raise EncodingUnknown(
                f"{source.path.name}: the .cpg declares {declared_text} but the "
                f"text is UTF-8: it reads {_show(previews)}; pass --encoding utf-8",
                previews=previews,
            )
        if not _decodes(non_ascii, declared):
            previews = _previews(non_ascii, ["utf-8", *TURKISH_ENCODINGS])
            raise EncodingUnknown(
                f"{source.path.name}: the .cpg declares {declared_text} but the "
                f"text is not valid {declared}; it reads {_show(previews)}; pass "
                "--encoding with the right one",
                previews=previews,
            )
        return declared, "declared"
    if utf8:
        return "utf-8", "valid UTF-8 (no .cpg)"
    previews = _previews(non_ascii, TURKISH_ENCODINGS)
    cpg = "its .cpg is empty" if declared_text == "" else "no .cpg"
    raise EncodingUnknown(
        f"{source.path.name}: the text is not UTF-8 and the file does not say its "
        f"encoding ({cpg}); it reads {_show(previews)}; pass --encoding with the one "
        "that reads right",
        previews=previews,
    )


def _show(previews):
    return "; ".join(f"{enc}: {text!r}" for enc, text in previews.items())


def _gdal_said(exc, path, gdal_path):
    """GDAL's first line about ``exc``, naming the file by its own name only.

    GDAL quotes the full path it was given, which on a server is the
    storage directory of pending uploads: nobody needs to see that.
    """
    said = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for where in sorted({str(gdal_path), str(path)}, key=len, reverse=True):
        said = said.replace(where, path.name)
    return said


def source_open(path, source_layer="", encoding=""):
    """Open ``path`` and describe it; raise ImportRefused when a choice is needed."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ImportRefused(
            f"{path.name}: unsupported file type {suffix or '(none)'}; expected "
            f"{SUPPORTED_TEXT}"
        )
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ImportRefused(f"{path.name} is empty")

    layers = []
    if suffix == ".zip":
        gdal_path, member, layers = _zip_member(path, source_layer)
        source_layer = ""
        suffix = PurePosixPath(member).suffix.lower()
    else:
        gdal_path = str(path)
        if suffix == ".shp":
            missing = _shapefile_parts_missing(path)
            if missing:
                raise ImportRefused(
                    f"{path.name}: the shapefile lacks its {' and '.join(missing)} "
                    f"part ({path.stem}{missing[0]} is not beside it); put all "
                    "files of the shapefile in one folder, or zip them together"
                )
            _loose_sidecars_check(path)
    try:
        if suffix in {".gpkg", ".kml"}:
            layers = [str(name) for name, _ in pyogrio.list_layers(gdal_path)]
            if len(layers) > 1 and not source_layer:
                raise SeveralLayers(
                    f"{path.name} holds {len(layers)} layers: {', '.join(layers)}; "
                    "choose one with --source-layer NAME",
                    layers=layers,
                )
            if source_layer and source_layer not in layers:
                raise SeveralLayers(
                    f"{path.name} has no layer {source_layer!r}; its layers: "
                    f"{', '.join(layers)}",
                    layers=layers,
                )
        info = pyogrio.read_info(
            gdal_path, layer=source_layer or None, force_total_bounds=True
        )
    except ImportRefused:
        raise
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise Unreadable(
            f"{path.name} cannot be read as a layer (expected {SUPPORTED_TEXT}); "
            f"GDAL says: {_gdal_said(exc, path, gdal_path)}",
            name=path.name,
        ) from exc

    bounds = info.get("total_bounds")
    if bounds is not None and not all(math.isfinite(b) for b in bounds):
        bounds = None  # no feature has coordinates
    if int(info.get("features") or 0) == 0:
        raise ImportRefused(
            f"{path.name} holds no features (its layer "
            f"{info.get('layer_name') or path.stem} is empty); export the layer "
            "again with its features"
        )
    source = Source(
        path=path,
        gdal_path=gdal_path,
        layer=source_layer or str(info.get("layer_name") or ""),
        layers=layers or [str(info.get("layer_name") or path.stem)],
        fields=[str(f) for f in info["fields"]],
        geometry_type=str(info.get("geometry_type") or "Unknown"),
        feature_count=int(info.get("features") or 0),
        crs=CRS.from_user_input(info["crs"]) if info.get("crs") else None,
        bounds=tuple(bounds) if bounds is not None else None,
    )
    if suffix in {".geojson", ".json"} and not gdal_path.startswith("/vsizip/"):
        source.crs_unknown = _geojson_crs_unknown(path)
        with open(path, "rb") as handle:
            nul_at = _geojson_nul_at(handle)
        if nul_at is not None:
            raise ImportRefused(
                f"{path.name} holds a NUL character (\\u0000) in its text, at byte "
                f'{nul_at:,}; GDAL would cut each such value at it ("HBB\\u0000x" '
                'is read as "HBB") and PostgreSQL cannot store it: remove the NUL '
                "characters from the file and import it again"
            )
    if source.is_dbf:
        declared = _sidecar(path, gdal_path, ".cpg")
        source.encoding, source.encoding_origin = _settle_encoding(
            source, encoding, declared
        )
    elif encoding:
        source.warnings.append(
            f"--encoding {encoding} ignored: {suffix} files carry their own encoding"
        )
    return source
