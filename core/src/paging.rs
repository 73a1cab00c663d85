//! Keyset paging, the storage side of Relay connections.
//!
//! A cursor names the last row seen by its sort key and id; the next page
//! starts strictly after it, so pages stay stable while rows are inserted and
//! no query ever skips over `OFFSET` rows.

use crate::error::{CoreError, CoreResult, InputField};

/// The largest page a caller may ask for.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when the caller names none.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Where a page ends: the sort key and id of its last row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The row's sort key (e.g. a lower-cased name); empty for id order.
    pub key: String,
    /// The row's id, which breaks ties between equal keys.
    pub id: uuid::Uuid,
}

impl Cursor {
    /// A cursor after a row.
    pub fn new(key: impl Into<String>, id: uuid::Uuid) -> Self {
        Self {
            key: key.into(),
            id,
        }
    }

    /// The cursor as text (the API wraps it to make it opaque).
    pub fn encode(&self) -> String {
        let mut text = String::with_capacity(self.key.len() + 1 + uuid::fmt::Hyphenated::LENGTH);
        self.write_plain(&mut text);
        text
    }

    /// Append [`Cursor::encode`]'s text to `out` without allocating.
    pub fn write_plain(&self, out: &mut String) {
        out.push_str(&self.key);
        out.push('|');
        let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
        out.push_str(self.id.hyphenated().encode_lower(&mut id));
    }

    /// Parse [`Cursor::encode`]'s output.
    pub fn decode(text: &str) -> CoreResult<Self> {
        let bad = || CoreError::invalid(InputField::After, "malformed cursor");
        let (key, id) = text.rsplit_once('|').ok_or_else(bad)?;
        let id = uuid::Uuid::parse_str(id).map_err(|_| bad())?;
        Ok(Self::new(key, id))
    }
}

/// What page to read.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// How many rows (1 to [`MAX_PAGE_SIZE`]).
    pub first: usize,
    /// Start after this row.
    pub after: Option<Cursor>,
    /// Whether to count the whole list for [`Page::total_count`]. Callers
    /// that will not show the total say `false` and save a `COUNT(*)`.
    pub count_total: bool,
}

impl PageRequest {
    /// Validate a page request; `first` defaults to [`DEFAULT_PAGE_SIZE`].
    pub fn new(first: Option<i64>, after: Option<Cursor>) -> CoreResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => {
                return Err(CoreError::invalid(
                    InputField::First,
                    "must not be negative",
                ));
            }
            Some(n) if n > MAX_PAGE_SIZE as i64 => {
                return Err(CoreError::invalid(
                    InputField::First,
                    format!("at most {MAX_PAGE_SIZE} items per page"),
                ));
            }
            Some(n) => n as usize,
        };
        Ok(Self {
            first,
            after,
            count_total: true,
        })
    }

    /// The first page of `first` rows.
    pub fn first(first: usize) -> Self {
        Self {
            first: first.min(MAX_PAGE_SIZE),
            after: None,
            count_total: true,
        }
    }

    /// The same request, after `cursor`.
    pub fn after(self, cursor: Option<Cursor>) -> Self {
        Self {
            after: cursor,
            ..self
        }
    }

    /// The same request, counting the whole list or not.
    pub fn counting_total(self, count_total: bool) -> Self {
        Self {
            count_total,
            ..self
        }
    }

    /// Where an id-ordered keyset page starts: strictly after the cursor's
    /// id, or after the nil UUID, which sorts before every id on both
    /// backends (v7 ids are never nil), so one `id > $after` serves the
    /// first page too.
    pub(crate) fn keyset_after(&self) -> uuid::Uuid {
        self.after.as_ref().map_or(uuid::Uuid::nil(), |c| c.id)
    }

    /// Rows to fetch: one more than asked, to learn whether a next page exists.
    pub(crate) fn fetch_limit(&self) -> i64 {
        self.first as i64 + 1
    }
}

/// Keep the rows of a boxed query that sort after `cursor` in
/// `(name_key, id)` order: the keyset condition of every by-name list.
macro_rules! after_name_key {
    ($query:expr, $table:ident, $cursor:expr, $id:ident) => {
        match $cursor {
            Some(after) => $query.filter(
                $table::name_key.gt(after.key.clone()).or($table::name_key
                    .eq(after.key.clone())
                    .and($table::id.gt($id(after.id)))),
            ),
            None => $query,
        }
    };
}
pub(crate) use after_name_key;

/// One page of rows, each with the cursor that points after it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows with their cursors.
    pub items: Vec<(Cursor, T)>,
    /// True when rows follow the last one.
    pub has_next_page: bool,
    /// True when the page was read `after` a cursor: the row that cursor
    /// names came before this page. Keyset pages start from a cursor
    /// rather than an offset, so this costs no query; a first page says
    /// false. (If the cursor's row has since been deleted and nothing else
    /// precedes the page, this still says true: the Relay spec lets a
    /// forward-paging server answer what it can know cheaply.)
    pub has_previous_page: bool,
    /// Rows in the whole list; `None` when the request did not ask
    /// ([`PageRequest::count_total`]).
    pub total_count: Option<i64>,
}

impl<T> Page<T> {
    /// Build a page from up to `request.first + 1` fetched rows.
    pub(crate) fn from_rows(
        request: &PageRequest,
        mut rows: Vec<T>,
        total_count: Option<i64>,
        cursor: impl Fn(&T) -> Cursor,
    ) -> Self {
        let has_next_page = rows.len() > request.first;
        rows.truncate(request.first);
        Self {
            items: rows.into_iter().map(|row| (cursor(&row), row)).collect(),
            has_next_page,
            has_previous_page: request.after.is_some(),
            total_count,
        }
    }

    /// One page of a list already loaded in full, in ascending `cursor`
    /// order (a DataLoader's per-parent list): the rows strictly after
    /// `request.after`, at most `request.first`. Keyset, like the database
    /// pages, so a row removed between two pages shifts nothing.
    pub fn of_sorted(request: &PageRequest, rows: Vec<T>, cursor: impl Fn(&T) -> Cursor) -> Self {
        let total_count = request
            .count_total
            .then(|| i64::try_from(rows.len()).unwrap_or(i64::MAX));
        let after = |row: &T| match &request.after {
            None => true,
            Some(after) => {
                let here = cursor(row);
                (here.key.as_str(), here.id) > (after.key.as_str(), after.id)
            }
        };
        let rows: Vec<T> = rows
            .into_iter()
            .filter(after)
            .take(request.first + 1)
            .collect();
        Self::from_rows(request, rows, total_count, cursor)
    }

    /// Transform the rows, keeping cursors.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(|(c, t)| (c, f(t))).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total_count: self.total_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_a_sorted_list_in_memory() {
        let ids: Vec<uuid::Uuid> = (0..5).map(|_| uuid::Uuid::now_v7()).collect();
        let cursor = |id: &uuid::Uuid| Cursor::new("", *id);
        let first = Page::of_sorted(&PageRequest::first(2), ids.clone(), cursor);
        assert_eq!(
            first.items.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
            ids[..2]
        );
        assert!(first.has_next_page);
        assert!(!first.has_previous_page);
        assert_eq!(first.total_count, Some(5));
        let last = first.items.last().map(|(c, _)| c.clone());
        let rest = Page::of_sorted(&PageRequest::first(10).after(last), ids.clone(), cursor);
        assert_eq!(
            rest.items.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
            ids[2..]
        );
        assert!(!rest.has_next_page);
        assert!(rest.has_previous_page);
    }
}
