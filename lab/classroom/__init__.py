"""Classes: teachers, join codes, assignments of a lesson step with hidden seeds and faults,
submissions graded on the server, re-grading with history, results (docs/classroom.md)."""
