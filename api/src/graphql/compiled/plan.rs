//! From a parsed document to a [`Plan`] of the license-details screen, or
//! `None` when the document asks for anything the plan does not cover.
//!
//! The planner reads syntax only. It never decides whether a document is
//! valid: a plan is used only once the schema has executed the same text
//! without an error ([`super::CompiledPlans`]), so unknown fields, wrong
//! argument types, unused fragments and the like never reach it. What it
//! must get right is the *meaning* of a valid document: which response keys
//! come in which order, and which values the arguments take. Where that
//! meaning depends on something it does not model (a directive, a fragment
//! on an interface, a field asked twice under one key), it declines.

use std::collections::HashSet;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, Field, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};
use async_graphql_value::Value;

/// A fragment nesting deeper than this is declined (valid documents cannot
/// cycle, but the planner does not rely on that).
const MAX_FRAGMENT_DEPTH: usize = 8;

/// One key of a response object and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Out<F> {
    /// The response key: the alias, or the field's name.
    pub key: String,
    /// What to write under it.
    pub field: F,
}

/// Where an argument's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Written in the document.
    Literal(Value),
    /// A variable of the operation.
    Variable(Name),
}

/// A variable the plan reads, as the operation declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableDefinition {
    /// Its name, without `$`.
    pub name: Name,
    /// Whether it may be null (or left out).
    pub nullable: bool,
    /// Its default, if declared.
    pub default: Option<async_graphql::Value>,
}

/// The license-details screen as one document asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The operation's name, if it has one.
    pub operation_name: Option<String>,
    /// The operation's variables.
    pub variables: Vec<VariableDefinition>,
    /// The response key of `Query.app`.
    pub app_key: String,
    /// `app(id:)`.
    pub id: Arg,
    /// `assignments(first:)`, when given.
    pub first: Option<Arg>,
    /// `assignments(after:)`, when given.
    pub after: Option<Arg>,
    /// Whether `totalCount` is asked (so counted).
    pub counts_total: bool,
    /// The app's selection.
    pub app: Vec<Out<AppField>>,
}

/// A field of `App` the plan serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppField {
    /// `__typename`.
    Typename,
    /// `id`.
    Id,
    /// `name`.
    Name,
    /// `description`.
    Description,
    /// `vendor { … }`.
    Vendor(Vec<Out<VendorField>>),
    /// `seats { … }`.
    Seats(Vec<Out<SeatsField>>),
    /// `assignments(first, after) { … }`.
    Assignments(Vec<Out<ConnectionField>>),
}

/// A field of `Vendor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorField {
    /// `__typename`.
    Typename,
    /// `name`.
    Name,
    /// `website`.
    Website,
    /// `supportEmail`.
    SupportEmail,
}

/// A field of `Seats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatsField {
    /// `__typename`.
    Typename,
    /// `purchased`.
    Purchased,
    /// `assigned`.
    Assigned,
    /// `available`.
    Available,
}

/// A field of `LicenseAssignmentConnection`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionField {
    /// `__typename`.
    Typename,
    /// `totalCount`.
    TotalCount,
    /// `pageInfo { … }`.
    PageInfo(Vec<Out<PageInfoField>>),
    /// `edges { … }`.
    Edges(Vec<Out<EdgeField>>),
    /// `nodes { … }`.
    Nodes(Vec<Out<AssignmentField>>),
}

/// A field of `PageInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageInfoField {
    /// `__typename`.
    Typename,
    /// `hasNextPage`.
    HasNextPage,
    /// `hasPreviousPage`.
    HasPreviousPage,
    /// `startCursor`.
    StartCursor,
    /// `endCursor`.
    EndCursor,
}

/// A field of `LicenseAssignmentEdge`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeField {
    /// `__typename`.
    Typename,
    /// `cursor`.
    Cursor,
    /// `node { … }`.
    Node(Vec<Out<AssignmentField>>),
}

