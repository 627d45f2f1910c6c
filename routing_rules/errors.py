"""Routing errors; the message names the input field where one is at fault.

A rule set's problems are ``Problem`` texts: English strings, as the command
line, the logs and the API print them, that also know their template and
values, so that the rule pages can tell them in the reader's language
(``translated``).
"""

from django.utils.translation import gettext

from geopool.errors import GeopoolError


class Problem(str):
    """One problem in English, able to say itself in the active language.

    ``template`` is an English msgid with named ``%(name)s`` values; a value
    that is itself a ``Problem`` (a nested reason, "none") is translated
    with it. Codes, layer names and the lists of valid choices stay as
    they are in every language.

    >>> problem = Problem("rule %(code)s: unknown category %(category)s",
    ...                   code="YOL-TEST", category="NOPE")
    >>> problem
    'rule YOL-TEST: unknown category NOPE'
    >>> problem.params["category"]
    'NOPE'
    """

    def __new__(cls, template, **params):
        problem = super().__new__(cls, template % params)
        problem.template = template
        problem.params = params
        return problem

    def translated(self):
        values = {name: translated(v) for name, v in self.params.items()}
        return gettext(self.template) % values


class ProblemList(str):
    """Several problems (or names) joined by ``separator``, in English or
    translated."""

    def __new__(cls, problems, separator="; "):
        problems = tuple(problems)
        joined = super().__new__(cls, separator.join(problems))
        joined.problems = problems
        joined.separator = separator
        return joined

    def translated(self):
        return self.separator.join(translated(p) for p in self.problems)


def translated(text):
    """``text`` in the active language when it is a Problem, else as it is."""
    if isinstance(text, (Problem, ProblemList)):
        return text.translated()
    return text


class RoutingError(GeopoolError):
    """The decision cannot be made (configuration missing or input invalid)."""


class OutsideServiceArea(RoutingError):
    """The point is farther from the jurisdiction than its service-area buffer."""

    fields = ("lat", "long")


class UnknownCategory(RoutingError):
    fields = ("service_code",)


class RuleError(RoutingError):
    """A rule or delegation is written wrongly (the message says what and how).

    ``str()`` is the English message; ``translated()`` the same in the
    active language, where the message is a ``Problem``.
    """

    fields = ("condition",)

    def translated(self):
        return str(translated(self.args[0])) if self.args else ""


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
