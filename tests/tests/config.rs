//! Configuration as a user sees it: `horreo serve` takes its address, data
//! directory, region and domain from flags, `HORREO_*` environment variables or a
//! TOML file named by `--config` / `HORREO_CONFIG`; a flag wins over the
//! environment, which wins over the file (server/src/config.rs, README). Root
//! credentials come from `HORREO_ROOT_ACCESS_KEY` / `HORREO_ROOT_SECRET_KEY` (or the
//! flags); the TOML file has no keys for them.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{
    Horreo, Settings, assert_s3_error, free_port, horreo_binary, http_request, sigv4_headers,
    toml_string, unique_bucket_name, xml_element,
};

/// True if `dir` exists and holds at least one entry.
fn has_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}

/// The server works in `region` and nowhere else: the bucket it creates reports
/// the region (HeadBucket, GetBucketLocation), and a request signed for
/// us-east-1 is refused with the region named in the error.
async fn assert_serves_region(horreo: &Horreo, region: &str) {
    let s3 = horreo.client();
    let bucket = unique_bucket_name("region");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let head = s3.head_bucket().bucket(&bucket).send().await.unwrap();
    assert_eq!(head.bucket_region(), Some(region));
    let location = s3
        .get_bucket_location()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        location.location_constraint().map(|c| c.as_str()),
        Some(region)
    );
    s3.put_object()
        .bucket(&bucket)
        .key("k")
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap();

    let path = format!("/{bucket}/k");
    let signed_for_us_east_1 = sigv4_headers(
        &horreo.credentials(),
        SystemTime::now(),
        "GET",
        &horreo.authority(),
        &path,
        &[],
        b"",
    );
    let headers: Vec<(&str, &str)> = signed_for_us_east_1
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let refused = http_request(&horreo.authority(), "GET", &path, &headers, b"");
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_eq!(
        refused.error_code().as_deref(),
        Some("AuthorizationHeaderMalformed")
    );
    assert_eq!(
        xml_element(&refused.text(), "Region").as_deref(),
        Some(region)
    );
}

/// The configured root credentials work; a wrong secret or another key does not.
async fn assert_root_credentials(horreo: &Horreo) {
    horreo.client().list_buckets().send().await.unwrap();
    assert_s3_error(
        horreo
            .client_with(
                horreo.access_key(),
                "not-the-secret-key-000000000000000000000",
            )
            .list_buckets()
            .send()
            .await,
        403,
        Some("SignatureDoesNotMatch"),
    );
    assert_s3_error(
        horreo
            .client_with("HORREONOSUCHKEY0000000", horreo.secret_key())
            .list_buckets()
            .send()
            .await,
        403,
        Some("InvalidAccessKeyId"),
    );
}

#[tokio::test]
async fn config_file_named_by_flag_sets_address_region_and_data_dir() {
    // The harness writes address, data_dir and region into a TOML file and passes
    // only `--config FILE` (and the root credentials in the environment).
    let horreo = Horreo::options()
        .settings(Settings::ConfigFlag)
        .region("eu-west-3")
        .start();
    assert_serves_region(&horreo, "eu-west-3").await;
    assert_root_credentials(&horreo).await;
    assert!(
        has_files(horreo.data_dir()),
        "nothing in the data directory named by the file"
    );
}

#[tokio::test]
async fn config_file_named_by_environment_sets_address_region_and_data_dir() {
    let horreo = Horreo::options()
        .settings(Settings::ConfigEnv)
        .region("ap-northeast-1")
        .start();
    assert_serves_region(&horreo, "ap-northeast-1").await;
    assert_root_credentials(&horreo).await;
    assert!(has_files(horreo.data_dir()));
}

#[tokio::test]
async fn environment_sets_address_region_and_data_dir() {
    let horreo = Horreo::options()
        .settings(Settings::Environment)
        .region("sa-east-1")
        .start();
    assert_serves_region(&horreo, "sa-east-1").await;
    assert_root_credentials(&horreo).await;
    assert!(has_files(horreo.data_dir()));
}

#[tokio::test]
async fn root_credentials_from_flags() {
    let access_key = "HORREOFLAGKEY000000001";
    let secret_key = "flag/secret+key/0000000000000000000000000";
    let mut horreo = Horreo::options()
        .without_root_credentials()
        .arg("--root-access-key")
        .arg(access_key)
        .arg("--root-secret-key")
        .arg(secret_key)
        .start();
    horreo.set_credentials(access_key, secret_key);
    assert_root_credentials(&horreo).await;
    // Configured credentials are neither printed nor stored.
    horreo.stop();
    assert!(!horreo.log().contains(secret_key), "{}", horreo.log());
    assert!(!horreo.data_dir().join("root-credentials.toml").exists());
}

