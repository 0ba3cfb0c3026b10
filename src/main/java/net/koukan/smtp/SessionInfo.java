package net.koukan.smtp;

import java.net.InetSocketAddress;

/**
 * What the server knows about the client when a transaction starts: the peer and local addresses
 * (after PROXY protocol, if any), the EHLO/HELO name, whether EHLO was used, TLS, and the
 * authenticated user (null if none).
 */
public record SessionInfo(InetSocketAddress remote, InetSocketAddress local, String heloName,
    boolean esmtp, boolean tls, String authUser) {}
