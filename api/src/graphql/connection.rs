//! Relay connections: `edges { cursor node }`, `nodes`, `pageInfo`,
//! `totalCount`, read with `(first, after)`.
//!
//! Paging is forward only. The Relay spec's `last`/`before` are not offered:
//! every list is a keyset query in one direction, and reading backwards
//! would need a mirrored query (reversed comparison and order, then the rows
//! flipped) for each of them. `hasPreviousPage` and `startCursor` are still
//! served, with the spec's forward-paging meaning (see [`PageInfo`]).
//!
//! Cursors are the core's keyset cursors wrapped in base64url so clients
//! treat them as opaque. Each connection type is declared with
//! [`connection!`] so it gets its own name and description in the schema.

use async_graphql::SimpleObject;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use seatwise_core::paging::{Cursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest};
use seatwise_core::{CoreError, InputField};

/// Where a page starts and ends, and whether items lie beyond it (the Relay
/// cursor connections spec's `PageInfo`). Lists page forward only, with
/// `first` and `after`; `last` and `before` are not offered.
#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    /// True when items follow this page: ask again with `after: endCursor`.
    pub has_next_page: bool,
    /// True when the page was read with `after`: the item that cursor names
    /// came before this page. False for a first page. Lists page forward
    /// only, so this is what the server knows without another query; as the
    /// Relay spec allows, it does not check whether that item still exists.
    pub has_previous_page: bool,
    /// The cursor of the first item of this page (null for an empty page).
    pub start_cursor: Option<String>,
    /// The cursor of the last item of this page (null for an empty page):
    /// pass it as `after` to read the next page.
    pub end_cursor: Option<String>,
}

const CURSOR_PREFIX: &str = "cursor:";

/// A core cursor as an opaque string.
pub fn encode_cursor(cursor: &Cursor) -> String {
    let mut plain = String::new();
    URL_SAFE_NO_PAD.encode(plain_cursor(cursor, &mut plain))
}

/// Append `cursor`'s opaque spelling, as [`encode_cursor`] spells it, to
/// `out`. `plain` is scratch room, so a writer of many cursors allocates
/// it once.
pub fn write_cursor(cursor: &Cursor, plain: &mut String, out: &mut Vec<u8>) {
    crate::graphql::ids::write_base64(plain_cursor(cursor, plain).as_bytes(), out);
}

/// `cursor:` and the core cursor's text, written into `plain` (cleared
/// first): the text an opaque cursor is the base64 of.
fn plain_cursor<'a>(cursor: &Cursor, plain: &'a mut String) -> &'a str {
    plain.clear();
    plain.push_str(CURSOR_PREFIX);
    cursor.write_plain(plain);
    plain
}

fn decode_cursor(text: &str) -> Result<Cursor, CoreError> {
    let malformed = || CoreError::InvalidInput {
        field: InputField::After,
        message: "malformed cursor: pass an endCursor or edge cursor unchanged".into(),
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| malformed())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed())?;
    let inner = text.strip_prefix(CURSOR_PREFIX).ok_or_else(malformed)?;
    Cursor::decode(inner).map_err(|_| malformed())
}

/// A validated page request from connection arguments. `first` over
/// [`MAX_PAGE_SIZE`] or negative is `INVALID_INPUT`.
/// Whether the connection being resolved selects `totalCount`: only then
/// is the list counted, which saves a `COUNT(*)` per connection otherwise.
pub fn selects_total_count(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

pub fn page_request(first: Option<i32>, after: Option<&str>) -> Result<PageRequest, CoreError> {
    let after = after.map(decode_cursor).transpose()?;
    PageRequest::new(first.map(i64::from), after)
}

/// The complexity of a connection field: its items times what each costs,
/// so `apps(first: 100) { nodes { assignments(first: 100) … } }` is priced
/// at what it would really load.
pub fn page_cost(first: Option<i32>, per_item: usize) -> usize {
    let items = first.map_or(DEFAULT_PAGE_SIZE, |n| {
        usize::try_from(n).unwrap_or(0).min(MAX_PAGE_SIZE)
    });
    items
        .max(1)
        .saturating_mul(per_item.max(1))
        .saturating_add(2)
}

/// Declare a connection type and its edge type for a node type.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $connection_doc:tt, $edge_doc:tt) => {
        #[doc = $connection_doc]
        #[derive(async_graphql::SimpleObject)]
        pub struct $connection {
            /// The items of this page, each with its cursor.
            pub edges: Vec<$edge>,
            /// The items of this page, without cursors.
            pub nodes: Vec<$node>,
            /// Where this page starts and ends, and whether items lie beyond it.
            pub page_info: $crate::graphql::connection::PageInfo,
            /// How many items the whole list holds, over all pages.
            pub total_count: i64,
        }

        #[doc = $edge_doc]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Pass as `after` to read the items that follow this one.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        impl $connection {
            /// Build from a core page, converting each row.
            pub fn from_page<T>(
                page: seatwise_core::paging::Page<T>,
                mut convert: impl FnMut(T) -> $node,
            ) -> Self {
                let start_cursor = page
                    .items
                    .first()
                    .map(|(cursor, _)| $crate::graphql::connection::encode_cursor(cursor));
                let end_cursor = page
                    .items
                    .last()
                    .map(|(cursor, _)| $crate::graphql::connection::encode_cursor(cursor));
                let edges: Vec<$edge> = page
                    .items
                    .into_iter()
                    .map(|(cursor, row)| $edge {
                        cursor: $crate::graphql::connection::encode_cursor(&cursor),
                        node: convert(row),
                    })
                    .collect();
                Self {
                    nodes: edges.iter().map(|e| e.node.clone()).collect(),
                    edges,
                    page_info: $crate::graphql::connection::PageInfo {
                        has_next_page: page.has_next_page,
                        has_previous_page: page.has_previous_page,
                        start_cursor,
                        end_cursor,
                    },
                    // Counted only when the query selects `totalCount`
                    // (see `selects_total_count`), so never read otherwise.
                    total_count: page.total_count.unwrap_or_default(),
                }
            }
        }
    };
}
pub(crate) use connection;

#[cfg(test)]
mod tests {
    use super::*;

    /// Clients keep cursors, so their spelling never changes: base64url,
    /// unpadded, of `cursor:<key>|<uuid>`, whatever the key's length.
    #[test]
    fn cursors_are_spelled_as_ever() {
        let uuid = uuid::Uuid::now_v7();
        for key in ["", "ada lovelace", &"ü".repeat(300)] {
            let cursor = Cursor::new(key, uuid);
            let expected = URL_SAFE_NO_PAD.encode(format!("cursor:{key}|{uuid}"));
            assert_eq!(encode_cursor(&cursor), expected);
            let mut appended = b"[".to_vec();
            write_cursor(&cursor, &mut "left over".to_owned(), &mut appended);
            assert_eq!(appended, format!("[{expected}").into_bytes());
        }
    }

    #[test]
    fn cursors_are_opaque_and_round_trip() {
        let cursor = Cursor::new("ada lovelace", uuid::Uuid::now_v7());
        let text = encode_cursor(&cursor);
        assert!(!text.contains("ada"));
        let page = page_request(Some(5), Some(&text)).unwrap();
        assert_eq!(page.after, Some(cursor));
        assert!(matches!(
            page_request(None, Some("nope")),
            Err(CoreError::InvalidInput { .. })
        ));
        assert!(matches!(
            page_request(Some(101), None),
            Err(CoreError::InvalidInput { .. })
        ));
    }
}
