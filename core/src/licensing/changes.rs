//! [`LicenseChanges`]: who gained and who lost each app's license in one
//! committed write. Every write that can change who holds a license returns
//! one, in the same shape, so whatever reacts to those changes (vendor
//! notices today, a webhooks outbox later) has one seam to hang off and
//! never re-derives them from a write's particular outcome.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{AppId, UserId};

/// Per app, the users who gained and who lost its license in one write.
///
/// "Gained" means the user took a seat (users left waiting in
/// `COUNT_VIOLATION` are not listed); "lost" means the user no longer holds
/// the license at all (their seat, if they had one, was freed). Users are
/// deduplicated and ordered by id, apps by id; an app nothing changed for
/// is not listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LicenseChanges {
    by_app: BTreeMap<AppId, AppLicenseChanges>,
}

/// One app's part of [`LicenseChanges`]; never empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppLicenseChanges {
    gained: BTreeSet<UserId>,
    lost: BTreeSet<UserId>,
}

impl AppLicenseChanges {
    /// Users who took a seat, by id.
    pub fn gained(&self) -> &BTreeSet<UserId> {
        &self.gained
    }

    /// Users who no longer hold the license, by id.
    pub fn lost(&self) -> &BTreeSet<UserId> {
        &self.lost
    }
}

impl LicenseChanges {
    /// Nothing changed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record that `users` took a seat of `app`.
    ///
    /// What counts is the state at commit: a user recorded earlier in the
    /// same write as having lost the license is taken off that list.
    pub fn record_gained(
        &mut self,
        app: AppId,
        users: impl IntoIterator<Item = UserId>,
    ) -> &mut Self {
        self.record(app, users, |changes| {
            (&mut changes.gained, &mut changes.lost)
        })
    }

    /// Record that `users` no longer hold `app`'s license.
    ///
    /// What counts is the state at commit: a user recorded earlier in the
    /// same write as having taken a seat is taken off that list.
    pub fn record_lost(
        &mut self,
        app: AppId,
        users: impl IntoIterator<Item = UserId>,
    ) -> &mut Self {
        self.record(app, users, |changes| {
            (&mut changes.lost, &mut changes.gained)
        })
    }

    fn record(
        &mut self,
        app: AppId,
        users: impl IntoIterator<Item = UserId>,
        lists: impl Fn(&mut AppLicenseChanges) -> (&mut BTreeSet<UserId>, &mut BTreeSet<UserId>),
    ) -> &mut Self {
        let mut users = users.into_iter().peekable();
        if users.peek().is_none() {
            return self;
        }
        let changes = self.by_app.entry(app).or_default();
        let (into, out_of) = lists(changes);
        for user in users {
            out_of.remove(&user);
            into.insert(user);
        }
        self
    }

    /// Whether no app's license changed hands.
    pub fn is_empty(&self) -> bool {
        self.by_app.is_empty()
    }

    /// How many apps' licenses changed hands.
    pub fn app_count(&self) -> usize {
        self.by_app.len()
    }

    /// The apps whose license changed hands, by id, with what changed.
    pub fn apps(&self) -> impl ExactSizeIterator<Item = (AppId, &AppLicenseChanges)> {
        self.by_app.iter().map(|(app, changes)| (*app, changes))
    }

    /// What changed for `app`, if anything.
    pub fn app(&self, app: AppId) -> Option<&AppLicenseChanges> {
        self.by_app.get(&app)
    }

    /// Users who took a seat, all apps together (a user counts once per app).
    pub fn gained_count(&self) -> usize {
        self.by_app.values().map(|c| c.gained.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<T: From<uuid::Uuid> + Ord>(n: usize) -> Vec<T> {
        let mut ids: Vec<T> = (0..n).map(|_| T::from(uuid::Uuid::now_v7())).collect();
        ids.sort();
        ids
    }

    #[test]
    fn users_are_deduplicated_and_ordered_by_id_and_empty_apps_left_out() {
        let [a, b, quiet]: [AppId; 3] = ids(3).try_into().unwrap();
        let users: Vec<UserId> = ids(3);
        let mut changes = LicenseChanges::new();
        changes
            .record_gained(b, [users[2], users[0], users[2]])
            .record_lost(a, [users[1]])
            .record_gained(a, [users[0]])
            .record_gained(quiet, [])
            .record_lost(quiet, []);
        assert_eq!(changes.app_count(), 2);
        let listed: Vec<(AppId, Vec<UserId>, Vec<UserId>)> = changes
            .apps()
            .map(|(app, c)| {
                (
                    app,
                    c.gained().iter().copied().collect(),
                    c.lost().iter().copied().collect(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            vec![
                (a, vec![users[0]], vec![users[1]]),
                (b, vec![users[0], users[2]], vec![]),
            ]
        );
        assert_eq!(changes.gained_count(), 3);
        assert!(changes.app(quiet).is_none());
    }

    #[test]
    fn the_state_at_commit_wins() {
        let [app]: [AppId; 1] = ids(1).try_into().unwrap();
        let [ada, bob]: [UserId; 2] = ids(2).try_into().unwrap();
        let mut changes = LicenseChanges::new();
        changes
            .record_lost(app, [ada])
            .record_gained(app, [ada])
            .record_gained(app, [bob])
            .record_lost(app, [bob]);
        let app = changes.app(app).expect("changed");
        assert_eq!(app.gained().iter().copied().collect::<Vec<_>>(), vec![ada]);
        assert_eq!(app.lost().iter().copied().collect::<Vec<_>>(), vec![bob]);
    }
}
