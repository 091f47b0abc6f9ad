"""The classroom's one refusal, with every problem and the HTTP status to answer."""
from __future__ import annotations

from lab.sim.problems import Problem


class ClassroomRefused(ValueError):
    def __init__(self, problems: list[Problem], status: int = 400) -> None:
        self.problems = problems
        self.status = status
        super().__init__(problems[0]["message"] if problems else "refused")
