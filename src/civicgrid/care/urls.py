from django.urls import path

from civicgrid.care import reminder_pages, views

app_name = "care"

urlpatterns = [
    path("", views.console, name="console"),
    path("stream/", views.console_stream, name="stream"),
    path("alarms/<int:pk>/", views.alarm_detail, name="alarm"),
    path("alarms/<int:pk>/row/", views.alarm_row, name="alarm_row"),
    path("alarms/<int:pk>/move/", views.alarm_move_view, name="alarm_move"),
    path("devices/", views.device_list, name="devices"),
    path("devices/new/", views.device_create, name="device_create"),
    path("devices/<int:pk>/", views.device_detail, name="device"),
    path("devices/<int:pk>/unbind/", views.device_unbind, name="device_unbind"),
    path("devices/<int:pk>/replace/", views.device_replace, name="device_replace"),
    path("devices/<int:pk>/credential/", views.device_credential, name="device_credential"),
    path("devices/<int:pk>/responders/", views.responder_add, name="responder_add"),
    path(
        "devices/<int:pk>/responders/<int:responder_pk>/",
        views.responder_change,
        name="responder_change",
    ),
    path("devices/<int:pk>/geofences/", views.geofence_add, name="geofence_add"),
    path(
        "devices/<int:pk>/geofences/<int:fence_pk>/deactivate/",
        views.geofence_deactivate,
        name="geofence_deactivate",
    ),
    path("reminders/", views.reminders, name="reminders"),
    path(
        "residents/<int:resident_id>/reminders/new/",
        reminder_pages.reminder_new,
        name="reminder_new",
    ),
    path("reminders/<int:reminder_id>/stop/", reminder_pages.reminder_stop, name="reminder_stop"),
    path("reminders/<int:pk>/done/", views.reminder_done, name="reminder_done"),
]
