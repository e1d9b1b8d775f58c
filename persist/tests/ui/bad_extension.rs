#[derive(jangada::Persistable)]
#[jangada(extension = "h5")]
struct A {
    x: i64,
}
fn main() {}
