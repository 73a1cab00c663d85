//! The assign panel of the license details: a keyboard-driven typeahead over
//! users and groups, all or nothing when seats run short.

use fantoccini::key::Key;

use crate::{CONTOSO, Console, NEARLY_FULL_APP};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_too_large_a_group_then_assigns_a_user() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    open_assign_panel(&console, NEARLY_FULL_APP).await;
    browser
        .wait_text("#assign-seats", "1 seat available of 5")
        .await;

    // Keyboard: type, arrow down to the option, Enter adds it.
    browser.type_into("#assign-search", "Sales").await;
    browser
        .wait_combobox_results("assign-search", "Sales", "Sales")
        .await;
    browser.pick_combobox_option("assign-search", "Sales").await;
    browser.wait_text("#assign-chosen", "Sales").await;
    browser.click("#assign-submit").await.expect("assign");
    let outcome = browser
        .wait_text("#assign-outcome", "Not enough seats")
        .await;
    assert!(outcome.contains("Nothing was changed"), "{outcome}");
    assert!(
        outcome.contains("need 4 seats") && outcome.contains("only 1 seat is available"),
        "{outcome}"
    );
    browser.screenshot("assign-panel").await;

    // Escape closes only the typeahead's list, not the panel.
    browser
        .click("[aria-label='Remove Sales']")
        .await
        .expect("remove Sales");
    browser.type_into("#assign-search", "Lynne").await;
    browser
        .wait_combobox_results("assign-search", "Lynne", "Lynne Robbins")
        .await;
    browser.press("#assign-search", Key::Escape).await;
    browser
        .wait_until("the list closes and the panel stays", || async {
            browser
                .attr("#assign-search", "aria-expanded")
                .await
                .as_deref()
                == Some("false")
                && browser.is_displayed("#assign-panel").await
        })
        .await;

    browser.type_into("#assign-search", " ").await; // search again for "Lynne "
    browser
        .wait_combobox_results("assign-search", "Lynne", "Lynne Robbins")
        .await;
    browser
        .pick_combobox_option("assign-search", "Lynne Robbins")
        .await;
    browser.wait_text("#assign-chosen", "Lynne Robbins").await;
    browser.click("#assign-submit").await.expect("assign");
    let outcome = browser.wait_text("#assign-outcome", "Assigned").await;
    assert!(outcome.contains("0 seats available now"), "{outcome}");
    browser
        .click("#assign-close")
        .await
        .expect("close the panel");

    browser.wait_text("#users-table", "Lynne Robbins").await;
    browser.wait_text("#seat-available", "0").await;
    browser.wait_text("main", "All seats used").await;
}

/// Enter pressed while the list still shows the results of earlier text
/// picks nobody from them: "Lynne" was searched, the admin changes it to
/// "Lee" and presses Enter at once, and only Lee Gu is ever chosen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_picks_only_from_the_results_of_what_was_typed() {
    let Some(console) = Console::signed_in_as_admin().await else {
        return;
    };
    let browser = &console.browser;
    open_assign_panel(&console, CONTOSO).await;
    browser.type_into("#assign-search", "Lynne").await;
    browser
        .wait_combobox_results("assign-search", "Lynne", "Lynne Robbins")
        .await;

    // One burst of keys, well inside the typeahead's 250 ms pause: the
    // field never empties, so the single "Lynne Robbins" option stays on
    // screen while "Lee" is searched.
    let backspace: char = Key::Backspace.into();
    let enter: char = Key::Enter.into();
    let burst = format!("{}ee{enter}", backspace.to_string().repeat(4));
    browser.type_into("#assign-search", &burst).await;

    // Lee Gu is chosen by the Enter above if the search for "Lee" had
    // answered before it arrived, and from its results otherwise.
    browser
        .wait_until("the results for \"Lee\", or Lee Gu chosen", || async {
            browser.text("#assign-chosen").await.contains("Lee Gu")
                || browser
                    .text("#assign-search-status")
                    .await
                    .contains("for “Lee”")
        })
        .await;
    if !browser.text("#assign-chosen").await.contains("Lee Gu") {
        browser
            .pick_combobox_option("assign-search", "Lee Gu")
            .await;
    }
    let chosen = browser.wait_text("#assign-chosen", "Lee Gu").await;
    assert!(!chosen.contains("Lynne Robbins"), "{chosen}");
}

/// From the licenses list, open the details of the app named `app` and its
/// assign panel.
async fn open_assign_panel(console: &Console, app: &str) {
    console.open_app(app).await;
    console
        .browser
        .click("#assign-open")
        .await
        .expect("open the assign panel");
    console
        .browser
        .wait_text("#assign-panel", "Assign licenses")
        .await;
}
