"""Benchmark: sending a personalised campaign email, Revline's engine against a naive loop.

    .venv/bin/python -m bench.email_send [--messages 100000] [--help]

One run, one fresh SQLite database in a temporary data directory, one local SMTP sink (aiosmtpd,
reading each message's DATA in one read) in its own process so that it never competes with the
sender for the GIL. Each measured part
runs in its own process too, so its peak RSS is its own.

Measured:
- naive      for each contact: render_email(...) (the same personalised HTML + text as the
             campaign), then EmailMultiAlternatives(...).send(): Django opens a new SMTP
             connection per message. Timed on the first --naive-messages contacts (its cost per
             message does not depend on the list's length).
- revline    email_start (freeze, one Send per recipient) + email_deliver: chunks claimed
             atomically, rendered, links rewritten to tracked links, open pixel, List-Unsubscribe
             headers, one reused SMTP connection, each chunk committed as sent.

Printed: messages/s of each, the ratio (goal: at least 3x), peak RSS of each sender, and the
sink's count (every message arrived exactly once).
"""

import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
GOAL = 3.0
BLOCKS = [
    {"type": "heading", "text": "Spring update for {{ contact.company.name|default:\"you\" }}"},
    {"type": "text", "text": "Hi {{ contact.first_name|default:\"there\" }},\n\nThis spring we "
     "shipped a faster dashboard, [a new pricing page](https://www.example.com/pricing) and "
     "many small things you asked for.\n\nHere is what changed and why it matters to "
     "{{ contact.company.name|default:\"your team\" }}."},
    {"type": "button", "label": "See what's new", "url": "https://www.example.com/spring?utm_source=email"},
    {"type": "divider"},
    {"type": "text", "text": "Questions? Reply to this email or [book a call](https://www.example.com/book)."},
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- Phases, each in its own process ------------------------------------------------------------


def phase_sink(port: int, pipelining: bool) -> None:
    """Accept mail until SIGTERM, then print how many messages and distinct recipients came.

    aiosmtpd reads DATA one line at a time in Python, which made the sink, not the sender, the
    bottleneck of both loops; this sink reads the message in one go, as a production MTA does."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, syntax

    received: list[str] = []

    class FastDataSMTP(SMTP):
        @syntax("DATA")
        async def smtp_DATA(self, arg: str) -> None:
            assert self.envelope is not None
            if not self.envelope.rcpt_tos:
                await self.push("503 Error: need RCPT command")
                return
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            data = b""
            # The client waits for our reply after the final dot, so it ends the buffer.
            while not data.endswith(b"\r\n.\r\n"):
                more = await self._reader.read(1 << 16)
                if not more:
                    return
                data += more
            received.extend(self.envelope.rcpt_tos)
            self.envelope.original_content = data[:-5].replace(b"\r\n..", b"\r\n.")
            self._set_post_data_state()
            await self.push("250 OK")

    class FastController(Controller):
        def factory(self) -> SMTP:
            return FastDataSMTP(self.handler, **self.SMTP_kwargs)

    class Handler:
        async def handle_EHLO(
            self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
        ) -> list[str]:
            session.host_name = hostname
            if not pipelining:
                return responses
            # As Postfix, Exim and the providers' SMTP endpoints do (RFC 2920).
            return [*responses[:-1], "250-PIPELINING", responses[-1]]

    controller = FastController(Handler(), hostname=HOST, port=port)
    controller.start()
    cpu = time.process_time()
    print("ready", flush=True)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    while not stop["now"]:
        time.sleep(0.05)
    controller.stop()
    cpu_ms = 1000 * (time.process_time() - cpu) / max(1, len(received))
    counts = {"messages": len(received), "distinct": len(set(received))}
    print(json.dumps({**counts, "cpu_ms_per_message": round(cpu_ms, 3)}), flush=True)


def _django() -> None:
    import django

    django.setup()


def phase_setup(messages: int) -> dict[str, Any]:
    _django()
    from django.core.management import call_command
    from django.utils import timezone

    from revline.core.workspace import workspace_get
    from revline.email.models import Email, EmailTemplate
    from revline.people.models import Company, ConsentRecord, ConsentStatus, Contact
    from revline.segments.models import Segment

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    workspace = workspace_get()
    workspace.name = "Acme"
    workspace.email_from_name = "Acme"
    workspace.email_from_address = "news@acme.example"
    workspace.postal_address = "Acme GmbH\nMain Street 1\n10115 Berlin"
    workspace.save()
    companies = Company.objects.bulk_create(Company(name=f"Company {n}") for n in range(100))
    now = timezone.now()
    for start in range(0, messages, 5000):
        batch = Contact.objects.bulk_create(
            Contact(first_name=f"First{n}", last_name=f"Last{n}", email=f"person{n}@example.com",
                    company=companies[n % len(companies)])
            for n in range(start, min(messages, start + 5000))
        )  # fmt: skip
        ConsentRecord.objects.bulk_create(
            ConsentRecord(contact=c, purpose="marketing_email", status=ConsentStatus.GRANTED,
                          recorded_at=now, source="bench")
            for c in batch
        )  # fmt: skip
    template = EmailTemplate.objects.create(
        name="Spring", subject="{{ contact.first_name }}, what's new this spring", blocks=BLOCKS
    )
    segment = Segment.objects.create(name="All", definition={"match": "all", "conditions": []})
    email = Email.objects.create(name="Spring", template=template, segment=segment,
                                 rate_per_minute=0)  # fmt: skip
    return {"email_id": email.pk}


def phase_revline(email_id: int, chunk: int) -> dict[str, Any]:
    _django()
    from revline.email.models import Email, Send, SendState
    from revline.email.send_services import CHUNK_SIZE, email_deliver, email_start, send_links

    email = Email.objects.select_related("template", "segment").get(pk=email_id)
    # A worker process is long-lived: load the URL configuration (send links are reversed from
    # it, ~1-2 s of imports, once) before timing, as the naive loop's django.setup() is.
    send_links("warm-up")
    cpu = time.process_time()
    started = time.perf_counter()
    email_start(email=email)
    created = time.perf_counter() - started
    stats = email_deliver(email_id=email_id, chunk_size=chunk or CHUNK_SIZE)
    seconds = time.perf_counter() - started
    return {
        "messages": stats.sent,
        "failed": stats.failed,
        "seconds": round(seconds, 3),
        "start_seconds": round(created, 3),
        "rate": round(stats.sent / seconds, 1),
        "cpu_ms_per_message": round(1000 * (time.process_time() - cpu) / max(1, stats.sent), 3),
        "peak_rss_mb": peak_rss_mb(),
        "sent_rows": Send.objects.filter(email_id=email_id, state=SendState.SENT).count(),
    }


def phase_naive(email_id: int, messages: int) -> dict[str, Any]:
    _django()
    from django.core.mail import EmailMultiAlternatives

    from revline.email.models import Email
    from revline.email.rendering import Footer, contact_context, render_email
    from revline.people.models import Contact

    email = Email.objects.select_related("template").get(pk=email_id)
    content = email.template
    assert content is not None
    contacts = (
        Contact.objects.select_related("company", "owner").order_by("pk")[:messages].iterator()
    )
    sent = 0
    cpu = time.process_time()
    started = time.perf_counter()
    for contact in contacts:
        footer = Footer("Acme GmbH\nMain Street 1\n10115 Berlin",
                        f"https://crm.example/e/u/{contact.pk}",
                        f"https://crm.example/e/p/{contact.pk}")  # fmt: skip
        rendered = render_email(content=content, context=contact_context(contact), footer=footer)
        message = EmailMultiAlternatives(
            rendered.subject, rendered.text, "Acme <news@acme.example>", [contact.email]
        )
        message.attach_alternative(rendered.html, "text/html")
        sent += message.send()
    seconds = time.perf_counter() - started
    return {"messages": sent, "seconds": round(seconds, 3), "rate": round(sent / seconds, 1),
            "cpu_ms_per_message": round(1000 * (time.process_time() - cpu) / max(1, sent), 3),
            "peak_rss_mb": peak_rss_mb()}  # fmt: skip


# --- The driver ---------------------------------------------------------------------------------


def _env(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REVLINE_REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="revline.settings",
        REVLINE_DATA_DIR=str(data_dir),
        REVLINE_SECRET_KEY="bench-secret",
        REVLINE_BASE_URL="https://crm.example",
        REVLINE_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        REVLINE_EMAIL_HOST=HOST,
        REVLINE_EMAIL_PORT=str(port),
        REVLINE_TASK_BACKEND="django_tasks.backends.dummy.DummyBackend",
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH")])
        ),
    )
    return env


def _phase(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.email_send", "--phase", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=7200, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"phase {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sink(env: dict[str, str], port: int, pipelining: bool) -> subprocess.Popen[str]:
    sink = subprocess.Popen(
        [sys.executable, "-m", "bench.email_send", "--phase", "sink", str(port),
         "1" if pipelining else "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert sink.stdout is not None
    if sink.stdout.readline().strip() != "ready":
        raise RuntimeError("the SMTP sink did not start")
    return sink


def _sink_count(sink: subprocess.Popen[str]) -> tuple[dict[str, int], float]:
    """The sink's counts ({"messages", "distinct"}) and its CPU ms per message."""
    sink.send_signal(signal.SIGTERM)
    out, _ = sink.communicate(timeout=60)
    report = json.loads(out.strip().splitlines()[-1])
    cpu = report.pop("cpu_ms_per_message")
    return report, cpu


def _measured(
    env: dict[str, str], port: int, pipelining: bool, *args: str
) -> dict[str, Any]:  # fmt: skip
    """One sender phase against its own fresh sink."""
    sink = _sink(env, port, pipelining)
    try:
        result = _phase(env, *args)
    finally:
        counts, cpu = _sink_count(sink)
    return {**result, "sink": counts, "sink_cpu_ms_per_message": cpu}


def run(messages: int, naive_messages: int, chunk: int, pipelining: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="revline-email-bench-") as tmp:
        data_dir = Path(tmp)
        port = free_port()
        env = _env(data_dir, port)
        setup = _phase(env, "setup", str(messages))
        email_id = str(setup["email_id"])
        # The naive loop runs before and after Revline's: on a busy machine the load changes
        # during a run, and the ratio is taken against the faster of the two (the harder one).
        naive_runs = [_measured(env, port, pipelining, "naive", email_id, str(naive_messages))]
        revline = _measured(env, port, pipelining, "revline", email_id, str(chunk))
        naive_runs.append(_measured(env, port, pipelining, "naive", email_id, str(naive_messages)))
    naive = max(naive_runs, key=lambda run: run["rate"])
    ratio = round(revline["rate"] / naive["rate"], 2) if naive["rate"] else 0.0
    problems = list(
        dict.fromkeys(
            problem
            for run in naive_runs
            for problem in check(messages, naive_messages, run["sink"], revline, revline["sink"])
        )
    )
    return {
        "messages": messages,
        "chunk": chunk,
        "sink_pipelining": pipelining,
        "naive": naive,
        "naive_rates": [run["rate"] for run in naive_runs],
        "revline": revline,
        "ratio": ratio,
        "goal": GOAL,
        "ok": ratio >= GOAL and not problems,
        "problems": problems,
    }


def check(
    messages: int, naive_messages: int, naive_sink: dict[str, int], revline: dict[str, Any],
    revline_sink: dict[str, int],
) -> list[str]:  # fmt: skip
    """What went wrong with delivery (never with speed): lost or doubled messages."""
    problems = []
    expected = min(messages, naive_messages)
    if (naive_sink["messages"], naive_sink["distinct"]) != (expected, expected):
        problems.append(f"naive: expected {expected} messages, the sink got {naive_sink}")
    if (revline_sink["messages"], revline_sink["distinct"]) != (messages, messages):
        problems.append(f"revline: expected {messages} messages, the sink got {revline_sink}")
    if revline["sent_rows"] != messages or revline["failed"]:
        problems.append(
            f"revline: {revline['sent_rows']} sends marked sent, {revline['failed']} failed"
        )
    return problems


def main(argv: Sequence[str] | None = None, *, quiet: bool = False) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.email_send", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--messages", type=int, default=10_000, help="recipients (default 10000)")
    parser.add_argument("--naive-messages", type=int, default=2000,
                        help="messages timed for the naive loop (default 2000)")  # fmt: skip
    parser.add_argument(
        "--chunk", type=int, default=None, help="sends per chunk (default: engine's)"
    )
    parser.add_argument(
        "--sink-pipelining", choices=["on", "off"], default="on",
        help="whether the sink advertises SMTP PIPELINING (default on, as production MTAs do)",
    )  # fmt: skip
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        name, *rest = args.phase
        if name == "sink":
            phase_sink(int(rest[0]), rest[1:] != ["0"])
            return {}
        result = {
            "setup": lambda: phase_setup(int(rest[0])),
            "revline": lambda: phase_revline(int(rest[0]), int(rest[1])),
            "naive": lambda: phase_naive(int(rest[0]), int(rest[1])),
        }[name]()
        print(json.dumps(result), flush=True)
        return result
    if args.messages < 1 or args.naive_messages < 1:
        parser.error("--messages and --naive-messages must be positive")
    if args.chunk is not None and args.chunk < 1:
        parser.error("--chunk must be positive")
    args.chunk = args.chunk or 0  # 0: the engine's CHUNK_SIZE
    results = run(args.messages, min(args.naive_messages, args.messages), args.chunk,
                  args.sink_pipelining == "on")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    if not quiet:
        naive, revline = results["naive"], results["revline"]
        print(f"Sending {args.messages:,} personalised messages to a local SMTP sink "
              f"(PIPELINING {args.sink_pipelining})")  # fmt: skip
        rates = " / ".join(f"{rate:,.1f}" for rate in results["naive_rates"])
        print(
            f"  naive EmailMessage.send() loop  {naive['rate']:>9,.1f} msg/s  "
            f"(faster of {rates} msg/s before / after; {naive['messages']:,} in "
            f"{naive['seconds']} s, peak RSS {naive['peak_rss_mb']} MB)"
        )
        print(
            f"  revline engine                  {revline['rate']:>9,.1f} msg/s  "
            f"({revline['messages']:,} in {revline['seconds']} s incl. {revline['start_seconds']} s "
            f"creating sends, peak RSS {revline['peak_rss_mb']} MB)"
        )
        print(
            "  CPU ms/message: naive {} (sink {}), revline {} (sink {})".format(
                naive["cpu_ms_per_message"], naive["sink_cpu_ms_per_message"],
                revline["cpu_ms_per_message"], revline["sink_cpu_ms_per_message"],
            )
        )  # fmt: skip
        print(f"  ratio {results['ratio']}x (goal {GOAL}x)  "
              f"{'OK' if results['ok'] else 'NOT MET'}")  # fmt: skip
        for problem in results["problems"]:
            print(f"  problem: {problem}")
    return results


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome.get("ok", True) else 1)
