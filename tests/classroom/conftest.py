from .helpers import assignment, classroom, lessons_dir, olga, sam, tess, uma  # noqa: F401
