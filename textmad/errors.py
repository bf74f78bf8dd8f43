"""The one error type a user sees without a traceback: it names the file, key or value and what is accepted."""


class UserError(Exception):
    """An error the user can act on: printed without a traceback, exit status 2."""
