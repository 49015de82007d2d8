"""Errors of the task domain, phrased for the person who caused them."""


class ToolArgumentError(ValueError):
    """Arguments that do not fit a tool, explained in plain words."""


class ToolError(RuntimeError):
    """A tool could not do what was asked (unknown id, someone else's task, ...)."""


class NotFound(ToolError):
    """The id names nothing this user owns (an unknown id and another user's look the same)."""

    def __init__(self, what: str, ident: int) -> None:
        super().__init__(what, ident)
        self.what, self.ident = what, ident

    def __str__(self) -> str:
        return f"{self.what} {self.ident} was not found."
