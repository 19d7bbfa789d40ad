//! Command line, environment and TOML configuration of `horreo serve`.
//!
//! Precedence: command-line flag, then environment variable, then the TOML file
//! named by `--config`, then the built-in default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use horreo_storage::Reserve;
use serde::Deserialize;

#[derive(Debug, Parser)]
#[command(
    name = "horreo",
    version,
    about = "An S3-compatible object store on local disk"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the S3 server (the default when no command is given).
    Serve(Box<ServeArgs>),
    /// Manage the built-in KMS keys and the master key (with the server stopped).
    Kms(KmsArgs),
    /// Manage accounts, IAM users, access keys and user policies (with the
    /// server stopped; while it runs, use `aws iam --endpoint-url ...`).
    Admin(AdminArgs),
    /// Check the store's metadata against its blob files, and repair with --repair
    /// (with the server stopped).
    #[cfg(feature = "rocksdb")]
    Fsck(crate::admin::fsck::FsckArgs),
    /// Verify every stored object now (server stopped); exit status 1 if damage is found.
    Scrub(ScrubArgs),
    /// Ask a running server's health check; exit status 0 when it answers 200
    /// (for container health checks).
    Health(HealthArgs),
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The check to ask: `/_horreo/health/ready` (or `/_horreo/health/live`) on
    /// the main listener, `/health/ready` on the admin listener
    #[arg(
        long,
        env = "HORREO_HEALTH_URL",
        default_value = "http://127.0.0.1:9000/_horreo/health/ready"
    )]
    pub url: String,
}

#[derive(Debug, Args)]
pub struct ScrubArgs {
    /// Data directory of the store [default: ./data]
    #[arg(long, env = "HORREO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// File holding the master key, to verify SSE-S3/SSE-KMS content (or set
    /// HORREO_MASTER_KEY) [default: the key generated beside the data directory]
    #[arg(long, env = "HORREO_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Print what the last passes found instead (works while the server runs);
    /// exit status 1 if the last complete pass found damage
    #[arg(long)]
    pub status: bool,
    #[command(flatten)]
    pub tiers: crate::tier_config::TierArgs,
}

/// Where a command that works on a stopped store finds it and its master key.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Data directory of the store [default: ./data]
    #[arg(long, env = "HORREO_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// File holding the current master key as 64 hex digits (or set HORREO_MASTER_KEY)
    /// [default: the key generated beside the data directory]
    #[arg(long, env = "HORREO_MASTER_KEY_FILE", global = true)]
    pub master_key_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct KmsArgs {
    #[command(subcommand)]
    pub command: KmsCommand,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum KmsCommand {
    /// Create a KMS key usable as x-amz-server-side-encryption-aws-kms-key-id.
    CreateKey { name: String },
    /// List the KMS keys.
    ListKeys,
    /// Re-seal every data key and KMS key under a new master key (object data is
    /// not rewritten); from then on the server must be started with the new key.
    RotateMasterKey {
        /// File holding the new master key as 64 hex digits
        #[arg(long)]
        new_key_file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// A running server to manage instead of a stopped store.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// URL of a running server (http://HOST:PORT): manage it through its IAM API,
    /// signed with --access-key/--secret-key, instead of opening a stopped store
    #[arg(long, env = "HORREO_ENDPOINT", global = true)]
    pub endpoint: Option<String>,
    /// Access key that signs the calls to --endpoint (an account root's, or a
    /// user's allowed iam:*)
    #[arg(
        long,
        env = "HORREO_ROOT_ACCESS_KEY",
        hide_env_values = true,
        global = true
    )]
    pub access_key: Option<String>,
    /// Its secret key
    #[arg(
        long,
        env = "HORREO_ROOT_SECRET_KEY",
        hide_env_values = true,
        global = true
    )]
    pub secret_key: Option<String>,
    /// The server's region, as signatures name it
    #[arg(
        long,
        env = "HORREO_REGION",
        default_value = "us-east-1",
        global = true
    )]
    pub region: String,
    /// PEM certificate to trust for an https --endpoint (a self-signed server's)
    #[arg(long, global = true)]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Accounts: tenants that own buckets and identities.
    #[command(subcommand)]
    Account(AccountCommand),
    /// IAM users of an account.
    #[command(subcommand)]
    User(UserCommand),
    /// Access keys of a user.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Inline policies of a user.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Bucket notification queues: events waiting per destination (reads the
    /// data directory; works while the server runs).
    Events,
    /// Lifecycle rules: run a pass now.
    #[command(subcommand)]
    Lifecycle(LifecycleCommand),
    /// Bucket replication: backlog and failures, and resyncs.
    #[command(subcommand)]
    Replication(ReplicationCommand),
}

