"""Guided lessons: lesson folders (content/), their loader and schema, goals and grading. The
modules here import no Django, so the same grading serves the server, the tests and the command
line (python -m lab.lessons)."""
