"""Errors of GTC sources. Transient errors are retried, count toward the circuit breaker and
trigger failover and stale-cache fallback; permanent errors are reported as they are.

    GtcError
    ├── GtcTransientError          retry / fail over / fall back to the cache
    │   ├── SmartSearchTimeout
    │   ├── SmartSearchConnectionError
    │   ├── SmartSearchServerError      5xx
    │   ├── SmartSearchRateLimited      429 (``retry_after``), or the local rate limit
    │   └── GtcSourceUnavailable        every endpoint failed or every breaker is open
    └── GtcPermanentError          the request itself is wrong: do not retry
        ├── SmartSearchAuthError        401 / 403 — configuration, not an outage
        ├── GtcNotFound                 404 — no such document
        ├── SmartSearchRequestError     400 / 422 / other 4xx
        ├── SmartSearchContractError    a 2xx answer that does not match the contract
        └── GtcDocumentError            the file cannot be read as a GTC (corrupt PDF …)
"""

from __future__ import annotations

from typing import Any

from compliance_assistant.errors import ComplianceError


class GtcError(ComplianceError):
    code = "GTC_ERROR"
    status_code = 502


class GtcTransientError(GtcError):
    code = "GTC_UNAVAILABLE"
    status_code = 503
    # The HTTP response that carried the error, when there was one: the retry policy reads
    # its Retry-After header (resilience.retry.retry_after_seconds).
    response: Any = None


class SmartSearchTimeout(GtcTransientError):
    code = "SMART_SEARCH_TIMEOUT"
    status_code = 504


class SmartSearchConnectionError(GtcTransientError):
    code = "SMART_SEARCH_UNREACHABLE"


class SmartSearchServerError(GtcTransientError):
    code = "SMART_SEARCH_SERVER_ERROR"

    def __init__(self, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(message, details={"status": status})
        self.status = status
        self.retry_after = retry_after


class SmartSearchRateLimited(GtcTransientError):
    code = "SMART_SEARCH_RATE_LIMITED"
    status_code = 429

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class GtcSourceUnavailable(GtcTransientError):
    """No endpoint could answer (each failed transiently or has an open breaker)."""


class GtcPermanentError(GtcError):
    code = "GTC_REQUEST_FAILED"
    status_code = 502


class SmartSearchAuthError(GtcPermanentError):
    code = "SMART_SEARCH_AUTH_FAILED"


class GtcNotFound(GtcPermanentError):
    code = "GTC_NOT_FOUND"
    status_code = 404


class SmartSearchRequestError(GtcPermanentError):
    code = "SMART_SEARCH_REJECTED"

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, details={"status": status})
        self.status = status


class SmartSearchContractError(GtcPermanentError):
    code = "SMART_SEARCH_CONTRACT"


class GtcDocumentError(GtcPermanentError):
    code = "GTC_DOCUMENT_UNREADABLE"
    status_code = 422
