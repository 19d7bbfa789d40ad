//! The server: opens the store, announces credentials and keys, listens.
//! Each request then takes the path of [`crate::pipeline`].

use std::sync::{Arc, Weak};

use actix_web::web;
use anyhow::Context;
use horreo_storage::{Engine, EngineConfig};

use crate::access::{Authoriser, Identities};
use crate::body::BodyLimits;
use crate::config::Config;
use crate::credentials::{self, Credentials, Origin};
use crate::listen::{self, Listener};
use crate::master_key::{self, KeyOrigin};
use crate::ops::delivery_metrics::DeliveryCollector;
use crate::ops::metrics::Metrics;
use crate::ops::process::ProcessCollector;
use crate::ops::store_metrics::StoreCollector;
use crate::startup;

/// What every request handler shares.
pub struct AppState {
    pub engine: Engine,
    /// The access keys accepted and whom they belong to.
    pub identities: Identities,
    /// Decides whether a principal may do what it asks.
    pub access: Authoriser,
    pub region: String,
    pub domain: Option<String>,
    /// Base domain of the website endpoint (`BUCKET.<website domain>`).
    pub website_domain: Option<String>,
    /// Accept SSE-C keys over plain HTTP (AWS refuses them).
    pub allow_insecure_sse_c: bool,
    /// The idle timeout and memory budget of request bodies.
    pub body_limits: BodyLimits,
    /// How long a RestoreObject takes per retrieval tier.
    pub restore_delays: crate::handlers::restore::RestoreDelays,
    /// The Prometheus metrics, request counters and store readings.
    pub metrics: Arc<Metrics>,
    /// The bearer token a metrics scrape must present, if one is configured.
    pub metrics_token: Option<String>,
    /// Who is signed in to the web console.
    pub console: crate::ops::console::session::Sessions,
    /// The notification destinations and their delivery workers.
    pub delivery: crate::delivery::Delivery,
    /// The replication remotes and the replication worker.
    pub replication: crate::delivery::replication::Replication,
}

