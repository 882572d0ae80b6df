"""Domain errors. Each carries its HTTP status, a stable code and a message a person can act on.

Code below the API raises these; one handler (core.api.errors) turns them into responses, so
views hold no try/except of their own.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code
        self.details = details


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
