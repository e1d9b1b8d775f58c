#[derive(jangada::Persistable)]
enum A {
    X,
}
fn main() {}
