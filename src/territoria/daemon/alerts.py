"""Alerts: a condition that starts is notified once, its end once more (the recovery).

The supervisor states every condition it watches on each evaluation (``AlertBook.set``):
a message when it holds, ``None`` when it does not. A condition already notified is not
notified again (unless ``repeat_after`` has passed); one that clears sends a recovery. What
was notified is kept in the supervisor's state, so a restart sends neither twice. A delivery
that fails is tried again on the next evaluation.

Notifications go out from one background thread (a slow SMTP server never delays a run), by
e-mail (``smtplib``) and/or a JSON POST to a webhook, as ``policies.yaml`` says.
"""

from __future__ import annotations

import logging
import os
import queue
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import httpx

from territoria.daemon.metrics import Observatory
from territoria.workspace.operations import Alerts, EmailTarget, WebhookTarget

log = logging.getLogger("territoria.daemon.alerts")

KINDS = {
    "late": "dataset late against its expected period",
    "step_failed": "step failed",
    "quarantine": "quarantine rate above the threshold",
    "audit": "audit log chain broken",
    "footprint": "footprint budget exceeded",
}


@dataclass(frozen=True)
class Notice:
    key: str
    kind: str
    subject: str
    message: str
    recovery: bool
    workspace: str
    at: str

    @property
    def title(self) -> str:
        state = "RECOVERED" if self.recovery else "ALERT"
        return f"[territoria {self.workspace}] {state}: {KINDS[self.kind]}: {self.subject}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "kind": self.kind,
            "subject": self.subject,
            "status": "resolved" if self.recovery else "firing",
            "message": self.message,
            "at": self.at,
        }


def send_email(target: EmailTarget, notice: Notice) -> None:
    mail = EmailMessage()
    mail["Subject"] = notice.title
    mail["From"] = target.sender
    mail["To"] = ", ".join(target.to)
    mail.set_content(f"{notice.message}\n\nworkspace: {notice.workspace}\nsince: {notice.at}\n")
    with smtplib.SMTP(target.host, target.port, timeout=target.timeout) as smtp:
        if target.starttls:
            smtp.starttls()
        if target.username:
            smtp.login(target.username, os.environ.get(target.password_env or "", ""))
        smtp.send_message(mail)


def send_webhook(target: WebhookTarget, notice: Notice) -> None:
    headers = {}
    if target.token_env and os.environ.get(target.token_env):
        headers["Authorization"] = f"Bearer {os.environ[target.token_env]}"
    response = httpx.post(target.url, json=notice.as_dict(), headers=headers, timeout=target.timeout)
    response.raise_for_status()


class AlertBook:
    def __init__(
        self, policy: Alerts, notified: dict[str, dict[str, Any]], workspace: str, metrics: Observatory
    ) -> None:
        self.policy = policy
        #: key -> {"message", "since", "sent" (monotonic-free wall time of the last notification)}
        self.notified = notified
        for known in notified.values():
            known["queued"] = False  # a notice queued by a process that stopped was not delivered
        self.workspace = workspace
        self.metrics = metrics
        self.outbox: queue.Queue[Notice | None] = queue.Queue(maxsize=1000)
        self.sender = threading.Thread(target=self._deliver, name="territoria-alerts", daemon=True)
        self.sender.start()

    def set(self, kind: str, subject: str, message: str | None) -> None:
        """State the condition ``kind`` of ``subject``: ``message`` when it holds, else ``None``."""
        key = f"{kind}:{subject}"
        known = self.notified.get(key)
        now = datetime.now(UTC)
        if message is None:
            if known is not None:
                del self.notified[key]
                self.metrics.alerts.labels(kind, subject).set(0)
                if known.get("sent"):
                    self._post(
                        Notice(
                            key,
                            kind,
                            subject,
                            f"back to normal: {known['message']}",
                            True,
                            self.workspace,
                            now.isoformat(),
                        )
                    )
            return
        self.metrics.alerts.labels(kind, subject).set(1)
        if known is None:
            known = self.notified[key] = {"message": message, "since": now.isoformat(), "sent": None}
        repeat = self.policy.repeat_after
        due = known["sent"] is None or (repeat > 0 and time.time() - float(known["sent"]) >= repeat)
        if due and not known.get("queued"):
            known["message"] = message
            known["queued"] = True
            self._post(Notice(key, kind, subject, message, False, self.workspace, known["since"]))

    def firing(self) -> list[str]:
        return sorted(self.notified)

    def _post(self, notice: Notice) -> None:
        try:
            self.outbox.put_nowait(notice)
        except queue.Full:
            log.error("alert outbox full: %s not sent", notice.title)

    def _deliver(self) -> None:
        while True:
            notice = self.outbox.get()
            if notice is None:
                self.outbox.task_done()
                return
            ok = self._send(notice)
            known = self.notified.get(notice.key)
            if known is not None and not notice.recovery:
                known["queued"] = False
                if ok:
                    known["sent"] = time.time()
            self.outbox.task_done()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued notice was tried; ``False`` if some are still pending."""
        deadline = time.monotonic() + timeout
        while self.outbox.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.outbox.unfinished_tasks

    def _send(self, notice: Notice) -> bool:
        ok = True
        email, webhook = self.policy.email, self.policy.webhook
        channels: list[tuple[str, Callable[[], None]]] = []
        if email is not None:
            channels.append(("e-mail", lambda: send_email(email, notice)))
        if webhook is not None:
            channels.append(("webhook", lambda: send_webhook(webhook, notice)))
        for name, send in channels:
            try:
                send()
                log.info("alert sent", extra={"event": "alert.sent", "by": name, "alert": notice.as_dict()})
            except (TimeoutError, OSError, smtplib.SMTPException, httpx.HTTPError) as exc:
                ok = False
                self.metrics.notify_failures.inc()
                log.warning("alert not delivered by %s: %s", name, exc, extra={"event": "alert.failed"})
        return ok

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued, then stop the sender."""
        self.outbox.put(None)
        self.sender.join(timeout)


__all__ = ["KINDS", "AlertBook", "Notice"]
