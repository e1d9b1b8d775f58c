//! The `jangada` command-line tool.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "jangada",
    version,
    about = "Inspect HDF5 and jangada files (pure Rust, no libhdf5)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every object recursively, like `h5ls -r`.
    Ls {
        /// The HDF5 file.
        file: PathBuf,
        /// Start at this path inside the file.
        path: Option<String>,
    },
    /// Dump the raw tree.
    Dump {
        /// Print JSON (the only format; required so that the output format is explicit).
        #[arg(long)]
        json: bool,
        /// The HDF5 file.
        file: PathBuf,
    },
    /// Print the value a jangada file holds, as value JSON.
    Show {
        /// Print JSON (the only format; required so that the output format is explicit).
        #[arg(long)]
        json: bool,
        /// The jangada file.
        file: PathBuf,
    },
    /// Verify every structure, checksum and object of an HDF5 file, like `h5check`: prints
    /// each problem with its object path and byte offset, then a summary. Exit status 0:
    /// valid (warnings allowed), 1: problems found, 2: the file could not be opened.
    Check {
        /// The HDF5 file.
        file: PathBuf,
    },
    /// Write value JSON as a jangada file (nothing is written if the input is malformed).
    Write {
        /// Read value JSON (the only input format; required).
        #[arg(long)]
        json: bool,
        /// Compress every array dataset with this filter pipeline, e.g. "gzip:4",
        /// "shuffle,zstd:3", "bitshuffle:lz4", "bzip2:9" (see `jangada::Compression`).
        #[arg(long, value_name = "PIPELINE")]
        compression: Option<String>,
        /// The value JSON file.
        input: PathBuf,
        /// The jangada file to write (replaced if it exists; no extension is added).
        output: PathBuf,
    },
}

/// Exit status of `check` when problems were found.
const EXIT_PROBLEMS: u8 = 1;
/// Exit status for usage errors and unreadable files.
const EXIT_USAGE: u8 = 2;

fn check(file: &std::path::Path) -> ExitCode {
    match jangada::cli::check::check_file(file) {
        Ok(report) => {
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{}", jangada::cli::check::render(&report));
            if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_PROBLEMS)
            }
        }
        Err(e) => {
            eprintln!("jangada: {}: {e}", file.display());
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// `dump --json`: the JSON streamed to stdout; objects that cannot be read are printed with
/// an `"error"` member and make the command fail (status 1) once everything is printed.
fn dump(file: &std::path::Path) -> Result<(), String> {
    let h5 = jangada_hdf5::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let report = jangada::cli::dump::dump_to(&h5, &mut out)
        .and_then(|r| writeln!(out).and_then(|()| out.flush()).map(|()| r))
        .map_err(|e| format!("{}: {e}", file.display()))?;
    match report.errors {
        0 => Ok(()),
        n => Err(format!(
            "{}: {n} object{} could not be read (see the \"error\" members)",
            file.display(),
            if n == 1 { "" } else { "s" }
        )),
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        // Handled in `main` (its own exit codes).
        Command::Check { .. } => Ok(()),
        Command::Ls { file, path } => {
            let text = jangada::cli::ls::list(&file, path.as_deref())
                .map_err(|e| format!("{}: {e}", file.display()))?;
            print!("{text}");
            Ok(())
        }
        Command::Dump { json, file } => {
            if !json {
                return Err("only JSON output exists: pass --json".into());
            }
            dump(&file)
        }
        Command::Show { json, file } => {
            if !json {
                return Err("only JSON output exists: pass --json".into());
            }
            let value = jangada::cli::show::show_file(&file)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            let text = serde_json::to_string(&value).map_err(|e| e.to_string())?;
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not worth a panic.
            let _ = writeln!(out, "{text}");
            Ok(())
        }
        Command::Write {
            json,
            compression,
            input,
            output,
        } => {
            if !json {
                return Err("only JSON input exists: pass --json".into());
            }
            let compression = compression
                .map(|spec| spec.parse::<jangada::Compression>())
                .transpose()
                .map_err(|e| e.to_string())?;
            jangada::cli::write::write_file_compressed(&input, &output, compression)
                .map_err(|e| format!("{}: {e}", input.display()))?;
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    // Usage errors exit with status 2 (clap's convention, which `check` shares).
    let cli = Cli::parse();
    if let Command::Check { file } = &cli.command {
        return check(file);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jangada: {e}");
            ExitCode::FAILURE
        }
    }
}
