from django.urls import path

from pods import views

app_name = "pods"

urlpatterns = [
    path("", views.pod_list, name="list"),
    path("pods/<str:uid>/", views.pod_detail, name="detail"),
]
