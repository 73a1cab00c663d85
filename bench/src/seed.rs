//! The data set, seeded through the product's own core so every row is one
//! the server could have written (search terms, seat counters, audit).
//!
//! Bulk paths only: one `import_users` for all users, `create_group` with its
//! members, one `assign_licenses` per app. A fixed RNG seed makes the data
//! set identical from run to run, so runs are comparable.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use seatwise_core::Store;
use seatwise_core::ids::{AppId, GroupId, PrincipalId, TenantId, UserId};
use seatwise_core::model::{Actor, NewApp, NewGroup, NewUser, Vendor};

use crate::cli::ScaleChoice;

/// How big the data set is.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Users in the tenant.
    pub users: usize,
    /// Apps, each assigned one group plus direct users.
    pub apps: usize,
    /// Groups (the first `apps` of them are assigned).
    pub groups: usize,
    /// Smallest group.
    pub min_group: usize,
    /// Largest group.
    pub max_group: usize,
    /// Users assigned to each app directly (so scenario 1 has a full page).
    pub direct_per_app: usize,
    /// Members of the group that scenario 4 assigns in one request.
    pub bulk_group: usize,
    /// Free seats left on every app, so scenario 3 never runs out.
    pub spare_seats: i64,
}

impl Scale {
    /// The sizes for `--scale`.
    pub fn of(choice: ScaleChoice) -> Self {
        match choice {
            ScaleChoice::Default => Self {
                users: 20_000,
                apps: 200,
                groups: 500,
                min_group: 10,
                max_group: 2_000,
                direct_per_app: 60,
                bulk_group: 10_000,
                spare_seats: 200,
            },
            ScaleChoice::Small => Self {
                users: 2_000,
                apps: 20,
                groups: 50,
                min_group: 10,
                max_group: 200,
                direct_per_app: 60,
                bulk_group: 1_000,
                spare_seats: 200,
            },
        }
    }
}

/// One seeded app and who holds it.
#[derive(Debug, Clone)]
pub struct SeedApp {
    /// Its id (used only by the core-side verification and the baseline).
    pub id: AppId,
    /// Its unique name: how the harness finds its global id through the API.
    pub name: String,
    /// Indices (into [`Seeded::users`]) of users holding its license.
    pub holders: HashSet<u32>,
}

/// What was seeded.
#[derive(Debug)]
pub struct Seeded {
    /// The tenant.
    pub tenant: TenantId,
    /// Users' emails, by index: how the harness finds their global ids.
    pub user_emails: Vec<String>,
    /// Display names, for typeahead prefixes.
    pub user_names: Vec<String>,
    /// The apps.
    pub apps: Vec<SeedApp>,
    /// Groups created (not counting the bulk group).
    pub groups: usize,
    /// Group memberships (not counting the bulk group).
    pub memberships: usize,
    /// Assignments (group + direct) over all apps.
    pub assignments: usize,
    /// (app, user) licenses over all apps.
    pub licensed: usize,
    /// The app that scenario 4 assigns the bulk group to.
    pub bulk_app_name: String,
    /// The group of `Scale::bulk_group` members.
    pub bulk_group_name: String,
    /// An app with 151 assignments, a group first, for the page-size check.
    pub probe_app_name: String,
    /// Apps nobody holds, with a seat for every user: each hot-app rollout
    /// run (one server, then replicas) assigns every user to one of them,
    /// then goes on with a second ([`ROLLOUT_APPS_PER_RUN`]).
    pub rollout_apps: Vec<SeedRolloutApp>,
    /// Wall time of the whole seeding.
    pub took: Duration,
}

/// An app of the hot-app rollout: nobody holds it at the start, and it has
/// a seat for every user.
#[derive(Debug)]
pub struct SeedRolloutApp {
    pub name: String,
    pub id: AppId,
}

/// Rollout apps per run: when a run has assigned every user to its first
/// app, it goes on with the next, so a fast run does not run out of users.
pub const ROLLOUT_APPS_PER_RUN: usize = 2;

/// Rollout apps: for the single-server run and for the replica run.
const ROLLOUT_APPS: usize = 2 * ROLLOUT_APPS_PER_RUN;