/// Opens the engine and serves until SIGINT/SIGTERM; in-flight requests finish,
/// then the engine (RocksDB) closes cleanly.
pub async fn run(mut config: Config) -> anyhow::Result<()> {
    // The port first: a start that cannot serve must not generate credentials it
    // never shows.
    let listener = std::net::TcpListener::bind(config.address)
        .with_context(|| format!("binding {}", config.address))?;
    let address = listener.local_addr()?;
    let admin_listener = match config.admin_address {
        Some(admin) => {
            Some(std::net::TcpListener::bind(admin).with_context(|| format!("binding {admin}"))?)
        }
        None => None,
    };
    // Removed when this function returns, after the store has closed.
    let ephemeral = if config.ephemeral {
        let dir = startup::ephemeral_dir()?;
        config.data_dir = dir.path().to_path_buf();
        startup::announce_ephemeral(dir.path());
        Some(dir)
    } else {
        None
    };
    let tls_listener = match config.tls.as_ref().and_then(|t| t.address) {
        Some(tls_address) => Some(
            std::net::TcpListener::bind(tls_address)
                .with_context(|| format!("binding {tls_address}"))?,
        ),
        None => None,
    };
    let website_listener = match config.website_address {
        Some(website) => Some(
            std::net::TcpListener::bind(website).with_context(|| format!("binding {website}"))?,
        ),
        None => None,
    };
    let tls_config = match &config.tls {
        Some(t) => Some(crate::tls::server_config(&t.cert, &t.key)?),
        None => None,
    };
    let (credentials, origin) = credentials::load_or_generate(
        &config.data_dir,
        config.root_access_key.clone(),
        config.root_secret_key.clone(),
    )?;
    announce_credentials(&config, address, &credentials, &origin);
    let (master, key_origin) = if config.ephemeral
        && config.master_key_hex.is_none()
        && config.master_key_file.is_none()
    {
        (horreo_storage::MasterKey::random(), KeyOrigin::Memory)
    } else {
        master_key::load_or_generate(
            &config.data_dir,
            config.master_key_hex.as_deref(),
            config.master_key_file.as_deref(),
        )?
    };
    let mut engine_config = EngineConfig::new(config.data_dir.clone());
    engine_config.master_key = Some(master);
    engine_config.scrub = config.scrub;
    engine_config.reserve = config.reserve;
    engine_config.lifecycle.day = config.lifecycle_day;
    engine_config.replication_time_threshold = config.replication_time_threshold;
    engine_config.workers_lease = config.workers_lease;
    engine_config.lifecycle.rate = config.lifecycle_rate;
    engine_config.tiers.clone_from(&config.tiers);
    let backend = config.backend.clone();
    let opened = tokio::task::spawn_blocking(move || backend.open(engine_config)).await?;
    if let (Err(_), KeyOrigin::Generated(path)) = (&opened, &key_origin) {
        // The store belongs to another key: the one just made is of no use.
        let _ = std::fs::remove_file(path);
    }
    let engine =
        opened.with_context(|| format!("opening {}", config.backend.describe(&config.data_dir)))?;
    announce_master_key(&key_origin);
    let engine_for_keys = engine.clone();
    let (default_buckets, region) = (config.default_buckets.clone(), config.region.clone());
    let identities = tokio::task::spawn_blocking(move || {
        let identities = Identities::load(&engine_for_keys, credentials)?;
        startup::create_default_buckets(&engine_for_keys, &identities, &region, &default_buckets)?;
        anyhow::Ok(identities)
    })
    .await??;
    tracing::info!(
        "free-space reserve: {} MiB ({}) kept free of object data",
        engine.reserve() >> 20,
        config.reserve
    );
    let metrics = Metrics::new()?;
    metrics.register(Box::new(StoreCollector::new(engine.clone())?));
    metrics.register(Box::new(ProcessCollector::new()?));
    let delivery = crate::delivery::Delivery::start(
        &engine,
        config.notify_targets.clone(),
        crate::delivery::Context {
            region: config.region.clone(),
            queue_limit: config.notify_queue_limit,
        },
    )?;
    for target in &delivery.targets {
        tracing::info!(
            "notification destination {} ({:?})",
            target.arn,
            target.kind
        );
    }
    let replication = crate::delivery::replication::Replication::start(
        &engine,
        config.replication_remotes.clone(),
        true,
    )?;
    for remote in replication.remotes() {
        tracing::info!("replication remote {remote:?}");
    }
    let notification_counters = delivery
        .targets
        .iter()
        .map(|t| t.arn.clone())
        .zip(delivery.counters.iter().cloned())
        .collect();
    metrics.register(Box::new(DeliveryCollector::new(
        engine.clone(),
        notification_counters,
        replication.counters(),
    )?));
    let shared = engine.shared_by_gateways();
    let state = web::Data::new(AppState {
        delivery,
        replication,
        engine,
        identities,
        access: Authoriser::new(config.public_access_block, shared),
        region: config.region.clone(),
        domain: config.domain.clone(),
        website_domain: config.website_domain.clone(),
        allow_insecure_sse_c: config.allow_insecure_sse_c,
        restore_delays: config.restore_delays,
        body_limits: BodyLimits::new(config.limits.body_timeout, config.limits.max_buffer_bytes),
        metrics,
        metrics_token: config.metrics_token.clone(),
        console: Default::default(),
    });
    // Weak: the registration must not keep the engine open past shutdown.
    let idle_state = std::sync::Arc::downgrade(&state.clone().into_inner());
    crate::ops::memory::on_idle(move || {
        if let Some(state) = idle_state.upgrade()
            && let Err(e) = state.engine.release_memory()
        {
            tracing::warn!("releasing the metadata store's memory failed: {e}");
        }
    });
    if shared {
        reload_identities(Arc::downgrade(&state.clone().into_inner()));
    }
    let (mut listeners, urls) = match (tls_config, tls_listener) {
        (None, _) => (vec![Listener::http(listener)], format!("http://{address}")),
        (Some(tls), None) => (
            vec![Listener::https(listener, tls)],
            format!("https://{address}"),
        ),
        (Some(tls), Some(tls_listener)) => {
            let tls_address = tls_listener.local_addr()?;
            (
                vec![Listener::http(listener), Listener::https(tls_listener, tls)],
                format!("http://{address} and https://{tls_address}"),
            )
        }
    };
    if let Some(website) = website_listener {
        tracing::info!("website endpoint on http://{}", website.local_addr()?);
        listeners.push(Listener::website(website));
    }
    let admin_url = match admin_listener {
        Some(admin) => {
            let url = format!("http://{}", admin.local_addr()?);
            listeners.push(Listener::admin(admin));
            Some(url)
        }
        None => None,
    };
    let server = listen::server(state.clone(), listeners, &config.limits)?;
    tracing::info!(
        "horreo listening on {urls} (region {}, data in {})",
        config.region,
        config.data_dir.display()
    );
    announce_operations(&urls, admin_url.as_deref());
    server.await?;
    tracing::info!("stopped; closing the store");
    drop(state);
    if let Some(dir) = ephemeral {
        let path = dir.path().display().to_string();
        match dir.close() {
            Ok(()) => tracing::info!("removed the ephemeral data directory {path}"),
            Err(err) => tracing::warn!("removing the ephemeral data directory {path}: {err}"),
        }
    }
    Ok(())
}

