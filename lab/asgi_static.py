"""The ASGI application plus static files, for the embedded single-machine lab (Daphne alone
serves no static files). A production deployment serves /static/ from a web server instead."""
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from lab.asgi import application as _application

application = ASGIStaticFilesHandler(_application)
