struct NotPersistable;

#[derive(jangada::Persistable)]
struct A {
    #[jangada(default = NotPersistable)]
    x: NotPersistable,
}
fn main() {}
