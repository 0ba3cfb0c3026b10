package net.koukan.rest;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class RestServerTest {
  @Test
  void aPortInUseStopsStartUp() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      RestServer s = new RestServer("127.0.0.1", taken.getLocalPort(), new TransactionApi(null,
          (a, b) -> java.util.Optional.empty(), new RestSettings("http://x", null, 1024, 1024, 4, 30),
          Dispatcher.NONE), null);
      assertThatThrownBy(s::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot listen");
    }
  }
}
