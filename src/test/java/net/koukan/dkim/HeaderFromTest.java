package net.koukan.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HeaderFromTest {

  @Test
  void domainsOfCommonForms() {
    assertThat(HeaderFrom.domainOf("alice@Example.COM")).isEqualTo("example.com");
    assertThat(HeaderFrom.domainOf("Alice <alice@example.com>")).isEqualTo("example.com");
    assertThat(HeaderFrom.domainOf("\"Evil <x@bad.example>\" <alice@example.com>")).isEqualTo("example.com");
    assertThat(HeaderFrom.domainOf("\"a@bad.example\"@example.com")).isEqualTo("example.com");
    assertThat(HeaderFrom.domainOf("alice@example.com (comment @bad.example)")).isEqualTo("example.com");
    assertThat(HeaderFrom.domainOf("Team: a@example.com, b@example.com;")).isEqualTo("example.com");
    assertThat(HeaderFrom.domainOf("<@relay.example:alice@example.com>")).isEqualTo("example.com");
    assertThat(HeaderFrom.domainOf("Jörg <jörg@bücher.example>")).isEqualTo("bücher.example");
  }

  @Test
  void noSingleDomain() {
    assertThat(HeaderFrom.domainOf("a@example.com, b@example.org")).isNull();
    assertThat(HeaderFrom.domainOf("undisclosed-recipients:;")).isNull();
    assertThat(HeaderFrom.domainOf("not an address")).isNull();
    assertThat(HeaderFrom.domainOf("a@[192.0.2.1]")).isNull();
    assertThat(HeaderFrom.domain(List.of(HeaderField.of("From: a@example.com"),
        HeaderField.of("From: a@example.com")))).isNull();
    assertThat(HeaderFrom.domain(List.of(HeaderField.of("To: a@example.com")))).isNull();
    assertThat(HeaderFrom.domain(List.of(HeaderField.of("FROM:  A\r\n <a@example.com>")))).isEqualTo("example.com");
  }
}
