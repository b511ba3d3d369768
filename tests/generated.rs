//! The committed man page and completions must match the clap definition, and the JSON Schemas
//! under `schema/` the typed report model.
//! Refresh them with: `SMTPDOCTOR_REGENERATE=1 cargo test --test main generated::`.

use std::path::Path;

#[test]
fn man_page_and_completions_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("SMTPDOCTOR_REGENERATE").is_some() {
        smtpdoctor::cli::write_generated(root).expect("write generated files");
    }
    let mut stale = Vec::new();
    for (rel, want) in smtpdoctor::cli::generated_files() {
        match std::fs::read(root.join(&rel)) {
            Ok(have) if have == want => {}
            _ => stale.push(rel),
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}\nrefresh them with: SMTPDOCTOR_REGENERATE=1 cargo test --test main generated::"
    );
}

#[test]
fn json_schemas_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("SMTPDOCTOR_REGENERATE").is_some() {
        smtpdoctor::report::schema::write_schemas(root).expect("write the schemas");
    }
    let mut stale = Vec::new();
    for (rel, want) in smtpdoctor::report::schema::schema_files() {
        match std::fs::read(root.join(&rel)) {
            Ok(have) if have == want => {}
            _ => stale.push(rel),
        }
    }
    assert!(
        stale.is_empty(),
        "stale JSON Schemas: {stale:?}\nrefresh them with: SMTPDOCTOR_REGENERATE=1 cargo test --test main generated::"
    );
}
