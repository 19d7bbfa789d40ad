//! `horreo admin`: accounts, users, access keys and user policies, managed on
//! a stopped store. Secrets are printed once, when made, and never again.

use anyhow::Context;
use horreo_policy::{Policy, PolicyKind};
use horreo_storage::{Account, Engine, Holder, KeyStatus};

use crate::config::{
    AccountCommand, AccountSelector, AdminArgs, AdminCommand, KeyCommand, PolicyCommand,
    UserCommand,
};
use crate::master_key;

/// Runs one `horreo admin` command.
pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    if let AdminCommand::Lifecycle(command) = args.command {
        return super::lifecycle::run(&args.store, command);
    }
    let data_dir = args.store.data_dir.unwrap_or_else(|| "data".into());
    let (master, _) =
        master_key::for_stopped_store(&data_dir, args.store.master_key_file.as_deref())?;
    let engine = super::open_stopped_store(&data_dir, master)?;
    match args.command {
        AdminCommand::Account(command) => account(&engine, command),
        AdminCommand::User(command) => user(&engine, command),
        AdminCommand::Key(command) => key(&engine, command),
        AdminCommand::Policy(command) => policy(&engine, command),
        AdminCommand::Lifecycle(_) => Ok(()),
    }
}

/// The account `--account` names, else the first account.
fn select(engine: &Engine, selector: &AccountSelector) -> anyhow::Result<Account> {
    Ok(match &selector.account {
        Some(name) => engine.account_by_name(name)?,
        None => engine.default_account()?,
    })
}

fn account(engine: &Engine, command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Create { name } => {
            let (account, key, secret) = engine.create_account(&name)?;
            println!("account id:   {}", account.id);
            println!("canonical id: {}", account.canonical_id);
            println!("root access key: {key}");
            println!("root secret key: {secret}");
            println!("(the secret key is shown only now)");
        }
        AccountCommand::List => {
            for account in engine.accounts()? {
                println!("{}\t{}\t{}", account.id, account.name, account.canonical_id);
            }
        }
        AccountCommand::RootKey { name } => {
            let account = engine.account_by_name(&name)?;
            let (key, secret) = engine.create_access_key(&account.id, None)?;
            println!("root access key: {}", key.id);
            println!("root secret key: {secret}");
            println!("(the secret key is shown only now)");
        }
    }
    Ok(())
}

fn user(engine: &Engine, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create { name, account } => {
            let account = select(engine, &account)?;
            let user = engine.create_user(&account.id, &name, "/")?;
            println!(
                "{}\tarn:aws:iam::{}:user{}{}",
                user.id, account.id, user.path, user.name
            );
        }
        UserCommand::List { account } => {
            let account = select(engine, &account)?;
            let mut marker = None;
            loop {
                let page = engine.users(&account.id, "/", marker.as_deref(), 1000)?;
                for user in &page.items {
                    println!("{}\t{}\t{}", user.name, user.id, user.path);
                }
                match page.marker {
                    Some(next) => marker = Some(next),
                    None => break,
                }
            }
        }
        UserCommand::Delete { name, account } => {
            let account = select(engine, &account)?;
            engine.delete_user(&account.id, &name)?;
        }
    }
    Ok(())
}

fn key(engine: &Engine, command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Create { user, account } => {
            let account = select(engine, &account)?;
            let (key, secret) = engine.create_access_key(&account.id, Some(&user))?;
            println!("access key: {}", key.id);
            println!("secret key: {secret}");
            println!("(the secret key is shown only now)");
        }
        KeyCommand::List { user, account } => {
            let account = select(engine, &account)?;
            for key in engine.access_keys(&account.id, Some(&user))? {
                let status = match key.status {
                    KeyStatus::Active => "Active",
                    KeyStatus::Inactive => "Inactive",
                };
                println!(
                    "{}\t{status}\t{}",
                    key.id,
                    crate::dates::timestamp(key.created)
                );
            }
        }
        KeyCommand::Delete { user, key, account } => {
            let account = select(engine, &account)?;
            engine.delete_access_key(&account.id, Some(&user), &key)?;
        }
    }
    Ok(())
}

fn policy(engine: &Engine, command: PolicyCommand) -> anyhow::Result<()> {
    match command {
        PolicyCommand::Attach {
            user,
            document,
            name,
            account,
        } => {
            let account = select(engine, &account)?;
            let text = std::fs::read_to_string(&document)
                .with_context(|| format!("reading {}", document.display()))?;
            Policy::parse(&text, PolicyKind::UserInline)
                .map_err(|err| anyhow::anyhow!("{}: {}", err.code(), err.message()))?;
            engine.put_inline_policy(&account.id, Holder::User(&user), &name, &text)?;
        }
        PolicyCommand::List { user, account } => {
            let account = select(engine, &account)?;
            let policies = engine.holder_policies(&account.id, Holder::User(&user))?;
            for name in policies.inline.keys() {
                println!("inline\t{name}");
            }
            for arn in &policies.attached {
                println!("attached\t{arn}");
            }
        }
    }
    Ok(())
}
