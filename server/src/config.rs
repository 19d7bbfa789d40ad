//! Command line, environment and TOML configuration of `silo serve`.
//!
//! Precedence: command-line flag, then environment variable, then the TOML file
//! named by `--config`, then the built-in default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde::Deserialize;

#[derive(Debug, Parser)]
#[command(
    name = "silo",
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
    Serve(ServeArgs),
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Directory holding all data: metadata, object blobs and generated credentials [default: ./data]
    #[arg(long, env = "SILO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:9000]
    #[arg(long, env = "SILO_ADDRESS")]
    pub address: Option<SocketAddr>,
    /// Region reported to clients and required in request signatures [default: us-east-1]
    #[arg(long, env = "SILO_REGION")]
    pub region: Option<String>,
    /// Base domain for virtual-host-style requests (`bucket.DOMAIN`); path style always works
    #[arg(long, env = "SILO_DOMAIN")]
    pub domain: Option<String>,
    /// Optional TOML file with any of: data_dir, address, region, domain
    #[arg(long, env = "SILO_CONFIG")]
    pub config: Option<PathBuf>,
    /// Root access key id; generated and stored in the data directory when unset
    #[arg(long, env = "SILO_ROOT_ACCESS_KEY", hide_env_values = true)]
    pub root_access_key: Option<String>,
    /// Root secret access key; generated and stored in the data directory when unset
    #[arg(long, env = "SILO_ROOT_SECRET_KEY", hide_env_values = true)]
    pub root_secret_key: Option<String>,
}

/// The TOML file's keys: the same names as the flags, with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    address: Option<SocketAddr>,
    region: Option<String>,
    domain: Option<String>,
}

/// The resolved configuration of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub address: SocketAddr,
    pub region: String,
    pub domain: Option<String>,
    pub root_access_key: Option<String>,
    pub root_secret_key: Option<String>,
}

impl ServeArgs {
    pub fn resolve(self) -> anyhow::Result<Config> {
        let file = match &self.config {
            Some(path) => read_file_config(path)?,
            None => FileConfig::default(),
        };
        Ok(Config {
            data_dir: self
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("data")),
            address: self
                .address
                .or(file.address)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9000))),
            region: self
                .region
                .or(file.region)
                .unwrap_or_else(|| "us-east-1".to_owned()),
            domain: self.domain.or(file.domain),
            root_access_key: self.root_access_key,
            root_secret_key: self.root_secret_key,
        })
    }
}

fn read_file_config(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
}
