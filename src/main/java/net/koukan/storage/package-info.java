/**
 * Durable storage of transactions, recipients' responses, attempts, blobs and sessions in SQL
 * (SQLite embedded, PostgreSQL for clusters), with optimistic versioning (the REST ETag is the
 * row version), schema migrations, and in-process change notification for long-polls.
 * May import net.koukan.tx only.
 */
package net.koukan.storage;
