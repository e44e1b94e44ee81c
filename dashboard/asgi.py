"""ASGI entry point: Django for HTTP, the live dashboard's consumers for WebSockets.

WebSockets go through the session authentication of the pages (`AuthMiddlewareStack`) and accept only
origins in ALLOWED_HOSTS (`AllowedHostsOriginValidator`), so another site cannot open a socket with a
visitor's cookies. Consumers refuse anonymous users themselves (close code 4401).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

django_asgi_app = get_asgi_application()

# Django must be set up before Channels' auth and the consumers are imported.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from pods.live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
