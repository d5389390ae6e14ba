from django.urls import path

from civicgrid.care import views

app_name = "care"

urlpatterns = [
    path("", views.console, name="console"),
    path("stream/", views.console_stream, name="stream"),
    path("alarms/<int:pk>/", views.alarm_detail, name="alarm"),
    path("alarms/<int:pk>/row/", views.alarm_row, name="alarm_row"),
    path("alarms/<int:pk>/move/", views.alarm_move_view, name="alarm_move"),
    path("devices/", views.device_list, name="devices"),
    path("reminders/", views.reminders, name="reminders"),
    path("reminders/<int:pk>/done/", views.reminder_done, name="reminder_done"),
]
