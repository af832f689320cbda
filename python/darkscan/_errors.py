"""The exceptions darkscan raises."""
from __future__ import annotations


class DarkscanError(Exception):
    """Base of every darkscan error. `reason` is a short machine-readable word
    ("unknown-name", "checksum-mismatch", "no-such-file", ...)."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


class QueryError(DarkscanError, ValueError):
    """The query does not parse or check. The message shows the query with a caret under the
    place, as the command line does:

        1 | missing energy > 50 ns
          |                  ^^^^^ cannot compare energy with time
    """


class FileError(DarkscanError, OSError):
    """A file is missing, unreadable, damaged or does not match the others' schema. The message
    names the file, the byte and the place."""

    def __init__(self, code: int, message: str, *, reason: str = "") -> None:
        DarkscanError.__init__(self, message, reason=reason)
        self.errno = code

    def __str__(self) -> str:
        return self.message


class ArgumentError(DarkscanError, ValueError):
    """A bad argument: an unknown column, a closed dataset, an option out of range."""
