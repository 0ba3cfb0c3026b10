package net.koukan.tx;

import java.util.Objects;

/** One ESMTP parameter of MAIL or RCPT, e.g. {@code SIZE=1234}; value is null for bare keywords. */
public record EsmtpParam(String keyword, String value) {
  public EsmtpParam {
    Objects.requireNonNull(keyword, "keyword");
  }
}