/// Lower-precedence values that, if they won, would move the server elsewhere.
struct Losers {
    _dir: tempfile::TempDir,
    data_dir: std::path::PathBuf,
    port: u16,
    region: &'static str,
    domain: &'static str,
}

impl Losers {
    fn new(name: &str, region: &'static str, domain: &'static str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            data_dir: dir.path().join(format!("{name}-data")),
            _dir: dir,
            port: free_port(),
            region,
            domain,
        }
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// (That the server listens on the winning address is shown by its having
    /// started: the harness waits for it there.)
    fn assert_lost(&self, horreo: &Horreo) {
        assert!(
            !self.data_dir.exists(),
            "the losing data directory {} was created",
            self.data_dir.display()
        );
        assert_ne!(horreo.region(), self.region);
        // A Host under the losing domain names no bucket: this is path style
        // `PUT /`, which is not an operation.
        let bucket = unique_bucket_name("loser");
        let host = format!("{bucket}.{}:{}", self.domain, horreo.port());
        let put = horreo.signed("PUT", "/", &[("host", &host)], b"");
        assert_eq!(put.status, 405, "{}", put.text());
        assert_eq!(
            horreo
                .signed("HEAD", &format!("/{bucket}"), &[], b"")
                .status,
            404
        );
    }
}

/// A bucket created through the winning domain's virtual host exists.
fn assert_domain(horreo: &Horreo, domain: &str) {
    let bucket = unique_bucket_name("winner");
    let host = format!("{bucket}.{domain}:{}", horreo.port());
    let put = horreo.signed("PUT", "/", &[("host", &host)], b"");
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(
        horreo
            .signed("HEAD", &format!("/{bucket}"), &[], b"")
            .status,
        200
    );
}

#[tokio::test]
async fn flags_win_over_environment_and_file() {
    let env = Losers::new("env", "ap-south-1", "env.horreo.test");
    let file = Losers::new("file", "eu-west-1", "file.horreo.test");
    let horreo = Horreo::options()
        .settings(Settings::Flags)
        .region("us-west-2")
        .domain("flag.horreo.test")
        .env("HORREO_ADDRESS", &env.address())
        .env("HORREO_DATA_DIR", env.data_dir.to_str().unwrap())
        .env("HORREO_REGION", env.region)
        .env("HORREO_DOMAIN", env.domain)
        .config_line(&format!("address = {}", toml_string(&file.address())))
        .config_line(&format!(
            "data_dir = {}",
            toml_string(file.data_dir.to_str().unwrap())
        ))
        .config_line(&format!("region = {}", toml_string(file.region)))
        .config_line(&format!("domain = {}", toml_string(file.domain)))
        .start();
    assert_serves_region(&horreo, "us-west-2").await;
    assert_domain(&horreo, "flag.horreo.test");
    assert!(has_files(horreo.data_dir()));
    env.assert_lost(&horreo);
    file.assert_lost(&horreo);
}

#[tokio::test]
async fn environment_wins_over_file() {
    let file = Losers::new("file", "eu-west-1", "file.horreo.test");
    let horreo = Horreo::options()
        .settings(Settings::Environment)
        .region("ca-central-1")
        .domain("env.horreo.test")
        .config_line(&format!("address = {}", toml_string(&file.address())))
        .config_line(&format!(
            "data_dir = {}",
            toml_string(file.data_dir.to_str().unwrap())
        ))
        .config_line(&format!("region = {}", toml_string(file.region)))
        .config_line(&format!("domain = {}", toml_string(file.domain)))
        .start();
    assert_serves_region(&horreo, "ca-central-1").await;
    assert_domain(&horreo, "env.horreo.test");
    assert!(has_files(horreo.data_dir()));
    file.assert_lost(&horreo);
}

#[tokio::test]
async fn file_fills_in_what_flags_and_environment_leave_out() {
    // Address, data directory and region as flags (then as environment
    // variables); the domain only in the file: each comes from where it is given.
    for settings in [Settings::Flags, Settings::Environment] {
        let horreo = Horreo::options()
            .settings(settings)
            .region("eu-north-1")
            .config_line("domain = \"file-only.horreo.test\"")
            .start();
        assert_serves_region(&horreo, "eu-north-1").await;
        assert_domain(&horreo, "file-only.horreo.test");
    }
}

