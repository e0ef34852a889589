"""Settings from the environment and `.env` (pydantic-settings).

Only the composition root and the CLI build a ``Settings``; nothing reads configuration at import.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split_ids(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise ValueError("expected a comma-separated list of platform:user_id")


class Settings(BaseSettings):
    """Every setting of the helpdesk; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default="sqlite:///helpdesk.db", alias="DATABASE_URL")
    helpdesk_admins: Annotated[tuple[str, ...], NoDecode] = Field(default=(), alias="HELPDESK_ADMINS")
    helpdesk_specialists: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), alias="HELPDESK_SPECIALISTS"
    )
    helpdesk_language: str = Field(default="id", alias="HELPDESK_LANGUAGE")
    helpdesk_timezone: str = Field(default="Asia/Jakarta", alias="HELPDESK_TIMEZONE")
    # Which platform's desk handles tickets: console, telegram or slack. Empty: the first configured
    # of telegram, slack, console.
    helpdesk_desk: str = Field(default="", alias="HELPDESK_DESK")
    helpdesk_note_prefix: str = Field(default="!", alias="HELPDESK_NOTE_PREFIX")
    helpdesk_faq_path: str = Field(default="", alias="HELPDESK_FAQ_PATH")
    helpdesk_matcher: str = Field(default="semantic", alias="HELPDESK_MATCHER")
    helpdesk_out_of_scope_path: str = Field(default="", alias="HELPDESK_OUT_OF_SCOPE_PATH")
    # The generic out-of-scope questions shipped with the helpdesk (facilities, HR, small talk...).
    helpdesk_out_of_scope_bundled: bool = Field(default=True, alias="HELPDESK_OUT_OF_SCOPE_BUNDLED")
    helpdesk_matcher_threads: int = Field(default=1, alias="HELPDESK_MATCHER_THREADS")
    helpdesk_feedback_window_minutes: int = Field(default=60, alias="HELPDESK_FEEDBACK_WINDOW_MINUTES")
    # First-response targets in minutes per priority, used to tell users what to expect.
    sla_first_response_minutes: str = Field(
        default="urgent=15,high=60,normal=240,low=480", alias="SLA_FIRST_RESPONSE_MINUTES"
    )
    # Delivery: temporary errors are retried until this many hours after the message was decided;
    # a worker's lease on a message lasts this many seconds (renewed while it sends); during an
    # outage the platform is probed this often; the desk is told after this many minutes.
    outbox_give_up_hours: float = Field(default=24.0, gt=0, alias="OUTBOX_GIVE_UP_HOURS")
    outbox_lease_seconds: float = Field(default=10.0, gt=0, alias="OUTBOX_LEASE_SECONDS")
    outbox_probe_seconds: float = Field(default=10.0, gt=0, alias="OUTBOX_PROBE_SECONDS")
    # Sends in flight at once per process, each to another chat (one chat's messages go in order).
    outbox_concurrency: int = Field(default=16, ge=1, le=256, alias="OUTBOX_CONCURRENCY")
    outbox_alert_minutes: float = Field(default=3.0, ge=0, alias="OUTBOX_ALERT_MINUTES")
    # Flood control: how many messages and button presses one person may have processed, as
    # "N/period" joined with ";" (periods: second, minute, hour, "10 seconds"); empty: unlimited.
    helpdesk_rate_limit: str = Field(default="8/10 seconds;40/minute", alias="HELPDESK_RATE_LIMIT")
    helpdesk_desk_rate_limit: str = Field(
        default="20/10 seconds;120/minute", alias="HELPDESK_DESK_RATE_LIMIT"
    )
    # Where the counts live: memory:// for one process, redis://host:6379/0 when several share the work.
    helpdesk_rate_limit_storage: str = Field(default="memory://", alias="HELPDESK_RATE_LIMIT_STORAGE")

    # --- Reports and SLA ------------------------------------------------------------------
    # Where recaps are posted (platform:chat_id, e.g. telegram:-100123, slack:C0123, console:desk);
    # empty: the desk channel.
    report_channel: str = Field(default="", alias="REPORT_CHANNEL")
    # Cron expressions (minute hour day month weekday) in HELPDESK_TIMEZONE; empty disables.
    report_daily_cron: str = Field(default="0 8 * * *", alias="REPORT_DAILY_CRON")
    report_weekly_cron: str = Field(default="0 8 * * mon", alias="REPORT_WEEKLY_CRON")
    report_monthly_cron: str = Field(default="", alias="REPORT_MONTHLY_CRON")
    # A resolved ticket reopened within this many days counts as "reopened" in recaps.
    report_reopen_days: int = Field(default=7, alias="REPORT_REOPEN_DAYS")
    # Resolution targets in business minutes per priority (a 08:00-17:00 day has 540).
    sla_resolution_minutes: str = Field(
        default="urgent=240,high=540,normal=1620,low=2700", alias="SLA_RESOLUTION_MINUTES"
    )
    # Opening hours the SLA clocks run in ("mon-fri 08:00-17:00", "24/7", segments joined with ;).
    business_hours: str = Field(default="mon-fri 08:00-17:00", alias="BUSINESS_HOURS")
    # Opening hours per priority where they differ from BUSINESS_HOURS: "urgent=24/7" (incidents
    # do not wait for Monday); several joined with |, e.g. "urgent=24/7|high=mon-sat 07:00-21:00".
    # A 24/7 priority ignores HOLIDAYS too.
    sla_priority_hours: str = Field(default="urgent=24/7", alias="SLA_PRIORITY_HOURS")
    # Days the desk is closed: comma-separated YYYY-MM-DD.
    holidays: str = Field(default="", alias="HOLIDAYS")
    # An unclaimed ticket is re-announced this many minutes before its first-response target.
    sla_reminder_margin_minutes: int = Field(default=30, alias="SLA_REMINDER_MARGIN_MINUTES")
    # An unclaimed urgent ticket pings the desk again every this many (business) minutes.
    urgent_reping_minutes: int = Field(default=10, alias="URGENT_REPING_MINUTES")
    # Working days a ticket waits on the user before one reminder; more working days before it closes.
    followup_days: int = Field(default=3, alias="FOLLOWUP_DAYS")
    followup_close_days: int = Field(default=4, alias="FOLLOWUP_CLOSE_DAYS")
    # Days after an auto-close during which a reply from the user reopens the ticket.
    followup_reopen_days: int = Field(default=14, alias="FOLLOWUP_REOPEN_DAYS")
    # Hours after resolution before one reminder to rate a ticket (0 disables).
    rating_reminder_hours: int = Field(default=24, alias="RATING_REMINDER_HOURS")
    # Days after which message texts (and closed tickets' texts) are purged; 0 keeps them.
    data_retention_days: int = Field(default=0, ge=0, alias="DATA_RETENTION_DAYS")
    # How often the SLA and follow-up jobs look at the tickets.
    jobs_interval_seconds: int = Field(default=60, alias="JOBS_INTERVAL_SECONDS")

    # --- Processes --------------------------------------------------------------------------
    # Worker processes `helpdesk run` starts (more than one needs PostgreSQL); they share the
    # webhook ports.
    helpdesk_workers: int = Field(default=1, ge=1, le=64, alias="HELPDESK_WORKERS")
    # host:port of a server with only /healthz and /metrics (empty: none; the webhook servers
    # serve both anyway).
    helpdesk_status_listen: str = Field(default="", alias="HELPDESK_STATUS_LISTEN")
    # Batches of turns (events' transactions) run side by side in this many threads per worker
    # on PostgreSQL; 0 runs one batch at a time on the event loop (the least CPU while the
    # database answers within a fraction of a millisecond). "auto": 4 when a round trip to the
    # database takes longer than 0.3 ms at start-up, else 0. SQLite always uses the loop.
    helpdesk_turn_threads: str = Field(default="auto", alias="HELPDESK_TURN_THREADS")
    # Seconds a desk-membership answer from the platform is trusted before it is asked again.
    helpdesk_role_cache_seconds: float = Field(default=60, ge=0, alias="HELPDESK_ROLE_CACHE_SECONDS")

    # --- Telegram -------------------------------------------------------------------------
    telegram_bot_token: str = Field(default="", alias="TELEGRAM_BOT_TOKEN")
    telegram_desk_chat_id: str = Field(default="", alias="TELEGRAM_DESK_CHAT_ID")
    telegram_api_base_url: str = Field(default="https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL")
    telegram_api_file_url: str = Field(
        default="https://api.telegram.org/file/bot", alias="TELEGRAM_API_FILE_URL"
    )
    telegram_mode: str = Field(default="polling", alias="TELEGRAM_MODE")  # polling or webhook
    telegram_webhook_listen: str = Field(default="0.0.0.0:8443", alias="TELEGRAM_WEBHOOK_LISTEN")
    telegram_webhook_url: str = Field(default="", alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str = Field(default="", alias="TELEGRAM_WEBHOOK_SECRET")
    # Polling with several processes: the poller renews its lease this often; another process
    # takes over once it lapsed (long polls last half of it).
    telegram_poll_lease_seconds: float = Field(default=8, ge=2, alias="TELEGRAM_POLL_LEASE_SECONDS")
    # Webhook: how many updates Telegram may send at once (1-100).
    telegram_webhook_max_connections: int = Field(
        default=40, ge=1, le=100, alias="TELEGRAM_WEBHOOK_MAX_CONNECTIONS"
    )

    # --- Slack ----------------------------------------------------------------------------
    slack_bot_token: str = Field(default="", alias="SLACK_BOT_TOKEN")
    slack_app_token: str = Field(default="", alias="SLACK_APP_TOKEN")
    slack_signing_secret: str = Field(default="", alias="SLACK_SIGNING_SECRET")
    slack_desk_channel_id: str = Field(default="", alias="SLACK_DESK_CHANNEL_ID")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    slack_http_listen: str = Field(default="0.0.0.0:3000", alias="SLACK_HTTP_LISTEN")

    # --- WhatsApp (Cloud API) -------------------------------------------------------------
    whatsapp_phone_number_id: str = Field(default="", alias="WHATSAPP_PHONE_NUMBER_ID")
    whatsapp_access_token: str = Field(default="", alias="WHATSAPP_ACCESS_TOKEN")
    whatsapp_app_secret: str = Field(default="", alias="WHATSAPP_APP_SECRET")
    whatsapp_verify_token: str = Field(default="", alias="WHATSAPP_VERIFY_TOKEN")
    whatsapp_api_base_url: str = Field(default="https://graph.facebook.com", alias="WHATSAPP_API_BASE_URL")
    whatsapp_api_version: str = Field(default="23.0", alias="WHATSAPP_API_VERSION")
    whatsapp_webhook_listen: str = Field(default="0.0.0.0:8444", alias="WHATSAPP_WEBHOOK_LISTEN")
    whatsapp_webhook_path: str = Field(default="/whatsapp/webhook", alias="WHATSAPP_WEBHOOK_PATH")
    # The pre-approved template sent outside the 24-hour window, its language and what fills
    # its body parameters ({{1}}, ...; "text" is the message itself; empty for none).
    whatsapp_template_name: str = Field(default="helpdesk_update", alias="WHATSAPP_TEMPLATE_NAME")
    whatsapp_template_language: str = Field(default="id", alias="WHATSAPP_TEMPLATE_LANGUAGE")
    whatsapp_template_parameters: str = Field(default="text", alias="WHATSAPP_TEMPLATE_PARAMETERS")

    @field_validator("helpdesk_admins", "helpdesk_specialists", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> tuple[str, ...]:
        return _split_ids(value)

    @field_validator("helpdesk_turn_threads")
    @classmethod
    def _check_turn_threads(cls, value: str) -> str:
        value = value.strip().lower() or "auto"
        if value != "auto" and not (value.isdigit() and int(value) <= 64):
            raise ValueError("HELPDESK_TURN_THREADS must be auto or a number of threads from 0 to 64")
        return value

    @field_validator("helpdesk_desk")
    @classmethod
    def _check_desk(cls, value: str) -> str:
        value = value.strip().lower()
        if value == "whatsapp":
            raise ValueError(
                "HELPDESK_DESK cannot be whatsapp: WhatsApp serves users only (it has no threads for "
                "tickets); choose telegram, slack or console"
            )
        if value not in ("", "console", "telegram", "slack"):
            raise ValueError("HELPDESK_DESK must be console, telegram or slack")
        return value

    @field_validator("helpdesk_language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        if value not in ("id", "en"):
            raise ValueError("HELPDESK_LANGUAGE must be 'id' or 'en'")
        return value

    @field_validator(
        "business_hours",
        "holidays",
        "sla_resolution_minutes",
        "sla_first_response_minutes",
        "sla_priority_hours",
    )
    @classmethod
    def _check_sla(cls, value: str, info: ValidationInfo) -> str:
        from bot.sla import policy as sla

        checks = {
            "business_hours": sla.BusinessHours.parse,
            "holidays": sla.parse_holidays,
            "sla_resolution_minutes": sla.parse_targets,
            "sla_first_response_minutes": sla.parse_targets,
            "sla_priority_hours": sla.parse_priority_hours,
        }
        try:
            checks[info.field_name or ""](value)
        except sla.SlaConfigError as error:
            raise ValueError(str(error)) from error
        return value

    @field_validator("helpdesk_rate_limit", "helpdesk_desk_rate_limit")
    @classmethod
    def _check_rates(cls, value: str) -> str:
        from limits import parse_many

        if value.strip():
            try:
                parse_many(value)
            except ValueError as error:
                raise ValueError(f"cannot read the rate {value!r}; e.g. 8/10 seconds;40/minute") from error
        return value

    def first_response_minutes(self) -> dict[str, int]:
        """``SLA_FIRST_RESPONSE_MINUTES`` as a mapping priority -> minutes."""
        result: dict[str, int] = {}
        for part in self.sla_first_response_minutes.split(","):
            name, _, minutes = part.partition("=")
            if name.strip() and minutes.strip().isdigit():
                result[name.strip()] = int(minutes)
        return result

    def desk_platform(self) -> str:
        """The platform whose desk channel handles tickets."""
        if self.helpdesk_desk:
            return self.helpdesk_desk
        if self.telegram_bot_token and self.telegram_desk_chat_id:
            return "telegram"
        if self.slack_bot_token and self.slack_desk_channel_id:
            return "slack"
        return "console"
