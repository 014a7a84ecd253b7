"""The charging rules of rules.md §3, as plain functions over plain values (no database, no request).

A usage record is one Slurm job allocation as ``sacct --allocations --parsable2`` prints it. Its
charge is exact integer GPU-seconds and core-seconds, split at UTC calendar-month boundaries:

* GPUs = the plain ``gres/gpu=N`` entry of AllocTRES (the total over all nodes). Typed entries
  (``gres/gpu:a100=N``) repeat the same GPUs, so they are summed only when no plain entry exists.
* cores = the ``cpu=N`` entry of AllocTRES (allocated, never ReqTRES).
* The job runs from Start (the cluster's local wall-clock time, converted to UTC) for ElapsedRaw
  seconds. End is never used: across a DST change End - Start is off by an hour, ElapsedRaw is not.
* A job that never started (Start ``Unknown``/``None``) or with ElapsedRaw 0 charges nothing.

Decision (the texts are silent): a local time that occurs twice when clocks go back is read as its
first occurrence; a local time inside the spring-forward gap is read as if the clocks had not yet
moved (Python's ``fold=0``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# The columns sites send, in the order `sacct --format=...` of design.md prints them.
SACCT_FIELDS: tuple[str, ...] = (
    "Cluster",
    "JobIDRaw",
    "JobID",
    "Account",
    "User",
    "Partition",
    "QOS",
    "State",
    "Submit",
    "Start",
    "End",
    "ElapsedRaw",
    "AllocTRES",
)
MAX_BATCH = 5000
NOT_A_TIME = frozenset({"", "Unknown", "None"})
_TRES_ENTRY = re.compile(r"^(?P<name>[A-Za-z][\w/:.\-]*)=(?P<value>[^,=]*)$")
# ASCII digits only: str.isdigit() also accepts "²" and other digits that int() then refuses.
_DIGITS = re.compile(r"[0-9]{1,12}", re.ASCII)
_JOB_ID_RAW = re.compile(r"[0-9]{1,20}", re.ASCII)
# A name Slurm knows (cluster, account, user, QOS): it is written into the sacctmgr command file that
# sites run as Slurm administrator, so nothing that a shell or sacctmgr reads specially may pass.
SLURM_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@\-]{0,63}", re.ASCII)
# A pending job submitted to several partitions lists them separated by commas.
_PARTITION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@,\-]{0,63}", re.ASCII)

# Bounds of a plausible record (decisions: the texts are silent). A longer job, a larger count or a
# time outside these is a site's error, refused with its reason, never stored or charged.
MAX_ELAPSED = 366 * 24 * 3600  # a job longer than a year
MAX_GPUS = 100_000
MAX_CPUS = 10_000_000
EARLIEST_YEAR = 2000
# Clocks of sites and the portal differ a little: a time up to this far ahead of now is accepted.
CLOCK_SKEW = timedelta(minutes=15)
_FIELD_MAX = {"Cluster": 64, "JobID": 64, "Account": 64, "User": 64, "Partition": 64, "QOS": 64, "State": 64}


class RecordError(ValueError):
    """A record that cannot be stored; the message names the field and the reason."""


class BatchError(ValueError):
    """A batch that is malformed as a whole; ``reasons`` lists what is wrong."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Tres:
    """The GPUs and cores a job was allocated."""

    gpus: int
    cpus: int


@dataclass(frozen=True)
class MonthCharge:
    """The part of a job's charge that falls in one UTC calendar month (``month`` is its first day)."""

    month: date
    seconds: int
    gpu_seconds: int
    core_seconds: int


@dataclass(frozen=True)
class ParsedRecord:
    """A validated sacct record with its charge."""

    cluster: str
    job_id_raw: str
    job_id: str
    account: str
    user: str
    partition: str
    qos: str
    state: str
    submit: str  # verbatim: part of the record's key
    start_local: str
    end_local: str
    start_utc: datetime | None
    end_utc: datetime | None
    elapsed: int
    alloc_tres: str
    gpus: int
    cpus: int
    charges: tuple[MonthCharge, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.cluster, self.job_id_raw, self.submit)

    @property
    def gpu_seconds(self) -> int:
        return sum(c.gpu_seconds for c in self.charges)

    @property
    def core_seconds(self) -> int:
        return sum(c.core_seconds for c in self.charges)


