/**
 * The object-store drop (SwiftDrop's job, done properly): an SMTP listener whose sessions store each
 * message as an object ({@link net.koukan.drop.DropSession}) and answer 250 only once every
 * destination has it; the {@code swift} terminal filter for router chains (queued mode); the
 * destinations ({@link net.koukan.drop.Destination}: a Swift container or a local folder), object
 * naming, receipt metadata, configuration from YAML or SwiftDrop's environment variables, the
 * start-up check, and the lease-based consumer ({@link net.koukan.drop.DropQueue}).
 * May import net.koukan.tx, config, filter, smtp, smtpclient and net.koukan.drop.swift.
 */
package net.koukan.drop;
