//! Parsed GraphQL documents, kept by their text, so a query a front end
//! sends again (every screen sends the same few) is not parsed again.
//!
//! Why: async-graphql parses every request with a PEG parser, which costs
//! far more than cloning the parsed document: in a release build on the
//! loaded development machine the license-details query parsed in 98–144 µs
//! and its document cloned in 2–4 µs, where the whole screen cost about
//! 1 ms of server CPU (bench/README.md).
//! Validation, the depth and complexity limits and execution still run on
//! every request; only the text-to-syntax-tree step is skipped.
//!
//! Invariants: a document is kept only when it parsed, and only from a text
//! of at most [`MAX_CACHED_QUERY_BYTES`], at most [`CAPACITY`] of them,
//! least recently used first out, so the memory held stays bounded
//! whatever clients send. A document is syntax alone (no tenant, caller or
//! variable in it), so sharing one between tenants shows nobody anything; a
//! client that sends many distinct texts only evicts others' entries,
//! which costs them one parse each.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Documents kept.
pub const CAPACITY: usize = 512;
/// Longest query text kept, in bytes: front ends' queries are a few KiB;
/// a longer one is parsed every time.
pub const MAX_CACHED_QUERY_BYTES: usize = 16 * 1024;

/// The cache; one per server, shared by its requests.
pub struct ParsedDocuments {
    documents: Mutex<LruCache<Box<str>, Arc<ExecutableDocument>>>,
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        Self::with_capacity(NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN))
    }
}

impl ParsedDocuments {
    /// A cache of at most `capacity` documents.
    pub fn with_capacity(capacity: NonZeroUsize) -> Self {
        Self {
            documents: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// Gives `request` its parsed document: the kept one, or parsed now
    /// (and kept when it parsed). A text that does not parse is left for
    /// the schema to report, exactly as without the cache.
    pub fn prepare(&self, request: &mut async_graphql::Request) {
        if let Some(document) = self.get(&request.query) {
            request.set_parsed_query(ExecutableDocument::clone(&document));
            return;
        }
        if request.query.len() > MAX_CACHED_QUERY_BYTES {
            return;
        }
        if let Ok(document) = request.parsed_query() {
            let document = Arc::new(document.clone());
            self.lock().put(request.query.as_str().into(), document);
        }
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, query: &str) -> Option<Arc<ExecutableDocument>> {
        // The lock covers the lookup only; the clone happens outside it.
        self.lock().get(query).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Box<str>, Arc<ExecutableDocument>>> {
        // A panic while holding the lock cannot leave the cache torn: every
        // operation on it is one call into `LruCache`.
        self.documents.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(cache: &ParsedDocuments, query: &str) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(query);
        cache.prepare(&mut request);
        request
    }

    #[test]
    fn a_query_is_parsed_once_and_its_document_reused() {
        let cache = ParsedDocuments::default();
        let query = "query One { viewer { displayName } } query Two { apps { totalCount } }";
        prepared(&cache, query);
        let mut again = prepared(&cache, query);
        assert_eq!(cache.len(), 1);
        let operations = again
            .parsed_query()
            .map(|document| document.operations.iter().count());
        assert_eq!(operations.ok(), Some(2));
    }

    #[test]
    fn only_parsed_texts_of_bounded_size_are_kept_and_the_oldest_goes_first() {
        let cache = ParsedDocuments::with_capacity(NonZeroUsize::new(2).expect("2 > 0"));
        prepared(&cache, "{ this is not graphql");
        assert!(cache.is_empty(), "a text that does not parse is not kept");
        let long = format!("{{ a{} }}", " ".repeat(MAX_CACHED_QUERY_BYTES));
        prepared(&cache, &long);
        assert!(cache.is_empty(), "an oversized text is not kept");

        prepared(&cache, "{ a }");
        prepared(&cache, "{ b }");
        prepared(&cache, "{ a }"); // used again: now the newest
        prepared(&cache, "{ c }");
        assert_eq!(cache.len(), 2);
        assert!(cache.get("{ a }").is_some());
        assert!(cache.get("{ b }").is_none(), "the least recently used went");
        assert!(cache.get("{ c }").is_some());
    }
}
