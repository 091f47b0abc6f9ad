"""The ASGI application plus static files, for the embedded single-machine lab (Daphne alone
serves no static files). A production deployment serves /static/ from a web server instead."""
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from lab.asgi import application as _application

application = ASGIStaticFilesHandler(_application)

# The embedded server owns its simulation workers: start them now, so runs left queued by a
# restart start without anyone posting a new one (lab/runs/embedded.py).
from lab.runs import embedded  # noqa: E402

embedded.boot()
