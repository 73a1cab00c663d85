//! Pins the JSON shapes documented in adapters/ABI.md: changing any of these
//! is an ABI change.

use seatwise_adapter::wire::{CallInput, CallResponse, PollRequest};
use seatwise_adapter::{
    AdapterError, AdapterInfo, AssignmentNotice, CallContext, Capabilities, FinishedSeatChange,
    InstallRedirect, InstallRequest, SeatChangeMode, SeatChangeOutcome, SeatChangeRequest,
    UsageRecord, UsageReport, UsageReportRecord, UsageReportRequest, UserRef, VendorContact,
    WebhookReport, WebhookReports, WebhookRequest,
};
use serde_json::{Value, json};

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

fn context() -> CallContext {
    CallContext {
        tenant_id: "tenant-1".into(),
        app_id: "app-1".into(),
        settings: json!({ "api_key": "k" }),
    }
}

#[test]
fn info_response() {
    let info = AdapterInfo {
        key: "acme".into(),
        display_name: "Acme".into(),
        version: "1.2.0".into(),
        capabilities: Capabilities {
            seat_changes: SeatChangeMode::Asynchronous,
            install_redirect: true,
            assignment_notices: false,
            vendor_webhooks: false,
            usage_reports: false,
        },
    };
    assert_eq!(
        to_json(&CallResponse::Ok(info)),
        json!({"ok": {
            "key": "acme", "display_name": "Acme", "version": "1.2.0",
            "capabilities": {
                "seat_changes": "asynchronous",
                "install_redirect": true,
                "assignment_notices": false,
                "vendor_webhooks": false,
                "usage_reports": false
            }
        }})
    );
}

/// A plugin built before `usage_reports` existed sends no such field: it
/// still loads, and has not announced the capability.
#[test]
fn info_of_an_older_plugin_without_usage_reports_still_reads() {
    let old: CallResponse<AdapterInfo> = serde_json::from_value(json!({"ok": {
        "key": "acme", "display_name": "Acme", "version": "0.9.0",
        "capabilities": {
            "seat_changes": "immediate",
            "install_redirect": false,
            "assignment_notices": true
        }
    }}))
    .expect("an old-shape info answer");
    let CallResponse::Ok(info) = old else {
        panic!("not ok: {old:?}");
    };
    assert!(!info.capabilities.usage_reports);
    assert!(!info.capabilities.vendor_webhooks);
    assert!(info.capabilities.assignment_notices);
}

#[test]
fn handle_webhook_input_and_reports() {
    let input = CallInput {
        context: context(),
        request: WebhookRequest {
            headers: vec![("x-acme-signature".into(), "sha256=ab".into())],
            body: "{}".into(),
            received_at: "2026-12-20T10:00:00Z".into(),
        },
    };
    assert_eq!(
        to_json(&input),
        json!({
            "context": {"tenant_id": "tenant-1", "app_id": "app-1", "settings": {"api_key": "k"}},
            "request": {
                "headers": [["x-acme-signature", "sha256=ab"]],
                "body": "{}",
                "received_at": "2026-12-20T10:00:00Z"
            }
        })
    );
    let reports = WebhookReports {
        reports: vec![
            WebhookReport::SeatChangeFinished {
                vendor_ref: "r-1".into(),
                outcome: FinishedSeatChange::Completed { quantity: 12 },
            },
            WebhookReport::SeatChangeFinished {
                vendor_ref: "r-2".into(),
                outcome: FinishedSeatChange::Rejected {
                    message: "no".into(),
                },
            },
            WebhookReport::Renewal {
                term_end: "2027-12-31".into(),
                auto_renew: Some(true),
            },
            WebhookReport::Usage {
                records: vec![UsageRecord {
                    user_email: "a@x.example".into(),
                    last_active_at: "2026-12-19T08:00:00Z".into(),
                }],
            },
        ],
    };
    assert_eq!(
        to_json(&CallResponse::Ok(reports)),
        json!({"ok": {"reports": [
            {"type": "seat_change_finished", "vendor_ref": "r-1",
             "outcome": {"status": "completed", "quantity": 12}},
            {"type": "seat_change_finished", "vendor_ref": "r-2",
             "outcome": {"status": "rejected", "message": "no"}},
            {"type": "renewal", "term_end": "2027-12-31", "auto_renew": true},
            {"type": "usage", "records": [
                {"user_email": "a@x.example", "last_active_at": "2026-12-19T08:00:00Z"}]}
        ]}})
    );
    assert_eq!(
        to_json(&CallResponse::<()>::Error(AdapterError::unauthorized(
            "bad signature"
        ))),
        json!({"error": {"kind": "unauthorized", "message": "bad signature"}})
    );
    assert_eq!(
        to_json(&CallResponse::<()>::Error(AdapterError::malformed(
            "not JSON"
        ))),
        json!({"error": {"kind": "malformed", "message": "not JSON"}})
    );
}

