"""T21: the backup and restore drill, through the commands an operator runs.

Back up a portal with a published ballot, a secret-free vote register, an application with an
uploaded document and the audit trail; restore into a new, empty database and directory; every
table's count is identical, every file is there with its recorded SHA-256, the ballot seals verify
on the copy (and an edit of the copy is caught: the check can fail), and the audit trail on the
copy is still append-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from cernai.core import files
from governance import services as governance
from tests.fellowships.factories import pdf

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
VERIFY_BALLOTS = (
    "import json; from governance.models import Ballot; from governance.services import verify_ballot; "
    "print(json.dumps({b: verify_ballot(ballot_id=b).problems for b in Ballot.objects.values_list('pk', flat=True)}))"
)


def url_of(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db.get('USER') or 'postgres'}{password}@{host}:{port}/{name}"


def manage(*args: str, database: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cernai.settings.test", "DATABASE_URL": url_of(database)}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def admin_connection() -> psycopg.Connection[Any]:
    db = connection.settings_dict
    return psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def empty_database() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_restore"
    with admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def table_counts(database: str) -> dict[str, int]:
    with psycopg.connect(url_of(database).replace("postgres://", "postgresql://")) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # type: ignore[index]


def test_t21_backup_and_restore_drill(
    members: Any, delegates: dict[str, Any], make_ballot: Any, call: Any, applicant: Any, tmp_path: Path,
    empty_database: str,
) -> None:  # fmt: skip
    ballot = make_ballot()
    for iso2 in list(delegates)[:10]:
        governance.cast_vote(ballot_id=ballot.pk, user=delegates[iso2][0], choice="yes" if iso2 != "FR" else "no")
    governance.close_ballot(actor=None, ballot_id=ballot.pk)
    governance.publish_result(actor=None, ballot_id=ballot.pk)
    open_ballot = make_ballot()
    governance.cast_vote(ballot_id=open_ballot.pk, user=delegates["FR"][0], choice="abstain")
    document = files.store_upload(upload=pdf("cv.pdf"), owner=applicant, purpose="cv")
    source_db = connection.settings_dict["NAME"]

    backup_dir = tmp_path / "backup"
    done = manage("backup", str(backup_dir), database=source_db)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert f"private/{document.stored_name}" in manifest["media"]["files"]

    restored_media = tmp_path / "restored-media"
    done = manage(
        "restore", str(backup_dir), "--database-url", url_of(empty_database), "--media-root", str(restored_media),
        database=source_db,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    # Every count identical, the audit trail's event tables included.
    original, copy = table_counts(source_db), table_counts(empty_database)
    assert copy == original
    assert copy["governance_vote"] == 11 and copy["governance_ballotevent"] > 0 and copy["core_privatefile"] == 1
    # Every file, with the SHA-256 recorded when it was uploaded.
    restored_file = restored_media / "private" / document.stored_name
    assert hashlib.sha256(restored_file.read_bytes()).hexdigest() == document.sha256
    # The ballot seals verify on the copy.
    verified = manage("shell", "-c", VERIFY_BALLOTS, database=empty_database)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout.strip().splitlines()[-1]) == {str(ballot.pk): [], str(open_ballot.pk): []}
    # The audit trail on the copy is append-only still, and an edit of a vote on the copy is caught.
    with psycopg.connect(url_of(empty_database).replace("postgres://", "postgresql://"), autocommit=True) as copy_db:
        with pytest.raises(psycopg.errors.RaiseException, match="Cannot update or delete"):
            copy_db.execute("UPDATE governance_ballotevent SET pgh_label = pgh_label")
        copy_db.execute("UPDATE governance_vote SET choice = 'yes' WHERE ballot_id = %s", [ballot.pk])
    tampered = manage("shell", "-c", VERIFY_BALLOTS, database=empty_database)
    assert "The vote of France" in " ".join(json.loads(tampered.stdout.strip().splitlines()[-1])[str(ballot.pk)])

    # Restore never merges into a database that holds data.
    refused = manage("restore", str(backup_dir), "--database-url", url_of(empty_database), database=source_db)
    assert refused.returncode != 0 and "not empty" in refused.stderr


def test_a_damaged_backup_is_refused(tmp_path: Path, empty_database: str) -> None:
    backup_dir = tmp_path / "backup"
    assert manage("backup", str(backup_dir), database=connection.settings_dict["NAME"]).returncode == 0
    with (backup_dir / "database.dump").open("r+b") as dump:
        dump.seek(200)
        dump.write(b"\x00garbage\x00")
    refused = manage(
        "restore", str(backup_dir), "--database-url", url_of(empty_database), "--media-root", str(tmp_path / "m"),
        database=connection.settings_dict["NAME"],
    )  # fmt: skip
    assert refused.returncode != 0 and "does not match the manifest" in refused.stderr
