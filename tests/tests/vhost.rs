//! Virtual-host-style addressing (`--domain`): the bucket in the Host header
//! (`bucket.DOMAIN:PORT`), the whole path as the key. Driven with aws-sdk-s3
//! (`force_path_style(false)`, a resolver that maps `*.DOMAIN` to 127.0.0.1) and
//! with hand-signed HTTP; path style keeps working on the same server.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use aws_sdk_s3::primitives::ByteStream;
use horreo_tests::{
    Horreo, Settings, assert_s3_error, etag_of, unique_bucket_name, url_encode_path, xml_element,
};

const DOMAIN: &str = "s3.horreo.test";

fn start() -> Horreo {
    Horreo::options().domain(DOMAIN).start()
}

/// Records the URL of every request a client sends.
#[derive(Debug, Clone, Default)]
struct SentUrls(Arc<Mutex<Vec<String>>>);

impl Intercept for SentUrls {
    fn name(&self) -> &'static str {
        "SentUrls"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0
            .lock()
            .unwrap()
            .push(context.request().uri().to_owned());
        Ok(())
    }
}

impl SentUrls {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// The server's vhost client, recording what it sends.
fn recording_vhost_client(horreo: &Horreo) -> (Client, SentUrls) {
    let urls = SentUrls::default();
    let config = horreo
        .vhost_client()
        .config()
        .to_builder()
        .interceptor(urls.clone())
        .build();
    (Client::from_conf(config), urls)
}

async fn body_of(s3: &Client, bucket: &str, key: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {bucket}/{key}: {e:?}"))
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

#[tokio::test]
async fn sdk_round_trip_in_virtual_host_style() {
    let horreo = start();
    let (s3, sent) = recording_vhost_client(&horreo);
    let bucket = unique_bucket_name("vhost");
    let port = horreo.port();
    let bucket_url = format!("http://{bucket}.{DOMAIN}:{port}");

    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let urls = sent.take();
    assert_eq!(urls.len(), 1, "{urls:?}");
    assert!(
        urls[0].starts_with(&bucket_url),
        "CreateBucket went to {} instead of {bucket_url}",
        urls[0]
    );

    s3.head_bucket().bucket(&bucket).send().await.unwrap();
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(
        buckets
            .buckets()
            .iter()
            .any(|b| b.name() == Some(bucket.as_str())),
        "{buckets:?}"
    );

    let objects = [
        ("hello.txt", b"hello, virtual host".to_vec()),
        ("dir/a b+c.txt", b"spaces and plus".to_vec()),
        ("dir/sub/deep", b"deep".to_vec()),
        // A key that looks like a path-style bucket prefix stays a key here.
        (&*format!("{bucket}/inner"), b"not a bucket".to_vec()),
    ];
    for (key, data) in &objects {
        let put = s3
            .put_object()
            .bucket(&bucket)
            .key(*key)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("PUT {key}: {e:?}"));
        assert_eq!(put.e_tag(), Some(etag_of(data).as_str()));
    }
    for (key, data) in &objects {
        assert_eq!(&body_of(&s3, &bucket, key).await, data, "GET {key}");
    }
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("hello.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(19));

    let page = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("dir/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = page.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = page
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(keys, ["dir/a b+c.txt"]);
    assert_eq!(prefixes, ["dir/sub/"]);
    assert_eq!(page.delimiter(), Some("/"));
    assert_eq!(page.name(), Some(bucket.as_str()));

    let v1 = s3
        .list_objects()
        .bucket(&bucket)
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = v1.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = v1
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(keys, ["hello.txt"]);
    assert_eq!(prefixes, ["dir/".to_owned(), format!("{bucket}/")]);

    let location = s3
        .get_bucket_location()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    // us-east-1 is reported as an empty constraint, as AWS does.
    assert_eq!(
        location.location_constraint().map_or("", |c| c.as_str()),
        ""
    );

    // Every bucket request went to the bucket's host, ListBuckets to the domain's.
    for url in sent.take() {
        assert!(
            url.starts_with(&bucket_url) || url.starts_with(&format!("http://{DOMAIN}:{port}/")),
            "{url}"
        );
        assert!(
            !url.contains(&format!(":{port}/{bucket}?"))
                && !url.ends_with(&format!(":{port}/{bucket}")),
            "path-style request: {url}"
        );
    }

    for (key, _) in &objects {
        s3.delete_object()
            .bucket(&bucket)
            .key(*key)
            .send()
            .await
            .unwrap();
    }
    assert_s3_error(
        s3.get_object()
            .bucket(&bucket)
            .key("hello.txt")
            .send()
            .await,
        404,
        Some("NoSuchKey"),
    );
    s3.delete_bucket().bucket(&bucket).send().await.unwrap();
    assert_s3_error(s3.head_bucket().bucket(&bucket).send().await, 404, None);
    assert_s3_error(
        s3.list_objects_v2().bucket(&bucket).send().await,
        404,
        Some("NoSuchBucket"),
    );
    for url in sent.take() {
        assert!(url.starts_with(&bucket_url), "{url}");
    }
}

#[tokio::test]
async fn path_style_and_virtual_host_style_share_one_server() {
    let horreo = start();
    let vhost = horreo.vhost_client();
    let path = horreo.client();
    let made_by_vhost = unique_bucket_name("by-vhost");
    let made_by_path = unique_bucket_name("by-path");

    vhost
        .create_bucket()
        .bucket(&made_by_vhost)
        .send()
        .await
        .unwrap();
    path.create_bucket()
        .bucket(&made_by_path)
        .send()
        .await
        .unwrap();
    vhost
        .put_object()
        .bucket(&made_by_vhost)
        .key("from/vhost")
        .body(ByteStream::from_static(b"written in vhost style"))
        .send()
        .await
        .unwrap();
    path.put_object()
        .bucket(&made_by_path)
        .key("from/path")
        .body(ByteStream::from_static(b"written in path style"))
        .send()
        .await
        .unwrap();

    // Each style reads what the other wrote.
    assert_eq!(
        body_of(&path, &made_by_vhost, "from/vhost").await,
        b"written in vhost style"
    );
    assert_eq!(
        body_of(&vhost, &made_by_path, "from/path").await,
        b"written in path style"
    );
    for s3 in [&vhost, &path] {
        let names: Vec<String> = s3
            .list_buckets()
            .send()
            .await
            .unwrap()
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_owned))
            .collect();
        assert!(names.contains(&made_by_vhost) && names.contains(&made_by_path));
        for (bucket, key) in [(&made_by_vhost, "from/vhost"), (&made_by_path, "from/path")] {
            let page = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
            let keys: Vec<_> = page.contents().iter().filter_map(|o| o.key()).collect();
            assert_eq!(keys, [key]);
        }
    }

    // A copy across the two styles: vhost destination, source named as usual.
    vhost
        .copy_object()
        .bucket(&made_by_vhost)
        .key("copied")
        .copy_source(format!("{made_by_path}/from/path"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        body_of(&path, &made_by_vhost, "copied").await,
        b"written in path style"
    );

    // Delete through the other style than the one that created it.
    for (s3, bucket) in [(&path, &made_by_vhost), (&vhost, &made_by_path)] {
        let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
        for object in listed.contents() {
            s3.delete_object()
                .bucket(bucket)
                .key(object.key().unwrap())
                .send()
                .await
                .unwrap();
        }
        s3.delete_bucket().bucket(bucket).send().await.unwrap();
    }
    let left = path.list_buckets().send().await.unwrap();
    assert!(left.buckets().is_empty(), "{left:?}");
}

#[test]
fn signed_http_with_bucket_in_host_header() {
    let horreo = start();
    let bucket = unique_bucket_name("raw-vhost");
    let vhost = format!("{bucket}.{DOMAIN}:{}", horreo.port());
    let host = [("host", vhost.as_str())];

    let created = horreo.signed("PUT", "/", &host, b"");
    assert_eq!(created.status, 200, "{}", created.text());
    let head = horreo.signed("HEAD", "/", &host, b"");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("x-amz-bucket-region"), Some("us-east-1"));

    let key = "docs/read me.txt";
    let path = format!("/{}", url_encode_path(key));
    let put = horreo.signed("PUT", &path, &host, b"raw vhost body");
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(
        put.header("etag"),
        Some(etag_of(b"raw vhost body").as_str())
    );

    let get = horreo.signed("GET", &path, &host, b"");
    assert_eq!(get.status, 200, "{}", get.text());
    assert_eq!(get.body, b"raw vhost body");
    assert!(get.header("x-amz-request-id").is_some());

    // The same object, path style, through the IP address and through the bare domain.
    let path_style = format!("/{bucket}{path}");
    let by_ip = horreo.signed("GET", &path_style, &[], b"");
    assert_eq!(
        (by_ip.status, by_ip.body.as_slice()),
        (200, &b"raw vhost body"[..])
    );
    let domain_host = format!("{DOMAIN}:{}", horreo.port());
    let by_domain = horreo.signed("GET", &path_style, &[("host", &domain_host)], b"");
    assert_eq!(
        (by_domain.status, by_domain.body.as_slice()),
        (200, &b"raw vhost body"[..])
    );

    let list = horreo.signed("GET", "/?list-type=2&prefix=docs%2F", &host, b"");
    assert_eq!(list.status, 200, "{}", list.text());
    let xml = list.text();
    assert_eq!(xml_element(&xml, "Name"), Some(bucket.clone()));
    assert_eq!(xml_element(&xml, "Key").as_deref(), Some(key));
    assert_eq!(xml_element(&xml, "KeyCount").as_deref(), Some("1"));

    let location = horreo.signed("GET", "/?location", &host, b"");
    assert_eq!(location.status, 200);
    assert!(location.text().contains("LocationConstraint"));

    // Errors name the bucket from the Host header.
    let missing = horreo.signed("GET", "/no-such-key", &host, b"");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error_code().as_deref(), Some("NoSuchKey"));
    let other = format!(
        "{}.{DOMAIN}:{}",
        unique_bucket_name("absent"),
        horreo.port()
    );
    let no_bucket = horreo.signed("GET", "/?list-type=2", &[("host", &other)], b"");
    assert_eq!(no_bucket.status, 404);
    assert_eq!(no_bucket.error_code().as_deref(), Some("NoSuchBucket"));

