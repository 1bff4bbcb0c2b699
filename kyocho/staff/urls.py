from django.urls import path

from kyocho.staff import triage_views, views

app_name = "staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/", triage_views.report_list, name="reports"),
    path("reports/<str:reference>/", triage_views.report_detail, name="report"),
    path("reports/<str:reference>/<slug:transition>/", triage_views.report_transition, name="report_transition"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
]
