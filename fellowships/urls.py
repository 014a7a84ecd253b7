from django.urls import path

from .views import applicant, public, review, staff

app_name = "fellowships"

urlpatterns = [
    path("", public.call_list, name="call_list"),
    path("calls/<slug:slug>/", public.call_detail, name="call_detail"),
    path("calls/<slug:slug>/apply/", applicant.apply, name="apply"),
    path("circulation/", public.circulation, name="circulation"),
    path("referee/<str:token>/", public.referee_upload, name="referee_upload"),
    path("mine/", applicant.my_applications, name="my_applications"),
    path("applications/<int:pk>/", applicant.application_status, name="application_status"),
    path("applications/<int:pk>/step/<int:step>/", applicant.application_step, name="application_step"),
    path("applications/<int:pk>/documents/", applicant.upload_documents, name="upload_documents"),
    path("applications/<int:pk>/referees/", applicant.invite_referee, name="invite_referee"),
    path("applications/<int:pk>/submit/", applicant.submit, name="submit"),
    path("applications/<int:pk>/withdraw/", applicant.withdraw, name="withdraw"),
    path("my-data/", applicant.my_data, name="my_data"),
    path("my-data/erase/", applicant.request_erasure, name="request_erasure"),
    path("reviews/", review.queue, name="review_queue"),
    path("reviews/<int:pk>/", review.review_form, name="review_form"),
    path("reviews/<int:pk>/conflict/", review.declare_conflict, name="declare_conflict"),
    path("reviews/<int:pk>/plan/", review.review_plan, name="review_plan"),
    path("staff/", staff.calls, name="staff_calls"),
    path("staff/calls/<int:pk>/", staff.call_applications, name="staff_call"),
    path("staff/calls/<int:pk>/assign/", staff.assign, name="staff_assign"),
    path("staff/calls/<int:pk>/ranking/", staff.ranking, name="staff_ranking"),
    path("staff/calls/<int:pk>/decide/", staff.decide_bulk, name="staff_decide"),
    path("staff/calls/<int:pk>/export/", staff.export, name="staff_export_start"),
    path("staff/exports/<int:pk>/", staff.export_status, name="staff_export"),
    path("staff/applications/<int:pk>/", staff.application_detail, name="staff_application"),
    path("staff/applications/<int:pk>/<str:action>/", staff.application_action, name="staff_application_action"),
]
