"""The one settings object. Read once from ``PRIVAULT_*`` environment variables, then passed in.

No other module reads ``os.environ``. Every field is documented in ``docs/settings.md``
(a test checks it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

# "5/hour", "10/minute;60/hour", "3/2 days": the `limits` notation of the abuse limits' settings
RATE_LIMITS = r"^\d+/(\d+ )?(second|minute|hour|day)s?(;\d+/(\d+ )?(second|minute|hour|day)s?)*$"


class Settings(BaseSettings):
    """Everything privault can be configured with."""

    model_config = SettingsConfigDict(env_prefix="PRIVAULT_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default=Path("privault-data"),
        description="Folder for the embedded database, the manifest and the local keyring.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/privault.db. "
        "PostgreSQL: postgresql+psycopg://user:pass@host/db.",
    )
    read_database_url: SecretStr | None = Field(
        default=None,
        description="A PostgreSQL read replica for read-only work (dashboards, the record of "
        "processing, retention status, the CCPA request log and metrics); everything that must "
        "read its own writes stays on the primary.",
    )
    read_max_lag_seconds: float = Field(
        default=300,
        ge=0,
        le=86_400,
        description="A replica further behind the primary than this is not used: those reads go "
        "to the primary (checked at most every 5 seconds).",
    )
    manifest: Path | None = Field(
        default=None, description="Path of privault.yaml; default <data_dir>/privault.yaml."
    )
    keyring_dir: Path | None = Field(
        default=None, description="Folder of local key files; default <data_dir>/keys."
    )
    keyring: str = Field(
        default="local",
        description="Keyring implementation holding key-encryption keys (local files).",
    )
    keyring_permissions: Literal["refuse", "warn"] = Field(
        default="refuse",
        description="A local key file the group or others may read or write: refuse it "
        "(keyring.permissions) or only log a warning.",
    )
    host: str = Field(default="127.0.0.1", description="Address `privault serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `privault serve` binds to.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Lowest level written to the log."
    )
    log_format: Literal["json", "console"] = Field(
        default="json", description="json for machines, console for people."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^\s]+$",
        description="The address people reach privault at; one-click unsubscribe links start with it.",
    )
    messenger: Literal["outbox", "smtp"] = Field(
        default="outbox",
        description="How one-time codes and notices are sent: outbox (a file, for the embedded "
        "setup and tests) or smtp (email; text messages still go to the outbox).",
    )
    outbox_dir: Path | None = Field(
        default=None, description="Folder of the outbox messenger; default <data_dir>/outbox."
    )
    smtp_host: str = Field(default="localhost", description="SMTP server for the smtp messenger.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_username: str | None = Field(default=None, description="SMTP login, if any.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password, if any.")
    smtp_sender: str = Field(
        default="privacy@localhost", description="The From address of messages privault sends."
    )
    smtp_starttls: bool = Field(
        default=True, description="Upgrade the SMTP connection with STARTTLS."
    )
    verification_code_minutes: int = Field(
        default=30, ge=5, le=1440, description="How long a one-time verification code is valid."
    )
    verification_max_attempts: int = Field(
        default=5, ge=1, le=20, description="Wrong codes allowed before a new code must be sent."
    )
    verification_max_sends: int = Field(
        default=5,
        ge=1,
        le=20,
        description="Codes sent per identity of a request, resends included.",
    )
    unverified_close_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="A request whose identities are still unverified after this many days is "
        "closed (denied: identity_not_verified) by `privault requests sweep`.",
    )
    package_link_days: int = Field(
        default=14, ge=1, le=90, description="How long an access package's download link works."
    )
    request_record_months: int = Field(
        default=24,
        ge=24,
        le=120,
        description="How long a closed request's record is kept (CCPA §7101: at least 24 months).",
    )
    ccpa_verification_levels: bool = Field(
        default=True,
        description="Verify Californian requests to the degree 11 CCR §7062 sets: two matched data "
        "points (categories; deletion or correction of ordinary data), three (deletion or correction "
        "of sensitive data), three and a signed declaration (specific pieces), or the account.",
    )
    ccpa_consumers_per_year: int = Field(
        default=0,
        ge=0,
        description="Californians whose personal information the business buys, receives, sells or "
        "shares in a calendar year; from 10,000,000 the yearly request metrics are due "
        "(11 CCR §7102).",
    )
    target_days_early: int = Field(
        default=5,
        ge=0,
        le=30,
        description=(
            "Days before a request's legal deadline the team's working target is set "
            "(then back to a working day); the legal date is unchanged."
        ),
    )
    fcc_breach_rule: Literal["fcc_23_111", "legacy"] = Field(
        default="fcc_23_111",
        description=(
            "The FCC CPNI breach rule in force: fcc_23_111 (2023 order) or legacy (the 2007 "
            "rule: law enforcement within 7 business days, customers 7 full business days later)."
        ),
    )
    worker_embedded: bool = Field(
        default=True,
        description="`privault serve` runs a worker in the same process (the embedded setup); set "
        "false when `privault worker` runs separately.",
    )
    worker_poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="How long an idle worker waits before looking again."
    )
    job_lease_seconds: int = Field(
        default=60,
        ge=5,
        le=3600,
        description="How long a claimed job is a worker's before another may take it over "
        "(extended at each checkpoint).",
    )
    audit_keep_years: int | None = Field(
        default=None,
        ge=1,  # DPDP Rules 2025 r. 6(1)(e): access logs kept at least one year (DPDP-LOG-1)
        le=100,
        description="Years an audit event must be kept, at least 1 (unset: kept for ever; privault "
        "itself never deletes audit events).",
    )
    audit_witness_dir: Path | None = Field(
        default=None,
        description="Folder where each tenant's latest signed audit checkpoint is kept outside the "
        "database (the witness); default <keyring folder>/witness. Put it on another disk or a "
        "write-once mount.",
    )
    audit_seal_seconds: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="How often the worker seals committed audit events into each tenant's chain.",
    )
    audit_seal_delay_seconds: float = Field(
        default=5.0,
        ge=0,
        le=600,
        description="Events younger than this wait for the next sealing, so that transactions "
        "still committing are sealed in time order.",
    )
    audit_checkpoint_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86400,
        description="At most this long between signed checkpoints while events arrive (each is "
        "also given to the witness).",
    )
    retention_batch_size: int = Field(
        default=2000,
        ge=1,
        le=100_000,
        description="Values deleted per transaction (and checkpoint) by a retention sweep.",
    )
    visit_ip_mode: Literal["truncate", "pseudonym"] = Field(
        default="truncate",
        description="What the visit log keeps of an IP address: the /24 or /48 prefix, or a keyed "
        "pseudonym that changes every day.",
    )
    db_pool_size: int = Field(
        default=10, ge=1, description="Connections kept per process (PostgreSQL only)."
    )
    db_prepared_statements: bool = Field(
        default=True,
        description="Let the PostgreSQL driver prepare a statement it runs often (psycopg: after "
        "five runs on a connection). Off behind a pooler in transaction mode that does not keep "
        "prepared statements (PgBouncer before 1.21, or without max_prepared_statements).",
    )
    db_pre_ping: bool = Field(
        default=False,
        description="Test each pooled PostgreSQL connection with a round trip before every "
        "transaction. Off, a connection the server has dropped fails the one request using it "
        "(503) and the pool is renewed; connections are replaced after 30 minutes either way.",
    )
    admin_session_idle_minutes: int = Field(
        default=30,
        ge=1,
        le=1440,
        description="An admin-console session unused this long ends (sign in again).",
    )
    admin_session_hours: int = Field(
        default=12,
        ge=1,
        le=168,
        description="An admin-console session ends this long after sign-in.",
    )
    admin_lockout_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Wrong passwords in a row that lock an admin-console login.",
    )
    admin_lockout_minutes: int = Field(
        default=15, ge=1, le=1440, description="How long such a lock-out lasts."
    )
    admin_cookie_secure: bool = Field(
        default=True,
        description="Mark the admin console's cookies Secure (named __Host-...). Turn off only "
        "for a demo served over plain http on a host that is not localhost.",
    )
    # --- abuse limits and size limits (docs/limits.md) ---
    rate_limit_storage: SecretStr = Field(
        default=SecretStr("memory://"),
        description="Where the abuse limits are counted (a `limits` storage URI): memory:// "
        "counts in this process only; several processes must share redis://host:6379.",
    )
    rate_limit_prefix: str = Field(
        default="privault",
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="Prefix of the counters' keys in a shared store (one per installation).",
    )
    rate_limit_intake_ip: str = Field(
        default="5/hour",
        pattern=RATE_LIMITS,
        description="Subject requests opened without an API key, per client IP.",
    )
    rate_limit_intake_identity: str = Field(
        default="3/day",
        pattern=RATE_LIMITS,
        description="Subject requests opened without an API key, per e-mail address or phone "
        "number (counted under a keyed hash, never the identity itself).",
    )
    rate_limit_signin_ip: str = Field(
        default="10/minute;60/hour",
        pattern=RATE_LIMITS,
        description="Admin-console sign-in attempts per client IP, whatever the username.",
    )
    rate_limit_signin_username: str = Field(
        default="10/minute",
        pattern=RATE_LIMITS,
        description="Sign-in attempts per login (tenant and username), from all IPs together.",
    )
    rate_limit_banner_ip: str = Field(
        default="30/minute",
        pattern=RATE_LIMITS,
        description="Cookie-banner choices and preference-center saves per client IP.",
    )
    rate_limit_visits_ip: str = Field(
        default="120/minute",
        pattern=RATE_LIMITS,
        description="Visit beacons (POST /v1/visits and the pixel) per client IP.",
    )
    max_body_bytes: int = Field(
        default=4_194_304,
        ge=1024,
        description="Largest request body accepted (413 above it), with or without Content-Length.",
    )
    max_value_chars: int = Field(
        default=200_000,
        ge=100,
        description="Longest single text value in a JSON or form body (422 naming the field); the "
        "default holds a two-hour call transcript; "
        "a datastore's dataset YAML is bounded by max_body_bytes only.",
    )

    @property
    def manifest_path(self) -> Path:
        """Where the manifest lives."""
        return self.manifest or self.data_dir / "privault.yaml"

    @property
    def keyring_path(self) -> Path:
        """Where local key files live."""
        return self.keyring_dir or self.data_dir / "keys"

    @property
    def audit_witness_path(self) -> Path:
        """Where the audit witness keeps its files."""
        return self.audit_witness_dir or self.keyring_path / "witness"

    @property
    def outbox_path(self) -> Path:
        """Where the outbox messenger writes."""
        return self.outbox_dir or self.data_dir / "outbox"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL in full (may hold a password: never log it)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'privault.db'}"

    @property
    def read_sqlalchemy_url(self) -> str | None:
        """The replica's URL, if one is set (may hold a password: never log it)."""
        return self.read_database_url.get_secret_value() if self.read_database_url else None

    @property
    def database_url_masked(self) -> str:
        """The database URL with any password hidden, safe to print."""
        return make_url(self.sqlalchemy_url).render_as_string(hide_password=True)


def load_settings() -> Settings:
    """Read the settings from the environment (the only place that does)."""
    return Settings()
