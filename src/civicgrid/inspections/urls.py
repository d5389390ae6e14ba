from django.urls import path

from civicgrid.inspections import views

app_name = "inspections"

urlpatterns = [
    path("", views.business_list, name="businesses"),
    path("businesses/new/", views.business_new, name="business_new"),
    path("businesses/import/", views.business_import, name="business_import"),
    path("businesses/template.xlsx", views.business_template, name="business_template"),
    path("businesses/<int:business_id>/", views.business_detail, name="business"),
    path("businesses/<int:business_id>/equipment/", views.equipment_add, name="equipment_add"),
    path("businesses/<int:business_id>/licences/", views.licence_add, name="licence_add"),
    path("businesses/<int:business_id>/conflict/", views.conflict_declare, name="conflict"),
    path("businesses/<int:business_id>/inspect/", views.inspection_start, name="start"),
    path("equipment/", views.equipment_list, name="equipment"),
    path("equipment/<int:equipment_id>/verified/", views.equipment_verified, name="verified"),
    path("checklists/", views.checklist_list, name="checklists"),
    path("checklists/upload/", views.checklist_upload, name="checklist_upload"),
    path("checklists/download/", views.checklist_download, name="checklist_file"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/draw/", views.campaign_draw, name="campaign_draw"),
    path("campaigns/<int:campaign_id>/export/", views.campaign_export, name="campaign_export"),
    path("public/<int:campaign_id>/", views.campaign_public, name="public"),
    path("visits/<int:inspection_id>/", views.inspection_detail, name="inspection"),
    path("photos/<uuid:photo_key>/", views.inspection_photo, name="photo"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path("orders/<int:order_id>/recheck/", views.order_recheck, name="order_recheck"),
    path("orders/<int:order_id>/docx/", views.order_docx, name="order_docx"),
    path("figures/", views.figures_page, name="figures"),
]
