from django.urls import path

from civicgrid.notify import views

app_name = "notify"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.notice_read, name="read"),
    path("receipts/sms/<str:receipt_token>/", views.sms_receipt, name="sms_receipt"),
]
