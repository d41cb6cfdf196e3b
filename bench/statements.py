"""B5: what one statement costs PostgreSQL, sent as text (as psycopg2 sends every statement the platform runs)
and prepared once then executed (as psycopg 3 does after a few executions). Measured on the server's own CPU
(the backend's /proc times) and the client's, for a primary-key read and an insert of a dossier-sized row, each in
autocommit. What server-side prepared statements could save per statement, and so per dossier (88 statements
in B3), before anyone changes the driver."""

from __future__ import annotations

import json
import os
import time
import uuid

import psycopg2

STATEMENTS = int(os.environ.get("BENCH_STATEMENTS", "4000"))
PAYLOAD = json.dumps({"form": "x" * 1500})


def _backend_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(conn, run) -> dict:
    """Server and client CPU per statement of `run(cursor, i)` repeated STATEMENTS times."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
        for i in range(200):  # warm: caches, plans
            run(cur, i)
        server, client, started = _backend_cpu(pid), time.process_time(), time.perf_counter()
        for i in range(STATEMENTS):
            run(cur, i)
        wall = time.perf_counter() - started
        return {
            "server_ms": round(1000 * (_backend_cpu(pid) - server) / STATEMENTS, 4),
            "client_ms": round(1000 * (time.process_time() - client) / STATEMENTS, 4),
            "per_s": round(STATEMENTS / wall),
        }


def measure(dsn: str) -> dict:
    """Text against prepared, for a primary-key read and an insert."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    table = f"b5_{uuid.uuid4().hex[:6]}"
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (id serial PRIMARY KEY, code text UNIQUE, body text)")
        cur.execute(
            f"INSERT INTO {table} (code, body) SELECT 'seed-' || g, %s FROM generate_series(1, 10000) g",
            (PAYLOAD,),
        )
        cur.execute(f"PREPARE b5_read (int) AS SELECT * FROM {table} WHERE id = $1")
        cur.execute(f"PREPARE b5_insert (text, text) AS INSERT INTO {table} (code, body) VALUES ($1, $2)")
    try:
        return {
            "read_text": _measure(
                conn, lambda c, i: c.execute(f"SELECT * FROM {table} WHERE id = %s", (i % 9000 + 1,))
            ),
            "read_prepared": _measure(conn, lambda c, i: c.execute("EXECUTE b5_read (%s)", (i % 9000 + 1,))),
            "insert_text": _measure(
                conn,
                lambda c, i: c.execute(
                    f"INSERT INTO {table} (code, body) VALUES (%s, %s)", (f"t-{uuid.uuid4().hex}", PAYLOAD)
                ),
            ),
            "insert_prepared": _measure(
                conn, lambda c, i: c.execute("EXECUTE b5_insert (%s, %s)", (f"p-{uuid.uuid4().hex}", PAYLOAD))
            ),
        }
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE {table}")
        conn.close()


def line(b5: dict) -> str:
    def pair(kind: str) -> str:
        text, prepared = b5[f"{kind}_text"], b5[f"{kind}_prepared"]
        return (
            f"{text['server_ms']:.3f} ms as text, {prepared['server_ms']:.3f} ms prepared "
            f"(client {text['client_ms']:.3f} / {prepared['client_ms']:.3f} ms)"
        )

    return f"primary-key read {pair('read')}; insert {pair('insert')}"
