//! Compile-fail tests of `#[derive(Persistable)]` misuse, and of a `ProxyDataset` used after
//! its handle closed the file (trybuild). The expected compiler
//! output is in `tests/ui/*.stderr`; regenerate with `TRYBUILD=overwrite`.

#[test]
fn derive_misuse_is_a_compile_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