@functools.lru_cache(maxsize=4096)
def parse_alloc_tres(text: str) -> Tres:
    """GPUs and cores of an AllocTRES string such as ``billing=8,cpu=8,gres/gpu:a100=1,gres/gpu=1``.

    A cluster's jobs repeat a few AllocTRES strings (one per node shape), so the answers are cached: a
    batch of 5,000 records parses a handful of strings. A refused string raises each time."""
    plain_gpus: int | None = None
    typed_gpus = 0
    cpus = 0
    text = (text or "").strip()
    if not text:
        return Tres(gpus=0, cpus=0)
    for entry in text.split(","):
        match = _TRES_ENTRY.match(entry.strip())
        if not match:
            raise RecordError(f"AllocTRES: {entry!r} is not a name=value entry")
        name, value = match["name"], match["value"]
        if name == "cpu" or name == "gres/gpu" or name.startswith("gres/gpu:"):
            if not _DIGITS.fullmatch(value):
                raise RecordError(f"AllocTRES: {name} must be a whole number, got {value!r}")
            count = int(value)
            limit = MAX_CPUS if name == "cpu" else MAX_GPUS
            if count > limit:
                raise RecordError(f"AllocTRES: {name}={count} is more than {limit:,} (not a real allocation)")
            if name == "cpu":
                cpus = count
            elif name == "gres/gpu":
                plain_gpus = count
            else:
                typed_gpus += count
    gpus = plain_gpus if plain_gpus is not None else typed_gpus
    if gpus > MAX_GPUS:
        raise RecordError(f"AllocTRES: {gpus} GPUs is more than {MAX_GPUS:,} (not a real allocation)")
    return Tres(gpus=gpus, cpus=cpus)


# sacct's own form of a time (zero-padded). Anything else still goes through strptime, so a time is
# accepted or refused exactly as strptime("%Y-%m-%dT%H:%M:%S") would; this only skips its slow path.
_SACCT_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})", re.ASCII)


def parse_local_time(
    value: str, timezone_name: str, *, field: str = "Start", now: datetime | None = None
) -> datetime | None:
    """A sacct wall-clock time (``2024-03-21T13:40:23``, no offset) in the cluster's zone, as UTC.

    With ``now``, a time before EARLIEST_YEAR or after ``now`` (give or take CLOCK_SKEW) is refused."""
    value = (value or "").strip()
    if value in NOT_A_TIME:
        return None
    if not value.isascii():
        raise RecordError(f"{field}: {value!r} is not a time like 2024-03-21T13:40:23, Unknown or None")
    parts = _SACCT_TIME.fullmatch(value)
    try:
        if parts is not None:
            y, mo, d, h, mi, sec = parts.groups()
            naive = datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec))  # noqa: DTZ001 (zone attached next)
        else:
            naive = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")  # noqa: DTZ007 (the zone is attached next)
    except ValueError:
        raise RecordError(f"{field}: {value!r} is not a time like 2024-03-21T13:40:23, Unknown or None") from None
    if now is not None and naive.year < EARLIEST_YEAR:
        raise RecordError(f"{field}: {value!r} is before {EARLIEST_YEAR}")
    try:
        moment = naive.replace(tzinfo=ZoneInfo(timezone_name), fold=0).astimezone(UTC)
    except OverflowError:
        raise RecordError(f"{field}: {value!r} is out of range") from None
    if now is not None and moment > now + CLOCK_SKEW:
        raise RecordError(f"{field}: {value!r} is in the future")
    return moment


