"""Slack bot under load: 50 concurrent mentions against the local Web API stand-in.

The bot runs as its own process (`briefbot slack --http` on 127.0.0.1, real
Briefbot, extractive mode, the repo's corpus/ indexed into a temporary
BRIEFBOT_HOME); this process plays Slack: it serves the Web API stand-in, sends
correctly signed Events API requests all at once, and watches what the bot posts.

It reports: acknowledgement latency (p50/p95/p99/max, target p99 < 100 ms and all
acknowledged), whether every mention was answered exactly once (also after every
event is redelivered as a Slack retry), answer latency p50/p95 (request sent →
final chat.update), and the bot process's peak RSS (VmHWM).

    .venv/bin/python benchmarks/bench_slack.py [--mentions 50] [--workers 4] [--corpus corpus]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.servers.slack_api import (  # noqa: E402
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    SlackApiStandIn,
    event_body,
    mention,
    post,
    signed_headers,
)

QUESTIONS = [
    "How many devices are in the Tidewater botnet?",
    "Which sectors were targeted by espionage against chip companies?",
    "What should owners of end-of-life routers do?",
    "What routes did state-backed actors use to obtain technology?",
    "What does the policy note recommend to universities?",
    "Welke toeleveranciers zijn doelwit van spionage?",
    "How do the operators hide the origin of their traffic?",
    "How many espionage incidents did NGIS count in 2023?",
    "What are the insider risk patterns in research?",
    "Which vulnerabilities did the attackers exploit?",
]
ACK_P99_TARGET_MS = 100.0


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def send_all(url: str, bodies: list[str], retry: str | None) -> list[tuple[int, float, float]]:
    """POST every body at once from its own thread; (status, ack ms, monotonic send time) each."""
    barrier = threading.Barrier(len(bodies))

    def send(body: str) -> tuple[int, float, float]:
        headers = signed_headers(body) | ({"X-Slack-Retry-Num": retry} if retry else {})
        barrier.wait()
        t0 = time.monotonic()
        status, _ = post(url, body, headers)
        return status, (time.monotonic() - t0) * 1000, t0

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="BRIEFBOT_SLACK_WORKERS for the bot")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    args = parser.parse_args()

    briefbot = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))"]
    with tempfile.TemporaryDirectory() as home, SlackApiStandIn() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "SLACK_"))}
        env.update(
            BRIEFBOT_HOME=home,
            BRIEFBOT_SLACK_API_URL=api.url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            BRIEFBOT_SLACK_WORKERS=str(args.workers),
            BRIEFBOT_SLACK_RATE_LIMIT_PER_MINUTE="1000",
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            ANONYMIZED_TELEMETRY="False",
        )
        started = time.monotonic()
        run([*briefbot, "index", str(args.corpus), "--json"], env)
        print(f"indexed {args.corpus} in {time.monotonic() - started:.1f}s")

        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log_path = Path(home) / "bot.log"  # a file, not a pipe: a full pipe would block the bot's logging
        log_file = log_path.open("w")
        bot = subprocess.Popen(
            [*briefbot, "slack", "--http", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}/slack/events"
            deadline = time.monotonic() + 180
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                        break
                except OSError:
                    if bot.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(  # noqa: B904 - the OSError is just "not up yet"
                            "the bot did not start: " + log_path.read_text()
                        )
                    time.sleep(0.2)

            # One warm-up question so the model load is not counted as answer latency.
            started = time.monotonic()
            ts = api.add_message("C0WARM", f"<@{BOT_USER_ID}> warm up")
            body = json.dumps(event_body(mention(QUESTIONS[0], channel="C0WARM", ts=ts)))
            post(url, body, signed_headers(body))
            api.wait_for("chat.update", where=lambda c: c.args["channel"] == "C0WARM", timeout=300)
            print(f"bot ready; warm-up answer after {time.monotonic() - started:.1f}s")

            n = args.mentions
            events = []
            for i in range(n):
                channel = f"C{i:04d}"
                question = QUESTIONS[i % len(QUESTIONS)]
                ts = api.add_message(channel, f"<@{BOT_USER_ID}> {question}", user=f"U{i:04d}")
                events.append(event_body(mention(question, channel=channel, ts=ts, user=f"U{i:04d}")))
            # The senders run in their own process so that this process's GIL, busy serving the
            # bot's Web API calls, does not count as acknowledgement latency.
            sent_at: dict[str, float] = {}
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                results = pool.apply(send_all, (url, [json.dumps(e) for e in events], None))
            acks = [(status, ms) for status, ms, _ in results]
            for event, (_, _, t0) in zip(events, results, strict=True):
                sent_at[str(event["event"]["channel"])] = t0  # type: ignore[index]
            statuses = [s for s, _ in acks]
            ack_ms = [ms for _, ms in acks]

            def answers() -> dict[str, int]:
                counts: dict[str, int] = {}
                for c in api.calls_to("chat.update"):
                    channel = str(c.args["channel"])
                    if (
                        channel in sent_at
                        and (c.args.get("metadata") or {}).get("event_type") == "briefbot_answer"
                    ):
                        counts[channel] = counts.get(channel, 0) + 1
                return counts

            api.wait_for(
                "chat.update",
                n,
                timeout=600,
                where=lambda c: (
                    str(c.args["channel"]) in sent_at
                    and (c.args.get("metadata") or {}).get("event_type") == "briefbot_answer"
                ),
            )
            answered_at = {}
            for c in api.calls_to("chat.update"):
                answered_at.setdefault(str(c.args["channel"]), c.at)
            answer_s = [answered_at[ch] - sent_at[ch] for ch in sent_at]

            # Slack redelivers every event as a retry: none may be answered again.
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                retried = pool.apply(send_all, (url, [json.dumps(e) for e in events], "1"))
            retry_statuses = [status for status, _, _ in retried]
            retry_ms = [ms for _, ms, _ in retried]
            time.sleep(3.0)  # give any wrongly accepted retry time to post
            counts = answers()
            rss = peak_rss_mb(bot.pid)
        finally:
            bot.terminate()
            try:
                bot.wait(timeout=60)
            except subprocess.TimeoutExpired:
                bot.kill()
            log_file.close()
        log_text = log_path.read_text() if log_path.exists() else ""

        failures = [c for c in api.calls if ":failed" in c.method]
        exactly_once = len(counts) == n and all(v == 1 for v in counts.values())
        p99 = pct(ack_ms, 0.99)
        print()
        print(f"{n} concurrent mentions, {args.workers} workers, extractive, corpus {args.corpus.name}/")
        print(
            f"  acknowledged       {statuses.count(200)}/{n} (HTTP 200)   retries acknowledged "
            f"{retry_statuses.count(200)}/{n}"
        )
        print(
            f"  ack latency ms     p50 {pct(ack_ms, 0.5):.1f}  p95 {pct(ack_ms, 0.95):.1f}  "
            f"p99 {p99:.1f}  max {max(ack_ms):.1f}   (target p99 < {ACK_P99_TARGET_MS:.0f} ms: "
            f"{'PASS' if p99 < ACK_P99_TARGET_MS and statuses.count(200) == n else 'FAIL'})"
        )
        print(
            f"  retry ack ms       p50 {pct(retry_ms, 0.5):.1f}  p99 {pct(retry_ms, 0.99):.1f}  "
            "(same requests again, while the bot is idle)"
        )
        print(
            f"  answered once      {sum(1 for v in counts.values() if v == 1)}/{n} "
            f"({'PASS' if exactly_once else 'FAIL'}; after {n} retries, answers per mention: "
            f"{sorted(set(counts.values()))})"
        )
        print(
            f"  answer latency s   p50 {statistics.median(answer_s):.2f}  p95 {pct(answer_s, 0.95):.2f}  "
            f"max {max(answer_s):.2f}"
        )
        print(f"  bot peak RSS       {rss:.0f} MB")
        print(f"  Web API errors     {len(failures)}")
        leaked = log_text.count(BOT_TOKEN) + log_text.count(BOT_TOKEN.split("-", 1)[1])
        print(f"  bot log            {len(log_text.splitlines())} lines, tokens in it: {leaked}")
        return 0 if exactly_once and p99 < ACK_P99_TARGET_MS and statuses.count(200) == n else 1


if __name__ == "__main__":
    raise SystemExit(main())
