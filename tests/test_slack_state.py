"""Persistent state: event dedup, answered threads, thread history, feedback, rate limits, notices."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from bot.slack.dedup import EventDedup, event_key, message_key
from bot.slack.feedback import FeedbackStore
from bot.slack.ratelimit import RateLimiter
from bot.slack.threads import ThreadRegistry, answer_metadata, event_metadata, history_from_replies


def test_dedup_claims_once_across_threads_and_restarts(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    dedup = EventDedup(db)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        results.append(dedup.claim(event_key("Ev1"), message_key("C1", "1.1")))

    workers = [threading.Thread(target=claim) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert results.count(True) == 1
    dedup.close()
    again = EventDedup(db)
    assert not again.claim(event_key("Ev1"))
    assert not again.claim(event_key("Ev2"), message_key("C1", "1.1"))  # same message, other event type
    assert again.seen(event_key("Ev2"))  # ...and its retries are now caught too
    assert again.claim(event_key("Ev3"), message_key("C1", "2.2"))
    again.close()


def test_thread_registry_persists(tmp_path: Path) -> None:
    reg = ThreadRegistry(tmp_path / "s.sqlite")
    reg.mark("C1", "1.1")
    reg.close()
    reg = ThreadRegistry(tmp_path / "s.sqlite")
    assert reg.answered("C1", "1.1") and not reg.answered("C1", "2.2")
    reg.close()


def msg(ts: str, text: str, **kw: Any) -> dict[str, Any]:
    return {"ts": ts, "text": text, **kw}


def test_history_pairs_questions_with_answers_and_skips_notices_other_bots_and_newer_messages() -> None:
    messages = [
        msg("1.0", "<@UB> Which sectors?", user="U1"),
        msg(
            "1.1",
            "Energy [1]. &lt;ok&gt;",
            user="UB",
            bot_id="BB",
            metadata=answer_metadata("Which sectors?", "a1"),
        ),
        msg("1.2", "unrelated bot", user="UX", bot_id="BX"),
        msg("1.3", "And water?", user="U2"),
        msg("1.4", "Searching…", user="UB", bot_id="BB", metadata=event_metadata("briefbot_notice")),
        msg("1.5", "Water too [2].", user="UB", bot_id="BB"),  # an answer without metadata
        msg("1.6", "current question", user="U1"),
        msg(
            "1.7", "later answer", user="UB", bot_id="BB", metadata=answer_metadata("current question", "a3")
        ),
    ]
    turns = history_from_replies(messages, bot_user_id="UB", bot_id="BB", before_ts="1.6")
    assert turns == [("Which sectors?", "Energy [1]. <ok>"), ("And water?", "Water too [2].")]


def test_history_keeps_only_the_latest_turns() -> None:
    messages = []
    for i in range(10):
        messages.append(msg(f"{i}.0", f"q{i}", user="U1"))
        messages.append(msg(f"{i}.5", f"a{i}", user="UB", metadata=answer_metadata(f"q{i}", "x")))
    turns = history_from_replies(messages, bot_user_id="UB", bot_id=None, before_ts="99.0", max_turns=3)
    assert turns == [("q7", "a7"), ("q8", "a8"), ("q9", "a9")]


def test_feedback_votes_join_their_answer_and_a_second_vote_replaces_the_first(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "s.sqlite")
    answer_id = store.register_answer(
        question="What is X?",
        method="extractive",
        refused=False,
        sources=["a.md"],
        channel="C1",
        thread_ts="1.1",
        user="U1",
    )
    store.record_vote(answer_id, user="U2", vote="up", channel="C1", message_ts="1.2")
    store.record_vote(answer_id, user="U2", vote="down", channel="C1", message_ts="1.2")
    store.record_vote(answer_id, user="U3", vote="up")
    records = store.list()
    assert sorted((r.user, r.vote) for r in records) == [("U2", "down"), ("U3", "up")]
    assert all(r.question == "What is X?" and r.sources == ["a.md"] for r in records)
    assert records[0].to_json()["voted_at"].endswith("Z")
    store.close()


def test_rate_limiter_is_a_sliding_window_per_user() -> None:
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.check("a") is None and limiter.check("a") is None
    wait = limiter.check("a")
    assert wait is not None and 59 < wait <= 60
    assert limiter.check("b") is None
    now[0] = 60.5
    assert limiter.check("a") is None


def test_jobs_wait_to_start_while_requests_are_being_acknowledged() -> None:
    from bot.slack.workers import WorkerPool

    pool = WorkerPool(2, ack_priority_wait=30)
    started = threading.Event()
    with pool.acknowledging():
        assert pool.submit(started.set, label="job")
        assert not started.wait(0.3)  # held back while an acknowledgement is in flight
    assert started.wait(10)
    assert pool.wait_idle(10)
    pool.shutdown()


def test_a_stream_of_acknowledgements_cannot_starve_the_jobs() -> None:
    from bot.slack.workers import WorkerPool

    pool = WorkerPool(1, ack_priority_wait=0.05)
    started = threading.Event()
    with pool.acknowledging():
        pool.submit(started.set, label="job")
        assert started.wait(10)  # starts after at most ack_priority_wait, acks or not
    pool.shutdown()


def test_a_full_pool_refuses_more_work() -> None:
    from bot.slack.workers import WorkerPool

    pool = WorkerPool(1, max_pending=1)
    gate = threading.Event()
    assert pool.submit(lambda: gate.wait(10) and None, label="slow")
    assert not pool.submit(lambda: None, label="refused")
    gate.set()
    assert pool.wait_idle(10) and pool.pending == 0
    pool.shutdown()
