from .helpers import assignment, classroom, lessons_dir, olga, sam, tess, uma  # noqa: F401
from .pupil_helpers import tom  # noqa: F401  (test_challenges.py and test_pupil_review.py have their own)
