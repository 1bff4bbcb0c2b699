from django.urls import path

from kyocho.staff import (
    candidate_views,
    conversation_views,
    followup_views,
    inbound_views,
    key_views,
    notify_views,
    registry_views,
    review_views,
    triage_views,
    views,
    vulnerability_views,
)

app_name = "staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/", triage_views.report_list, name="reports"),
    path("reports/<str:reference>/", triage_views.report_detail, name="report"),
    path("reports/<str:reference>/<slug:transition>/", triage_views.report_transition, name="report_transition"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("cases/<str:reference>/audit/", views.case_audit, name="case_audit"),
    path("cases/<str:reference>/candidates/", candidate_views.candidates, name="candidates"),
    path("cases/<str:reference>/candidates/add/", candidate_views.add_candidate, name="add_candidate"),
    path("cases/<str:reference>/developers/<int:organisation_id>/", followup_views.developer_detail, name="developer"),
    path("cases/<str:reference>/threads/", conversation_views.open_thread, name="open_thread"),
    path("cases/<str:reference>/threads/developers/", conversation_views.developer_threads, name="developer_threads"),
    path("cases/<str:reference>/threads/new-product/", conversation_views.new_product_thread, name="product_thread"),
    path("cases/<str:reference>/threads/<int:thread_id>/", conversation_views.thread, name="thread"),
    path(
        "cases/<str:reference>/threads/<int:thread_id>/participants/",
        conversation_views.thread_participants,
        name="thread_participants",
    ),
    path(
        "cases/<str:reference>/threads/<int:thread_id>/attachments/<int:attachment_id>/",
        conversation_views.thread_attachment,
        name="thread_attachment",
    ),
    path("mail/", inbound_views.inbound_list, name="inbound"),
    path("mail/<int:mail_id>/", inbound_views.inbound_detail, name="inbound_mail"),
    path("mail/<int:mail_id>/raw/", inbound_views.inbound_raw, name="inbound_raw"),
    path(
        "cases/<str:reference>/vulnerabilities/new/",
        vulnerability_views.vulnerability_new,
        name="vulnerability_new",
    ),
    path(
        "cases/<str:reference>/vulnerabilities/<int:vulnerability_id>/",
        vulnerability_views.vulnerability_detail,
        name="vulnerability",
    ),
    path(
        "cases/<str:reference>/vulnerabilities/<int:vulnerability_id>/ssvc/<slug:decision>/",
        vulnerability_views.vulnerability_ssvc,
        name="vulnerability_ssvc",
    ),
    path(
        "cases/<str:reference>/vulnerabilities/<int:vulnerability_id>/cve/<slug:operation>/",
        vulnerability_views.vulnerability_cve,
        name="vulnerability_cve",
    ),
    path("cases/<str:reference>/reviews/", review_views.review, name="review"),
    path("cases/<str:reference>/notify/", notify_views.notify, name="notify"),
    path("registry/", registry_views.registry, name="registry"),
    path("registry/changes/", registry_views.registry_changes, name="registry_changes"),
    path("registry/terms/", registry_views.terms, name="registry_terms"),
    path("registry/import/", registry_views.import_list, name="registry_import"),
    path("registry/<int:registration_id>/", registry_views.registration_detail, name="registration"),
    path("registry/<int:registration_id>/keys/<int:key_id>/", key_views.key_check, name="key"),
]
