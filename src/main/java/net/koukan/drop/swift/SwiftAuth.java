package net.koukan.drop.swift;

import java.net.URI;
import java.util.Objects;

/**
 * How to get a token and the storage URL. {@code storageUrl} (swiftclient's
 * {@code object_storage_url}) overrides the URL the auth service returns, so a section can write
 * into another account with the same credentials.
 */
public sealed interface SwiftAuth {

  URI storageUrlOverride();

  /** A short description for logs and errors; never contains the secret. */
  String describe();

  /** Auth v1.0 (tempauth, swauth): GET the auth URL with X-Auth-User / X-Auth-Key. */
  record V1(URI authUrl, String user, String key, URI storageUrlOverride) implements SwiftAuth {
    public V1 {
      Objects.requireNonNull(authUrl, "authUrl");
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(key, "key");
    }

    @Override
    public String describe() {
      return "auth v1 " + user + " at " + authUrl;
    }

    @Override
    public String toString() {
      return "V1[" + describe() + "]";
    }
  }

  /**
   * Keystone v3 password auth scoped to a project; the storage URL comes from the catalog
   * (type object-store, the given interface, and region if set).
   */
  record KeystoneV3(URI authUrl, String user, String userDomain, String password, String project,
      String projectId, String projectDomain, String region, String endpointInterface,
      URI storageUrlOverride) implements SwiftAuth {
    public KeystoneV3 {
      Objects.requireNonNull(authUrl, "authUrl");
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(password, "password");
      userDomain = userDomain == null || userDomain.isEmpty() ? "Default" : userDomain;
      projectDomain = projectDomain == null || projectDomain.isEmpty() ? "Default" : projectDomain;
      endpointInterface = endpointInterface == null || endpointInterface.isEmpty() ? "public"
          : endpointInterface.replaceFirst("URL$", "");
    }

    @Override
    public String describe() {
      return "keystone v3 " + user + "@" + userDomain + " project "
          + (projectId != null ? projectId : project + "@" + projectDomain) + " at " + authUrl;
    }

    @Override
    public String toString() {
      return "KeystoneV3[" + describe() + "]";
    }
  }
}
