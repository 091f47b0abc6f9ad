"""ASGI entry point: HTTP through Django, websockets through Channels behind an origin check and
the session/auth middleware."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lab.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi = get_asgi_application()  # before importing consumers: it sets Django up

from django.urls import get_resolver  # noqa: E402

# Import every URL module now (the REST API pulls in DRF and drf-spectacular, close to a second
# of imports) so the server pays it at start, not the first visitor.
get_resolver().url_patterns

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from lab.live.routing import websocket_urlpatterns as live_sockets  # noqa: E402
from lab.runs.routing import websocket_urlpatterns as run_sockets  # noqa: E402
from lab.studies.routing import websocket_urlpatterns as study_sockets  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi,
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(run_sockets + live_sockets + study_sockets))),
})
