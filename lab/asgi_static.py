"""The entry point scripts/start.sh and tests.livelab start Daphne with. Static files no longer need
a handler of their own: WhiteNoise (first after SecurityMiddleware in lab/settings.py) serves
/static/ from STATIC_ROOT, hashed, compressed and cached for a year, in `lab.asgi:application`
itself, so this is the same application under its old name."""
from lab.asgi import application

__all__ = ["application"]

# The embedded server owns its simulation workers: start them now, so runs left queued by a
# restart start without anyone posting a new one (lab/runs/embedded.py). Tests that import
# lab.asgi in-process never import this module.
from lab.runs import embedded  # noqa: E402

embedded.boot()
