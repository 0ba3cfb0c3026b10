package net.koukan.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Every kind of error names the file, the exact line and column, and the key. Offending lines are marked
 * {@code # <-} in the YAML below; the asserted numbers are counted from the first line of each text block.
 */
class RouterConfigErrorsTest {
  private static final String FILE = "conf/router.yaml";

  /** A valid configuration (10 lines) that the cases below extend. */
  private static final String BASE = """
      rest_listener:
        addr: [localhost, 8000]
        session_uri: http://localhost:8000
      endpoint:
      - name: out
        chain:
        - filter: rest_output
      sender:
      - name: app
        output_chain: out
      """;

  private static ConfigException error(String yaml) {
    return assertThrows(ConfigException.class, () -> RouterConfig.parse(yaml, FILE));
  }

  @Test
  void baseIsValid() {
    RouterConfig c = RouterConfig.parse(BASE, FILE);
    assertThat(c.sender()).extracting(SenderConfig::name).containsExactly("app");
  }

  @Nested
  class UnknownKeys {
    @Test
    void atTopLevel() {
      ConfigException e = error(BASE + """
          storage:
            url: jdbc:sqlite:x.db
          sendr:                 # <- line 13
          - name: x
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:13:1: sendr: unknown key (expected one of: global, "
          + "rest_listener, sender, rest_endpoint, endpoint, modules, storage, logging)");
      assertThat(e.file()).isEqualTo(FILE);
      assertThat(e.line()).isEqualTo(13);
      assertThat(e.column()).isEqualTo(1);
      assertThat(e.keyPath()).isEqualTo("sendr");
    }

    @Test
    void misspeltRequiredKeyIsReportedAsUnknownNotMissing() {
      ConfigException e = error("""
          rest_listener:
            addr: [localhost, 8000]
            sesion_uri: http://localhost:8000   # <- line 3
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:3:3: rest_listener.sesion_uri: unknown key "
          + "(expected one of: addr, cert, key, session_uri, service_uri, chunk_size, max_blob_size)");
    }

    @Test
    void insideASenderTag() {
      ConfigException e = error(BASE + """
            tag:
            - name: t1
            - name: t2
              output_chain: out
              upstream_tga: x    # <- line 15
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:15:5: sender[0].tag[1].upstream_tga: unknown key "
          + "(expected one of: name, output_chain, retry, notification, upstream_sender, upstream_tag, "
          + "remote_host, smtp_meta)");
    }

    @Test
    void insideASenderTagLoadedFromAFile() {
      Path file = Path.of("src/test/resources/config/unknown-tag-key.yaml");
      ConfigException e = assertThrows(ConfigException.class, () -> RouterConfig.load(file));
      assertThat(e.getMessage()).startsWith(file + ":11:5: sender[0].tag[0].upstream_tga: unknown key");
    }

    @Test
    void deepInsideOutputHandler() {
      ConfigException e = error(BASE.replace("  chain:\n", """
            output_handler:
              retry_params:
                max_atempts: 3     # <- line 8
            chain:
          """));
      assertThat(e.getMessage()).startsWith(
          "conf/router.yaml:8:7: endpoint[0].output_handler.retry_params.max_atempts: unknown key (expected one of: "
              + "max_attempts, min_attempt_time,");
    }
  }

  @Nested
  class WrongTypes {
    @Test
    void quotedNumberWhereAnIntegerIsExpected() {
      ConfigException e = error(BASE + """
          global:
            rest_id_entropy: "16"   # <- line 12
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:12:3: global.rest_id_entropy: expected an integer, got string \"16\"");
    }

    @Test
    void decimalWhereAnIntegerIsExpected() {
      ConfigException e = error(BASE + """
          storage:
            pool_size: 2.5          # <- line 12
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:12:3: storage.pool_size: expected an integer, got number 2.5");
    }

    @Test
    void numberWhereAStringIsExpected() {
      ConfigException e = error(BASE + """
          global:
            mailer_daemon_mailbox: 42   # <- line 12
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:12:3: global.mailer_daemon_mailbox: expected a string, got integer 42");
    }

    @Test
    void yesIsNotABoolean() {
      ConfigException e = error(BASE + """
          global:
            dequeue: yes            # <- line 12
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:12:3: global.dequeue: expected a boolean (true or false), got string \"yes\"");
    }

    @Test
    void numberWhereABooleanIsExpected() {
      ConfigException e = error(BASE + """
          global:
            dequeue: 1              # <- line 12
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:12:3: global.dequeue: expected a boolean (true or false), got integer 1");
    }

    @Test
    void stringWhereADurationIsExpected() {
      ConfigException e = error(BASE + """
          storage:
            gc_interval: 30s        # <- line 12
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:12:3: storage.gc_interval: expected a number of seconds, got string \"30s\"");
    }

    @Test
    void mappingWhereAListIsExpected() {
      ConfigException e = error("""
          rest_listener:
            addr: [localhost, 8000]
            session_uri: http://localhost:8000
          sender:                  # <- line 4
            name: app
            output_chain: out
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:4:1: sender: expected a list, got a mapping");
    }

    @Test
    void portGivenAsString() {
      ConfigException e = error("""
          rest_listener:
            addr: [localhost, "8000"]   # <- line 2
            session_uri: http://localhost:8000
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:2:21: rest_listener.addr[1]: expected a port number, got string \"8000\"");
    }

    @Test
    void retryWithAnUnknownWord() {
      ConfigException e = error(BASE + """
            retry: always           # <- line 11
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:11:3: sender[0].retry: expected `output_chain`, `{}` "
          + "or null, got string \"always\"");
    }

    @Test
    void pluginClassNameMustBeAString() {
      ConfigException e = error(BASE + """
          modules:
            sync_filter:
              hello: 1              # <- line 13
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:13:5: modules.sync_filter.hello: expected a string, got integer 1");
    }

    @Test
    void integerOutOfRange() {
      ConfigException e = error(BASE + """
          global:
            rest_id_entropy: 99999999999   # <- line 12
          """);
      assertThat(e.getMessage()).startsWith("conf/router.yaml:12:3: global.rest_id_entropy: expected an integer");
      assertThat(e.problem()).contains("out of range");
    }
  }

  @Nested
  class MissingRequiredKeys {
    @Test
    void sessionUri() {
      ConfigException e = error("""
          global:
            dequeue: false
          rest_listener:           # <- line 3
            addr: [localhost, 8000]
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:3:1: rest_listener.session_uri: missing required key");
    }

    @Test
    void restListenerInAnEmptyFile() {
      ConfigException e = error("");
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:1:1: rest_listener: missing required key");
    }

    @Test
    void nameOfATagIsReportedAtTheListItem() {
      ConfigException e = error(BASE + """
            tag:
            - output_chain: out     # <- line 12
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:12:5: sender[0].tag[0].name: missing required key");
    }

    @Test
    void filterNameOfAStanza() {
      ConfigException e = error(BASE.replace("  - filter: rest_output\n", """
            - filter: rest_output
            - name: oops             # <- line 8
          """));
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:8:5: endpoint[0].chain[1].filter: missing required key");
    }

    @Test
    void chainOfAnEndpoint() {
      ConfigException e = error("""
          rest_listener:
            addr: [localhost, 8000]
            session_uri: http://localhost:8000
          endpoint:
          - name: out               # <- line 5
            output_handler: {}
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:5:3: endpoint[0].chain: missing required key");
    }
  }

  @Nested
  class NullValues {
    @Test
    void requiredKey() {
      ConfigException e = error("""
          rest_listener:
            addr: [localhost, 8000]
            session_uri:            # <- line 3
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:3:3: rest_listener.session_uri: must not be null");
    }

    @Test
    void keyWithADefault() {
      ConfigException e = error(BASE + """
          storage:
            gc_ttl: ~               # <- line 12
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:12:3: storage.gc_ttl: must not be null (omit the key to use the default, 86400)");
    }

    @Test
    void listElement() {
      ConfigException e = error(BASE + """
          - name: other
            output_chain: out
          -                         # <- line 13
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:13:2: sender[2]: must not be null");
    }

    @Test
    void primitiveInANestedStanza() {
      ConfigException e = error(BASE + """
          global:
            executor:
              output:
                max_inflight: null  # <- line 14
          """);
      assertThat(e.getMessage()).startsWith(
          "conf/router.yaml:14:7: global.executor.output.max_inflight: must not be null");
    }

    @Test
    void pluginClassName() {
      ConfigException e = error(BASE + """
          modules:
            recipient_router_policy:
              hello:                # <- line 13
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:13:5: modules.recipient_router_policy.hello: must not be null");
    }
  }

  @Nested
  class CrossReferences {
    @Test
    void senderOutputChainMustNameAnEndpoint() {
      ConfigException e = error(BASE.replace("  output_chain: out", "  output_chain: outt"));
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:10:3: sender[0].output_chain: no endpoint named \"outt\" (defined: out)");
    }

    @Test
    void tagOutputChainMustNameAnEndpoint() {
      ConfigException e = error(BASE + """
            tag:
            - name: t
              output_chain: nowhere # <- line 13
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:13:5: sender[0].tag[0].output_chain: no endpoint named \"nowhere\" (defined: out)");
    }

    @Test
    void duplicateSenderName() {
      ConfigException e = error(BASE + """
          - name: app               # <- line 11
            output_chain: out
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:11:3: sender[1].name: duplicate sender name \"app\" (first defined at line 9)");
    }

    @Test
    void duplicateEndpointName() {
      ConfigException e = error(BASE.replace("sender:\n", """
          - name: out               # <- line 8
            chain:
            - filter: rest_output
          sender:
          """));
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:8:3: endpoint[1].name: duplicate endpoint name \"out\" (first defined at line 5)");
    }

    @Test
    void duplicateRestEndpointName() {
      ConfigException e = error(BASE + """
          rest_endpoint:
          - name: gw
            endpoint: http://localhost:8001/senders/router/transactions
            sender: router
          - name: gw                # <- line 15
            endpoint: http://localhost:8001/senders/router/transactions
            sender: router
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:15:3: rest_endpoint[1].name: duplicate rest_endpoint name \"gw\" (first defined at line 12)");
    }

    @Test
    void notificationRequiresRetry() {
      ConfigException e = error(BASE + """
            notification: output_chain   # <- line 11
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:11:3: sender[0].notification: notification requires "
          + "retry (sender \"app\" enables notification but not retry)");
    }

    @Test
    void tagThatTurnsRetryOffWhileNotificationIsInherited() {
      ConfigException e = error(BASE + """
            retry: output_chain
            notification: {}
            tag:
            - name: quiet
              retry: null           # <- line 15
          """);
      assertThat(e.getMessage()).startsWith(
          "conf/router.yaml:15:5: sender[0].tag[0].retry: notification requires retry (sender \"app\" tag \"quiet\"");
    }

    @Test
    void exploderChainNeedsRetryOff() {
      ConfigException e = error(BASE.replace("sender:\n", """
          - name: fanout
            chain:
            - filter: exploder
          sender:
          """) + """
            retry: output_chain     # <- line 14
            tag:
            - name: smtp
              output_chain: fanout
          """);
      assertThat(e.getMessage()).startsWith("conf/router.yaml:14:3: sender[0].retry: sender \"app\" tag \"smtp\": "
          + "retry must be disabled: output chain \"fanout\" ends with the exploder");
    }

    @Test
    void exploderUpstreamTagMustExist() {
      ConfigException e = error(BASE.replace("sender:\n", """
          - name: fanout
            chain:
            - filter: exploder
          sender:
          """) + """
            tag:
            - name: smtp
              output_chain: fanout
              upstream_tag: smtp-upstreem   # <- line 17
            - name: smtp-upstream
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:17:5: sender[0].tag[0].upstream_tag: sender \"app\" "
          + "tag \"smtp\": upstream sender \"app\" tag \"smtp-upstreem\" is not defined");
    }

    @Test
    void exploderUpstreamMustNotLoopBackIntoTheExploder() {
      ConfigException e = error(BASE.replace("sender:\n", """
          - name: fanout
            chain:
            - filter: exploder
          sender:
          """) + """
          - name: smtp
            output_chain: fanout    # <- line 15
          """);
      assertThat(e.getMessage()).startsWith("conf/router.yaml:15:3: sender[1].output_chain: sender \"smtp\": "
          + "upstream sender \"smtp\" must not use an exploder chain (\"fanout\")");
    }

    @Test
    void danglingChainOfALaterUpstreamSenderIsReportedAtThatSender() {
      ConfigException e = error(BASE.replace("sender:\n", """
          - name: fanout
            chain:
            - filter: exploder
          sender:
          """) + """
            tag:
            - name: smtp
              output_chain: fanout
              upstream_sender: later
          - name: later
            output_chain: gone      # <- line 19
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:19:3: sender[1].output_chain: no endpoint named \"gone\" (defined: out, fanout)");
    }

    @Test
    void notificationSenderOfAnOutputHandlerMustExist() {
      ConfigException e = error(BASE.replace("  chain:\n", """
            output_handler:
              notification:
                sender: bounces     # <- line 8
            chain:
          """));
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:8:7: endpoint[0].output_handler.notification.sender: no sender named \"bounces\"");
    }

    @Test
    void notificationTagOfAnOutputHandlerMustBeListed() {
      ConfigException e = error(BASE.replace("  chain:\n", """
            output_handler:
              notification:
                sender: app
                tag: bounces        # <- line 9
            chain:
          """) + """
            tag:
            - name: bounce
          """);
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:9:7: endpoint[0].output_handler.notification.tag: sender \"app\" has no tag \"bounces\"");
    }

    @Test
    void sessionUriMustBeHttp() {
      ConfigException e = error(BASE.replace("http://localhost:8000", "localhost:8000"));
      assertThat(e.getMessage()).startsWith("conf/router.yaml:3:3: rest_listener.session_uri: expected an http:// or "
          + "https:// URL");
    }

    @Test
    void portOutOfRange() {
      ConfigException e = error(BASE.replace("8000]", "80000]"));
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:2:21: rest_listener.addr[1]: port must be between 0 and 65535, got 80000");
    }

    @Test
    void addrMustBeHostAndPort() {
      ConfigException e = error(BASE.replace("[localhost, 8000]", "[localhost]"));
      assertThat(e.getMessage()).isEqualTo(
          "conf/router.yaml:2:3: rest_listener.addr: expected a list [host, port], got 1 element(s)");
    }

    @Test
    void emptyChain() {
      ConfigException e = error(BASE.replace("  chain:\n  - filter: rest_output\n", "  chain: []\n"));
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:6:3: endpoint[0].chain: must list at least one filter");
    }
  }

  @Nested
  class MalformedYaml {
    @Test
    void unclosedFlowSequence() {
      ConfigException e = error("""
          rest_listener:
            addr: [localhost, 8000
            session_uri: http://localhost:8000   # <- line 3
          """);
      assertThat(e.file()).isEqualTo(FILE);
      assertThat(e.line()).isEqualTo(3);
      assertThat(e.getMessage()).startsWith("conf/router.yaml:3:").contains("malformed YAML");
    }

    @Test
    void badIndentation() {
      ConfigException e = error("""
          rest_listener:
            addr: [localhost, 8000]
           session_uri: http://localhost:8000    # <- line 3
          """);
      assertThat(e.line()).isEqualTo(3);
      assertThat(e.getMessage()).startsWith("conf/router.yaml:3:").contains("malformed YAML");
    }

    @Test
    void tabIndentation() {
      ConfigException e = error("rest_listener:\n\taddr: [localhost, 8000]\n");
      assertThat(e.getMessage()).startsWith("conf/router.yaml:2:1: rest_listener: malformed YAML: found character");
    }

    @Test
    void duplicateKey() {
      ConfigException e = error(BASE + """
          rest_listener:            # <- line 11
            addr: [localhost, 9000]
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:11:1: rest_listener: duplicate key (first defined at line 1)");
    }

    @Test
    void alias() {
      ConfigException e = error(BASE + """
          global:
            mailer_daemon_mailbox: &m postmaster@example.com
          storage:
            url: *m                 # <- line 14
          """);
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:14:8: storage.url: YAML aliases (*m) are not supported");
    }

    @Test
    void secondDocument() {
      ConfigException e = error(BASE + """
          ---                       # <- line 11
          global: {}
          """);
      assertThat(e.line()).isIn(11, 12);
      assertThat(e.problem()).contains("only one YAML document");
    }

    @Test
    void documentThatIsNotAMapping() {
      ConfigException e = error("- rest_listener\n");
      assertThat(e.getMessage()).isEqualTo("conf/router.yaml:1:1: (root): expected a mapping, got a list");
    }
  }

  @Test
  void unreadableFile() {
    Path missing = Path.of("src/test/resources/config/does-not-exist.yaml");
    ConfigException e = assertThrows(ConfigException.class, () -> RouterConfig.load(missing));
    assertThat(e.getMessage()).startsWith(missing + ":1:1: (root): cannot read file");
  }
}
