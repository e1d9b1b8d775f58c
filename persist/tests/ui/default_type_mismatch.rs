#[derive(jangada::Persistable)]
struct A {
    #[jangada(default = "\"text\"")]
    x: i64,
}
fn main() {}
