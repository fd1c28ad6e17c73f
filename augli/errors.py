"""The one error type for a user's mistake."""

import click


class AugliError(click.ClickException):
    """Bad input: click prints it as one line ("Error: ...") and exits with status 1.

    It subclasses ClickException so that library code can raise it directly and every command
    gets the same behaviour without wrapping: no traceback, non-zero exit.
    """
