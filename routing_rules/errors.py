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
