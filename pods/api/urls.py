from django.contrib.auth.decorators import login_not_required
from django.urls import path

from pods.api import clusters, compare, incident, logs, report_rows, reports, resources, views

app_name = "api"

# The API authenticates itself (session or token, DRF); the login redirect of the pages does not apply.
urlpatterns = [
    path("pods", login_not_required(views.PodListView.as_view()), name="pod-list"),
    path("pods/<str:uid>", login_not_required(views.PodDetailView.as_view()), name="pod-detail"),
    path("pods/<str:uid>/logs", login_not_required(logs.PodLogsView.as_view()), name="pod-logs"),
    path("clusters", login_not_required(clusters.ClusterListView.as_view()), name="cluster-list"),
    path("workloads", login_not_required(views.WorkloadListView.as_view()), name="workload-list"),
    path(
        "reports/init-containers",
        login_not_required(reports.InitContainerReportView.as_view()),
        name="report-init-containers",
    ),
    path(
        "reports/pod-startup",
        login_not_required(reports.PodStartupReportView.as_view()),
        name="report-pod-startup",
    ),
    path("reports/nodes", login_not_required(reports.NodeReportView.as_view()), name="report-nodes"),
    path(
        "reports/resources",
        login_not_required(resources.ResourceReportView.as_view()),
        name="report-resources",
    ),
    path(
        "reports/init-containers/trend",
        login_not_required(report_rows.InitContainerTrendView.as_view()),
        name="report-init-containers-trend",
    ),
    path(
        "reports/init-containers/pods",
        login_not_required(report_rows.InitContainerPodsView.as_view()),
        name="report-init-containers-pods",
    ),
    path(
        "reports/init-containers/compare",
        login_not_required(compare.CompareView.as_view()),
        name="report-init-containers-compare",
    ),
    path("reports/incident", login_not_required(incident.IncidentView.as_view()), name="report-incident"),
]
