from django.contrib.auth.decorators import login_not_required
from django.urls import path

from pods.api import clusters, logs, views

app_name = "api"

# The API authenticates itself (session or token, DRF); the login redirect of the pages does not apply.
urlpatterns = [
    path("pods", login_not_required(views.PodListView.as_view()), name="pod-list"),
    path("pods/<str:uid>", login_not_required(views.PodDetailView.as_view()), name="pod-detail"),
    path("pods/<str:uid>/logs", login_not_required(logs.PodLogsView.as_view()), name="pod-logs"),
    path("clusters", login_not_required(clusters.ClusterListView.as_view()), name="cluster-list"),
    path("workloads", login_not_required(views.WorkloadListView.as_view()), name="workload-list"),
]
