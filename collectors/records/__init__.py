"""Records collectors: exports of HR, ticketing, badge and other business systems, by subject."""
