package net.koukan.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublicSuffixListTest {

  @Test
  void builtinSubset() {
    PublicSuffixList l = PublicSuffixList.builtin();
    assertThat(l.registrableDomain("mail.example.com")).isEqualTo("example.com");
    assertThat(l.registrableDomain("a.b.example.co.uk")).isEqualTo("example.co.uk");
    assertThat(l.registrableDomain("co.uk")).isNull();
    assertThat(l.registrableDomain("com")).isNull();
    assertThat(l.registrableDomain("x.y.foo.ck")).isEqualTo("y.foo.ck"); // *.ck
    assertThat(l.registrableDomain("a.www.ck")).isEqualTo("www.ck"); // !www.ck
    assertThat(l.registrableDomain("alice.github.io")).isEqualTo("alice.github.io");
    assertThat(l.registrableDomain("Mail.Example.COM.")).isEqualTo("example.com");
  }

  @Test
  void alignment() {
    PublicSuffixList l = PublicSuffixList.builtin();
    assertThat(l.alignment("example.com", "example.com")).isEqualTo("domain");
    assertThat(l.alignment("EXAMPLE.com", "example.com.")).isEqualTo("domain");
    assertThat(l.alignment("mail.example.com", "example.com")).isEqualTo("same_sld");
    assertThat(l.alignment("a.example.co.uk", "b.example.co.uk")).isEqualTo("same_sld");
    assertThat(l.alignment("a.co.uk", "b.co.uk")).isEqualTo("other");
    assertThat(l.alignment("alice.github.io", "bob.github.io")).isEqualTo("other");
    assertThat(l.alignment("example.com", "example.org")).isEqualTo("other");
    assertThat(l.alignment("example.com", null)).isEqualTo("other");
  }

  @Test
  void loadsAListFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("psl.dat");
    Files.writeString(f, "// comment\ncom\nexample.com  trailing comment\n*.wild.test\n!keep.wild.test\n"
        + "// ===BEGIN PRIVATE DOMAINS===\nbücher.example\n");
    PublicSuffixList l = PublicSuffixList.load(f);
    assertThat(l.registrableDomain("a.b.example.com")).isEqualTo("b.example.com");
    assertThat(l.registrableDomain("a.b.wild.test")).isEqualTo("a.b.wild.test");
    assertThat(l.registrableDomain("x.keep.wild.test")).isEqualTo("keep.wild.test");
    assertThat(l.registrableDomain("shop.xn--bcher-kva.example")).isEqualTo("shop.xn--bcher-kva.example");
    assertThat(l.registrableDomain("shop.bücher.example")).isEqualTo("shop.xn--bcher-kva.example");
  }

  @Test
  void theSystemListWhenInstalled() throws Exception {
    Path system = Path.of(PublicSuffixList.SYSTEM_FILE);
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(system), "no system list");
    PublicSuffixList l = PublicSuffixList.systemOrBuiltin();
    assertThat(l.source()).isEqualTo(system.toString());
    assertThat(l.size()).isGreaterThan(5000);
    assertThat(l.registrableDomain("www.bbc.co.uk")).isEqualTo("bbc.co.uk");
    assertThat(l.registrableDomain("foo.s3.amazonaws.com")).isNotEqualTo("amazonaws.com");
  }
}
