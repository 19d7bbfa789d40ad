//! The server: opens the store, announces credentials and keys, listens.
//! Each request then takes the path of [`crate::pipeline`].

use actix_web::web;
use anyhow::Context;
use horreo_storage::{Engine, EngineConfig};

use crate::access::{Authoriser, Identities};
use crate::body::BodyLimits;
use crate::config::Config;
use crate::credentials::{self, Credentials, Origin};
use crate::listen::{self, Listener};
use crate::master_key::{self, KeyOrigin};

/// What every request handler shares.
pub struct AppState {
    pub engine: Engine,
    /// The access keys accepted and whom they belong to.
    pub identities: Identities,
    /// Decides whether a principal may do what it asks.
    pub access: Authoriser,
    pub region: String,
    pub domain: Option<String>,
    /// Accept SSE-C keys over plain HTTP (AWS refuses them).
    pub allow_insecure_sse_c: bool,
    /// The idle timeout and memory budget of request bodies.
    pub body_limits: BodyLimits,
    /// How long a RestoreObject takes per retrieval tier.
    pub restore_delays: crate::handlers::restore::RestoreDelays,
}

/// Opens the engine and serves until SIGINT/SIGTERM; in-flight requests finish,
/// then the engine (RocksDB) closes cleanly.
pub async fn run(config: Config) -> anyhow::Result<()> {
    // The port first: a start that cannot serve must not generate credentials it
    // never shows.
    let listener = std::net::TcpListener::bind(config.address)
        .with_context(|| format!("binding {}", config.address))?;
    let address = listener.local_addr()?;
    let tls_listener = match config.tls.as_ref().and_then(|t| t.address) {
        Some(tls_address) => Some(
            std::net::TcpListener::bind(tls_address)
                .with_context(|| format!("binding {tls_address}"))?,
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
    let (master, key_origin) = master_key::load_or_generate(
        &config.data_dir,
        config.master_key_hex.as_deref(),
        config.master_key_file.as_deref(),
    )?;
    let mut engine_config = EngineConfig::new(config.data_dir.clone());
    engine_config.master_key = Some(master);
    engine_config.scrub = config.scrub;
    engine_config.reserve = config.reserve;
    engine_config.lifecycle.day = config.lifecycle_day;
    engine_config.lifecycle.rate = config.lifecycle_rate;
    let opened = tokio::task::spawn_blocking(move || Engine::open(engine_config)).await?;
    if let (Err(_), KeyOrigin::Generated(path)) = (&opened, &key_origin) {
        // The store belongs to another key: the one just made is of no use.
        let _ = std::fs::remove_file(path);
    }
    let engine =
        opened.with_context(|| format!("opening data directory {}", config.data_dir.display()))?;
    announce_master_key(&key_origin);
    let engine_for_keys = engine.clone();
    let identities =
        tokio::task::spawn_blocking(move || Identities::load(&engine_for_keys, credentials))
            .await??;
    tracing::info!(
        "free-space reserve: {} MiB ({}) kept free of object data",
        engine.reserve() >> 20,
        config.reserve
    );
    let state = web::Data::new(AppState {
        engine,
        identities,
        access: Authoriser::new(config.public_access_block),
        region: config.region.clone(),
        domain: config.domain.clone(),
        allow_insecure_sse_c: config.allow_insecure_sse_c,
        restore_delays: config.restore_delays,
        body_limits: BodyLimits::new(config.limits.body_timeout, config.limits.max_buffer_bytes),
    });
    let (listeners, urls) = match (tls_config, tls_listener) {
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
    let server = listen::server(state.clone(), listeners, &config.limits)?;
    tracing::info!(
        "horreo listening on {urls} (region {}, data in {})",
        config.region,
        config.data_dir.display()
    );
    server.await?;
    tracing::info!("stopped; closing the store");
    drop(state);
    Ok(())
}

/// Tells the user, at every start, which root credentials to use and how: a
/// generated pair is shown once, in full; afterwards only where it is stored.
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

/// Says at every start where the master key comes from; warns about a generated one.
fn announce_master_key(origin: &KeyOrigin) {
    match origin {
        KeyOrigin::Environment => println!("Master key: from HORREO_MASTER_KEY."),
        KeyOrigin::File(path) => println!("Master key: {}", path.display()),
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
