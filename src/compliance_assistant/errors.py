"""Application errors. Each carries a stable code and the HTTP status it maps to.

The CLI prints ``message`` as one paragraph (no traceback) and exits 2 for input errors.
"""

from __future__ import annotations

from typing import Any


class ComplianceError(Exception):
    """Base class: something the caller can be told about in plain words."""

    code = "INTERNAL_ERROR"
    status_code = 500

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InputError(ComplianceError):
    """The input is unusable as given (bad file, bad text, bad definition)."""

    code = "INVALID_INPUT"
    status_code = 400


class UnsupportedFormatError(InputError):
    code = "UNSUPPORTED_FORMAT"
    status_code = 415


class CorruptFileError(InputError):
    code = "CORRUPT_FILE"


class ProtectedFileError(InputError):
    code = "PROTECTED_FILE"


class EmptyDocumentError(InputError):
    code = "EMPTY_DOCUMENT"
    status_code = 422


class TooLargeError(InputError):
    code = "PAYLOAD_TOO_LARGE"
    status_code = 413


class DefinitionInputError(InputError):
    """An invalid guideline set, rule or configuration (message carries file:line)."""

    code = "INVALID_DEFINITION"
    status_code = 422


class NotFoundError(ComplianceError):
    code = "NOT_FOUND"
    status_code = 404


class RetryLaterError(ComplianceError):
    """A refusal the client should retry after ``retry_after`` seconds (429, 503); the API
    sends the delay as ``Retry-After``."""

    def __init__(self, message: str, *, retry_after: float, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after
