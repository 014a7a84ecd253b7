"""Issue 10 item 1: the contribution-weighted rule weighs each state by its share in the adopted scale
in force when the ballot opens (no hand-kept share on the state), frozen in the electorate like
arrears. The secretariat switches the Council to the weighted rule, opens, closes and publishes the
ballots and adopts a new scale in the admin; the public ballot page shows the result and the shares
used. The same votes adopt the motion under the 2026 scale and reject it under the 2027 one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.urls import reverse

from finance.models import ScaleVersion
from governance import services
from governance.models import Appointment, Attendance, Ballot, Council, MemberState, Motion
from tests.admin_forms import messages_of, post_form
from tests.finance.test_admin import NNI_IMPORT
from tests.governance.factories import (
    AgendaItemFactory,
    BallotFactory,
    MotionFactory,
    SessionFactory,
    adopted_scale,
    appoint,
)

# The same named vote in both ballots: the big contributors for, the others against or abstaining.
VOTES = {"DE": "yes", "FR": "yes", "IT": "no", "NL": "no", "MT": "no", "ES": "abstain"}
BALLOTS = "/admin/governance/ballot/"


def _ballot(session: Any, title: str, delegates: dict[str, Any], staff: Any) -> Ballot:
    motion = MotionFactory(item=AgendaItemFactory(session=session), title=title, kind=Motion.Kind.ORDINARY)
    ballot = BallotFactory(motion=motion)
    opened = post_form(staff, BALLOTS, {"action": "open_ballots", "_selected_action": str(ballot.pk)})
    assert any("open ✓" in m for m in messages_of(opened)), messages_of(opened)
    for iso, choice in VOTES.items():
        services.cast_vote(ballot_id=ballot.pk, user=delegates[iso], choice=choice)
    for action in ("close_ballots", "publish_ballots"):
        post_form(staff, BALLOTS, {"action": action, "_selected_action": str(ballot.pk)})
    ballot.refresh_from_db()
    assert ballot.status == Ballot.Status.PUBLISHED
    return ballot


def _weights(page: str) -> dict[str, str]:
    import re

    table = page.split('id="weights-used"', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', table))


def test_a_weighted_ballot_counts_the_scale_in_force_when_it_opens(
    states: dict[str, MemberState], nni_csv: str, scale_motion: Motion, secretariat: Any, login: Any
) -> None:
    staff = login(secretariat)
    # The scale in force for 2026 (adopted before the portal computed scales).
    shares_2026 = {"DE": "40", "FR": "30", "IT": "10", "NL": "10", "ES": "5", "MT": "5"}
    adopted_scale({states[iso]: share for iso, share in shares_2026.items()}, first_year=2026)
    delegates = {iso: appoint(state, Appointment.Role.SCIENTIFIC) for iso, state in states.items()}
    session = SessionFactory(title="Council session")
    Attendance.objects.bulk_create([Attendance(session=session, state=s) for s in states.values()])
    council = session.council
    voting_rules = f"/admin/governance/council/{council.pk}/voting-rules/"  # the body's "Change the voting rules"
    post_form(staff, voting_rules, {"weighted_rule": "on", "reason": "Council decision 2026/3"})
    assert Council.objects.get(pk=council.pk).weighted_rule == Council.WeightedRule.ON
    public = staff  # the secretariat reads the Council's ballot pages

    with time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)):
        first = _ballot(session, "Open a node in Valletta", delegates, staff)
    page = public.get(f"/governance/ballots/{first.pk}/").content.decode()
    # 70 % of the weights cast (95 %) for, 3 of 6 members against: adopted.
    assert "Contribution-weighted simple majority" in page and "(70% of 95%)" in page
    assert first.outcome == Ballot.Outcome.ADOPTED
    assert _weights(page) == {
        "France": "30.000",
        "Germany": "40.000",
        "Italy": "10.000",
        "Malta": "5.000",
        "Netherlands": "10.000",
        "Spain": "5.000",
    }

    with time_machine.travel(dt.datetime(2027, 2, 1, 9, tzinfo=dt.UTC)):
        # The secretariat computes the 2027 scale from the NNI statistics and adopts it through its ballot.
        post_form(staff, NNI_IMPORT, {"csv_text": nni_csv})
        post_form(staff, reverse("admin:finance_scaleversion_add"), {"first_year": "2027", "last_year": "2027"})
        version = ScaleVersion.objects.get(first_year=2027)
        post_form(
            staff, reverse("admin:finance_scaleversion_change", args=[version.pk]), {"motion": str(scale_motion.pk)}
        )
        adopted = post_form(
            staff,
            reverse("admin:finance_scaleversion_changelist"),
            {"action": "adopt_scales", "_selected_action": str(version.pk)},
        )
        assert any("adopted." in m for m in messages_of(adopted)), messages_of(adopted)
        second = _ballot(session, "Open a node in Valletta (again)", delegates, staff)

    page = public.get(f"/governance/ballots/{second.pk}/").content.decode()
    weights = _weights(page)
    assert weights["Germany"] == "20.000" and weights["Malta"] == "0.500"  # the ceiling and the floor
    # Germany and France now weigh 40 % of the 80 % cast: not more than half, rejected.
    assert second.outcome == Ballot.Outcome.REJECTED
    assert "(40% of 80%)" in page
    # The first ballot keeps the shares it was counted with.
    assert _weights(public.get(f"/governance/ballots/{first.pk}/").content.decode())["Germany"] == "40.000"
    admin_page = staff.get(reverse("admin:governance_ballot_change", args=[second.pk])).content.decode()
    assert "20.000000" in admin_page  # the electorate inline shows the share used