def month_of(moment: datetime) -> date:
    """The first day of the UTC calendar month of ``moment``."""
    moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def month_of_date(day: date) -> date:
    """The first day of ``day``'s calendar month."""
    return date(day.year, day.month, 1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def split_by_month(start_utc: datetime, seconds: int) -> list[tuple[date, int]]:
    """Split ``seconds`` of run time from ``start_utc`` at UTC month boundaries; the parts sum exactly."""
    if seconds <= 0:
        return []
    parts: list[tuple[date, int]] = []
    cursor = start_utc.astimezone(UTC)
    year, month = cursor.year, cursor.month
    remaining = seconds
    while remaining > 0:
        following = (year + 1, 1) if month == 12 else (year, month + 1)
        boundary = datetime(*following, 1, tzinfo=UTC)
        # Whole seconds only: Start has one-second resolution, so boundaries fall on whole seconds.
        room = int((boundary - cursor).total_seconds())
        take = min(room, remaining)
        parts.append((date(year, month, 1), take))
        remaining -= take
        cursor = boundary
        year, month = following
    return parts


def charge(*, start_utc: datetime | None, elapsed: int, gpus: int, cpus: int) -> tuple[MonthCharge, ...]:
    """The job's charge per UTC month: GPUs * seconds and cores * seconds in each month."""
    if start_utc is None or elapsed <= 0:
        return ()
    return tuple(
        MonthCharge(month=month, seconds=part, gpu_seconds=gpus * part, core_seconds=cpus * part)
        for month, part in split_by_month(start_utc, elapsed)
    )


def hours(seconds: int) -> float:
    """Hours for display (storage stays in exact seconds)."""
    return seconds / 3600


def _name(raw: Mapping[str, Any], field: str, pattern: re.Pattern[str] = SLURM_NAME) -> str:
    """A Slurm name field: empty, or letters, digits and ``_ . @ -`` (never spaces, quotes or newlines)."""
    value = _text(raw, field)
    if value and not pattern.fullmatch(value):
        raise RecordError(f"{field}: {value!r} is not a Slurm name (letters, digits, _ . @ - only)")
    return value


def _text(raw: Mapping[str, Any], field: str, *, required: bool = False) -> str:
    value = raw.get(field, "")
    if type(value) is not str:  # JSON gives text almost always: the checks below are for the rest
        if value is None:
            value = ""
        if not isinstance(value, str | int):
            raise RecordError(f"{field}: must be text, got {type(value).__name__}")
        value = str(value)
    value = value.strip()
    if required and not value:
        raise RecordError(f"{field}: is required")
    limit = _FIELD_MAX.get(field)
    if limit and len(value) > limit:
        raise RecordError(f"{field}: longer than {limit} characters")
    if "\x00" in value:
        raise RecordError(f"{field}: contains a NUL character")
    return value


def parse_record(raw: Mapping[str, Any], timezone_name: str, *, now: datetime) -> ParsedRecord:
    """Validate one record (a mapping of sacct field → value) and compute its charge.

    Every field is bounded (see MAX_ELAPSED, MAX_GPUS, MAX_CPUS, EARLIEST_YEAR): a job cannot be
    charged beyond ``now``, so one record yields at most 13 monthly charges."""
    cluster = _name(raw, "Cluster")
    if not cluster:
        raise RecordError("Cluster: is required")
    job_id_raw = _text(raw, "JobIDRaw", required=True)
    if not _JOB_ID_RAW.fullmatch(job_id_raw):
        raise RecordError(f"JobIDRaw: {job_id_raw!r} is not a job number")
    submit = _text(raw, "Submit", required=True)
    if parse_local_time(submit, timezone_name, field="Submit", now=now) is None:
        raise RecordError("Submit: a known submit time is required, it is part of the record's key")
    start_local = _text(raw, "Start")
    end_local = _text(raw, "End")
    start_utc = parse_local_time(start_local, timezone_name, field="Start", now=now)
    end_utc = parse_local_time(end_local, timezone_name, field="End", now=now)
    elapsed_value = raw.get("ElapsedRaw", "")
    elapsed_text = str(elapsed_value).strip() if isinstance(elapsed_value, str | int) else "?"
    if isinstance(elapsed_value, bool) or not _DIGITS.fullmatch(elapsed_text):
        raise RecordError(f"ElapsedRaw: {elapsed_value!r} is not a whole number of seconds")
    elapsed = int(elapsed_text)
    if elapsed > MAX_ELAPSED:
        raise RecordError(f"ElapsedRaw: {elapsed} seconds is longer than a year ({MAX_ELAPSED} s)")
    if start_utc is not None and start_utc + timedelta(seconds=elapsed) > now + CLOCK_SKEW:
        raise RecordError(f"ElapsedRaw: {elapsed} seconds from Start {start_local} runs past the present")
    alloc_tres = _text(raw, "AllocTRES")
    if len(alloc_tres) > 1000:
        raise RecordError("AllocTRES: longer than 1000 characters")
    tres = parse_alloc_tres(alloc_tres)
    return ParsedRecord(
        cluster=cluster,
        job_id_raw=job_id_raw,
        job_id=_text(raw, "JobID") or job_id_raw,
        account=_name(raw, "Account"),
        user=_name(raw, "User"),
        partition=_name(raw, "Partition", _PARTITION),
        qos=_name(raw, "QOS"),
        state=_text(raw, "State"),
        submit=submit,
        start_local=start_local,
        end_local=end_local,
        start_utc=start_utc,
        end_utc=end_utc,
        elapsed=elapsed,
        alloc_tres=alloc_tres,
        gpus=tres.gpus,
        cpus=tres.cpus,
        charges=charge(start_utc=start_utc, elapsed=elapsed, gpus=tres.gpus, cpus=tres.cpus),
    )


def parse_sacct_text(text: str) -> list[dict[str, str]]:
    """Rows of ``sacct --parsable2`` output with its header line; a malformed text raises BatchError."""
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        raise BatchError(["the body is empty: expected sacct --parsable2 output with its header line"])
    header = lines[0].split("|")
    missing = [field for field in SACCT_FIELDS if field not in header]
    if missing:
        raise BatchError([f"header line: missing column(s) {', '.join(missing)}; expected {'|'.join(SACCT_FIELDS)}"])
    if len(set(header)) != len(header):
        raise BatchError(["header line: a column appears twice"])
    rows = lines[1:]
    if len(rows) > MAX_BATCH:
        raise BatchError([f"too many records: {len(rows)} (at most {MAX_BATCH} per batch)"])
    reasons = []
    parsed = []
    for index, line in enumerate(rows):
        values = line.split("|")
        if len(values) != len(header):
            reasons.append(f"record {index} (line {index + 2}): {len(values)} fields, the header has {len(header)}")
            continue
        parsed.append(dict(zip(header, values, strict=True)))
    if reasons:
        raise BatchError(reasons[:50])
    return parsed


def check_json_batch(body: Any) -> list[Mapping[str, Any]]:
    """The records of a JSON batch ``{"records": [...]}``; a malformed batch raises BatchError."""
    if not isinstance(body, dict) or "records" not in body:
        raise BatchError(['the body must be a JSON object {"records": [...]}'])
    records = body["records"]
    if not isinstance(records, list):
        raise BatchError(["records: must be a list"])
    if len(records) > MAX_BATCH:
        raise BatchError([f"records: too many ({len(records)}; at most {MAX_BATCH} per batch)"])
    bad = [f"records[{i}]: must be an object of sacct fields" for i, r in enumerate(records) if not isinstance(r, dict)]
    if bad:
        raise BatchError(bad[:50])
    return records


def month_closes_at(month: date, close_after_days: int) -> date:
    """The day a month closes: ``close_after_days`` days after its last day (default 5 → the 6th)."""
    return next_month(month) + timedelta(days=close_after_days)


def is_month_closed(month: date, today: date, close_after_days: int) -> bool:
    """Whether usage for ``month`` may no longer come from sites (rules.md §3, default 5 days)."""
    return today >= month_closes_at(month, close_after_days)


def first_open_month(today: date, close_after_days: int) -> date:
    """The earliest month sites may still report on ``today``: every month before it is closed."""
    month = date(today.year, today.month, 1)
    while True:
        previous = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        if is_month_closed(previous, today, close_after_days):
            return month
        month = previous


# What a record books in one month: (seconds, GPU-seconds, core-seconds).
Booking = tuple[int, int, int]


def closed_bookings(charges: tuple[MonthCharge, ...], first_open: date) -> dict[date, Booking]:
    """The part of a record's charge that falls in closed months (those before ``first_open``)."""
    return {c.month: (c.seconds, c.gpu_seconds, c.core_seconds) for c in charges if c.month < first_open}


def closed_months_changed(stored: Mapping[date, Booking], new: Mapping[date, Booking]) -> list[date]:
    """Closed months whose booking a (re-)sent record would add, alter or remove.

    A site may re-send a record only if this is empty: a running job that grows keeps the same parts
    in closed months (same Start, same split), so it is accepted; a record whose Start moved, or
    that is new in a closed month, is not (rules.md §3: closed months change only by the secretariat).
    """
    return sorted(month for month in stored.keys() | new.keys() if stored.get(month) != new.get(month))


def usage_fraction_reached(used_seconds: int, granted_hours: int, percent: int) -> bool:
    """Whether usage reached ``percent`` % of the grant, in exact integers (799.99 of 1000 is not 80 %)."""
    if granted_hours <= 0:
        return used_seconds > 0 and percent <= 100
    return used_seconds * 100 >= percent * granted_hours * 3600


def grp_tres_mins(granted_hours: int) -> int:
    """Slurm's GrpTRESMins value for a grant in hours."""
    return granted_hours * 60


# --- storage (a usage feed of its own: rules.md §3 is silent on storage) ----------------------------
#
# Decision (documented in the README): a storage allocation grants a *quota* in TB (10**12 bytes,
# decimal) held over its period. Sites report, per Slurm account and day, the bytes the account
# occupies on the cluster's storage (the day is the cluster's local calendar date). Each reported day
# is charged as that day's occupancy for one day: the charge is in **TB-days** (stored exactly as
# byte-days), booked in the calendar month of the day. A day without a report charges nothing, and a
# re-sent day replaces the earlier value. What the page compares with the quota is the occupancy on
# the latest reported day of the allocation's period. Closed months and late back-fills follow the
# same rule as jobs (only the secretariat may change a closed month; its reports are marked late).

STORAGE_FIELDS: tuple[str, ...] = ("cluster", "account", "date", "used_bytes")
BYTES_PER_TB = 10**12
# 100 PB in one account is not a real report; 366 days of it still fit a bigint sum per allocation.
MAX_STORAGE_BYTES = 10**17
_BYTES = re.compile(r"[0-9]{1,30}", re.ASCII)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


@dataclass(frozen=True)
class StorageReport:
    """A validated storage report: bytes occupied by one Slurm account on one cluster on one day."""

    cluster: str
    account: str
    day: date
    used_bytes: int

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.cluster, self.account, self.day)


