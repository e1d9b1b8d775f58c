#[derive(jangada::Persistable)]
struct A(i64);
fn main() {}
