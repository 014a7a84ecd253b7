"""Read-only public API of governance, mounted at /api/v1/governance/: the register of resolutions
and the member states."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from cernai.core.api import StrictLimitOffsetPagination

from . import selectors
from .models import Ballot, MemberState


class StateVoteSerializer(serializers.Serializer):
    state = serializers.CharField(help_text="ISO 3166-1 alpha-2 code of the state")
    name = serializers.CharField()
    vote = serializers.CharField(help_text="yes, no, abstain, split, incomplete or did not vote")
    receipt = serializers.CharField(help_text="receipt code of the counted vote, empty if none")


class ReceiptSerializer(serializers.Serializer):
    receipt = serializers.CharField()
    choice = serializers.CharField(
        help_text="yes, no or abstain; in an election round, the candidate's name or abstain"
    )


class CandidateCountSerializer(serializers.Serializer):
    name = serializers.CharField()
    votes = serializers.IntegerField()


class ElectionRoundSerializer(serializers.Serializer):
    """An election's round: the office, the round, its outcome and the votes per candidate."""

    office = serializers.CharField()
    round = serializers.IntegerField()
    outcome = serializers.CharField(help_text="elected, second_round or nobody")
    abstain = serializers.IntegerField()
    candidates = CandidateCountSerializer(many=True)


class ResolutionSerializer(serializers.ModelSerializer):
    """A published result of an open Council session."""

    title = serializers.CharField(source="motion.title")
    text = serializers.CharField(source="motion.text")
    kind = serializers.CharField(source="motion.kind")
    resolution_number = serializers.CharField(source="motion.resolution_number")
    session = serializers.CharField(source="motion.item.session.title")
    explanation = serializers.SerializerMethodField()
    election = serializers.SerializerMethodField()

    class Meta:
        model = Ballot
        fields = [
            "id",
            "resolution_number",
            "title",
            "text",
            "kind",
            "session",
            "secrecy",
            "outcome",
            "yes",
            "no",
            "abstain",
            "threshold",
            "explanation",
            "election",
            "published_at",
        ]

    @staticmethod
    def _round(ballot: Ballot) -> Any:
        return getattr(ballot, "election_round", None)

    def get_explanation(self, ballot: Ballot) -> str:
        election_round = self._round(ballot)
        if election_round is None:
            return ballot.explained
        from . import elections

        return elections.explanation(election_round, self._entries(election_round))

    @staticmethod
    def _entries(election_round: Any) -> list[Any]:
        """The round's candidates in ballot-paper order, from the prefetch of public_resolutions()."""
        return sorted(election_round.entries.all(), key=lambda e: (e.candidate.position, e.candidate_id))

    @extend_schema_field(ElectionRoundSerializer(allow_null=True))
    def get_election(self, ballot: Ballot) -> dict[str, Any] | None:
        election_round = self._round(ballot)
        if election_round is None:
            return None
        entries = self._entries(election_round)
        return ElectionRoundSerializer(
            {
                "office": election_round.election.office,
                "round": election_round.number,
                "outcome": election_round.outcome,
                "abstain": election_round.abstain,
                "candidates": [{"name": e.candidate.name, "votes": e.votes} for e in entries],
            }
        ).data  # type: ignore[return-value]


class ResolutionDetailSerializer(ResolutionSerializer):
    """With the per-state breakdown (named ballots) and every receipt issued with its choice (all ballots)."""

    votes = serializers.SerializerMethodField()
    receipts = serializers.SerializerMethodField()

    class Meta(ResolutionSerializer.Meta):
        fields = [*ResolutionSerializer.Meta.fields, "votes", "receipts"]

    def _breakdown(self, ballot: Ballot) -> dict[str, Any]:
        cache: dict[int, dict[str, Any]] = self.__dict__.setdefault("_breakdowns", {})
        if ballot.pk not in cache:
            cache[ballot.pk] = selectors.ballot_breakdown(ballot)
        return cache[ballot.pk]  # type: ignore[no-any-return]

    @extend_schema_field(StateVoteSerializer(many=True))
    def get_votes(self, ballot: Ballot) -> list[dict[str, str]]:
        rows = self._breakdown(ballot).get("breakdown", [])
        return StateVoteSerializer(
            [
                {
                    "state": r["state"].iso2,
                    "name": r["state"].name,
                    "vote": r["choice"] or str(r["label"]),
                    "receipt": r["vote"].receipt if r["vote"] else "",
                }
                for r in rows
            ],
            many=True,
        ).data  # type: ignore[return-value]

    @extend_schema_field(ReceiptSerializer(many=True))
    def get_receipts(self, ballot: Ballot) -> list[dict[str, str]]:
        if self._round(ballot) is not None:  # the candidate each receipt recorded, by name
            from . import elections

            return ReceiptSerializer(elections.receipts(ballot), many=True).data  # type: ignore[return-value]
        return ReceiptSerializer(self._breakdown(ballot).get("receipts", []), many=True).data  # type: ignore[return-value]


class MemberStateSerializer(serializers.ModelSerializer):
    """A state with its status and contribution share (percent, in the adopted scale in force this year)."""

    contribution_share = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True, read_only=True)

    class Meta:
        model = MemberState
        fields = ["iso2", "name", "status", "contribution_share"]


class ErrorSerializer(serializers.Serializer):
    """An error: ``detail``, or each bad parameter with its reasons."""

    detail = serializers.CharField(required=False)


BAD_REQUEST = OpenApiResponse(ErrorSerializer, description="A malformed parameter, named with the reason.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No published resolution of an open session has this id.")


class PublicView(generics.GenericAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    # A malformed limit/offset is a 400 naming the parameter, not silently ignored.
    pagination_class = StrictLimitOffsetPagination


@extend_schema(
    summary="Register of resolutions",
    tags=["governance"],
    responses={200: ResolutionSerializer(many=True), 400: BAD_REQUEST},
)
class ResolutionList(PublicView, generics.ListAPIView):
    serializer_class = ResolutionSerializer

    def get_queryset(self) -> Any:
        return selectors.public_resolutions()


@extend_schema(
    summary="One resolution with its per-state breakdown or receipts",
    tags=["governance"],
    responses={200: ResolutionDetailSerializer, 404: NOT_FOUND},
)
class ResolutionDetail(PublicView, generics.RetrieveAPIView):
    serializer_class = ResolutionDetailSerializer

    def get_queryset(self) -> Any:
        return selectors.public_resolutions()


@extend_schema(
    summary="Member, associate and observer states",
    tags=["governance"],
    responses={200: MemberStateSerializer(many=True), 400: BAD_REQUEST},
)
class MemberStateList(PublicView, generics.ListAPIView):
    serializer_class = MemberStateSerializer

    def get_queryset(self) -> Any:
        return selectors.member_states()


urlpatterns = [
    path("resolutions/", ResolutionList.as_view(), name="governance-resolutions"),
    # <str:pk>: a malformed id is a JSON 404 from the API, not the site's HTML 404 page.
    path("resolutions/<str:pk>/", ResolutionDetail.as_view(), name="governance-resolution"),
    path("member-states/", MemberStateList.as_view(), name="governance-member-states"),
]
