//! `horreo admin --endpoint URL`: the [`Directory`] of a running server,
//! reached through its IAM query API with SigV4-signed POSTs (service
//! `iam`), as `aws iam` would send them. Accounts go through horreo's own
//! CreateAccount/ListAccounts actions, which only the operator (the first
//! account's root) may call.

use std::time::SystemTime;

use anyhow::{Context, bail};
use quick_xml::events::Event;

use super::directory::{AccountRow, Directory, KeyRow, NewAccount, NewKey, UserPolicies, UserRow};
use crate::auth::canonical::uri_encode;
use crate::auth::signing::{ALGORITHM, AmzDate, SigningKey, sha256_hex, string_to_sign};
use crate::config::RemoteArgs;

const VERSION: &str = "2010-05-08";

/// A running server and the credentials that sign for it.
pub struct Remote {
    agent: ureq::Agent,
    url: String,
    host: String,
    access_key: String,
    secret_key: String,
    region: String,
}

impl Remote {
    /// Checks the endpoint and the credentials; sends nothing yet.
    pub fn new(args: &RemoteArgs, endpoint: &str) -> anyhow::Result<Self> {
        let (Some(access_key), Some(secret_key)) = (&args.access_key, &args.secret_key) else {
            bail!(
                "--endpoint needs the credentials to sign with: --access-key and --secret-key \
                 (or HORREO_ROOT_ACCESS_KEY and HORREO_ROOT_SECRET_KEY)"
            );
        };
        let (scheme, rest) = endpoint
            .split_once("://")
            .with_context(|| format!("{endpoint}: not a URL (http://HOST:PORT)"))?;
        let authority = rest.split('/').next().unwrap_or_default();
        let default_port = match scheme {
            "http" => ":80",
            "https" => ":443",
            _ => bail!("{endpoint}: the scheme must be http or https"),
        };
        if authority.is_empty() {
            bail!("{endpoint}: no host");
        }
        let mut tls = ureq::tls::TlsConfig::builder().unversioned_rustls_crypto_provider(
            std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        );
        if let Some(path) = &args.ca_cert {
            let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let cert = ureq::tls::Certificate::from_pem(&pem)
                .with_context(|| format!("{}: not a PEM certificate", path.display()))?;
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&[cert]));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(tls.build())
            .build()
            .new_agent();
        Ok(Self {
            agent,
            url: format!("{scheme}://{authority}/"),
            host: authority
                .strip_suffix(default_port)
                .unwrap_or(authority)
                .to_owned(),
            access_key: access_key.clone(),
            secret_key: secret_key.clone(),
            region: args.region.clone(),
        })
    }

    /// Runs IAM action `action` with `params`; its response document, or the
    /// error the server answered (`Code: Message`).
    fn call(&self, action: &str, params: &[(&str, &str)]) -> anyhow::Result<Reply> {
        let mut body = format!("Action={action}&Version={VERSION}");
        for (name, value) in params {
            body.push('&');
            uri_encode(&mut body, name.as_bytes(), true);
            body.push('=');
            uri_encode(&mut body, value.as_bytes(), true);
        }
        let now = AmzDate::from_system_time(SystemTime::now());
        let payload_hash = sha256_hex(body.as_bytes());
        let scope = format!("{}/{}/iam/aws4_request", now.date(), self.region);
        let signed_headers = "content-type;host;x-amz-content-sha256;x-amz-date";
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let canonical = format!(
            "POST\n/\n\ncontent-type:{content_type}\nhost:{}\nx-amz-content-sha256:{payload_hash}\n\
             x-amz-date:{}\n\n{signed_headers}\n{payload_hash}",
            self.host,
            now.timestamp()
        );
        let key = SigningKey::derive(&self.secret_key, &now.date(), &self.region, "iam");
        let signature =
            hex::encode(key.sign(&string_to_sign(&now.timestamp(), &scope, &canonical)));
        let response = self
            .agent
            .post(&self.url)
            .header("content-type", content_type)
            .header("x-amz-content-sha256", &payload_hash)
            .header("x-amz-date", now.timestamp())
            .header(
                "authorization",
                format!(
                    "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, \
                     Signature={signature}",
                    self.access_key
                ),
            )
            .send(body)
            .with_context(|| format!("{action}: no answer from {}", self.url))?;
        let status = response.status();
        let text = response
            .into_body()
            .read_to_string()
            .with_context(|| format!("{action}: reading the answer"))?;
        let reply = Reply::parse(&text)?;
        if !status.is_success() {
            match (reply.first("Code"), reply.first("Message")) {
                (Some(code), Some(message)) => bail!("{code}: {message}"),
                (Some(code), None) => bail!("{code}"),
                _ => bail!("{action}: HTTP {status}"),
            }
        }
        Ok(reply)
    }

    /// Runs a paged `List*` action to its end; every member of every page.
    fn list_all(&self, action: &str, params: &[(&str, &str)]) -> anyhow::Result<Vec<Member>> {
        let mut members = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut page_params = params.to_vec();
            if let Some(marker) = &marker {
                page_params.push(("Marker", marker));
            }
            let reply = self.call(action, &page_params)?;
            let next = (reply.first("IsTruncated") == Some("true"))
                .then(|| reply.first("Marker").map(str::to_owned))
                .flatten();
            members.extend(reply.members);
            match next {
                Some(next) => marker = Some(next),
                None => return Ok(members),
            }
        }
    }
}