#[test]
fn unknown_key_in_config_file_is_refused() {
    // A misspelt key must not be silently ignored (here the server would
    // otherwise start on the harness's address with defaults for the rest).
    let err = match Horreo::options()
        .config_line("adress = \"127.0.0.1:1\"")
        .try_start()
    {
        Ok(_) => panic!("horreo started with an unknown key in its configuration file"),
        Err(log) => log,
    };
    assert!(
        err.contains("adress"),
        "the error does not name the key:\n{err}"
    );
    assert!(
        err.contains("horreo.toml"),
        "the error does not name the file:\n{err}"
    );
}

#[test]
fn malformed_or_missing_config_file_is_refused() {
    let err = match Horreo::options()
        .config_line("region = eu-west-1")
        .try_start()
    {
        Ok(_) => panic!("horreo started with a malformed configuration file"),
        Err(log) => log,
    };
    assert!(err.contains("horreo.toml"), "{err}");

    let missing = "/nonexistent/horreo-config.toml";
    let err = match Horreo::options().arg("--config").arg(missing).try_start() {
        Ok(_) => panic!("horreo started with a missing configuration file"),
        Err(log) => log,
    };
    assert!(err.contains(missing), "{err}");
}

#[test]
fn a_workers_lease_too_short_to_renew_is_refused() {
    for options in [
        Horreo::options().arg("--workers-lease-seconds").arg("2"),
        Horreo::options().config_line("workers_lease_seconds = 2"),
    ] {
        let err = match options.try_start() {
            Ok(_) => panic!("horreo started with a 2 s workers' lease"),
            Err(log) => log,
        };
        assert!(
            err.contains("workers-lease-seconds") || err.contains("workers_lease_seconds"),
            "{err}"
        );
    }
}

#[test]
fn root_credentials_are_not_configuration_file_keys() {
    // config.rs and README: the file holds data_dir, address, region, domain only.
    for key in ["root_access_key", "root_secret_key"] {
        let result = Horreo::options()
            .config_line(&format!("{key} = \"HORREOFROMFILE00000000\""))
            .try_start();
        assert!(result.is_err(), "{key} accepted in the configuration file");
    }
}

fn help(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(horreo_binary());
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("HORREO_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    let out = command.output().unwrap();
    assert!(out.status.success(), "horreo {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The configuration table of README.md: (flag, environment variable if it
/// has one, TOML key if it has one).
fn readme_options() -> Vec<(String, Option<String>, Option<String>)> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let ticked = |cell: &str| {
        cell.split('`')
            .nth(1)
            .map(|s| s.split_whitespace().next().unwrap_or("").to_owned())
    };
    // The table's rows follow its header, up to the first line that is not a row.
    let rows: Vec<_> = readme
        .lines()
        .skip_while(|line| !line.starts_with("| flag |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .filter(|line| line.starts_with("| `--"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (
                ticked(cells[1]).unwrap(),
                ticked(cells[2]),
                ticked(cells[3]),
            )
        })
        .collect();
    assert!(rows.len() >= 7, "README's configuration table: {rows:?}");
    rows
}

#[test]
fn serve_help_mentions_every_option() {
    let help = help(&["serve", "--help"], &[]);
    for (flag, env, toml_key) in readme_options() {
        assert!(
            help.contains(&flag),
            "`horreo serve --help` lacks {flag}:\n{help}"
        );
        if let Some(env) = env {
            assert!(
                help.contains(&env),
                "`horreo serve --help` lacks {env}:\n{help}"
            );
        }
        if let Some(key) = toml_key {
            assert!(
                help.contains(&key),
                "`horreo serve --help` lacks the TOML key {key}:\n{help}"
            );
        }
    }
    // Defaults are stated.
    for default in ["./data", "127.0.0.1:9000", "us-east-1"] {
        assert!(help.contains(default), "no default {default}:\n{help}");
    }
    let top = help_of_top();
    assert!(top.contains("serve"), "`horreo --help` lacks serve:\n{top}");
}

fn help_of_top() -> String {
    help(&["--help"], &[])
}

#[test]
fn help_does_not_show_secret_values_from_the_environment() {
    let help = help(
        &["serve", "--help"],
        &[
            ("HORREO_ROOT_ACCESS_KEY", "HORREOHELPKEY000000000"),
            (
                "HORREO_ROOT_SECRET_KEY",
                "help-secret-value-0000000000000000000000",
            ),
        ],
    );
    assert!(help.contains("HORREO_ROOT_SECRET_KEY"), "{help}");
    assert!(!help.contains("help-secret-value"), "{help}");
    assert!(!help.contains("HORREOHELPKEY"), "{help}");
}
