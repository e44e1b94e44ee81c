"""WebSocket URL patterns of the live dashboard (mounted by `dashboard.asgi`)."""

from django.urls import path

from pods.live import consumers

websocket_urlpatterns = [
    path("ws/pods/", consumers.OverviewConsumer.as_asgi()),
    path("ws/pods/<str:uid>/", consumers.PodConsumer.as_asgi()),
]
