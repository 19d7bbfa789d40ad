//! Root credentials a user never configured: the first start without
//! `HORREO_ROOT_ACCESS_KEY` / `HORREO_ROOT_SECRET_KEY` generates a pair, stores it in
//! `DATA_DIR/root-credentials.toml` with mode 0600, and prints it once on stdout
//! with a ready-to-paste `aws --endpoint-url ... s3 ls` line; later starts reuse
//! the stored pair and print where it is and a line that reads the secret from
//! there, never the secret itself.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use std::process::Command;

use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{Horreo, assert_s3_error, horreo_binary, unique_bucket_name};

const STORED: &str = "root-credentials.toml";

/// What the first start printed.
#[derive(Debug)]
struct Printed {
    access_key: String,
    secret_key: String,
    /// The line to paste into a shell.
    aws_line: String,
}

fn parse_printed(stdout: &str) -> Printed {
    let value_after = |label: &str| {
        stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix(label))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no `{label}` line in stdout:\n{stdout}"))
    };
    Printed {
        access_key: value_after("access key:"),
        secret_key: value_after("secret key:"),
        aws_line: stdout
            .lines()
            .find(|line| line.contains("aws "))
            .unwrap_or_else(|| panic!("no aws command line in stdout:\n{stdout}"))
            .trim()
            .to_owned(),
    }
}

/// Splits a shell line into words the way `sh` would for this simple grammar:
/// whitespace-separated, with single-quoted stretches taken literally.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '"' | '\\' | '$' | '`' if !quoted => {
                panic!("unquoted shell metacharacter {c:?} in {line:?}")
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quote in {line:?}");
    if in_word {
        words.push(word);
    }
    words
}

#[tokio::test]
async fn first_start_generates_stores_and_prints_credentials_once() {
    let mut horreo = Horreo::options().without_root_credentials().start();
    // Stopping makes sure all of stdout has been read.
    horreo.stop();
    let first_stdout = horreo.stdout();
    let printed = parse_printed(&first_stdout);

    // A fresh, random-looking pair: not a fixed default.
    assert!(
        printed.access_key.len() >= 16
            && printed
                .access_key
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "access key {:?}",
        printed.access_key
    );
    assert!(
        printed.secret_key.len() >= 40,
        "secret key {:?}",
        printed.secret_key
    );
    assert_ne!(printed.access_key, printed.secret_key);

    // The ready-to-paste line: credentials in the environment, the server's
    // endpoint and region, and `s3 ls`.
    let words = shell_words(&printed.aws_line);
    let aws = words
        .iter()
        .position(|w| w == "aws")
        .unwrap_or_else(|| panic!("no `aws` command in {words:?}"));
    let assignments: Vec<(&str, &str)> = words[..aws]
        .iter()
        .map(|w| w.split_once('=').unwrap())
        .collect();
    assert!(
        assignments.contains(&("AWS_ACCESS_KEY_ID", printed.access_key.as_str())),
        "{words:?}"
    );
    assert!(
        assignments.contains(&("AWS_SECRET_ACCESS_KEY", printed.secret_key.as_str())),
        "{words:?}"
    );
    let args = &words[aws + 1..];
    let option = |name: &str| {
        args.iter()
            .position(|w| w == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    assert_eq!(option("--endpoint-url"), Some(horreo.endpoint().as_str()));
    // Without a region in the line, the AWS CLI would need one configured.
    assert_eq!(option("--region"), Some(horreo.region()));
    assert_eq!(&args[args.len() - 2..], ["s3", "ls"], "{words:?}");

    // Stored with mode 0600, holding the printed pair.
    let stored = horreo.data_dir().join(STORED);
    let mode = std::fs::metadata(&stored).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} has mode {mode:o}", stored.display());
    let text = std::fs::read_to_string(&stored).unwrap();
    assert!(text.contains(&printed.access_key) && text.contains(&printed.secret_key));

    // The printed pair works with aws-sdk-s3 after a restart (which reuses it).
    horreo.set_credentials(&printed.access_key, &printed.secret_key);
    horreo.start_again();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("generated");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("hello")
        .body(ByteStream::from_static(b"generated credentials work"))
        .send()
        .await
        .unwrap();
    let listed = s3.list_buckets().send().await.unwrap();
    assert_eq!(listed.buckets().len(), 1);
    assert_s3_error(
        horreo
            .client_with(
                &printed.access_key,
                "wrong-secret-0000000000000000000000000000",
            )
            .list_buckets()
            .send()
            .await,
        403,
        Some("SignatureDoesNotMatch"),
    );
    assert_s3_error(
        horreo
            .client_with("HORREOSOMEOTHERKEY0000", &printed.secret_key)
            .list_buckets()
            .send()
            .await,
        403,
        Some("InvalidAccessKeyId"),
    );

    // Restarts print no secret, and the file keeps its mode and content.
    horreo.restart();
    let again = s3
        .get_object()
        .bucket(&bucket)
        .key("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.body.collect().await.unwrap().into_bytes().as_ref(),
        b"generated credentials work"
    );
    horreo.stop();
    let later_stdout = &horreo.stdout()[first_stdout.len()..];
    assert!(
        !later_stdout.contains(&printed.secret_key),
        "a restart printed the secret again:\n{later_stdout}"
    );
    // Nothing but the first start's announcement (stdout) ever showed the secret:
    // not the log on stderr, not the restarts.
    let log = horreo.log();
    assert_eq!(
        log.matches(&printed.secret_key).count(),
        first_stdout.matches(&printed.secret_key).count(),
        "the secret appears elsewhere in the server's output:\n{log}"
    );
    let mode = std::fs::metadata(&stored).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), text);
}