/// Direct users of the page-size probe app (more than the largest page).
const PROBE_USERS: usize = 150;

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sophia",
    "Elijah",
    "Charlotte",
    "James",
    "Ava",
    "William",
    "Isabella",
    "Benjamin",
    "Mia",
    "Lucas",
    "Evelyn",
    "Henry",
    "Harper",
    "Theodore",
    "Luna",
    "Jack",
    "Camila",
    "Levi",
    "Gianna",
    "Alexander",
    "Elizabeth",
    "Jackson",
    "Eleanor",
    "Mateo",
    "Ella",
    "Daniel",
    "Abigail",
    "Michael",
    "Sofia",
    "Mason",
    "Avery",
    "Sebastian",
    "Scarlett",
    "Ethan",
    "Emily",
    "Logan",
    "Aria",
    "Owen",
    "Penelope",
    "Samuel",
    "Chloe",
    "Jacob",
    "Layla",
    "Asher",
    "Mila",
    "Aiden",
    "Nora",
    "John",
    "Hazel",
    "Joseph",
    "Madison",
    "Wyatt",
    "Ellie",
    "David",
    "Lily",
    "Leo",
    "Nova",
    "Luke",
    "Isla",
    "Julian",
    "Grace",
    "Hudson",
    "Violet",
    "Grayson",
    "Aurora",
    "Matthew",
    "Riley",
    "Ezra",
    "Zoey",
    "Gabriel",
    "Willow",
    "Carter",
    "Emilia",
    "Isaac",
    "Stella",
    "Jayden",
    "Zoe",
    "Luca",
    "Victoria",
    "Anthony",
    "Hannah",
    "Dylan",
    "Addison",
    "Lincoln",
    "Leah",
    "Thomas",
    "Lucy",
    "Maverick",
    "Eliana",
    "Elias",
    "Ivy",
    "Josiah",
    "Everly",
    "Charles",
    "Ngozi",
    "Hiroshi",
    "Priya",
    "Mehmet",
    "Ana",
    "Wei",
    "Fatima",
    "Sven",
    "Aoife",
    "Kwame",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Okafor",
    "Tanaka",
    "Patel",
    "Yilmaz",
    "Silva",
    "Zhang",
    "Haddad",
    "Lindqvist",
    "Byrne",
    "Mensah",
];

pub(crate) const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Legal",
    "Support",
    "Design",
    "Operations",
    "Human Resources",
    "Research",
    "Data",
    "Security",
    "Procurement",
    "Facilities",
    "Product",
];

pub(crate) const REGIONS: &[&str] = &["EMEA", "Americas", "APAC", "Global"];

const VENDORS: &[&str] = &[
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Litware",
    "Adventure Works",
    "Wingtip",
    "Proseware",
    "Woodgrove",
    "Lucerne",
];

const PRODUCTS: &[&str] = &[
    "Draw",
    "CRM",
    "Notes",
    "Analytics",
    "Board",
    "Chat",
    "Sign",
    "Mail Guard",
    "Planner",
    "Vault",
    "Forms",
    "Survey",
    "Studio",
    "Backup",
    "Pay",
];

/// Seed `scale` into `store`, reporting progress on stderr.
pub async fn seed(store: &Store, scale: Scale) -> Seeded {
    let started = Instant::now();
    let actor = Actor::system();
    let mut rng = StdRng::seed_from_u64(0x5EA7_1115);
    let tenant = store
        .create_tenant(&actor, "Bench Org")
        .await
        .expect("create the bench tenant")
        .id;

    let (new_users, user_names, user_emails) = users(&mut rng, scale.users);
    let user_ids: Vec<UserId> = store
        .import_users(tenant, &actor, new_users)
        .await
        .expect("import the bench users")
        .into_iter()
        .map(|u| u.id)
        .collect();
    eprintln!(
        "  {} users imported after {:.1?}",
        user_ids.len(),
        started.elapsed()
    );

    // Skewed sizes: most groups are small teams, a few are whole divisions
    // (u^3.6 puts the mean near 440, so 200 assigned groups plus direct
    // users give about 100,000 licenses at the default scale).
    let mut group_members: Vec<Vec<u32>> = Vec::with_capacity(scale.groups);
    let mut group_ids: Vec<GroupId> = Vec::with_capacity(scale.groups);
    let mut memberships = 0;
    for g in 0..scale.groups {
        let u: f64 = rng.random();
        let span = (scale.max_group - scale.min_group) as f64;
        let size = (scale.min_group + (span * u.powf(3.6)) as usize).min(scale.users);
        let members = sample(&mut rng, scale.users, size);
        let name = format!(
            "{} {} {}",
            DEPARTMENTS[g % DEPARTMENTS.len()],
            REGIONS[(g / DEPARTMENTS.len()) % REGIONS.len()],
            g + 1
        );
        let id = create_group(store, tenant, &name, &members, &user_ids).await;
        memberships += members.len();
        group_members.push(members);
        group_ids.push(id);
    }
    eprintln!(
        "  {} groups created after {:.1?}",
        scale.groups,
        started.elapsed()
    );

    let mut apps = Vec::with_capacity(scale.apps);
    let mut assignments = 0;
    let mut licensed = 0;
    for a in 0..scale.apps {
        let group = a % scale.groups;
        let direct = sample(&mut rng, scale.users, scale.direct_per_app);
        let holders: HashSet<u32> = group_members[group]
            .iter()
            .chain(&direct)
            .copied()
            .collect();
        let vendor = VENDORS[a % VENDORS.len()];
        let product = PRODUCTS.choose(&mut rng).copied().unwrap_or("Suite");
        let name = format!("{vendor} {product} {:03}", a + 1);
        let id = register_app(
            store,
            tenant,
            &name,
            vendor,
            holders.len() as i64 + scale.spare_seats,
        )
        .await;
        let principals: Vec<PrincipalId> = std::iter::once(PrincipalId::Group(group_ids[group]))
            .chain(
                direct
                    .iter()
                    .map(|&u| PrincipalId::User(user_ids[u as usize])),
            )
            .collect();
        store
            .assign_licenses(tenant, &actor, id, &principals)
            .await
            .expect("assign a seeded app");
        assignments += principals.len();
        licensed += holders.len();
        apps.push(SeedApp { id, name, holders });
    }
    eprintln!(
        "  {} apps assigned after {:.1?}",
        scale.apps,
        started.elapsed()
    );

    let bulk_group_name = format!("All Staff ({} members)", scale.bulk_group);
    let bulk_members = sample(&mut rng, scale.users, scale.bulk_group);
    create_group(store, tenant, &bulk_group_name, &bulk_members, &user_ids).await;
    let bulk_app_name = "Zz Bulk Suite (scenario 4)".to_owned();
    register_app(
        store,
        tenant,
        &bulk_app_name,
        "Contoso",
        scale.bulk_group as i64 + scale.spare_seats,
    )
    .await;

    // The page-size probe: a group first, then 150 users, so pages of 10,
    // 50 and 100 assignments all hold both kinds of principal and differ
    // only in size (the statement count must not).
    let probe_app_name = "Zz Page-size Probe".to_owned();
    let probe_users = sample(&mut rng, scale.users, PROBE_USERS);
    let probe_group = group_members[0].len() + PROBE_USERS;
    let probe = register_app(
        store,
        tenant,
        &probe_app_name,
        "Northwind",
        probe_group as i64 + scale.spare_seats,
    )
    .await;
    store
        .assign_licenses(tenant, &actor, probe, &[PrincipalId::Group(group_ids[0])])
        .await
        .expect("assign the probe app to a group");
    let direct: Vec<PrincipalId> = probe_users
        .iter()
        .map(|&u| PrincipalId::User(user_ids[u as usize]))
        .collect();
    store
        .assign_licenses(tenant, &actor, probe, &direct)
        .await
        .expect("assign the probe app to users");

    let mut rollout_apps = Vec::with_capacity(ROLLOUT_APPS);
    for run in 1..=ROLLOUT_APPS {
        let name = format!("Zz Rollout {run} (hot app, assign only)");
        let id = register_app(store, tenant, &name, "Fabrikam", scale.users as i64).await;
        rollout_apps.push(SeedRolloutApp { name, id });
    }

    Seeded {
        tenant,
        probe_app_name,
        rollout_apps,
        user_emails,
        user_names,
        apps,
        groups: scale.groups,
        memberships,
        assignments,
        licensed,
        bulk_app_name,
        bulk_group_name,
        took: started.elapsed(),
    }
}

