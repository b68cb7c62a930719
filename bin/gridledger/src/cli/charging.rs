//! `gridledger charging ...`: the charging operator's member service through the node's HTTP
//! API (`/api/v1/charging/...`, via the SDK): members, chargers and their secrets, sessions,
//! revenue, and the keypad flow of a charger (certify, prepay, stop) for testing without one.
//!
//! Secrets never come from the command line: member passwords from `--password-file` or a
//! prompt, the operator's bearer token from `--token-file` or `GRIDLEDGER_CHARGING_TOKEN`, a
//! charger's secret from `--secret-file`. None of them is printed, except a new charger secret,
//! which is shown once (or written to `--out`).
use super::tx::{parse_card, parse_charger, Amount};
use super::{parse_won, password_from_file, read_password, reading_client, Exit};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use gridledger_sdk::{
    api::{
        AutoChargeBody, CertifyBody, CertifyOutcome, PrepayBody, RevenueFilter, SessionFilter,
        StopBody, SESSIONS_MAX_LIMIT,
    },
    BasicAuth, Client,
};
use gridledger_types::{ChargerId, MilliWon, StopReason, MAX_CONNECTORS};
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use zeroize::{Zeroize, Zeroizing};

/// Environment variable holding the operator's bearer token when `--token-file` is not given.
pub const TOKEN_ENV: &str = "GRIDLEDGER_CHARGING_TOKEN";

#[derive(Debug, Args)]
pub struct ChargingCmd {
    #[command(subcommand)]
    pub what: ChargingSub,
    /// Node API base URL, e.g. http://127.0.0.1:8080 (a node running the charging service).
    #[arg(long, global = true, env = "GRIDLEDGER_RPC")]
    pub rpc: Option<String>,
    /// Print the API's JSON instead of lines.
    #[arg(long, global = true)]
    pub json: bool,
    /// Sign the reads (member, sessions, session, revenue) with this encrypted key file: a
    /// member sees itself and its sessions, a charging operator its members (with cards),
    /// sessions and revenue; the operator, bank and auditor everything but cards.
    #[arg(long, global = true, env = "GRIDLEDGER_KEY")]
    pub key: Option<PathBuf>,
    /// Read the --key file's password from the first line of this file instead of prompting
    /// (`--password-file` is the member's password on the keypad commands).
    #[arg(long, global = true)]
    pub key_password_file: Option<PathBuf>,
}

/// The charging operator's bearer token (operator routes).
#[derive(Debug, Args)]
pub struct TokenArg {
    /// File whose first line is the charging operator's bearer token (devnet:
    /// keys/charging-token.txt); default: the environment variable GRIDLEDGER_CHARGING_TOKEN.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
}

/// A charger's HTTP Basic credentials (keypad routes): its id and the secret issued for it.
#[derive(Debug, Args)]
pub struct ChargerAuth {
    /// The charger acting (its id is the Basic user name).
    #[arg(long, value_parser = parse_charger)]
    pub charger: ChargerId,
    /// File whose first line is the charger's secret (from `gridledger charging
    /// charger-secret`).
    #[arg(long)]
    pub secret_file: PathBuf,
}