#[derive(Debug, Subcommand)]
pub enum ReplicationCommand {
    /// Tasks queued, being retried and given up on per destination, with the
    /// oldest and the last failure (reads the data directory; works while the
    /// server runs)
    Status,
    /// Queue every version of a bucket its replication rules match that is
    /// not replicated yet (objects written before the rules, failed ones),
    /// with progress; on the stopped store, the server copies them once started
    Resync {
        /// The source bucket
        #[arg(long)]
        bucket: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LifecycleCommand {
    /// Apply every lifecycle action that is due now (of one bucket with
    /// --bucket), with a progress line and a summary.
    Run {
        /// Only this bucket's rules
        #[arg(long)]
        bucket: Option<String>,
        /// Seconds one lifecycle day lasts: the value the server runs with
        /// [default: 86400]
        #[arg(long, env = "HORREO_LIFECYCLE_DAY_SECONDS", value_parser = parse_day_seconds)]
        lifecycle_day_seconds: Option<f64>,
        /// The server's storage tiers: transitions move data between them
        #[command(flatten)]
        tiers: crate::tier_config::TierArgs,
    },
}

/// Which account a command works in: `--account NAME`, else the first one.
#[derive(Debug, Args)]
pub struct AccountSelector {
    /// The account's name [default: the first account, whose root is the server's root]
    #[arg(long)]
    pub account: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account; prints its id, canonical id and root key pair (once).
    Create { name: String },
    /// List the accounts.
    List,
    /// Give the root of account NAME a new access key, so a root that
    /// deleted its keys can sign again; prints the secret once.
    RootKey { name: String },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an IAM user.
    Create {
        name: String,
        #[command(flatten)]
        account: AccountSelector,
    },
    /// List the users of an account.
    List {
        #[command(flatten)]
        account: AccountSelector,
    },
    /// Delete a user (refused while it has keys, policies or groups).
    Delete {
        name: String,
        #[command(flatten)]
        account: AccountSelector,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an access key for a user; prints the secret once.
    Create {
        user: String,
        #[command(flatten)]
        account: AccountSelector,
    },
    /// List a user's access keys.
    List {
        user: String,
        #[command(flatten)]
        account: AccountSelector,
    },
    /// Delete an access key of a user.
    Delete {
        user: String,
        key: String,
        #[command(flatten)]
        account: AccountSelector,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Put a policy document on a user as an inline policy.
    Attach {
        user: String,
        /// JSON file holding the policy document
        #[arg(long)]
        document: PathBuf,
        /// The inline policy's name
        #[arg(long, default_value = "policy")]
        name: String,
        #[command(flatten)]
        account: AccountSelector,
    },
    /// List a user's inline and attached policies.
    List {
        user: String,
        #[command(flatten)]
        account: AccountSelector,
    },
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Directory holding all data: metadata, object blobs and generated credentials [default: ./data]
    #[arg(long, env = "HORREO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:9000]
    #[arg(long, env = "HORREO_ADDRESS")]
    pub address: Option<SocketAddr>,
    /// Region reported to clients and required in request signatures [default: us-east-1]
    #[arg(long, env = "HORREO_REGION")]
    pub region: Option<String>,
    /// Base domain for virtual-host-style requests (`bucket.DOMAIN`); path style always works
    #[arg(long, env = "HORREO_DOMAIN")]
    pub domain: Option<String>,
    /// Base domain of the static website endpoint: a Host of `bucket.WEBSITE_DOMAIN`
    /// is served as AWS's website endpoint serves the bucket
    #[arg(long, env = "HORREO_WEBSITE_DOMAIN")]
    pub website_domain: Option<String>,
    /// Serve the static website endpoint on this address too (the Host names the
    /// bucket as with --website-domain, else the path's first segment does)
    #[arg(long, env = "HORREO_WEBSITE_ADDRESS")]
    pub website_address: Option<SocketAddr>,
    /// Optional TOML file with any of: data_dir, backend, rados_conf, rados_pool,
    /// rados_user, rados_namespace, address, region, domain, website_domain,
    /// website_address, master_key_file,
    /// tls_cert, tls_key, tls_address, allow_insecure_sse_c, block_public_access, body_timeout, send_timeout,
    /// max_connections, max_buffer_mib, shutdown_timeout, scrub_interval,
    /// scrub_rate, reserve, lifecycle_day_seconds, replication_time_threshold_seconds,
    /// lifecycle_rate, restore_delays, admin_address, workers_lease_seconds,
    /// notify_queue_limit, and a `[tiers]` table (`GLACIER = "/mnt/slow"`)
    #[arg(long, env = "HORREO_CONFIG")]
    pub config: Option<PathBuf>,
    /// Root access key id; generated and stored in the data directory when unset
    #[arg(long, env = "HORREO_ROOT_ACCESS_KEY", hide_env_values = true)]
    pub root_access_key: Option<String>,
    /// Root secret access key; generated and stored in the data directory when unset
    #[arg(long, env = "HORREO_ROOT_SECRET_KEY", hide_env_values = true)]
    pub root_secret_key: Option<String>,
    /// File holding the 256-bit master key as 64 hex digits (or set HORREO_MASTER_KEY to
    /// the digits) [default: generated once into <data dir>.master-key, beside it]
    #[arg(long, env = "HORREO_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// PEM certificate chain to serve HTTPS with (with --tls-key)
    #[arg(long, env = "HORREO_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert
    #[arg(long, env = "HORREO_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS on this address, beside HTTP on --address [default: HTTPS on --address, no HTTP]
    #[arg(long, env = "HORREO_TLS_ADDRESS")]
    pub tls_address: Option<SocketAddr>,
    /// Accept SSE-C keys over plain HTTP (AWS refuses them; for tests behind a TLS proxy)
    #[arg(long, env = "HORREO_ALLOW_INSECURE_SSE_C")]
    pub allow_insecure_sse_c: bool,
    /// Block Public Access for every bucket of the server, all four settings (like
    /// AWS's account-level setting) [default: off; each new bucket still starts with
    /// its own settings on]
    #[arg(long, env = "HORREO_BLOCK_PUBLIC_ACCESS")]
    pub block_public_access: bool,
    /// Seconds a request body may send nothing before the request fails with
    /// 400 RequestTimeout [default: 20]
    #[arg(long, env = "HORREO_BODY_TIMEOUT")]
    pub body_timeout: Option<u64>,
    /// Seconds a response may wait for a client that does not read before the
    /// connection is closed [default: 20]
    #[arg(long, env = "HORREO_SEND_TIMEOUT")]
    pub send_timeout: Option<u64>,
    /// Open connections served at once; more wait in the listen backlog [default: 4096]
    #[arg(long, env = "HORREO_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// MiB of upload and download data all requests together may hold in large
    /// buffers; beyond it they use small ones [default: 128]
    #[arg(long, env = "HORREO_MAX_BUFFER_MIB")]
    pub max_buffer_mib: Option<usize>,
    /// Seconds a graceful shutdown (SIGTERM/SIGINT) waits for requests in flight
    /// before it cuts them [default: 60]
    #[arg(long, env = "HORREO_SHUTDOWN_TIMEOUT")]
    pub shutdown_timeout: Option<u64>,
    /// Time between background scrub passes (`30m`, `12h`, `7d`); 0 turns the scrubber off [default: 7d]
    #[arg(long, env = "HORREO_SCRUB_INTERVAL", value_parser = crate::admin::scrub::interval_arg)]
    pub scrub_interval: Option<crate::admin::scrub::Interval>,
    /// Bytes per second the background scrubber reads at most (`64MiB`); 0: no limit [default: 32MiB]
    #[arg(long, env = "HORREO_SCRUB_RATE", value_parser = crate::admin::scrub::parse_rate)]
    pub scrub_rate: Option<u64>,
    /// Free space that new object data may not use, kept for metadata and deletes:
    /// a percentage (`2%`) or a size (`512MiB`, `10GiB`, `0` for none)
    /// [default: the larger of 1% and 256MiB, at most 10% of the disk]
    #[arg(long, env = "HORREO_RESERVE", value_parser = parse_reserve)]
    pub reserve: Option<Reserve>,
    /// Seconds one lifecycle day lasts, to try lifecycle rules out (as Ceph
    /// RGW's rgw_lc_debug_interval); fractions allowed, at least 0.01 [default: 86400]
    #[arg(long, env = "HORREO_LIFECYCLE_DAY_SECONDS", value_parser = parse_day_seconds)]
    pub lifecycle_day_seconds: Option<f64>,
    /// Seconds S3 Replication Time Control allows a replica, to try its
    /// threshold events out [default: 900]
    #[arg(long, env = "HORREO_REPLICATION_TIME_THRESHOLD_SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub replication_time_threshold_seconds: Option<u64>,
    /// Seconds the workers' lease outlives its holder's last renewal (every
    /// second): with gateways sharing a store (--backend rados), how long
    /// background work (gc, lifecycle, scrub, delivery) pauses when the gateway
    /// running it dies, until another takes over; at least 5 [default: 30]
    #[arg(long, env = "HORREO_WORKERS_LEASE_SECONDS", value_parser = clap::value_parser!(u64).range(MIN_WORKERS_LEASE_SECONDS..=MAX_WORKERS_LEASE_SECONDS))]
    pub workers_lease_seconds: Option<u64>,
    /// Storage tier: objects of storage class CLASS keep their data under DIR
    /// (`GLACIER=/mnt/slow`); repeatable; HORREO_TIERS takes a comma-separated
    /// list [default: every class in the data directory]
    #[arg(long = "tier", value_name = "CLASS=DIR", env = "HORREO_TIERS", value_delimiter = ',', value_parser = crate::tier_config::TierArg::parse)]
    pub tiers: Vec<crate::tier_config::TierArg>,
    /// Lifecycle index rows (keys and uploads looked at) the background worker
    /// handles per second at most; 0: no limit [default: 0]
    #[arg(long, env = "HORREO_LIFECYCLE_RATE")]
    pub lifecycle_rate: Option<u32>,
    /// Seconds a RestoreObject takes for the Expedited, Standard and Bulk
    /// tiers [default: 1,5,10]
    #[arg(long, env = "HORREO_RESTORE_DELAYS", value_parser = crate::handlers::restore::RestoreDelays::parse)]
    pub restore_delays: Option<crate::handlers::restore::RestoreDelays>,
    /// Log format on stderr: `text` for people, `json` (one object per line) for machines
    #[arg(long, env = "HORREO_LOG_FORMAT", value_enum, default_value_t)]
    pub log_format: LogFormat,
    /// Serve the health checks (`/health/live`, `/health/ready`) and metrics
    /// (`/metrics`) at the root of this second address too [default: only under
    /// /_horreo/ on --address]
    #[arg(long, env = "HORREO_ADMIN_ADDRESS")]
    pub admin_address: Option<SocketAddr>,
    /// Bearer token a metrics scrape must present (`Authorization: Bearer TOKEN`)
    /// [default: metrics are open]
    #[arg(long, env = "HORREO_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Bucket to create at start-up, owned by the root, if it does not exist;
    /// repeatable. `NAME:versioned` turns versioning on, `NAME:locked` creates it
    /// with object lock. HORREO_DEFAULT_BUCKETS takes a comma-separated list
    #[arg(
        long = "default-bucket",
        env = "HORREO_DEFAULT_BUCKETS",
        value_delimiter = ','
    )]
    pub default_buckets: Vec<String>,
    /// Keep everything in a fresh temporary directory (in RAM where /dev/shm is
    /// available), removed on exit, with a master key that lives only in memory:
    /// for tests and CI, never for data you want to keep
    #[arg(long, env = "HORREO_EPHEMERAL")]
    pub ephemeral: bool,
    /// Where metadata and object data live: `embedded` (RocksDB and files in the
    /// data directory) or `rados` (a Ceph pool several gateways can share; needs
    /// --rados-conf and --rados-pool, and a build with the `rados` feature)
    /// [default: embedded]
    #[arg(long, env = "HORREO_BACKEND", value_enum)]
    pub backend: Option<crate::backend::BackendKind>,
    /// The ceph.conf of the cluster (monitors, keyring) for --backend rados
    #[arg(long, env = "HORREO_RADOS_CONF")]
    pub rados_conf: Option<PathBuf>,
    /// The RADOS pool holding metadata and object data for --backend rados
    #[arg(long, env = "HORREO_RADOS_POOL")]
    pub rados_pool: Option<String>,
    /// The cephx user to connect as (`client.NAME`) [default: admin]
    #[arg(long, env = "HORREO_RADOS_USER")]
    pub rados_user: Option<String>,
    /// Keep this store in its own RADOS namespaces of the pool (metadata in NAME,
    /// object data in NAME.blobs), so that several independent stores share one
    /// pool [default: the pool's default namespace and `blobs`]
    #[arg(long, env = "HORREO_RADOS_NAMESPACE", value_name = "NAME")]
    pub rados_namespace: Option<String>,
    /// Define an event notification destination `ID=URL`: an HTTP(S) webhook that
    /// gets each event as a POST of its JSON. Notification configurations name it
    /// `arn:horreo:sqs::ID:webhook`. Repeatable; a bearer token and a CA
    /// certificate can be set in the config file ([[notify_webhook]])
    #[arg(long, value_name = "ID=URL", value_parser = crate::delivery::parse_id_url)]
    pub notify_webhook: Vec<(String, String)>,
    /// Define a Redis destination `ID=redis://HOST:PORT[/DB]`, named
    /// `arn:horreo:sqs::ID:redis`: each event is appended (RPUSH) to the list ID;
    /// another key or a stream (XADD) in the config file ([[notify_redis]]). Repeatable
    #[arg(long, value_name = "ID=URL", value_parser = crate::delivery::parse_id_url)]
    pub notify_redis: Vec<(String, String)>,
    /// Define an MQTT destination `ID=mqtt://HOST[:PORT][/TOPIC]`, named
    /// `arn:horreo:sqs::ID:mqtt`: each event is published with QoS 1 to TOPIC
    /// (default: ID). Repeatable; in the config file: [[notify_mqtt]]
    #[arg(long, value_name = "ID=URL", value_parser = crate::delivery::parse_id_url)]
    pub notify_mqtt: Vec<(String, String)>,
    /// Define a NATS destination `ID=nats://HOST[:PORT][/SUBJECT]`, named
    /// `arn:horreo:sqs::ID:nats`: each event is published to SUBJECT (default: ID)
    /// and counted delivered once the server confirmed it. Repeatable; in the
    /// config file: [[notify_nats]]
    #[arg(long, value_name = "ID=URL", value_parser = crate::delivery::parse_id_url)]
    pub notify_nats: Vec<(String, String)>,
    /// Define an AMQP 0-9-1 destination (RabbitMQ)
    /// `ID=amqp://USER:PASSWORD@HOST[:PORT][/VHOST][?exchange=E&routing_key=K]`,
    /// named `arn:horreo:sqs::ID:amqp`: each event is published, persistent, to
    /// exchange E (default: the default exchange, which routes to the queue named
    /// K) with routing key K (default: ID), and counted delivered once the broker
    /// confirmed it. Repeatable; in the config file: [[notify_amqp]]
    #[arg(long, value_name = "ID=URL", value_parser = crate::delivery::parse_id_url)]
    pub notify_amqp: Vec<(String, String)>,
    /// Events kept per notification destination while it fails; the oldest
    /// beyond it are dropped (and logged). 0: no limit [default: 1000000]
    #[arg(long, env = "HORREO_NOTIFY_QUEUE_LIMIT")]
    pub notify_queue_limit: Option<u64>,
    /// Define a replication destination `ID=http(s)://ACCESS_KEY:SECRET_KEY@HOST:PORT`:
    /// an S3 endpoint (another horreo, or any S3) whose buckets replication
    /// rules name `arn:horreo:s3::ID:BUCKET`. Repeatable; keys, region and a CA
    /// certificate can also be set in the config file ([[replication_remote]])
    #[arg(long, value_name = "ID=URL", value_parser = crate::delivery::parse_id_url)]
    pub replication_remote: Vec<(String, String)>,
}

/// A bucket the server creates at start-up (`--default-bucket`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultBucket {
    pub name: horreo_storage::BucketName,
    /// Versioning enabled (`:versioned`).
    pub versioned: bool,
    /// Created with object lock, and so versioning (`:locked`).
    pub locked: bool,
}

impl std::str::FromStr for DefaultBucket {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let (name, suffix) = match text.split_once(':') {
            Some((name, suffix)) => (name, Some(suffix)),
            None => (text, None),
        };
        let (versioned, locked) = match suffix {
            None => (false, false),
            Some("versioned") => (true, false),
            Some("locked") => (true, true),
            Some(other) => anyhow::bail!(
                "default bucket {text:?}: unknown suffix {other:?} (use :versioned or :locked)"
            ),
        };
        let name = horreo_storage::BucketName::parse(name)
            .map_err(|e| anyhow::anyhow!("default bucket {name:?}: {e}"))?;
        Ok(Self {
            name,
            versioned,
            locked,
        })
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The TOML file's keys: the same names as the flags, with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    backend: Option<crate::backend::BackendKind>,
    rados_conf: Option<PathBuf>,
    rados_pool: Option<String>,
    rados_user: Option<String>,
    rados_namespace: Option<String>,
    address: Option<SocketAddr>,
    region: Option<String>,
    domain: Option<String>,
    website_domain: Option<String>,
    website_address: Option<SocketAddr>,
    master_key_file: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_address: Option<SocketAddr>,
    allow_insecure_sse_c: Option<bool>,
    block_public_access: Option<bool>,
    body_timeout: Option<u64>,
    send_timeout: Option<u64>,
    max_connections: Option<usize>,
    max_buffer_mib: Option<usize>,
    shutdown_timeout: Option<u64>,
    admin_address: Option<SocketAddr>,
    scrub_interval: Option<String>,
    scrub_rate: Option<String>,
    reserve: Option<String>,
    lifecycle_day_seconds: Option<f64>,
    replication_time_threshold_seconds: Option<u64>,
    workers_lease_seconds: Option<u64>,
    lifecycle_rate: Option<u32>,
    restore_delays: Option<String>,
    /// Storage class name to tier directory.
    #[serde(default)]
    tiers: std::collections::BTreeMap<String, PathBuf>,
    #[serde(default)]
    notify_webhook: Vec<WebhookFile>,
    #[serde(default)]
    notify_redis: Vec<RedisFile>,
    #[serde(default)]
    notify_mqtt: Vec<BrokerFile>,
    #[serde(default)]
    notify_nats: Vec<BrokerFile>,
    #[serde(default)]
    notify_amqp: Vec<BrokerFile>,
    notify_queue_limit: Option<u64>,
    #[serde(default)]
    replication_remote: Vec<RemoteFile>,
}

/// A `[[replication_remote]]` table of the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoteFile {
    id: String,
    /// `http(s)://HOST:PORT`, optionally with `ACCESS_KEY:SECRET_KEY@`.
    url: String,
    access_key: Option<String>,
    secret_key: Option<String>,
    /// The region requests are signed for [default: the server's].
    region: Option<String>,
    /// PEM certificate(s) to trust for an https URL instead of the web's roots.
    ca_cert: Option<PathBuf>,
}

