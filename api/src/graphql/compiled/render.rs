//! Writes a [`Plan`]'s response for a [`LicenseDetailsScreen`] straight to
//! JSON bytes, in the plan's key order, as async-graphql would have written
//! it: `{"data":{"<app key>":{…}}}`.
//!
//! Every scalar goes through the function the schema's resolver uses (ids
//! through [`ids::write_encoded`], which [`ids::encode`] calls; cursors
//! through [`write_cursor`], which `encode_cursor` calls; times
//! through async-graphql's own `DateTime` scalar), so the two paths cannot
//! drift apart in what a value looks like; the e2e test
//! `compiled_screen` compares them byte for byte.

use std::io::Write as _;

use async_graphql::ScalarType;
use seatwise_core::paging::Cursor;
use seatwise_core::{AssignmentLine, LicenseDetailsScreen, PrincipalCard};

use super::plan::{
    AppField, AssignmentField, ConnectionField, EdgeField, GroupField, Out, PageInfoField, Plan,
    SeatsField, UserField, VendorField,
};
use crate::graphql::connection::write_cursor;
use crate::graphql::ids::{self, Kind};

/// The whole response body.
pub fn render(plan: &Plan, screen: &LicenseDetailsScreen) -> Vec<u8> {
    let mut json = Json {
        out: Vec::with_capacity(1024 + 256 * screen.assignments.items.len()),
        scratch: String::new(),
    };
    json.raw("{\"data\":{");
    json.key(&plan.app_key);
    object(&mut json, &plan.app, |json, field| app(json, field, screen));
    json.raw("}}");
    json.out
}

/// A JSON writer over a byte buffer. Strings are escaped by serde_json.
struct Json {
    out: Vec<u8>,
    /// Room for a cursor's plain text, reused by every cursor.
    scratch: String,
}

impl Json {
    fn raw(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
    }

    /// A global id, spelled by the schema's own function. Its base64url
    /// alphabet needs no escaping.
    fn id(&mut self, kind: Kind, id: uuid::Uuid) {
        self.out.push(b'"');
        ids::write_encoded(kind, id, &mut self.out);
        self.out.push(b'"');
    }

    /// A cursor, spelled by the schema's own function (base64url too).
    fn cursor(&mut self, cursor: &Cursor) {
        self.out.push(b'"');
        write_cursor(cursor, &mut self.scratch, &mut self.out);
        self.out.push(b'"');
    }

    fn optional_cursor(&mut self, cursor: Option<&Cursor>) {
        match cursor {
            Some(cursor) => self.cursor(cursor),
            None => self.raw("null"),
        }
    }

    fn string(&mut self, text: &str) {
        // Writing to a Vec cannot fail, and a &str always serialises.
        let _ = serde_json::to_writer(&mut self.out, text);
    }

    fn key(&mut self, key: &str) {
        self.string(key);
        self.out.push(b':');
    }

    fn int(&mut self, n: i64) {
        // Writing to a Vec cannot fail.
        let _ = write!(self.out, "{n}");
    }

    fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }
}

/// `{"key":value,…}` over `fields`, each value written by `write`.
fn object<F>(json: &mut Json, fields: &[Out<F>], mut write: impl FnMut(&mut Json, &F)) {
    json.out.push(b'{');
    for (i, out) in fields.iter().enumerate() {
        if i > 0 {
            json.out.push(b',');
        }
        json.key(&out.key);
        write(json, &out.field);
    }
    json.out.push(b'}');
}

fn app(json: &mut Json, field: &AppField, screen: &LicenseDetailsScreen) {
    let app = &screen.app;
    match field {
        AppField::Typename => json.string("App"),
        AppField::Id => json.id(Kind::App, app.id.0),
        AppField::Name => json.string(&app.name),
        AppField::Description => json.string(&app.description),
        AppField::Vendor(fields) => object(json, fields, |json, field| match field {
            VendorField::Typename => json.string("Vendor"),
            VendorField::Name => json.string(&app.vendor.name),
            VendorField::Website => json.string(&app.vendor.website),
            VendorField::SupportEmail => json.string(&app.vendor.support_email),
        }),
        AppField::Seats(fields) => object(json, fields, |json, field| match field {
            SeatsField::Typename => json.string("Seats"),
            SeatsField::Purchased => json.int(app.seats.purchased),
            SeatsField::Assigned => json.int(app.seats.assigned),
            SeatsField::Available => json.int(app.seats.available()),
        }),
        AppField::Assignments(fields) => object(json, fields, |json, field| {
            connection(json, field, screen);
        }),
    }
}

fn connection(json: &mut Json, field: &ConnectionField, screen: &LicenseDetailsScreen) {
    let page = &screen.assignments;
    match field {
        ConnectionField::Typename => json.string("LicenseAssignmentConnection"),
        // Planned only with `totalCount` asked, so counted.
        ConnectionField::TotalCount => json.int(page.total_count.unwrap_or_default()),
        ConnectionField::PageInfo(fields) => object(json, fields, |json, field| match field {
            PageInfoField::Typename => json.string("PageInfo"),
            PageInfoField::HasNextPage => json.bool(page.has_next_page),
            PageInfoField::HasPreviousPage => json.bool(page.has_previous_page),
            PageInfoField::StartCursor => json.optional_cursor(page.items.first().map(|(c, _)| c)),
            PageInfoField::EndCursor => json.optional_cursor(page.items.last().map(|(c, _)| c)),
        }),
        ConnectionField::Edges(fields) => list(json, &page.items, |json, (cursor, line)| {
            object(json, fields, |json, field| edge(json, field, cursor, line));
        }),
        ConnectionField::Nodes(fields) => list(json, &page.items, |json, (_, line)| {
            object(json, fields, |json, field| assignment(json, field, line));
        }),
    }
}

fn list<T>(json: &mut Json, items: &[T], mut write: impl FnMut(&mut Json, &T)) {
    json.out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            json.out.push(b',');
        }
        write(json, item);
    }
    json.out.push(b']');
}

fn edge(json: &mut Json, field: &EdgeField, cursor: &Cursor, line: &AssignmentLine) {
    match field {
        EdgeField::Typename => json.string("LicenseAssignmentEdge"),
        EdgeField::Cursor => json.cursor(cursor),
        EdgeField::Node(fields) => {
            object(json, fields, |json, field| assignment(json, field, line))
        }
    }
}

fn assignment(json: &mut Json, field: &AssignmentField, line: &AssignmentLine) {
    let assignment = &line.assignment;
    match field {
        AssignmentField::Typename => json.string("LicenseAssignment"),
        AssignmentField::Id => json.id(Kind::LicenseAssignment, assignment.id.0),
        AssignmentField::AssignedAt => match assignment.assigned_at.to_value() {
            async_graphql::Value::String(text) => json.string(&text),
            // The DateTime scalar always writes a string.
            _ => json.raw("null"),
        },
        AssignmentField::AssignedBy => json.string(&assignment.assigned_by),
        AssignmentField::Principal { user, group } => match &line.principal {
            PrincipalCard::User {
                id,
                display_name,
                email,
            } => object(json, user, |json, field| match field {
                UserField::Typename => json.string("User"),
                UserField::Id => json.id(Kind::User, id.0),
                UserField::DisplayName => json.string(display_name),
                UserField::Email => json.string(email),
            }),
            PrincipalCard::Group { id, display_name } => {
                object(json, group, |json, field| match field {
                    GroupField::Typename => json.string("Group"),
                    GroupField::Id => json.id(Kind::Group, id.0),
                    GroupField::DisplayName => json.string(display_name),
                })
            }
        },
    }
}
