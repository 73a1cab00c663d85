//! Fifty clients hang up right after sending `assignLicenses` or
//! `unassignLicenses` (in turn) for a big group. Their requests end
//! wherever they are, some inside their transaction. The next assignment on
//! the same app is still answered at once, and the seats stay consistent.
//!
//! The requests alternate so that each one that runs has the group's
//! members to add or remove: with assignments only, the first did all the
//! work and the rest found nothing to do, and whether any client hung up
//! inside a transaction depended on how fast that one request was.

use std::time::{Duration, Instant};

use seatwise_e2e::{TestApp, e2e_on_both_backends};
use serde_json::json;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::support::{consistent_seats, seed_group};

const GROUP_SIZE: i64 = 2_000;

async fn clients_hanging_up_mid_assign_do_not_block_the_next_one(app: TestApp) {
    let admin = app.admin_token();
    let crm = app.register_app(&admin, "Contoso CRM", 5_000).await;
    let sales = seed_group(&app, "Sales", GROUP_SIZE as usize).await;
    let newcomer = app
        .create_user(&admin, "Ada Newcomer", "ada@example.com")
        .await;

    let address = app.base_url.trim_start_matches("http://").to_owned();
    let request = |mutation: &str, input: &str| {
        let body = json!({
            "query": format!(
                "mutation($input: {input}!) {{ {mutation}(input: $input) {{ app {{ id }} }} }}"
            ),
            "variables": { "input": { "appId": crm, "principalIds": [sales] } },
        })
        .to_string();
        format!(
            "POST /graphql HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {admin}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let assign = request("assignLicenses", "AssignLicensesInput");
    let unassign = request("unassignLicenses", "UnassignLicensesInput");
    let hang_ups: Vec<_> = (0..50u64)
        .map(|n| {
            let request = if n % 2 == 0 { &assign } else { &unassign };
            let (address, request) = (address.clone(), request.clone());
            tokio::spawn(async move {
                let mut socket = TcpStream::connect(&address).await.expect("connect");
                socket.write_all(request.as_bytes()).await.expect("send");
                // Hang up at different moments of the server's work, over
                // the ~0.4 s in which it runs the first requests one by one.
                tokio::time::sleep(Duration::from_millis(n * 8)).await;
                drop(socket);
            })
        })
        .collect();
    for hang_up in hang_ups {
        hang_up.await.expect("client task");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The next assignment on the same app: the default lock and busy
    // timeouts are 10 s, so an answer within 5 s proves nothing was left
    // holding the lock.
    let started = Instant::now();
    let assigned = tokio::time::timeout(
        Duration::from_secs(5),
        app.assign(&admin, &crm, std::slice::from_ref(&newcomer)),
    )
    .await
    .unwrap_or_else(|_| {
        panic!(
            "the next assignment was blocked by the dropped requests; log:\n{}",
            app.server_log()
        )
    });
    eprintln!(
        "next assignment after 50 hang-ups answered in {:?}",
        started.elapsed()
    );
    assert_eq!(assigned["userErrors"], json!([]), "{assigned:#}");

    // The group is assigned or not, whichever request committed last, and
    // all or nothing; the newcomer holds a seat either way.
    let seats = consistent_seats(&app, &admin, &crm).await;
    let group_assigned = seats.assignments - 1;
    assert!((0..=1).contains(&group_assigned), "{seats:?}");
    assert_eq!(seats.assigned, 1 + GROUP_SIZE * group_assigned, "{seats:?}");
    // The fault really happened: requests ended inside their transaction.
    let ended_inside = app
        .server_log()
        .matches("its connection was closed and the transaction rolled back")
        .count();
    eprintln!("{ended_inside} of 50 requests ended inside their transaction");
    assert!(
        ended_inside > 0,
        "no request ended inside its transaction; log:\n{}",
        app.server_log()
    );
}

e2e_on_both_backends!(process: clients_hanging_up_mid_assign_do_not_block_the_next_one);