/// A `[[notify_redis]]` table of the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedisFile {
    id: String,
    url: String,
    /// The list or stream [default: the id].
    key: Option<String>,
    /// `list` (RPUSH) or `stream` (XADD) [default: list].
    format: Option<String>,
}

/// A `[[notify_mqtt]]`, `[[notify_nats]]` or `[[notify_amqp]]` table of the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BrokerFile {
    id: String,
    url: String,
}

/// A `[[notify_webhook]]` table of the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookFile {
    id: String,
    url: String,
    /// Sent as `Authorization: Bearer TOKEN`.
    token: Option<String>,
    /// PEM certificate(s) to trust for an https URL instead of the web's roots.
    ca_cert: Option<PathBuf>,
}

/// The resolved configuration of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub address: SocketAddr,
    pub region: String,
    pub domain: Option<String>,
    /// Base domain of the website endpoint.
    pub website_domain: Option<String>,
    /// The website endpoint's own listener.
    pub website_address: Option<SocketAddr>,
    pub root_access_key: Option<String>,
    pub root_secret_key: Option<String>,
    /// `HORREO_MASTER_KEY`: the master key's hex digits.
    pub master_key_hex: Option<String>,
    pub master_key_file: Option<PathBuf>,
    pub tls: Option<TlsConfig>,
    pub allow_insecure_sse_c: bool,
    pub limits: ConnectionLimits,
    pub scrub: horreo_storage::ScrubConfig,
    /// Free space new object data may not use.
    pub reserve: Reserve,
    /// The length of a lifecycle day.
    pub lifecycle_day: Duration,
    /// S3 Replication Time Control's threshold.
    pub replication_time_threshold: Duration,
    /// How long the workers' lease outlives its holder's last renewal.
    pub workers_lease: Duration,
    /// The directory of each storage class that has a tier of its own.
    pub tiers: Vec<(horreo_storage::StorageClass, PathBuf)>,
    /// Index rows per second the lifecycle worker handles at most (`None`: no limit).
    pub lifecycle_rate: Option<u32>,
    /// How long a RestoreObject takes per tier.
    pub restore_delays: crate::handlers::restore::RestoreDelays,
    /// Block Public Access settings applied to every bucket.
    pub public_access_block: horreo_storage::PublicAccessBlock,
    /// Where the health checks and metrics are served at the root, if anywhere.
    pub admin_address: Option<SocketAddr>,
    pub metrics_token: Option<String>,
    /// Buckets created at start-up unless they exist.
    pub default_buckets: Vec<DefaultBucket>,
    /// Data in a temporary directory removed on exit; master key in memory.
    pub ephemeral: bool,
    /// Where metadata and object data live.
    pub backend: crate::backend::Backend,
    /// Where bucket notifications can be sent.
    pub notify_targets: Vec<crate::delivery::Target>,
    /// Events kept per failing destination; `None`: no limit.
    pub notify_queue_limit: Option<u64>,
    /// The S3 endpoints replication rules can name.
    pub replication_remotes: Vec<crate::delivery::replication::Remote>,
}

