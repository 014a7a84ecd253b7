"""Every write of finance: NNI statistics (one by one or a CSV), scale versions (compute, adopt),
calls for a year, payments (one by one or a bank CSV).

Each service is one transaction that validates, writes and records who did it in the audit trail.
Refusals are ``Refusal`` with the field concerned; a CSV import checks every row before writing any,
so a bad row refuses the whole file with its row number and reason, and nothing is half-imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.core.audit import audit_context
from cernai.core.errors import Refusal
from governance.models import Ballot, MemberState, Motion

from . import rules
from .models import AssociateAmount, Call, NNIStatistic, Payment, ScaleShare, ScaleVersion
from .selectors import scale_in_force

FIRST_YEAR, LAST_YEAR = 1950, 2200  # plausible financial years; anything else is a typing error


# --- parsing shared by forms and imports ---------------------------------------------------------


def parse_cents(text: str, *, field: str, zero: bool = False) -> int:
    """Plain decimal euros (``"1234.50"``, a point for decimals, no thousands separator) to integer
    cents, never through a float; positive (or, with ``zero``, not negative)."""
    try:
        euros = Decimal(text.strip())
        exact = euros.is_finite() and euros == euros.quantize(Decimal("0.01"))
    except (InvalidOperation, AttributeError):
        raise Refusal(
            _("“%(value)s” is not an amount in euros") % {"value": text}, code="amount", field=field
        ) from None
    if not exact:
        raise Refusal(_("“%(value)s” has more than two decimals") % {"value": text}, code="amount", field=field)
    cents = int(euros * 100)
    if not (zero and cents == 0):
        _positive(cents, field=field)
    return cents


def _check_year(year: int, *, field: str = "year") -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Refusal(_("%(year)s is not a plausible financial year") % {"year": year}, code="year", field=field)


MAX_CENTS = 10**17  # a thousand trillion euros: beyond is a typing error (and beyond bigint soon)


def _positive(cents: int, *, field: str) -> None:
    if cents <= 0:
        raise Refusal(_("the amount must be positive"), code="amount", field=field)
    if cents >= MAX_CENTS:
        raise Refusal(_("the amount is implausibly large"), code="amount", field=field)


# --- NNI statistics -------------------------------------------------------------------------------


def record_nni(*, actor: Any, state_id: int, year: int, nni_cents: int, source: str = "") -> NNIStatistic:
    """Record a state's NNI for a year (refused if that year is already recorded for the state)."""
    _check_year(year)
    _positive(nni_cents, field="nni_cents")
    with transaction.atomic(), audit_context(actor=actor, reason="record NNI"):
        already = _("the NNI of this state for %(year)s is already recorded") % {"year": year}
        if NNIStatistic.objects.filter(state_id=state_id, year=year).exists():
            raise Refusal(already, field="year")
        try:
            with transaction.atomic():
                return NNIStatistic.objects.create(state_id=state_id, year=year, nni_cents=nni_cents, source=source)
        except IntegrityError:  # recorded at the same moment by someone else
            raise Refusal(already, field="year") from None


@dataclass(frozen=True)
class _Row:
    number: int
    values: dict[str, str]


