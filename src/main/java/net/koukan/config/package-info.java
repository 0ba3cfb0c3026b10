/**
 * Configuration of the router: {@code router.yaml} bound to immutable records.
 *
 * <p>This package owns the YAML schema of the router (every stanza of {@link net.koukan.config.RouterConfig}),
 * the strict binder behind it (one Jackson {@code ObjectMapper} over a YAML factory, snake_case keys mapped to
 * camelCase record components) and the start-up checks that tie stanzas together (senders name existing output
 * chains, notification requires retry, exploder chains hand off to a valid upstream sender, ...). Every problem
 * is reported as a {@link net.koukan.config.ConfigException} whose message starts with
 * {@code <file>:<line>:<column>: <dotted.key.path>: }.
 *
 * <p>Filter stanzas are kept raw ({@link net.koukan.config.FilterStanza}) together with where they came from;
 * the filter that owns a stanza binds it to its own options record with {@link net.koukan.config.FilterStanza#bind},
 * using the same strict rules and the {@link net.koukan.config.Default}, {@link net.koukan.config.Required} and
 * {@link net.koukan.config.Min} annotations.
 *
 * <p>Imports: Jackson (databind, dataformat-yaml) and the JDK only. It imports nothing else from
 * {@code net.koukan}, so every other package may depend on it.
 */
package net.koukan.config;
