from django.contrib.auth.decorators import login_not_required
from django.urls import path

from pods.api import views

app_name = "api"

# The API authenticates itself (session or token, DRF); the login redirect of the pages does not apply.
urlpatterns = [
    path("pods", login_not_required(views.PodListView.as_view()), name="pod-list"),
    path("pods/<str:uid>", login_not_required(views.PodDetailView.as_view()), name="pod-detail"),
]