def parse_storage_report(raw: Mapping[str, Any], timezone_name: str, *, now: datetime) -> StorageReport:
    """Validate one storage report (``cluster``, ``account``, ``date``, ``used_bytes``).

    ``date`` is YYYY-MM-DD, from EARLIEST_YEAR to the cluster's local date now (CLOCK_SKEW allowed);
    ``used_bytes`` is a whole number of bytes in ASCII digits, at most MAX_STORAGE_BYTES."""
    for name in raw:
        if name not in STORAGE_FIELDS:
            raise RecordError(f"{name}: unknown field; a report has {', '.join(STORAGE_FIELDS)}")
    cluster = _name(raw, "cluster")
    if not cluster:
        raise RecordError("cluster: is required")
    account = _name(raw, "account")
    if not account:
        raise RecordError("account: is required (the Slurm account whose storage this is)")
    day_text = _text(raw, "date", required=True)
    if not _DAY.fullmatch(day_text):
        raise RecordError(f"date: {day_text!r} is not a date like 2026-11-30")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise RecordError(f"date: {day_text!r} is not a date like 2026-11-30") from None
    if day.year < EARLIEST_YEAR:
        raise RecordError(f"date: {day_text!r} is before {EARLIEST_YEAR}")
    local_today = (now + CLOCK_SKEW).astimezone(ZoneInfo(timezone_name)).date()
    if day > local_today:
        raise RecordError(f"date: {day_text!r} is in the future")
    value = raw.get("used_bytes", "")
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else "?"
    if not _BYTES.fullmatch(text):
        raise RecordError(f"used_bytes: {value!r} is not a whole number of bytes")
    used = int(text)
    if used > MAX_STORAGE_BYTES:
        raise RecordError(f"used_bytes: {used} is more than {MAX_STORAGE_BYTES:,} bytes (100 PB, not a real report)")
    return StorageReport(cluster=cluster, account=account, day=day, used_bytes=used)


