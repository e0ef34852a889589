"""The composition root: the one place that reads settings and chooses concrete parts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.conversation.user_side import UserSide
from bot.core.ports import Channel, Clock, DeskDirectory, Sender, UnitOfWorkFactory
from bot.core.types import ChannelAddress, FaqEntry, InboundMessage, UserRef
from bot.delivery.dispatcher import DeliveryPolicy, OutboxDispatcher
from bot.desk.desk_side import DeskSide
from bot.engine.engine import HelpdeskEngine
from bot.engine.flood import FloodGuard
from bot.engine.ordering import RoleCache
from bot.engine.turn import EngineConfig
from bot.engine.turn_threads import ThreadedTurns
from bot.faq.importing import import_entries
from bot.faq.index import THRESHOLDS_SETTING, FaqIndex, calibration_record, faq_fingerprint
from bot.faq_admin.commands import install_faq_admin
from bot.jobs.helpdesk_jobs import HelpdeskJobs, JobConfig
from bot.jobs.scheduler import run_jobs
from bot.observability.metrics import observe_match, observe_turn
from bot.observability.pages import HelpdeskStatusPages
from bot.reports.model import ReportOptions
from bot.settings import Settings
from bot.sla.policy import build_policy
from bot.workers.lease import DatabaseLease
from knowledge_base.faq_file import load_bundled_out_of_scope, load_faq_path, load_out_of_scope_path
from storage.database import (
    current_heads,
    head_revisions,
    held_lock,
    is_memory_url,
    is_sqlite_url,
    make_engine,
    round_trip_seconds,
    upgrade,
)
from storage.uow import sql_uow_factory

if TYPE_CHECKING:
    from knowledge_base.embeddings import Progress
    from knowledge_base.semantic import SemanticMatcher

log = logging.getLogger(__name__)

BUNDLED_FAQ = Path(__file__).resolve().parent.parent / "knowledge_base" / "faq"
BUNDLED_LABELLED = Path(__file__).resolve().parent.parent / "knowledge_base" / "labelled" / "calibrate.yaml"
# HELPDESK_TURN_THREADS=auto: this many turn threads when a database round trip takes longer than
# the limit (measured on 2 cores, two workers: with PostgreSQL local, 0.1 ms, the loop handled 195
# updates/s and 4 threads 161; 1.1 ms away, 4 threads 130 and the loop 93).
AUTO_TURN_THREADS = 4
AUTO_THREADS_ROUND_TRIP_SECONDS = 0.0003


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Helpdesk:
    """Everything wired together for one process."""

    settings: Settings
    uow_factory: UnitOfWorkFactory
    faq: FaqIndex
    engine: HelpdeskEngine
    dispatcher: OutboxDispatcher
    channels: list[Channel] = field(default_factory=list)
    status_pages: HelpdeskStatusPages | None = None


def uow_factory_for(settings: Settings) -> UnitOfWorkFactory:
    """A unit-of-work factory on the configured database (migrations must have run)."""
    return sql_uow_factory(make_engine(settings.database_url))


def bundled_faq_entries(settings: Settings) -> list[FaqEntry]:
    """The FAQ loaded on first start: ``HELPDESK_FAQ_PATH`` or the bundled one."""
    return load_faq_path(Path(settings.helpdesk_faq_path) if settings.helpdesk_faq_path else BUNDLED_FAQ)


def make_matcher(settings: Settings) -> SemanticMatcher:
    """The matcher ``HELPDESK_MATCHER`` chooses; phrasing vectors are kept in the database."""
    from knowledge_base.embeddings import EmbeddingCache
    from knowledge_base.encoders import make_encoder
    from knowledge_base.semantic import SemanticMatcher
    from storage.embeddings import SqlEmbeddingStore

    encoder = make_encoder(settings.helpdesk_matcher, settings.helpdesk_matcher_threads or None)
    cache = None
    if encoder is not None:
        store = (
            None
            if is_memory_url(settings.database_url)
            else SqlEmbeddingStore(make_engine(settings.database_url))
        )
        cache = EmbeddingCache(encoder, store)
    out_of_scope = (
        load_out_of_scope_path(settings.helpdesk_out_of_scope_path)
        if settings.helpdesk_out_of_scope_path
        else ()
    )
    generic = load_bundled_out_of_scope() if settings.helpdesk_out_of_scope_bundled else ()
    return SemanticMatcher(
        cache,
        default_lang=settings.helpdesk_language,
        out_of_scope=out_of_scope,
        generic_out_of_scope=generic,
    )


def prepare_database(settings: Settings, progress: Progress | None = None) -> UnitOfWorkFactory:
    """Apply migrations and load the starting FAQ when the database has none (with the thresholds
    fitted to it for the configured matcher; ``progress`` follows the encoding of its phrasings)."""
    upgrade(settings.database_url)
    factory = uow_factory_for(settings)
    # Workers starting together on an empty database: one loads the FAQ and fits its thresholds,
    # the others wait here and then find both (not an FAQ without its thresholds).
    with held_lock(settings.database_url, "bootstrap:faq"):
        with factory() as uow:
            fresh = not uow.faq.all() and not uow.faq.revision()
            if fresh:
                entries = bundled_faq_entries(settings)
                summary = import_entries(uow, entries, author="system:bootstrap")
                uow.commit()
                log.info("loaded the starting FAQ: %s", summary)
        if fresh and not settings.helpdesk_faq_path and BUNDLED_LABELLED.exists():
            # Outside the transaction: the semantic matcher encodes every phrasing here, once.
            record = bundled_thresholds(entries, settings, progress)
            with factory() as uow:
                uow.faq.set_setting(THRESHOLDS_SETTING, record)
                uow.commit()
    return factory


def bundled_thresholds(
    entries: Sequence[FaqEntry], settings: Settings, progress: Progress | None = None
) -> dict[str, object]:
    """The stored thresholds record for the bundled FAQ: calibrated on the labelled queries shipped
    with it, for the configured matcher."""
    from knowledge_base.calibration import calibrate
    from knowledge_base.labelled import load_labelled

    matcher = make_matcher(settings)
    matcher.rebuild(entries, progress=progress)
    thresholds = calibrate(matcher, load_labelled(BUNDLED_LABELLED)).thresholds
    return calibration_record(thresholds, matcher.kind, faq_fingerprint(entries), "bundled")


def desk_address(settings: Settings) -> ChannelAddress:
    """The desk channel chosen by the settings."""
    platform = settings.desk_platform()
    if platform == "telegram":
        return ChannelAddress("telegram", settings.telegram_desk_chat_id)
    if platform == "slack":
        return ChannelAddress("slack", settings.slack_desk_channel_id)
    return ChannelAddress("console", "desk")


def engine_config(settings: Settings) -> EngineConfig:
    """The engine's view of the settings."""
    return EngineConfig(
        desk=desk_address(settings),
        default_language=settings.helpdesk_language,
        admins=frozenset(settings.helpdesk_admins),
        specialists=frozenset(settings.helpdesk_specialists),
        note_prefix=settings.helpdesk_note_prefix,
        first_response_minutes=settings.first_response_minutes(),
    )