/// A member and its password (from a file or a prompt).
#[derive(Debug, Args)]
pub struct MemberLogin {
    /// The member number (e.g. 10000001).
    #[arg(long)]
    pub member_no: u64,
    /// Read the member's password from the first line of this file instead of prompting.
    #[arg(long)]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ChargingSub {
    /// Operator: sign up a member (a new wallet with a password); prints its member number
    /// and address (top it up with `tx mint`).
    Signup {
        /// RFID card / OCPP idTag of the member.
        #[arg(long, value_parser = parse_card)]
        card: Option<String>,
        /// Read the new member's password (6-64 characters) from the first line of this file
        /// instead of prompting (twice).
        #[arg(long)]
        password_file: Option<PathBuf>,
        #[command(flatten)]
        token: TokenArg,
    },
    /// A member: status, expiry, card, open session, auto-charge, balance, lockout.
    Member { member_no: u64 },
    /// Operator: clear a member's wrong-password counts and locks (every charger's and
    /// address's, and the shared one).
    Unlock {
        member_no: u64,
        #[command(flatten)]
        token: TokenArg,
    },
    /// Every charger: terms, online, last seen.
    Chargers,
    /// One charger: terms, online state of its connectors, whether it has a secret.
    Charger {
        #[arg(value_parser = parse_charger)]
        charger: ChargerId,
    },
    /// Operator: issue a new secret for a charger's OCPP / keypad Basic authentication
    /// (replaces the old one; shown once).
    ChargerSecret {
        #[arg(value_parser = parse_charger)]
        charger: ChargerId,
        /// Write the secret to this new file (mode 0600) instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        token: TokenArg,
    },
    /// Sessions, newest first.
    Sessions {
        /// open (prepaid), finished (cancelled or settled) or refunded.
        #[arg(long, value_parser = ["open", "finished", "refunded"])]
        state: Option<String>,
        #[arg(long, value_parser = parse_charger)]
        charger: Option<ChargerId>,
        /// Member number.
        #[arg(long)]
        member: Option<u64>,
        /// At most this many (1-1000; default 100).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=SESSIONS_MAX_LIMIT as u64))]
        limit: Option<u64>,
    },
    /// One session with its prepay, cancel and settle transactions.
    Session {
        #[arg(value_parser = parse_charger)]
        charger: ChargerId,
        session: u64,
    },
    /// Operator: end a session from the back office (RemoteStop if the charger is online,
    /// else settle at its last known meter).
    SoftStop {
        #[arg(value_parser = parse_charger)]
        charger: ChargerId,
        session: u64,
        #[command(flatten)]
        token: TokenArg,
    },
    /// Revenue per charger and day (KST), and the total.
    Revenue {
        #[arg(long, value_parser = parse_charger)]
        charger: Option<ChargerId>,
        /// First day, YYYY-MM-DD (KST, inclusive).
        #[arg(long, value_parser = parse_day)]
        from: Option<u32>,
        /// Last day, YYYY-MM-DD (KST, inclusive).
        #[arg(long, value_parser = parse_day)]
        to: Option<u32>,
    },
    /// A member authorises the operator to prepay up to a cap per session at RFID-only
    /// chargers (cap 0 revokes).
    AutoCharge {
        #[command(flatten)]
        member: MemberLogin,
        /// Largest prepayment per session, in won (0 revokes).
        #[arg(long, value_parser = parse_won)]
        cap_won: MilliWon,
        /// The authorisation ends at this time: ms since the epoch or RFC 3339 (default:
        /// never).
        #[arg(long, value_parser = crate::time_arg::parse_time_ms)]
        valid_until: Option<u64>,
    },
    /// Keypad, as a charger: check a member's password (exits 1 unless accepted).
    Certify {
        #[command(flatten)]
        auth: ChargerAuth,
        #[command(flatten)]
        member: MemberLogin,
    },
    /// Keypad, as a charger: a member prepays a session on a connector (answers after the
    /// hold is final; prints the session number).
    Prepay {
        #[command(flatten)]
        auth: ChargerAuth,
        /// Connector number (1-8).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=i64::from(MAX_CONNECTORS)))]
        connector: u8,
        #[command(flatten)]
        member: MemberLogin,
        #[command(flatten)]
        amount: Amount,
    },
    /// Keypad, as a charger: the session ended; the cost is charged and the rest released in
    /// the background (see `charging session`).
    Stop {
        #[command(flatten)]
        auth: ChargerAuth,
        #[arg(long)]
        session: u64,
        /// Energy delivered, Wh.
        #[arg(long)]
        energy_wh: u64,
        /// Minutes the car stayed plugged in after charging.
        #[arg(long, default_value_t = 0)]
        idle_min: u32,
        /// local, remote, limit_reached, ev_disconnected, never_started, soft_stop or other
        /// (default local).
        #[arg(long, value_parser = parse_stop_reason)]
        reason: Option<StopReason>,
        /// Wait until the session is settled (or refunded) and print it.
        #[arg(long)]
        wait: bool,
        /// How long --wait waits.
        #[arg(long, default_value_t = 60)]
        wait_timeout_secs: u64,
    },
}

/// `YYYY-MM-DD` as `YYYYMMDD` (for clap).
pub fn parse_day(s: &str) -> Result<u32, String> {
    let bad = || format!("'{s}' is not a day: YYYY-MM-DD, e.g. 2026-06-01");
    let b = s.as_bytes();
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !s
            .bytes()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return Err(bad());
    }
    // The calendar check is the API's own (the same rule the revenue route applies).
    gridledger_api::params::parse_day(&s.replace('-', "")).map_err(|_| bad())
}