#[test]
fn each_data_directory_gets_its_own_pair() {
    let mut one = Horreo::options().without_root_credentials().start();
    let mut two = Horreo::options().without_root_credentials().start();
    one.stop();
    two.stop();
    let (one, two) = (parse_printed(&one.stdout()), parse_printed(&two.stdout()));
    assert_ne!(one.access_key, two.access_key);
    assert_ne!(one.secret_key, two.secret_key);
}

#[tokio::test]
async fn configured_credentials_override_the_stored_pair() {
    let mut horreo = Horreo::options().without_root_credentials().start();
    horreo.stop();
    let generated = parse_printed(&horreo.stdout());
    let printed_before = horreo.stdout().len();

    // The same data directory, now with credentials in the environment.
    let (access_key, secret_key) = (
        "HORREOCONFIGURED000001",
        "configured/secret/key/000000000000000000",
    );
    horreo.set_options(Horreo::options());
    horreo.set_credentials(access_key, secret_key);
    horreo.start_again();
    horreo.client().list_buckets().send().await.unwrap();
    assert_s3_error(
        horreo
            .client_with(&generated.access_key, &generated.secret_key)
            .list_buckets()
            .send()
            .await,
        403,
        Some("InvalidAccessKeyId"),
    );
    horreo.stop();

    // Without them again, the stored pair is back: the start says where it is
    // and how to use it, without showing the secret.
    horreo.set_options(Horreo::options().without_root_credentials());
    horreo.set_credentials(&generated.access_key, &generated.secret_key);
    horreo.start_again();
    horreo.client().list_buckets().send().await.unwrap();
    horreo.stop();
    let later = horreo.stdout()[printed_before..].to_owned();
    let stored_path = horreo.data_dir().join(STORED);
    assert!(
        later.contains(&generated.access_key) && later.contains(&stored_path.display().to_string()),
        "{later}"
    );
    assert!(!later.contains(&generated.secret_key), "{later}");
    // The printed line reads the secret from the file: run its assignment in a shell.
    let line = later
        .lines()
        .rfind(|l| l.contains("AWS_SECRET_ACCESS_KEY="))
        .unwrap_or_else(|| panic!("no aws line in:\n{later}"));
    let (assignments, _aws) = line.trim().split_once(" aws ").unwrap();
    let shell = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{assignments} sh -c 'printf %s \"$AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY\"'"
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&shell.stdout),
        format!("{} {}", generated.access_key, generated.secret_key),
        "{line}"
    );
    let stored = std::fs::read_to_string(stored_path).unwrap();
    assert!(stored.contains(&generated.secret_key) && !stored.contains(secret_key));
}

#[test]
fn only_one_of_the_two_variables_is_refused() {
    for (name, value) in [
        ("HORREO_ROOT_ACCESS_KEY", "HORREOONLYACCESSKEY000"),
        (
            "HORREO_ROOT_SECRET_KEY",
            "only-the-secret-000000000000000000000000",
        ),
    ] {
        let result = Horreo::options()
            .without_root_credentials()
            .env(name, value)
            .try_start();
        let log = match result {
            Ok(_) => panic!("horreo started with only {name}"),
            Err(log) => log,
        };
        assert!(
            log.contains("HORREO_ROOT_ACCESS_KEY") && log.contains("HORREO_ROOT_SECRET_KEY"),
            "the error does not say what to set:\n{log}"
        );
        assert!(
            !log.contains(value) || name == "HORREO_ROOT_ACCESS_KEY",
            "the error shows the secret:\n{log}"
        );
    }
}

/// A first start that fails after generating the pair (here: the port is taken,
/// the most common first-run failure) must not leave the user with credentials
/// that were stored but never shown: later starts only reuse the stored pair.
#[test]
fn a_failed_first_start_never_hides_generated_credentials() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut command = Command::new(horreo_binary());
    command
        .args(["serve", "--address", &address, "--data-dir"])
        .arg(&data_dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("HORREO_") && name != "HORREO_LOG" {
            command.env_remove(name);
        }
    }
    let out = command.output().unwrap();
    assert!(
        !out.status.success(),
        "horreo started on a taken port: {out:?}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    if let Ok(stored) = std::fs::read_to_string(data_dir.join(STORED)) {
        let secret = stored
            .lines()
            .find_map(|l| l.strip_prefix("secret_key = "))
            .map(|v| v.trim().trim_matches('"').to_owned())
            .unwrap_or_else(|| panic!("no secret_key in {stored}"));
        assert!(
            stdout.contains(&secret),
            "a pair was stored but not printed; stdout:\n{stdout}"
        );
    }
}
