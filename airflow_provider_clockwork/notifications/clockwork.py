"""Notifier that texts through Clockwork from Airflow callbacks.

Use it wherever Airflow takes a callback::

    on_failure_callback=send_clockwork_notification(
        to="447700900123", content="{{ ti.dag_id }}.{{ ti.task_id }} failed"
    )
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseNotifier

if TYPE_CHECKING:
    import jinja2
    from airflow.providers.common.compat.sdk import Context


class ClockworkNotifier(BaseNotifier):
    """
    Text a message when a task or DAG run reaches a state.

    ``to``, ``content`` and ``sender`` are rendered with the callback's context, then
    checked and sent exactly as :class:`~airflow_provider_clockwork.operators.sms.ClockworkSendSmsOperator`
    does. A failed send is logged with Clockwork's code and text; it is not raised,
    so it can never replace the task's own error.

    :param to: comma-separated numbers, or a list of numbers. Templated.
    :param content: the message text. Templated.
    :param sender: the ``From`` shown on phones; defaults to the connection's. Templated.
    :param long: allow up to 3 joined parts.
    :param invalid_char_action: ``"replace"``, ``"remove"`` or ``"error"`` to keep the text
        to GSM-7 (160 characters a message; a failure renders e.g. a curly quote or an
        accented name); None (the default) sends such text as Unicode.
    :param delivery_receipt: a URL of yours, or ``{"url", "type"?, "content"?}``, that
        Clockwork reports each alert's delivery to (as for the operator). Templated.
    :param clockwork_conn_id: the Clockwork connection.
    :param context: the context to render with when the notifier is awaited (Airflow 3's
        triggerer passes it for Deadline Alerts); callbacks pass theirs when they call it.
    """

    template_fields: Sequence[str] = ("to", "content", "sender", "delivery_receipt")

    def __init__(
        self,
        *,
        to: str | int | Sequence[str | int],
        content: str,
        sender: str | None = None,
        long: bool = False,
        invalid_char_action: str | None = None,
        delivery_receipt: str | Mapping[str, Any] | None = None,
        clockwork_conn_id: str = "clockwork_default",
        context: Context | None = None,
    ) -> None:
        super().__init__()
        self.context = context or {}
        self.to = to
        self.content = content
        self.sender = sender
        self.long = long
        self.invalid_char_action = invalid_char_action
        self.delivery_receipt = delivery_receipt
        self.clockwork_conn_id = clockwork_conn_id

    def __call__(self, *args: Any) -> None:
        # Rendering overwrites the templated fields, and one notifier object often
        # serves many tasks (default_args): render a copy so each call starts from
        # the templates.
        fresh = copy.copy(self)
        BaseNotifier.__call__(fresh, *args)

    def get_template_env(self, dag: Any = None) -> jinja2.Environment:
        # Under `airflow dags test` (Airflow 3.x), DAG-level callbacks get a SerializedDAG
        # without get_template_env (apache/airflow#64649); render with Airflow's own
        # sandboxed environment rather than fail and send nothing.
        if dag is not None and not hasattr(dag, "get_template_env"):
            dag = None
        return super().get_template_env(dag=dag)

    async def async_notify(self, context: Context) -> None:
        """Send without blocking the event loop (the triggerer runs Deadline Alerts this way)."""
        await asyncio.to_thread(self.notify, context)

    def notify(self, context: Context) -> None:
        from airflow_provider_clockwork.exceptions import ClockworkError
        from airflow_provider_clockwork.hooks.clockwork import ClockworkHook

        hook = ClockworkHook(clockwork_conn_id=self.clockwork_conn_id)
        try:
            result = hook.send_sms(
                self.to,
                self.content,
                self.sender,
                self.long,
                self.invalid_char_action,
                self.delivery_receipt,
            )
        except ClockworkError as error:
            self.log.error("Clockwork notification was not sent: %s", error)
            return
        finally:
            hook.close()
        if result.errors:
            self.log.error(
                "Clockwork refused the notification for %d number(s): %s",
                len(result.errors),
                result.describe_errors(),
            )
        if result.message_ids:
            self.log.info("Clockwork notification sent: %s", result.message_ids)


send_clockwork_notification = ClockworkNotifier
