DROP TABLE seat_change_operations;