def _rows(text: str, columns: tuple[str, ...]) -> list[_Row]:
    """The data rows of a CSV with exactly ``columns`` as its header. Row numbers are the file's line
    numbers as an editor shows them (the header is 1; blank lines are skipped but counted)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(name.strip() for name in reader.fieldnames or ())
    if header != columns:
        raise Refusal(
            _("Row 1: the header must be %(expected)s, not %(found)s")
            % {"expected": ",".join(columns), "found": ",".join(header) or _("empty")},
            code="csv",
            field="file",
        )
    rows = []
    for raw in reader:
        number = reader.line_num
        if None in raw or any(v is None for v in raw.values()):
            raise Refusal(
                _("Row %(row)s: expected %(n)s columns") % {"row": number, "n": len(columns)}, code="csv", field="file"
            )
        rows.append(_Row(number, {k.strip(): v.strip() for k, v in raw.items()}))
    if not rows:
        raise Refusal(_("the file has no data rows"), code="csv", field="file")
    return rows


def _each_row[T](rows: Iterable[_Row], parse: Callable[[_Row], T]) -> list[T]:
    """``parse`` every row; the first refusal names its row and stops the whole import."""
    parsed = []
    for row in rows:
        try:
            parsed.append(parse(row))
        except Refusal as exc:
            raise Refusal(
                _("Row %(row)s: %(reason)s") % {"row": row.number, "reason": exc.message}, code="csv", field="file"
            ) from exc
    return parsed


def _bulk_import(model: type[NNIStatistic] | type[Payment], rows: list[Any], *, reason: str, actor: Any) -> None:
    """Insert the checked rows in one transaction; a row recorded meanwhile by someone else (the
    unique constraint) refuses the whole file like any bad row."""
    try:
        with transaction.atomic(), audit_context(actor=actor, reason=reason):
            model.objects.bulk_create(rows)
    except IntegrityError:
        raise Refusal(
            _("a row of the file was recorded by someone else meanwhile; nothing was imported, import it again"),
            code="csv",
            field="file",
        ) from None


def _state_by_iso(code: str, states: dict[str, MemberState]) -> MemberState:
    state = states.get(code.upper())
    if state is None:
        raise Refusal(_("no state with the code “%(code)s”") % {"code": code}, code="state", field="state")
    return state


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise Refusal(_("“%(value)s” is not a year") % {"value": text}, code="year", field="year") from None
    _check_year(year)
    return year


NNI_COLUMNS = ("state", "year", "nni_eur", "source")


def import_nni_csv(*, actor: Any, text: str) -> int:
    """Import NNI statistics (columns ``state,year,nni_eur,source``; state = ISO code): all rows or none."""
    states = {s.iso2: s for s in MemberState.objects.all()}
    existing = set(NNIStatistic.objects.values_list("state__iso2", "year"))
    seen: set[tuple[str, int]] = set()

    def parse(row: _Row) -> NNIStatistic:
        state = _state_by_iso(row.values["state"], states)
        year = _year(row.values["year"])
        nni = parse_cents(row.values["nni_eur"], field="nni_eur")
        if (state.iso2, year) in existing:
            raise Refusal(_("the NNI of %(state)s for %(year)s is already recorded") % {"state": state, "year": year})
        if (state.iso2, year) in seen:
            raise Refusal(_("%(state)s %(year)s appears twice in the file") % {"state": state, "year": year})
        seen.add((state.iso2, year))
        return NNIStatistic(state=state, year=year, nni_cents=nni, source=row.values["source"])

    statistics = _each_row(_rows(text, NNI_COLUMNS), parse)
    _bulk_import(NNIStatistic, statistics, reason="import NNI statistics", actor=actor)
    return len(statistics)


# --- scale versions -------------------------------------------------------------------------------


def compute_scale_version(*, actor: Any, first_year: int, last_year: int, title: str = "") -> ScaleVersion:
    """Compute a draft scale for ``first_year`` to ``last_year`` from the member states' NNI statistics."""
    _check_year(first_year, field="first_year")
    _check_year(last_year, field="last_year")
    if last_year < first_year:
        raise Refusal(_("the last year comes before the first"), code="years", field="last_year")
    # A state that became a member during a year is on the scale from the next financial year (rules §4).
    members = list(
        MemberState.objects.filter(status=MemberState.Status.MEMBER)
        .filter(Q(status_since__isnull=True) | Q(status_since__year__lt=first_year))
        .order_by("name", "id")
    )
    if len({m.name for m in members}) != len(members):
        raise Refusal(_("two member states share a name; the scale names states by name"), code="names")
    nni: dict[str, dict[int, int]] = {m.name: {} for m in members}
    by_id = {m.id: m for m in members}
    for state_id, year, cents in NNIStatistic.objects.filter(state__in=members).values_list(
        "state_id", "year", "nni_cents"
    ):
        nni[by_id[state_id].name][year] = cents
    try:
        scale = rules.compute_scale(nni, first_year=first_year)
    except rules.ScaleError as exc:
        raise Refusal(str(exc), code="scale") from exc
    by_name = {m.name: m for m in members}
    percent = 100
    with transaction.atomic(), audit_context(actor=actor, reason="compute scale version"):
        version = ScaleVersion.objects.create(
            title=title or _("Scale %(first)s–%(last)s") % {"first": first_year, "last": last_year},  # noqa: RUF001
            first_year=first_year,
            last_year=last_year,
            redistribution="\n".join(scale.rounds),
            computed_at=timezone.now(),
            computed_by=actor,
        )
        ScaleShare.objects.bulk_create(
            ScaleShare(
                version=version,
                state=by_name[line.key],
                nni_years=", ".join(str(y) for y in line.nni_years),
                nni_average_cents=round(line.nni_average_cents),
                raw_share=_decimal(line.raw_share * percent),
                share=line.share_percent,
                bound=line.bound,
            )
            for line in scale.lines
        )
    return version


