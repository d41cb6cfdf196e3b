"""`make bench`'s B4, the messaging floor (bench/floor.py), on the session's real RabbitMQ at small sizes: the bare
service answers every RPC and handles every event, and the CPU of every process involved is counted. CI does not
run the benchmarks; this keeps the floor measurement from breaking unnoticed."""

from __future__ import annotations

import os

import pytest

import bench.run as bench
from tests.conftest import _vhost

pytestmark = pytest.mark.integration


def test_the_floor_counts_every_call_and_event_and_the_cpu_of_each_process(broker, monkeypatch):
    monkeypatch.setattr(bench, "RPC_CALLS", 100)  # 200 round trips from 20 callers
    monkeypatch.setattr(bench, "MESSAGES", 300)
    monkeypatch.setattr(bench, "BENCH_AMQP_PORT", broker.port)  # how the broker's processes are told apart
    result = bench.b4_floor(f"amqp://guest:guest@127.0.0.1:{broker.port}/{_vhost(broker)}")

    assert result["rpc"]["calls"] == 200 and result["events"]["events"] == 300
    for part, key in (("rpc", "cpu_ms_per_call"), ("events", "cpu_ms_per_event")):
        split = result[part]["cpu_ms_split"]
        # Every process did some of the work: the service, the broker, and the callers or the publisher.
        assert min(split.values()) > 0, split
        assert result[part][key] == pytest.approx(sum(split.values()))
    rpc, event = result["rpc"]["cpu_ms_per_call"], result["events"]["cpu_ms_per_event"]
    # The path: 4 RPCs (the officer's receipt among them) and 5 events (the private contact event among them).
    assert (bench.PATH_RPCS, bench.PATH_EVENTS) == (4, 5)
    assert result["path_cpu_ms"] == pytest.approx(4 * rpc + 5 * event)
    assert result["path_ceiling_per_s"] == pytest.approx(os.cpu_count() * 1000 / result["path_cpu_ms"])
    assert result["least_ceiling_per_s"] > result["path_ceiling_per_s"]


@pytest.mark.parametrize("running", ["postgresql"], indirect=True)  # B3 runs on PostgreSQL in `make bench`
def test_b3_counts_each_dossier_once_received_by_the_desk_and_notified(running, monkeypatch):
    """B3 at a small size on the test platform: the receiving officer works the receipt queue through the API while
    the clients file, and every accepted dossier's receipt e-mail reaches the SMTP sink, found by its code."""
    monkeypatch.setattr(bench, "DOSSIERS", 24)
    monkeypatch.setattr(bench, "CLIENTS", 3)
    result = bench.b3_end_to_end(running.base_url, running.mail_dir)
    assert result["errors"] == 0 and result["received_by_desk"] == 24
    assert result["notified"] == 24  # each dossier's code in one of the e-mails, none missing