/// `--account` picks an account of a stopped store; a running server acts
/// in the account of the credentials that sign.
fn signer_account(account: Option<&str>) -> anyhow::Result<()> {
    match account {
        None => Ok(()),
        Some(name) => bail!(
            "--account {name}: with --endpoint, commands act in the account whose \
             credentials sign; sign with that account's root key instead"
        ),
    }
}

impl Directory for Remote {
    fn create_account(&self, name: &str) -> anyhow::Result<NewAccount> {
        let reply = self.call("CreateAccount", &[("AccountName", name)])?;
        Ok(NewAccount {
            account: AccountRow {
                id: reply.require("AccountId")?,
                name: reply.require("AccountName")?,
                canonical_id: reply.require("CanonicalUserId")?,
            },
            key: NewKey {
                id: reply.require("AccessKeyId")?,
                secret: reply.require("SecretAccessKey")?,
            },
        })
    }

    fn accounts(&self) -> anyhow::Result<Vec<AccountRow>> {
        let reply = self.call("ListAccounts", &[])?;
        reply
            .members
            .iter()
            .map(|m| {
                Ok(AccountRow {
                    id: m.require("AccountId")?,
                    name: m.require("AccountName")?,
                    canonical_id: m.require("CanonicalUserId")?,
                })
            })
            .collect()
    }

    fn create_root_key(&self, name: &str) -> anyhow::Result<NewKey> {
        bail!(
            "account root-key {name}: works on the stopped store only (a root that lost its \
             keys cannot sign); stop the server and run it without --endpoint"
        )
    }

    fn create_user(&self, account: Option<&str>, name: &str) -> anyhow::Result<UserRow> {
        signer_account(account)?;
        let reply = self.call("CreateUser", &[("UserName", name)])?;
        user_row(&reply.fields)
    }

    fn users(&self, account: Option<&str>) -> anyhow::Result<Vec<UserRow>> {
        signer_account(account)?;
        self.list_all("ListUsers", &[])?
            .iter()
            .map(|m| user_row(&m.fields))
            .collect()
    }

    fn delete_user(&self, account: Option<&str>, name: &str) -> anyhow::Result<()> {
        signer_account(account)?;
        self.call("DeleteUser", &[("UserName", name)]).map(drop)
    }

    fn create_key(&self, account: Option<&str>, user: &str) -> anyhow::Result<NewKey> {
        signer_account(account)?;
        let reply = self.call("CreateAccessKey", &[("UserName", user)])?;
        Ok(NewKey {
            id: reply.require("AccessKeyId")?,
            secret: reply.require("SecretAccessKey")?,
        })
    }

    fn keys(&self, account: Option<&str>, user: &str) -> anyhow::Result<Vec<KeyRow>> {
        signer_account(account)?;
        self.list_all("ListAccessKeys", &[("UserName", user)])?
            .iter()
            .map(|m| {
                Ok(KeyRow {
                    id: m.require("AccessKeyId")?,
                    status: m.require("Status")?,
                    created: m.require("CreateDate")?,
                })
            })
            .collect()
    }

    fn delete_key(&self, account: Option<&str>, user: &str, key: &str) -> anyhow::Result<()> {
        signer_account(account)?;
        self.call(
            "DeleteAccessKey",
            &[("UserName", user), ("AccessKeyId", key)],
        )
        .map(drop)
    }

    fn put_user_policy(
        &self,
        account: Option<&str>,
        user: &str,
        name: &str,
        document: &str,
    ) -> anyhow::Result<()> {
        signer_account(account)?;
        self.call(
            "PutUserPolicy",
            &[
                ("UserName", user),
                ("PolicyName", name),
                ("PolicyDocument", document),
            ],
        )
        .map(drop)
    }

