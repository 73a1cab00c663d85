//! The GraphQL schema.
//!
//! [`build_schema_with_vendor_effects`] gives the executable schema (with the
//! store and the vendor effects service attached);
//! every request also needs a [`Session`] in its data (the HTTP handler adds
//! it after checking the token). [`sdl`] prints the schema for
//! `schema.graphql`.

pub mod compiled;
pub mod connection;
pub mod context;
pub mod documents;
pub mod errors;
pub mod ids;
pub mod loaders;
pub mod mutation;
pub mod prefetch;
pub mod query;
pub mod scalars;
pub mod subscription;
pub mod types;

use std::sync::Arc;

use async_graphql::{Schema, SchemaBuilder};
use seatwise_adapter_host::PluginRegistry;
use seatwise_core::Store;

use crate::vendor_effects::VendorEffects;
use crate::webhooks::UrlPolicy;

pub use context::Session;
pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;

/// The executable schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Deepest selection nesting accepted. The standard introspection query
/// (GraphiQL's) needs about 13.
pub const MAX_DEPTH: usize = 16;

/// Largest query cost accepted. Connection fields cost their page size
/// times their selection ([`connection::page_cost`]), so an app's details
/// with 100 assignments fit and 100 apps × 100 assignments do not.
pub const MAX_COMPLEXITY: usize = 5_000;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema, serving from `store`, without vendor adapter plugins.
pub fn build_schema(store: Store) -> AppSchema {
    let effects = VendorEffects::new(store.clone(), Arc::new(PluginRegistry::empty()));
    build_schema_with_vendor_effects(store, Arc::new(effects))
}

/// The schema, serving from `store`, reaching the vendor adapters only
/// through `effects`.
pub fn build_schema_with_vendor_effects(store: Store, effects: Arc<VendorEffects>) -> AppSchema {
    build_schema_with(store, effects, UrlPolicy::default())
}

/// The schema, serving from `store`, reaching the vendor adapters only
/// through `effects`, accepting webhook endpoints `policy` allows.
pub fn build_schema_with(
    store: Store,
    effects: Arc<VendorEffects>,
    policy: UrlPolicy,
) -> AppSchema {
    builder().data(store).data(effects).data(policy).finish()
}

/// The schema in SDL, as checked in at the repository root.
pub fn sdl() -> String {
    builder().finish().sdl()
}
