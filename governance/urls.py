from django.urls import path

from . import views

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
    path("register/", views.register, name="register"),
    path("register/feed/", views.ResolutionFeed(), name="register_feed"),
    path("register/<int:pk>/", views.resolution_detail, name="resolution"),
    path("member-states/", views.member_states, name="member_states"),
    path("membership/", views.membership_register, name="membership"),
    path("ratifications/", views.ratification_register, name="ratifications"),
]