/// A field of `LicenseAssignment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentField {
    /// `__typename`.
    Typename,
    /// `id`.
    Id,
    /// `assignedAt`.
    AssignedAt,
    /// `assignedBy`.
    AssignedBy,
    /// `principal { … }`: what a user shows and what a group shows.
    Principal {
        /// The keys written when the principal is a user.
        user: Vec<Out<UserField>>,
        /// The keys written when it is a group.
        group: Vec<Out<GroupField>>,
    },
}

/// A field of `User` (as a principal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserField {
    /// `__typename`.
    Typename,
    /// `id`.
    Id,
    /// `displayName`.
    DisplayName,
    /// `email`.
    Email,
}

/// A field of `Group` (as a principal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupField {
    /// `__typename`.
    Typename,
    /// `id`.
    Id,
    /// `displayName`.
    DisplayName,
}

/// The plan of `document`'s operation `operation_name` (or its only
/// operation), if it is the license-details screen in a shape the plan
/// covers.
pub fn plan(document: &ExecutableDocument, operation_name: Option<&str>) -> Option<Plan> {
    let (name, operation) = match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), None) => (None, op),
        (DocumentOperations::Multiple(ops), Some(wanted)) => {
            let (name, op) = ops.iter().find(|(name, _)| name.as_str() == wanted)?;
            (Some(name.to_string()), op)
        }
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            let (name, op) = ops.iter().next()?;
            (Some(name.to_string()), op)
        }
        _ => return None,
    };
    let operation = &operation.node;
    if operation.ty != OperationType::Query || !operation.directives.is_empty() {
        return None;
    }
    let mut variables = Vec::with_capacity(operation.variable_definitions.len());
    for definition in &operation.variable_definitions {
        let definition = &definition.node;
        if !definition.directives.is_empty()
            || !matches!(definition.var_type.node.base, BaseType::Named(_))
        {
            return None;
        }
        variables.push(VariableDefinition {
            name: definition.name.node.clone(),
            nullable: definition.var_type.node.nullable,
            default: definition.default_value.as_ref().map(|v| v.node.clone()),
        });
    }
    let planner = Planner { document };
    let [(app_key, app)] = &planner.collect(&operation.selection_set, &["Query"], 0)?[..] else {
        return None;
    };
    if app.name.node != "app" {
        return None;
    }
    let mut id = None;
    for (name, value) in &app.arguments {
        match name.node.as_str() {
            "id" => id = Some(arg(&value.node)?),
            _ => return None,
        }
    }
    let mut page = PageArgs::default();
    let fields = planner.app(&app.selection_set, &mut page)?;
    let page = page.asked?;
    Some(Plan {
        operation_name: name,
        variables,
        app_key: app_key.clone(),
        id: id?,
        first: page.first,
        after: page.after,
        counts_total: page.counts_total,
        app: fields,
    })
}

/// `assignments`' arguments, and whether `totalCount` is asked.
#[derive(Default)]
struct PageArgs {
    asked: Option<AskedPage>,
}

#[derive(Default)]
struct AskedPage {
    first: Option<Arg>,
    after: Option<Arg>,
    counts_total: bool,
}

fn arg(value: &Value) -> Option<Arg> {
    match value {
        Value::Variable(name) => Some(Arg::Variable(name.clone())),
        Value::Null | Value::Number(_) | Value::String(_) => Some(Arg::Literal(value.clone())),
        _ => None,
    }
}

struct Planner<'d> {
    document: &'d ExecutableDocument,
}

impl<'d> Planner<'d> {
    /// The fields `set` selects on an object of one of `types` (its type
    /// name first, then the abstract types it may be reached through), in
    /// response order, as (response key, field). `None` when a fragment's
    /// condition names another type, when anything carries a directive, or
    /// when a key repeats.
    fn collect(
        &self,
        set: &'d Positioned<SelectionSet>,
        types: &[&str],
        depth: usize,
    ) -> Option<Vec<(String, &'d Field)>> {
        let mut out = Vec::new();
        self.collect_into(set, types, depth, &mut out)?;
        let mut keys = HashSet::with_capacity(out.len());
        out.iter()
            .all(|(key, _)| keys.insert(key.as_str()))
            .then_some(out)
    }