def assemble_engine(
    uow_factory: UnitOfWorkFactory,
    faq: FaqIndex,
    clock: Clock,
    config: EngineConfig,
    *,
    directories: Mapping[str, DeskDirectory] | None = None,
    wake_dispatcher: Callable[[], None] | None = None,
) -> HelpdeskEngine:
    """The engine with both sides of the conversation installed (the user's and the desk's)."""
    engine = HelpdeskEngine(
        uow_factory, faq, clock, config, directories=directories, wake_dispatcher=wake_dispatcher
    )
    engine.user_side = UserSide(engine)
    engine.desk_side = DeskSide(engine)
    return engine


def flood_guard(settings: Settings) -> FloodGuard | None:
    """Flood control from the settings (None when both rates are empty)."""
    if not settings.helpdesk_rate_limit.strip() and not settings.helpdesk_desk_rate_limit.strip():
        return None
    unlimited = "1000000/second"
    return FloodGuard(
        settings.helpdesk_rate_limit.strip() or unlimited,
        settings.helpdesk_desk_rate_limit.strip() or unlimited,
        settings.helpdesk_rate_limit_storage,
    )


def build(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    senders: Mapping[str, Sender],
    *,
    directories: Mapping[str, DeskDirectory] | None = None,
    chat_ids: Sequence[str] | None = None,
    clock: SystemClock | None = None,
    channels: Sequence[Channel] = (),
) -> Helpdesk:
    """Wire engine, FAQ index and dispatcher around the given senders."""
    clock = clock or SystemClock()
    faq = FaqIndex(uow_factory, make_matcher(settings))
    faq.refresh(force=True)
    dispatcher_box: list[OutboxDispatcher] = []
    engine = assemble_engine(
        uow_factory,
        faq,
        clock,
        engine_config(settings),
        directories=directories,
        wake_dispatcher=lambda: dispatcher_box[0].wake() if dispatcher_box else None,
    )
    engine.flood = flood_guard(settings)
    threads = turn_threads(settings)
    engine.turn_threads = ThreadedTurns(threads) if threads else None
    dispatcher = OutboxDispatcher(
        uow_factory, senders, clock, engine, delivery_policy(settings), chat_ids=chat_ids
    )
    dispatcher.off_loop = threads > 0
    dispatcher_box.append(dispatcher)
    engine.role_cache = RoleCache(settings.helpdesk_role_cache_seconds)
    install_faq_admin(engine)
    engine.on_turn = observe_turn
    faq.on_match = observe_match
    pages = HelpdeskStatusPages(uow_factory, channels, lambda: migrations_current(settings))
    for channel in channels:
        share_polling(channel, uow_factory, settings)
        if hasattr(channel, "status_pages"):
            channel.status_pages = pages
    return Helpdesk(settings, uow_factory, faq, engine, dispatcher, list(channels), pages)