#[test]
fn report_usage_input_and_answer() {
    let input = CallInput {
        context: context(),
        request: UsageReportRequest {
            since: Some(1_700_000_000),
        },
    };
    assert_eq!(to_json(&input)["request"], json!({"since": 1_700_000_000}));
    let first: UsageReportRequest = serde_json::from_value(json!({"since": null})).unwrap();
    assert_eq!(first.since, None);
    let answer = CallResponse::Ok(UsageReport {
        records: vec![UsageReportRecord {
            user_email: "ann@contoso.example".into(),
            last_active_at: 1_700_000_000,
        }],
    });
    assert_eq!(
        to_json(&answer),
        json!({"ok": {"records": [
            {"user_email": "ann@contoso.example", "last_active_at": 1_700_000_000}
        ]}})
    );
}

#[test]
fn change_seats_input() {
    let input = CallInput {
        context: context(),
        request: SeatChangeRequest {
            operation_id: "op-1".into(),
            previous_quantity: 10,
            requested_quantity: 12,
        },
    };
    assert_eq!(
        to_json(&input),
        json!({
            "context": {"tenant_id": "tenant-1", "app_id": "app-1", "settings": {"api_key": "k"}},
            "request": {"operation_id": "op-1", "previous_quantity": 10, "requested_quantity": 12}
        })
    );
}

#[test]
fn seat_change_outcomes() {
    let outcomes = [
        (
            SeatChangeOutcome::Completed { quantity: 12 },
            json!({"status": "completed", "quantity": 12}),
        ),
        (
            SeatChangeOutcome::Pending {
                vendor_ref: "r-1".into(),
                message: Some("working".into()),
            },
            json!({"status": "pending", "vendor_ref": "r-1", "message": "working"}),
        ),
        (
            SeatChangeOutcome::Rejected {
                reason: "too many".into(),
            },
            json!({"status": "rejected", "reason": "too many"}),
        ),
        (
            SeatChangeOutcome::ContactVendor {
                contact: VendorContact {
                    name: "Sales".into(),
                    email: "s@v.example".into(),
                    website: "https://v.example".into(),
                    phone: None,
                    message: "call us".into(),
                },
            },
            json!({"status": "contact_vendor", "contact": {
                "name": "Sales", "email": "s@v.example",
                "website": "https://v.example", "message": "call us"
            }}),
        ),
    ];
    for (outcome, expected) in outcomes {
        assert_eq!(to_json(&outcome), expected);
        let parsed: SeatChangeOutcome = serde_json::from_value(expected).unwrap();
        assert_eq!(parsed, outcome);
    }
    // `message` may be omitted by plugins.
    let bare: SeatChangeOutcome =
        serde_json::from_value(json!({"status": "pending", "vendor_ref": "r"})).unwrap();
    assert_eq!(
        bare,
        SeatChangeOutcome::Pending {
            vendor_ref: "r".into(),
            message: None
        }
    );
}

#[test]
fn other_requests_and_answers() {
    assert_eq!(
        to_json(&PollRequest {
            vendor_ref: "r-1".into()
        }),
        json!({"vendor_ref": "r-1"})
    );
    let admin = UserRef {
        id: "u-1".into(),
        name: None,
        email: Some("a@x.example".into()),
    };
    assert_eq!(
        to_json(&InstallRequest {
            admin_user: admin.clone(),
            return_url: "https://back".into()
        }),
        json!({"admin_user": {"id": "u-1", "email": "a@x.example"}, "return_url": "https://back"})
    );
    assert_eq!(
        to_json(&InstallRedirect {
            url: "https://v/i".into(),
            expires_at: 1_700_000_600
        }),
        json!({"url": "https://v/i", "expires_at": 1_700_000_600})
    );
    assert_eq!(
        to_json(&AssignmentNotice {
            gained: vec![admin],
            lost: vec![]
        }),
        json!({"gained": [{"id": "u-1", "email": "a@x.example"}], "lost": []})
    );
    assert_eq!(to_json(&CallResponse::Ok(())), json!({"ok": null}));
}

#[test]
fn error_envelopes() {
    assert_eq!(
        to_json(&CallResponse::<()>::Error(AdapterError::invalid_settings(
            "missing api_key"
        ))),
        json!({"error": {"kind": "invalid_settings", "message": "missing api_key"}})
    );
    assert_eq!(
        to_json(&CallResponse::<()>::Panic {
            message: "boom".into()
        }),
        json!({"panic": {"message": "boom"}})
    );
    assert_eq!(
        to_json(&CallResponse::<()>::BadCall {
            message: "unknown method id 9".into()
        }),
        json!({"bad_call": {"message": "unknown method id 9"}})
    );
}

#[test]
fn debug_output_hides_settings() {
    let printed = format!("{:?}", context());
    assert!(printed.contains("tenant-1"));
    assert!(!printed.contains("api_key"), "{printed}");
}
