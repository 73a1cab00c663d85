//! The license-details screen answered without the GraphQL executor: a
//! plan made once per query text, one SQL statement, and the response
//! written straight to JSON.
//!
//! Why: the screen is the product's hottest read, and async-graphql's
//! general machinery (a future per field, a DataLoader per relation, a
//! value tree per response, then its serialisation) cost about three times
//! the server CPU of a hand-written endpoint answering the same screen
//! (bench/README.md). GraphQL engines that beat hand-written endpoints do
//! it this way: they compile a known selection into SQL and write its rows
//! out directly.
//!
//! How a request gets here ([`crate::server`]):
//! 1. The first time a query text is seen, [`plan::plan`] reads its syntax.
//!    A text it cannot plan is remembered as such and always takes the
//!    general path.
//! 2. A plannable text still takes the general path until the schema has
//!    executed it once **without an error**. That execution is what
//!    validates it (fields, types, fragments, variables, depth and
//!    complexity limits); the plan is then marked proven, for pages up to
//!    the size that execution asked for (the complexity limit prices the
//!    page, see [`Known::Proven`]).
//! 3. A request with a proven plan, from a caller who may read the tenant,
//!    is answered by [`answer`]: its variables coerced as the schema
//!    would, one statement ([`Store::license_details_screen`]), and
//!    [`render::render`].
//!
//! Invariants:
//! - The compiled path answers exactly what the general path would, byte
//!   for byte, or declines. It declines (and the general path answers,
//!   errors included) whenever anything is off: a variable missing or of
//!   another type, an id that is not an app's, a bad cursor, an oversize
//!   page, no row (an unknown app, an empty page), a principal not found,
//!   a database error, request extensions, a caller without the read
//!   permission.
//! - Plans are syntax alone, keyed by query text and operation name, so
//!   sharing them between tenants shows nobody anything; the tenant comes
//!   from the caller's token, as on the general path.
//! - The cache is bounded like the parsed-document cache: at most
//!   [`CAPACITY`] texts of at most [`MAX_PLANNED_QUERY_BYTES`] each, least
//!   recently used first out.

pub mod plan;
pub mod render;

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::Request;
use lru::LruCache;
use seatwise_core::Store;
use seatwise_core::ids::AppId;

use crate::auth::Caller;
use crate::graphql::connection::{page_cost, page_request};
use crate::graphql::ids::{self, Kind};
use plan::{Arg, Plan};

/// Query texts remembered.
pub const CAPACITY: usize = 512;
/// Longest query text planned, in bytes (as the parsed-document cache).
pub const MAX_PLANNED_QUERY_BYTES: usize = crate::graphql::documents::MAX_CACHED_QUERY_BYTES;

/// What is known of one query text and operation name.
#[derive(Clone)]
enum Known {
    /// The planner declined it: always the general path.
    NotPlannable,
    /// Planned, but the schema has not yet executed it without an error.
    Unproven(Arc<Plan>),
    /// Planned and validated by the schema, with pages of up to `items`
    /// (as priced by [`page_cost`]).
    ///
    /// Why the size: the complexity limit prices the page by its `first`
    /// argument, so a text the schema accepted with `first: 10` may be
    /// refused with `first: 100` (a selection with hundreds of aliases,
    /// say). The price only grows with the page, so a proven size covers
    /// every smaller page, and a larger one is proven by the executor
    /// first.
    Proven { plan: Arc<Plan>, items: usize },
}

/// What plans are kept by: a request's query text and operation name,
/// copied once per request (see [`PlanKey::of`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PlanKey(Box<str>, Option<Box<str>>);

impl PlanKey {
    /// The key of `request`; `None` for a text longer than
    /// [`MAX_PLANNED_QUERY_BYTES`], which is never planned.
    pub fn of(request: &Request) -> Option<Self> {
        (request.query.len() <= MAX_PLANNED_QUERY_BYTES).then(|| {
            Self(
                request.query.as_str().into(),
                request.operation_name.as_deref().map(Into::into),
            )
        })
    }
}

/// The server's plans by query text; one per server, shared by its requests.
pub struct CompiledPlans {
    known: Mutex<LruCache<PlanKey, Known>>,
}

impl Default for CompiledPlans {
    fn default() -> Self {
        Self::with_capacity(NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN))
    }
}

/// A plan waiting for the general path's outcome to be proven.
pub struct ToProve {
    key: PlanKey,
    plan: Arc<Plan>,
    items: usize,
}

/// A proven plan, and the largest page it is proven for.
pub struct Proven {
    plan: Arc<Plan>,
    items: usize,
}

