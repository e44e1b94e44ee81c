from django.urls import path

from pods.web import clusters, views

app_name = "pods"

urlpatterns = [
    path("", views.pod_list, name="list"),
    path("fragments/pods/", views.pod_list_fragment, name="list-fragment"),
    path("pods/<str:uid>/", views.pod_detail, name="detail"),
    path("pods/<str:uid>/fragment/", views.pod_detail_fragment, name="detail-fragment"),
    path("clusters/", clusters.cluster_list, name="clusters"),
    path("fragments/freshness/", clusters.freshness_fragment, name="freshness-fragment"),
]
