//! The license-details screen in one statement shows what the two-statement
//! read shows, page by page, and answers `None` (for the general path to
//! explain) when there is nothing to show.

use seatwise_core::ids::*;
use seatwise_core::model::Seats;
use seatwise_core::paging::PageRequest;
use seatwise_core::testing::TestDatabase;
use seatwise_core::{PrincipalCard, test_on_both_backends};

use crate::support::{Fixture, g, u};

test_on_both_backends!(
    the_screen_in_one_statement_matches_the_two_statement_read,
    the_screen_is_none_when_there_is_nothing_to_show
);

async fn the_screen_in_one_statement_matches_the_two_statement_read(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(10).await;
    let ada = f.user("Ada").await;
    let bob = f.user("Bob").await;
    let cy = f.user("Cy").await;
    let team = f.group("Team", &[bob, cy]).await;
    f.assign(app, &[u(ada)]).await.expect("assign Ada");
    f.assign(app, &[g(team)]).await.expect("assign the team");
    f.assign(app, &[u(cy)]).await.expect("assign Cy");
    // Another app of the tenant, so the page must not wander off its app.
    let other = f.app(5).await;
    f.assign(other, &[u(bob)])
        .await
        .expect("assign the other app");

    let before = f.store.statements().get();
    let first = f
        .store
        .license_details_screen(f.tenant, app, &PageRequest::first(2).counting_total(true))
        .await
        .expect("read")
        .expect("a screen");
    assert_eq!(f.store.statements().get() - before, 1, "one statement");

    assert_eq!(first.app.id, app);
    assert_eq!(first.app.name, "Fabrikam Whiteboard");
    assert_eq!(first.app.vendor.support_email, "support@fabrikam.example");
    assert_eq!(
        first.app.seats,
        Seats {
            purchased: 10,
            assigned: 3
        }
    );
    assert_eq!(first.assignments.total_count, Some(3));
    assert!(first.assignments.has_next_page);
    assert!(!first.assignments.has_previous_page);
    let cards: Vec<&PrincipalCard> = first
        .assignments
        .items
        .iter()
        .map(|(_, line)| &line.principal)
        .collect();
    assert!(matches!(
        cards[..],
        [
            PrincipalCard::User { id, display_name, email },
            PrincipalCard::Group { id: group, display_name: group_name },
        ] if *id == ada && display_name == "Ada" && email.starts_with("ada.")
            && *group == team && group_name == "Team"
    ));

    // The same page, read the two-statement way.
    let general = f
        .store
        .app_with_assignments(f.tenant, app, &PageRequest::first(2).counting_total(true))
        .await
        .expect("read")
        .expect("the app");
    let one: Vec<AssignmentId> = first
        .assignments
        .items
        .iter()
        .map(|(_, l)| l.assignment.id)
        .collect();
    let two: Vec<AssignmentId> = general
        .assignments
        .items
        .iter()
        .map(|(_, a)| a.id)
        .collect();
    assert_eq!(one, two, "the same assignments in the same order");
    assert_eq!(
        first
            .assignments
            .items
            .iter()
            .map(|(c, _)| c.encode())
            .collect::<Vec<_>>(),
        general
            .assignments
            .items
            .iter()
            .map(|(c, _)| c.encode())
            .collect::<Vec<_>>(),
        "the same cursors"
    );
    assert_eq!(
        first.assignments.items[0].1.assignment,
        general.assignments.items[0].1
    );

    // The next page, after the first page's last cursor.
    let after = first.assignments.items[1].0.clone();
    let rest = f
        .store
        .license_details_screen(
            f.tenant,
            app,
            &PageRequest::first(2)
                .after(Some(after))
                .counting_total(false),
        )
        .await
        .expect("read")
        .expect("a screen");
    assert!(rest.assignments.has_previous_page);
    assert!(!rest.assignments.has_next_page);
    assert_eq!(rest.assignments.total_count, None, "not asked for");
    assert!(matches!(
        &rest.assignments.items[..],
        [(_, line)] if matches!(&line.principal,
            PrincipalCard::User { id, display_name, .. } if *id == cy && display_name == "Cy")
    ));
}

async fn the_screen_is_none_when_there_is_nothing_to_show(db: &TestDatabase) {
    let f = Fixture::new(db).await;
    let app = f.app(10).await;
    let ada = f.user("Ada").await;
    // No assignment yet: nothing on the page, so no row.
    let page = PageRequest::first(20).counting_total(true);
    let empty = f.store.license_details_screen(f.tenant, app, &page).await;
    assert!(matches!(empty, Ok(None)));

    f.assign(app, &[u(ada)]).await.expect("assign");
    let screen = f.store.license_details_screen(f.tenant, app, &page).await;
    assert!(matches!(screen, Ok(Some(_))));

    // Past the last assignment.
    let last = match screen {
        Ok(Some(s)) => s.assignments.items[0].0.clone(),
        _ => unreachable!("checked above"),
    };
    let past = f
        .store
        .license_details_screen(f.tenant, app, &PageRequest::first(20).after(Some(last)))
        .await;
    assert!(matches!(past, Ok(None)));

    // An id the tenant does not have, and the same app seen from another
    // tenant.
    let unknown = AppId(uuid::Uuid::now_v7());
    assert!(matches!(
        f.store
            .license_details_screen(f.tenant, unknown, &page)
            .await,
        Ok(None)
    ));
    let stranger = Fixture::new(db).await;
    assert!(matches!(
        stranger
            .store
            .license_details_screen(stranger.tenant, app, &page)
            .await,
        Ok(None)
    ));
}
