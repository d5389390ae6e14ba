from django.urls import path

from civicgrid.ops import views

app_name = "ops"

urlpatterns = [
    path("", views.status, name="status"),
    path("notice/", views.notice, name="notice"),
]
