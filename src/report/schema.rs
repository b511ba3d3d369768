//! JSON Schemas of the report documents (`smtpdoctor.report/v1`, `smtpdoctor.client-report/v1`),
//! generated from the typed model of [`super::document`] and [`super::client`] with schemars, for
//! the serialized form (what `--json` writes). Committed under `schema/`; a test fails when they
//! are stale (refresh: `SMTPDOCTOR_REGENERATE=1 cargo test --test main generated::`).

use super::client::{CLIENT_SCHEMA, ClientDocument};
use super::document::{Document, SCHEMA};
use schemars::generate::SchemaSettings;
use std::path::{Path, PathBuf};

/// The schema of a document type, titled with its `schema` value, which it also fixes.
fn schema_of<T: schemars::JsonSchema>(id: &str) -> serde_json::Value {
    let generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let mut v = generator.into_root_schema_for::<T>().to_value();
    v["title"] = id.into();
    v["properties"]["schema"]["const"] = id.into();
    v
}

/// The schema of `smtpdoctor.report/v1`.
pub fn report_schema() -> serde_json::Value {
    schema_of::<Document<'static>>(SCHEMA)
}

/// The schema of `smtpdoctor.client-report/v1`.
pub fn client_report_schema() -> serde_json::Value {
    schema_of::<ClientDocument<'static>>(CLIENT_SCHEMA)
}

/// Each schema file (relative to the repository root) with its content.
pub fn schema_files() -> Vec<(PathBuf, Vec<u8>)> {
    [
        ("schema/smtpdoctor.report.v1.schema.json", report_schema()),
        (
            "schema/smtpdoctor.client-report.v1.schema.json",
            client_report_schema(),
        ),
    ]
    .into_iter()
    .map(|(path, v)| {
        let mut text = serde_json::to_vec_pretty(&v).expect("a schema serializes");
        text.push(b'\n');
        (PathBuf::from(path), text)
    })
    .collect()
}

/// Writes the schema files under `root`.
pub fn write_schemas(root: &Path) -> std::io::Result<()> {
    for (rel, text) in schema_files() {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}
