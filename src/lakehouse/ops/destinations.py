"""Where notifications go: a webhook (a JSON POST whose `text` Slack and Teams incoming webhooks
show), e-mail over SMTP (host, port, user, password and TLS from LAKEHOUSE_SMTP_* variables,
never from the repository), and a log line. `deliver` sends the outbox (`ops.notifications`):
each pending or failed notification is tried a few times with backoff; one that still fails is
recorded as failed with the error and tried again by the next delivery, so a destination that is
down gets its notifications when it comes back. Delivery never raises: a run does not fail
because a destination did."""

from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from lakehouse.build.landing import has_table
from lakehouse.ops.alerts import Config, Destination
from lakehouse.warehouse import connect

TIMEOUT_SECONDS = 10


def send(destination: Destination, message: dict[str, Any]) -> None:
    """One attempt; raises OSError (refused, timed out, a non-2xx answer) when it fails."""
    if destination.type == "log":
        # stdout, with the run's progress: stderr holds a failing command's one-line error
        print(f"lakehouse: alert: {message['text']}", flush=True)
    elif destination.type == "webhook":
        request = urllib.request.Request(
            destination.resolved("url"), data=json.dumps(message).encode(), method="POST",
            headers={"Content-Type": "application/json",
                     "Idempotency-Key": message["notification_id"]})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
                answer.read()
        except urllib.error.HTTPError as error:
            raise OSError(f"HTTP {error.code}") from None
    else:
        _email(destination, message)


def _email(destination: Destination, message: dict[str, Any]) -> None:
    host = os.environ["LAKEHOUSE_SMTP_HOST"]
    port = int(os.environ.get("LAKEHOUSE_SMTP_PORT") or 25)
    tls = (os.environ.get("LAKEHOUSE_SMTP_TLS") or "none").lower()  # none, starttls, ssl
    user, password = os.environ.get("LAKEHOUSE_SMTP_USER"), os.environ.get("LAKEHOUSE_SMTP_PASSWORD")
    mail = EmailMessage()
    mail["Subject"] = message["text"][:200]
    mail["From"] = os.environ.get("LAKEHOUSE_SMTP_FROM") or user or "lakehouse@localhost"
    mail["To"] = ", ".join(destination.resolved("to") or [])
    mail["Message-ID"] = f"<{message['notification_id']}@lakehouse>"
    mail.set_content(json.dumps(message, indent=2, default=str))
    smtp_class = smtplib.SMTP_SSL if tls == "ssl" else smtplib.SMTP
    with smtp_class(host, port, timeout=TIMEOUT_SECONDS) as smtp:
        if tls == "starttls":
            smtp.starttls()
        if user:
            smtp.login(user, password or "")
        smtp.send_message(mail)


def deliver(db: Path, config: Config, attempts: int = 3, backoff_seconds: float = 0.5) -> dict:
    """Send every notification not sent yet, oldest first; returns counts by outcome."""
    con = connect(db)
    outcome = {"sent": 0, "failed": 0}
    try:
        if not has_table(con, "ops", "notifications"):
            return outcome
        pending = con.execute("select notification_id, destination, payload from "
                              "ops.notifications where status <> 'sent' "
                              "order by created_at, notification_id").fetchall()
        for notification_id, name, text in pending:
            destination = config.destinations.get(name)
            error = None if destination else f"destination '{name}' is no longer declared"
            if destination:
                for attempt in range(attempts):
                    try:
                        send(destination, json.loads(text))
                        error = None
                        break
                    except (OSError, smtplib.SMTPException, KeyError) as failed:
                        error = f"{type(failed).__name__}: {failed}"[:500]
                        if attempt + 1 < attempts:
                            time.sleep(backoff_seconds * 2**attempt)
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            con.execute("update ops.notifications set status = ?, attempts = attempts + 1, "
                        "last_error = ?, sent_at = ? where notification_id = ?",
                        ["failed" if error else "sent", error, None if error else now,
                         notification_id])
            outcome["failed" if error else "sent"] += 1
        return outcome
    finally:
        con.close()
