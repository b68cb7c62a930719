//! `gridledger key new|show`
use super::{load_key, read_password};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use gridledger_sdk::{generate_key, KdfParams, Keystore};
use gridledger_types::{Address, Encode};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Generate a key and write it to an encrypted key file; prints `address <hex>`.
    New(NewArgs),
    /// Print a key file's address (after checking the password opens it).
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Where to write the key file (mode 0600).
    #[arg(long)]
    pub out: PathBuf,
    /// Read the password from the first line of this file instead of prompting.
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Allow an empty password (the key is then only obfuscated, not protected).
    #[arg(long)]
    pub insecure_empty_password: bool,
    /// Replace an existing file at --out.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(long)]
    pub key: PathBuf,
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Accepted for compatibility; the secret is still never printed without --reveal-secret.
    #[arg(long)]
    pub private: bool,
    /// Also print the secret seed in hex (`secret <hex>`). Anyone who sees it controls the key.
    #[arg(long)]
    pub reveal_secret: bool,
}

pub async fn run(cmd: KeyCmd) -> anyhow::Result<()> {
    match cmd {
        KeyCmd::New(a) => new(a),
        KeyCmd::Show(a) => show(a),
    }
}

fn new(a: NewArgs) -> anyhow::Result<()> {
    if a.out.exists() && !a.force {
        bail!(
            "{} already exists (refusing to overwrite; pass --force to replace it)",
            a.out.display()
        );
    }
    let password = read_password(a.password_file.as_deref(), "New password: ", true)?;
    if password.is_empty() && !a.insecure_empty_password {
        bail!("empty password refused (pass --insecure-empty-password to allow it)");
    }
    let key = generate_key()?;
    let ks = Keystore::encrypt(&key, password.as_bytes(), KdfParams::default())?;
    ks.save(&a.out, a.force)
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!("address {}", Address::of(&key));
    eprintln!("wrote {}", a.out.display());
    Ok(())
}

fn show(a: ShowArgs) -> anyhow::Result<()> {
    let key = load_key(&a.key, a.password_file.as_ref())?;
    println!("address {}", Address::of(&key));
    if a.reveal_secret {
        eprintln!(
            "warning: the line below is the secret key; anyone who sees it controls the account"
        );
        let seed = zeroize::Zeroizing::new(hex::encode(key.encode()));
        println!("secret {}", seed.as_str());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(subcommand)]
        cmd: KeyCmd,
    }

    #[test]
    fn parses() {
        let t =
            T::try_parse_from(["t", "new", "--out", "k.json", "--password-file", "pw"]).unwrap();
        let KeyCmd::New(a) = t.cmd else { panic!() };
        assert_eq!(a.out, PathBuf::from("k.json"));
        assert_eq!(a.password_file, Some(PathBuf::from("pw")));
        assert!(!a.insecure_empty_password && !a.force);
        let t = T::try_parse_from(["t", "show", "--key", "k.json", "--reveal-secret"]).unwrap();
        let KeyCmd::Show(a) = t.cmd else { panic!() };
        assert!(a.reveal_secret && !a.private);
        assert!(T::try_parse_from(["t", "new"]).is_err());
        assert!(T::try_parse_from(["t", "show"]).is_err());
    }

    #[tokio::test]
    async fn new_then_show_with_password_file() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "hunter2\n").unwrap();
        let out = dir.path().join("k.json");
        let args = |out: &PathBuf| NewArgs {
            out: out.clone(),
            password_file: Some(pw.clone()),
            insecure_empty_password: false,
            force: false,
        };
        run(KeyCmd::New(args(&out))).await.unwrap();
        // No overwrite without --force.
        assert!(run(KeyCmd::New(args(&out))).await.is_err());
        let ks = Keystore::load(&out).unwrap();
        let key = load_key(&out, Some(&pw)).unwrap();
        assert_eq!(&Address::of(&key), ks.address());
        // Wrong password.
        let bad = dir.path().join("bad");
        std::fs::write(&bad, "nope\n").unwrap();
        assert!(load_key(&out, Some(&bad)).is_err());
        // Empty password refused unless asked for.
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let mut a = args(&dir.path().join("k2.json"));
        a.password_file = Some(empty);
        assert!(run(KeyCmd::New(a)).await.is_err());
        assert!(!dir.path().join("k2.json").exists());
    }
}
