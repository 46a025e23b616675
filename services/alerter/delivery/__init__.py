"""Delivery of alerts to Alerters: which Alerters take an alert (`routing`), what they are sent (`messages`),
how (`send`), the record of each delivery with its retries (`records`), and the consumer and TestAlerter that
drive them (`service`)."""
