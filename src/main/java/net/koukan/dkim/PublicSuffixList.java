package net.koukan.dkim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Registrable ("organizational") domains by the Public Suffix List algorithm
 * (publicsuffix.org/list: normal, wildcard and exception rules, the implicit {@code *} rule; ICANN
 * and private sections alike). The full list is read from a file (Debian/Ubuntu ship it in the
 * {@code publicsuffix} package as {@value #SYSTEM_FILE}); {@link #builtin()} is a compact subset
 * for hosts without it: the common multi-label ICANN suffixes (co.uk, com.au, co.jp, com.br, ...)
 * and a few large hosting suffixes. Limitation of the subset: a suffix it lacks counts as a
 * registrable domain, so two different registrants under it (a.example.gov.xx, b.example.gov.xx
 * when gov.xx is missing) look like the same organization, i.e. {@code same_sld} is too generous
 * there; {@code domain} alignment is never affected.
 */
public final class PublicSuffixList {
  /** Where Debian and Ubuntu install the list. */
  public static final String SYSTEM_FILE = "/usr/share/publicsuffix/public_suffix_list.dat";

  private final Set<String> rules = new HashSet<>();
  private final Set<String> wildcards = new HashSet<>(); // "*.ck" stored as "ck"
  private final Set<String> exceptions = new HashSet<>(); // "!www.ck" stored as "www.ck"
  private final String source;

  private PublicSuffixList(String source) {
    this.source = source;
  }

  /** Where the rules came from (a path, or "builtin"). */
  public String source() {
    return source;
  }

  public int size() {
    return rules.size() + wildcards.size() + exceptions.size();
  }

  public static PublicSuffixList load(Path file) throws IOException {
    PublicSuffixList l = new PublicSuffixList(file.toString());
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      l.parse(r);
    }
    if (l.size() == 0) {
      throw new IOException(file + " holds no public suffix rules");
    }
    return l;
  }

  /** The system's list if installed, else the builtin subset. */
  public static PublicSuffixList systemOrBuiltin() {
    Path p = Path.of(SYSTEM_FILE);
    if (Files.isReadable(p)) {
      try {
        return load(p);
      } catch (IOException e) {
        // fall through to the subset
      }
    }
    return builtin();
  }

  public static PublicSuffixList builtin() {
    PublicSuffixList l = new PublicSuffixList("builtin");
    try {
      l.parse(new BufferedReader(new StringReader(BUILTIN)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return l;
  }

  private void parse(BufferedReader r) throws IOException {
    String line;
    while ((line = r.readLine()) != null) {
      line = line.strip();
      if (line.isEmpty() || line.startsWith("//")) {
        continue;
      }
      int ws = indexOfWhitespace(line);
      String rule = ws < 0 ? line : line.substring(0, ws);
      if (rule.startsWith("!")) {
        exceptions.add(normalize(rule.substring(1)));
      } else if (rule.startsWith("*.")) {
        wildcards.add(normalize(rule.substring(2)));
      } else {
        rules.add(normalize(rule));
      }
    }
  }

  private static int indexOfWhitespace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  /** Lower-case A-label form without a trailing dot; null if not a usable name. */
  static String normalize(String domain) {
    String d = domain.strip();
    if (d.endsWith(".")) {
      d = d.substring(0, d.length() - 1);
    }
    if (d.isEmpty()) {
      return null;
    }
    try {
      d = IDN.toASCII(d, IDN.ALLOW_UNASSIGNED);
    } catch (IllegalArgumentException e) {
      // keep as given (e.g. underscores, which IDN rejects with strict rules only)
    }
    return d.toLowerCase(Locale.ROOT);
  }

  /** The public suffix of a domain (at least its last label). */
  public String publicSuffix(String domain) {
    String d = normalize(domain);
    if (d == null) {
      return null;
    }
    String[] labels = d.split("\\.", -1);
    for (int i = 0; i < labels.length; i++) {
      String cand = String.join(".", java.util.Arrays.copyOfRange(labels, i, labels.length));
      if (exceptions.contains(cand)) {
        return String.join(".", java.util.Arrays.copyOfRange(labels, i + 1, labels.length));
      }
      if (rules.contains(cand)) {
        return cand;
      }
      if (i + 1 < labels.length && wildcards.contains(
          String.join(".", java.util.Arrays.copyOfRange(labels, i + 1, labels.length)))) {
        return cand;
      }
    }
    return labels[labels.length - 1];
  }

  /** The registrable domain (public suffix plus one label), or null if the name is a public suffix. */
  public String registrableDomain(String domain) {
    String d = normalize(domain);
    if (d == null) {
      return null;
    }
    String ps = publicSuffix(d);
    if (ps == null || d.length() <= ps.length()) {
      return null;
    }
    String rest = d.substring(0, d.length() - ps.length() - 1);
    int dot = rest.lastIndexOf('.');
    return rest.substring(dot + 1) + "." + ps;
  }

  /** Alignment of a signing domain with the author domain: domain, same_sld or other. */
  public String alignment(String signingDomain, String fromDomain) {
    if (signingDomain == null || fromDomain == null) {
      return "other";
    }
    String d = normalize(signingDomain);
    String f = normalize(fromDomain);
    if (d == null || f == null) {
      return "other";
    }
    if (d.equals(f)) {
      return "domain";
    }
    String rd = registrableDomain(d);
    return rd != null && rd.equals(registrableDomain(f)) ? "same_sld" : "other";
  }

  /** The compact subset used when no list file is available. */
  private static final String BUILTIN = """
      // ICANN: common multi-label suffixes
      ac.uk
      co.uk
      gov.uk
      ltd.uk
      me.uk
      net.uk
      nhs.uk
      org.uk
      plc.uk
      police.uk
      sch.uk
      asn.au
      com.au
      edu.au
      gov.au
      id.au
      net.au
      org.au
      ac.nz
      co.nz
      geek.nz
      govt.nz
      net.nz
      org.nz
      school.nz
      ac.jp
      ad.jp
      co.jp
      ed.jp
      go.jp
      gr.jp
      lg.jp
      ne.jp
      or.jp
      com.br
      edu.br
      gov.br
      net.br
      org.br
      ac.cn
      com.cn
      edu.cn
      gov.cn
      net.cn
      org.cn
      ac.in
      co.in
      edu.in
      firm.in
      gen.in
      gov.in
      ind.in
      net.in
      org.in
      res.in
      ac.za
      co.za
      gov.za
      net.za
      org.za
      web.za
      ac.kr
      co.kr
      go.kr
      ne.kr
      or.kr
      re.kr
      com.tw
      edu.tw
      gov.tw
      idv.tw
      net.tw
      org.tw
      com.hk
      edu.hk
      gov.hk
      idv.hk
      net.hk
      org.hk
      com.sg
      edu.sg
      gov.sg
      net.sg
      org.sg
      per.sg
      com.mx
      edu.mx
      gob.mx
      net.mx
      org.mx
      com.ar
      edu.ar
      gob.ar
      int.ar
      net.ar
      org.ar
      av.tr
      bel.tr
      biz.tr
      com.tr
      edu.tr
      gen.tr
      gov.tr
      net.tr
      org.tr
      ac.il
      co.il
      gov.il
      muni.il
      net.il
      org.il
      com.ua
      net.ua
      org.ua
      com.my
      edu.my
      gov.my
      net.my
      org.my
      com.ph
      net.ph
      org.ph
      com.pk
      net.pk
      org.pk
      com.ng
      org.ng
      com.eg
      com.sa
      ac.id
      co.id
      go.id
      or.id
      web.id
      ac.th
      co.th
      go.th
      in.th
      or.th
      com.vn
      net.vn
      com.pl
      net.pl
      org.pl
      com.co
      net.co
      org.co
      com.pe
      com.ve
      com.uy
      com.ec
      co.ke
      or.ke
      co.tz
      co.ug
      com.gh
      com.pe
      *.ck
      !www.ck
      *.bd
      *.kh
      *.np
      *.fk
      *.er
      // private: large hosting suffixes
      github.io
      gitlab.io
      herokuapp.com
      blogspot.com
      appspot.com
      azurewebsites.net
      cloudfront.net
      netlify.app
      vercel.app
      pages.dev
      workers.dev
      firebaseapp.com
      web.app
      """;
}
