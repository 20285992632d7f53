//! Helpers the native training commands (`paperlab train <lab>`) share: strict command-line parsing (lexopt) and
//! keeping the other models' manifest entries when one model is retrained.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Result};

/// The options of one command, parsed strictly: an unknown option, a missing value, a repeated option or a stray
/// argument is an error that names it and lists what the command accepts; a value that does not parse
/// (`--steps abc`) is an error when it is read ([`Args::value`]).
#[derive(Debug, Default)]
pub struct Args {
    command: String,
    values: BTreeMap<String, String>,
    switches: BTreeSet<String>,
}

impl Args {
    /// Parses `rest` (the words after `train <lab>`) for `command` (used in messages, e.g. "paperlab train verify"),
    /// accepting the value options in `options` (`--out DIR` or `--out=DIR`) and the switches in `switches`
    /// (`--quick`). Names are given without the leading `--`. Values may repeat only for options listed in
    /// `repeatable` (collected in order, read with [`Args::all`]).
    pub fn parse(command: &str, rest: &[&str], options: &[&str], switches: &[&str]) -> Result<Args> {
        Self::parse_with(command, rest, options, switches, &[])
    }

    /// [`Args::parse`] with options that may be given several times (`--set k=v --set k2=v2`).
    pub fn parse_with(command: &str, rest: &[&str], options: &[&str], switches: &[&str], repeatable: &[&str]) -> Result<Args> {
        use lexopt::prelude::*;
        let accepted = || {
            let mut v: Vec<String> = options.iter().chain(repeatable).map(|o| format!("--{o} VALUE")).collect();
            v.extend(switches.iter().map(|s| format!("--{s}")));
            v.join(", ")
        };
        let bad = |detail: String| Error::range("command line", format!("{command}: {detail}; it accepts {}", accepted()));
        let mut p = lexopt::Parser::from_args(rest.iter().map(|s| s.to_string()));
        let mut out = Args { command: command.to_string(), ..Args::default() };
        let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
        while let Some(arg) = p.next().map_err(|e| bad(e.to_string()))? {
            match arg {
                Long(name) if switches.contains(&name) => {
                    if !out.switches.insert(name.to_string()) {
                        return Err(bad(format!("--{name} is given twice")));
                    }
                }
                Long(name) if options.contains(&name) || repeatable.contains(&name) => {
                    let name = name.to_string();
                    let v = p.value().map_err(|_| bad(format!("--{name} needs a value")))?;
                    let v = v.into_string().map_err(|_| bad(format!("--{name}'s value is not valid UTF-8")))?;
                    if repeatable.contains(&name.as_str()) {
                        multi.entry(name).or_default().push(v);
                    } else if out.values.insert(name.clone(), v).is_some() {
                        return Err(bad(format!("--{name} is given twice")));
                    }
                }
                Long(name) => return Err(bad(format!("unknown option --{name}"))),
                Short(c) => return Err(bad(format!("unknown option -{c}"))),
                Value(v) => return Err(bad(format!("unexpected argument '{}'", v.to_string_lossy()))),
            }
        }
        for (k, vs) in multi {
            out.values.insert(k, vs.join("\u{1f}"));
        }
        Ok(out)
    }

    /// The raw value of `--name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Every value of a repeatable option, in order (empty if not given).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.get(name).map(|v| v.split('\u{1f}').collect()).unwrap_or_default()
    }

    /// `--name` parsed as `T`, or `default` when absent. A value that does not parse is an error naming it.
    pub fn value<T: FromStr>(&self, name: &str, default: T) -> Result<T> {
        match self.get(name) {
            None => Ok(default),
            Some(s) => s.trim().parse().map_err(|_| {
                Error::range("command line", format!("{}: --{name} {s:?} is not a valid {}", self.command, std::any::type_name::<T>()))
            }),
        }
    }

    /// A comma-separated `--name` (`--seeds 1,2,3`) parsed as a list of `T`, or `default` when absent.
    pub fn list<T: FromStr>(&self, name: &str, default: Vec<T>) -> Result<Vec<T>> {
        match self.get(name) {
            None => Ok(default),
            Some(s) => s
                .split(',')
                .map(|x| x.trim().parse().map_err(|_| Error::range("command line", format!("{}: --{name}: {x:?} is not valid", self.command))))
                .collect(),
        }
    }

    /// `--name` as a path, or `default` when absent.
    pub fn path(&self, name: &str, default: impl Into<PathBuf>) -> PathBuf {
        self.get(name).map(PathBuf::from).unwrap_or_else(|| default.into())
    }

    /// True when the switch `--name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.switches.contains(name)
    }
}

