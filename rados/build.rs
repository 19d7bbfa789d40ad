//! Generates the FFI declarations of librados from the installed header
//! (Debian: librados-dev) and links librados.

use std::path::PathBuf;

fn main() {
    let header = std::env::var("HORREO_LIBRADOS_HEADER")
        .unwrap_or_else(|_| "/usr/include/rados/librados.h".to_owned());
    println!("cargo:rerun-if-changed={header}");
    println!("cargo:rerun-if-env-changed=HORREO_LIBRADOS_HEADER");
    println!("cargo:rustc-link-lib=rados");
    let bindings = match bindgen::Builder::default()
        .header(&header)
        .allowlist_function("rados_.*")
        .allowlist_var("LIBRADOS_.*")
        .allowlist_type("rados_.*")
        .generate_comments(false)
        .layout_tests(false)
        .generate()
    {
        Ok(b) => b,
        Err(e) => panic!(
            "cannot generate bindings from {header} ({e}): install librados-dev \
             (the RADOS backend needs it; the default build does not)"
        ),
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_owned()));
    if let Err(e) = bindings.write_to_file(out.join("librados.rs")) {
        panic!("cannot write librados.rs: {e}");
    }
}
