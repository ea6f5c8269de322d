"""`permits messages`: deliver the outbox now, without waiting for the scheduled flow."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import console, friendly

__all__ = ["messages_app"]

messages_app = typer.Typer(help="Messages to applicants (the outbox).", no_args_is_help=True)


@messages_app.command("send")
@friendly
def messages_send(
    limit: Annotated[int, typer.Option(min=1, help="Most messages to deliver")] = 50,
) -> None:
    """Deliver every message that is due once, as the scheduled send-messages flow does."""
    from cases.db import ensure_migrated
    from cases.notifications import send_due_messages
    from cases.settings import get_settings

    ensure_migrated()
    settings = get_settings()
    report = send_due_messages(limit=limit)
    where = (
        f"over SMTP ({settings.smtp_host}:{settings.smtp_port})"
        if settings.smtp_host
        else f"as .eml files in {settings.outbox_dir}"
    )
    console.print(
        f"{len(report.sent)} sent {where}, {len(report.retrying)} to retry, "
        f"{len(report.failed)} failed",
        highlight=False,
    )