    fn user_policies(&self, account: Option<&str>, user: &str) -> anyhow::Result<UserPolicies> {
        signer_account(account)?;
        let inline = self
            .list_all("ListUserPolicies", &[("UserName", user)])?
            .into_iter()
            .filter_map(|m| m.text)
            .collect();
        let attached = self
            .list_all("ListAttachedUserPolicies", &[("UserName", user)])?
            .iter()
            .map(|m| m.require("PolicyArn"))
            .collect::<anyhow::Result<_>>()?;
        Ok(UserPolicies { inline, attached })
    }
}

fn user_row(fields: &Fields) -> anyhow::Result<UserRow> {
    Ok(UserRow {
        name: fields.require("UserName")?,
        id: fields.require("UserId")?,
        path: fields.require("Path")?,
        arn: fields.require("Arn")?,
    })
}

/// Leaf elements by name, in document order.
#[derive(Default)]
struct Fields(Vec<(String, String)>);

impl Fields {
    fn first(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn require(&self, name: &str) -> anyhow::Result<String> {
        self.first(name)
            .map(str::to_owned)
            .with_context(|| format!("the server's answer has no {name}"))
    }
}

/// One `<member>` of a list: its leaf elements, or its text.
#[derive(Default)]
struct Member {
    fields: Fields,
    text: Option<String>,
}

impl Member {
    fn require(&self, name: &str) -> anyhow::Result<String> {
        self.fields.require(name)
    }
}

/// An IAM response document: every leaf element, and the members of its list.
struct Reply {
    fields: Fields,
    members: Vec<Member>,
}

impl Reply {
    fn parse(text: &str) -> anyhow::Result<Self> {
        let mut reader = quick_xml::Reader::from_str(text);
        let mut stack: Vec<String> = Vec::new();
        let mut fields = Fields::default();
        let mut members = Vec::new();
        let mut member: Option<Member> = None;
        // The text of the innermost open element, with its references resolved.
        let mut value = String::new();
        loop {
            match reader
                .read_event()
                .context("the server's answer is not XML")?
            {
                Event::Start(start) => {
                    let name = start.local_name().as_ref().to_owned();
                    if name == "member" {
                        member = Some(Member::default());
                    }
                    stack.push(name);
                    value.clear();
                }
                Event::Text(raw) => value.push_str(&raw.xml10_content()),
                Event::GeneralRef(reference) => {
                    let name = reference.xml10_content();
                    match reference.resolve_char_ref().ok().flatten() {
                        Some(c) => value.push(c),
                        None => value.push_str(
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .context("the server's answer is not XML")?,
                        ),
                    }
                }
                Event::End(_) => {
                    let name = stack.pop().unwrap_or_default();
                    let text = std::mem::take(&mut value);
                    if !text.trim().is_empty() {
                        match member.as_mut() {
                            Some(m) if name == "member" => m.text = Some(text.clone()),
                            Some(m) => m.fields.0.push((name.clone(), text.clone())),
                            None => {}
                        }
                        fields.0.push((name.clone(), text));
                    }
                    if name == "member" {
                        members.extend(member.take());
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(Self { fields, members })
    }

    fn first(&self, name: &str) -> Option<&str> {
        self.fields.first(name)
    }

    fn require(&self, name: &str) -> anyhow::Result<String> {
        self.fields.require(name)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_members_leaves_and_errors() {
        let reply = Reply::parse(
            "<ListUsersResponse><ListUsersResult><Users>\
             <member><UserName>a&amp;b</UserName><Path>/</Path></member>\
             <member><UserName>c</UserName></member></Users>\
             <IsTruncated>true</IsTruncated><Marker>m</Marker></ListUsersResult></ListUsersResponse>",
        )
        .unwrap();
        assert_eq!(reply.members.len(), 2);
        assert_eq!(reply.members[0].require("UserName").unwrap(), "a&b");
        assert_eq!(reply.members[1].require("UserName").unwrap(), "c");
        assert_eq!(reply.first("Marker"), Some("m"));
        let names = Reply::parse("<R><PolicyNames><member>p1</member></PolicyNames></R>").unwrap();
        assert_eq!(names.members[0].text.as_deref(), Some("p1"));
        assert!(Reply::parse("<R><a>").is_ok_and(|r| r.first("a").is_none()));
    }
}
