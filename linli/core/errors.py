"""Errors that services raise and views/API turn into a clear, translated message."""


class ApplicationError(Exception):
    """A rule of the domain was broken; ``message`` is translated and safe to show to the user.

    ``field`` names the input at fault when there is one, so that forms and the API can point at it.
    """

    def __init__(self, message, *, field: str | None = None, code: str = "invalid"):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code
