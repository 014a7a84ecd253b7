"""Back-fill a cluster's history from a `sacct --parsable2` file, the same way the API ingests it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cernai.accounts.models import User
from compute import charging
from compute.models import Cluster
from compute.services import ingest_usage


class Command(BaseCommand):
    help = (
        "Ingest sacct --parsable2 output (with its header line) as a staff back-fill: closed months are "
        "booked in their own month, marked late and audited. Records are sent in batches of 5,000."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--cluster",
            action="append",
            default=[],
            help="Only accept records of this cluster (repeatable); others are reported as rejected.",
        )
        parser.add_argument("--as", dest="actor", default="", help="Email of the staff member doing the back-fill.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        actor = None
        if options["actor"]:
            actor = User.objects.filter(email=options["actor"], is_staff=True).first()
            if actor is None:
                raise CommandError(f"--as: no staff member with email {options['actor']!r}")
        wanted = set(options["cluster"])
        unknown = wanted - set(Cluster.objects.filter(name__in=wanted).values_list("name", flat=True))
        if unknown:
            raise CommandError(f"--cluster: unknown cluster(s) {', '.join(sorted(unknown))}")
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise CommandError(f"{path}: empty file")
        header, body = lines[0], lines[1:]
        totals = {"created": 0, "updated": 0, "unchanged": 0, "unmatched": 0, "rejected": 0}
        for offset in range(0, max(len(body), 1), charging.MAX_BATCH):
            chunk = body[offset : offset + charging.MAX_BATCH]
            try:
                rows = charging.parse_sacct_text("\n".join([header, *chunk]))
            except charging.BatchError as exc:
                raise CommandError("; ".join(exc.reasons)) from exc
            records: list[dict[str, str]] = []
            for index, row in enumerate(rows):
                if wanted and row.get("Cluster") not in wanted:
                    totals["rejected"] += 1
                    self.stderr.write(f"record {offset + index}: Cluster {row.get('Cluster')!r} not selected")
                    continue
                records.append(row)
            result = ingest_usage(records=records, site=None, staff_user=actor)
            for key in ("created", "updated", "unchanged", "unmatched"):
                totals[key] += getattr(result, key)
            totals["rejected"] += len(result.rejected)
            for rejected in result.rejected:
                self.stderr.write(f"record {offset + rejected['index']}: {rejected['reason']}")
        self.stdout.write(", ".join(f"{key} {value}" for key, value in totals.items()))
