//! Subcommands of the binary and what they share: passwords, key files, amounts, errors.
pub mod agent;
pub mod bench;
pub mod bench_ocpp;
pub mod bench_reads;
pub mod bench_signin;
pub mod charging;
pub mod key;
pub mod portal;
pub mod ppa;
pub mod query;
pub mod readings;
pub mod tariff;
pub mod tx;

use anyhow::{bail, Context};
use gridledger_sdk::{Client, Keystore};
use gridledger_types::{Hash32, MilliWon, PrivateKey};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Exit status of a transaction that was finalized but failed.
pub const EXIT_TX_FAILED: u8 = 3;

/// Ends the process with `code` without printing anything more (the command already printed
/// what happened).
#[derive(Debug)]
pub struct Exit(pub u8);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit status {}", self.0)
    }
}

impl std::error::Error for Exit {}

/// Prints `error: ...` (for server errors `error: <code>: <message>`) and returns exit status 1,
/// or the status of an [Exit].
pub fn report_error(e: &anyhow::Error) -> std::process::ExitCode {
    if let Some(Exit(code)) = e.downcast_ref::<Exit>() {
        return std::process::ExitCode::from(*code);
    }
    eprintln!("error: {e:#}");
    std::process::ExitCode::FAILURE
}

/// The `--rpc` URL or a clear error.
pub fn client(rpc: Option<&str>) -> anyhow::Result<Client> {
    let Some(rpc) = rpc else {
        bail!("missing --rpc URL (or set GRIDLEDGER_RPC)");
    };
    Ok(Client::new(rpc)?)
}

/// The `--rpc` client, signing its reads with the key file `key` if given (personal records
/// are served only to their owner and the roles entitled to them).
pub fn reading_client(
    rpc: Option<&str>,
    key: Option<&Path>,
    password_file: Option<&PathBuf>,
) -> anyhow::Result<Client> {
    let c = client(rpc)?;
    Ok(match key {
        Some(path) => c.with_signer(load_key(path, password_file)?),
        None => c,
    })
}

/// The first line of `file` (without its line ending).
pub fn password_from_file(file: &Path) -> anyhow::Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(file)
            .with_context(|| format!("reading password file {}", file.display()))?,
    );
    let line = text.lines().next().unwrap_or("");
    Ok(Zeroizing::new(line.to_string()))
}

/// A password from `file` or, without one, from a terminal prompt (asked twice when
/// `confirm`).
pub fn read_password(
    file: Option<&Path>,
    prompt: &str,
    confirm: bool,
) -> anyhow::Result<Zeroizing<String>> {
    if let Some(file) = file {
        return password_from_file(file);
    }
    let first = Zeroizing::new(
        rpassword::prompt_password(prompt)
            .context("cannot prompt for a password (no terminal?); use --password-file")?,
    );
    if confirm {
        let second = Zeroizing::new(
            rpassword::prompt_password("Repeat password: ")
                .context("cannot prompt for a password; use --password-file")?,
        );
        if *first != *second {
            bail!("the passwords do not match");
        }
    }
    Ok(first)
}

/// Loads and decrypts a key file.
pub fn load_key(path: &Path, password_file: Option<&PathBuf>) -> anyhow::Result<PrivateKey> {
    let ks = Keystore::load(path).with_context(|| format!("loading key {}", path.display()))?;
    let password = read_password(
        password_file.map(PathBuf::as_path),
        &format!("Password for {}: ", path.display()),
        false,
    )?;
    ks.decrypt(password.as_bytes())
        .with_context(|| format!("opening key {}", path.display()))
}

/// Parses an amount in won: an integer, or a decimal with at most 3 fraction digits
/// (`1.5` = 1,500 milli-won). Fails on overflow instead of wrapping.
pub fn parse_won(s: &str) -> Result<MilliWon, String> {
    let s = s.trim().replace('_', "");
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s.as_str(), ""),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) {
        return Err(format!(
            "{s:?} is not an amount in won (e.g. 1500 or 12.345)"
        ));
    }
    if frac.len() > 3 {
        return Err(format!(
            "{s:?} has more than 3 decimals (1 milli-won is the smallest unit)"
        ));
    }
    let won: u64 = int.parse().map_err(|_| format!("{s:?} won is too large"))?;
    let frac_mwon: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}")
            .parse()
            .map_err(|_| "bad fraction".to_string())?
    };
    MilliWon::from_won(won)
        .and_then(|m| m.checked_add(MilliWon(frac_mwon)))
        .ok_or_else(|| {
            format!(
                "{s:?} won overflows the milli-won range (max {} mKRW)",
                u64::MAX
            )
        })
}

/// Parses a 32-byte hash in hex (for clap).
pub fn parse_hash(s: &str) -> Result<Hash32, String> {
    Hash32::from_hex(s).map_err(|e| e.to_string())
}

/// `key: value` lines for the top-level fields of a JSON object (nested values as compact
/// JSON), for human output of API views.
pub fn print_fields(value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match v {
                    serde_json::Value::String(s) => println!("{k}: {s}"),
                    serde_json::Value::Null => println!("{k}: -"),
                    other => println!("{k}: {other}"),
                }
            }
        }
        other => println!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn won_to_milli_won() {
        assert_eq!(parse_won("0"), Ok(MilliWon(0)));
        assert_eq!(parse_won("1500"), Ok(MilliWon(1_500_000)));
        assert_eq!(parse_won("1_000"), Ok(MilliWon(1_000_000)));
        assert_eq!(parse_won("1.5"), Ok(MilliWon(1_500)));
        assert_eq!(parse_won("12.345"), Ok(MilliWon(12_345)));
        assert_eq!(parse_won("0.001"), Ok(MilliWon(1)));
        assert_eq!(parse_won("7."), Ok(MilliWon(7_000)));
        // The largest representable amount and one milli-won more.
        let max_won = u64::MAX / 1_000;
        assert_eq!(parse_won(&format!("{max_won}.615")), Ok(MilliWon(u64::MAX)));
        assert!(parse_won(&format!("{max_won}.616")).is_err());
        assert!(parse_won(&(max_won + 1).to_string()).is_err());
        assert!(parse_won("99999999999999999999999").is_err());
        for bad in ["", "-1", "1.2345", "abc", "1e3", ".5", "1.2.3", "+1"] {
            assert!(parse_won(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn password_file_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret\r\nignored\n").unwrap();
        assert_eq!(password_from_file(&p).unwrap().as_str(), "s3cret");
        std::fs::write(&p, "").unwrap();
        assert_eq!(password_from_file(&p).unwrap().as_str(), "");
    }
}
