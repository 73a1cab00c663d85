//! Tests of the GraphQL object types, one module per file of
//! `api/src/graphql/types/`: what a query of that type answers.

mod app;
mod audit;
mod group;
mod node;
mod usage;
mod user;
mod viewer;
