"""The one vocabulary for saying no, shared by the engine, the web services, the API and the
websocket consumers.

A *problem* is `{"path", "message", "severity"}`: where in the input (a JSON path, "$" for the
whole), a sentence a student understands, and "error" or "warning". `Refused` is the one
exception that carries problems: validation raises it (as `InvalidTopology`), the strict JSON
reader raises it (as `JsonRefused`), and every service that cannot do what it was asked raises
it with the HTTP status the web side answers with. The engine never looks at `status`; it is
carried here so that a refusal means the same thing wherever it is caught.

It imports nothing but the standard library, so every layer can import it.
"""
from __future__ import annotations

from typing import Literal, TypedDict


class Problem(TypedDict):
    path: str
    message: str
    severity: Literal["error", "warning"] | str


def problem(path: str, message: str, severity: str = "error") -> Problem:
    return {"path": path, "message": message, "severity": severity}


def errors(problems: list[Problem]) -> list[Problem]:
    """The problems that refuse (warnings only advise)."""
    return [p for p in problems if p["severity"] == "error"]


class Refused(ValueError):
    """What was asked cannot be done. `problems` say why (at least one); `status` is the HTTP
    status to answer with (400 unless the refusal says otherwise: 404, 409, 413, 429, 503);
    `retry_after` is the seconds to suggest with a 429 or 503."""

    def __init__(self, problems: list[Problem] | str, *, status: int = 400, path: str = "$",
                 retry_after: int | None = None) -> None:
        if isinstance(problems, str):
            problems = [problem(path, problems)]
        self.problems = problems
        self.status = status
        self.retry_after = retry_after
        first = problems[0]["message"] if problems else "refused"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)
