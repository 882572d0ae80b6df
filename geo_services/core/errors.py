"""Domain errors. Each carries its HTTP status, a stable code and a message a person can act on.

Code below the API raises these; one handler (core.api.errors) turns them into responses, so
views hold no try/except of their own.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.utils.translation import gettext as _


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code
        self.details = details

    def response_headers(self) -> dict[str, str]:
        """HTTP headers the answer to this error carries (each error format adds them)."""
        return {}


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class OutsideDistricts(NotFound):
    """A location lies in no district of the jurisdiction(s) searched."""

    code = "outside_districts"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class ImportProblem(DomainError):
    """A boundary or layer file cannot be imported as it is; nothing was written."""

    code = "import_problem"


class Forbidden(DomainError):
    """The person is known but may not do this."""

    status = 403
    code = "forbidden"


class QueryTimeout(DomainError):
    """The database's statement time limit stopped the request's query (not the person's fault
    alone: load plays a part too, hence 503 rather than 400)."""

    status = 503
    code = "query_timeout"


class TooManyRequests(DomainError):
    """Over a rate limit or locked out of signing in for a while; `retry_after` says how long."""

    status = 429
    code = "too_many_requests"

    def __init__(
        self, message: str, *, retry_after: int, code: str | None = None, details: Any = None
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after = max(1, int(retry_after))

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


# PostgreSQL's SQLSTATE for a statement cancelled, here by statement_timeout (DB_STATEMENT_TIMEOUT_MS).
QUERY_CANCELED = "57014"


def as_domain_error(exc: BaseException) -> DomainError | None:
    """The domain error a lower-level failure stands for, when there is one the person can act on."""
    if isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED:
        return QueryTimeout(
            _(
                "The database stopped this request after %(seconds)s seconds. Ask for less (a smaller area, a district, filters, a smaller page) or try again later."
            )
            % {"seconds": round(settings.DB_STATEMENT_TIMEOUT_MS / 1000, 1)}
        )
    return None
