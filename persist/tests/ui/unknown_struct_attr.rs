#[derive(jangada::Persistable)]
#[jangada(klass = "m.A")]
struct A {
    x: i64,
}
fn main() {}
