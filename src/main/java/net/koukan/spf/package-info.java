/**
 * SPF (RFC 7208): {@link net.koukan.spf.SpfEvaluator} is {@code check_host()} on our DNS client
 * with the RFC's processing limits; {@link net.koukan.spf.SpfCheckFilter} is the
 * {@code spf_check} filter that records the result as a signal and an Authentication-Results
 * header. May import {@code tx}, {@code config}, {@code filter}, {@code dns}.
 */
package net.koukan.spf;
