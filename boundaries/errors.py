"""Errors of layer import and lookup; each message says what to do."""

from geopool.errors import GeopoolError


class LayerError(GeopoolError):
    """Base of the boundaries app's errors."""


class UnknownLayer(LayerError):
    """No layer with that code exists."""


class NoActiveGeneration(UnknownLayer):
    """The layer is defined but has no active generation: nothing to look up."""


class ImportRefused(LayerError):
    """The source cannot be imported as asked; nothing was written.

    ``flag`` names the command-line option that supplies what is missing,
    where there is one; the web page offers the same choice as a field.
    """

    flag = ""

    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details


class Unreadable(ImportRefused):
    """GDAL cannot read the file as a layer; ``name`` is the file's own name."""


class SeveralLayers(ImportRefused):
    flag = "--source-layer"


class CrsUnknown(ImportRefused):
    flag = "--srid"


class EncodingUnknown(ImportRefused):
    flag = "--encoding"


class FieldMissing(ImportRefused):
    flag = "--name-field / --code-field / --map"


class ActivationRefused(LayerError):
    """A generation cannot be activated (checks failed, wrong state)."""
