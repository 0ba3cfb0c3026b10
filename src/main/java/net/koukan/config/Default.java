package net.koukan.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Value used when the key is absent, written as a YAML scalar ({@code "16"}, {@code "1.5"}, {@code "true"},
 * {@code "jdbc:sqlite:var/koukan.db"}; durations in seconds). It is bound with the same rules as a value from the
 * file. An explicit {@code null} for a defaulted key is an error (omit the key instead).
 * Put it on a record component; every primitive component needs {@code @Default} or {@link Required}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.PARAMETER, ElementType.RECORD_COMPONENT})
public @interface Default {
  String value();
}
