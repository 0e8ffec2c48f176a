"""The exceptions the CLI turns into a one-line message and an exit status."""


class UsageError(Exception):
    """Bad input: the message names the problem and the fix; the CLI prints it and exits 2."""


class Terminated(BaseException):
    """Raised by the CLI's SIGTERM handler, so that ``finally`` blocks (temporary files) run as
    they do for Ctrl-C; the CLI exits 143 (128 + SIGTERM)."""
