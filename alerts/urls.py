from django.contrib.auth.decorators import login_not_required
from django.urls import path

from alerts import api, views

# Included at the root: the page under /alerts/ (login required by the middleware), the API under
# /api/v1/ (DRF authenticates it: session or token).
urlpatterns = [
    path("alerts/", views.alert_page, name="alerts"),
    path("api/v1/alerts", login_not_required(api.AlertListView.as_view()), name="alerts-api"),
]
