from django.urls import path

from kyocho.staff import registry_views, views

app_name = "staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/<str:reference>/", views.report_detail, name="report"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("registry/", registry_views.registry, name="registry"),
    path("registry/changes/", registry_views.registry_changes, name="registry_changes"),
    path("registry/terms/", registry_views.terms, name="registry_terms"),
    path("registry/import/", registry_views.import_list, name="registry_import"),
    path("registry/<int:registration_id>/", registry_views.registration_detail, name="registration"),
]
