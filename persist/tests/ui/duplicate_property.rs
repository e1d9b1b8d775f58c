#[derive(jangada::Persistable)]
struct A {
    x: i64,
    #[jangada(rename = "x")]
    y: i64,
}
fn main() {}
