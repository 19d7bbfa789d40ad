//! GetObjectAttributes: what HeadObject and ListParts tell of an object, in one
//! `GetObjectAttributesResponse`, limited to the attributes asked for.

use actix_web::HttpResponse;
use horreo_storage::{ChecksumType, Checksums, ObjectPart, ObjectVersion};

use super::Ctx;
use super::encryption;
use super::object::delete_marker_addressed;
use crate::error::{S3Error, S3Result};
use crate::xml::XmlWriter;

/// AWS's default and largest `x-amz-max-parts`.
const MAX_PARTS: u32 = 1000;

/// The attributes `x-amz-object-attributes` names.
#[derive(Debug, Default, PartialEq, Eq)]
struct Wanted {
    etag: bool,
    checksum: bool,
    object_parts: bool,
    storage_class: bool,
    object_size: bool,
}

impl Wanted {
    /// A comma-separated list of S3's attribute names, in one header or several;
    /// none, or an unknown one, is `InvalidArgument`, as AWS answers.
    fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> S3Result<Self> {
        let mut wanted = Self::default();
        for name in values
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let flag = match name {
                "ETag" => &mut wanted.etag,
                "Checksum" => &mut wanted.checksum,
                "ObjectParts" => &mut wanted.object_parts,
                "StorageClass" => &mut wanted.storage_class,
                "ObjectSize" => &mut wanted.object_size,
                _ => return Err(invalid_attributes()),
            };
            *flag = true;
        }
        if wanted == Self::default() {
            return Err(invalid_attributes());
        }
        Ok(wanted)
    }
}

fn invalid_attributes() -> S3Error {
    S3Error::invalid_argument("Invalid attribute name specified.")
}

/// Which parts to list: those numbered above `marker`, at most `max`.
struct PartsQuery {
    marker: u32,
    max: u32,
}

impl PartsQuery {
    /// `x-amz-part-number-marker` and `x-amz-max-parts` (at most 1,000).
    fn from_request(ctx: &Ctx) -> S3Result<Self> {
        let number = |name: &'static str, default: u32| {
            ctx.header(name).map_or(Ok(default), |v| {
                v.trim().parse::<u32>().map_err(|_| {
                    S3Error::invalid_argument(format!(
                        "Provided {name} not an integer or within integer range"
                    ))
                    .with("ArgumentName", name)
                    .with("ArgumentValue", v)
                })
            })
        };
        Ok(Self {
            marker: number("x-amz-part-number-marker", 0)?,
            max: number("x-amz-max-parts", MAX_PARTS)?.min(MAX_PARTS),
        })
    }
}

/// GET `/bucket/key?attributes`. A delete marker answers as it does to a GET:
/// 404 when it is the current version, 405 when named by its version id.
pub async fn get_object_attributes(ctx: Ctx, version_id: Option<String>) -> S3Result<HttpResponse> {
    let wanted = Wanted::parse(
        ctx.req
            .headers()
            .get_all("x-amz-object-attributes")
            .filter_map(|v| v.to_str().ok()),
    )?;
    let parts_query = PartsQuery::from_request(&ctx)?;
    let customer_key = encryption::customer_key_of(&ctx)?;
    let (bucket, key) = (ctx.bucket.clone(), ctx.key.clone());
    let version = ctx
        .engine(move |e| e.head_object(&bucket, &key, version_id.as_deref()))
        .await?;
    if version.is_delete_marker {
        return Err(delete_marker_addressed(&version, "GET"));
    }
    version.check_customer_key(customer_key.as_ref())?;

    let mut w = XmlWriter::new("GetObjectAttributesResponse");
    if wanted.etag {
        // Unquoted here, unlike everywhere else.
        w.elem("ETag", &version.etag);
    }
    if wanted.checksum {
        checksum(&mut w, &version.checksums);
    }
    if wanted.object_parts {
        object_parts(&mut w, &version, &parts_query);
    }
    if wanted.storage_class {
        w.elem("StorageClass", version.storage_class.as_str());
    }
    if wanted.object_size {
        w.elem("ObjectSize", version.size.to_string());
    }
    let mut resp = HttpResponse::Ok();
    resp.insert_header((
        "last-modified",
        crate::dates::http_date(version.last_modified),
    ));
    if let Some(id) = &version.version_id {
        resp.insert_header(("x-amz-version-id", id.as_str()));
    }
    Ok(resp
        .content_type("application/xml")
        .body(w.finish("GetObjectAttributesResponse")))
}

/// `<Checksum>`, absent for an object stored without one. A composite checksum
/// is given without the `-N` part count its headers carry, as AWS gives it here.
fn checksum(w: &mut XmlWriter, checksums: &Checksums) {
    if checksums.values.is_empty() {
        return;
    }
    w.open("Checksum");
    for (alg, value) in &checksums.values {
        let value = match checksums.kind {
            ChecksumType::Composite => value.split_once('-').map_or(value.as_str(), |(v, _)| v),
            ChecksumType::FullObject => value,
        };
        w.elem(&format!("Checksum{}", alg.as_str()), value);
    }
    w.elem("ChecksumType", checksums.kind.as_str())
        .close("Checksum");
}

/// `<ObjectParts>`, for multipart objects only. The parts themselves, paged as
/// ListParts pages them, are listed only when the object has a composite
/// checksum (each part's checksum is then part of the object's); otherwise AWS
/// gives the count alone.
fn object_parts(w: &mut XmlWriter, version: &ObjectVersion, query: &PartsQuery) {
    let Some(parts) = version.parts() else {
        return;
    };
    w.open("ObjectParts")
        .elem("PartsCount", parts.len().to_string());
    let composite_algorithm = match version.checksums.values.first() {
        Some((alg, _)) if version.checksums.kind == ChecksumType::Composite => Some(*alg),
        _ => None,
    };
    if let Some(alg) = composite_algorithm {
        let after: Vec<&ObjectPart> = parts.iter().filter(|p| p.number > query.marker).collect();
        let shown = &after[..after.len().min(query.max as usize)];
        w.elem("PartNumberMarker", query.marker.to_string())
            .opt(
                "NextPartNumberMarker",
                shown.last().map(|p| p.number.to_string()),
            )
            .elem("MaxParts", query.max.to_string())
            .elem("IsTruncated", (shown.len() < after.len()).to_string());
        for part in shown {
            w.open("Part")
                .elem("PartNumber", part.number.to_string())
                .elem("Size", part.size.to_string())
                .opt(&format!("Checksum{}", alg.as_str()), part.checksum.as_ref())
                .close("Part");
        }
    }
    w.close("ObjectParts");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_are_exact_and_at_least_one() {
        let wanted = Wanted::parse(["ETag, ObjectSize", "Checksum"]);
        assert_eq!(
            wanted.ok(),
            Some(Wanted {
                etag: true,
                checksum: true,
                object_size: true,
                ..Default::default()
            })
        );
        for bad in [vec![], vec![" , "], vec!["ETag,etag"], vec!["Size"]] {
            let err = Wanted::parse(bad.clone()).err().map(|e| e.message);
            assert_eq!(
                err.as_deref(),
                Some("Invalid attribute name specified."),
                "{bad:?}"
            );
        }
    }
}