/// A stop reason (for clap).
pub fn parse_stop_reason(s: &str) -> Result<StopReason, String> {
    s.parse().map_err(|_| {
        let all: Vec<&str> = StopReason::ALL.iter().map(|r| r.as_str()).collect();
        format!("'{s}' is not a stop reason: {}", all.join(", "))
    })
}

/// The operator's token: the first line of `file`, else `env` (the value of
/// [TOKEN_ENV]).
pub fn operator_token(
    file: Option<&Path>,
    env: Option<String>,
) -> anyhow::Result<Zeroizing<String>> {
    let token = match (file, env) {
        (Some(f), _) => {
            let t = password_from_file(f)
                .with_context(|| format!("reading the operator token from {}", f.display()))?;
            Zeroizing::new(t.trim().to_string())
        }
        (None, Some(e)) => Zeroizing::new(e.trim().to_string()),
        (None, None) => bail!("missing --token-file FILE (or set {TOKEN_ENV})"),
    };
    if token.is_empty() {
        bail!("the charging operator token is empty");
    }
    Ok(token)
}

impl TokenArg {
    fn token(&self) -> anyhow::Result<Zeroizing<String>> {
        operator_token(self.token_file.as_deref(), std::env::var(TOKEN_ENV).ok())
    }
}

impl ChargerAuth {
    fn basic(&self) -> anyhow::Result<BasicAuth> {
        let secret = password_from_file(&self.secret_file).with_context(|| {
            format!("reading the charger secret {}", self.secret_file.display())
        })?;
        let secret = secret.trim();
        if secret.is_empty() {
            bail!("{} holds no charger secret", self.secret_file.display());
        }
        Ok(BasicAuth::new(self.charger.as_str(), secret))
    }
}

impl MemberLogin {
    fn password(&self) -> anyhow::Result<Zeroizing<String>> {
        read_password(
            self.password_file.as_deref(),
            &format!("Password of member {}: ", self.member_no),
            false,
        )
    }
}

/// Writes a new file readable by its owner only; refuses to overwrite.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {} (it must not exist)", path.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

fn show(json: bool, v: &impl serde::Serialize) -> anyhow::Result<()> {
    super::query::show(json, v)
}

fn text<'a>(v: &'a Value, field: &str) -> std::borrow::Cow<'a, str> {
    match &v[field] {
        Value::String(s) => s.as_str().into(),
        Value::Null => "-".into(),
        other => other.to_string().into(),
    }
}

/// One line per charger.
fn charger_line(c: &Value) -> String {
    format!(
        "{} {} connectors {} price_mwon_per_kwh {} active {} online {} label {}",
        text(c, "charger"),
        text(c, "kind"),
        text(c, "connectors"),
        text(c, "price_mwon_per_kwh"),
        text(c, "active"),
        text(c, "online"),
        text(c, "label"),
    )
}

/// One line per session.
fn session_line(s: &Value) -> String {
    format!(
        "{}/{} {} member {} connector {} hold_mwon {} energy_wh {} cost_mwon {} prepaid_at_ms {}",
        text(s, "charger"),
        text(s, "session"),
        text(s, "state"),
        text(s, "member_no"),
        text(s, "connector"),
        text(s, "hold_mwon"),
        text(s, "energy_wh"),
        text(s, "cost_mwon"),
        text(s, "prepaid_at_ms"),
    )
}

/// `YYYYMMDD` as `YYYY-MM-DD`.
fn day_text(v: &Value) -> String {
    match v.as_u64() {
        Some(d) => format!("{:04}-{:02}-{:02}", d / 10_000, d / 100 % 100, d % 100),
        None => v.to_string(),
    }
}

/// Prints `items` of `list[key]` one line each, or the whole JSON.
fn show_list(
    json: bool,
    list: &Value,
    key: &str,
    line: fn(&Value) -> String,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(list)?);
        return Ok(());
    }
    let items = list[key].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if items.is_empty() {
        println!("no {key}");
    }
    for item in items {
        println!("{}", line(item));
    }
    Ok(())
}

