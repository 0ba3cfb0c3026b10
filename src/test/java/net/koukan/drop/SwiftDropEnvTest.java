package net.koukan.drop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import net.koukan.drop.swift.SwiftAuth;
import org.junit.jupiter.api.Test;

/** SwiftDrop's environment variables, with DEFAULT inheritance and the checks SwiftDrop lacks. */
class SwiftDropEnvTest {

  static Map<String, String> seed() {
    Map<String, String> env = new HashMap<>();
    env.put("MYHOSTNAME", "swiftdrop.example.com");
    env.put("RECIPIENTS", "[\"whatever@example.com\", \"other@example.com\", \"swiftdrop@example.com\"]");
    env.put("SWIFTDROP_DEFAULT_RECIPIENTS", " Whatever@Example.com , other@example.com");
    env.put("SWIFTDROP_DEFAULT_CONTAINER", "acceptance");
    env.put("SWIFTDROP_DEFAULT_AUTH_VERSION", "3");
    env.put("SWIFTDROP_DEFAULT_AUTHURL", "https://keystone-server/v3");
    env.put("SWIFTDROP_DEFAULT_USER", "myuser");
    env.put("SWIFTDROP_DEFAULT_KEY", "xxx");
    env.put("SWIFTDROP_DEFAULT_OS_OPTIONS_PROJECT_DOMAIN_NAME", "project_domain");
    env.put("SWIFTDROP_DEFAULT_OS_OPTIONS_PROJECT_NAME", "project");
    env.put("SWIFTDROP_DEFAULT_OS_OPTIONS_USER_DOMAIN_NAME", "user_domain");
    env.put("SWIFTDROP_PRODUCTION_RECIPIENTS", "swiftdrop@example.com");
    env.put("SWIFTDROP_PRODUCTION_CONTAINER", "production");
    return env;
  }

  @Test
  void theSeedExampleReadsWithDefaultInheritance() {
    DropConfig c = SwiftDropEnv.parse(seed(), null);
    assertThat(c.hostname()).isEqualTo("swiftdrop.example.com");
    assertThat(c.listenHost()).isEqualTo("0.0.0.0");
    assertThat(c.listenPort()).isEqualTo(25);
    assertThat(c.maxMessageSize()).isEqualTo(52428800L);
    assertThat(c.sections()).extracting(SectionConfig::name).containsExactly("DEFAULT", "PRODUCTION");
    SectionConfig def = c.sections().get(0);
    SectionConfig prod = c.sections().get(1);
    assertThat(def.recipients()).containsExactly("whatever@example.com", "other@example.com");
    assertThat(prod.recipients()).containsExactly("swiftdrop@example.com");
    assertThat(prod.container()).isEqualTo("production");
    assertThat(prod.auth()).isInstanceOf(SwiftAuth.KeystoneV3.class);
    SwiftAuth.KeystoneV3 k = (SwiftAuth.KeystoneV3) prod.auth();
    assertThat(k.user()).isEqualTo("myuser");
    assertThat(k.project()).isEqualTo("project");
    assertThat(k.projectDomain()).isEqualTo("project_domain");
    assertThat(k.userDomain()).isEqualTo("user_domain");
    assertThat(c.routes()).containsEntry("whatever@example.com", "DEFAULT").containsEntry("swiftdrop@example.com", "PRODUCTION");
  }

  @Test
  void everyProblemIsReportedNamingItsVariable() {
    Map<String, String> env = seed();
    env.put("SWIFTDROP_PRODUCTION_CONTAINR", "typo");
    env.put("SWIFTDROP_STAGING_RECIPIENTS", "x@example.com");
    env.put("SWIFTDROP_STAGING_AUTH_VERSION", "2");
    env.put("RECIPIENTS", "[\"whatever@example.com\", \"lost@example.com\"]");
    env.put("DROP_MAX_MESSAGE_SIZE", "big");
    assertThatThrownBy(() -> SwiftDropEnv.parse(env, null)).isInstanceOf(DropConfigException.class)
        .hasMessageContaining("SWIFTDROP_PRODUCTION_CONTAINR: unknown option 'containr'")
        .hasMessageContaining("SWIFTDROP_STAGING_AUTH_VERSION: '2' is not supported")
        .hasMessageContaining("RECIPIENTS: lost@example.com is in no SWIFTDROP_<SECTION>_RECIPIENTS list")
        .hasMessageContaining("DROP_MAX_MESSAGE_SIZE: 'big' is not a positive whole number");
  }

  @Test
  void anAddressInTwoSectionsAndForwardsWithoutRelayAreErrors() {
    Map<String, String> env = seed();
    env.put("SWIFTDROP_PRODUCTION_RECIPIENTS", "swiftdrop@example.com, OTHER@example.com");
    assertThatThrownBy(() -> SwiftDropEnv.parse(env, null))
        .hasMessageContaining("recipient other@example.com is also in section DEFAULT");
    Map<String, String> env2 = seed();
    env2.put("FORWARDS", "{\"postmaster@example.com\": \"admin@example.net\"}");
    assertThatThrownBy(() -> SwiftDropEnv.parse(env2, null)).hasMessageContaining("DROP_FORWARD_RELAY");
    env2.put("DROP_FORWARD_RELAY", "127.0.0.1:2525");
    assertThat(SwiftDropEnv.parse(env2, null).forwards()).containsEntry("postmaster@example.com", "admin@example.net");
  }

  @Test
  void missingSettingsNameTheVariableAndDoubleUnderscoreAllowsUnderscoresInSections() {
    Map<String, String> env = new HashMap<>();
    env.put("SWIFTDROP_DEFAULT_AUTHURL", "http://127.0.0.1:8080/auth/v1.0");
    env.put("SWIFTDROP_DEFAULT_USER", "test:tester");
    env.put("SWIFTDROP_DEFAULT_KEY", "testing");
    env.put("SWIFTDROP_EU_WEST__RECIPIENTS", "eu@example.com");
    assertThatThrownBy(() -> SwiftDropEnv.parse(env, null))
        .hasMessageContaining("SWIFTDROP_EU_WEST_CONTAINER: must be set");
    env.put("SWIFTDROP_EU_WEST__CONTAINER", "eu");
    DropConfig c = SwiftDropEnv.parse(env, "127.0.0.1:0");
    assertThat(c.sections()).extracting(SectionConfig::name).containsExactly("EU_WEST");
    assertThat(c.sections().get(0).auth()).isInstanceOf(SwiftAuth.V1.class);
    assertThat(c.listenPort()).isZero();
  }
}