def turn_threads(settings: Settings) -> int:
    """How many threads run turns side by side (0: one at a time on the loop): never on SQLite;
    for ``auto``, some when the database is far enough that waiting for it would idle the worker."""
    if is_sqlite_url(settings.database_url):
        return 0
    if settings.helpdesk_turn_threads != "auto":
        return int(settings.helpdesk_turn_threads)
    rtt = round_trip_seconds(settings.database_url)
    threads = AUTO_TURN_THREADS if rtt > AUTO_THREADS_ROUND_TRIP_SECONDS else 0
    how = f"{threads} turn threads" if threads else "turns one at a time on the loop"
    log.info("database round trip %.2f ms: %s", rtt * 1000, how)
    return threads


def migrations_current(settings: Settings) -> bool:
    """Whether the database is at the newest migration of every branch this code ships."""
    if is_memory_url(settings.database_url):
        return True  # migrated by this very process (it lives only as long as the process)
    return current_heads(settings.database_url) == head_revisions()


def share_polling(channel: Channel, uow_factory: UnitOfWorkFactory, settings: Settings) -> None:
    """A polling channel (Telegram) polls only while this process holds the poller lease, so
    several processes on one database never poll at once; its long polls fit inside the lease."""
    if getattr(channel, "mode", "") != "polling" or not hasattr(channel, "poll_lease"):
        return
    seconds = settings.telegram_poll_lease_seconds
    lease = DatabaseLease(uow_factory, SystemClock(), f"{channel.platform}-poller", seconds)
    channel.poll_lease = lease
    channel.poll_timeout = max(1, min(int(channel.poll_timeout), int(seconds / 2)))  # type: ignore[attr-defined]


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    """How long and how often the outbox retries, from the ``OUTBOX_*`` settings."""
    return DeliveryPolicy(
        give_up_after=timedelta(hours=settings.outbox_give_up_hours),
        lease_seconds=settings.outbox_lease_seconds,
        probe_seconds=settings.outbox_probe_seconds,
        concurrency=settings.outbox_concurrency,
        alert_after=timedelta(minutes=settings.outbox_alert_minutes),
    )


