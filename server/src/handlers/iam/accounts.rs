//! Accounts (horreo's own actions, not AWS IAM's): CreateAccount and
//! ListAccounts, for the operator, the root of the first account. They let
//! `horreo admin account ...` manage tenants on a running server; every
//! other caller gets AccessDenied.

use horreo_storage::Account;

use super::Call;
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::handlers::query::response::Response;
use crate::xml::XmlWriter;

/// `AccessDenied` unless the caller is the first account's root.
fn operator_only(call: &Call<'_>) -> S3Result<()> {
    let operator = call.identities.default_account();
    if call.caller.is_root() && call.caller.account.id == operator.id {
        return Ok(());
    }
    Err(S3Error::new(
        S3ErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {}: only the root of account {} manages accounts",
            call.caller.arn(),
            call.action,
            operator.id
        ),
    ))
}

fn account(w: &mut XmlWriter, account: &Account) {
    w.elem("AccountId", &account.id)
        .elem("AccountName", &account.name)
        .elem("CanonicalUserId", &account.canonical_id);
}

pub fn create(call: &Call<'_>) -> S3Result<Response> {
    operator_only(call)?;
    let name = call.params.required("AccountName")?;
    let (created, key, secret) = call.engine.create_account(name)?;
    call.reload_identities()?;
    let mut r = call.response();
    r.xml().open("Account");
    account(r.xml(), &created);
    r.xml().close("Account");
    r.xml()
        .open("AccessKey")
        .elem("AccessKeyId", &key)
        .elem("SecretAccessKey", secret)
        .close("AccessKey");
    Ok(r)
}

pub fn list(call: &Call<'_>) -> S3Result<Response> {
    operator_only(call)?;
    let accounts = call.engine.accounts()?;
    let mut r = call.response();
    r.list("Accounts", &accounts, account);
    Ok(r)
}
