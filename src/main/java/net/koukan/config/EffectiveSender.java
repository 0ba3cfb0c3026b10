package net.koukan.config;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A sender's keys overlaid by one of its tags' keys: what a transaction created for {@code name}/{@code tag}
 * gets. See {@link RouterConfig#sender(String, String)}.
 *
 * @param tag the requested tag (null when the request had none)
 * @param upstreamSender already defaulted to {@code name}
 * @param upstreamTag already defaulted to {@code tag} (may be null)
 * @param remoteHost null when not set (or set to null by the tag)
 * @param smtpMeta null when not set (or set to null by the tag)
 */
public record EffectiveSender(
    String name,
    String tag,
    String outputChain,
    boolean retry,
    boolean notification,
    String upstreamSender,
    String upstreamTag,
    JsonNode remoteHost,
    JsonNode smtpMeta) {}
