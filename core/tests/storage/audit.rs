//! The audit trail records who changed what, newest first.

use seatwise_core::model::Actor;
use seatwise_core::paging::PageRequest;
use seatwise_core::testing::TestDatabase;

use crate::support::{Fixture, u};
use seatwise_core::test_on_both_backends;

test_on_both_backends!(audit_trail_records_changes);

async fn audit_trail_records_changes(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(5).await;
    let ada = f.user("Ada").await;
    let actor = Actor::named("license-admin@contoso");
    f.store
        .assign_licenses(f.tenant, &actor, app, &[u(ada)])
        .await
        .unwrap();
    f.store
        .unassign_licenses(f.tenant, &actor, app, &[u(ada)])
        .await
        .unwrap();
    let log = f
        .store
        .audit_log(f.tenant, Some(app), &PageRequest::first(10))
        .await
        .unwrap();
    let actions: Vec<_> = log.items.iter().map(|(_, e)| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["LICENSE_UNASSIGNED", "LICENSE_ASSIGNED", "APP_REGISTERED"],
        "newest first"
    );
    assert_eq!(log.items[0].1.actor, "license-admin@contoso");
}
