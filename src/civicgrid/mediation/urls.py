from django.urls import path

from civicgrid.mediation import views
from civicgrid.mediation.flow import A

app_name = "mediation"


def _move(slug: str, action: str):
    return path(
        f"<int:dispute_id>/{slug}/", views.dispute_move, {"action": action}, name=f"move_{slug}"
    )


urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("new/", views.dispute_new, name="new"),
    path("rooms/", views.rooms, name="rooms"),
    path("from-case/<int:case_id>/", views.dispute_from_case, name="from_case"),
    path("from-need/<int:need_id>/", views.dispute_from_need, name="from_need"),
    path("<int:dispute_id>/", views.dispute_detail, name="detail"),
    _move("session", A.SESSION),
    _move("sign", A.SIGN),
    _move("oral", A.ORAL),
    _move("fail", A.FAIL),
    _move("follow-up", A.FOLLOW_UP),
    path("<int:dispute_id>/agreement/", views.agreement_save, name="agreement"),
    path("<int:dispute_id>/correct/", views.agreement_correct, name="correct"),
    path("parties/<int:party_id>/reveal/", views.party_reveal, name="reveal"),
    path("agreements/<int:agreement_id>.docx", views.agreement_docx, name="docx"),
]
