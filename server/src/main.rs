use clap::Parser;
use silo_server::config::{Cli, Command, ServeArgs};

/// `silo` with no command serves with defaults (and the `SILO_*` environment).
#[derive(Parser)]
struct DefaultServe {
    #[command(flatten)]
    args: ServeArgs,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SILO_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = match Cli::parse().command {
        Some(Command::Serve(args)) => args,
        None => DefaultServe::parse_from(["silo"]).args,
    };
    let config = args.resolve()?;
    actix_web::rt::System::new().block_on(silo_server::app::run(config))
}
