"""Create the database named in DATABASE_URL if it does not exist yet."""

import os
import sys

import psycopg
from psycopg import sql

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import dj_database_url

config = dj_database_url.parse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cernai"))
name = config["NAME"]
params = {
    "host": config["HOST"] or "127.0.0.1",
    "port": config["PORT"] or 5432,
    "user": config["USER"] or "postgres",
    "password": config["PASSWORD"] or None,
    "dbname": "postgres",
}
with psycopg.connect(**params, autocommit=True) as conn:
    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if not exists:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}")
    else:
        print(f"database {name} exists")
