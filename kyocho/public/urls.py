from django.urls import path

from kyocho.public import report_views, views

app_name = "public"
urlpatterns = [
    path("", views.index, name="index"),
    path("report/", report_views.choose, name="report_choose"),
    path("report/key.asc", report_views.coordinator_key, name="report_key"),
    path("report/received/", report_views.report_received, name="report_received"),
    path("report/<slug:slug>/", report_views.report_form, name="report_form"),
    path("track/<str:token>/", report_views.track, name="track"),
    path("track/<str:token>/attachments/<int:attachment_id>/", report_views.track_attachment, name="track_attachment"),
]
