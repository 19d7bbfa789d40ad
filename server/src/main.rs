use std::io::IsTerminal;

use anyhow::Context;
use clap::Parser;
use horreo_server::config::{Cli, Command, KmsArgs, KmsCommand, LogFormat, ServeArgs};
use horreo_server::master_key;

/// `horreo` with no command serves with defaults (and the `HORREO_*` environment).
#[derive(Parser)]
struct DefaultServe {
    #[command(flatten)]
    args: ServeArgs,
}

fn main() -> anyhow::Result<()> {
    horreo_server::ops::memory::limit_arenas();
    let args = match Cli::parse().command {
        Some(Command::Serve(args)) => *args,
        Some(Command::Kms(args)) => {
            init_logging(LogFormat::Text);
            return kms(args);
        }
        Some(Command::Scrub(args)) => {
            init_logging(LogFormat::Text);
            let data_dir = args.data_dir.unwrap_or_else(|| "data".into());
            let damaged = horreo_server::admin::scrub::run(
                &data_dir,
                args.master_key_file.as_deref(),
                args.status,
                args.tiers.resolve()?,
            )?;
            std::process::exit(i32::from(damaged));
        }
        Some(Command::Admin(args)) => {
            init_logging(LogFormat::Text);
            return horreo_server::admin::identities::run(args);
        }
        Some(Command::Health(args)) => {
            init_logging(LogFormat::Text);
            let healthy = horreo_server::ops::probe::check(&args.url)?;
            std::process::exit(if healthy { 0 } else { 1 });
        }
        #[cfg(feature = "rocksdb")]
        Some(Command::Fsck(args)) => {
            init_logging(LogFormat::Text);
            return horreo_server::admin::fsck::run(args);
        }
        None => DefaultServe::parse_from(["horreo"]).args,
    };
    init_logging(args.log_format);
    horreo_server::ops::memory::start_idle_trim();
    let config = args.resolve()?;
    actix_web::rt::System::new().block_on(horreo_server::app::run(config))
}

/// Logs to stderr at the level `HORREO_LOG` sets (info by default).
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HORREO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal, never into a file or a journal.
    let logger = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logger.init(),
        LogFormat::Json => logger.json().flatten_event(true).init(),
    }
}

/// `horreo kms ...`: works on the store directly, so the server must be stopped.
fn kms(args: KmsArgs) -> anyhow::Result<()> {
    let data_dir = args
        .store
        .data_dir
        .unwrap_or_else(|| std::path::PathBuf::from("data"));
    let default_path = master_key::default_path(&data_dir);
    let (master, from_default_file) =
        master_key::for_stopped_store(&data_dir, args.store.master_key_file.as_deref())?;
    let engine = horreo_server::admin::open_stopped_store(&data_dir, master)?;
    match args.command {
        KmsCommand::CreateKey { name } => {
            let key = engine.kms_create_key(&name)?;
            println!("{}\t{}", key.id, key.name);
        }
        KmsCommand::ListKeys => {
            for key in engine.kms_list_keys()? {
                println!("{}\t{}", key.id, key.name);
            }
        }
        KmsCommand::RotateMasterKey { new_key_file } => {
            let new = master_key::read_key_file(&new_key_file)?;
            let count = engine.rotate_master_key(&new)?;
            drop(engine);
            if from_default_file {
                // Keep `horreo` without flags working: the default file gets the new key.
                let tmp = default_path.with_extension("new");
                let _ = std::fs::remove_file(&tmp);
                master_key::write_key_file(&tmp, &new)?;
                std::fs::rename(&tmp, &default_path)
                    .with_context(|| format!("replacing {}", default_path.display()))?;
                println!(
                    "re-sealed {count} keys; {} now holds the new master key",
                    default_path.display()
                );
            } else {
                println!(
                    "re-sealed {count} keys; start horreo with the master key in {} from now on",
                    new_key_file.display()
                );
            }
        }
    }
    Ok(())
}
