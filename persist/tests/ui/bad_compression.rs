use ndarray::ArrayD;

#[derive(jangada::Persistable)]
struct Level {
    #[jangada(compression = 12)]
    data: ArrayD<f64>,
}

#[derive(jangada::Persistable)]
struct NotAPipeline {
    #[jangada(compression = true)]
    data: ArrayD<f64>,
}

fn main() {}
