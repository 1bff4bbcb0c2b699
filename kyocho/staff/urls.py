from django.urls import path

from kyocho.staff import candidate_views, key_views, notify_views, registry_views, triage_views, views

app_name = "staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/", triage_views.report_list, name="reports"),
    path("reports/<str:reference>/", triage_views.report_detail, name="report"),
    path("reports/<str:reference>/<slug:transition>/", triage_views.report_transition, name="report_transition"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("cases/<str:reference>/candidates/", candidate_views.candidates, name="candidates"),
    path("cases/<str:reference>/candidates/add/", candidate_views.add_candidate, name="add_candidate"),
    path("cases/<str:reference>/notify/", notify_views.notify, name="notify"),
    path("registry/", registry_views.registry, name="registry"),
    path("registry/changes/", registry_views.registry_changes, name="registry_changes"),
    path("registry/terms/", registry_views.terms, name="registry_terms"),
    path("registry/import/", registry_views.import_list, name="registry_import"),
    path("registry/<int:registration_id>/", registry_views.registration_detail, name="registration"),
    path("registry/<int:registration_id>/keys/<int:key_id>/", key_views.key_check, name="key"),
]
