"""The classroom's refusal: lab.sim.problems.Refused (every problem, its HTTP status), as a class
of its own so the classroom's pages can catch what the classroom refused and show it beside the
form, while a refusal from elsewhere (a run's quota) goes on to the error handling of the site.
The API needs nothing of it: its handler answers any Refused (lab.api.errors)."""
from __future__ import annotations

from lab.sim.problems import Refused


class ClassroomRefused(Refused):
    pass
