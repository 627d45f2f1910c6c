"""The pool's exceptions. Translated to HTTP or CLI in exactly one place each."""


class GeopoolError(Exception):
    """Base of geopool's own errors; the message is meant for the user."""


class PackError(GeopoolError):
    """A jurisdiction pack is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"the jurisdiction pack is invalid:\n{lines}")
