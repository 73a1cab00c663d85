//! The Relay `Node` interface: objects that can be fetched again by their
//! global id with `node(id)`.

use async_graphql::{ID, Interface};

use super::{App, Group, SeatChangeOperation, User};

/// An object with an opaque global id, refetchable with `node(id)`.
#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
pub enum Node {
    /// An app.
    App(App),
    /// A user.
    User(User),
    /// A group.
    Group(Group),
    /// A seat-change operation.
    SeatChangeOperation(SeatChangeOperation),
}
