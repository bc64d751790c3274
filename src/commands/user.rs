//! `entitle user add|list|passwd|disable|enable|role|log`

use std::io::{BufRead, IsTerminal, Read};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use entitle_app::accounts::{self, AccessEntry, Account, AddUser, SetRole};
use entitle_app::Open;

use crate::cli::{
    Cli, JsonArgs, UserAddArgs, UserEmailArgs, UserNameArgs, UserPasswdArgs, UserRoleArgs,
};
use crate::output::{self, Align, Table};
use crate::remote::Remote;
use crate::request;

pub fn add(cli: &Cli, a: &UserAddArgs) -> Result<ExitCode> {
    let mut req = AddUser {
        name: a.account.clone(),
        role: a.role.clone(),
        vendors: a.vendors.clone(),
        password: String::new(),
        email: a.email.clone(),
    };
    if let Some(remote) = Remote::from_cli(cli)? {
        remote.private_channel("a password")?;
        accounts::role(&req.role)?;
        if let Some(e) = &req.email {
            accounts::email(e)?;
        }
        // Only an admin lists the accounts: a token that may not add one,
        // or a name taken, is said before the password is asked for.
        let all: Vec<Account> = remote.get("/api/v1/users", &[])?;
        if let Some(existing) = all
            .iter()
            .find(|u| u.name.eq_ignore_ascii_case(a.account.trim()))
        {
            bail!(
                "an account named {:?} exists already; names are unique ignoring case; choose another",
                existing.name
            );
        }
        req.password = new_password(a.password_stdin)?;
        let account: Account = remote.post_json(
            "/api/v1/users",
            &[],
            &serde_json::json!({
                "name": req.name,
                "role": req.role,
                "vendors": req.vendors,
                "password": req.password,
                "email": req.email,
            }),
        )?;
        println!("added {}", describe(&account));
        return Ok(ExitCode::SUCCESS);
    }
    let (_store, mut auth) =
        request::open_accounts(cli, Open::CreateIfMissing, "entitle user add")?;
    // A bad name, role or vendor is said before the password is asked for.
    accounts::check_add_user(&auth, &req)?;
    req.password = new_password(a.password_stdin)?;
    let account = accounts::add_user(&mut auth, &request::auth_actor(cli), &req)?;
    println!("added {}", describe(&account));
    Ok(ExitCode::SUCCESS)
}

