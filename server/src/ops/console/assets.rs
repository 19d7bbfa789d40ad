//! The console's files, embedded in the binary at build time (no Node needed
//! to build: they are plain HTML, CSS and JavaScript in `server/console/`).

/// A file of the console: its content type and bytes.
pub struct Asset {
    pub content_type: &'static str,
    pub body: &'static [u8],
}

/// The file at `path` below `/_horreo/console/`; the page itself for `""`.
pub fn get(path: &str) -> Option<Asset> {
    let (content_type, body): (&str, &[u8]) = match path {
        "" | "index.html" => (
            "text/html; charset=utf-8",
            include_bytes!("../../../console/index.html"),
        ),
        "app.js" => (
            "text/javascript; charset=utf-8",
            include_bytes!("../../../console/app.js"),
        ),
        "app.css" => (
            "text/css; charset=utf-8",
            include_bytes!("../../../console/app.css"),
        ),
        _ => return None,
    };
    Some(Asset { content_type, body })
}