def platform_channels(settings: Settings) -> list[Channel]:
    """The Telegram and Slack channels whose tokens are set."""
    channels: list[Channel] = []
    if settings.telegram_bot_token:
        from handlers.telegram_adapter import TelegramChannel

        channels.append(TelegramChannel.from_settings(settings))
    if settings.slack_bot_token:
        from handlers.slack_adapter import SlackChannel

        channels.append(SlackChannel.from_settings(settings))
    if settings.whatsapp_phone_number_id.strip():
        from handlers.whatsapp_adapter import WhatsAppChannel

        channels.append(WhatsAppChannel.from_settings(settings))
    share_web_servers(channels, settings)
    share_media(channels)
    return channels


def share_web_servers(channels: Sequence[Channel], settings: Settings) -> None:
    """A webhook listening on the same address as another channel's webhook server (Telegram
    webhook, Slack HTTP) is served by that server: two servers cannot share one port."""
    whatsapp = next((c for c in channels if c.platform == "whatsapp"), None)
    if whatsapp is None:
        return
    listen = settings.whatsapp_webhook_listen.strip()
    hosts = {
        "telegram": settings.telegram_webhook_listen.strip() if settings.telegram_mode == "webhook" else "",
        "slack": settings.slack_http_listen.strip() if not settings.slack_app_token else "",
    }
    for channel in channels:
        if hosts.get(channel.platform) == listen and hasattr(channel, "extra_routes"):
            channel.extra_routes.extend(whatsapp.routes())  # type: ignore[attr-defined]
            whatsapp.own_server = False  # type: ignore[attr-defined]
            return


def share_media(channels: Sequence[Channel]) -> None:
    """Every sender that can pass on files from other platforms learns where to fetch them."""
    sources = {c.platform: c.media for c in channels if getattr(c, "media", None) is not None}  # type: ignore[attr-defined]
    for channel in channels:
        wanted = getattr(channel.sender, "media_sources", None)
        if isinstance(wanted, dict):
            wanted.update({p: s for p, s in sources.items() if p != channel.platform})


async def run_console(settings: Settings, name: str, *, desk: bool) -> None:
    """A console chat (or desk) in this terminal; it delivers only what is addressed to it."""
    from handlers.console_adapter import DESK_CHAT_ID, DESK_HINT, ConsoleSender, console_loop, user_chat_id

    uow_factory = prepare_database(settings)
    chat_id = DESK_CHAT_ID if desk else user_chat_id(name)
    console = ConsoleSender(chat_id)
    senders: dict[str, Sender] = {"console": console}
    helpdesk = build(settings, uow_factory, senders, chat_ids=[chat_id])
    user = UserRef("console", f"desk:{name}" if desk else name, name)
    if desk:
        print(DESK_HINT, flush=True)
    else:  # greet like a chat app does when a conversation is opened
        start = uuid.uuid4().hex
        await helpdesk.engine.handle(
            InboundMessage(
                ChannelAddress("console", chat_id), user, "", start, command="start", event_id=start
            )
        )
    await _serve(helpdesk, console_loop(helpdesk.engine, console, user, desk))


async def run_channels(settings: Settings) -> None:
    """Every configured platform channel, without a console (for servers)."""
    channels = platform_channels(settings)
    uow_factory = prepare_database(settings)
    senders = {c.platform: c.sender for c in channels}
    directories = {c.platform: c.directory for c in channels if c.directory is not None}
    helpdesk = build(settings, uow_factory, senders, directories=directories, channels=channels)
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals on some platforms
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await _serve(helpdesk, stop.wait())


