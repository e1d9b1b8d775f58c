#[derive(jangada::Persistable)]
struct A {
    #[jangada(skip, writeonce)]
    x: i64,
}
fn main() {}
