"""Notifier that texts through Clockwork from Airflow callbacks.

Use it wherever Airflow takes a callback::

    on_failure_callback=send_clockwork_notification(
        to="447700900123", content="{{ ti.dag_id }}.{{ ti.task_id }} failed"
    )

Airflow never retries a callback, so whatever the notifier does not cure itself, nobody
cures: it cuts an over-long text to fit rather than refuse it, and tries a failed send
again while the failure may pass (see :mod:`._attempts`).
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseNotifier

from airflow_provider_clockwork.notifications._attempts import (
    DEFAULT_ATTEMPTS,
    DEFAULT_RETRY_DELAY,
    DEFAULT_RETRY_WITHIN,
    RetryPolicy,
)
from airflow_provider_clockwork.notifications._failed_tasks import FailedTasks
from airflow_provider_clockwork.notifications._hitl import HitlQuestion
from airflow_provider_clockwork.notifications._once import check_once_per

if TYPE_CHECKING:
    import jinja2
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_clockwork.hooks.clockwork import ClockworkHook
    from airflow_provider_clockwork.notifications._attempts import AlertDelivery
    from airflow_provider_clockwork.notifications._once import RunAlerts
    from airflow_provider_clockwork.protocol.fit import Cut
    from airflow_provider_clockwork.protocol.message import Message


class ClockworkNotifier(BaseNotifier):
    """
    Text a message when a task or DAG run reaches a state.

    ``to``, ``content`` and ``sender`` are rendered with the callback's context (which also
    offers ``failed_tasks``, the failed tasks of the run), then checked and sent as
    :class:`~airflow_provider_clockwork.operators.sms.ClockworkSendSmsOperator` does, with
    two differences that keep an alert from being lost:

    - text over the limit is cut to fit, keeping its beginning and ending in ``...``
      (``truncate=False``: log the error and send nothing instead);
    - a send that failed as a whole for a reason that may pass (connection error, timeout,
      HTTP 5xx, an unreadable reply, a transient Clockwork code) is tried again, also when
      its outcome is unknown (the final log names who may have the alert twice); a
      permanent refusal (wrong key) and per-number refusals are not.

    Failures are logged with Clockwork's code and text, never raised, so they can never
    replace the task's own error.

    :param to: comma-separated numbers, or a list of numbers. Templated. None (the default)
        texts the connection's ``to`` extra, e.g. the on-call number.
    :param content: the message text. Templated. Only a Human-in-the-loop operator's notifier may
        leave it out: it then texts the question, with a code to reply with (see
        :mod:`._hitl`); a text of your own can use ``{{ hitl_reply }}`` and ``{{ hitl_code }}``.
    :param sender: the ``From`` shown on phones; defaults to the connection's. Templated.
    :param long: allow up to 3 joined parts.
    :param truncate: cut over-long text to fit (the default) rather than send nothing.
    :param invalid_char_action: ``"replace"``, ``"remove"`` or ``"error"`` to keep the text
        to GSM-7 (160 characters a message; a failure renders e.g. a curly quote or an
        accented name); None (the default) sends such text as Unicode.
    :param delivery_receipt: a URL of yours, or ``{"url", "type"?, "content"?}``, that
        Clockwork reports each alert's delivery to (as for the operator). Templated.
    :param once_per: ``"dag_run"`` texts each recipient at most once per DAG run, however
        many tasks fail (for a notifier shared through ``default_args``); see
        :mod:`._once` for where that is remembered and what it guarantees.
    :param attempts: sends in all, 1 or more (default 3).
    :param retry_delay: seconds (or a timedelta) before the second attempt; each next wait
        doubles (default 5).
    :param retry_within: no attempt starts later than this many seconds after the first, and
        each request may take at most its share of it (default 60).
    :param clockwork_conn_id: the Clockwork connection.
    :param context: the context to render with when the notifier is awaited (Airflow 3's
        triggerer passes it for Deadline Alerts); callbacks pass theirs when they call it.
    """

    template_fields: Sequence[str] = ("to", "content", "sender", "delivery_receipt")

    def __init__(
        self,
        *,
        to: str | int | Sequence[str | int] | None = None,
        content: str | None = None,
        sender: str | None = None,
        long: bool = False,
        truncate: bool = True,
        invalid_char_action: str | None = None,
        delivery_receipt: str | Mapping[str, Any] | None = None,
        once_per: str | None = None,
        attempts: int = DEFAULT_ATTEMPTS,
        retry_delay: float | timedelta = DEFAULT_RETRY_DELAY,
        retry_within: float | timedelta = DEFAULT_RETRY_WITHIN,
        clockwork_conn_id: str = "clockwork_default",
        context: Context | None = None,
    ) -> None:
        super().__init__()
        self.context = context or {}
        self.to = to
        self.content = content
        self.sender = sender
        self.long = long
        self.truncate = truncate
        self.invalid_char_action = invalid_char_action
        self.delivery_receipt = delivery_receipt
        self.once_per = check_once_per(once_per)
        self.retry_policy = RetryPolicy.checked(attempts, retry_delay, retry_within)
        self.clockwork_conn_id = clockwork_conn_id
        self.question: HitlQuestion | None = None

    def __call__(self, *args: Any) -> None:
        # Rendering overwrites the templated fields, and one notifier object often
        # serves many tasks (default_args): render a copy so each call starts from
        # the templates.
        fresh = copy.copy(self)
        BaseNotifier.__call__(fresh, *args)

    def _update_context(self, context: Context) -> Context:
        context = super()._update_context(context)
        context["failed_tasks"] = FailedTasks(context)  # type: ignore[typeddict-unknown-key]
        self.question = HitlQuestion.for_context(context, self.clockwork_conn_id)
        return context

    def get_template_env(self, dag: Any = None) -> jinja2.Environment:
        # Under `airflow dags test` (Airflow 3.x), DAG-level callbacks get a SerializedDAG
        # without get_template_env (apache/airflow#64649); render with Airflow's own
        # sandboxed environment rather than fail and send nothing.
        if dag is not None and not hasattr(dag, "get_template_env"):
            dag = None
        return super().get_template_env(dag=dag)

    def notify(self, context: Context) -> None:
        hook = self._hook()
        try:
            self._send(hook, context)
        finally:
            hook.close()

    async def async_notify(self, context: Context) -> None:
        """The same send without blocking the event loop (the triggerer runs Deadline Alerts this way).

        The connection is read with Airflow's async API where it has one; requests run in a
        thread, and the waits between attempts are ``asyncio.sleep``.
        """
        hook = self._hook()
        try:
            await hook.aload_settings()
            prepared = await asyncio.to_thread(self._prepare, hook, context)
            if prepared is None:
                return
            delivery, message, run_alerts = prepared
            while (wait := delivery.next_wait()) is not None:
                await asyncio.sleep(wait)
                await asyncio.to_thread(self._attempt, hook, delivery, message)
            await asyncio.to_thread(self._finish, delivery, run_alerts)
        finally:
            hook.close()

    def _hook(self) -> ClockworkHook:
        from airflow_provider_clockwork.hooks.clockwork import ClockworkHook

        # One connect try per attempt: the attempts are the retries, and a host that drops
        # connections must not stretch one of them past its share of ``retry_within``.
        return ClockworkHook(clockwork_conn_id=self.clockwork_conn_id, connect_attempts=1)

    def _send(self, hook: ClockworkHook, context: Context) -> None:
        prepared = self._prepare(hook, context)
        if prepared is None:
            return
        delivery, message, run_alerts = prepared
        while (wait := delivery.next_wait()) is not None:
            time.sleep(wait)
            self._attempt(hook, delivery, message)
        self._finish(delivery, run_alerts)

    def _prepare(
        self, hook: ClockworkHook, context: Context
    ) -> tuple[AlertDelivery, Message, RunAlerts | None] | None:
        """The checked alert and who to text; None (with the reason logged) when nothing can be sent."""
        from airflow_provider_clockwork.exceptions import ClockworkError
        from airflow_provider_clockwork.notifications._attempts import AlertDelivery
        from airflow_provider_clockwork.notifications._once import RunAlerts

        try:
            content, cut = self._fitted_content()
            numbers, message = hook.prepare(
                self.to,
                content,
                self.sender,
                self.long,
                self.invalid_char_action,
                self.delivery_receipt,
            )
        except ClockworkError as error:
            self.log.error("Clockwork notification was not sent: %s", error)
            return None
        run_alerts = (
            RunAlerts.for_context(context, self.log, patience=self.retry_policy.within)
            if self.once_per
            else None
        )
        if run_alerts is not None:
            numbers = run_alerts.claim(numbers)
        if cut is not None and numbers:  # said only of a text that is going out
            self._say_cut(cut)
        if self.question is not None and not self._remember_question(numbers):
            return None
        return AlertDelivery(numbers, self.retry_policy, self.log), message, run_alerts

    def _say_cut(self, cut: Cut) -> None:
        self.log.warning(
            "Clockwork alert cut to fit: %d character(s) left out, %d %s character(s) sent "
            "(truncate=False sends nothing instead).",
            cut.dropped,
            cut.length,
            cut.encoding,
        )

    def _remember_question(self, numbers: list[str]) -> bool:
        """Record a HITL question's code before it is sent; False (logged) when that failed."""
        assert self.question is not None
        try:
            self.question.remember(self.clockwork_conn_id, numbers)
        except Exception:
            self.log.exception(
                "Clockwork question was not sent: its reply code could not be stored in the task state "
                "store, so no reply could answer it (answer in the Airflow UI)."
            )
            return False
        return True

    def _fitted_content(self) -> tuple[object, Cut | None]:
        """The rendered content, cut to fit when it is over the limit and ``truncate`` is on, and the cut.

        A Human-in-the-loop question without ``content`` is composed (its subject cut, never
        its options or code); one of the user's own is never cut where that loses the code.
        """
        from airflow_provider_clockwork.exceptions import ClockworkInputError
        from airflow_provider_clockwork.protocol.errors import InvalidInputError
        from airflow_provider_clockwork.protocol.fit import cut_to_fit
        from airflow_provider_clockwork.protocol.message import check_invalid_char_action

        try:
            action = check_invalid_char_action(self.invalid_char_action)
        except ValueError:
            return self.content, None  # the send's own checks name the bad value
        if self.question is not None and self.content is None:
            try:
                return self.question.default_content(self.long, action), None
            except InvalidInputError as error:
                raise ClockworkInputError(str(error)) from None
        if self.content is None:
            raise ClockworkInputError(
                "ClockworkNotifier needs content=: only as a Human-in-the-loop operator's notifier "
                "does it compose its text (the question) itself."
            )
        if not self.truncate or not isinstance(self.content, str):
            return self.content, None
        cut = cut_to_fit(self.content, self.long, action)
        if cut is None:
            return self.content, None
        code = self.question.code if self.question is not None else None
        if code and code in self.content and code not in cut.text:
            raise ClockworkInputError(
                f"The question is over the limit and cutting it to fit would drop its reply code {code}: "
                f"shorten the content, put {{{{ hitl_reply }}}} first, or set long=True."
            )
        return cut.text, cut

    def _attempt(self, hook: ClockworkHook, delivery: AlertDelivery, message: Message) -> None:
        from airflow_provider_clockwork.exceptions import ClockworkSendError

        hook.timeout = delivery.request_timeout(hook.settings.timeout)
        try:
            delivery.succeeded(hook.send_message(delivery.pending, message))
        except ClockworkSendError as error:
            delivery.failed(error)

    @staticmethod
    def _finish(delivery: AlertDelivery, run_alerts: RunAlerts | None) -> None:
        delivery.report()
        if run_alerts is not None:
            run_alerts.settle_claims(delivery.numbers, list(delivery.result.message_ids))


send_clockwork_notification = ClockworkNotifier
