//! The directory both phases sync: deterministic people and groups, so
//! every run (and both backends) sees the same data.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::seed::{DEPARTMENTS, FIRST_NAMES, LAST_NAMES, REGIONS};

/// One person as an identity provider sends them.
pub struct Person {
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub email: String,
    /// The identity provider's id (Entra ID object ids look like UUIDs).
    pub external_id: String,
}

/// `n` people with distinct emails and external ids; `domain` keeps sets
/// made for different purposes apart.
pub fn people(n: usize, domain: &str) -> Vec<Person> {
    let mut rng = StdRng::seed_from_u64(0xD1_5EC7);
    (0..n)
        .map(|i| {
            let first = FIRST_NAMES.choose(&mut rng).copied().unwrap_or("Alex");
            let last = LAST_NAMES.choose(&mut rng).copied().unwrap_or("Doe");
            Person {
                given_name: first.to_owned(),
                family_name: last.to_owned(),
                display_name: format!("{first} {last}"),
                email: format!(
                    "{}.{}{i}@{domain}",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
                external_id: format!("{:08x}-bench-{i:08}", rng.random::<u32>()),
            }
        })
        .collect()
}

/// One group: its name, external id and members (indices into the people).
pub struct GroupPlan {
    pub display_name: String,
    pub external_id: String,
    pub members: Vec<usize>,
}

/// `n` groups over `users` people, sized like the main suite's seed
/// (`10 + 1990·u^3.6`: mostly teams, a few divisions; about 440 members on
/// average).
pub fn groups(n: usize, users: usize) -> Vec<GroupPlan> {
    let mut rng = StdRng::seed_from_u64(0x6B0_0B5);
    (0..n)
        .map(|g| {
            let u: f64 = rng.random();
            let size = (10 + (1990.0 * u.powf(3.6)) as usize).min(users);
            GroupPlan {
                display_name: format!(
                    "{} {} {}",
                    DEPARTMENTS[g % DEPARTMENTS.len()],
                    REGIONS[(g / DEPARTMENTS.len()) % REGIONS.len()],
                    g + 1
                ),
                external_id: format!("group-{g:05}"),
                members: rand::seq::index::sample(&mut rng, users, size).into_vec(),
            }
        })
        .collect()
}
