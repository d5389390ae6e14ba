from django.urls import path

from civicgrid.volunteers import views

app_name = "volunteers"

urlpatterns = [
    path("", views.volunteer_list, name="list"),
    path("new/", views.volunteer_new, name="new"),
    path("me/", views.me, name="me"),
    path("<int:pk>/", views.volunteer_detail, name="detail"),
    path("<int:pk>/adjust/", views.volunteer_adjust, name="adjust"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/new/", views.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path("activities/<int:pk>/signup/", views.activity_signup, name="signup"),
    path("activities/<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("activities/<int:pk>/qr/", views.activity_qr, name="qr"),
    path("activities/<int:pk>/scan/", views.activity_scan, name="scan"),
    path("activities/<int:pk>/attendance/", views.activity_attendance, name="attendance"),
    path("exchange/", views.counter_list, name="exchange"),
    path("exchange/<int:pk>/", views.counter_detail, name="counter"),
    path("exchange/<int:pk>/redeem/", views.counter_redeem, name="redeem"),
    path("exchange/receipts/<int:pk>/", views.receipt, name="receipt"),
    path("exchange/receipts/<int:pk>/cancel/", views.receipt_cancel, name="receipt_cancel"),
    path("notebook/", views.notebook_page, name="notebook"),
    path("notebook/record/", views.need_record, name="need_record"),
    path("notebook/neighbours/", views.neighbour_search, name="neighbours"),
    path("notebook/<int:pk>/resolve/", views.need_resolve, name="need_resolve"),
    path("notebook/<int:pk>/case/", views.need_to_case, name="need_case"),
    path("figures/", views.figures, name="figures"),
]
