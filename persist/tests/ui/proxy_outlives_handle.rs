// A ProxyDataset borrows its handle: it cannot be used after the file is closed.
fn main() -> jangada::Result<()> {
    let proxy = {
        let handle = jangada::open("e.hdf5", jangada::Mode::Read)?;
        handle.proxy("data")?
    };
    let _ = proxy.shape();
    Ok(())
}
