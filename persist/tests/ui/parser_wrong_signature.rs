fn parse(v: String) -> Result<String, String> {
    Ok(v)
}

#[derive(jangada::Persistable)]
struct A {
    #[jangada(parser = parse)]
    x: i64,
}
fn main() {}
