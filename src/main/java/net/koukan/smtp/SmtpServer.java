package net.koukan.smtp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An SMTP listener: binds {@link ListenerConfig#host()}:{@link ListenerConfig#port()}, serves each
 * connection on its own virtual thread ({@link SmtpConnection}), and runs one sweeper thread that
 * enforces the deadlines socket timeouts cannot (application calls, stuck writes, handshakes).
 *
 * <pre>{@code
 * try (SmtpServer server = new SmtpServer(ListenerConfig.builder(factory).port(0).build())) {
 *   server.start();
 *   int port = server.port();
 * }
 * }</pre>
 */
public final class SmtpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SmtpServer.class);
  private static final int BACKLOG = 1024;

  private final ListenerConfig cfg;
  private final Set<SmtpConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicLong ids = new AtomicLong();
  private volatile ServerSocket listener;
  private volatile boolean closed;
  private Thread acceptor;
  private Thread sweeper;

  public SmtpServer(ListenerConfig cfg) {
    this.cfg = cfg;
  }

  /** Binds and starts accepting. */
  public synchronized void start() throws IOException {
    if (listener != null || closed) {
      throw new IllegalStateException("already started");
    }
    ServerSocket ss = new ServerSocket();
    ss.setReuseAddress(true);
    ss.bind(new InetSocketAddress(InetAddress.getByName(cfg.host()), cfg.port()), BACKLOG);
    listener = ss;
    acceptor = Thread.ofVirtual().name("smtp-accept-" + port()).start(this::acceptLoop);
    sweeper = Thread.ofVirtual().name("smtp-sweep-" + port()).start(this::sweepLoop);
    log.info("SMTP listener on {}:{} ({}{}{}{})", cfg.host(), port(), cfg.smtps() ? "smtps" : "smtp",
        cfg.tls() != null && !cfg.smtps() ? ", STARTTLS" : "", cfg.auth() != null ? ", AUTH" : "",
        cfg.proxyProtocol() ? ", PROXY" : "");
  }

  /** The bound port (the chosen one when configured as 0). */
  public int port() {
    ServerSocket ss = listener;
    if (ss == null) {
      throw new IllegalStateException("not started");
    }
    return ss.getLocalPort();
  }

  /** The bound address. */
  public InetSocketAddress address() {
    return new InetSocketAddress(listener.getInetAddress(), port());
  }

  public ListenerConfig config() {
    return cfg;
  }

  /** Open connections right now. */
  public int connectionCount() {
    return connections.size();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket s;
      try {
        s = listener.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("SMTP accept on port {} failed: {}", listener.getLocalPort(), e.toString());
          pause();
        }
        continue;
      }
      long id = ids.incrementAndGet();
      SmtpConnection[] holder = new SmtpConnection[1];
      SmtpConnection c = new SmtpConnection(cfg, s, id, () -> connections.remove(holder[0]));
      holder[0] = c;
      connections.add(c);
      if (closed) {
        c.abort();
      }
      Thread.ofVirtual().name("smtp-" + id).start(c);
    }
  }

  private void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void sweepLoop() {
    Duration shortest = min(cfg.timeouts().command(), cfg.timeouts().dataTermination());
    long period = Math.clamp(shortest.toMillis() / 8, 5, 1000);
    while (!closed) {
      try {
        Thread.sleep(period);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      for (SmtpConnection c : connections) {
        c.sweep(now);
      }
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * Stops accepting, closes every connection (their threads reset their sessions and delete
   * their spool files) and waits up to 10 s for them to finish.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    ServerSocket ss = listener;
    if (ss != null) {
      try {
        ss.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    for (SmtpConnection c : connections) {
      c.abort();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try {
      join(acceptor, deadline);
      for (SmtpConnection c : connections) {
        join(c.thread(), deadline);
      }
      if (sweeper != null) {
        sweeper.interrupt();
        join(sweeper, deadline);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void join(Thread t, long deadlineNanos) throws InterruptedException {
    if (t != null) {
      long left = deadlineNanos - System.nanoTime();
      if (left > 0) {
        t.join(Duration.ofNanos(left));
      }
    }
  }
}
