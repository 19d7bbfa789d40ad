//! `horreo admin`: accounts, users, access keys and user policies, managed on
//! a stopped store or, with `--endpoint`, on a running server through its IAM
//! API. Secrets are printed once, when made, and never again.

use anyhow::Context;
use horreo_policy::{Policy, PolicyKind};

use super::directory::{Directory, NewKey};
use super::remote::Remote;
use crate::config::{
    AccountCommand, AdminArgs, AdminCommand, KeyCommand, PolicyCommand, UserCommand,
};
use crate::master_key;

/// Runs one `horreo admin` command.
pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    if let AdminCommand::Lifecycle(command) = args.command {
        return super::lifecycle::run(&args.store, command);
    }
    if let AdminCommand::Replication(command) = args.command {
        if args.remote.endpoint.is_some() {
            anyhow::bail!(
                "`horreo admin replication` works on the data directory: give --data-dir"
            );
        }
        return super::replication::run(&args.store, command);
    }
    if let AdminCommand::Events = args.command {
        if args.remote.endpoint.is_some() {
            anyhow::bail!("`horreo admin events` reads the data directory: give --data-dir");
        }
        let data_dir = args.store.data_dir.unwrap_or_else(|| "data".into());
        return super::events::status(&data_dir);
    }
    if let Some(endpoint) = &args.remote.endpoint {
        let remote = Remote::new(&args.remote, endpoint)?;
        return dispatch(&remote, args.command);
    }
    let data_dir = args.store.data_dir.unwrap_or_else(|| "data".into());
    let (master, _) =
        master_key::for_stopped_store(&data_dir, args.store.master_key_file.as_deref())?;
    let engine = super::open_stopped_store(&data_dir, master)?;
    dispatch(&engine, args.command)
}

fn dispatch(directory: &dyn Directory, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Account(command) => account(directory, command),
        AdminCommand::User(command) => user(directory, command),
        AdminCommand::Key(command) => key(directory, command),
        AdminCommand::Policy(command) => policy(directory, command),
        // Handled before a directory is opened.
        AdminCommand::Lifecycle(_) | AdminCommand::Replication(_) => Ok(()),
        AdminCommand::Events => anyhow::bail!("`horreo admin events` reads the data directory"),
    }
}

fn print_key(prefix: &str, key: &NewKey) {
    println!("{prefix}access key: {}", key.id);
    println!("{prefix}secret key: {}", key.secret);
    println!("(the secret key is shown only now)");
}

fn account(directory: &dyn Directory, command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Create { name } => {
            let created = directory.create_account(&name)?;
            println!("account id:   {}", created.account.id);
            println!("canonical id: {}", created.account.canonical_id);
            print_key("root ", &created.key);
        }
        AccountCommand::List => {
            for account in directory.accounts()? {
                println!("{}\t{}\t{}", account.id, account.name, account.canonical_id);
            }
        }
        AccountCommand::RootKey { name } => print_key("root ", &directory.create_root_key(&name)?),
    }
    Ok(())
}

fn user(directory: &dyn Directory, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create { name, account } => {
            let user = directory.create_user(account.account.as_deref(), &name)?;
            println!("{}\t{}", user.id, user.arn);
        }
        UserCommand::List { account } => {
            for user in directory.users(account.account.as_deref())? {
                println!("{}\t{}\t{}", user.name, user.id, user.path);
            }
        }
        UserCommand::Delete { name, account } => {
            directory.delete_user(account.account.as_deref(), &name)?;
        }
    }
    Ok(())
}

fn key(directory: &dyn Directory, command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Create { user, account } => {
            print_key(
                "",
                &directory.create_key(account.account.as_deref(), &user)?,
            );
        }
        KeyCommand::List { user, account } => {
            for key in directory.keys(account.account.as_deref(), &user)? {
                println!("{}\t{}\t{}", key.id, key.status, key.created);
            }
        }
        KeyCommand::Delete { user, key, account } => {
            directory.delete_key(account.account.as_deref(), &user, &key)?;
        }
    }
    Ok(())
}

fn policy(directory: &dyn Directory, command: PolicyCommand) -> anyhow::Result<()> {
    match command {
        PolicyCommand::Attach {
            user,
            document,
            name,
            account,
        } => {
            let text = std::fs::read_to_string(&document)
                .with_context(|| format!("reading {}", document.display()))?;
            Policy::parse(&text, PolicyKind::UserInline)
                .map_err(|err| anyhow::anyhow!("{}: {}", err.code(), err.message()))?;
            directory.put_user_policy(account.account.as_deref(), &user, &name, &text)?;
        }
        PolicyCommand::List { user, account } => {
            let policies = directory.user_policies(account.account.as_deref(), &user)?;
            for name in &policies.inline {
                println!("inline\t{name}");
            }
            for arn in &policies.attached {
                println!("attached\t{arn}");
            }
        }
    }
    Ok(())
}
