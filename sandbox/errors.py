"""Errors that reach a person.

Every failure a user can cause or meet (bad input, a broken model file, a
guard that could not finish) is raised as a :class:`UserError` carrying a
Danish message written for an administrative employee, not a developer. The
CLI prints it, the web app shows it; neither shows a traceback.
"""


class UserError(Exception):
    """A failure with a Danish explanation that can be shown as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelError(UserError):
    """The model file is missing, unreadable or not a usable GGUF model."""


class GenerationError(UserError):
    """The model failed while answering (after the guard let the prompt through)."""


class GuardError(UserError):
    """The guard could not analyse the text, so nothing was sent (fail closed)."""


class BlockedError(UserError):
    """The guard policy blocks this prompt as a whole."""


class LogError(UserError):
    """The compliance log cannot be written, so nothing was sent (fail closed)."""