def workers_refusal(settings: Settings, workers: int, channels: Sequence[Channel]) -> str | None:
    """Why ``workers`` processes cannot run with these settings (None when they can)."""
    if workers <= 1:
        return None
    if is_sqlite_url(settings.database_url):
        return (
            "Several workers need PostgreSQL (DATABASE_URL=postgresql+psycopg://...): SQLite is for one "
            "process. Start without --workers, or point DATABASE_URL at PostgreSQL."
        )
    if not channels:
        return "Several workers serve Telegram or Slack; no chat tokens are set (the console is one process)."
    return None


async def _serve(helpdesk: Helpdesk, foreground: Awaitable[object]) -> None:
    """Start channels, the dispatcher and the background jobs; run ``foreground`` to its end."""
    tasks = [asyncio.create_task(helpdesk.dispatcher.run_forever(poll_seconds=0.5))]
    scheduler = start_jobs(helpdesk)
    status_server = None
    if helpdesk.settings.helpdesk_status_listen.strip() and helpdesk.status_pages is not None:
        from handlers.status_routes import StatusServer

        status_server = StatusServer(helpdesk.status_pages, helpdesk.settings.helpdesk_status_listen)
        await status_server.start()
    for channel in helpdesk.channels:
        await channel.start(helpdesk.engine)
    try:
        await foreground
        await helpdesk.dispatcher.run_once()
    finally:
        for channel in helpdesk.channels:
            with contextlib.suppress(Exception):
                await channel.stop()
        if scheduler is not None:
            scheduler()
        if status_server is not None:
            await status_server.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if helpdesk.engine.turn_threads is not None:
            await asyncio.to_thread(helpdesk.engine.turn_threads.close)


def report_channel(settings: Settings) -> ChannelAddress | None:
    """``REPORT_CHANNEL`` (``platform:chat_id``) as an address; None means the desk."""
    value = settings.report_channel.strip()
    if not value:
        return None
    platform, sep, chat_id = value.partition(":")
    if not sep or not platform or not chat_id:
        raise ValueError(f"REPORT_CHANNEL must look like telegram:-100123 or slack:C0123, not {value!r}")
    return ChannelAddress(platform.strip(), chat_id.strip())


def job_config(settings: Settings) -> JobConfig:
    """The jobs' view of the settings."""
    policy = build_policy(
        settings.business_hours,
        settings.holidays,
        settings.helpdesk_timezone,
        settings.sla_first_response_minutes,
        settings.sla_resolution_minutes,
        settings.sla_priority_hours,
    )
    options = ReportOptions(
        policy=policy,
        feedback_window=timedelta(minutes=settings.helpdesk_feedback_window_minutes),
        reopen_days=settings.report_reopen_days,
    )
    return JobConfig(
        policy=policy,
        report_options=options,
        report_channel=report_channel(settings),
        reminder_margin_minutes=settings.sla_reminder_margin_minutes,
        urgent_reping_minutes=settings.urgent_reping_minutes,
        followup_days=settings.followup_days,
        followup_close_days=settings.followup_close_days,
        followup_reopen_days=settings.followup_reopen_days,
        rating_reminder_hours=settings.rating_reminder_hours,
        retention_days=settings.data_retention_days,
        owner=f"{socket.gethostname()}:{os.getpid()}",
    )


def recap_schedules(settings: Settings) -> dict[str, str]:
    """The recap kinds that have a cron expression, with it."""
    crons = {
        "day": settings.report_daily_cron,
        "week": settings.report_weekly_cron,
        "month": settings.report_monthly_cron,
    }
    return {kind: cron.strip() for kind, cron in crons.items() if cron.strip()}


def _thread_safe_wake(helpdesk: Helpdesk) -> Callable[[], None] | None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None

    def wake() -> None:
        loop.call_soon_threadsafe(helpdesk.dispatcher.wake)

    return wake


def start_jobs(helpdesk: Helpdesk) -> Callable[[], None]:
    """Install the SLA estimate and ``/report`` in the engine, start the jobs; returns the stop function."""
    settings = helpdesk.settings
    jobs = HelpdeskJobs(helpdesk.engine, job_config(settings), wake=_thread_safe_wake(helpdesk))
    return run_jobs(jobs, recap_schedules(settings), settings.jobs_interval_seconds)
