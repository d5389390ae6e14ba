from django.urls import path

from civicgrid.services import views

app_name = "services"

urlpatterns = [
    path("", views.index, name="index"),
    path("programmes/<int:programme_id>/", views.programme_detail, name="programme"),
    path(
        "programmes/<int:programme_id>/eligible.xlsx",
        views.programme_export,
        name="programme_export",
    ),
    path("programmes/<int:programme_id>/waiver/", views.programme_waiver, name="programme_waiver"),
    path("canteens/<int:canteen_id>/", views.canteen_detail, name="canteen"),
    path("canteens/<int:canteen_id>/counter/", views.counter, name="counter"),
    path("canteens/<int:canteen_id>/meals/", views.meal_record, name="meal"),
    path("canteens/<int:canteen_id>/menu/", views.menu_set, name="menu"),
    path("canteens/<int:canteen_id>/settle/", views.settlement_close, name="settle"),
    path(
        "canteens/<int:canteen_id>/settlement.xlsx",
        views.settlement_export,
        name="settlement_export",
    ),
    path("programmes/<int:programme_id>/handover/", views.handover, name="handover"),
    path("programmes/<int:programme_id>/donation/", views.donation, name="donation"),
    path("doorstep/", views.visits, name="visits"),
    path("doorstep/record/", views.visit_record, name="visit_record"),
    path("programmes/<int:programme_id>/enrol/", views.enrolment_new, name="enrol"),
    path("enrolments/<int:enrolment_id>/withdraw/", views.enrolment_withdraw, name="withdraw"),
    path("childcare/<int:site_id>/today/", views.childcare_today, name="today"),
    path("sessions/<int:session_id>/check-in/", views.attendance_check_in, name="check_in"),
    path("sessions/<int:session_id>/check-out/", views.attendance_check_out, name="check_out"),
]
