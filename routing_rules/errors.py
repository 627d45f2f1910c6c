"""Routing errors; the message names the input field where one is at fault."""

from geopool.errors import GeopoolError


class RoutingError(GeopoolError):
    """The decision cannot be made (configuration missing or input invalid)."""


class OutsideServiceArea(RoutingError):
    """The point is farther from the jurisdiction than its service-area buffer."""

    fields = ("lat", "long")


class UnknownCategory(RoutingError):
    fields = ("service_code",)


class RuleError(RoutingError):
    """A rule or delegation is written wrongly (the message says what and how)."""

    fields = ("condition",)


class RuleSetChanged(RuleError):
    """A draft or one of its rules changed after it was read; nothing was written.

    ``reason`` says what happened: ``LIVE`` (the set was activated meanwhile),
    ``CHANGED`` or ``DELETED`` (the rule ``code``, by ``by`` at ``at``, both
    empty when the audit trail does not say). The pages answer 409 with it.
    """

    LIVE, CHANGED, DELETED = "live", "changed", "deleted"

    def __init__(self, message, *, reason, version, code="", by="", at=None):
        super().__init__(message)
        self.reason, self.version, self.code = reason, version, code
        self.by, self.at = by, at
