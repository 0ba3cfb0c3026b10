/**
 * DNS for delivery (dnsjava, resolver address configurable): MX and address lookups with
 * OK/NX/TEMP outcomes, and the {@code dns_resolution} filter that turns routed domains into
 * ordered host lists and records domain signals. May import net.koukan.tx, config and filter.
 */
package net.koukan.dns;
