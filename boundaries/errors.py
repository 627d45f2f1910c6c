"""Errors of layer import and lookup; each message says what to do."""

from geopool.errors import GeopoolError


class LayerError(GeopoolError):
    """Base of the boundaries app's errors."""


class ImportRefused(LayerError):
    """The source file cannot be imported as asked; nothing was written."""


class UnknownLayer(LayerError):
    """No layer with that code exists."""
