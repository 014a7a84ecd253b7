from django.urls import path

from . import election_views, views, views_papers

app_name = "governance"

urlpatterns = [
    path("", views.index, name="index"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/check-in/", views.session_check_in, name="session_check_in"),
    path("motions/<int:pk>/withdraw/", views.motion_withdraw, name="motion_withdraw"),
    path("ballots/<int:pk>/", views.ballot_detail, name="ballot"),
    path("ballots/<int:pk>/confirm/", views.ballot_confirm, name="ballot_confirm"),
    path("ballots/<int:pk>/vote/", views.ballot_vote, name="ballot_vote"),
    path("ballots/<int:pk>/turnout/", views.ballot_turnout, name="ballot_turnout"),
    path("ballots/<int:pk>/open/", views.ballot_open, name="ballot_open"),
    path("ballots/<int:pk>/close/", views.ballot_close, name="ballot_close"),
    path("ballots/<int:pk>/publish/", views.ballot_publish, name="ballot_publish"),
    path("elections/<int:pk>/", election_views.election_detail, name="election"),
    path("elections/<int:pk>/confirm/", election_views.election_confirm, name="election_confirm"),
    path("elections/<int:pk>/vote/", election_views.election_vote, name="election_vote"),
    path("elections/<int:pk>/open/", election_views.election_open, name="election_open"),
    path("elections/<int:pk>/close/", election_views.election_close, name="election_close"),
    path("elections/<int:pk>/publish/", election_views.election_publish, name="election_publish"),
    path("register/", views.register, name="register"),
    path("register/feed/", views.ResolutionFeed(), name="register_feed"),
    path("register/<int:pk>/", views.resolution_detail, name="resolution"),
    path("member-states/", views.member_states, name="member_states"),
    path("papers/<int:pk>/", views_papers.paper_download, name="paper_download"),
    path("register/documents/", views_papers.register_documents, name="register_documents"),
    path("register/minutes/<int:pk>/", views_papers.minutes_detail, name="minutes"),
    path("membership/", views.membership_register, name="membership"),
    path("ratifications/", views.ratification_register, name="ratifications"),
]
