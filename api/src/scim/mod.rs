//! SCIM 2.0 (RFC 7643, RFC 7644): the protocol pieces the `/scim/v2`
//! service provider is built from.
//!
//! - [`filter`]: `filter=` expressions, parsed and evaluated on a
//!   resource's JSON.
//! - [`patch`]: PATCH operations, parsed and applied to a resource's JSON.

pub mod filter;
pub mod patch;
