"""The forms of the layer upload, one per question the import may ask.

Each form only collects and checks what the planner types or picks; the
import service decides whether the file can be read that way.
"""

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from boundaries.importing.sources import SUPPORTED, SUPPORTED_TEXT, TURKISH_ENCODINGS
from boundaries.models import GeometryKind, Layer
from geopool.web.l10n import count_text
from geopool.web.planning.describe import epsg_name

# The largest file the upload page takes; larger layers are loaded with
# ``manage.py import_layer`` on the server.
UPLOAD_MAX_BYTES = 1 << 30
SELECT = {"class": "form-select"}
TEXT = {"class": "form-control"}
ENCODINGS = ["utf-8", *TURKISH_ENCODINGS]


def _epsg(value, field):
    if value in (None, ""):
        return None
    if not epsg_name(value):
        raise forms.ValidationError(
            {field: _("EPSG:%(code)s is not a known EPSG code.") % {"code": value}}
        )
    return int(value)


class LayerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} — {obj.title}"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "GeoJSON (.geojson), GeoPackage (.gpkg), KML (.kml) or a zipped "
            "shapefile (.zip)"
        ),
        widget=forms.ClearableFileInput(attrs=TEXT),
    )
    layer = LayerChoiceField(
        Layer.objects.all(),
        label=_("Target layer"),
        required=False,
        to_field_name="code",
        empty_label=_("— a new layer —"),
        widget=forms.Select(attrs=SELECT),
    )
    new_code = forms.SlugField(
        label=_("New layer code"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs=TEXT),
    )
    new_title = forms.CharField(
        label=_("New layer title"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs=TEXT),
    )
    geometry_kind = forms.ChoiceField(
        label=_("Geometry kind of the new layer"),
        required=False,
        choices=[("", "—"), *GeometryKind.choices],
        widget=forms.Select(attrs=SELECT),
    )
    source_layer = forms.CharField(
        label=_("Layer inside the file (optional)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs=TEXT),
    )
    srid = forms.IntegerField(
        label=_("EPSG code of the file (optional)"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs=TEXT),
    )
    encoding = forms.ChoiceField(
        label=_("Text encoding of a shapefile (optional)"),
        required=False,
        choices=[("", "—"), *((e, e) for e in ENCODINGS)],
        widget=forms.Select(attrs=SELECT),
    )

    def clean(self):
        data = super().clean()
        self._validate_file(data.get("file"))
        self._validate_target(data)
        data["srid"] = _epsg(data.get("srid"), "srid")
        return data

    def _validate_file(self, uploaded):
        if uploaded and Path(uploaded.name).suffix.lower() not in SUPPORTED:
            self.add_error(
                "file",
                _("%(name)s: this file type cannot be imported; expected %(types)s.")
                % {"name": uploaded.name, "types": SUPPORTED_TEXT},
            )
        elif uploaded and uploaded.size > UPLOAD_MAX_BYTES:
            self.add_error(
                "file",
                _(
                    "%(name)s is %(size)s MB; the upload page takes files of at "
                    "most %(limit)s MB. Zip the file, or have it loaded on the "
                    "server with the import_layer command."
                )
                % {
                    "name": uploaded.name,
                    "size": count_text(-(-uploaded.size >> 20)),
                    "limit": count_text(UPLOAD_MAX_BYTES >> 20),
                },
            )

    def _validate_target(self, data):
        if data.get("layer"):
            return
        code = data.get("new_code")
        if not code:
            self.add_error(
                "new_code",
                _("Choose a target layer, or give the code of a new layer."),
            )
        elif Layer.objects.filter(code=code).exists():
            self.add_error(
                "new_code",
                _("A layer %(code)s exists already; choose it as the target.")
                % {"code": code},
            )
        if code and not data.get("geometry_kind"):
            self.add_error("geometry_kind", _("A new layer needs its geometry kind."))

    def options(self):
        """The choices to keep with the pending upload (session-safe)."""
        data = self.cleaned_data
        layer = data.get("layer")
        return {
            "layer": layer.code if layer else data["new_code"],
            "new_layer": layer is None,
            "title": "" if layer else data.get("new_title") or data["new_code"],
            "geometry_kind": "" if layer else data["geometry_kind"],
            "source_layer": data.get("source_layer", "").strip(),
            "srid": data.get("srid"),
            "encoding": data.get("encoding", ""),
            "mapping": None,
        }


class SourceLayerForm(forms.Form):
    source_layer = forms.ChoiceField(
        label=_("Layer inside the file"), widget=forms.Select(attrs=SELECT)
    )

    def __init__(self, *args, layers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_layer"].choices = [(name, name) for name in layers or []]


class CrsForm(forms.Form):
    suggested = forms.ChoiceField(
        label=_("Suggested coordinate systems"),
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    epsg = forms.IntegerField(
        label=_("Or another EPSG code"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs=TEXT),
    )

    def __init__(self, *args, suggestions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suggested"].choices = [("", "—")] + [
            (str(code), f"EPSG:{code} ({epsg_name(code)})")
            for code in suggestions or []
        ]

    def clean(self):
        data = super().clean()
        epsg = data.get("epsg")
        suggested = data.get("suggested")
        if epsg and suggested and int(suggested) != epsg:
            raise forms.ValidationError(
                _("Pick a suggestion or type an EPSG code, not both.")
            )
        if not epsg and not suggested:
            raise forms.ValidationError(
                _("Pick a suggested coordinate system or type an EPSG code.")
            )
        data["srid"] = _epsg(epsg or suggested, "epsg")
        return data


class EncodingForm(forms.Form):
    encoding = forms.ChoiceField(
        label=_("The encoding in which the text reads right"),
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, previews, **kwargs):
        super().__init__(*args, **kwargs)
        # Without previews (an encoding given was wrong), offer the usual ones.
        previews = previews or dict.fromkeys(ENCODINGS, "")
        # Labels are plain text: Django escapes them when rendering.
        self.fields["encoding"].choices = [
            (encoding, f"{encoding}: {text}" if text else encoding)
            for encoding, text in previews.items()
        ]


class MappingForm(forms.Form):
    """Which field of the file holds the name, the code and each attribute.

    The choices are the file's real field names; the layer's saved mapping
    fills in the fields the file has.
    """

    ATTRIBUTE_PREFIX = "attribute__"

    name = forms.ChoiceField(label=_("Name field"), widget=forms.Select(attrs=SELECT))
    code = forms.ChoiceField(
        label=_("Code field"), required=False, widget=forms.Select(attrs=SELECT)
    )

    def __init__(self, *args, file_fields, attribute_names, saved, **kwargs):
        choices = [("", "—"), *((f, f) for f in file_fields)]
        initial = {
            role: saved.get(role)
            for role in ("name", "code")
            if saved.get(role) in file_fields
        }
        saved_attributes = saved.get("attributes") or {}
        for attribute in attribute_names:
            if saved_attributes.get(attribute) in file_fields:
                initial[self.ATTRIBUTE_PREFIX + attribute] = saved_attributes[attribute]
        super().__init__(*args, initial=initial, **kwargs)
        self.attribute_names = list(attribute_names)
        self.fields["name"].choices = choices
        self.fields["code"].choices = choices
        for attribute in self.attribute_names:
            self.fields[self.ATTRIBUTE_PREFIX + attribute] = forms.ChoiceField(
                label=_("Attribute “%(name)s”") % {"name": attribute},
                required=False,
                choices=choices,
                widget=forms.Select(attrs=SELECT),
            )

    def mapping(self):
        """The mapping as the import service takes it."""
        data = self.cleaned_data
        attributes = {
            attribute: data[self.ATTRIBUTE_PREFIX + attribute]
            for attribute in self.attribute_names
            if data.get(self.ATTRIBUTE_PREFIX + attribute)
        }
        return {"name": data["name"], "code": data["code"], "attributes": attributes}


class ActivateForm(forms.Form):
    force = forms.BooleanField(
        label=_("Activate accepting the errors"),
        required=False,
        widget=forms.CheckboxInput(
            attrs={"class": "form-check-input", "data-force": ""}
        ),
    )
