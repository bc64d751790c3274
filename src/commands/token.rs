//! `entitle token create|list|revoke`

use std::process::ExitCode;

use anyhow::Result;
use entitle_app::accounts::{self, CreateToken, TokenCreated, TokenView};
use entitle_app::Open;

use crate::cli::{Cli, JsonArgs, TokenCreateArgs, TokenRevokeArgs};
use crate::output::{self, Align, Table};
use crate::remote::Remote;
use crate::request;

pub fn create(cli: &Cli, a: &TokenCreateArgs) -> Result<ExitCode> {
    let req = CreateToken {
        user: a.user.clone(),
        name: a.name.clone(),
        expires: a.expires.clone(),
    };
    let created: TokenCreated = match Remote::from_cli(cli)? {
        Some(remote) => {
            remote.private_channel("a new token's secret")?;
            remote.post_json(
                "/api/v1/tokens",
                &[],
                &serde_json::json!({
                    "user": req.user,
                    "name": req.name,
                    "expires": req.expires,
                }),
            )?
        }
        None => {
            let (_store, mut auth) =
                request::open_accounts(cli, Open::MustExist, "entitle token create")?;
            accounts::create_token(&mut auth, &request::auth_actor(cli), &req)?
        }
    };
    if a.json {
        output::json(&created)?;
    } else {
        let t = &created.token.token;
        eprintln!(
            "created {} for {} ({:?}), {}",
            t.id,
            t.user,
            t.name,
            expiry(&created.token)
        );
        println!("{}", created.secret);
    }
    eprintln!("this secret is shown once: store it now (entitle keeps only its hash)");
    Ok(ExitCode::SUCCESS)
}

pub fn list(cli: &Cli, a: &JsonArgs) -> Result<ExitCode> {
    let tokens: Vec<TokenView> = match Remote::from_cli(cli)? {
        Some(remote) => remote.get("/api/v1/tokens", &[])?,
        None => {
            let (_store, auth) =
                request::open_accounts(cli, Open::MustExist, "entitle token list")?;
            accounts::list_tokens(&auth)
        }
    };
    if a.json {
        output::json(&tokens)?;
        return Ok(ExitCode::SUCCESS);
    }
    if tokens.is_empty() {
        eprintln!("no tokens yet: `entitle token create --user NAME --name WHAT-FOR` makes one");
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = Table::new(&[
        ("ID", Align::Left, false),
        ("USER", Align::Left, true),
        ("NAME", Align::Left, true),
        ("CREATED", Align::Left, false),
        ("EXPIRES", Align::Left, false),
        ("STATE", Align::Left, false),
    ]);
    for v in &tokens {
        let token = &v.token;
        t.row(vec![
            token.id.clone(),
            token.user.clone(),
            token.name.clone(),
            token.created_at.to_string(),
            output::or_dash(token.expires),
            v.state.as_str().to_owned(),
        ]);
    }
    t.print()?;
    Ok(ExitCode::SUCCESS)
}

pub fn revoke(cli: &Cli, a: &TokenRevokeArgs) -> Result<ExitCode> {
    let revoked: TokenView = match Remote::from_cli(cli)? {
        Some(remote) => {
            let path = format!("/api/v1/tokens/{}", crate::remote::segment(a.token.trim()));
            remote.delete(&path)?
        }
        None => {
            let (_store, mut auth) =
                request::open_accounts(cli, Open::MustExist, "entitle token revoke")?;
            accounts::revoke_token(&mut auth, &request::auth_actor(cli), &a.token)?
        }
    };
    if a.json {
        output::json(&revoked)?;
    } else {
        let t = &revoked.token;
        println!("revoked {} for {} ({:?})", t.id, t.user, t.name);
    }
    Ok(ExitCode::SUCCESS)
}

fn expiry(token: &TokenView) -> String {
    token
        .token
        .expires
        .map_or_else(|| "no expiry".to_owned(), |d| format!("last day {d} (UTC)"))
}
