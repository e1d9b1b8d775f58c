#[derive(jangada::Persistable)]
struct A {
    #[jangada(defualt = 1)]
    x: i64,
}
fn main() {}