    // Anonymous vhost requests are refused like path-style ones.
    let anonymous = horreo.raw("GET", &path, &host, b"");
    assert_eq!(anonymous.status, 403);
    assert_eq!(anonymous.error_code().as_deref(), Some("AccessDenied"));

    assert_eq!(horreo.signed("DELETE", &path, &host, b"").status, 204);
    assert_eq!(horreo.signed("DELETE", "/", &host, b"").status, 204);
    assert_eq!(horreo.signed("HEAD", "/", &host, b"").status, 404);
}

#[test]
fn domain_from_environment_and_config_file() {
    for settings in [Settings::Environment, Settings::ConfigFlag] {
        let horreo = Horreo::options().domain(DOMAIN).settings(settings).start();
        let bucket = unique_bucket_name("vhost-settings");
        let host = format!("{bucket}.{DOMAIN}:{}", horreo.port());
        let created = horreo.signed("PUT", "/", &[("host", &host)], b"");
        assert_eq!(created.status, 200, "{settings:?}: {}", created.text());
        // It is the bucket named by the Host header that exists now.
        assert_eq!(
            horreo
                .signed("HEAD", &format!("/{bucket}"), &[], b"")
                .status,
            200,
            "{settings:?}"
        );
    }
}

#[test]
fn without_a_domain_the_host_header_names_no_bucket() {
    let horreo = Horreo::start();
    let bucket = unique_bucket_name("no-domain");
    assert_eq!(
        horreo.signed("PUT", &format!("/{bucket}"), &[], b"").status,
        200
    );
    let host = format!("{bucket}.{DOMAIN}:{}", horreo.port());
    // Path style only: `GET /` is ListBuckets whatever the Host says.
    let listed = horreo.signed("GET", "/", &[("host", &host)], b"");
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert!(listed.text().contains("<ListAllMyBucketsResult"));
    assert!(listed.text().contains(&format!("<Name>{bucket}</Name>")));
}

