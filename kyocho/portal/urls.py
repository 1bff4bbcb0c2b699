from django.urls import path

from kyocho.portal import conversation_views, key_views, registry_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("reports/<str:reference>/", views.report_detail, name="report"),
    path("reports/<str:reference>/attachments/<int:attachment_id>/", views.report_attachment, name="report_attachment"),
    path(
        "reports/<str:reference>/case-attachments/<int:attachment_id>/",
        conversation_views.report_case_attachment,
        name="report_case_attachment",
    ),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("cases/<str:reference>/threads/<int:thread_id>/", conversation_views.thread, name="thread"),
    path(
        "cases/<str:reference>/threads/<int:thread_id>/attachments/<int:attachment_id>/",
        conversation_views.thread_attachment,
        name="thread_attachment",
    ),
    path("registry/", registry_views.registry_home, name="registry"),
    path("registry/<int:registration_id>/", registry_views.registration_detail, name="registration"),
    path("registry/<int:registration_id>/keys/", key_views.add_key, name="add_key"),
    path("registry/<int:registration_id>/keys/<int:key_id>/", key_views.key_change, name="key"),
    path("registry/<int:registration_id>/security-txt/", key_views.security_txt, name="security_txt"),
]
