from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, path
from rest_framework.views import APIView

from pods.api import clusters, compare, incident, logs, report_rows, reports, resources, views

app_name = "api"


def _open(route: str, view: type[APIView], name: str) -> URLPattern:
    """The API authenticates itself (session or token, DRF): the pages' login redirect does not apply."""
    return path(route, login_not_required(view.as_view()), name=name)


urlpatterns = [
    _open("pods", views.PodListView, "pod-list"),
    _open("pods/<str:uid>", views.PodDetailView, "pod-detail"),
    _open("pods/<str:uid>/logs", logs.PodLogsView, "pod-logs"),
    _open("clusters", clusters.ClusterListView, "cluster-list"),
    _open("workloads", views.WorkloadListView, "workload-list"),
    _open("reports/init-containers", reports.InitContainerReportView, "report-init-containers"),
    _open("reports/pod-startup", reports.PodStartupReportView, "report-pod-startup"),
    _open("reports/nodes", reports.NodeReportView, "report-nodes"),
    _open("reports/resources", resources.ResourceReportView, "report-resources"),
    _open(
        "reports/init-containers/trend", report_rows.InitContainerTrendView, "report-init-containers-trend"
    ),
    _open("reports/init-containers/pods", report_rows.InitContainerPodsView, "report-init-containers-pods"),
    _open("reports/init-containers/compare", compare.CompareView, "report-init-containers-compare"),
    _open("reports/incident", incident.IncidentView, "report-incident"),
]
