//! `paperlab train bagnet`: trains the shipped models natively and writes `www/models/bagnet/`.