impl CompiledPlans {
    /// A cache of at most `capacity` query texts.
    pub fn with_capacity(capacity: NonZeroUsize) -> Self {
        Self {
            known: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The proven plan of the text `key` names, if there is one.
    pub fn proven(&self, key: &PlanKey) -> Option<Proven> {
        match self.lock().get(key)? {
            Known::Proven { plan, items } => Some(Proven {
                plan: plan.clone(),
                items: *items,
            }),
            Known::NotPlannable | Known::Unproven(_) => None,
        }
    }

    /// Before the general path executes `request`: its plan, when its text
    /// is plannable and not proven for this page size yet (planned now if
    /// the text is new). Pass it to [`CompiledPlans::settle`] with the
    /// response.
    pub fn to_prove(&self, key: PlanKey, request: &mut Request) -> Option<ToProve> {
        let known = self.lock().get(&key).cloned();
        let plan = match known {
            Some(Known::NotPlannable) => return None,
            Some(Known::Unproven(plan) | Known::Proven { plan, .. }) => plan,
            None => {
                // Parsed already by the document cache: this is a lookup.
                let operation_name = request.operation_name.clone();
                let planned = request
                    .parsed_query()
                    .ok()
                    .and_then(|document| plan::plan(document, operation_name.as_deref()));
                let Some(planned) = planned else {
                    self.lock().put(key, Known::NotPlannable);
                    return None;
                };
                let planned = Arc::new(planned);
                self.lock()
                    .put(key.clone(), Known::Unproven(planned.clone()));
                planned
            }
        };
        let items = page_items(arguments(&plan, request)?.first);
        Some(ToProve { key, plan, items })
    }

    /// After the general path: a plan whose text executed without an
    /// error is proven, for pages up to the size it was executed with.
    pub fn settle(&self, to_prove: ToProve, response: &async_graphql::Response) {
        if !response.errors.is_empty() {
            return;
        }
        let mut known = self.lock();
        let items = match known.get(&to_prove.key) {
            Some(Known::Proven { items, .. }) => (*items).max(to_prove.items),
            _ => to_prove.items,
        };
        known.put(
            to_prove.key,
            Known::Proven {
                plan: to_prove.plan,
                items,
            },
        );
    }

    /// How many query texts are remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<PlanKey, Known>> {
        // A panic while holding the lock cannot leave the cache half
        // updated (each call is one LRU operation), so a poisoned lock is
        // still usable.
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What a request asks of the plan's arguments, coerced as the schema
/// would; `None` when the schema would refuse them or the plan cannot tell.
struct Arguments {
    id: String,
    first: Option<i32>,
    after: Option<String>,
}

fn arguments(plan: &Plan, request: &Request) -> Option<Arguments> {
    let id = match argument(plan, &plan.id, request)? {
        async_graphql::Value::String(id) => id,
        _ => return None,
    };
    let first = match plan.first.as_ref().map(|a| argument(plan, a, request)) {
        None | Some(Some(async_graphql::Value::Null)) => None,
        Some(Some(async_graphql::Value::Number(n))) => Some(i32::try_from(n.as_i64()?).ok()?),
        Some(_) => return None,
    };
    let after = match plan.after.as_ref().map(|a| argument(plan, a, request)) {
        None | Some(Some(async_graphql::Value::Null)) => None,
        Some(Some(async_graphql::Value::String(after))) => Some(after),
        Some(_) => return None,
    };
    Some(Arguments { id, first, after })
}

/// The page size the complexity limit prices for `first`.
fn page_items(first: Option<i32>) -> usize {
    page_cost(first, 1)
}

/// Answer `request` by `proven` for `caller` (who may read the tenant): the
/// response body, or `None` to let the general path answer (see the
/// module's invariants).
pub async fn answer(
    proven: &Proven,
    store: &Store,
    caller: &Caller,
    request: &Request,
) -> Option<Vec<u8>> {
    let plan = &proven.plan;
    if !request.extensions.0.is_empty() {
        return None;
    }
    let Arguments { id, first, after } = arguments(plan, request)?;
    if page_items(first) > proven.items {
        return None;
    }
    let (Kind::App, app) = ids::decode(&id)? else {
        return None;
    };
    let page = page_request(first, after.as_deref())
        .ok()?
        .counting_total(plan.counts_total);
    let screen = store
        .license_details_screen(caller.tenant, AppId(app), &page)
        .await
        .ok()??;
    Some(render::render(plan, &screen))
}

/// The value of `arg` in `request`, as the schema would coerce a variable:
/// given, else its default, else null when it may be null; `None` when a
/// required variable is missing or null.
fn argument(plan: &Plan, arg: &Arg, request: &Request) -> Option<async_graphql::Value> {
    match arg {
        Arg::Literal(value) => value.clone().into_const(),
        Arg::Variable(name) => {
            let definition = plan.variables.iter().find(|v| &v.name == name)?;
            let value = match request.variables.get(name) {
                Some(value) => value.clone(),
                None => match &definition.default {
                    Some(default) => default.clone(),
                    None => async_graphql::Value::Null,
                },
            };
            if value == async_graphql::Value::Null && !definition.nullable {
                return None;
            }
            Some(value)
        }
    }
}
