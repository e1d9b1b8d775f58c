//! jangada's quickstart in Rust: define a persistable class, save, load, open lazily,
//! slice, append, auto-resize, nested objects.
//!
//! ```text
//! cargo run --release --example quickstart [-- OUTPUT_FOLDER]
//! ```
//!
//! Writes `experiment.hdf5` and `nested.hdf5` into OUTPUT_FOLDER (default: a fresh folder
//! in the system's temporary directory); Python jangada opens both:
//! `jangada.serialization.load("…/experiment.hdf5")`.

use std::path::PathBuf;

use jangada::{DatetimeIndex, Mode, Persistable, SliceArg, Timestamp};
use ndarray::Array1;

/// The seed's `Experiment(Persistable)` with `name`, `temperature` and `data`.
#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "__main__.Experiment")]
struct Experiment {
    #[jangada(default = "\"\"")]
    name: String,
    #[jangada(default = 293.15)]
    temperature: f64,
    #[jangada(default_fn = no_data)]
    data: Array1<f64>,
}

fn no_data() -> Array1<f64> {
    Array1::zeros(0)
}

/// The seed's nested example: an experiment holding a list of measurements.
#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "__main__.Measurement")]
struct Measurement {
    timestamp: Option<Timestamp>,
    value: f64,
}

#[derive(Persistable, Debug, Clone, PartialEq)]
#[jangada(class = "__main__.Survey")]
struct Survey {
    #[jangada(default = "\"\"")]
    name: String,
    measurements: Vec<Measurement>,
    times: Option<DatetimeIndex>,
}

const DAY: i64 = 86_400 * 1_000_000_000;
/// 2024-01-01T00:00Z in nanoseconds.
const JAN_1: i64 = 1_704_067_200 * 1_000_000_000;

fn main() -> jangada::Result<()> {
    let dir = match std::env::args().nth(1) {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join(format!("jangada-quickstart-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;

    // ---- Save and load ------------------------------------------------------------
    let exp = Experiment {
        name: "Test1".into(),
        temperature: 373.15,
        data: (0..100).map(f64::from).collect(),
    };
    let path = exp.save(dir.join("experiment"))?; // adds ".hdf5"
    println!("saved {}", path.display());
    let loaded = Experiment::load(&path)?;
    assert_eq!(loaded, exp);
    println!(
        "loaded: name={:?} temperature={} data: {} values",
        loaded.name,
        loaded.temperature,
        loaded.data.len()
    );

    // ---- Lazy access (Python: `with Experiment(path, mode='r') as exp:`) ------------
    {
        let f = Experiment::open(&path, Mode::Read)?;
        let data = f.data()?; // a ProxyDataset: nothing read yet
        println!(
            "lazy: shape={:?} dtype={} ndim={} size={} nbytes={}",
            data.shape(),
            data.dtype(),
            data.ndim(),
            data.size(),
            data.nbytes()
        );
        println!("data[10:20] = {}", data.get::<f64>(10..20)?); // reads only these
        println!(
            "data[90::4] = {}",
            data.get::<f64>(SliceArg::Slice {
                start: Some(90),
                stop: None,
                step: 4
            })?
        );
        println!("name={:?} temperature={}", f.name()?, f.temperature()?);
        // Writing in mode "r" is refused.
        if let Err(e) = data.set_scalar(0, 1.0) {
            println!("mode r: {e}");
        }
    } // the file closes here

    // ---- Append in r+, several sessions (Python: `exp.data.append(...)`) -------------
    for session in 0..3 {
        let f = Experiment::open(&path, "r+".parse()?)?;
        let new = Array1::from_elem(10, f64::from(session) + 0.5);
        f.data()?.append(&new)?;
        println!(
            "r+ session {session}: appended 10, shape now {:?}",
            f.data()?.shape()
        );
    }

    // ---- Modify and auto-resize -------------------------------------------------------
    {
        let f = Experiment::open(&path, Mode::ReadWrite)?;
        let data = f.data()?;
        data.set_scalar(50, 99.9)?;
        data.set(10..20, &Array1::<f64>::zeros(10))?;
        println!("before auto-resize: shape {:?}", data.shape());
        data.set_scalar(200, 99.9)?; // past the end: the dataset grows
        println!("after data[200] = 99.9: shape {:?}", data.shape());
        println!("data[198:201] = {}", data.get::<f64>(198..201)?);
        f.set_temperature(300.0)?; // a scalar property, written as an attribute
                                   // A wrong element type is refused with a clear error.
        if let Err(e) = data.append(&Array1::from_elem(2, 1_i64)) {
            println!("append int64 to float64: {e}");
        }
    }
    let reloaded = Experiment::load(&path)?;
    println!(
        "reloaded: temperature={} data length={} data[50]={}",
        reloaded.temperature,
        reloaded.data.len(),
        reloaded.data.get(50).copied().unwrap_or(f64::NAN)
    );

    // ---- Nested objects -----------------------------------------------------------------
    let paris = Some("Europe/Paris".to_string());
    let survey = Survey {
        name: "Multi-point".into(),
        measurements: [1.2, 3.4, 5.6]
            .into_iter()
            .zip(0..)
            .map(|(value, day)| Measurement {
                timestamp: Some(Timestamp {
                    ns: JAN_1 + day * DAY,
                    tz: None,
                }),
                value,
            })
            .collect(),
        times: Some(DatetimeIndex {
            ns: vec![JAN_1, JAN_1 + DAY],
            tz: paris.clone(),
        }),
    };
    let nested = survey.save(dir.join("nested"))?;
    let back = Survey::load(&nested)?;
    let first = back.measurements.first().map(|m| m.value);
    assert_eq!((back.measurements.len(), first), (3, Some(1.2)));
    println!(
        "nested: {} measurements, first value {first:?}",
        back.measurements.len()
    );
    {
        let f = Survey::open(&nested, Mode::ReadWrite)?;
        let times = f
            .times()?
            .ok_or(jangada::Error::Format("times is None".into()))?;
        times.append_timestamps(&DatetimeIndex {
            ns: vec![JAN_1 + 2 * DAY],
            tz: paris,
        })?;
        println!(
            "times: shape {:?}, zone {:?}",
            times.shape(),
            times.timezone()
        );
        let utc = DatetimeIndex {
            ns: vec![JAN_1 + 3 * DAY],
            tz: Some("UTC".into()),
        };
        if let Err(e) = times.append_timestamps(&utc) {
            println!("append UTC times: {e}");
        }
        let stamp = f.proxy("measurements/1/timestamp")?;
        println!("measurements[1].timestamp = {:?}", stamp.load()?);
    }
    println!("done: files in {}", dir.display());
    Ok(())
}