def _decimal(value: Fraction) -> Decimal:
    """A share shown for the arithmetic (not used for money), to the stored places."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-rules.SHARE_PLACES))


def adopt_scale_version(*, actor: Any, version_id: int, motion_id: int | None = None) -> ScaleVersion:
    """Adopt a draft scale: only when its linked motion was adopted by a two-thirds-of-all ballot."""
    with transaction.atomic(), audit_context(actor=actor, reason="adopt scale version"):
        version = ScaleVersion.objects.select_for_update().get(pk=version_id)
        if version.status != ScaleVersion.Status.DRAFT:
            raise Refusal(_("This scale version is already adopted."), code="status")
        if motion_id is not None:
            version.motion_id = motion_id
        if version.motion_id is None:
            raise Refusal(_("Link the motion that adopts this scale first."), code="motion", field="motion")
        motion = Motion.objects.get(pk=version.motion_id)
        if motion.kind != Motion.Kind.TWO_THIRDS_ALL:
            raise Refusal(
                _("A contribution scale is adopted by a two-thirds-of-all ballot; %(motion)s is of another kind.")
                % {"motion": motion.title},
                code="motion_kind",
                field="motion",
            )
        adopted = Ballot.objects.filter(
            motion=motion,
            outcome=Ballot.Outcome.ADOPTED,
            status__in=[Ballot.Status.CLOSED, Ballot.Status.PUBLISHED],
        ).exists()
        if not adopted:
            raise Refusal(
                _("The ballot on %(motion)s has not adopted it (yet).") % {"motion": motion.title},
                code="not_adopted",
                field="motion",
            )
        overlapping = (
            ScaleVersion.objects.filter(
                status=ScaleVersion.Status.ADOPTED, first_year__lte=version.last_year, last_year__gte=version.first_year
            )
            .exclude(pk=version.pk)
            .first()
        )
        if overlapping is not None:
            raise Refusal(
                _("%(other)s is already adopted for some of these years.") % {"other": overlapping}, code="overlap"
            )
        version.status = ScaleVersion.Status.ADOPTED
        version.adopted_at = timezone.now()
        version.save()
    return version


def record_earlier_scale(
    *, actor: Any, title: str, first_year: int, last_year: int, decision: str, shares: dict[int, Decimal]
) -> ScaleVersion:
    """Record a scale the Council adopted before the portal recorded its ballots (the founding scale):
    its shares as published, by state id, and the decision that adopted it. Not computed from NNI."""
    _check_year(first_year, field="first_year")
    _check_year(last_year, field="last_year")
    if last_year < first_year:
        raise Refusal(_("the last year comes before the first"), code="years", field="last_year")
    decision = (decision or "").strip()
    if not decision:
        raise Refusal(_("Name the decision that adopted this scale."), code="decision", field="decision")
    bad = [state_id for state_id, share in shares.items() if not Decimal(0) < share <= Decimal(100)]
    if not shares or bad:
        raise Refusal(_("Each share is a percentage above 0 and at most 100."), code="share", field="shares")
    with transaction.atomic(), audit_context(actor=actor, reason="record an earlier scale"):
        overlapping = ScaleVersion.objects.filter(
            status=ScaleVersion.Status.ADOPTED, first_year__lte=last_year, last_year__gte=first_year
        ).first()
        if overlapping is not None:
            raise Refusal(
                _("%(other)s is already adopted for some of these years.") % {"other": overlapping}, code="overlap"
            )
        now = timezone.now()
        version = ScaleVersion.objects.create(
            title=title,
            first_year=first_year,
            last_year=last_year,
            status=ScaleVersion.Status.ADOPTED,
            decision=decision,
            redistribution=_("Recorded as published; not computed from NNI statistics."),
            computed_at=now,
            computed_by=actor,
            adopted_at=now,
        )
        ScaleShare.objects.bulk_create(
            ScaleShare(
                version=version, state_id=state_id, nni_years="", nni_average_cents=0, raw_share=share, share=share
            )
            for state_id, share in shares.items()
        )
    return version


# --- associates, calls ----------------------------------------------------------------------------


def record_associate_amount(
    *, actor: Any, state_id: int, year: int, amount_cents: int, agreement: str = ""
) -> AssociateAmount:
    """Record an associate member's fixed amount for a year, from its association agreement."""
    _check_year(year)
    _positive(amount_cents, field="amount_cents")
    with transaction.atomic(), audit_context(actor=actor, reason="record associate amount"):
        state = MemberState.objects.get(pk=state_id)
        if state.status != MemberState.Status.ASSOCIATE:
            raise Refusal(_("%(state)s is not an associate member.") % {"state": state}, field="state")
        if AssociateAmount.objects.filter(state=state, year=year).exists():
            raise Refusal(
                _("The amount of %(state)s for %(year)s is already recorded.") % {"state": state, "year": year}
            )
        return AssociateAmount.objects.create(state=state, year=year, amount_cents=amount_cents, agreement=agreement)


