from django.urls import path

from kyocho.public import registry_views, report_views, views

app_name = "public"
urlpatterns = [
    path("", views.index, name="index"),
    path("report/", report_views.choose, name="report_choose"),
    path("report/key.asc", report_views.coordinator_key, name="report_key"),
    path("report/received/", report_views.report_received, name="report_received"),
    path("report/<slug:slug>/", report_views.report_form, name="report_form"),
    path("track/<str:token>/", report_views.track, name="track"),
    path("track/<str:token>/attachments/<int:attachment_id>/", report_views.track_attachment, name="track_attachment"),
    path(
        "track/<str:token>/case-attachments/<int:attachment_id>/",
        report_views.track_case_attachment,
        name="track_case_attachment",
    ),
    path("developers/", registry_views.developers, name="developers"),
    path("developers/register/", registry_views.register, name="register"),
    path("developers/register/received/", registry_views.registration_received, name="registration_received"),
]