/// The value after `name` in a command line (`--out DIR` gives `Some("DIR")`); `None` when the flag is absent or
/// has no value after it. Lenient: prefer [`Args`], which rejects unknown options and bad values.
pub fn flag<'a>(rest: &[&'a str], name: &str) -> Option<&'a str> {
    rest.iter().position(|a| *a == name).and_then(|i| rest.get(i + 1).copied())
}

/// With `--only ID`, the entries of the other models, kept from the manifest already at `manifest` (its `models`
/// array, every entry whose `id` is not `ID`), so retraining one model leaves the others' numbers in place. Empty
/// without `--only`, or when there is no readable manifest yet.
pub fn kept_entries(manifest: &Path, only: Option<&str>) -> Vec<serde_json::Value> {
    match (only, std::fs::read(manifest)) {
        (Some(o), Ok(b)) => serde_json::from_slice::<serde_json::Value>(&b)
            .ok()
            .and_then(|v| v["models"].as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["id"].as_str() != Some(o))
            .collect(),
        _ => Vec::new(),
    }
}

/// `paperlab bench`: GEMM GFLOP/s of the crate's kernel at the sizes the labs use (1 thread, or all with feature
/// `parallel`).
///
/// # Errors
/// Only if a product's shapes were wrong (they are fixed here).
pub fn gemm_bench() -> Result<()> {
    use crate::kernels::gemm::{gemm, MatRef};
    println!("GEMM, {} threads, lanes {}", crate::par::threads(), crate::kernels::lanes());
    for &(m, k, n) in &[(64, 64, 64), (128, 128, 128), (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (256, 784, 100), (2000, 100, 784)] {
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.1).collect();
        let mut c = vec![0.0f32; m * n];
        let reps = ((2e9 / (2.0 * (m * n * k) as f64)) as usize).clamp(1, 1000);
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            for _ in 0..reps {
                gemm(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, &mut c, n, 1)?;
            }
            best = best.min(t.elapsed().as_secs_f64() / reps as f64);
        }
        println!("  {m:5}x{k:5}x{n:5}: {:7.2} GFLOP/s", 2.0 * (m * n * k) as f64 / best / 1e9);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Args;

    #[test]
    fn strict_parsing_names_what_is_wrong() {
        let a = Args::parse("t", &["--out", "d", "--quick", "--steps=12"], &["out", "steps"], &["quick"]).unwrap();
        assert_eq!((a.get("out"), a.has("quick"), a.value("steps", 0usize).unwrap()), (Some("d"), true, 12));
        assert_eq!(a.value("missing", 7u32).unwrap(), 7);
        let e = |r: crate::Result<Args>| r.unwrap_err().to_string();
        assert!(e(Args::parse("t", &["--stpes", "3"], &["steps"], &[])).contains("unknown option --stpes"));
        assert!(e(Args::parse("t", &["--steps"], &["steps"], &[])).contains("--steps needs a value"));
        assert!(e(Args::parse("t", &["--steps", "1", "--steps", "2"], &["steps"], &[])).contains("given twice"));
        assert!(e(Args::parse("t", &["stray"], &["steps"], &[])).contains("unexpected argument 'stray'"));
        let bad = Args::parse("t", &["--steps", "abc"], &["steps"], &[]).unwrap();
        assert!(bad.value("steps", 0usize).unwrap_err().to_string().contains("--steps \"abc\" is not a valid"));
        let m = Args::parse_with("t", &["--set", "a=1", "--set", "b=2", "--seeds", "1, 2"], &["seeds"], &[], &["set"]).unwrap();
        assert_eq!(m.all("set"), ["a=1", "b=2"]);
        assert_eq!(m.list("seeds", vec![9u64]).unwrap(), [1, 2]);
        assert!(m.list::<u64>("set", vec![]).is_err());
    }
}