pub async fn run(cmd: ChargingCmd) -> anyhow::Result<()> {
    let c: Client = reading_client(
        cmd.rpc.as_deref(),
        cmd.key.as_deref(),
        cmd.key_password_file.as_ref(),
    )?;
    let json = cmd.json;
    match cmd.what {
        ChargingSub::Signup {
            card,
            password_file,
            token,
        } => {
            let token = token.token()?;
            let password = read_password(
                password_file.as_deref(),
                "Password of the new member (6-64 characters): ",
                true,
            )?;
            let r = c
                .charging_signup(Some(token.as_str()), password.as_str(), card.as_deref())
                .await?;
            show(json, &r)
        }
        ChargingSub::Unlock { member_no, token } => {
            let token = token.token()?;
            let r = c.charging_unlock(Some(token.as_str()), member_no).await?;
            show(json, &r)
        }
        ChargingSub::Member { member_no } => match c.charging_member(member_no).await? {
            Some(m) => show(json, &m),
            None => bail!("unknown_member: no member {member_no}"),
        },
        ChargingSub::Chargers => show_list(
            json,
            &c.charging_chargers().await?,
            "chargers",
            charger_line,
        ),
        ChargingSub::Charger { charger } => match c.charging_charger(charger.as_str()).await? {
            Some(v) => show(json, &v),
            None => bail!("not_found: no charger {charger}"),
        },
        ChargingSub::ChargerSecret {
            charger,
            out,
            token,
        } => {
            let token = token.token()?;
            let r = c
                .charging_charger_secret(Some(token.as_str()), charger.as_str())
                .await?;
            let secret = Zeroizing::new(r.secret);
            match out {
                Some(path) => {
                    write_private(&path, &format!("{}\n", secret.as_str()))?;
                    let v = serde_json::json!({"charger": r.charger, "secret_file": path});
                    show(json, &v)
                }
                None => {
                    let v = Zeroizing::new(
                        serde_json::json!({
                            "charger": r.charger,
                            "secret": secret.as_str(),
                        })
                        .to_string(),
                    );
                    if json {
                        println!("{}", v.as_str());
                    } else {
                        println!("charger: {}", r.charger);
                        println!("secret: {}", secret.as_str());
                        eprintln!("(shown once: configure it in the charger now)");
                    }
                    Ok(())
                }
            }
        }
        ChargingSub::Sessions {
            state,
            charger,
            member,
            limit,
        } => {
            let filter = SessionFilter {
                state,
                charger: charger.map(|c| c.to_string()),
                member,
                limit: limit.map(|l| l as usize),
            };
            show_list(
                json,
                &c.charging_sessions(&filter).await?,
                "sessions",
                session_line,
            )
        }
        ChargingSub::Session { charger, session } => {
            match c.charging_session(charger.as_str(), session).await? {
                Some(v) => show(json, &v),
                None => bail!("not_found: no session {session} at {charger}"),
            }
        }
        ChargingSub::SoftStop {
            charger,
            session,
            token,
        } => {
            let token = token.token()?;
            let r = c
                .charging_soft_stop(Some(token.as_str()), charger.as_str(), session)
                .await?;
            show(json, &r)
        }
        ChargingSub::Revenue { charger, from, to } => {
            if let (Some(f), Some(t)) = (from, to) {
                if f > t {
                    bail!("--from is after --to");
                }
            }
            let filter = RevenueFilter {
                charger: charger.map(|c| c.to_string()),
                from,
                to,
            };
            let v = c.charging_revenue(&filter).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(());
            }
            for d in v["days"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                println!(
                    "{} {} sessions {} energy_wh {} revenue_mwon {}",
                    day_text(&d["day"]),
                    text(d, "charger"),
                    text(d, "sessions"),
                    text(d, "energy_wh"),
                    text(d, "revenue_mwon"),
                );
            }
            println!("total_mwon: {}", text(&v, "total_mwon"));
            Ok(())
        }
        ChargingSub::AutoCharge {
            member,
            cap_won,
            valid_until,
        } => {
            let password = member.password()?;
            let mut body = AutoChargeBody {
                member_no: member.member_no,
                password: password.to_string(),
                cap_mwon: cap_won.0,
                valid_until_ms: valid_until.unwrap_or(0),
            };
            let r = c.charging_auto_charge(&body).await;
            body.password.zeroize();
            show(json, &r?)
        }
        ChargingSub::Certify { auth, member } => {
            let basic = auth.basic()?;
            let password = member.password()?;
            let mut body = CertifyBody {
                charger: auth.charger.to_string(),
                member_no: member.member_no,
                password: password.to_string(),
            };
            let r = c.charging_certify(Some(&basic), &body).await;
            body.password.zeroize();
            let r = r?;
            show(json, &r)?;
            if r.result != CertifyOutcome::Accepted {
                return Err(Exit(1).into());
            }
            Ok(())
        }
        ChargingSub::Prepay {
            auth,
            connector,
            member,
            amount,
        } => {
            let basic = auth.basic()?;
            let password = member.password()?;
            let mut body = PrepayBody {
                charger: auth.charger.to_string(),
                connector,
                member_no: member.member_no,
                password: password.to_string(),
                amount_mwon: amount.milli_won().0,
            };
            let r = c.charging_prepay(Some(&basic), &body).await;
            body.password.zeroize();
            show(json, &r?)
        }
        ChargingSub::Stop {
            auth,
            session,
            energy_wh,
            idle_min,
            reason,
            wait,
            wait_timeout_secs,
        } => {
            let basic = auth.basic()?;
            let body = StopBody {
                charger: auth.charger.to_string(),
                session,
                energy_wh,
                idle_min,
                reason: reason.map(|r| r.as_str().to_string()),
            };
            let r = c.charging_stop(Some(&basic), &body).await?;
            if !wait {
                return show(json, &r);
            }
            let deadline = Instant::now() + Duration::from_secs(wait_timeout_secs);
            loop {
                // The charger reads its own session with its credentials.
                let found = c
                    .charging_session_as(Some(&basic), auth.charger.as_str(), session)
                    .await?;
                if let Some(v) = found {
                    if matches!(v["state"].as_str(), Some("settled" | "refunded")) {
                        return show(json, &v);
                    }
                }
                if Instant::now() >= deadline {
                    bail!(
                        "timeout: session {session} at {} not settled after {wait_timeout_secs} s \
                         (the stop is recorded; see `charging session`)",
                        auth.charger
                    );
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        c: ChargingCmd,
    }

    fn parse(args: &[&str]) -> Result<ChargingCmd, clap::Error> {
        let mut v = vec!["t"];
        v.extend_from_slice(args);
        T::try_parse_from(v).map(|t| t.c)
    }

    fn refused(args: &[&str]) -> String {
        match parse(args) {
            Ok(c) => panic!("{args:?} was accepted: {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn every_charging_command_parses() {
        let c = parse(&[
            "--rpc",
            "http://n:1",
            "signup",
            "--card",
            "04A2B9C1",
            "--password-file",
            "pw",
            "--token-file",
            "tok",
            "--json",
        ])
        .unwrap();
        assert_eq!(c.rpc.as_deref(), Some("http://n:1"));
        assert!(c.json);
        let ChargingSub::Signup {
            card,
            password_file,
            token,
        } = c.what
        else {
            panic!()
        };
        assert_eq!(card.as_deref(), Some("04A2B9C1"));
        assert_eq!(password_file, Some(PathBuf::from("pw")));
        assert_eq!(token.token_file, Some(PathBuf::from("tok")));

        assert!(matches!(
            parse(&["member", "10000001"]).unwrap().what,
            ChargingSub::Member {
                member_no: 10_000_001
            }
        ));
        assert!(matches!(
            parse(&["chargers"]).unwrap().what,
            ChargingSub::Chargers
        ));
        let ChargingSub::Charger { charger } = parse(&["charger", "CP-1"]).unwrap().what else {
            panic!()
        };
        assert_eq!(charger.as_str(), "CP-1");
        let ChargingSub::ChargerSecret { charger, out, .. } =
            parse(&["charger-secret", "CP-1", "--out", "s.txt"])
                .unwrap()
                .what
        else {
            panic!()
        };
        assert_eq!(
            (charger.as_str(), out),
            ("CP-1", Some(PathBuf::from("s.txt")))
        );

        let ChargingSub::Sessions {
            state,
            charger,
            member,
            limit,
        } = parse(&[
            "sessions",
            "--state",
            "finished",
            "--charger",
            "CP-1",
            "--member",
            "10000001",
            "--limit",
            "20",
        ])
        .unwrap()
        .what
        else {
            panic!()
        };
        assert_eq!(state.as_deref(), Some("finished"));
        assert_eq!(charger.unwrap().as_str(), "CP-1");
        assert_eq!((member, limit), (Some(10_000_001), Some(20)));
        let ChargingSub::Sessions {
            state,
            charger,
            member,
            limit,
        } = parse(&["sessions"]).unwrap().what
        else {
            panic!()
        };
        assert!(state.is_none() && charger.is_none() && member.is_none() && limit.is_none());

        assert!(matches!(
            parse(&["session", "CP-1", "7"]).unwrap().what,
            ChargingSub::Session { session: 7, .. }
        ));
        assert!(matches!(
            parse(&["soft-stop", "CP-1", "7"]).unwrap().what,
            ChargingSub::SoftStop { session: 7, .. }
        ));
        let ChargingSub::Revenue { charger, from, to } = parse(&[
            "revenue",
            "--charger",
            "CP-1",
            "--from",
            "2026-02-01",
            "--to",
            "2026-02-28",
        ])
        .unwrap()
        .what
        else {
            panic!()
        };
        assert_eq!(charger.unwrap().as_str(), "CP-1");
        assert_eq!((from, to), (Some(20260201), Some(20260228)));

        let ChargingSub::AutoCharge {
            member,
            cap_won,
            valid_until,
        } = parse(&[
            "auto-charge",
            "--member-no",
            "10000001",
            "--password-file",
            "pw",
            "--cap-won",
            "30000",
            "--valid-until",
            "2026-06-01T00:00:00+09:00",
        ])
        .unwrap()
        .what
        else {
            panic!()
        };
        assert_eq!(member.member_no, 10_000_001);
        assert_eq!(cap_won, MilliWon(30_000_000));
        assert_eq!(valid_until, Some(1_780_239_600_000));

        let ChargingSub::Certify { auth, member } = parse(&[
            "certify",
            "--charger",
            "CP-1",
            "--secret-file",
            "sec",
            "--member-no",
            "10000001",
            "--password-file",
            "pw",
        ])
        .unwrap()
        .what
        else {
            panic!()
        };
        assert_eq!(auth.charger.as_str(), "CP-1");
        assert_eq!(auth.secret_file, PathBuf::from("sec"));
        assert_eq!(member.password_file, Some(PathBuf::from("pw")));

        let ChargingSub::Prepay {
            auth,
            connector,
            member,
            amount,
        } = parse(&[
            "prepay",
            "--charger",
            "CP-1",
            "--secret-file",
            "sec",
            "--connector",
            "2",
            "--member-no",
            "10000001",
            "--password-file",
            "pw",
            "--amount-won",
            "20000.5",
        ])
        .unwrap()
        .what
        else {
            panic!()
        };
        assert_eq!((auth.charger.as_str(), connector), ("CP-1", 2));
        assert_eq!(member.member_no, 10_000_001);
        assert_eq!(amount.milli_won(), MilliWon(20_000_500));

        let ChargingSub::Stop {
            session,
            energy_wh,
            idle_min,
            reason,
            wait,
            ..
        } = parse(&[
            "stop",
            "--charger",
            "CP-1",
            "--secret-file",
            "sec",
            "--session",
            "7",
            "--energy-wh",
            "12500",
            "--idle-min",
            "3",
            "--reason",
            "ev_disconnected",
        ])
        .unwrap()
        .what
        else {
            panic!()
        };
        assert_eq!(
            (session, energy_wh, idle_min, reason),
            (7, 12_500, 3, Some(StopReason::EvDisconnected))
        );
        assert!(!wait);
        let ChargingSub::Stop {
            idle_min,
            reason,
            wait,
            ..
        } = parse(&[
            "stop",
            "--charger",
            "CP-1",
            "--secret-file",
            "sec",
            "--session",
            "7",
            "--energy-wh",
            "0",
            "--wait",
        ])
        .unwrap()
        .what
        else {
            panic!()
        };
        assert_eq!((idle_min, reason, wait), (0, None, true));
    }

    #[test]
    fn bad_charging_arguments_are_refused() {
        // Passwords, secrets and tokens have no command-line value.
        for flag in ["--password", "--secret", "--token"] {
            refused(&["signup", flag, "123456"]);
        }
        let e = refused(&["charger", "bad id"]);
        assert!(e.contains("is not a charger id"), "{e}");
        let e = refused(&["session", "CP/1", "1"]);
        assert!(e.contains("is not a charger id"), "{e}");
        let e = refused(&["sessions", "--state", "closed"]);
        assert!(e.contains("open") && e.contains("refunded"), "{e}");
        for limit in ["0", "1001"] {
            refused(&["sessions", "--limit", limit]);
        }
        for day in [
            "2026-02-30",
            "20260201",
            "2026-13-01",
            "2026-1-01",
            "yesterday",
        ] {
            let e = refused(&["revenue", "--from", day]);
            assert!(e.contains("YYYY-MM-DD"), "{day}: {e}");
        }
        let keypad = |cmd: &'static str| {
            vec![
                cmd,
                "--charger",
                "CP-1",
                "--secret-file",
                "sec",
                "--member-no",
                "10000001",
                "--password-file",
                "pw",
            ]
        };
        for n in ["0", "9"] {
            let mut a = keypad("prepay");
            a.extend(["--connector", n, "--amount-won", "100"]);
            let e = refused(&a);
            assert!(e.contains("--connector"), "{e}");
        }
        let mut a = keypad("prepay");
        a.extend(["--connector", "1", "--amount-won", "1.0001"]);
        assert!(refused(&a).contains("more than 3 decimals"));
        let mut a = keypad("prepay");
        a.extend(["--connector", "1"]);
        refused(&a); // no amount
        let mut a = keypad("certify");
        a[2] = "..";
        refused(&a);
        let e = refused(&[
            "stop",
            "--charger",
            "CP-1",
            "--secret-file",
            "s",
            "--session",
            "1",
            "--energy-wh",
            "1",
            "--reason",
            "bored",
        ]);
        assert!(e.contains("limit_reached"), "{e}");
        refused(&[
            "stop",
            "--charger",
            "CP-1",
            "--session",
            "1",
            "--energy-wh",
            "1",
        ]);
        refused(&["auto-charge", "--member-no", "1", "--cap-won", "-1"]);
        refused(&["member", "ten"]);
    }

    #[test]
    fn days_and_tokens() {
        assert_eq!(parse_day("2024-02-29"), Ok(20240229));
        assert_eq!(parse_day("1970-01-01"), Ok(19700101));
        for bad in [
            "2023-02-29",
            "1969-12-31",
            "2026-00-10",
            "2026-04-31",
            "2026-04-00",
            "+026-04-01",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
        assert_eq!(day_text(&serde_json::json!(20260201)), "2026-02-01");

        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token.txt");
        std::fs::write(&f, "abc123\n").unwrap();
        // The file wins over the environment.
        assert_eq!(
            operator_token(Some(&f), Some("env".into()))
                .unwrap()
                .as_str(),
            "abc123"
        );
        assert_eq!(
            operator_token(None, Some(" env\n".into()))
                .unwrap()
                .as_str(),
            "env"
        );
        let e = operator_token(None, None).unwrap_err().to_string();
        assert!(e.contains("--token-file") && e.contains(TOKEN_ENV), "{e}");
        std::fs::write(&f, "\n").unwrap();
        assert!(operator_token(Some(&f), None).is_err());
        assert!(operator_token(Some(&dir.path().join("none")), None).is_err());

        // A charger secret file: first line, trimmed; empty is refused; written 0600, never
        // over an existing file.
        let s = dir.path().join("secret.txt");
        write_private(&s, "s3cr3t\n").unwrap();
        assert!(write_private(&s, "other\n").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&s).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let auth = ChargerAuth {
            charger: ChargerId::new("CP-1").unwrap(),
            secret_file: s,
        };
        let b = auth.basic().unwrap();
        assert_eq!((b.user.as_str(), b.password.as_str()), ("CP-1", "s3cr3t"));
        assert!(!format!("{b:?}").contains("s3cr3t"));
        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, "  \n").unwrap();
        let auth = ChargerAuth {
            charger: ChargerId::new("CP-1").unwrap(),
            secret_file: empty,
        };
        assert!(auth.basic().is_err());
    }
}
