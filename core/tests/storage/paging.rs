//! Keyset pages follow opaque cursors in case-insensitive name order; oversize
//! pages and garbage cursors are refused.

use seatwise_core::CoreError;
use seatwise_core::paging::{Cursor, PageRequest};
use seatwise_core::testing::TestDatabase;

use crate::support::Fixture;
use seatwise_core::test_on_both_backends;

test_on_both_backends!(pages_follow_cursors);

async fn pages_follow_cursors(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    for name in ["Carol", "alice", "Bob", "dave", "Eve"] {
        f.user(name).await;
    }
    let first = f
        .store
        .list_users(f.tenant, None, &PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(first.total_count, Some(5));
    assert!(first.has_next_page);
    let names: Vec<_> = first
        .items
        .iter()
        .map(|(_, u)| u.display_name.as_str())
        .collect();
    assert_eq!(names, ["alice", "Bob"], "case-insensitive name order");
    let after: Cursor = Cursor::decode(&first.items[1].0.encode()).unwrap();
    let rest = f
        .store
        .list_users(f.tenant, None, &PageRequest::first(10).after(Some(after)))
        .await
        .unwrap();
    let names: Vec<_> = rest
        .items
        .iter()
        .map(|(_, u)| u.display_name.as_str())
        .collect();
    assert_eq!(names, ["Carol", "dave", "Eve"]);
    assert!(!rest.has_next_page);
    assert!(matches!(
        PageRequest::new(Some(101), None),
        Err(CoreError::InvalidInput { .. })
    ));
    assert!(Cursor::decode("garbage").is_err());
    let searched = f
        .store
        .list_users(f.tenant, Some("AV"), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(searched.items.len(), 1, "substring search on names");
}