#[tokio::test]
async fn vhost_delimiter_listing_paginates() {
    let horreo = start();
    let s3 = horreo.vhost_client();
    let bucket = unique_bucket_name("vhost-pages");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    for i in 0..12 {
        s3.put_object()
            .bucket(&bucket)
            .key(format!("p{i:02}/x"))
            .body(ByteStream::from_static(b""))
            .send()
            .await
            .unwrap();
    }
    let mut prefixes = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(&bucket)
            .delimiter("/")
            .max_keys(5)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        assert_eq!(page.encoding_type(), None);
        assert_eq!(page.delimiter(), Some("/"));
        prefixes.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let expected: Vec<String> = (0..12).map(|i| format!("p{i:02}/")).collect();
    assert_eq!(prefixes, expected);
}

#[tokio::test]
async fn presigned_urls_in_virtual_host_style() {
    use aws_sdk_s3::presigning::PresigningConfig;
    let horreo = start();
    let s3 = horreo.vhost_client();
    let bucket = unique_bucket_name("vhost-presign");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let config = PresigningConfig::expires_in(std::time::Duration::from_secs(300)).unwrap();

    // Presigned PUT then GET, sent as a browser would: to the URL's host.
    let put = s3
        .put_object()
        .bucket(&bucket)
        .key("shared/file.txt")
        .presigned(config.clone())
        .await
        .unwrap();
    let get = s3
        .get_object()
        .bucket(&bucket)
        .key("shared/file.txt")
        .presigned(config)
        .await
        .unwrap();
    let send = |request: &aws_sdk_s3::presigning::PresignedRequest, body: &[u8]| {
        let url = request.uri();
        let prefix = format!("http://{bucket}.{DOMAIN}:{}", horreo.port());
        let path_and_query = url
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("presigned URL {url} is not on {prefix}"));
        let host = prefix.trim_start_matches("http://").to_owned();
        let mut headers: Vec<(&str, &str)> = request.headers().collect();
        headers.push(("host", &host));
        horreo_tests::http_request(
            &horreo.authority(),
            request.method(),
            path_and_query,
            &headers,
            body,
        )
    };
    let put_response = send(&put, b"shared in vhost style");
    assert_eq!(put_response.status, 200, "{}", put_response.text());
    let get_response = send(&get, b"");
    assert_eq!(get_response.status, 200, "{}", get_response.text());
    assert_eq!(get_response.body, b"shared in vhost style");
}
