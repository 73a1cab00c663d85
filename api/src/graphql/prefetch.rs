//! Look-ahead planning for the license-details screen.
//!
//! `app(id) { … assignments(first, after) { … principal { … } } }` is the
//! product's hottest read. Resolved field by field it costs a statement per
//! relation (app, page, count, users, groups). Here `Query.app` looks ahead
//! at its selection; when it opens `assignments` exactly once, it reads the
//! app, then that page with its count and principals, in two statements on
//! one connection
//! ([`Store::app_with_assignments`](seatwise_core::Store::app_with_assignments)),
//! feeds the principals to the request's DataLoaders and leaves the page
//! here, where `App.assignments` takes it instead of querying.
//!
//! Invariants: a prefetched page is used at most once, and only by the
//! `assignments` field whose page request it was read for (same app, size,
//! cursor and count flag); anything else (an alias asking twice, a bad
//! cursor, nested apps) falls back to the general, DataLoader-bounded path,
//! which also reports the errors. The plan never changes an answer, only
//! how many statements it takes.

use std::collections::HashMap;
use std::sync::Mutex;

use async_graphql::{Context, Value};
use seatwise_core::ids::AppId;
use seatwise_core::model::Assignment;
use seatwise_core::paging::{Page, PageRequest};

use super::connection::page_request;

/// What identifies a page request: its size, cursor and count flag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PageKey {
    first: usize,
    after: Option<uuid::Uuid>,
    count_total: bool,
}

impl PageKey {
    fn of(page: &PageRequest) -> Self {
        Self {
            first: page.first,
            after: page.after.as_ref().map(|c| c.id),
            count_total: page.count_total,
        }
    }
}

/// Pages of assignments read ahead of their field, for one request.
#[derive(Default)]
pub struct PrefetchedAssignments(Mutex<HashMap<(AppId, PageKey), Page<Assignment>>>);

impl PrefetchedAssignments {
    /// Leave `assignments` for the `assignments` field of `app` asking for
    /// `page`.
    pub fn put(&self, app: AppId, page: &PageRequest, assignments: Page<Assignment>) {
        if let Ok(mut pages) = self.0.lock() {
            pages.insert((app, PageKey::of(page)), assignments);
        }
    }

    /// The page read ahead for exactly this request, if any; it is removed,
    /// so a second identical field reads afresh.
    pub fn take(&self, app: AppId, page: &PageRequest) -> Option<Page<Assignment>> {
        self.0.lock().ok()?.remove(&(app, PageKey::of(page)))
    }
}

/// The page `app`'s selection will ask `assignments` for, when it asks
/// exactly once with arguments that parse; `None` means: do not plan.
pub fn planned_assignment_page(ctx: &Context<'_>) -> Option<PageRequest> {
    let assignments = ctx.look_ahead().field("assignments");
    let [field] = assignments.selection_fields()[..] else {
        return None;
    };
    let mut first = None;
    let mut after = None;
    for (name, value) in field.arguments().ok()? {
        match (name.as_str(), value) {
            ("first", Value::Number(n)) => first = Some(i32::try_from(n.as_i64()?).ok()?),
            ("after", Value::String(s)) => after = Some(s),
            (_, Value::Null) => {}
            _ => return None,
        }
    }
    let counts = assignments.field("totalCount").exists();
    Some(
        page_request(first, after.as_deref())
            .ok()?
            .counting_total(counts),
    )
}