def issue_calls(*, actor: Any, year: int, total_cents: int) -> list[Call]:
    """Issue year ``year``'s calls: ``total_cents`` (the total contributions) split by the adopted scale
    in force, plus each associate's fixed amount. A year's calls are issued once."""
    _check_year(year)
    _positive(total_cents, field="total_cents")
    with transaction.atomic(), audit_context(actor=actor, reason="issue calls", year=year):
        # One issuer at a time: the advisory lock makes "already issued?" and the inserts atomic.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('finance.issue_calls'), %s)", [year])
        if Call.objects.filter(year=year).exists():
            raise Refusal(_("The calls for %(year)s are already issued.") % {"year": year}, code="issued", field="year")
        scale = scale_in_force(year)
        if scale is None:
            raise Refusal(
                _("No adopted contribution scale covers %(year)s.") % {"year": year}, code="no_scale", field="year"
            )
        shares = {share.state_id: share.share for share in scale.shares.all()}
        issued, due = rules.call_dates(year)
        calls = [
            Call(state_id=state_id, year=year, amount_cents=cents, issued_on=issued, due_on=due, scale=scale)
            for state_id, cents in rules.call_amounts(shares, total_cents).items()
            if cents > 0
        ]
        calls += [
            Call(state_id=a.state_id, year=year, amount_cents=a.amount_cents, issued_on=issued, due_on=due)
            for a in AssociateAmount.objects.filter(year=year)
        ]
        return Call.objects.bulk_create(calls)


