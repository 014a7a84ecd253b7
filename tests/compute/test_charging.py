"""The pure charging rules of rules.md §3 (examples 1 to 4 in their pure form) and their properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compute import charging
from compute.charging import BatchError, RecordError

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def record(**overrides: object) -> dict[str, object]:
    base = {
        "Cluster": "fox",
        "JobIDRaw": "1001",
        "JobID": "1001",
        "Account": "ec85",
        "User": "alice",
        "Partition": "accel",
        "QOS": "normal",
        "State": "COMPLETED",
        "Submit": "2025-09-01T10:00:00",
        "Start": "2025-09-01T10:00:00",
        "End": "2025-09-01T12:30:00",
        "ElapsedRaw": "9000",
        "AllocTRES": "billing=8,cpu=8,gres/gpu=4,mem=32G,node=1",
    }
    base.update(overrides)
    return base


def test_example_1_four_gpus_for_9000_seconds_is_10_gpu_hours() -> None:
    parsed = charging.parse_record(record(), "Europe/Oslo", now=NOW)
    assert parsed.gpu_seconds == 36000
    assert charging.hours(parsed.gpu_seconds) == 10.0
    assert parsed.core_seconds == 8 * 9000


def test_example_2_grown_record_charges_its_new_elapsed_only() -> None:
    parsed = charging.parse_record(record(ElapsedRaw="10800"), "Europe/Oslo", now=NOW)
    assert charging.hours(parsed.gpu_seconds) == 12.0


def test_example_3_two_gpus_over_the_january_february_boundary_split_evenly() -> None:
    # 31 Jan 23:00 UTC for two hours (a UTC cluster, so the wall clock is UTC).
    parsed = charging.parse_record(
        record(Start="2025-01-31T23:00:00", Submit="2025-01-31T22:00:00", ElapsedRaw="7200", AllocTRES="gres/gpu=2"),
        "UTC",
        now=NOW,
    )
    assert [(c.month, charging.hours(c.gpu_seconds)) for c in parsed.charges] == [
        (date(2025, 1, 1), 2.0),
        (date(2025, 2, 1), 2.0),
    ]


def test_example_3_the_boundary_is_utc_not_the_clusters_local_midnight() -> None:
    # 1 Feb 00:30 in Oslo is 31 Jan 23:30 UTC: half an hour belongs to January.
    parsed = charging.parse_record(
        record(Start="2025-02-01T00:30:00", ElapsedRaw="3600", AllocTRES="gres/gpu=1"), "Europe/Oslo", now=NOW
    )
    assert [(c.month, c.gpu_seconds) for c in parsed.charges] == [(date(2025, 1, 1), 1800), (date(2025, 2, 1), 1800)]


@pytest.mark.parametrize(
    ("tres", "gpus", "cpus"),
    [
        ("node=2,gres/gpu=8", 8, 0),  # example 4: the plain entry is the total over all nodes
        ("gres/gpu=4,gres/gpu:a100=4", 4, 0),  # example 4: typed entries repeat the same GPUs
        ("billing=16,cpu=16,gres/gpu:a100=2,gres/gpu=2,mem=32G,node=1", 2, 16),
        ("gres/gpu:a100=2,gres/gpu:v100=1", 3, 0),  # no plain entry: the typed ones are summed
        ("billing=24,cpu=8,mem=199G,node=1", 0, 8),
        ("", 0, 0),
    ],
)
def test_example_4_gpu_count_from_alloc_tres(tres: str, gpus: int, cpus: int) -> None:
    assert charging.parse_alloc_tres(tres) == charging.Tres(gpus=gpus, cpus=cpus)


def test_example_4_eight_gpus_on_two_nodes_for_an_hour_is_8_gpu_hours() -> None:
    parsed = charging.parse_record(record(AllocTRES="node=2,gres/gpu=8", ElapsedRaw="3600"), "Europe/Oslo", now=NOW)
    assert charging.hours(parsed.gpu_seconds) == 8.0


@pytest.mark.parametrize("start", ["Unknown", "None", ""])
def test_a_job_that_never_started_charges_nothing_but_parses(start: str) -> None:
    parsed = charging.parse_record(
        record(Start=start, End="Unknown", ElapsedRaw="0", AllocTRES=""), "Europe/Oslo", now=NOW
    )
    assert parsed.charges == ()
    assert parsed.start_utc is None


def test_elapsed_zero_charges_nothing() -> None:
    assert charging.parse_record(record(ElapsedRaw="0"), "Europe/Oslo", now=NOW).charges == ()


def test_dst_job_is_charged_elapsed_seconds_not_end_minus_start() -> None:
    # hb 7195760 crosses the 2024-03-31 spring-forward change; End - Start is 3600 s more than ElapsedRaw.
    parsed = charging.parse_record(
        record(
            Cluster="hb",
            Start="2024-03-21T13:40:23",
            End="2024-03-31T14:40:50",
            ElapsedRaw="864027",
            AllocTRES="cpu=1",
        ),
        "Europe/Amsterdam",
        now=NOW,
    )
    assert parsed.start_utc == datetime(2024, 3, 21, 12, 40, 23, tzinfo=UTC)
    assert parsed.core_seconds == 864027


def test_ambiguous_autumn_time_is_read_as_its_first_occurrence() -> None:
    # 02:30 happens twice in Oslo on 2024-10-27; the first is 00:30 UTC.
    assert charging.parse_local_time("2024-10-27T02:30:00", "Europe/Oslo") == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"JobIDRaw": "12a"}, "JobIDRaw"),
        ({"JobIDRaw": ""}, "JobIDRaw"),
        ({"Submit": "Unknown"}, "Submit"),
        ({"Start": "yesterday"}, "Start"),
        ({"ElapsedRaw": "-5"}, "ElapsedRaw"),
        ({"ElapsedRaw": "1.5"}, "ElapsedRaw"),
        ({"AllocTRES": "cpu=x"}, "AllocTRES"),
        ({"AllocTRES": "garbage"}, "AllocTRES"),
        ({"Cluster": ""}, "Cluster"),
        ({"Account": "a" * 65}, "Account"),
        # The shapes that once answered 500, and the bounds of a plausible job.
        ({"ElapsedRaw": "\u00b2"}, "ElapsedRaw"),
        ({"ElapsedRaw": "\u0663\u0660"}, "ElapsedRaw"),  # Arabic-Indic digits
        ({"ElapsedRaw": str(charging.MAX_ELAPSED + 1)}, "ElapsedRaw"),
        ({"ElapsedRaw": "100000000000"}, "ElapsedRaw"),  # 3,170 years
        ({"Start": "9999-12-31T23:59:59"}, "Start"),
        ({"Submit": "9999-12-31T23:59:59"}, "Submit"),
        ({"End": "9999-12-31T23:59:59"}, "End"),
        ({"Start": "0001-01-01T00:00:00"}, "Start"),
        ({"Start": "2026-12-01T10:00:00", "ElapsedRaw": "60"}, "Start"),  # in the future
        ({"Start": "2026-11-30T12:00:00", "ElapsedRaw": "7200"}, "ElapsedRaw"),  # runs past now
        ({"Start": "\u0662\u0660\u0662\u0665-09-01T10:00:00"}, "Start"),
        ({"AllocTRES": "gres/gpu=100001"}, "AllocTRES"),
        ({"AllocTRES": "gres/gpu:a100=60000,gres/gpu:h100=60000"}, "AllocTRES"),
        ({"AllocTRES": "gres/gpu=99999999999"}, "AllocTRES"),
        ({"AllocTRES": "cpu=2147483648"}, "AllocTRES"),
        ({"AllocTRES": "cpu=\u00b2"}, "AllocTRES"),
        ({"Account": "ec85\nscontrol shutdown"}, "Account"),
        ({"Account": "ec85 x"}, "Account"),
        ({"Account": "ec'85"}, "Account"),
        ({"User": "alice;reboot"}, "User"),
        ({"Partition": "accel$(id)"}, "Partition"),
        ({"QOS": "normal\rx"}, "QOS"),
        ({"Cluster": "fox\nx"}, "Cluster"),
    ],
)
def test_bad_records_name_the_field(overrides: dict[str, str], field: str) -> None:
    with pytest.raises(RecordError, match=f"^{field}:"):
        charging.parse_record(record(**overrides), "Europe/Oslo", now=NOW)


def test_the_largest_accepted_job_is_charged_to_at_most_13_months() -> None:
    parsed = charging.parse_record(
        record(Start="2025-11-01T00:00:00", ElapsedRaw=str(charging.MAX_ELAPSED), AllocTRES="gres/gpu=100000"),
        "UTC",
        now=NOW,
    )
    assert len(parsed.charges) <= 13
    assert parsed.gpu_seconds == 100_000 * charging.MAX_ELAPSED < 2**63


def test_partition_lists_and_usual_names_are_accepted() -> None:
    parsed = charging.parse_record(
        record(Partition="gpu,cpu", User="first.last@example", Account="nn9999k_a-1"), "Europe/Oslo", now=NOW
    )
    assert (parsed.partition, parsed.user, parsed.account) == ("gpu,cpu", "first.last@example", "nn9999k_a-1")


def test_sacct_text_needs_the_header_and_consistent_fields() -> None:
    header = "|".join(charging.SACCT_FIELDS)
    line = "|".join(str(v) for v in record().values())
    assert charging.parse_sacct_text(f"{header}\n{line}\n") == [dict(record())]
    with pytest.raises(BatchError, match="header line"):
        charging.parse_sacct_text(line)
    with pytest.raises(BatchError, match="record 1"):
        charging.parse_sacct_text(f"{header}\n{line}\n{line}|extra")
    with pytest.raises(BatchError, match="empty"):
        charging.parse_sacct_text("  \n")


def test_json_batch_shape() -> None:
    assert charging.check_json_batch({"records": [record()]}) == [record()]
    for body in ([], {"rows": []}, {"records": "x"}, {"records": [1]}):
        with pytest.raises(BatchError):
            charging.check_json_batch(body)
    with pytest.raises(BatchError, match="too many"):
        charging.check_json_batch({"records": [{}] * (charging.MAX_BATCH + 1)})


def test_month_closes_five_days_after_it_ends_by_default() -> None:
    january = date(2026, 1, 1)
    assert not charging.is_month_closed(january, date(2026, 2, 5), 5)
    assert charging.is_month_closed(january, date(2026, 2, 6), 5)


def test_example_5_thresholds_in_exact_integers() -> None:
    assert not charging.usage_fraction_reached(79999 * 36, 1000, 80)  # 799.99 GPU-h of 1000
    assert charging.usage_fraction_reached(800 * 3600, 1000, 80)
    assert not charging.usage_fraction_reached(800 * 3600, 1000, 100)


def test_grp_tres_mins_is_hours_times_sixty() -> None:
    assert charging.grp_tres_mins(1000) == 60000


starts = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2030, 1, 1),
    timezones=st.just(UTC),
).map(lambda d: d.replace(microsecond=0))


@given(start=starts, seconds=st.integers(min_value=0, max_value=400 * 86400), gpus=st.integers(0, 64))
def test_month_parts_sum_exactly_to_the_total(start: datetime, seconds: int, gpus: int) -> None:
    parts = charging.charge(start_utc=start, elapsed=seconds, gpus=gpus, cpus=3)
    assert sum(p.seconds for p in parts) == seconds
    assert sum(p.gpu_seconds for p in parts) == gpus * seconds
    assert sum(p.core_seconds for p in parts) == 3 * seconds
    months = [p.month for p in parts]
    assert months == sorted(set(months))
    assert all(p.seconds > 0 for p in parts)


@given(start=starts, seconds=st.integers(min_value=1, max_value=100 * 86400))
def test_each_part_stays_inside_its_month(start: datetime, seconds: int) -> None:
    cursor = start
    for part in charging.charge(start_utc=start, elapsed=seconds, gpus=1, cpus=1):
        assert charging.month_of(cursor) == part.month
        end = cursor + timedelta(seconds=part.seconds)
        assert end <= datetime(*charging.next_month(part.month).timetuple()[:3], tzinfo=UTC)
        cursor = end


@given(
    plain=st.one_of(st.none(), st.integers(0, 64)),
    typed=st.lists(st.tuples(st.sampled_from(["a100", "v100", "l40s"]), st.integers(0, 16)), max_size=3),
    cpus=st.integers(0, 512),
)
def test_plain_gpu_entry_wins_over_typed(plain: int | None, typed: list[tuple[str, int]], cpus: int) -> None:
    entries = [f"cpu={cpus}", *(f"gres/gpu:{t}={n}" for t, n in typed)]
    if plain is not None:
        entries.append(f"gres/gpu={plain}")
    tres = charging.parse_alloc_tres(",".join(entries))
    assert tres.gpus == (plain if plain is not None else sum(n for _, n in typed))
    assert tres.cpus == cpus
