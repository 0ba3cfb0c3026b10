package net.koukan.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.SingleBody;
import org.apache.james.mime4j.message.DefaultMessageBuilder;

/** Parses a bounce with mime4j and checks it is an RFC 3464 failure report for a recipient. */
final class DsnCheck {
  private DsnCheck() {}

  static void assertFailureReport(byte[] dsn, String recipient, String status) {
    try {
      Message m = new DefaultMessageBuilder().parseMessage(new ByteArrayInputStream(dsn));
      assertThat(m.getMimeType()).isEqualTo("multipart/report");
      assertThat(m.getHeader().getField("Content-Type").getBody()).contains("report-type=delivery-status");
      assertThat(m.getSubject()).contains("Failure");
      Multipart mp = (Multipart) m.getBody();
      assertThat(mp.getBodyParts().get(1).getMimeType()).isEqualTo("message/delivery-status");
      String report;
      var body = mp.getBodyParts().get(1).getBody();
      if (body instanceof SingleBody sb) {
        report = new String(sb.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } else {
        // mime4j may parse message/* as a nested message: its header fields are the report
        report = body.toString();
        var nested = (Message) body;
        StringBuilder b = new StringBuilder();
        nested.getHeader().getFields().forEach(f -> b.append(f.getName()).append(": ").append(f.getBody()).append('\n'));
        report = b.toString() + report;
      }
      assertThat(report).contains("rfc822; " + recipient).contains("Action: failed").contains("Status: " + status);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
