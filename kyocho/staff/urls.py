from django.urls import path

from kyocho.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/<str:reference>/", views.report_detail, name="report"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
]