    fn collect_into(
        &self,
        set: &'d Positioned<SelectionSet>,
        types: &[&str],
        depth: usize,
        out: &mut Vec<(String, &'d Field)>,
    ) -> Option<()> {
        if depth > MAX_FRAGMENT_DEPTH {
            return None;
        }
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if !field.directives.is_empty() {
                        return None;
                    }
                    let key = field.alias.as_ref().unwrap_or(&field.name);
                    out.push((key.node.to_string(), field));
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    if !fragment.directives.is_empty() {
                        return None;
                    }
                    match &fragment.type_condition {
                        None => {
                            self.collect_into(&fragment.selection_set, types, depth + 1, out)?
                        }
                        Some(on)
                            if on.node.on.node == types[0]
                                || types[1..].contains(&on.node.on.node.as_str()) =>
                        {
                            self.collect_into(&fragment.selection_set, types, depth + 1, out)?
                        }
                        // A condition on a sibling type of a union: it
                        // does not apply to this object.
                        Some(on)
                            if is_principal(&on.node.on.node) && types.contains(&"Principal") => {}
                        Some(_) => return None,
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let spread = &spread.node;
                    if !spread.directives.is_empty() {
                        return None;
                    }
                    let fragment = &self
                        .document
                        .fragments
                        .get(&spread.fragment_name.node)?
                        .node;
                    if !fragment.directives.is_empty() {
                        return None;
                    }
                    let on = fragment.type_condition.node.on.node.as_str();
                    if on == types[0] || types[1..].contains(&on) {
                        self.collect_into(&fragment.selection_set, types, depth + 1, out)?;
                    } else if !(is_principal(on) && types.contains(&"Principal")) {
                        return None;
                    }
                }
            }
        }
        Some(())
    }

    /// The leaf fields of `set` on `type_name`, mapped by `leaf`.
    fn leaves<F>(
        &self,
        set: &'d Positioned<SelectionSet>,
        types: &[&str],
        leaf: impl Fn(&str) -> Option<F>,
    ) -> Option<Vec<Out<F>>> {
        self.collect(set, types, 0)?
            .into_iter()
            .map(|(key, field)| {
                if !field.arguments.is_empty() || !field.selection_set.node.items.is_empty() {
                    return None;
                }
                Some(Out {
                    key,
                    field: leaf(field.name.node.as_str())?,
                })
            })
            .collect()
    }

    fn app(
        &self,
        set: &'d Positioned<SelectionSet>,
        page: &mut PageArgs,
    ) -> Option<Vec<Out<AppField>>> {
        let mut out = Vec::new();
        for (key, field) in self.collect(set, &["App"], 0)? {
            let set = &field.selection_set;
            let name = field.name.node.as_str();
            if name != "assignments" && !field.arguments.is_empty() {
                return None;
            }
            let planned = match name {
                "__typename" => AppField::Typename,
                "id" => AppField::Id,
                "name" => AppField::Name,
                "description" => AppField::Description,
                "vendor" => AppField::Vendor(self.leaves(set, &["Vendor"], |name| {
                    Some(match name {
                        "__typename" => VendorField::Typename,
                        "name" => VendorField::Name,
                        "website" => VendorField::Website,
                        "supportEmail" => VendorField::SupportEmail,
                        _ => return None,
                    })
                })?),
                "seats" => AppField::Seats(self.leaves(set, &["Seats"], |name| {
                    Some(match name {
                        "__typename" => SeatsField::Typename,
                        "purchased" => SeatsField::Purchased,
                        "assigned" => SeatsField::Assigned,
                        "available" => SeatsField::Available,
                        _ => return None,
                    })
                })?),
                "assignments" => {
                    // One page per screen: a second `assignments` is a
                    // second read, which the general path makes.
                    if page.asked.is_some() {
                        return None;
                    }
                    let mut asked = AskedPage::default();
                    for (name, value) in &field.arguments {
                        match name.node.as_str() {
                            "first" => asked.first = Some(arg(&value.node)?),
                            "after" => asked.after = Some(arg(&value.node)?),
                            _ => return None,
                        }
                    }
                    let fields = self.connection(set)?;
                    asked.counts_total = fields
                        .iter()
                        .any(|f| f.field == ConnectionField::TotalCount);
                    page.asked = Some(asked);
                    AppField::Assignments(fields)
                }
                _ => return None,
            };
            out.push(Out {
                key,
                field: planned,
            });
        }
        Some(out)
    }

    fn connection(&self, set: &'d Positioned<SelectionSet>) -> Option<Vec<Out<ConnectionField>>> {
        let mut out = Vec::new();
        for (key, field) in self.collect(set, &["LicenseAssignmentConnection"], 0)? {
            if !field.arguments.is_empty() {
                return None;
            }
            let set = &field.selection_set;
            let planned = match field.name.node.as_str() {
                "__typename" => ConnectionField::Typename,
                "totalCount" => ConnectionField::TotalCount,
                "pageInfo" => {
                    ConnectionField::PageInfo(self.leaves(set, &["PageInfo"], |name| {
                        Some(match name {
                            "__typename" => PageInfoField::Typename,
                            "hasNextPage" => PageInfoField::HasNextPage,
                            "hasPreviousPage" => PageInfoField::HasPreviousPage,
                            "startCursor" => PageInfoField::StartCursor,
                            "endCursor" => PageInfoField::EndCursor,
                            _ => return None,
                        })
                    })?)
                }
                "edges" => ConnectionField::Edges(self.edge(set)?),
                "nodes" => ConnectionField::Nodes(self.assignment(set)?),
                _ => return None,
            };
            out.push(Out {
                key,
                field: planned,
            });
        }
        Some(out)
    }

    fn edge(&self, set: &'d Positioned<SelectionSet>) -> Option<Vec<Out<EdgeField>>> {
        let mut out = Vec::new();
        for (key, field) in self.collect(set, &["LicenseAssignmentEdge"], 0)? {
            if !field.arguments.is_empty() {
                return None;
            }
            let planned = match field.name.node.as_str() {
                "__typename" => EdgeField::Typename,
                "cursor" => EdgeField::Cursor,
                "node" => EdgeField::Node(self.assignment(&field.selection_set)?),
                _ => return None,
            };
            out.push(Out {
                key,
                field: planned,
            });
        }
        Some(out)
    }

    fn assignment(&self, set: &'d Positioned<SelectionSet>) -> Option<Vec<Out<AssignmentField>>> {
        let mut out = Vec::new();
        for (key, field) in self.collect(set, &["LicenseAssignment"], 0)? {
            if !field.arguments.is_empty() {
                return None;
            }
            let planned = match field.name.node.as_str() {
                "__typename" => AssignmentField::Typename,
                "id" => AssignmentField::Id,
                "assignedAt" => AssignmentField::AssignedAt,
                "assignedBy" => AssignmentField::AssignedBy,
                "principal" => {
                    let set = &field.selection_set;
                    AssignmentField::Principal {
                        user: self.leaves(set, &["User", "Principal"], |name| {
                            Some(match name {
                                "__typename" => UserField::Typename,
                                "id" => UserField::Id,
                                "displayName" => UserField::DisplayName,
                                "email" => UserField::Email,
                                _ => return None,
                            })
                        })?,
                        group: self.leaves(set, &["Group", "Principal"], |name| {
                            Some(match name {
                                "__typename" => GroupField::Typename,
                                "id" => GroupField::Id,
                                "displayName" => GroupField::DisplayName,
                                _ => return None,
                            })
                        })?,
                    }
                }
                _ => return None,
            };
            out.push(Out {
                key,
                field: planned,
            });
        }
        Some(out)
    }
}

/// The members of the `Principal` union.
fn is_principal(type_name: &str) -> bool {
    matches!(type_name, "User" | "Group")
}
