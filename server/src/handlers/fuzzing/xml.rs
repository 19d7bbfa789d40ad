//! Every XML request body, the first byte choosing which parser reads the rest.

use crate::handlers::acl::AccessControlPolicy;
use crate::handlers::encryption::ServerSideEncryptionConfiguration;
use crate::handlers::lifecycle::{self, parse as lifecycle_parse};
use crate::handlers::lock::default_retention;
use crate::handlers::notification::{self, ConfigurationXml};
use crate::handlers::ownership::OwnershipControls;
use crate::handlers::public_access::PublicAccessBlockConfiguration;
use crate::handlers::restore::RestoreRequest;
use crate::handlers::tagging::parse_tags;
use crate::xml::{self, parse};

/// The bodies, in the order the first byte selects them.
const BODIES: usize = 17;

/// Parses the body as the chosen request's XML, then validates it as the
/// handler does. Where a renderer exists (lifecycle, CORS, website), what was
/// accepted renders to XML that parses to the same configuration.
pub fn xml_bodies(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match usize::from(which) % BODIES {
        0 => {
            let _ = parse::<xml::CompleteMultipartUpload>(body);
        }
        1 => {
            let _ = parse::<xml::Delete>(body);
        }
        2 => {
            let _ = parse_tags(body, 50);
        }
        3 => {
            let _ = parse::<xml::VersioningConfiguration>(body);
        }
        4 => {
            if let Ok(config) = parse::<xml::ObjectLockConfiguration>(body)
                && let Some(rule) = config.rule
            {
                let _ = default_retention(rule.default_retention);
            }
        }
        5 => {
            if let Ok(retention) = parse::<xml::Retention>(body)
                && let Some(until) = retention.retain_until_date
            {
                let _ = xml::parse_timestamp(&until);
            }
        }
        6 => {
            let _ = parse::<xml::LegalHold>(body);
        }
        7 => {
            let _ = parse::<xml::CreateBucketConfiguration>(body);
        }
        8 => {
            let _ = parse::<AccessControlPolicy>(body);
        }
        9 => {
            let _ = parse::<ServerSideEncryptionConfiguration>(body);
        }
        10 => {
            if let Ok(config) = lifecycle_parse::parse(body) {
                let rendered = lifecycle::render(&config);
                let again = lifecycle_parse::parse(rendered.as_bytes());
                assert_eq!(again.ok(), Some(config), "{rendered}");
            }
        }
        11 => {
            if let Ok(config) = parse::<ConfigurationXml>(body) {
                let _ = notification::validate(config);
            }
        }
        12 => {
            if let Ok(rules) = xml::parse_cors(body) {
                let rendered = xml::render_cors(&rules);
                assert_eq!(
                    xml::parse_cors(rendered.as_bytes()).ok(),
                    Some(rules),
                    "{rendered}"
                );
            }
        }
        13 => {
            if let Ok(config) = xml::parse_website(body) {
                let rendered = xml::render_website(&config);
                let again = xml::parse_website(rendered.as_bytes());
                assert_eq!(again.ok(), Some(config), "{rendered}");
            }
        }
        14 => {
            let _ = parse::<RestoreRequest>(body);
        }
        15 => {
            let _ = parse::<OwnershipControls>(body);
        }
        _ => {
            let _ = parse::<PublicAccessBlockConfiguration>(body);
        }
    }
}
