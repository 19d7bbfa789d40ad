//! The console's files, embedded in the binary at build time (no Node needed
//! to build: they are plain HTML, CSS and JavaScript modules in
//! `server/console/`, served as they are).

/// A file of the console: its content type and bytes.
pub struct Asset {
    pub content_type: &'static str,
    pub body: &'static [u8],
}

impl Asset {
    /// A strong entity tag of the bytes: the same for the same file of the same
    /// binary, so a browser revalidates with `If-None-Match` and gets 304.
    pub fn etag(&self) -> String {
        use std::hash::{DefaultHasher, Hasher};
        let mut hasher = DefaultHasher::new();
        hasher.write(self.body);
        format!("\"{:016x}\"", hasher.finish())
    }
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

macro_rules! files {
    ($($path:literal => $type:expr),* $(,)?) => {
        &[$(($path, $type, include_bytes!(concat!("../../../console/", $path)))),*]
    };
}

/// Every file, by its path below the console's root.
static FILES: &[(&str, &str, &[u8])] = files! {
    "index.html" => HTML,
    "app.css" => CSS,
    "js/main.js" => JS,
    "js/api.js" => JS,
    "js/dom.js" => JS,
    "js/buckets.js" => JS,
    "js/objects.js" => JS,
    "js/object.js" => JS,
    "js/uploads.js" => JS,
    "js/settings.js" => JS,
    "js/iam.js" => JS,
    "js/dashboard.js" => JS,
    "js/chart.js" => JS,
};

/// The file at `path` below the console's root; the page itself for `""`.
pub fn get(path: &str) -> Option<Asset> {
    let path = if path.is_empty() { "index.html" } else { path };
    FILES
        .iter()
        .find(|(name, _, _)| *name == path)
        .map(|&(_, content_type, body)| Asset { content_type, body })
}

#[cfg(test)]
mod tests {
    /// Every module a module imports is embedded: a missing one would break
    /// the page only in the browser.
    #[test]
    fn every_imported_module_is_embedded() {
        for (name, _, body) in super::FILES {
            let text = String::from_utf8_lossy(body);
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let Some(target) = line.split('\'').nth(1) else {
                    continue;
                };
                let path = format!("js/{}", target.trim_start_matches("./"));
                assert!(super::get(&path).is_some(), "{name} imports {path}");
            }
        }
        assert!(super::get("js/main.js").is_some());
    }
}
