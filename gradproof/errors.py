"""The one exception the CLI turns into a one-line message and exit status 2."""


class UsageError(Exception):
    """Bad input: the message names the problem and the fix; the CLI prints it and exits 2."""
