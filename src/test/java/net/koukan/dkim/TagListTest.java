package net.koukan.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TagListTest {

  @Test
  void parsesTagsWithFoldingWhiteSpaceAndTrailingSemicolon() throws Exception {
    Map<String, String> t = TagList.parse(" v=1; a=rsa-sha256;\r\n\td=example.com ; s = sel;\r\n"
        + " b=abc\r\n def ;");
    assertThat(t).containsExactly(Map.entry("v", "1"), Map.entry("a", "rsa-sha256"),
        Map.entry("d", "example.com"), Map.entry("s", "sel"), Map.entry("b", "abc\r\n def"));
    assertThat(TagList.stripFws(t.get("b"))).isEqualTo("abcdef");
  }

  @Test
  void emptyValuesAreAllowed() throws Exception {
    assertThat(TagList.parse("v=DKIM1; p=")).containsEntry("p", "");
  }

  @Test
  void aFinalLineBreakIsAccepted() throws Exception {
    assertThat(TagList.parse("a=1; b=2\r\n")).containsEntry("b", "2");
  }

  @Test
  void refusesDuplicates() {
    assertThatThrownBy(() -> TagList.parse("a=1; a=2")).hasMessageContaining("duplicate tag a");
  }

  @Test
  void refusesMalformedLists() {
    for (String bad : new String[] {"", " ; ", "a=1;; b=2", "1a=2", "a", "a=1; b", "a=1\r\nb=2",
        "a=x\ny", "a=\u0001", "_a=1", "a-b=1", ";a=1"}) {
      assertThatThrownBy(() -> TagList.parse(bad)).as(bad).isInstanceOf(TagList.SyntaxException.class);
    }
  }

  @Test
  void tagNamesAreCaseSensitiveAndMayHoldDigitsAndUnderscores() throws Exception {
    assertThat(TagList.parse("A=1; a=2; x_1=3")).containsKeys("A", "a", "x_1");
  }
}
