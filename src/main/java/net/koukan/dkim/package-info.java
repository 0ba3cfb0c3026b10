/**
 * DKIM (RFC 6376, RFC 8463 Ed25519, RFC 8301 algorithm rules) over the JDK's {@code Signature}:
 * canonicalization ({@link net.koukan.dkim.Canon}, streamed body hashing in
 * {@link net.koukan.dkim.BodyHasher}), the signer ({@link net.koukan.dkim.DkimSigner}) and
 * verifier ({@link net.koukan.dkim.DkimVerifier}), private keys ({@link net.koukan.dkim.DkimKeys}),
 * public-key records fetched through a {@link net.koukan.dkim.TxtResolver} (dnsjava:
 * {@link net.koukan.dkim.DnsjavaTxtResolver}), header-From alignment with a public suffix list, and
 * the {@code dkim_sign} / {@code dkim_check} filters.
 * May import net.koukan.filter, net.koukan.config and net.koukan.tx (plus dnsjava and the JDK).
 */
package net.koukan.dkim;