/// `n` users with realistic names; emails carry the index to stay unique.
fn users(rng: &mut StdRng, n: usize) -> (Vec<NewUser>, Vec<String>, Vec<String>) {
    let mut new = Vec::with_capacity(n);
    let mut names = Vec::with_capacity(n);
    let mut emails = Vec::with_capacity(n);
    for i in 0..n {
        let first = FIRST_NAMES.choose(rng).copied().unwrap_or("Alex");
        let last = LAST_NAMES.choose(rng).copied().unwrap_or("Doe");
        let display_name = format!("{first} {last}");
        let email = format!(
            "{}.{}{i}@contoso.example",
            first.to_lowercase(),
            last.to_lowercase()
        );
        new.push(NewUser {
            display_name: display_name.clone(),
            email: email.clone(),
        });
        names.push(display_name);
        emails.push(email);
    }
    (new, names, emails)
}

/// `k` distinct user indices below `n`.
fn sample(rng: &mut StdRng, n: usize, k: usize) -> Vec<u32> {
    rand::seq::index::sample(rng, n, k.min(n))
        .into_iter()
        .map(|i| i as u32)
        .collect()
}

async fn create_group(
    store: &Store,
    tenant: TenantId,
    name: &str,
    members: &[u32],
    users: &[UserId],
) -> GroupId {
    let new = NewGroup {
        display_name: name.to_owned(),
        description: format!("{} people", members.len()),
        member_ids: members.iter().map(|&u| users[u as usize]).collect(),
    };
    store
        .create_group(tenant, &Actor::system(), new)
        .await
        .expect("create a seeded group")
        .id
}

async fn register_app(
    store: &Store,
    tenant: TenantId,
    name: &str,
    vendor: &str,
    seats: i64,
) -> AppId {
    let slug: String = vendor
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let new = NewApp {
        name: name.to_owned(),
        description: format!("{name}, bought from {vendor}."),
        vendor: Vendor {
            name: vendor.to_owned(),
            website: format!("https://{slug}.example"),
            support_email: format!("support@{slug}.example"),
        },
        seats,
        adapter_key: None,
        adapter_settings: serde_json::json!({}),
    };
    store
        .register_app(tenant, &Actor::system(), new)
        .await
        .expect("register a seeded app")
        .id
}