/// How long and how much connections may take.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// A request body that sends nothing this long fails with `RequestTimeout`.
    pub body_timeout: Duration,
    /// A response that cannot send anything this long has its connection closed.
    pub send_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Bytes of body data buffered in memory across all requests.
    pub max_buffer_bytes: usize,
    /// How long a graceful shutdown waits for requests in flight.
    pub shutdown_timeout: Duration,
}

/// HTTPS settings.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// HTTPS here, beside HTTP on `Config::address`; `None`: HTTPS on that address.
    pub address: Option<SocketAddr>,
}

impl ServeArgs {
    pub fn resolve(self) -> anyhow::Result<Config> {
        let file = match &self.config {
            Some(path) => read_file_config(path)?,
            None => FileConfig::default(),
        };
        let tls = match (
            self.tls_cert.or(file.tls_cert),
            self.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some(TlsConfig {
                cert,
                key,
                address: self.tls_address.or(file.tls_address),
            }),
            (None, None) => {
                if self.tls_address.or(file.tls_address).is_some() {
                    anyhow::bail!("--tls-address needs --tls-cert and --tls-key");
                }
                None
            }
            _ => anyhow::bail!(
                "give both --tls-cert and --tls-key (HORREO_TLS_CERT, HORREO_TLS_KEY)"
            ),
        };
        let scrub = horreo_storage::ScrubConfig {
            interval: match (self.scrub_interval, &file.scrub_interval) {
                (Some(interval), _) => interval.0,
                (None, Some(text)) => crate::admin::scrub::parse_interval(text)
                    .map_err(|e| anyhow::anyhow!("scrub_interval: {e}"))?,
                (None, None) => Some(std::time::Duration::from_secs(7 * 86400)),
            },
            rate: match (self.scrub_rate, &file.scrub_rate) {
                (Some(rate), _) => rate,
                (None, Some(text)) => crate::admin::scrub::parse_rate(text)
                    .map_err(|e| anyhow::anyhow!("scrub_rate: {e}"))?,
                (None, None) => 32 << 20,
            },
        };
        let reserve = match (self.reserve, &file.reserve) {
            (Some(r), _) => r,
            (None, Some(text)) => parse_reserve(text).context("reserve in the config file")?,
            (None, None) => Reserve::Default,
        };
        let block = self.block_public_access || file.block_public_access.unwrap_or(false);
        let lifecycle_day_seconds = self
            .lifecycle_day_seconds
            .or(file.lifecycle_day_seconds)
            .unwrap_or(86_400.0);
        parse_day_seconds(&lifecycle_day_seconds.to_string())
            .map_err(|e| anyhow::anyhow!("lifecycle_day_seconds: {e}"))?;
        let default_buckets = self
            .default_buckets
            .iter()
            .filter(|b| !b.trim().is_empty())
            .map(|b| b.parse())
            .collect::<anyhow::Result<Vec<DefaultBucket>>>()?;
        if self.ephemeral && (self.data_dir.is_some() || file.data_dir.is_some()) {
            anyhow::bail!("--ephemeral keeps its data in a temporary directory: drop --data-dir");
        }
        let notify_targets = notify_targets(
            NotifyFlags {
                webhook: self.notify_webhook,
                redis: self.notify_redis,
                mqtt: self.notify_mqtt,
                nats: self.notify_nats,
                amqp: self.notify_amqp,
            },
            NotifyFiles {
                webhooks: file.notify_webhook,
                redis: file.notify_redis,
                mqtt: file.notify_mqtt,
                nats: file.notify_nats,
                amqp: file.notify_amqp,
            },
        )?;
        let region = self
            .region
            .or(file.region)
            .unwrap_or_else(|| "us-east-1".to_owned());
        let replication_remotes =
            replication_remotes(self.replication_remote, file.replication_remote, &region)?;
        let notify_queue_limit = match self
            .notify_queue_limit
            .or(file.notify_queue_limit)
            .unwrap_or(1_000_000)
        {
            0 => None,
            n => Some(n),
        };
        let tiers = crate::tier_config::resolve(self.tiers, &file.tiers)?;
        let backend = crate::backend::Backend::resolve(
            self.backend.or(file.backend).unwrap_or_default(),
            crate::backend::RadosSettings {
                conf: self.rados_conf.or(file.rados_conf),
                pool: self.rados_pool.or(file.rados_pool),
                user: self.rados_user.or(file.rados_user),
                namespace: self.rados_namespace.or(file.rados_namespace),
            },
        )?;
        let workers_lease_seconds = self
            .workers_lease_seconds
            .or(file.workers_lease_seconds)
            .unwrap_or(30);
        if !(MIN_WORKERS_LEASE_SECONDS..=MAX_WORKERS_LEASE_SECONDS).contains(&workers_lease_seconds)
        {
            anyhow::bail!(
                "workers_lease_seconds: {workers_lease_seconds} is not between \
                 {MIN_WORKERS_LEASE_SECONDS} and {MAX_WORKERS_LEASE_SECONDS}"
            );
        }
        if self.ephemeral && backend != crate::backend::Backend::Embedded {
            anyhow::bail!(
                "--ephemeral keeps its data in a temporary directory: drop --backend rados"
            );
        }
        Ok(Config {
            backend,
            tiers,
            admin_address: self.admin_address.or(file.admin_address),
            metrics_token: self.metrics_token.filter(|t| !t.is_empty()),
            default_buckets,
            ephemeral: self.ephemeral,
            notify_targets,
            notify_queue_limit,
            replication_remotes,
            scrub,
            reserve,
            lifecycle_day: Duration::from_secs_f64(lifecycle_day_seconds),
            replication_time_threshold: Duration::from_secs(
                self.replication_time_threshold_seconds
                    .or(file.replication_time_threshold_seconds)
                    .filter(|s| *s > 0)
                    .unwrap_or(15 * 60),
            ),
            workers_lease: Duration::from_secs(workers_lease_seconds),
            lifecycle_rate: self
                .lifecycle_rate
                .or(file.lifecycle_rate)
                .filter(|r| *r > 0),
            restore_delays: match (self.restore_delays, &file.restore_delays) {
                (Some(d), _) => d,
                (None, Some(text)) => crate::handlers::restore::RestoreDelays::parse(text)
                    .map_err(|e| anyhow::anyhow!("restore_delays: {e}"))?,
                (None, None) => Default::default(),
            },
            public_access_block: if block {
                horreo_storage::PublicAccessBlock::ALL
            } else {
                horreo_storage::PublicAccessBlock::NONE
            },
            data_dir: self
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("data")),
            address: self
                .address
                .or(file.address)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9000))),
            region,
            domain: self.domain.or(file.domain),
            website_domain: self.website_domain.or(file.website_domain),
            website_address: self.website_address.or(file.website_address),
            root_access_key: self.root_access_key,
            root_secret_key: self.root_secret_key,
            master_key_hex: std::env::var("HORREO_MASTER_KEY")
                .ok()
                .filter(|v| !v.trim().is_empty()),
            master_key_file: self.master_key_file.or(file.master_key_file),
            tls,
            allow_insecure_sse_c: self.allow_insecure_sse_c
                || file.allow_insecure_sse_c.unwrap_or(false),
            limits: ConnectionLimits {
                body_timeout: seconds(self.body_timeout.or(file.body_timeout), 20, "body-timeout")?,
                send_timeout: seconds(self.send_timeout.or(file.send_timeout), 20, "send-timeout")?,
                max_connections: positive(
                    self.max_connections
                        .or(file.max_connections)
                        .unwrap_or(4096),
                    "max-connections",
                )?,
                max_buffer_bytes: positive(
                    self.max_buffer_mib.or(file.max_buffer_mib).unwrap_or(128),
                    "max-buffer-mib",
                )?
                .saturating_mul(1024 * 1024),
                shutdown_timeout: Duration::from_secs(
                    self.shutdown_timeout
                        .or(file.shutdown_timeout)
                        .unwrap_or(60),
                ),
            },
        })
    }
}

