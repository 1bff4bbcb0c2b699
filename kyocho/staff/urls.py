from django.urls import path

from kyocho.staff import candidate_views, views

app_name = "staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/<str:reference>/", views.report_detail, name="report"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("cases/<str:reference>/candidates/", candidate_views.candidates, name="candidates"),
    path("cases/<str:reference>/candidates/add/", candidate_views.add_candidate, name="add_candidate"),
]