def issue_calls_from_plan(*, actor: Any, year: int, other_income_cents: int = 0) -> list[Call]:
    """Issue year ``year``'s calls from the medium-term plan (rules §4): total contributions = the plan
    in force's budget for the year minus other income, split by the adopted scale."""
    from .plan_selectors import budget_cents

    _check_year(year)
    if other_income_cents < 0:
        raise Refusal(_("Other income cannot be negative."), code="amount", field="other_income_eur")
    budget = budget_cents(year)
    if budget is None:
        raise Refusal(
            _("No medium-term plan in force covers %(year)s: the budget the calls are based on comes from it.")
            % {"year": year},
            code="no_plan",
            field="year",
        )
    if other_income_cents >= budget:
        raise Refusal(
            _("Other income (%(income)s) leaves nothing to call from the budget of %(budget)s.")
            % {"income": rules.format_eur(other_income_cents), "budget": rules.format_eur(budget)},
            code="amount",
            field="other_income_eur",
        )
    return issue_calls(actor=actor, year=year, total_cents=budget - other_income_cents)


# --- payments -------------------------------------------------------------------------------------


def _check_payment(*, state_id: int, received_on: dt.date, amount_cents: int, reference: str) -> None:
    _positive(amount_cents, field="amount_cents")
    if not reference.strip():
        raise Refusal(_("a payment needs its bank reference"), code="reference", field="reference")
    if received_on > timezone.localdate():
        raise Refusal(_("a payment cannot be received in the future"), code="date", field="received_on")
    if Payment.objects.filter(state_id=state_id, reference=reference.strip()).exists():
        raise _duplicate_payment(reference)


def _duplicate_payment(reference: str) -> Refusal:
    return Refusal(
        _("the payment %(reference)s is already recorded for this state") % {"reference": reference},
        code="duplicate",
        field="reference",
    )


def record_payment(*, actor: Any, state_id: int, received_on: dt.date, amount_cents: int, reference: str) -> Payment:
    """Record money received from a state; it settles the oldest unpaid call first."""
    _check_payment(state_id=state_id, received_on=received_on, amount_cents=amount_cents, reference=reference)
    try:
        with transaction.atomic(), audit_context(actor=actor, reason="record payment"):
            return Payment.objects.create(
                state_id=state_id,
                received_on=received_on,
                amount_cents=amount_cents,
                reference=reference.strip(),
                recorded_by=actor,
            )
    except IntegrityError:  # the same bank line recorded at the same moment by someone else
        raise _duplicate_payment(reference) from None


BANK_COLUMNS = ("state", "date", "amount_eur", "reference")


def import_bank_csv(*, actor: Any, text: str) -> int:
    """Import bank lines (columns ``state,date,amount_eur,reference``; ISO code, YYYY-MM-DD): all or none."""
    states = {s.iso2: s for s in MemberState.objects.all()}
    seen: set[tuple[int, str]] = set()

    def parse(row: _Row) -> Payment:
        state = _state_by_iso(row.values["state"], states)
        try:
            received_on = dt.date.fromisoformat(row.values["date"])
        except ValueError:
            raise Refusal(
                _("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": row.values["date"]}, field="date"
            ) from None
        amount = parse_cents(row.values["amount_eur"], field="amount_eur")
        reference = row.values["reference"]
        _check_payment(state_id=state.id, received_on=received_on, amount_cents=amount, reference=reference)
        if (state.id, reference) in seen:
            raise Refusal(_("the payment %(reference)s appears twice in the file") % {"reference": reference})
        seen.add((state.id, reference))
        return Payment(
            state=state, received_on=received_on, amount_cents=amount, reference=reference, recorded_by=actor
        )

    payments = _each_row(_rows(text, BANK_COLUMNS), parse)
    _bulk_import(Payment, payments, reason="import bank lines", actor=actor)
    return len(payments)