/// The `--notify-*` flags, as `(ID, URL)`.
struct NotifyFlags {
    webhook: Vec<(String, String)>,
    redis: Vec<(String, String)>,
    mqtt: Vec<(String, String)>,
    nats: Vec<(String, String)>,
    amqp: Vec<(String, String)>,
}

/// The `[[notify_*]]` tables of the config file.
struct NotifyFiles {
    webhooks: Vec<WebhookFile>,
    redis: Vec<RedisFile>,
    mqtt: Vec<BrokerFile>,
    nats: Vec<BrokerFile>,
    amqp: Vec<BrokerFile>,
}

/// The destinations of the flags and of the file; an id defined twice is refused.
fn notify_targets(
    flags: NotifyFlags,
    files: NotifyFiles,
) -> anyhow::Result<Vec<crate::delivery::Target>> {
    use crate::delivery::{
        Amqp, Mqtt, Nats, Redis, RedisFormat, Target, TargetKind, Webhook, check_id,
    };
    let mut targets: Vec<Target> = Vec::new();
    let mut add = |id: &str, kind: TargetKind| {
        check_id(id).map_err(anyhow::Error::msg)?;
        if targets.iter().any(|t| t.id == id) {
            anyhow::bail!("notification target {id:?} is defined twice");
        }
        targets.push(Target::new(id, kind));
        Ok(())
    };
    let from_flags = flags.webhook.into_iter().map(|(id, url)| WebhookFile {
        id,
        url,
        token: None,
        ca_cert: None,
    });
    for hook in from_flags.chain(files.webhooks) {
        let ca = match &hook.ca_cert {
            Some(path) => {
                Some(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
            }
            None => None,
        };
        let webhook =
            Webhook::new(&hook.url, hook.token, ca.as_deref()).map_err(anyhow::Error::msg)?;
        add(&hook.id, TargetKind::Webhook(webhook))?;
    }
    let redis_flags = flags.redis.into_iter().map(|(id, url)| RedisFile {
        id,
        url,
        key: None,
        format: None,
    });
    for r in redis_flags.chain(files.redis) {
        let format = match r.format.as_deref() {
            None | Some("list") => RedisFormat::List,
            Some("stream") => RedisFormat::Stream,
            Some(other) => anyhow::bail!("notify_redis format {other:?}: use list or stream"),
        };
        let key = r.key.unwrap_or_else(|| r.id.clone());
        let target = Redis::new(&r.url, key, format).map_err(anyhow::Error::msg)?;
        add(&r.id, TargetKind::Redis(target))?;
    }
    let mqtt_flags = flags
        .mqtt
        .into_iter()
        .map(|(id, url)| BrokerFile { id, url });
    for m in mqtt_flags.chain(files.mqtt) {
        let client_id = format!("horreo-{}", m.id);
        let target = Mqtt::new(&m.url, &m.id, client_id).map_err(anyhow::Error::msg)?;
        add(&m.id, TargetKind::Mqtt(target))?;
    }
    let nats_flags = flags
        .nats
        .into_iter()
        .map(|(id, url)| BrokerFile { id, url });
    for n in nats_flags.chain(files.nats) {
        let target = Nats::new(&n.url, &n.id).map_err(anyhow::Error::msg)?;
        add(&n.id, TargetKind::Nats(target))?;
    }
    let amqp_flags = flags
        .amqp
        .into_iter()
        .map(|(id, url)| BrokerFile { id, url });
    for a in amqp_flags.chain(files.amqp) {
        let target = Amqp::new(&a.url, &a.id).map_err(anyhow::Error::msg)?;
        add(&a.id, TargetKind::Amqp(target))?;
    }
    Ok(targets)
}

/// The remotes of the flags and of the file; an id defined twice is refused.
fn replication_remotes(
    flags: Vec<(String, String)>,
    files: Vec<RemoteFile>,
    region: &str,
) -> anyhow::Result<Vec<crate::delivery::replication::Remote>> {
    use crate::delivery::replication::Remote;
    let from_flags = flags.into_iter().map(|(id, url)| RemoteFile {
        id,
        url,
        access_key: None,
        secret_key: None,
        region: None,
        ca_cert: None,
    });
    let mut remotes: Vec<Remote> = Vec::new();
    for r in from_flags.chain(files) {
        crate::delivery::check_id(&r.id).map_err(anyhow::Error::msg)?;
        if remotes.iter().any(|d| d.id == r.id) {
            anyhow::bail!("replication remote {:?} is defined twice", r.id);
        }
        let keys = match (r.access_key, r.secret_key) {
            (Some(a), Some(s)) => Some((a, s)),
            (None, None) => None,
            _ => anyhow::bail!(
                "replication remote {:?}: give both access_key and secret_key",
                r.id
            ),
        };
        let ca = match &r.ca_cert {
            Some(path) => {
                Some(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
            }
            None => None,
        };
        let region = r.region.as_deref().unwrap_or(region);
        remotes.push(
            Remote::new(&r.id, &r.url, keys, region, ca.as_deref()).map_err(anyhow::Error::msg)?,
        );
    }
    Ok(remotes)
}

/// A timeout of at least one second.
fn seconds(value: Option<u64>, default: u64, name: &str) -> anyhow::Result<Duration> {
    let value = value.unwrap_or(default);
    if value == 0 {
        anyhow::bail!("--{name} must be at least 1 second");
    }
    Ok(Duration::from_secs(value))
}

/// The workers' lease is renewed every second, and a gc pass delays the
/// next renewal: a shorter term would let it lapse under a live holder.
const MIN_WORKERS_LEASE_SECONDS: u64 = 5;
const MAX_WORKERS_LEASE_SECONDS: u64 = 3600;

fn positive(value: usize, name: &str) -> anyhow::Result<usize> {
    if value == 0 {
        anyhow::bail!("--{name} must be at least 1");
    }
    Ok(value)
}

fn parse_reserve(text: &str) -> anyhow::Result<Reserve> {
    text.parse().map_err(|e: String| anyhow::anyhow!(e))
}

fn read_file_config(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
}

/// Parses `--lifecycle-day-seconds`: seconds, fractions allowed (`0.2`), from
/// 0.01 (a shorter day would tick faster than the worker looks) to 10 years.
pub fn parse_day_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if (0.01..=315_360_000.0).contains(&s) => Ok(s),
        _ => Err(format!(
            "{text:?}: expected seconds between 0.01 and 315360000 (fractions allowed)"
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn default_buckets_take_an_optional_suffix() {
        let plain: DefaultBucket = "photos".parse().unwrap();
        assert_eq!(
            (plain.name.as_str(), plain.versioned, plain.locked),
            ("photos", false, false)
        );
        let kept: DefaultBucket = " kept:versioned ".parse().unwrap();
        assert_eq!(
            (kept.name.as_str(), kept.versioned, kept.locked),
            ("kept", true, false)
        );
        let vault: DefaultBucket = "vault:locked".parse().unwrap();
        assert_eq!((vault.versioned, vault.locked), (true, true));
        for bad in ["ab", "Upper", "name:frozen", "name:", ":versioned"] {
            assert!(bad.parse::<DefaultBucket>().is_err(), "{bad}");
        }
    }
}
