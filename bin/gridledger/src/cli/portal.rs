//! `gridledger portal`: the market operator's tools for the dashboard's sign-in.
use super::{client, read_password};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum PortalCmd {
    /// Clear a login's wrong-password counts and locks (every address's, and the shared one):
    /// signs in as the market operator, unlocks, signs out.
    Unlock(UnlockArgs),
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Node API base URL.
    #[arg(long, env = "GRIDLEDGER_RPC")]
    pub rpc: Option<String>,
    /// The login to unlock.
    #[arg(long)]
    pub login: String,
    /// The market operator's dashboard login.
    #[arg(long, default_value = "operator")]
    pub operator_login: String,
    /// File with the operator login's password (else a prompt).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
}

pub async fn run(cmd: PortalCmd) -> anyhow::Result<()> {
    match cmd {
        PortalCmd::Unlock(a) => {
            let c = client(a.rpc.as_deref())?;
            let password = read_password(
                a.password_file.as_deref(),
                &format!("Password of {}: ", a.operator_login),
                false,
            )?;
            let session = c.sign_in(&a.operator_login, &password).await?;
            let unlocked = c.unlock_login(&session, &a.login).await;
            let _ = c.sign_out(&session).await;
            unlocked?;
            println!("unlocked: {}", a.login);
            Ok(())
        }
    }
}
