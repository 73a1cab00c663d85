/*
 * acme.c: a complete Seatwise adapter plugin in C99, built only against
 * adapters/include/seatwise_adapter.h. Key `acme`, immediate seat changes.
 *
 *   cc -std=c99 -Wall -Werror -shared -fPIC -I adapters/include \
 *      -o libacme.so plugins/c-example/acme.c
 *
 * Settings: {"max_seats": N} (optional): a change to more than N seats is
 * rejected. adapters/host/tests/c_plugin.rs builds and loads this file through
 * the real host on every `cargo test`.
 */
#include <stdint.h>
#include <stdio.h>

#include "seatwise_adapter.h"

static SeatwiseBuffer acme_info(void) {
    return seatwise_buffer_from_string(
        "{\"ok\":{\"key\":\"acme\",\"display_name\":\"Acme\",\"version\":\"0.1.0\","
        "\"capabilities\":{\"seat_changes\":\"immediate\","
        "\"install_redirect\":false,\"assignment_notices\":false}}}");
}

/* {"context":{..., "settings":{"max_seats":N}}, "request":{"requested_quantity":Q, ...}} */
static SeatwiseBuffer acme_change_seats(SeatwiseJson input) {
    SeatwiseJson request, requested, context, settings, max_seats;
    uint64_t quantity = 0;
    uint64_t limit = UINT32_MAX;
    char reason[96];
    SeatwiseOut out = {0};

    if (!seatwise_json_get(input, "request", &request) ||
        !seatwise_json_get(request, "requested_quantity", &requested) ||
        !seatwise_json_u64(requested, &quantity) || quantity > UINT32_MAX) {
        return seatwise_bad_call("change_seats needs request.requested_quantity");
    }
    if (seatwise_json_get(input, "context", &context) &&
        seatwise_json_get(context, "settings", &settings) &&
        seatwise_json_get(settings, "max_seats", &max_seats) &&
        !seatwise_json_u64(max_seats, &limit)) {
        return seatwise_error("invalid_settings", "max_seats must be a non-negative integer");
    }

    if (quantity > limit) {
        snprintf(reason, sizeof reason, "the Acme contract allows at most %lu seats",
                 (unsigned long)limit);
        seatwise_out_raw(&out, "{\"ok\":{\"status\":\"rejected\",\"reason\":");
        seatwise_out_string(&out, reason);
        seatwise_out_raw(&out, "}}");
    } else {
        seatwise_out_raw(&out, "{\"ok\":{\"status\":\"completed\",\"quantity\":");
        seatwise_out_u64(&out, quantity);
        seatwise_out_raw(&out, "}}");
    }
    return seatwise_out_finish(&out);
}

/* Never unwinds (C has no exceptions) and touches no shared state, so it is
 * safe to run on several threads at once as the ABI requires. */
static SeatwiseBuffer acme_call(uint32_t method, const uint8_t *input, size_t input_len) {
    switch (method) {
    case SEATWISE_METHOD_INFO:
        return acme_info();
    case SEATWISE_METHOD_CHANGE_SEATS:
        return acme_change_seats(seatwise_json_input(input, input_len));
    case SEATWISE_METHOD_POLL_SEAT_CHANGE:
        /* Never answers "pending", so the host never polls. */
        return seatwise_error("permanent", "acme completes seat changes immediately");
    default:
        return seatwise_bad_call("unknown method");
    }
}

static const SeatwiseAdapterDescriptor DESCRIPTOR = {
    SEATWISE_ABI_VERSION,
    acme_call,
    seatwise_buffer_free,
};

SEATWISE_EXPORT const SeatwiseAdapterDescriptor *seatwise_adapter_entry(void) {
    return &DESCRIPTOR;
}
