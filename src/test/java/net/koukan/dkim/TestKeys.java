package net.koukan.dkim;

import java.security.KeyPair;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Keys generated once per test run, and an in-memory {@link TxtResolver}. */
final class TestKeys {
  static final KeyPair RSA = generate(Algorithm.RSA_SHA256, 2048);
  static final KeyPair ED25519 = generate(Algorithm.ED25519_SHA256, 0);

  private TestKeys() {}

  private static KeyPair generate(Algorithm a, int bits) {
    try {
      return DkimKeys.generate(a, bits);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static DkimKeys.SigningKey signing(KeyPair pair) {
    try {
      return DkimKeys.parsePem(DkimKeys.toPem(pair.getPrivate()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A resolver answering from a map; names not in it are NX. */
  static final class MapResolver implements TxtResolver {
    final Map<String, Result> answers = new HashMap<>();
    final List<String> queries = new java.util.concurrent.CopyOnWriteArrayList<>();

    MapResolver put(String name, String... records) {
      answers.put(name, Result.ok(List.of(records)));
      return this;
    }

    MapResolver put(String name, Result r) {
      answers.put(name, r);
      return this;
    }

    MapResolver publish(String selector, String domain, KeyPair pair) {
      return put(selector + "._domainkey." + domain, DkimKeys.keyRecord(pair.getPublic()));
    }

    @Override
    public Result txt(String name) {
      queries.add(name);
      return answers.getOrDefault(name, Result.nx(name + ": no such name"));
    }
  }
}