/// Tells the user, at every start, which root credentials to use and how: a
/// generated pair is shown once, in full; afterwards only where it is stored.
/// How soon an IAM change made through another gateway of a shared store
/// (a key created or deleted, a user's policies) applies on this one: AWS's
/// IAM is eventually consistent too.
const IDENTITIES_RELOAD: std::time::Duration = std::time::Duration::from_secs(2);

/// On a store shared by gateways, reads the stored keys and accounts again
/// every [`IDENTITIES_RELOAD`] until the server stops: other gateways change
/// them without telling this one.
fn reload_identities(state: Weak<AppState>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(IDENTITIES_RELOAD);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let Some(state) = state.upgrade() else {
                return;
            };
            let reloaded =
                tokio::task::spawn_blocking(move || state.identities.reload(&state.engine)).await;
            if let Ok(Err(e)) = reloaded {
                tracing::warn!("reloading the stored access keys failed: {e}");
            }
        }
    });
}

fn announce_credentials(
    config: &Config,
    address: std::net::SocketAddr,
    creds: &Credentials,
    origin: &Origin,
) {
    // A wildcard listen address is reachable on the loopback.
    let mut reachable = address;
    if reachable.ip().is_unspecified() {
        reachable.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    // HTTPS alone on --address when TLS has no address of its own.
    let scheme = match &config.tls {
        Some(t) if t.address.is_none() => "https",
        _ => "http",
    };
    let aws = format!(
        "aws --endpoint-url {scheme}://{reachable} --region {} s3 ls",
        config.region
    );
    let stored = credentials::path(&config.data_dir);
    let access_key = &creds.access_key;
    match origin {
        Origin::Generated => println!(
            "Generated root credentials (stored in {}, shown once):\n  \
             access key: {access_key}\n  secret key: {}\nTry:\n  \
             AWS_ACCESS_KEY_ID={access_key} AWS_SECRET_ACCESS_KEY='{}' {aws}",
            stored.display(),
            creds.secret_key,
            creds.secret_key,
        ),
        Origin::Stored => println!(
            "Root credentials: access key {access_key}; the secret key is in {} \
             (not shown again).\nTry:\n  AWS_ACCESS_KEY_ID={access_key} \
             AWS_SECRET_ACCESS_KEY=\"$(sed -n 's/^secret_key = \"\\(.*\\)\"$/\\1/p' '{}')\" {aws}",
            stored.display(),
            stored.display(),
        ),
        Origin::Configured => println!(
            "Root credentials: access key {access_key}, from the configuration \
             (HORREO_ROOT_ACCESS_KEY / --root-access-key).\nTry:\n  \
             AWS_ACCESS_KEY_ID={access_key} AWS_SECRET_ACCESS_KEY=\"$HORREO_ROOT_SECRET_KEY\" {aws}"
        ),
    }
}

/// Says where the health checks and metrics are.
fn announce_operations(urls: &str, admin_url: Option<&str>) {
    let main = urls.split(' ').next().unwrap_or(urls);
    match admin_url {
        Some(admin) => println!(
            "Console: {main}/_horreo/console/ and {admin}/ (sign in with an access key and its secret)"
        ),
        None => {
            println!("Console: {main}/_horreo/console/ (sign in with an access key and its secret)")
        }
    }
    match admin_url {
        Some(admin) => println!(
            "Health: {admin}/health/live, {admin}/health/ready; metrics: {admin}/metrics \
             (also under {main}/_horreo/)"
        ),
        None => println!(
            "Health: {main}/_horreo/health/live, {main}/_horreo/health/ready; \
             metrics: {main}/_horreo/metrics"
        ),
    }
}

/// Says at every start where the master key comes from; warns about a generated one.
fn announce_master_key(origin: &KeyOrigin) {
    match origin {
        KeyOrigin::Environment => println!("Master key: from HORREO_MASTER_KEY."),
        KeyOrigin::File(path) => println!("Master key: {}", path.display()),
        KeyOrigin::Memory => println!("Master key: generated for this run, in memory only."),
        KeyOrigin::Generated(path) => {
            println!(
                "Generated a master key for encryption at rest and stored it in {} (mode 0600). \
                 Keep it safe and out of version control: encrypted objects cannot be read \
                 without it. For production, supply your own with HORREO_MASTER_KEY or \
                 --master-key-file.",
                path.display()
            );
            tracing::warn!(
                path = %path.display(),
                "using a generated master key; supply your own in production"
            );
        }
    }
}
