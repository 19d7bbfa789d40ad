//! Users, groups (and membership) and roles.

use std::time::SystemTime;

use super::table::{self, Entity};
use super::{HasPolicies, new_id};
use crate::engine::Engine;
use crate::meta::MetaDb;
use crate::types::{Group, IamPage, MAX_GROUPS_PER_USER, Policies, Role, User};
use crate::{Error, Result};

/// IAM's rules for user, group, role (and account) names.
pub(super) fn check_name(kind: &str, name: &str, max: usize) -> Result<()> {
    let valid = (1..=max).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "The specified value for {kind}Name is invalid. It must contain only alphanumeric \
             characters and/or the following: +=,.@_- and be 1 to {max} characters long."
        )))
    }
}

/// IAM's rule for paths: `/`, or `/` ... `/` of printable ASCII.
pub(super) fn check_path(path: &str) -> Result<()> {
    let valid = path.len() <= 512
        && path.starts_with('/')
        && path.ends_with('/')
        && path.chars().all(|c| ('!'..='~').contains(&c));
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidInput(
            "The specified value for path is invalid. It must begin and end with / and \
             contain only alphanumeric characters and/or / characters."
                .into(),
        ))
    }
}

/// Refuses to delete an entity that still holds policies.
fn no_policies_left(policies: &Policies) -> Result<()> {
    if !policies.inline.is_empty() {
        return Err(Error::DeleteConflict(
            "Cannot delete entity, must delete policies first.".into(),
        ));
    }
    if !policies.attached.is_empty() {
        return Err(Error::DeleteConflict(
            "Cannot delete entity, must detach all policies first.".into(),
        ));
    }
    Ok(())
}

/// Stores `entity` unless one of its kind and name exists.
fn create<E: Entity>(engine: &Engine, account: &str, entity: E) -> Result<E> {
    let db = &engine.inner.shared.db;
    let _lock = engine.inner.iam_lock.lock();
    engine.account(account)?;
    if table::get::<E>(db, account, entity.name())?.is_some() {
        return Err(E::exists(entity.name()));
    }
    let mut batch = db.batch();
    table::put(&mut batch, account, &entity)?;
    batch.commit()?;
    Ok(entity)
}

impl Engine {
    /// Creates user `name` under `path` (`/` by default).
    pub fn create_user(&self, account: &str, name: &str, path: &str) -> Result<User> {
        check_name("User", name, 64)?;
        check_path(path)?;
        create(
            self,
            account,
            User {
                name: name.to_owned(),
                id: new_id("AIDA", 17),
                path: path.to_owned(),
                created: SystemTime::now(),
                policies: Policies::default(),
                groups: Vec::new(),
                access_keys: Vec::new(),
            },
        )
    }

    /// User `name` (`NoSuchEntity` if none).
    pub fn user(&self, account: &str, name: &str) -> Result<User> {
        table::require(&self.inner.shared.db, account, name)
    }

    /// Users whose path starts with `path_prefix`, by name, after `marker`.
    pub fn users(
        &self,
        account: &str,
        path_prefix: &str,
        marker: Option<&str>,
        max: usize,
    ) -> Result<IamPage<User>> {
        table::list(&self.inner.shared.db, account, path_prefix, marker, max)
    }