def check_storage_batch(body: Any) -> list[Mapping[str, Any]]:
    """The reports of a JSON batch ``{"reports": [...]}``; a malformed batch raises BatchError."""
    if not isinstance(body, dict) or "reports" not in body:
        raise BatchError(['the body must be a JSON object {"reports": [...]}'])
    reports = body["reports"]
    if not isinstance(reports, list):
        raise BatchError(["reports: must be a list"])
    if len(reports) > MAX_BATCH:
        raise BatchError([f"reports: too many ({len(reports)}; at most {MAX_BATCH} per batch)"])
    bad = [f"reports[{i}]: must be an object of {', '.join(STORAGE_FIELDS)}" for i, r in enumerate(reports)
           if not isinstance(r, dict)]  # fmt: skip
    if bad:
        raise BatchError(bad[:50])
    return reports


def tb_days(byte_days: int) -> float:
    """TB-days for display (the charge is kept exactly, in byte-days)."""
    return byte_days / BYTES_PER_TB


def tb(used_bytes: int) -> float:
    """TB (10**12 bytes) for display."""
    return used_bytes / BYTES_PER_TB


def storage_percent(used_bytes: int, granted_tb: int) -> float:
    """Occupancy as a percentage of a quota in TB."""
    return 100 * used_bytes / (granted_tb * BYTES_PER_TB) if granted_tb > 0 else 0.0


def storage_fraction_reached(occupied_bytes: int, granted_tb: int, percent: int) -> bool:
    """Whether an occupancy reached ``percent`` % of a quota in TB, in exact integers."""
    return granted_tb > 0 and occupied_bytes * 100 >= percent * granted_tb * BYTES_PER_TB
