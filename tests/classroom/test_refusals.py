"""The classroom's and the authored lessons' refusals are the one refusal (lab.sim.problems.Refused),
so the API's handler answers them as it answers any: no view converts them by hand."""
from __future__ import annotations

from lab.classroom import forms
from lab.classroom.errors import ClassroomRefused
from lab.lessons.authored_services import AuthoredRefused
from lab.lessons.services import LessonRefused
from lab.sim.problems import Refused


def test_every_refusal_of_the_web_side_is_the_one_refusal() -> None:
    for kind in (ClassroomRefused, AuthoredRefused, LessonRefused):
        refused = kind("no", status=409, path="$.code")
        assert isinstance(refused, Refused)
        assert (refused.status, refused.problems) == (409, [{"path": "$.code", "message": "no", "severity": "error"}])


def test_hidden_faults_that_are_not_strict_json_are_one_problem_at_their_field() -> None:
    typed = {**{k: "" for k in forms.ASSIGNMENT_TEXT}, "step": "l/s", "hidden_faults": '[{"at_s": NaN}]',
             "show_hints": True, "show_reference": False, "points": {}}
    _, problems = forms.assignment_arguments(typed)
    assert problems == [{"path": "$.hidden_faults", "severity": "error",
                         "message": "hidden faults are a JSON list of faults (the hidden faults is not valid JSON: "
                                    "NaN is not a number JSON allows)"}]