    /// Renames user `name` to `new_name` and/or moves it to `new_path`, in
    /// one batch: its access keys, groups and policies follow it.
    pub fn update_user(
        &self,
        account: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<User> {
        if let Some(new_name) = new_name {
            check_name("User", new_name, 64)?;
        }
        if let Some(new_path) = new_path {
            check_path(new_path)?;
        }
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        let mut user: User = table::require(db, account, name)?;
        let mut batch = db.batch();
        if let Some(new_name) = new_name.filter(|n| *n != user.name) {
            let same_row = new_name.eq_ignore_ascii_case(&user.name);
            if !same_row && table::get::<User>(db, account, new_name)?.is_some() {
                return Err(User::exists(new_name));
            }
            if !same_row {
                table::remove::<User>(&mut batch, account, &user.name)?;
            }
            for key in &user.access_keys {
                super::access_keys::set_owner(db, &mut batch, key, new_name)?;
            }
            user.name = new_name.to_owned();
        }
        if let Some(new_path) = new_path {
            user.path = new_path.to_owned();
        }
        table::put(&mut batch, account, &user)?;
        batch.commit()?;
        Ok(user)
    }

    /// Deletes user `name`: refused (`DeleteConflict`, as IAM) while it has
    /// access keys, policies or groups.
    pub fn delete_user(&self, account: &str, name: &str) -> Result<()> {
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        let user: User = table::require(db, account, name)?;
        if !user.access_keys.is_empty() {
            return Err(Error::DeleteConflict(
                "Cannot delete entity, must delete access keys first.".into(),
            ));
        }
        no_policies_left(&user.policies)?;
        if !user.groups.is_empty() {
            return Err(Error::DeleteConflict(
                "Cannot delete entity, must remove users from group first.".into(),
            ));
        }
        let mut batch = db.batch();
        table::remove::<User>(&mut batch, account, name)?;
        batch.commit()
    }

    /// Creates group `name`.
    pub fn create_group(&self, account: &str, name: &str, path: &str) -> Result<Group> {
        check_name("Group", name, 128)?;
        check_path(path)?;
        create(
            self,
            account,
            Group {
                name: name.to_owned(),
                id: new_id("AGPA", 17),
                path: path.to_owned(),
                created: SystemTime::now(),
                policies: Policies::default(),
            },
        )
    }

    /// Group `name` and its members.
    pub fn group(&self, account: &str, name: &str) -> Result<(Group, Vec<User>)> {
        let db = &self.inner.shared.db;
        let group: Group = table::require(db, account, name)?;
        Ok((group.clone(), members(db, account, &group.name)?))
    }

    pub fn groups(
        &self,
        account: &str,
        path_prefix: &str,
        marker: Option<&str>,
        max: usize,
    ) -> Result<IamPage<Group>> {
        table::list(&self.inner.shared.db, account, path_prefix, marker, max)
    }

    /// The groups user `name` is in.
    pub fn groups_for_user(&self, account: &str, name: &str) -> Result<Vec<Group>> {
        let db = &self.inner.shared.db;
        let user: User = table::require(db, account, name)?;
        user.groups
            .iter()
            .map(|g| table::require(db, account, g))
            .collect()
    }

    /// Deletes group `name`: refused while it has members or policies.
    pub fn delete_group(&self, account: &str, name: &str) -> Result<()> {
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        let group: Group = table::require(db, account, name)?;
        if !members(db, account, &group.name)?.is_empty() {
            return Err(Error::DeleteConflict(
                "Cannot delete entity, must remove users from group first.".into(),
            ));
        }
        no_policies_left(&group.policies)?;
        let mut batch = db.batch();
        table::remove::<Group>(&mut batch, account, name)?;
        batch.commit()
    }

    /// Adds user `user` to group `group` (nothing if already in it).
    pub fn add_user_to_group(&self, account: &str, group: &str, user: &str) -> Result<()> {
        self.change_membership(account, group, user, true)
    }

    pub fn remove_user_from_group(&self, account: &str, group: &str, user: &str) -> Result<()> {
        self.change_membership(account, group, user, false)
    }

    fn change_membership(&self, account: &str, group: &str, user: &str, add: bool) -> Result<()> {
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        let group: Group = table::require(db, account, group)?;
        let mut user: User = table::require(db, account, user)?;
        let member = user
            .groups
            .iter()
            .position(|g| g.eq_ignore_ascii_case(&group.name));
        match (add, member) {
            (true, None) => {
                if user.groups.len() >= MAX_GROUPS_PER_USER {
                    return Err(Error::LimitExceeded(format!(
                        "Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}"
                    )));
                }
                user.groups.push(group.name);
            }
            (false, Some(at)) => {
                user.groups.remove(at);
            }
            (false, None) => {
                return Err(Error::NoSuchEntity(format!(
                    "The user with name {} cannot be found in group {}.",
                    user.name, group.name
                )));
            }
            (true, Some(_)) => return Ok(()),
        }
        let mut batch = db.batch();
        table::put(&mut batch, account, &user)?;
        batch.commit()
    }

    /// Creates role `name`, assumable by whom `trust_policy` names.
    pub fn create_role(
        &self,
        account: &str,
        name: &str,
        path: &str,
        trust_policy: &str,
        description: &str,
        max_session_duration: u32,
    ) -> Result<Role> {
        check_name("Role", name, 64)?;
        check_path(path)?;
        check_session_duration(max_session_duration)?;
        create(
            self,
            account,
            Role {
                name: name.to_owned(),
                id: new_id("AROA", 17),
                path: path.to_owned(),
                created: SystemTime::now(),
                description: description.to_owned(),
                assume_role_policy: trust_policy.to_owned(),
                max_session_duration,
                policies: Policies::default(),
            },
        )
    }

    pub fn role(&self, account: &str, name: &str) -> Result<Role> {
        table::require(&self.inner.shared.db, account, name)
    }

    pub fn roles(
        &self,
        account: &str,
        path_prefix: &str,
        marker: Option<&str>,
        max: usize,
    ) -> Result<IamPage<Role>> {
        table::list(&self.inner.shared.db, account, path_prefix, marker, max)
    }

    /// Replaces the trust policy of role `name`.
    pub fn update_assume_role_policy(&self, account: &str, name: &str, policy: &str) -> Result<()> {
        self.update::<Role>(account, name, |role| {
            role.assume_role_policy = policy.to_owned();
            Ok(())
        })
    }

    /// Deletes role `name`: refused while it has policies.
    pub fn delete_role(&self, account: &str, name: &str) -> Result<()> {
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        let role: Role = table::require(db, account, name)?;
        no_policies_left(&role.policies)?;
        let mut batch = db.batch();
        table::remove::<Role>(&mut batch, account, name)?;
        batch.commit()
    }

    /// Reads entity `name`, lets `change` modify it, stores it: one locked step.
    pub(super) fn update<E: HasPolicies>(
        &self,
        account: &str,
        name: &str,
        change: impl FnOnce(&mut E) -> Result<()>,
    ) -> Result<()> {
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        let mut entity: E = table::require(db, account, name)?;
        change(&mut entity)?;
        let mut batch = db.batch();
        table::put(&mut batch, account, &entity)?;
        batch.commit()
    }
}

fn check_session_duration(seconds: u32) -> Result<()> {
    if (3600..=43200).contains(&seconds) {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "The requested MaxSessionDuration {seconds} is not between 3600 and 43200 seconds."
        )))
    }
}

/// The users of `account` in group `group`.
fn members(db: &MetaDb, account: &str, group: &str) -> Result<Vec<User>> {
    Ok(table::all::<User>(db, account)?
        .into_iter()
        .filter(|u| u.groups.iter().any(|g| g.eq_ignore_ascii_case(group)))
        .collect())
}
