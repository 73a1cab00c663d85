-- Subscription terms of an app: its term, price per seat and renewal
-- settings (core/src/subscriptions/). At most one per app; the state
-- (ACTIVE, EXPIRING, EXPIRED, DISABLED) is computed from these terms and
-- the date, never stored.
--
-- The price is an exact integer of ten-thousandths of the currency unit
-- (12.50 is 125000), so both backends store and compare it the same way.
-- The subscription goes with its app (ON DELETE CASCADE). Dates are
-- ISO-8601 text (YYYY-MM-DD), as diesel stores a Date on SQLite, so they
-- compare in calendar order.
CREATE TABLE app_subscriptions (
    tenant_id          text NOT NULL,
    app_id             text NOT NULL,
    term_start         text NOT NULL,
    term_end           text NOT NULL,
    auto_renew         boolean NOT NULL,
    price_per_seat_e4  bigint NOT NULL CHECK (price_per_seat_e4 >= 0),
    currency           text NOT NULL CHECK (length(currency) = 3),
    notice_days        integer NOT NULL CHECK (notice_days BETWEEN 0 AND 365),
    grace_days         integer NOT NULL CHECK (grace_days BETWEEN 0 AND 365),
    low_seat_threshold bigint NOT NULL CHECK (low_seat_threshold >= 0),
    PRIMARY KEY (tenant_id, app_id),
    CHECK (term_end > term_start),
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id) ON DELETE CASCADE
);
