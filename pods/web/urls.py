from django.urls import path

from pods.web import clusters, compare, incident, reports, resources, views

app_name = "pods"

urlpatterns = [
    path("", views.pod_list, name="list"),
    path("fragments/pods/", views.pod_list_fragment, name="list-fragment"),
    path("pods/<str:uid>/", views.pod_detail, name="detail"),
    path("pods/<str:uid>/fragment/", views.pod_detail_fragment, name="detail-fragment"),
    path("clusters/", clusters.cluster_list, name="clusters"),
    path("fragments/freshness/", clusters.freshness_fragment, name="freshness-fragment"),
    path("reports/", reports.reports_page, name="reports"),
    path("reports/row/", reports.report_row, name="report-row"),
    path("reports/resources/", resources.resources_report, name="report-resources"),
    path("reports/compare/", compare.compare_page, name="compare"),
    path("reports/incident/", incident.incident_page, name="incident"),
]