pub fn list(cli: &Cli, a: &JsonArgs) -> Result<ExitCode> {
    let all: Vec<accounts::Account> = match Remote::from_cli(cli)? {
        Some(remote) => remote.get("/api/v1/users", &[])?,
        None => {
            let (_store, auth) = request::open_accounts(cli, Open::MustExist, "entitle user list")?;
            accounts::list(&auth)
        }
    };
    if a.json {
        output::json(&all)?;
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        eprintln!("no accounts yet: add the first admin with `entitle user add NAME --role admin`");
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = Table::new(&[
        ("NAME", Align::Left, true),
        ("ROLE", Align::Left, false),
        ("VENDORS", Align::Left, true),
        ("STATUS", Align::Left, false),
        ("EMAIL", Align::Left, true),
        ("CREATED", Align::Left, false),
    ]);
    for account in &all {
        t.row(vec![
            account.name.clone(),
            account.role.to_string(),
            or_dash(&account.vendors.join(", ")),
            if account.disabled {
                "disabled"
            } else {
                "enabled"
            }
            .to_owned(),
            or_dash(account.email.as_deref().unwrap_or_default()),
            account.created_at.to_string(),
        ]);
    }
    t.print()?;
    Ok(ExitCode::SUCCESS)
}

pub fn passwd(cli: &Cli, a: &UserPasswdArgs) -> Result<ExitCode> {
    if let Some(remote) = Remote::from_cli(cli)? {
        remote.private_channel("a password")?;
        // Ask only for an account that exists and that this token may
        // change: its own, or (an admin's) any.
        let me: Me = remote.get("/api/v1/session", &[])?;
        if !me.name.eq_ignore_ascii_case(a.account.trim()) {
            let all: Vec<Account> = remote.get("/api/v1/users", &[])?;
            if !all
                .iter()
                .any(|u| u.name.eq_ignore_ascii_case(a.account.trim()))
            {
                bail!(
                    "no account is named {:?}; `entitle user list` shows the accounts",
                    a.account.trim()
                );
            }
        }
        let password = new_password(a.password_stdin)?;
        let account = change_remote(
            &remote,
            &a.account,
            &serde_json::json!({ "password": password }),
        )?;
        println!("password of {} changed", account.name);
        return Ok(ExitCode::SUCCESS);
    }
    let (_store, mut auth) = request::open_accounts(cli, Open::MustExist, "entitle user passwd")?;
    // Ask only for an account that exists.
    accounts::get(&auth, &a.account)?;
    let password = new_password(a.password_stdin)?;
    let by = request::auth_actor(cli);
    let account = accounts::set_password(&mut auth, &by, &a.account, &password)?;
    println!("password of {} changed", account.name);
    Ok(ExitCode::SUCCESS)
}

pub fn disable(cli: &Cli, a: &UserNameArgs) -> Result<ExitCode> {
    let account = set_disabled(cli, &a.account, true)?;
    println!("disabled {}", account.name);
    Ok(ExitCode::SUCCESS)
}

pub fn enable(cli: &Cli, a: &UserNameArgs) -> Result<ExitCode> {
    let account = set_disabled(cli, &a.account, false)?;
    println!("enabled {}", account.name);
    Ok(ExitCode::SUCCESS)
}

/// Disables or enables an account, here or through the server.
fn set_disabled(cli: &Cli, name: &str, disabled: bool) -> Result<Account> {
    if let Some(remote) = Remote::from_cli(cli)? {
        return change_remote(&remote, name, &serde_json::json!({ "disabled": disabled }));
    }
    let purpose = if disabled {
        "entitle user disable"
    } else {
        "entitle user enable"
    };
    let (_store, mut auth) = request::open_accounts(cli, Open::MustExist, purpose)?;
    let by = request::auth_actor(cli);
    Ok(if disabled {
        accounts::disable(&mut auth, &by, name)?
    } else {
        accounts::enable(&mut auth, &by, name)?
    })
}

pub fn role(cli: &Cli, a: &UserRoleArgs) -> Result<ExitCode> {
    let req = SetRole {
        name: a.account.clone(),
        role: a.role.clone(),
        vendors: a.vendors.clone(),
    };
    let account = match Remote::from_cli(cli)? {
        Some(remote) => change_remote(
            &remote,
            &req.name,
            &serde_json::json!({ "role": req.role, "vendors": req.vendors }),
        )?,
        None => {
            let (_store, mut auth) =
                request::open_accounts(cli, Open::MustExist, "entitle user role")?;
            accounts::set_role(&mut auth, &request::auth_actor(cli), &req)?
        }
    };
    println!("{} is now {}", account.name, role_words(&account));
    Ok(ExitCode::SUCCESS)
}

pub fn email(cli: &Cli, a: &UserEmailArgs) -> Result<ExitCode> {
    let address = if a.clear {
        None
    } else {
        Some(accounts::email(a.address.as_deref().unwrap_or_default())?)
    };
    let account = match Remote::from_cli(cli)? {
        Some(remote) => change_remote(
            &remote,
            &a.account,
            &serde_json::json!({ "email": address.clone().unwrap_or_default() }),
        )?,
        None => {
            let (_store, mut auth) =
                request::open_accounts(cli, Open::MustExist, "entitle user email")?;
            accounts::set_email(
                &mut auth,
                &request::auth_actor(cli),
                &a.account,
                address.as_deref(),
            )?
        }
    };
    match &account.email {
        Some(e) => println!("{} is reminded at {e}", account.name),
        None => println!("{} has no e-mail address now", account.name),
    }
    Ok(ExitCode::SUCCESS)
}

/// Who the token acts for (`GET /api/v1/session`).
#[derive(serde::Deserialize)]
struct Me {
    name: String,
}

/// `PATCH /api/v1/users/{name}`: the account as changed.
fn change_remote(remote: &Remote, name: &str, change: &serde_json::Value) -> Result<Account> {
    let path = format!("/api/v1/users/{}", crate::remote::segment(name.trim()));
    remote.patch_json(&path, change)
}

pub fn log(cli: &Cli, a: &JsonArgs) -> Result<ExitCode> {
    let entries: Vec<AccessEntry> = match Remote::from_cli(cli)? {
        Some(remote) => remote.get("/api/v1/access-log", &[])?,
        None => {
            let (_store, auth) = request::open_accounts(cli, Open::MustExist, "entitle user log")?;
            accounts::access_log(&auth)?
        }
    };
    if a.json {
        output::json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = Table::new(&[
        ("AT", Align::Left, false),
        ("ACTOR", Align::Left, true),
        ("ACTION", Align::Left, false),
        ("FROM", Align::Left, true),
        ("DETAIL", Align::Left, true),
    ]);
    for AccessEntry {
        at,
        actor,
        action,
        address,
        detail,
    } in entries
    {
        t.row(vec![
            at.to_string(),
            actor,
            action,
            output::or_dash(address),
            detail,
        ]);
    }
    t.print()?;
    Ok(ExitCode::SUCCESS)
}

/// `ada (admin)`, `kpmg (auditor: Microsoft, Oracle)`.
fn describe(account: &Account) -> String {
    format!("{} ({})", account.name, role_words(account))
}

fn role_words(account: &Account) -> String {
    if account.vendors.is_empty() {
        account.role.to_string()
    } else {
        format!("{}: {}", account.role, account.vendors.join(", "))
    }
}

fn or_dash(text: &str) -> String {
    output::or_dash(Some(text).filter(|t| !t.is_empty()))
}

/// The most bytes read from standard input for a password line.
const MAX_PASSWORD_LINE: u64 = 8 * 1024;

/// A new password: the first line of standard input with
/// `--password-stdin`, else asked twice on the terminal without echo.
/// Never from the command line, where other users and the shell's
/// history would see it.
fn new_password(from_stdin: bool) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .take(MAX_PASSWORD_LINE)
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.strip_suffix('\n').unwrap_or(&line);
        let password = password.strip_suffix('\r').unwrap_or(password);
        if password.is_empty() {
            bail!("--password-stdin: standard input holds no password line");
        }
        return Ok(password.to_owned());
    }
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password on: pass --password-stdin and give it as the first line of standard input");
    }
    let first = rpassword::prompt_password("password (at least 12 characters): ")
        .context("reading the password")?;
    let second =
        rpassword::prompt_password("the same password again: ").context("reading the password")?;
    if first != second {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}
