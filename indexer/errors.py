"""The exceptions fazhi raises. Every one carries a message fit for a user."""

from __future__ import annotations


class FazhiError(Exception):
    """Base class: a failure with a one-line message that names the culprit."""

    #: what the user can do about it, appended to the message
    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def user_message(self) -> str:
        msg = str(self)
        return f"{msg} ({self.hint})" if self.hint else msg


class ExtractionError(FazhiError):
    """A file could not be read or holds no usable text."""

    def __init__(self, path: object, reason: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}", hint=hint)

    def __reduce__(self):
        # pickled with its own arguments, so that it comes back from a child process
        return (type(self), (self.path, self.reason), self.__dict__)


class UnsupportedFormat(ExtractionError):
    """The file's extension is not one fazhi can read."""


class IndexStoreError(FazhiError):
    """The index is missing, locked, corrupt, or built by another schema version."""


class QueryError(FazhiError):
    """A search query or one of its filters is malformed.

    ``code`` names the kind of mistake (``unbalanced_quote``, ``dangling_operator``…;
    ``"invalid"`` when not named) and ``value`` the piece at fault, so that a page can
    say it in the reader's language; the message itself stays as scripts rely on it.
    """

    def __init__(
        self, message: str, *, hint: str | None = None, code: str = "invalid", value: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.value = value


class IndexWriteError(IndexStoreError):
    """The index could not be written (disk full, permission denied, any other OSError)."""


class IndexLocked(IndexStoreError):
    """Another indexer holds the index's write lock."""


class SchemaMismatch(IndexStoreError):
    """The index was built by another schema or analyzer version."""


class UnknownReport(FazhiError):
    """No indexed report has the id asked for."""


class SearchTimeout(FazhiError):
    """A search ran past its time budget and was stopped."""
